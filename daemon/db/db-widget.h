/* The widget_keys table and companies.widget_origins. */
#ifndef DB_WIDGET_H
#define DB_WIDGET_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"

enum widget_col {
	WIDGET_C_ID, WIDGET_C_COMPANY, WIDGET_C_KEY, WIDGET_C_NAME,
	WIDGET_C_CREATED, WIDGET_C_ROTATED,
};

json_t		*widget_key_json(const PGresult *, int row);

PGresult	*db_widget_list(struct db *, const char *company);
/* No row if the company does not exist. */
PGresult	*db_widget_create(struct db *, const char *company,
		    const char *key, const char *name);
PGresult	*db_widget_rotate(struct db *, const char *company,
		    const char *id, const char *key);
PGresult	*db_widget_delete(struct db *, const char *company,
		    const char *id);
/* One row, the origins as a JSON array, or none. */
PGresult	*db_widget_origins(struct db *, const char *company);
PGresult	*db_widget_origins_set(struct db *, const char *company,
		    const char *origins_json);
/* A key's company and that company's origins (a JSON array, caller
 * decrefs): 1, 0 no such key, -1 on error. */
int		 db_widget_by_key(struct db *, const char *key,
		    char company[UUID_LEN + 1], json_t **origins);
/* Add media kinds (a JSON array) to what the call used. */
int		 db_call_media_used(struct db *, const char *company,
		    const char *call, const char *media_json);

#endif
