/*
 * Files' changes (op-file.c): file.create stores an upload, file.delete
 * removes one; and the check of ?kind= that listing shares.
 */
#ifndef OP_FILE_H
#define OP_FILE_H

#include <stddef.h>

struct db;
struct fields;

/* ?kind= as given: prompt or recording, or NULL (absent): 0, or -1 with
 * an error in f. */
int	 op_file_kind_check(const char *kind, struct fields *f);

/*
 * A call's recording that the daemon fetched (Twilio's, by source_id):
 * its content stored as a file of kind recording and linked to the call
 * (call_recordings). 1 stored, 0 the company has it already, -1 on an
 * error (logged; the content is not left behind).
 */
int	 op_file_recording(struct db *, const char *company, const char *call,
	    const char *source, const char *source_id, int channels,
	    int duration, const void *data, size_t len);

#endif
