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
	STORAGE_MISSING,	/* get: no such object */
	STORAGE_ERROR,		/* logged; the cause is not for clients */
};

/* Create the directory or set up the client; fill *cause on error. */
int	storage_init(char **cause);
/* "local" or "s3", for status pages. */
const char *storage_name(void);
/* Store all of data under id: whole or not at all. */
enum storage_result storage_put(const char *id, const void *data, size_t len,
	    const char *sha256hex, const char *ctype);
/* Read the object into *data (malloc'd, caller frees). */
enum storage_result storage_get(const char *id, char **data, size_t *len);
/* Remove the object; a missing one is not an error. */
enum storage_result storage_delete(const char *id);

/* storage-s3.c: the same for the s3 backend. */
int	s3_init(char **cause);
enum storage_result s3_put(const char *id, const void *data, size_t len,
	    const char *sha256hex, const char *ctype);
enum storage_result s3_get(const char *id, char **data, size_t *len);
enum storage_result s3_delete(const char *id);

#endif
