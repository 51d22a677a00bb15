/* SQL of cross-node events (db-cluster-events.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-cluster-events.h"

static struct db_stmt st_send = { .sql =
	"SELECT cluster_events_notify($1::text[])" };
static struct db_stmt st_put = { .sql = "INSERT INTO cluster_events"
	" (node_id, body) VALUES ($1, $2) RETURNING id" };
static struct db_stmt st_get = { .sql =
	"SELECT body FROM cluster_events WHERE id = $1::bigint" };
static struct db_stmt st_prune = { .sql = "DELETE FROM cluster_events"
	" WHERE created_at < now() - interval '1 minute'" };

int
db_cluster_events_listen(struct db *db)
{
	PGresult	*res;

	if ((res = db_query(db, "LISTEN " CLUSTER_CH_EVENTS, 0, NULL)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* A PostgreSQL array literal of the payloads. Caller frees. */
static char *
array_literal(const char *const *v, int n)
{
	size_t	 len = 3, j = 0;
	char	*out;

	for (int i = 0; i < n; i++)
		len += strlen(v[i]) * 2 + 3;
	out = xmalloc(len);
	out[j++] = '{';
	for (int i = 0; i < n; i++) {
		if (i > 0)
			out[j++] = ',';
		out[j++] = '"';
		for (const char *s = v[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				out[j++] = '\\';
			out[j++] = *s;
		}
		out[j++] = '"';
	}
	out[j++] = '}';
	out[j] = '\0';
	return out;
}

int
db_cluster_events_send(struct db *db, const char *const *payloads, int n)
{
	char		*arr = array_literal(payloads, n);
	const char	*p[1] = { arr };
	int		 rc;

	rc = db_exec(db, &st_send, 1, p);
	free(arr);
	return rc;
}

long long
db_cluster_events_put(struct db *db, const char *node, const char *body)
{
	const char	*p[2] = { node, body };
	PGresult	*res;
	long long	 id;

	if ((res = db_run(db, &st_put, 2, p)) == NULL)
		return -1;
	id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return id;
}

int
db_cluster_events_get(struct db *db, long long id, char **body)
{
	char		 s[24];
	const char	*p[1] = { s };
	PGresult	*res;
	int		 found;

	snprintf(s, sizeof s, "%lld", id);
	if ((res = db_run(db, &st_get, 1, p)) == NULL)
		return -1;
	if ((found = PQntuples(res) == 1))
		*body = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return found;
}

int
db_cluster_events_prune(struct db *db)
{
	return db_exec(db, &st_prune, 0, NULL);
}
