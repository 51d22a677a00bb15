/* The companies table. scope is NULL for every company, else one id. */
#ifndef DB_COMPANY_H
#define DB_COMPANY_H

#include <jansson.h>

#include "db.h"

/* One company. Strings are the row's own; company_rows_free() frees them. */
struct company_row {
	char	 id[UUID_LEN + 1];
	char	*name;
	char	*timezone;
	char	 created[32];		/* RFC 3339 */
	char	 updated[32];
	char	 key[24];		/* keyset pagination key */
};

struct company_rows {
	int			 n;
	struct company_row	*v;
};

void		 company_rows_free(struct company_rows *);
/* A company to the API's Company object. */
json_t		*company_json(const struct company_row *);

/*
 * Each returns the rows (none when nothing matched), or NULL on a database
 * error with db->err set. Caller frees with company_rows_free().
 */
struct company_rows *db_company_list(struct db *, const char *scope,
		    const char *q, const struct page *);
struct company_rows *db_company_get(struct db *, const char *scope,
		    const char *id);
/* tz NULL: the system setting default_timezone. */
struct company_rows *db_company_create(struct db *, const char *name,
		    const char *tz);
struct company_rows *db_company_update(struct db *, const char *scope,
		    const char *id, const char *name, const char *tz);
/* Returns the deleted row, if any. */
struct company_rows *db_company_delete(struct db *, const char *id);

#endif
