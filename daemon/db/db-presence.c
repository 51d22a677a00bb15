/*
 * agent_presence (db-presence.h): each node's count of its open sockets per
 * agent. A node's writes carry its own sequence number, so a write that
 * reaches the database late never undoes a later one; a node counts as
 * live while its registration has not run out (cluster_nodes.expires_at).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-presence.h"

#define LIVE(n)	"EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.id = " n \
		" AND n.expires_at > now())"

static struct db_stmt st_put = { .sql =
	"WITH put AS (INSERT INTO agent_presence AS p"
	" (agent_id, node_id, company_id, sockets, seq)"
	" SELECT a.id, $1::uuid, a.company_id, x.n, $4::bigint"
	" FROM unnest($2::uuid[], $3::int[]) AS x (agent, n)"
	" JOIN agents a ON a.id = x.agent"
	" WHERE EXISTS (SELECT 1 FROM cluster_nodes WHERE id = $1::uuid)"
	" ON CONFLICT (agent_id, node_id) DO UPDATE"
	" SET sockets = EXCLUDED.sockets, seq = EXCLUDED.seq"
	" WHERE p.seq < EXCLUDED.seq)"
	" UPDATE agent_presence SET sockets = 0, seq = $4::bigint"
	" WHERE $5::bool AND node_id = $1::uuid AND sockets > 0"
	" AND seq < $4::bigint AND agent_id <> ALL ($2::uuid[])" };
static struct db_stmt st_live = { .sql =
	"SELECT coalesce(sum(p.sockets), 0) FROM agent_presence p"
	" WHERE p.agent_id = $1::uuid AND p.sockets > 0 AND " LIVE("p.node_id") };
static struct db_stmt st_dead = { .sql =
	"SELECT p.company_id, p.agent_id, p.node_id, p.sockets"
	" FROM agent_presence p WHERE NOT " LIVE("p.node_id")
	" ORDER BY p.company_id, p.agent_id LIMIT 1000" };
static struct db_stmt st_drop = { .sql =
	"DELETE FROM agent_presence p WHERE p.agent_id = $1::uuid"
	" AND p.node_id = $2::uuid AND NOT " LIVE("p.node_id") };
static struct db_stmt st_leave = { .sql =
	"DELETE FROM agent_presence WHERE node_id = $1::uuid" };

int
db_presence_put(struct db *db, const char *node, int n,
    const char (*agents)[UUID_LEN + 1], const int *counts, long long seq,
    int all)
{
	char		*ids, *cs, s[24];
	const char	*p[5];
	size_t		 ilen = (size_t)n * (UUID_LEN + 1) + 3;
	size_t		 clen = (size_t)n * 12 + 3, io = 0, co = 0;
	int		 rc;

	ids = xmalloc(ilen);
	cs = xmalloc(clen);
	ids[io++] = '{';
	cs[co++] = '{';
	for (int i = 0; i < n; i++) {
		io += (size_t)snprintf(ids + io, ilen - io, "%s%s",
		    i > 0 ? "," : "", agents[i]);
		co += (size_t)snprintf(cs + co, clen - co, "%s%d",
		    i > 0 ? "," : "", counts[i]);
	}
	snprintf(ids + io, ilen - io, "}");
	snprintf(cs + co, clen - co, "}");
	snprintf(s, sizeof s, "%lld", seq);
	p[0] = node;
	p[1] = ids;
	p[2] = cs;
	p[3] = s;
	p[4] = all ? "true" : "false";
	rc = db_exec(db, &st_put, 5, p);
	free(ids);
	free(cs);
	return rc;
}

int
db_presence_live(struct db *db, const char *agent)
{
	const char	*p[1] = { agent };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_live, 1, p)) == NULL)
		return -1;
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

struct presence_rows *
db_presence_dead(struct db *db)
{
	struct presence_rows	*r;
	PGresult		*res;

	if ((res = db_run(db, &st_dead, 0, NULL)) == NULL)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->n = PQntuples(res);
	r->v = xcalloc((size_t)r->n + 1, sizeof *r->v);
	for (int i = 0; i < r->n; i++) {
		db_copy(r->v[i].company, sizeof r->v[i].company, res, i, 0);
		db_copy(r->v[i].agent, sizeof r->v[i].agent, res, i, 1);
		db_copy(r->v[i].node, sizeof r->v[i].node, res, i, 2);
		r->v[i].sockets = atoi(PQgetvalue(res, i, 3));
	}
	PQclear(res);
	return r;
}

void
presence_rows_free(struct presence_rows *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r);
}

int
db_presence_drop(struct db *db, const char *agent, const char *node)
{
	const char	*p[2] = { agent, node };

	return db_exec(db, &st_drop, 2, p);
}

int
db_presence_leave(struct db *db, const char *node)
{
	const char	*p[1] = { node };

	return db_exec(db, &st_leave, 1, p);
}
