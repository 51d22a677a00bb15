/*
 * Files' changes (op-file.c): file.create stores an upload, file.delete
 * removes one; and the check of ?kind= that listing shares.
 */
#ifndef OP_FILE_H
#define OP_FILE_H

struct fields;

/* ?kind= as given: prompt or recording, or NULL (absent): 0, or -1 with
 * an error in f. */
int	 op_file_kind_check(const char *kind, struct fields *f);

#endif
