/*
 * Where file contents live: a local directory (default) or S3-compatible
 * object storage, chosen by the storage config key. Objects are named by
 * their id (a UUID checked here), never by anything a user typed. Every
 * call blocks: workers only, never the loop.
 */
#ifndef STORAGE_H
#define STORAGE_H

#include <stddef.h>

enum storage_result {
	STORAGE_OK,
	STORAGE_MISSING,	/* read: no such object (before any byte) */
	STORAGE_ERROR,		/* logged; the cause is not for clients */
	STORAGE_STOPPED,	/* read: the reader's function said stop */
};

/* Takes the next n bytes of an object; -1 stops the read. */
typedef int (*storage_fn)(void *arg, const void *p, size_t n);

/* Create the directory or set up the client; fill *cause on error. */
int	storage_init(char **cause);
/* "local" or "s3", for status pages. */
const char *storage_name(void);
/* Store all of data under id: whole or not at all. */
enum storage_result storage_put(const char *id, const void *data, size_t len,
	    const char *sha256hex, const char *ctype);
/*
 * Hand the object to fn a piece at a time (at most STORAGE_PIECE bytes), so
 * a large one never sits in memory whole. STORAGE_MISSING and a failure to
 * start come before any byte; a failure later is STORAGE_ERROR after some.
 */
#define STORAGE_PIECE	(64 * 1024)
enum storage_result storage_read(const char *id, storage_fn fn, void *arg);
/* Remove the object; a missing one is not an error. */
enum storage_result storage_delete(const char *id);

/* storage-s3.c: the same for the s3 backend. */
int	s3_init(char **cause);
enum storage_result s3_put(const char *id, const void *data, size_t len,
	    const char *sha256hex, const char *ctype);
enum storage_result s3_read(const char *id, storage_fn fn, void *arg);
enum storage_result s3_delete(const char *id);

#endif
