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
#include "validate.h"
#include "hub.h"
#include "events.h"
#include "op.h"

/* The agent record of the signed-in user, if any: 1, 0 none, -1 error. */
static int
acting_agent(struct hctx *h, char out[UUID_LEN + 1])
{
	return op_agent_of(h->db, h->req->who.user_id, h->req->scope, out);
}

/* A page of calls, the live positions asked of the hub all at once. */
static json_t *
calls_page(const struct page *pg, const PGresult *res)
{
	json_t			*page = page_rows(pg, res, call_json, CALL_C_KEY,
				    CALL_C_ID);
	json_t			*items = json_object_get(page, "items");
	size_t			 n = json_array_size(items);
	const char		**cos = xcalloc(n + 1, sizeof *cos);
	const char		**ids = xcalloc(n + 1, sizeof *ids);
	struct hub_position	*pos = xcalloc(n + 1, sizeof *pos);

	for (size_t i = 0; i < n; i++) {
		cos[i] = PQgetvalue(res, (int)i, CALL_C_COMPANY);
		ids[i] = PQgetvalue(res, (int)i, CALL_C_ID);
	}
	hub_positions(cos, ids, n, pos);
	for (size_t i = 0; i < n; i++) {
		if (pos[i].known)
			op_call_live(json_array_get(items, i), pos[i].position,
			    pos[i].ewt);
	}
	free(cos);
	free(ids);
	free(pos);
	return page;
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
	PGresult		*res = NULL;
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
	resp_json(h->resp, 200, calls_page(&pg, res));
	rc = 0;
out:
	PQclear(res);
	for (int i = 0; i < 5; i++)
		free(v[i]);
	return rc;
}

/* Load a call the signed-in user may see; -1 with resp filled if not. */
static int
visible_call(struct hctx *h, PGresult **out)
{
	char		 me[UUID_LEN + 1];
	PGresult	*res;

	if ((res = db_call_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(res) == 1 && h->req->who.role == ROLE_AGENT &&
	    (acting_agent(h, me) != 1 || PQgetisnull(res, 0, CALL_C_AGENT) ||
	    strcmp(me, PQgetvalue(res, 0, CALL_C_AGENT)) != 0)) {
		PQclear(res);
		return resp_problem(h->resp, 404, "not_found", "no such call");
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return resp_problem(h->resp, 404, "not_found", "no such call");
	}
	*out = res;
	return 0;
}

int
calls_get(struct hctx *h)
{
	PGresult	*res = NULL, *ev;
	json_t		*o, *events;

	if (visible_call(h, &res) != 0)
		return -1;
	if ((ev = db_call_events(h->db, h->req->params[0])) == NULL) {
		PQclear(res);
		return db_fail(h->db, h->resp);
	}
	o = op_call_json(res, 0);
	events = json_array();
	for (int i = 0; i < PQntuples(ev); i++) {
		json_t *data = json_loads(PQgetvalue(ev, i, 6), 0, NULL);

		json_array_append_new(events, json_pack("{s:s,s:s,s:s?,s:s?,"
		    "s:s?,s:s?,s:o}", "type", PQgetvalue(ev, i, 0),
		    "at", PQgetvalue(ev, i, 1), "from_state", db_get(ev, i, 2),
		    "to_state", db_get(ev, i, 3), "agent_id", db_get(ev, i, 4),
		    "actor_id", db_get(ev, i, 5),
		    "data", data ? data : json_object()));
	}
	json_object_set_new(o, "events", events);
	resp_json(h->resp, 200, o);
	PQclear(res);
	PQclear(ev);
	return 0;
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
