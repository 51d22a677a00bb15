/* /api/queues: configuration, members and live statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-queue.h"
#include "validate.h"
#include "hub.h"
#include "db-ref.h"
#include "audit.h"

static const char *const queue_keys[] = {
	"name", "strategy", "sl_threshold", "wrap_up", "ring_timeout",
	"max_wait", "overflow", "overflow_queue_id", "max_length",
	"miss_limit", "widen", "members", "company_id", NULL,
};

/* The integer fields: key, range, where their text goes. */
static const struct {
	const char	*key;
	long long	 min, max;
	size_t		 slot;
} queue_ints[] = {
	{ "sl_threshold", 1, 3600, 0 },
	{ "wrap_up", 0, 3600, 1 },
	{ "ring_timeout", 1, 600, 2 },
	{ "max_wait", 0, 86400, 3 },
	{ "max_length", 0, 100000, 4 },
	{ "miss_limit", 0, 100, 5 },
};
#define NINTS (sizeof queue_ints / sizeof queue_ints[0])

struct queue_input {
	struct queue_fields	 f;
	char			 ints[NINTS][24];
	const char		*company;	/* for a new queue */
	char			*widen;		/* JSON, malloc'd */
	char			*members;	/* JSON, malloc'd, or NULL */
};

static void
queue_input_free(struct queue_input *in)
{
	free(in->widen);
	free(in->members);
}

static int
check_widen(json_t *v, struct fields *f)
{
	size_t	 i;
	json_t	*w;

	if (!json_is_array(v) || json_array_size(v) > 8)
		goto bad;
	json_array_foreach(v, i, w) {
		json_t *a = json_object_get(w, "after");
		json_t *d = json_object_get(w, "level_drop");

		if (!json_is_object(w) || json_object_size(w) != 2 ||
		    !json_is_integer(a) || json_integer_value(a) < 1 ||
		    json_integer_value(a) > 86400 || !json_is_integer(d) ||
		    json_integer_value(d) < 1 || json_integer_value(d) > 10)
			goto bad;
	}
	return 0;
bad:
	fields_add(f, "widen", "must be at most 8 of {\"after\": seconds,"
	    " \"level_drop\": 1-10}");
	return -1;
}

static int
check_members(json_t *v, struct fields *f)
{
	size_t	 i;
	json_t	*m, *p;

	if (!json_is_array(v) || json_array_size(v) > 1000)
		goto bad;
	json_array_foreach(v, i, m) {
		const char *id = json_string_value(json_object_get(m, "agent_id"));

		p = json_object_get(m, "penalty");
		if (!json_is_object(m) || id == NULL || !is_uuid(id) ||
		    (p != NULL && (!json_is_integer(p) ||
		    json_integer_value(p) < 0 || json_integer_value(p) > 100)))
			goto bad;
	}
	return 0;
bad:
	fields_add(f, "members", "must be a list of {\"agent_id\": UUID,"
	    " \"penalty\": 0-100}");
	return -1;
}

static int
queue_input(struct hctx *h, int create, struct queue_input *in)
{
	json_t		*b = h->req->body, *v;
	struct fields	 f;
	const char	*s, **slots[NINTS];
	enum acd_strategy strat;
	long long	 n;

	memset(in, 0, sizeof *in);
	slots[0] = &in->f.sl_threshold;
	slots[1] = &in->f.wrap_up;
	slots[2] = &in->f.ring_timeout;
	slots[3] = &in->f.max_wait;
	slots[4] = &in->f.max_length;
	slots[5] = &in->f.miss_limit;
	fields_init(&f);
	fields_only(b, queue_keys, &f);
	field_string(b, "name", create, 100, &f, &in->f.name);
	if (create)
		in->company = field_company(h->req, b, &f);
	else if (json_object_get(b, "company_id") != NULL)
		fields_add(&f, "company_id", "cannot change");
	if (field_string(b, "strategy", 0, 32, &f, &s) == 1) {
		if (acd_strategy_parse(s, &strat) != 0)
			fields_add(&f, "strategy", "must be one of longest_idle,"
			    " round_robin, fewest_calls, least_talk_time, random,"
			    " ring_all, linear");
		in->f.strategy = s;
	}
	for (size_t i = 0; i < NINTS; i++) {
		if (field_int(b, queue_ints[i].key, queue_ints[i].min,
		    queue_ints[i].max, &f, &n) == 1) {
			snprintf(in->ints[i], sizeof in->ints[i], "%lld", n);
			*slots[queue_ints[i].slot] = in->ints[i];
		}
	}
	if (field_string(b, "overflow", 0, 16, &f, &s) == 1) {
		if (strcmp(s, "none") && strcmp(s, "queue") &&
		    strcmp(s, "voicemail") && strcmp(s, "hangup"))
			fields_add(&f, "overflow", "must be none, queue,"
			    " voicemail or hangup");
		in->f.overflow = s;
	}
	if (field_string(b, "overflow_queue_id", 0, 36, &f,
	    &in->f.overflow_queue) == 1 && !is_uuid(in->f.overflow_queue))
		fields_add(&f, "overflow_queue_id", "must be a UUID");
	if ((v = json_object_get(b, "widen")) != NULL && check_widen(v, &f) == 0)
		in->f.widen = in->widen = json_dumps(v, JSON_COMPACT);
	if ((v = json_object_get(b, "members")) != NULL &&
	    check_members(v, &f) == 0)
		in->members = json_dumps(v, JSON_COMPACT);
	if (fields_any(&f)) {
		queue_input_free(in);
		return resp_invalid(h->resp, &f);
	}
	fields_free(&f);
	return 0;
}

static int
queue_answer(struct hctx *h, const char *id, int status)
{
	struct queue_rows	*res;

	if ((res = db_queue_get(h->db, h->req->scope, id)) == NULL)
		return db_fail(h->db, h->resp);
	if (res->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such queue");
	else
		resp_json(h->resp, status, queue_json(&res->v[0]));
	queue_rows_free(res);
	return 0;
}

int
queues_list(struct hctx *h)
{
	struct page		 pg;
	struct queue_rows	*res;
	const struct queue_row	*last;
	json_t			*items;

	if (page_parse(h->req, h->resp, &pg) != 0)
		return -1;
	if ((res = db_queue_list(h->db, h->req->scope, &pg)) == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int i = 0; i < res->n && i < pg.limit; i++)
		json_array_append_new(items, queue_json(&res->v[i]));
	last = res->n > pg.limit ? &res->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	queue_rows_free(res);
	return 0;
}

int
queues_get(struct hctx *h)
{
	return queue_answer(h, h->req->params[0], 200);
}

/*
 * The queue's references (its members, its overflow queue) are the
 * company's: 1, 0 with a 422 answered, -1 on a database error.
 */
static int
queue_refs(struct hctx *h, const char *company, const struct queue_input *in)
{
	json_t		*members = json_object_get(h->req->body, "members"), *m;
	const char	**ids;
	struct fields	 f;
	size_t		 i, n = in->members != NULL ?
			    json_array_size(members) : 0;
	int		 rc, bad;

	if (in->f.overflow_queue != NULL) {
		if ((rc = db_ref_one(h->db, company, REF_QUEUE,
		    in->f.overflow_queue)) != 1)
			goto refused;
	}
	ids = xcalloc(n + 1, sizeof *ids);
	json_array_foreach(members, i, m) {
		if (i < n)
			ids[i] = json_string_value(json_object_get(m,
			    "agent_id"));
	}
	rc = db_ref_check(h->db, company, REF_AGENT, ids, (int)n, &bad);
	free(ids);
	if (rc != 0)
		return rc;
	fields_init(&f);
	fields_add(&f, "members", "no such agent: %s", json_string_value(
	    json_object_get(json_array_get(members, bad), "agent_id")));
	resp_invalid(h->resp, &f);
	return 0;
refused:
	if (rc < 0)
		return rc;
	fields_init(&f);
	fields_add(&f, "overflow_queue_id", "no such queue");
	resp_invalid(h->resp, &f);
	return 0;
}

/* Write the queue (create when id is NULL) and its members in one go. */
static int
queue_write(struct hctx *h, const char *id)
{
	struct queue_input	 in;
	struct queue_rows	*res = NULL;
	char			*qid = NULL, *company = NULL;
	int			 rc = -1, refs;

	if (queue_input(h, id == NULL, &in) != 0)
		return -1;
	if (db_begin(h->db) != 0)
		goto fail;
	res = id == NULL ? db_queue_create(h->db, in.company, &in.f) :
	    db_queue_update(h->db, h->req->scope, id, &in.f);
	if (res == NULL)
		goto fail;
	if (res->n == 0) {
		db_rollback(h->db);
		resp_problem(h->resp, 404, "not_found", "no such queue");
		goto out;
	}
	qid = xstrdup(res->v[0].id);
	company = xstrdup(res->v[0].company);
	if ((refs = queue_refs(h, company, &in)) < 0)
		goto fail;
	if (refs == 0) {
		db_rollback(h->db);
		goto out;
	}
	if ((in.members != NULL && db_queue_set_members(h->db, company, qid,
	    in.members) < 0) || audit(h->db, h->req, company, id ? "update" :
	    "create", "queue", qid, json_deep_copy(h->req->body)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	hub_queue_sync(h->db, qid);
	rc = queue_answer(h, qid, id == NULL ? 201 : 200);
	if (id == NULL)
		h->resp->location = xasprintf("/api/queues/%s", qid);
	goto out;
fail:
	db_rollback(h->db);
	if (h->db->err == DB_UNIQUE)
		resp_problem(h->resp, 409, "name_taken",
		    "a queue with this name already exists");
	else
		db_fail(h->db, h->resp);
out:
	queue_rows_free(res);
	free(qid);
	free(company);
	queue_input_free(&in);
	return rc;
}

int
queues_create(struct hctx *h)
{
	return queue_write(h, NULL);
}

int
queues_update(struct hctx *h)
{
	return queue_write(h, h->req->params[0]);
}

int
queues_delete(struct hctx *h)
{
	struct queue_rows	*res;

	if ((res = db_queue_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (res->n == 0) {
		queue_rows_free(res);
		return resp_problem(h->resp, 404, "not_found", "no such queue");
	}
	queue_rows_free(res);
	if (hub_queue_drop(h->req->params[0]) != 0)
		return resp_problem(h->resp, 409, "conflict",
		    "calls are waiting in this queue");
	if (db_queue_delete(h->db, h->req->scope, h->req->params[0]) < 0)
		return db_fail(h->db, h->resp);
	audit(h->db, h->req, h->req->scope, "delete", "queue", h->req->params[0],
	    NULL);
	resp_empty(h->resp);
	return 0;
}

/* Live from the hub; today's figures from the database. */
int
queues_stats(struct hctx *h)
{
	struct acd_queue_stats	 st;
	struct queue_rows	*q;
	struct queue_today	 t;
	json_t			*agents, *today;

	if ((q = db_queue_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (q->n == 0) {
		queue_rows_free(q);
		return resp_problem(h->resp, 404, "not_found", "no such queue");
	}
	memset(&st, 0, sizeof st);
	hub_queue_stats(q->v[0].company, h->req->params[0], &st);
	queue_rows_free(q);
	if (db_queue_today(h->db, h->req->params[0], &t) != 0)
		return db_fail(h->db, h->resp);
	agents = json_object();
	for (int i = 0; i < AGENT_STATE_COUNT; i++)
		json_object_set_new(agents, agent_state_name(i),
		    json_integer(st.agents[i]));
	today = json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:f}",
	    "offered", (int)t.offered, "answered", (int)t.answered,
	    "abandoned", (int)t.abandoned,
	    "abandon_rate", t.offered > 0 ? t.abandoned / t.offered : 0.0,
	    "service_level", t.answered + t.abandoned > 0 ?
	    t.within / (t.answered + t.abandoned) : 1.0,
	    "asa", t.asa, "aht", t.aht);
	resp_json(h->resp, 200, json_pack("{s:s,s:i,s:i,s:f,s:o,s:o}",
	    "queue_id", h->req->params[0], "waiting", st.waiting,
	    "offering", st.offering, "longest_wait", st.longest_wait,
	    "agents", agents, "today", today));
	return 0;
}
