/*
 * call.purge (OPTX_ADMIN): a data subject's request. Every row of the
 * company that holds personal data of a caller number is anonymised in
 * the dispatcher's transaction (db-purge.h), keeping what the analytics
 * count (states, times, durations, queues, agents, outcomes); the
 * recordings' rows go with it and their contents into the storage trash,
 * deleted from the storage once the transaction committed
 * (op_purge_applied()), or by the sweeper when that fails. A number with
 * a call still live is refused and nothing changes. The audit log keeps
 * no number: a keyed hash of it (purge_mark()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "db-company.h"
#include "db-purge.h"
#include "hmac.h"
#include "validate.h"
#include "op.h"
#include "op-int.h"
#include "op-retention.h"

static const char *const purge_fields[] = { "caller_number", "company_id",
    NULL };

/*
 * What the audit log records of the number: base64 of HMAC-SHA256 under
 * the daemon's signing key of "caller-purge:<company>:<number>". Whoever
 * holds the key can tell whether a given number was purged; nobody reads
 * the number back from the log. Caller frees.
 */
static char *
purge_mark(const char *company, const char *number)
{
	char	*msg, *mark;

	msg = xasprintf("caller-purge:%s:%s", company, number);
	mark = hmac_b64(HMAC_SHA256, tkey.key, tkey.len, msg, strlen(msg));
	free(msg);
	return mark;
}

void
op_call_purge(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct purge_counts	 c;
	struct company_rows	*co;
	struct fields		 f;
	const char		*company, *number = NULL;
	char			*mark;

	(void)a;
	fields_init(&f);
	fields_only(in->body, purge_fields, &f);
	field_string(in->body, "caller_number", 1, OP_MAX_NUMBER, &f, &number);
	company = field_company(scope, in->body, &f);
	if (fields_any(&f)) {
		op_fail_fields(out, &f);
		fields_free(&f);
		return;
	}
	fields_free(&f);
	if (scope == NULL) {
		if ((co = db_company_get(db, NULL, company)) == NULL)
			return op_fail_db(out, db);
		if (co->n == 0) {
			company_rows_free(co);
			out->field = "company_id";
			return op_fail(out, 422, "validation_failed",
			    "no such company");
		}
		company_rows_free(co);
	}
	if (db_purge_caller(db, company, number, &c) != 0)
		return op_fail_db(out, db);
	if (c.live > 0)
		return op_fail(out, 409, "caller_has_live_calls", "%d call%s of"
		    " this number %s not ended; end %s first, nothing was"
		    " purged", c.live, c.live == 1 ? "" : "s",
		    c.live == 1 ? "has" : "have", c.live == 1 ? "it" : "them");
	strlcpy_(out->id, company, sizeof out->id);
	strlcpy_(out->company, company, sizeof out->company);
	out->status = 200;
	out->obj = json_pack("{s:s,s:i,s:i}", "company_id", company,
	    "calls_anonymised", c.calls, "recordings_deleted", c.recordings);
	mark = purge_mark(company, number);
	out->audit = json_pack("{s:s?,s:i,s:i}", "caller_hmac", mark,
	    "calls", c.calls, "recordings", c.recordings);
	free(mark);
}

void
op_purge_applied(struct db *db, const struct op_out *out)
{
	if (out->status >= 400)
		return;
	if (op_trash_empty(db, out->company) < 0)
		log_warn("purge: the recordings of company %s stay in the"
		    " storage trash for the sweeper", out->company);
}
