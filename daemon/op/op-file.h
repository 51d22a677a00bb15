/*
 * Files' changes (op-file.c): file.create stores an upload, file.delete
 * removes one; and the check of ?kind= that listing shares.
 */
#ifndef OP_FILE_H
#define OP_FILE_H

#include <stddef.h>

#include "db.h"		/* UUID_LEN */
#include "storage.h"

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

/*
 * A file's content to fn a piece at a time, as storage_read() does: its
 * one object, or the objects of its pieces in order (a browser recording,
 * db-upload.h). STORAGE_ERROR also when its pieces cannot be listed.
 */
enum storage_result op_file_read(struct db *, const char *id, storage_fn fn,
	    void *arg);
/* Remove a file's content (its pieces' rows and objects too): 0, or -1
 * when some of it was left behind (logged by storage). */
int	 op_file_content_delete(struct db *, const char *id);
/*
 * A piece of a file in pieces (db-upload.h), stored as a new object whose
 * id goes into object: whole or not at all.
 */
enum storage_result op_file_piece_put(const void *data, size_t len,
	    char object[UUID_LEN + 1]);
/* The SHA-256 (hex) and size of a file's content as read back: 0, -1. */
int	 op_file_digest(struct db *, const char *id, char sha[65],
	    long long *size);

#endif
