/* The reference resolver: ids named in a request, found in one company. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-ref.h"

/*
 * Each kind: the first of $2's ids (a uuid[]) that is not a row of the
 * table in company $1, by its position; no row when all are.
 */
#define MISSING(table) "SELECT u.i FROM unnest($2::uuid[]) WITH ORDINALITY" \
	" AS u(id, i) WHERE NOT EXISTS (SELECT 1 FROM " table " t" \
	" WHERE t.id = u.id AND t.company_id = $1::uuid) ORDER BY u.i LIMIT 1"

/*
 * A row of table in company $1 whose id or (case-insensitive) name is $2;
 * an id wins over a name.
 */
#define BY_NAME(table) "SELECT id FROM " table " WHERE company_id = $1::uuid" \
	" AND (id::text = lower($2) OR lower(name) = lower($2))" \
	" ORDER BY id::text = lower($2) DESC LIMIT 1"

static struct {
	const char	*name;
	struct db_stmt	 st;
	struct db_stmt	 by_name;	/* .sql NULL: not named */
} kinds[REF__COUNT] = {
	[REF_AGENT] = { "agent", { .sql = MISSING("agents") } },
	[REF_QUEUE] = { "queue", { .sql = MISSING("queues") },
	    { .sql = BY_NAME("queues") } },
	[REF_USER] = { "user", { .sql = MISSING("users") } },
	[REF_IVR_FLOW] = { "flow", { .sql = MISSING("ivr_flows") } },
	[REF_FILE] = { "file", { .sql = MISSING("files") } },
};

const char *
db_ref_name(enum ref_kind k)
{
	return kinds[k].name;
}

int
db_ref_check(struct db *db, const char *company, enum ref_kind k,
    const char *const *ids, int n, int *bad)
{
	PGresult	*res;
	const char	*p[2];
	char		*arr, *end;
	size_t		 len = 3;
	int		 rc;

	*bad = -1;
	if (n == 0)
		return 1;
	if (company == NULL) {	/* no company: nothing is in it */
		*bad = 0;
		return 0;
	}
	/* A PostgreSQL array literal; UUIDs need no quoting. */
	for (int i = 0; i < n; i++)
		len += strlen(ids[i]) + 1;
	arr = end = xmalloc(len);
	*end++ = '{';
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ids[i]);

		memcpy(end, ids[i], l);
		end += l;
		*end++ = i + 1 < n ? ',' : '}';
	}
	*end = '\0';
	p[0] = company;
	p[1] = arr;
	res = db_run(db, &kinds[k].st, 2, p);
	free(arr);
	if (res == NULL)
		return -1;
	if ((rc = PQntuples(res) == 0) == 0)
		*bad = atoi(PQgetvalue(res, 0, 0)) - 1;
	PQclear(res);
	return rc;
}

int
db_ref_one(struct db *db, const char *company, enum ref_kind k, const char *id)
{
	int	 bad;

	return db_ref_check(db, company, k, &id, 1, &bad);
}

int
db_ref_by_name(struct db *db, const char *company, enum ref_kind k,
    const char *name_or_id, char id[UUID_LEN + 1])
{
	PGresult	*res;
	const char	*p[2] = { company, name_or_id };
	int		 rc;

	id[0] = '\0';
	if (company == NULL || kinds[k].by_name.sql == NULL)
		return 0;
	if ((res = db_run(db, &kinds[k].by_name, 2, p)) == NULL)
		return -1;
	if ((rc = PQntuples(res) == 1))
		strlcpy_(id, PQgetvalue(res, 0, 0), UUID_LEN + 1);
	PQclear(res);
	return rc;
}
