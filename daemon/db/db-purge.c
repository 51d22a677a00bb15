/* SQL of a caller's purge (db-purge.h). */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-purge.h"

#define FINAL	"('completed', 'abandoned', 'missed', 'failed', 'transferred')"

/* $1 company, $2 number: the calls, locked, and whether each is live. */
static struct db_stmt st_calls = { .sql = "SELECT id, state NOT IN " FINAL
	" FROM calls WHERE company_id = $1"
	" AND (caller_number = $2 OR callback_number = $2)"
	" ORDER BY id FOR UPDATE" };

/* Each of these: $1 company, $2 the calls (uuid[]). */
static struct db_stmt st_events = { .sql = "UPDATE call_events"
	" SET data = caller_purge_details(data)"
	" WHERE company_id = $1 AND call_id = ANY ($2::uuid[])"
	" AND data <> caller_purge_details(data)" };
static struct db_stmt st_ivr = { .sql = "UPDATE ivr_sessions s"
	" SET state = s.state || '{\"variables\": {}, \"caller\": {}}'"
	" FROM calls c WHERE c.id = s.call_id AND c.company_id = $1"
	" AND s.call_id = ANY ($2::uuid[])" };
static struct db_stmt st_hooks = { .sql = "WITH d AS (UPDATE"
	" webhook_deliveries SET payload = caller_purge_payload(payload)"
	" WHERE company_id = $1"
	" AND payload->'data'->'call'->>'id' = ANY ($2::text[])"
	" RETURNING id)"
	" UPDATE webhook_attempts a SET response = NULL FROM d"
	" WHERE a.delivery_id = d.id AND a.response IS NOT NULL" };
static struct db_stmt st_twilio = { .sql = "UPDATE twilio_calls"
	" SET twiml = NULL WHERE company_id = $1"
	" AND call_id = ANY ($2::uuid[]) AND twiml IS NOT NULL" };
/* A browser upload not finished: its pieces to the trash (its id). */
static struct db_stmt st_uploads = { .sql = "WITH u AS (DELETE FROM"
	" recording_uploads WHERE company_id = $1"
	" AND call_id = ANY ($2::uuid[]) AND completed_at IS NULL"
	" RETURNING id, company_id)"
	" INSERT INTO storage_trash (file_id, company_id)"
	" SELECT id, company_id FROM u ON CONFLICT DO NOTHING" };
static struct db_stmt st_fetches = { .sql = "DELETE FROM recording_fetches"
	" WHERE company_id = $1 AND call_id = ANY ($2::uuid[])" };
static struct db_stmt st_recordings = { .sql = "WITH r AS (DELETE FROM"
	" call_recordings WHERE company_id = $1 AND call_id = ANY ($2::uuid[])"
	" RETURNING file_id),"
	" f AS (DELETE FROM files USING r WHERE files.id = r.file_id"
	" RETURNING files.id, files.company_id)"
	" INSERT INTO storage_trash (file_id, company_id)"
	" SELECT id, company_id FROM f ON CONFLICT DO NOTHING RETURNING 1" };
static struct db_stmt st_anon = { .sql = "UPDATE calls SET"
	" caller_number = NULL, caller_name = NULL, caller_data = '{}',"
	" notes = NULL, callback_number = NULL, purged_at = now()"
	" WHERE company_id = $1 AND id = ANY ($2::uuid[])" };

int
db_purge_caller(struct db *db, const char *company, const char *number,
    struct purge_counts *c)
{
	struct db_stmt	*anon[] = { &st_events, &st_ivr, &st_hooks, &st_twilio,
			    &st_fetches, &st_uploads };
	const char	*p[2] = { company, number };
	PGresult	*res;
	char		*ids = NULL;
	size_t		 len;
	int		 i, n, rc = -1;

	memset(c, 0, sizeof *c);
	if ((res = db_run(db, &st_calls, 2, p)) == NULL)
		return -1;
	n = PQntuples(res);
	/* The calls as an array literal: "{id,id}". */
	ids = xmalloc((size_t)n * (UUID_LEN + 1) + 3);
	len = 0;
	ids[len++] = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			ids[len++] = ',';
		memcpy(ids + len, PQgetvalue(res, i, 0), UUID_LEN);
		len += UUID_LEN;
		if (strcmp(PQgetvalue(res, i, 1), "t") == 0)
			c->live++;
	}
	ids[len++] = '}';
	ids[len] = '\0';
	PQclear(res);
	if (c->live > 0 || n == 0) {
		rc = 0;
		goto out;
	}
	p[1] = ids;
	for (i = 0; i < (int)(sizeof anon / sizeof anon[0]); i++) {
		if (db_exec(db, anon[i], 2, p) != 0)
			goto out;
	}
	if ((res = db_run(db, &st_recordings, 2, p)) == NULL)
		goto out;
	c->recordings = PQntuples(res);
	PQclear(res);
	if (db_exec(db, &st_anon, 2, p) != 0)
		goto out;
	c->calls = n;
	rc = 0;
out:
	free(ids);
	return rc;
}
