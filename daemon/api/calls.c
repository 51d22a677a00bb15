/*
 * /api/calls: the call lifecycle. Creating a call, feeding its IVR and
 * every later move (answer, hold, transfer, hang up, wrap up) is an
 * operation (op.h); these are its REST adapters and the reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "db-recording.h"
#include "audit.h"
#include "validate.h"
#include "hub.h"
#include "events.h"
#include "op.h"
#include "op-forward.h"

/* The agent record of the signed-in user, if any: 1, 0 none, -1 error. */
static int
acting_agent(struct hctx *h, char out[UUID_LEN + 1])
{
	return op_agent_of(h->db, h->req->who.user_id, h->req->scope, out);
}

/* A page of calls, the live positions asked of the hub (of the owners')
 * all at once. */
static json_t *
calls_page(const struct page *pg, const struct call_rows *rows, int agent)
{
	size_t			 n = rows->n > pg->limit ? (size_t)pg->limit :
				    (size_t)rows->n;
	const struct call_row	*last = rows->n > pg->limit ?
				    &rows->v[n - 1] : NULL;
	json_t			*items = json_array();
	const struct call_row	**cs = xcalloc(n + 1, sizeof *cs);
	struct hub_position	*pos = xcalloc(n + 1, sizeof *pos);

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, call_row_json(&rows->v[i]));
		/* Who supervises a call is not its agent's to know. */
		if (agent)
			json_object_set_new(json_array_get(items, i),
			    "supervision", json_null());
		cs[i] = &rows->v[i];
	}
	op_positions(cs, n, pos);
	for (size_t i = 0; i < n; i++) {
		if (pos[i].known)
			op_call_live(json_array_get(items, i), pos[i].position,
			    pos[i].ewt);
	}
	free(cs);
	free(pos);
	return page_json(items, last ? last->key : NULL, last ? last->id : NULL);
}

int
calls_list(struct hctx *h)
{
	static const char *const names[] = { "state", "queue_id", "agent_id",
	    "from", "to" };
	struct call_filter	 f = { 0 };
	char			*v[5] = { 0 }, me[UUID_LEN + 1];
	const char		**slot[5] = { &f.state, &f.queue, &f.agent,
				    &f.from, &f.to };
	struct page		 pg;
	struct call_rows	*res = NULL;
	enum call_state		 st;
	int			 n, rc = -1;

	for (int i = 0; i < 5; i++)
		*slot[i] = v[i] = query_get(h->req->query, names[i]);
	if ((f.state && call_state_parse(f.state, &st) != 0) ||
	    (f.queue && !is_uuid(f.queue)) || (f.agent && !is_uuid(f.agent))) {
		resp_problem(h->resp, 400, "bad_request", "state must be a call"
		    " state, queue_id and agent_id UUIDs");
		goto out;
	}
	if (page_parse(h->req, h->resp, &pg) != 0)
		goto out;
	if (h->req->who.role == ROLE_AGENT) {
		if ((n = acting_agent(h, me)) < 0) {
			db_fail(h->db, h->resp);
			goto out;
		}
		/* Agents see only their own calls; none without a record. */
		f.agent = n ? me : "00000000-0000-0000-0000-000000000000";
	}
	if ((res = db_call_list(h->db, h->req->scope, &f, &pg)) == NULL) {
		if (h->db->err == DB_FAILED)
			resp_problem(h->resp, 400, "bad_request", "from and to"
			    " must be RFC 3339 times");
		else
			db_fail(h->db, h->resp);
		goto out;
	}
	resp_json(h->resp, 200, calls_page(&pg, res,
	    h->req->who.role == ROLE_AGENT));
	rc = 0;
out:
	call_rows_free(res);
	for (int i = 0; i < 5; i++)
		free(v[i]);
	return rc;
}

/* Load a call the signed-in user may see; -1 with resp filled if not. */
static int
visible_call(struct hctx *h, struct call_rows **out)
{
	char			 me[UUID_LEN + 1];
	struct call_rows	*res;

	if ((res = db_call_find(h->db, h->req->scope, h->req->params[0])) ==
	    NULL)
		return db_fail(h->db, h->resp);
	if (res->n == 1 && h->req->who.role == ROLE_AGENT &&
	    (acting_agent(h, me) != 1 || res->v[0].agent == NULL ||
	    strcmp(me, res->v[0].agent) != 0)) {
		call_rows_free(res);
		return resp_problem(h->resp, 404, "not_found", "no such call");
	}
	if (res->n == 0) {
		call_rows_free(res);
		return resp_problem(h->resp, 404, "not_found", "no such call");
	}
	*out = res;
	return 0;
}

int
calls_get(struct hctx *h)
{
	struct call_rows	*res = NULL;
	struct call_event_rows	*ev;
	json_t			*o, *events, *recs;

	if (visible_call(h, &res) != 0)
		return -1;
	if ((ev = db_call_events(h->db, h->req->params[0])) == NULL) {
		call_rows_free(res);
		return db_fail(h->db, h->resp);
	}
	o = op_call_json(&res->v[0]);
	if (h->req->who.role == ROLE_AGENT)
		json_object_set_new(o, "supervision", json_null());
	events = json_array();
	for (int i = 0; i < ev->n; i++) {
		if (h->req->who.role == ROLE_AGENT &&
		    strcmp(ev->v[i].type, "call.supervised") == 0)
			continue;
		json_array_append_new(events, call_event_json(&ev->v[i]));
	}
	json_object_set_new(o, "events", events);
	if ((recs = db_recording_list(h->db, res->v[0].company,
	    res->v[0].id)) == NULL) {
		json_decref(o);
		call_rows_free(res);
		call_event_rows_free(ev);
		return db_fail(h->db, h->resp);
	}
	json_object_set_new(o, "recordings", recs);
	resp_json(h->resp, 200, o);
	call_rows_free(res);
	call_event_rows_free(ev);
	return 0;
}

/*
 * GET /api/calls/:id/recordings/:rid: a recording's content, for whoever
 * may see the call (an agent only its own calls); every download is in
 * the audit log (action download).
 */
int
calls_recording(struct hctx *h)
{
	struct call_rows	*res = NULL;
	char			 file[UUID_LEN + 1], company[UUID_LEN + 1];
	const char		*rid = h->req->params[1];
	int			 n;

	if (!is_uuid(h->req->params[0]) || !is_uuid(rid))
		return resp_problem(h->resp, 404, "not_found",
		    "no such recording");
	if (visible_call(h, &res) != 0)
		return -1;
	strlcpy_(company, res->v[0].company, sizeof company);
	n = db_recording_file(h->db, company, res->v[0].id, rid, file);
	call_rows_free(res);
	if (n < 0)
		return db_fail(h->db, h->resp);
	if (n == 0)
		return resp_problem(h->resp, 404, "not_found",
		    "no such recording");
	if (audit(h->db, h->req, company, "download", "recording", rid,
	    json_pack("{s:s,s:s}", "call_id", h->req->params[0],
	    "file_id", file)) != 0)
		return db_fail(h->db, h->resp);
	h->req->scope = company;
	return files_send(h, file);
}

/* POST /api/calls: call.create (op-call.c). */
int
calls_create(struct hctx *h)
{
	struct op_in	 in = { .key = h->req->idempotency_key };

	return rest_op(h, OP_CALL_CREATE, &in);
}

/* POST /api/calls/:id/ivr/input {"type": "digits", "digits": "1"} */
int
calls_ivr_input(struct hctx *h)
{
	struct op_in	 in = { .call = h->req->params[0] };

	return rest_op(h, OP_CALL_IVR_INPUT, &in);
}

/* PUT /api/calls/:id: call.update (op-call.c). */
int
calls_update(struct hctx *h)
{
	struct op_in	 in = { .call = h->req->params[0] };

	return rest_op(h, OP_CALL_UPDATE, &in);
}

int
calls_next(struct hctx *h)
{
	return rest_op(h, OP_CALL_NEXT, NULL);
}

/* POST /api/calls/:id/<operation>: the operation is the last segment. */
int
calls_action(struct hctx *h)
{
	struct op_in	 in = { .call = h->req->params[0] };
	const char	*path = h->req->path, *end = path + strlen(path), *verb;
	const struct op_def *d;

	if (end > path && end[-1] == '/')
		end--;
	for (verb = end; verb > path && verb[-1] != '/'; verb--)
		;
	if ((d = op_by_rest(verb, end - verb)) == NULL ||
	    d->id == OP_AGENT_STATE)
		return resp_problem(h->resp, 404, "not_found", "no such resource");
	return rest_op(h, d->id, &in);
}
