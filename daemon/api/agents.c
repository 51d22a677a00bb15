/*
 * /api/agents. Everyone in a company sees its agents; managers create and
 * change them; an agent sets its own availability, a manager anyone's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-agent.h"
#include "validate.h"
#include "events.h"
#include "hub.h"
#include "op.h"

/* Answer with the agent in a (freed here), 404 without one. */
static int
answer_row(struct hctx *h, struct agent_rows *a, int status)
{
	if (a == NULL)
		return db_fail(h->db, h->resp);
	if (a->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such agent");
	else
		resp_json(h->resp, status, agent_json(&a->v[0]));
	agent_rows_free(a);
	return 0;
}

static const char *
state_label(int i)
{
	return agent_state_name((enum agent_state)i);
}

static int
agent_list(struct hctx *h, const char *scope)
{
	struct page		 pg;
	struct agent_rows	*rows;
	const struct agent_row	*last;
	json_t			*items;
	int			 st;

	if (query_enum(h->req, h->resp, "state", state_label,
	    AGENT_STATE_COUNT, &st) < 0 || page_parse(h->req, h->resp, &pg) != 0)
		return -1;
	rows = db_agent_list(h->db, scope, st < 0 ? NULL : state_label(st), &pg);
	if (rows == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int i = 0; i < rows->n && i < pg.limit; i++)
		json_array_append_new(items, agent_json(&rows->v[i]));
	last = rows->n > pg.limit ? &rows->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	agent_rows_free(rows);
	return 0;
}

int
agents_list(struct hctx *h)
{
	return agent_list(h, h->req->scope);
}

int
agents_list_company(struct hctx *h)
{
	return agent_list(h, h->req->params[0]);
}

int
agents_get(struct hctx *h)
{
	return answer_row(h, db_agent_get(h->db, h->req->scope,
	    h->req->params[0]), 200);
}

/* Creates, updates and deletes are entries of the operations table
 * (op/op-agent.c). */
int
agents_create(struct hctx *h)
{
	return rest_admin(h, OP_AGENT_CREATE);
}

int
agents_update(struct hctx *h)
{
	return rest_admin(h, OP_AGENT_UPDATE);
}

int
agents_delete(struct hctx *h)
{
	return rest_admin(h, OP_AGENT_DELETE);
}

int
agents_availability(struct hctx *h)
{
	struct op_in	 in = { .agent = h->req->params[0] };

	return rest_op(h, OP_AGENT_STATE, &in);
}

/* GET /api/agents/today: calls each agent answered today (the wallboard). */
int
agents_today(struct hctx *h)
{
	struct agent_today_rows	*t;
	json_t			*items;

	if ((t = db_agent_today(h->db, h->req->scope)) == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int r = 0; r < t->n; r++)
		json_array_append_new(items, json_pack("{s:s,s:i,s:f}",
		    "agent_id", t->v[r].agent, "handled", t->v[r].handled,
		    "talk_seconds", t->v[r].talk));
	agent_today_free(t);
	resp_json(h->resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}
