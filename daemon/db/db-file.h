/* The files table: metadata of stored prompts and recordings. */
#ifndef DB_FILE_H
#define DB_FILE_H

#include <jansson.h>

struct db;
struct page;

/* A file to record: every field text, as the statement takes it. */
struct file_new {
	const char	*id, *company, *kind, *name, *content_type, *size;
	const char	*sha256, *created_by;
};

/*
 * One file's metadata. The strings point into the rows' own result
 * (file_rows_free() frees it); name and created_by are NULL when unset.
 */
struct file_row {
	const char	*id, *company, *kind, *name, *content_type;
	long long	 size;
	const char	*sha256, *created_by, *created;
	const char	*key;		/* keyset pagination key */
};

struct file_rows {
	int		 n;
	struct file_row	*v;
	void		*res;		/* owns the strings */
};

void		 file_rows_free(struct file_rows *);
/* A file to the API's File object. */
json_t		*file_json(const struct file_row *);

/*
 * Each returns the rows (none when nothing matched), or NULL on a database
 * error with db->err set. Caller frees with file_rows_free().
 */
struct file_rows *db_file_create(struct db *, const struct file_new *);
struct file_rows *db_file_get(struct db *, const char *scope, const char *id);
/* A company's files, optionally of one kind. */
struct file_rows *db_file_list(struct db *, const char *company,
		    const char *kind, const struct page *);
/* The deleted row, if any. */
struct file_rows *db_file_delete(struct db *, const char *scope,
		    const char *id);

#endif
