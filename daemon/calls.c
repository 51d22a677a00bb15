/*
 * /api/calls: the call lifecycle. Creating a call queues it through the
 * hub; every later move (answer, hold, transfer, hang up, wrap up) is a
 * hub operation that persists first and then tells the ACD.
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
#include "db-agent.h"
#include "validate.h"
#include "hub.h"
#include "events.h"

/* The agent record of the signed-in user, if any: 1, 0 none, -1 error. */
static int
acting_agent(struct hctx *h, char out[UUID_LEN + 1])
{
	PGresult	*res;
	int		 found;

	out[0] = '\0';
	if (h->req->who.user_id[0] == '\0')
		return 0;
	if ((res = db_agent_by_user(h->db, h->req->who.user_id)) == NULL)
		return -1;
	if ((found = PQntuples(res) == 1))
		strlcpy_(out, PQgetvalue(res, 0, AGENT_C_ID), UUID_LEN + 1);
	PQclear(res);
	return found;
}

/* Live facts of a waiting call: its position and estimated wait. */
static void
live_set(json_t *o, const struct hub_position *p)
{
	if (!p->known)
		return;
	json_object_set_new(o, "position", json_integer(p->position));
	json_object_set_new(o, "estimated_wait", p->ewt < 0 ? json_null() :
	    json_integer(p->ewt));
}

/* A call's JSON with its live position while it waits. */
static json_t *
call_live_json(const PGresult *res, int r)
{
	json_t			*o = call_json(res, r);
	struct hub_position	 p;

	p.known = hub_position(PQgetvalue(res, r, CALL_C_COMPANY),
	    PQgetvalue(res, r, CALL_C_ID), &p.position, &p.ewt) == 0;
	live_set(o, &p);
	return o;
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
	for (size_t i = 0; i < n; i++)
		live_set(json_array_get(items, i), &pos[i]);
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
	PGresult	*res, *ev;
	json_t		*o, *events;

	if (visible_call(h, &res) != 0)
		return -1;
	if ((ev = db_call_events(h->db, h->req->params[0])) == NULL) {
		PQclear(res);
		return db_fail(h->db, h->resp);
	}
	o = call_live_json(res, 0);
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

static const char *const create_keys[] = { "queue_id", "caller_number",
	"caller_name", "caller_data", "priority", "skills", "media",
	"company_id", "ivr", "ivr_flow_id", NULL };

int
calls_create(struct hctx *h)
{
	json_t			*b = h->req->body, *skills, *data;
	struct fields		 f;
	struct call_new		 c = { 0 };
	struct hub_result	 r;
	const char		*key = h->req->idempotency_key, *flow = NULL;
	int			 ivr = 0, rc;
	char			 prio[16], *sk = NULL, *cd = NULL;
	long long		 p;
	PGresult		*row = NULL, *fl = NULL;

	if (b == NULL)
		b = h->req->body = json_object();
	fields_init(&f);
	fields_only(b, create_keys, &f);
	c.company = field_company(h->req, b, &f);
	if (field_string(b, "queue_id", 0, 36, &f, &c.queue) == 1 &&
	    !is_uuid(c.queue))
		fields_add(&f, "queue_id", "must be a UUID");
	field_string(b, "caller_number", 0, 32, &f, &c.number);
	field_string(b, "caller_name", 0, 100, &f, &c.name);
	if ((data = json_object_get(b, "caller_data")) != NULL &&
	    !json_is_object(data))
		fields_add(&f, "caller_data", "must be an object");
	if (field_int(b, "priority", -1000, 1000, &f, &p) == 1) {
		snprintf(prio, sizeof prio, "%lld", p);
		c.priority = prio;
	}
	field_skills(b, "skills", &f, &skills);
	if (field_string(b, "media", 0, 16, &f, &c.media) == 1 &&
	    strcmp(c.media, "voice") && strcmp(c.media, "video") &&
	    strcmp(c.media, "screen_share"))
		fields_add(&f, "media", "must be voice, video or screen_share");
	/* "ivr": true enters the entry flow; "ivr_flow_id" a chosen one. */
	if (json_object_get(b, "ivr") != NULL &&
	    !json_is_boolean(json_object_get(b, "ivr")))
		fields_add(&f, "ivr", "must be true or false");
	if (field_string(b, "ivr_flow_id", 0, 36, &f, &flow) == 1 &&
	    !is_uuid(flow))
		fields_add(&f, "ivr_flow_id", "must be a UUID");
	if (flow != NULL || json_is_true(json_object_get(b, "ivr"))) {
		ivr = 1;
		if (c.queue != NULL)
			fields_add(&f, "queue_id", "a call enters a flow or a"
			    " queue, not both");
	}
	if (key != NULL && (strlen(key) == 0 || strlen(key) > 200))
		fields_add(&f, "Idempotency-Key", "must be 1-200 characters");
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	c.key = key;
	c.created_by = h->req->who.user_id[0] ? h->req->who.user_id : NULL;
	if (key != NULL) {
		/* A retry: answer what the first request created. */
		if ((row = db_call_by_key(h->db, c.company, key)) == NULL)
			return db_fail(h->db, h->resp);
		if (PQntuples(row) == 1)
			goto replay;
		PQclear(row);
	}
	/* Nothing is created for a call that has no flow to enter. */
	if (ivr && (fl = ivr_run_flow(h, c.company, flow)) == NULL &&
	    !h->req->keep_refused)
		return -1;
	if (skills != NULL)
		c.skills = sk = json_dumps(skills, JSON_COMPACT);
	if (data != NULL)
		c.data = cd = json_dumps(data, JSON_COMPACT);
	row = db_call_insert(h->db, &c);
	free(sk);
	free(cd);
	if (row == NULL && h->db->err == DB_UNIQUE && key != NULL) {
		PQclear(fl);
		if ((row = db_call_by_key(h->db, c.company, key)) == NULL)
			return db_fail(h->db, h->resp);
		goto replay;
	}
	if (row == NULL) {
		PQclear(fl);
		return db_fail(h->db, h->resp);
	}
	if (PQntuples(row) == 0) {
		PQclear(fl);
		PQclear(row);
		fields_init(&f);
		fields_add(&f, "queue_id", "no such queue");
		return resp_invalid(h->resp, &f);
	}
	events_publish(c.company, "call.created", call_json(row, 0));
	if (ivr && fl == NULL) {	/* keep_refused: answered already */
		PQclear(row);
		return -1;
	}
	if (ivr) {
		rc = ivr_run_start(h, row, fl);
		if (rc == 0)
			h->resp->location = xasprintf("/api/calls/%s",
			    PQgetvalue(row, 0, CALL_C_ID));
		PQclear(row);
		return rc;
	}
	hub_enqueue(h->db, row, &r);
	if (r.status >= 400) {
		PQclear(row);
		return resp_problem(h->resp, r.status, r.code, "%s", r.detail);
	}
	h->resp->location = xasprintf("/api/calls/%s", PQgetvalue(row, 0,
	    CALL_C_ID));
	/* No position here: counting it costs O(waiting); GET has it. */
	resp_json(h->resp, 201, call_json(row, 0));
	PQclear(row);
	return 0;
replay:
	h->resp->location = xasprintf("/api/calls/%s", PQgetvalue(row, 0,
	    CALL_C_ID));
	resp_json(h->resp, 201, call_live_json(row, 0));
	PQclear(row);
	return 0;
}

int
calls_update(struct hctx *h)
{
	static const char *const keys[] = { "notes", "tags", "disposition",
	    "caller_data", "priority", NULL };
	json_t		*b = h->req->body, *tags, *data, *t;
	struct fields	 f;
	const char	*notes, *disp;
	char		 prio[16], *tg = NULL, *cd = NULL;
	long long	 p;
	int		 has_prio = 0;
	size_t		 i;
	PGresult	*res;

	fields_init(&f);
	fields_only(b, keys, &f);
	field_string(b, "notes", 0, 10000, &f, &notes);
	field_string(b, "disposition", 0, 100, &f, &disp);
	if ((tags = json_object_get(b, "tags")) != NULL) {
		if (!json_is_array(tags) || json_array_size(tags) > 50)
			fields_add(&f, "tags", "must be a list of at most 50");
		json_array_foreach(tags, i, t) {
			if (!json_is_string(t) || json_string_length(t) == 0 ||
			    json_string_length(t) > 50) {
				fields_add(&f, "tags", "tags are 1-50 characters");
				break;
			}
		}
	}
	if ((data = json_object_get(b, "caller_data")) != NULL &&
	    !json_is_object(data))
		fields_add(&f, "caller_data", "must be an object");
	if (field_int(b, "priority", -1000, 1000, &f, &p) == 1) {
		if (h->req->who.role == ROLE_AGENT)
			fields_add(&f, "priority", "only managers change it");
		snprintf(prio, sizeof prio, "%lld", p);
		has_prio = 1;
	}
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	if (visible_call(h, &res) != 0)
		return -1;
	PQclear(res);
	if (tags != NULL) {
		/* A PostgreSQL array literal from the JSON list. */
		tg = xstrdup("{");
		json_array_foreach(tags, i, t) {
			char *esc = xstrdup(json_string_value(t)), *next;

			for (char *q = esc; *q != '\0'; q++) {
				if (*q == '"' || *q == '\\' || *q == '{' ||
				    *q == '}' || *q == ',')
					*q = '_';
			}
			next = xasprintf("%s%s\"%s\"", tg, i ? "," : "", esc);
			free(tg);
			free(esc);
			tg = next;
		}
		cd = xasprintf("%s}", tg);
		free(tg);
		tg = cd;
		cd = NULL;
	}
	if (data != NULL)
		cd = json_dumps(data, JSON_COMPACT);
	res = db_call_update(h->db, h->req->scope, h->req->params[0], notes, tg,
	    disp, cd, has_prio ? prio : NULL);
	free(tg);
	free(cd);
	if (res == NULL)
		return db_fail(h->db, h->resp);
	resp_json(h->resp, 200, call_live_json(res, 0));
	PQclear(res);
	return 0;
}

/* Answer a hub result. */
static int
hub_answer(struct hctx *h, struct hub_result *r)
{
	if (r->status >= 400) {
		PQclear(r->row);
		return resp_problem(h->resp, r->status, r->code, "%s", r->detail);
	}
	if (r->status == 204 || r->row == NULL) {
		resp_empty(h->resp);
		return 0;
	}
	resp_json(h->resp, 200, call_live_json(r->row, 0));
	PQclear(r->row);
	return 0;
}

int
calls_next(struct hctx *h)
{
	struct hub_result	 r;
	char			 me[UUID_LEN + 1];
	int			 n;

	if ((n = acting_agent(h, me)) < 0)
		return db_fail(h->db, h->resp);
	if (n == 0)
		return resp_problem(h->resp, 403, "forbidden",
		    "you are not set up as an agent");
	hub_next(h->db, h->req->scope, me, &r);
	return hub_answer(h, &r);
}

/* Operations that act on one call; the table says what each needs. */
static const struct {
	const char	*name;
	enum hub_op	 op;
	int		 as_agent;	/* needs the caller's agent record */
	int		 manager;	/* managers may, as themselves */
	const char	*target;	/* body field naming an agent or queue */
} call_ops[] = {
	{ "answer", HUB_ANSWER, 1, 0, NULL },
	{ "reject", HUB_REJECT, 1, 0, NULL },
	{ "hold", HUB_HOLD, 1, 1, NULL },
	{ "resume", HUB_RESUME, 1, 1, NULL },
	{ "hangup", HUB_HANGUP, 1, 1, NULL },
	{ "wrap", HUB_WRAP, 1, 1, NULL },
	{ "assign", HUB_ASSIGN, 0, 1, "agent_id" },
	{ "transfer", HUB_TRANSFER_AGENT, 1, 1, "agent_id" },
};

static int
call_op(struct hctx *h, const char *name)
{
	static const char *const keys[] = { "agent_id", "queue_id", "reason",
	    "disposition", "notes", NULL };
	struct hub_call_op	 op = { 0 };
	struct hub_result	 r;
	struct fields		 f;
	char			 me[UUID_LEN + 1];
	const char		*s;
	size_t			 i;
	int			 n;

	for (i = 0; i < sizeof call_ops / sizeof call_ops[0]; i++) {
		if (strcmp(call_ops[i].name, name) == 0)
			break;
	}
	if (i == sizeof call_ops / sizeof call_ops[0])
		return resp_problem(h->resp, 404, "not_found", "no such resource");
	op.op = call_ops[i].op;
	op.company = h->req->scope;
	op.call = h->req->params[0];
	op.actor = h->req->who.user_id[0] ? h->req->who.user_id : NULL;
	op.data = h->req->body;
	if (op.data != NULL) {
		fields_init(&f);
		fields_only(op.data, keys, &f);
		for (const char *const *k = keys; *k != NULL; k++)
			field_string(op.data, *k, 0, 1000, &f, &s);
		if (call_ops[i].target != NULL) {
			const char *a = json_string_value(json_object_get(op.data,
			    "agent_id"));
			const char *q = json_string_value(json_object_get(op.data,
			    "queue_id"));

			if (op.op == HUB_TRANSFER_AGENT && a == NULL && q != NULL)
				op.op = HUB_TRANSFER_QUEUE;
			op.target = op.op == HUB_TRANSFER_QUEUE ? q : a;
			if (op.target == NULL || !is_uuid(op.target))
				fields_add(&f, call_ops[i].target, "must be the"
				    " UUID of %s", op.op == HUB_ASSIGN ?
				    "an agent" : "an agent (agent_id) or a queue"
				    " (queue_id)");
		}
		if (fields_any(&f))
			return resp_invalid(h->resp, &f);
		fields_free(&f);
	} else if (call_ops[i].target != NULL) {
		return resp_problem(h->resp, 400, "bad_request",
		    "a JSON body naming the %s is required", call_ops[i].target);
	}
	if (call_ops[i].as_agent) {
		if ((n = acting_agent(h, me)) < 0)
			return db_fail(h->db, h->resp);
		/* Managers act as managers unless the call was offered to them. */
		if (n == 1 && (!call_ops[i].manager ||
		    h->req->who.role == ROLE_AGENT))
			op.agent = me;
		else if (h->req->who.role == ROLE_AGENT || !call_ops[i].manager)
			return resp_problem(h->resp, 403, "forbidden",
			    "you are not set up as an agent");
	} else if (h->req->who.role == ROLE_AGENT)
		return resp_problem(h->resp, 403, "forbidden",
		    "this needs the manager role");
	hub_call(h->db, &op, &r);
	return hub_answer(h, &r);
}

/* POST /api/calls/:id/<operation>: the operation is the last segment. */
int
calls_action(struct hctx *h)
{
	char	*name = xstrdup(h->req->path), *slash;
	int	 rc;

	if ((slash = strrchr(name, '/')) != NULL && slash[1] == '\0')
		*slash = '\0';
	slash = strrchr(name, '/');
	rc = call_op(h, slash + 1);
	free(name);
	return rc;
}
