/* /api/queues: reading queues and their live statistics; changes are
 * operations (op/op-queue.c). */
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
#include "op.h"
#include "op-forward.h"

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

/* Creates, updates and deletes are entries of the operations table
 * (op/op-queue.c). */
int
queues_create(struct hctx *h)
{
	return rest_admin(h, OP_QUEUE_CREATE);
}

int
queues_update(struct hctx *h)
{
	return rest_admin(h, OP_QUEUE_UPDATE);
}

int
queues_delete(struct hctx *h)
{
	return rest_admin(h, OP_QUEUE_DELETE);
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
	op_queue_stats(q->v[0].company, h->req->params[0], &st);
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
	json_object_set_new(today, "callbacks", json_pack("{s:i,s:i,s:i,s:i}",
	    "waiting", (int)t.cb_waiting, "requested", (int)t.cb_requested,
	    "completed", (int)t.cb_completed, "failed", (int)t.cb_failed));
	resp_json(h->resp, 200, json_pack("{s:s,s:i,s:i,s:f,s:o,s:o}",
	    "queue_id", h->req->params[0], "waiting", st.waiting,
	    "offering", st.offering, "longest_wait", st.longest_wait,
	    "agents", agents, "today", today));
	return 0;
}
