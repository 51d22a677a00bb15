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
#include "op.h"

/* The agent record of the signed-in user, if any: 1, 0 none, -1 error. */
static int
acting_agent(struct hctx *h, char out[UUID_LEN + 1])
{
	struct agent_rows	*a;
	int			 found;

	out[0] = '\0';
	if (h->req->who.user_id[0] == '\0')
		return 0;
	if ((a = db_agent_by_user(h->db, h->req->who.user_id)) == NULL)
		return -1;
	if ((found = a->n == 1))
		strlcpy_(out, a->v[0].id, UUID_LEN + 1);
	agent_rows_free(a);
	return found;
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
	PGresult	*res, *ev;
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

/*
 * Queue a call just inserted (state new) and answer 201 with it as queued,
 * its position and estimated wait as the hub had them when it took it, or
 * the hub's refusal. Takes row.
 */
static int
enqueue_answer(struct hctx *h, PGresult *row)
{
	struct hub_result	 r;
	json_t			*o;

	hub_enqueue(h->db, row, &r);
	if (r.status >= 400) {
		PQclear(row);
		PQclear(r.row);
		return resp_problem(h->resp, r.status, r.code, "%s", r.detail);
	}
	if (r.row != NULL) {
		PQclear(row);
		row = r.row;
	}
	h->resp->location = xasprintf("/api/calls/%s", PQgetvalue(row, 0,
	    CALL_C_ID));
	o = call_json(row, 0);
	if (r.has_position)
		op_call_live(o, r.position, r.estimated_wait);
	resp_json(h->resp, 201, o);
	PQclear(row);
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
	return enqueue_answer(h, row);
replay:
	/* The first request stopped before its call was queued: go on. */
	if (!PQgetisnull(row, 0, CALL_C_QUEUE) &&
	    strcmp(PQgetvalue(row, 0, CALL_C_STATE), "new") == 0)
		return enqueue_answer(h, row);
	h->resp->location = xasprintf("/api/calls/%s", PQgetvalue(row, 0,
	    CALL_C_ID));
	resp_json(h->resp, 201, op_call_json(row, 0));
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
	/* A waiting call takes its new place in the queue at once. */
	if (has_prio && PQntuples(res) == 1)
		hub_call_priority(h->db, PQgetvalue(res, 0, CALL_C_COMPANY),
		    h->req->params[0]);
	resp_json(h->resp, 200, op_call_json(res, 0));
	PQclear(res);
	return 0;
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
