/* SQL for website-widget keys and origins, and a call's media used. */
#include <stdlib.h>

#include "xmalloc.h"
#include "db.h"
#include "db-widget.h"

enum widget_col {
	WIDGET_C_ID, WIDGET_C_COMPANY, WIDGET_C_KEY, WIDGET_C_NAME,
	WIDGET_C_CREATED, WIDGET_C_ROTATED,
};

#define COLS "id, company_id, key, name, " SQL_TIME("created_at") ", " \
	SQL_TIME("rotated_at")

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM widget_keys"
	" WHERE company_id = $1 ORDER BY created_at, id" };
static struct db_stmt st_create = { .sql = "INSERT INTO widget_keys"
	" (company_id, key, name) SELECT id, $2, $3 FROM companies"
	" WHERE id = $1 RETURNING " COLS };
static struct db_stmt st_rotate = { .sql = "UPDATE widget_keys"
	" SET key = $3, rotated_at = now() WHERE company_id = $1 AND id = $2"
	" RETURNING " COLS };
static struct db_stmt st_delete = { .sql = "DELETE FROM widget_keys"
	" WHERE company_id = $1 AND id = $2 RETURNING id" };

static struct db_stmt st_origins = { .sql = "SELECT"
	" array_to_json(widget_origins) FROM companies WHERE id = $1" };
static struct db_stmt st_origins_set = { .sql = "UPDATE companies SET"
	" widget_origins = ARRAY(SELECT json_array_elements_text($2::json)),"
	" updated_at = now() WHERE id = $1"
	" RETURNING array_to_json(widget_origins)" };
static struct db_stmt st_by_key = { .sql = "SELECT k.company_id,"
	" array_to_json(c.widget_origins) FROM widget_keys k"
	" JOIN companies c ON c.id = k.company_id WHERE k.key = $1" };
static struct db_stmt st_media = { .sql = "UPDATE calls SET media_used ="
	" ARRAY(SELECT DISTINCT m FROM unnest(media_used ||"
	" ARRAY(SELECT json_array_elements_text($3::json))) m ORDER BY m)"
	" WHERE company_id = $1 AND id = $2" };

/* The rows of res, which it clears; NULL if res is. */
static struct widget_keys *
widget_keys(PGresult *res)
{
	struct widget_keys	*rows;
	struct widget_key	*k;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		k = &rows->v[r];
		db_copy(k->id, sizeof k->id, res, r, WIDGET_C_ID);
		db_copy(k->company, sizeof k->company, res, r, WIDGET_C_COMPANY);
		k->key = xstrdup(PQgetvalue(res, r, WIDGET_C_KEY));
		k->name = db_dup(res, r, WIDGET_C_NAME);
		db_copy(k->created, sizeof k->created, res, r, WIDGET_C_CREATED);
		k->rotated = db_dup(res, r, WIDGET_C_ROTATED);
	}
	PQclear(res);
	return rows;
}

void
widget_keys_free(struct widget_keys *rows)
{
	if (rows == NULL)
		return;
	for (int r = 0; r < rows->n; r++) {
		free(rows->v[r].key);
		free(rows->v[r].name);
		free(rows->v[r].rotated);
	}
	free(rows->v);
	free(rows);
}

json_t *
widget_key_json(const struct widget_key *k)
{
	return json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s?}",
	    "id", k->id, "company_id", k->company, "key", k->key,
	    "name", k->name, "created_at", k->created,
	    "rotated_at", k->rotated);
}

struct widget_keys *
db_widget_list(struct db *db, const char *company)
{
	const char	*p[] = { company };

	return widget_keys(db_run(db, &st_list, 1, p));
}

struct widget_keys *
db_widget_create(struct db *db, const char *company, const char *key,
    const char *name)
{
	const char	*p[] = { company, key, name };

	return widget_keys(db_run(db, &st_create, 3, p));
}

struct widget_keys *
db_widget_rotate(struct db *db, const char *company, const char *id,
    const char *key)
{
	const char	*p[] = { company, id, key };

	return widget_keys(db_run(db, &st_rotate, 3, p));
}

int
db_widget_delete(struct db *db, const char *company, const char *id)
{
	const char	*p[] = { company, id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_delete, 2, p)) == NULL)
		return -1;
	n = PQntuples(res) > 0;
	PQclear(res);
	return n;
}

/*
 * Column c of res's one row, a JSON array, into *origins (an empty one if
 * it cannot be read), and col 0 into company if given; res cleared.
 */
static int
origins(PGresult *res, int c, char company[UUID_LEN + 1], json_t **out)
{
	int	 n;

	*out = NULL;
	if (res == NULL)
		return -1;
	if ((n = PQntuples(res) == 1)) {
		*out = json_loads(PQgetvalue(res, 0, c), 0, NULL);
		if (*out == NULL)
			*out = json_array();
		if (company != NULL)
			db_copy(company, UUID_LEN + 1, res, 0, 0);
	}
	PQclear(res);
	return n;
}

int
db_widget_origins(struct db *db, const char *company, json_t **out)
{
	const char	*p[] = { company };

	return origins(db_run(db, &st_origins, 1, p), 0, NULL, out);
}

int
db_widget_origins_set(struct db *db, const char *company,
    const char *origins_json, json_t **out)
{
	const char	*p[] = { company, origins_json };

	return origins(db_run(db, &st_origins_set, 2, p), 0, NULL, out);
}

int
db_widget_by_key(struct db *db, const char *key, char company[UUID_LEN + 1],
    json_t **out)
{
	const char	*p[] = { key };

	company[0] = '\0';
	return origins(db_run(db, &st_by_key, 1, p), 1, company, out);
}

int
db_call_media_used(struct db *db, const char *company, const char *call,
    const char *media_json)
{
	const char	*p[] = { company, call, media_json };
	PGresult	*r;

	if ((r = db_run(db, &st_media, 3, p)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}
