/* The widget_keys table and companies.widget_origins. */
#ifndef DB_WIDGET_H
#define DB_WIDGET_H

#include <jansson.h>

#include "db.h"

/* One widget key. Strings are the row's own; widget_keys_free(). */
struct widget_key {
	char	 id[UUID_LEN + 1];
	char	 company[UUID_LEN + 1];
	char	*key;
	char	*name;			/* NULL: none */
	char	 created[32];		/* RFC 3339 */
	char	*rotated;		/* NULL: never */
};

struct widget_keys {
	int			 n;
	struct widget_key	*v;
};

void		 widget_keys_free(struct widget_keys *);
json_t		*widget_key_json(const struct widget_key *);

/*
 * Each returns the rows (none when nothing matched), or NULL on a database
 * error with db->err set.
 */
struct widget_keys *db_widget_list(struct db *, const char *company);
/* No row if the company does not exist. */
struct widget_keys *db_widget_create(struct db *, const char *company,
		    const char *key, const char *name);
struct widget_keys *db_widget_rotate(struct db *, const char *company,
		    const char *id, const char *key);
/* 1 deleted, 0 none, -1 database error. */
int		 db_widget_delete(struct db *, const char *company,
		    const char *id);
/*
 * The company's allowed origins, a JSON array (the caller's), into
 * *origins: 1, 0 no such company, -1 database error. Set replaces them
 * from origins_json (a JSON array) and answers them as stored.
 */
int		 db_widget_origins(struct db *, const char *company,
		    json_t **origins);
int		 db_widget_origins_set(struct db *, const char *company,
		    const char *origins_json, json_t **origins);
/* A key's company and that company's origins, the same way. */
int		 db_widget_by_key(struct db *, const char *key,
		    char company[UUID_LEN + 1], json_t **origins);
/* Add media kinds (a JSON array) to what the call used. */
int		 db_call_media_used(struct db *, const char *company,
		    const char *call, const char *media_json);

#endif
