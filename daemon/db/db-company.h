/* The companies table. scope is NULL for every company, else one id. */
#ifndef DB_COMPANY_H
#define DB_COMPANY_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;
struct page;

enum company_col {
	COMPANY_C_ID, COMPANY_C_NAME, COMPANY_C_TIMEZONE, COMPANY_C_CREATED,
	COMPANY_C_UPDATED, COMPANY_C_KEY,
};

/* Row to the API's Company object. */
json_t		*company_json(const PGresult *, int row);

PGresult	*db_company_list(struct db *, const char *scope, const char *q,
		    const struct page *);
PGresult	*db_company_get(struct db *, const char *scope, const char *id);
/* tz NULL: the system setting default_timezone. */
PGresult	*db_company_create(struct db *, const char *name, const char *tz);
PGresult	*db_company_update(struct db *, const char *scope, const char *id,
		    const char *name, const char *tz);
/* Returns the deleted row, if any. */
PGresult	*db_company_delete(struct db *, const char *id);

#endif
