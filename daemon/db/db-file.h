/* The files table: metadata of stored prompts and recordings. */
#ifndef DB_FILE_H
#define DB_FILE_H

#include <jansson.h>

struct db;
struct db_ids;
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
/* The deleted row, if any; its content into the storage trash. */
struct file_rows *db_file_delete(struct db *, const char *scope,
		    const char *id);

/*
 * The storage trash (sql/025_purge.sql): contents whose files rows are
 * gone, to delete from the storage once their transaction committed.
 * db_file_trash_company() puts every file of a company in it (before the
 * company's deletion takes the rows). db_file_trash_due(): up to n
 * contents of company (NULL: of any company, those due now) into a list
 * (caller frees with db_ids_free()), NULL on error. A deleted content
 * leaves the trash (done); one that could not be deleted waits longer
 * after each try (retry). 0, or -1 with db->err set.
 */
int		 db_file_trash_company(struct db *, const char *company);
struct db_ids	*db_file_trash_due(struct db *, const char *company,
		    const char *n);
int		 db_file_trash_done(struct db *, const char *id);
int		 db_file_trash_retry(struct db *, const char *id);

#endif
