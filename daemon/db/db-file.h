/* The files table: metadata of stored prompts and recordings. */
#ifndef DB_FILE_H
#define DB_FILE_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;
struct page;

enum file_col {
	FILE_C_ID, FILE_C_COMPANY, FILE_C_KIND, FILE_C_NAME, FILE_C_TYPE,
	FILE_C_SIZE, FILE_C_SHA256, FILE_C_CREATED_BY, FILE_C_CREATED,
	FILE_C_KEY,
};

struct file_row {
	const char	*id, *company, *kind, *name, *content_type, *size;
	const char	*sha256, *created_by;
};

/* Row to the API's File object. */
json_t		*file_json(const PGresult *, int row);

PGresult	*db_file_create(struct db *, const struct file_row *);
PGresult	*db_file_get(struct db *, const char *scope, const char *id);
/* A company's files, optionally of one kind. */
PGresult	*db_file_list(struct db *, const char *company, const char *kind,
		    const struct page *);
/* Returns the deleted row, if any. */
PGresult	*db_file_delete(struct db *, const char *scope, const char *id);

#endif
