/*
 * The recording_uploads and file_pieces tables: recordings a browser
 * agent's page uploads in pieces, and files stored as several objects.
 */
#ifndef DB_UPLOAD_H
#define DB_UPLOAD_H

#include <stddef.h>

#include "db.h"

/* An upload as the API shows it. */
struct upload_row {
	char		 id[UUID_LEN + 1], call[UUID_LEN + 1];
	char		 content_type[32];
	long long	 size;		/* the offset: bytes received */
	int		 complete;
	double		 age;		/* seconds since it was created */
	char		 recording[UUID_LEN + 1];	/* "" until complete */
};

/* A new upload of call's recording by user: its row into out; 0, -1. */
int	db_upload_create(struct db *, const char *company, const char *call,
	    const char *user, const char *content_type, struct upload_row *out);
/* The company's upload id of call into out: 1, 0 none, -1 error. */
int	db_upload_get(struct db *, const char *company, const char *call,
	    const char *id, struct upload_row *out);
/*
 * Append the piece stored as object (len bytes) at offset: 1, 0 when the
 * upload is not at offset (or is complete) any more, -1 on error.
 */
int	db_upload_append(struct db *, const char *id, long long offset,
	    const char *object, size_t len);
/*
 * Complete an upload of size bytes: its files row (kind recording, the
 * upload's id, sha256) and its call_recordings row (source browser) in one
 * statement. The recording's id into rec: 1, 0 when the upload is not of
 * that size or complete already, -1 on error.
 */
int	db_upload_complete(struct db *, const char *company, const char *id,
	    long long size, const char *sha256, int channels, int duration,
	    char rec[UUID_LEN + 1]);
/* The objects of a file's pieces in order (none: a file of one object);
 * NULL on error. Caller frees with db_ids_free(). */
struct db_ids *db_file_pieces(struct db *, const char *file);
/* Forget a file's pieces: their objects, for the caller to remove. */
struct db_ids *db_file_pieces_drop(struct db *, const char *file);
/*
 * Up to n uploads left incomplete for more than a day (ids; caller frees);
 * NULL on error. db_upload_drop() removes one with its pieces' rows.
 */
struct db_ids *db_upload_stale(struct db *, const char *n);
int	db_upload_drop(struct db *, const char *id);

#endif
