/*
 * /api/webhooks: a company's outgoing webhook endpoints (standard, Slack or
 * Teams), their deliveries and redelivery. Reading is here; changes are
 * operations (op/op-webhook.c). The secret is shown when an endpoint is
 * created and when it is rotated, never otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-webhook.h"
#include "validate.h"
#include "op.h"

static int
not_found(struct hctx *h)
{
	return resp_problem(h->resp, 404, "not_found", "no such webhook");
}

/* A page of endpoints, as page_json() has it. */
static json_t *
webhook_page(const struct page *pg, const struct webhook_rows *rows)
{
	json_t	*items = json_array();
	int	 shown = rows->n > pg->limit ? pg->limit : rows->n;

	for (int i = 0; i < shown; i++)
		json_array_append_new(items, webhook_json(&rows->v[i]));
	if (rows->n <= shown)
		return page_json(items, NULL, NULL);
	return page_json(items, rows->v[shown - 1].key, rows->v[shown - 1].id);
}

/* A page of deliveries, the same way. */
static json_t *
delivery_page(const struct page *pg, const struct delivery_rows *rows)
{
	json_t	*items = json_array();
	int	 shown = rows->n > pg->limit ? pg->limit : rows->n;

	for (int i = 0; i < shown; i++)
		json_array_append_new(items, delivery_json(&rows->v[i]));
	if (rows->n <= shown)
		return page_json(items, NULL, NULL);
	return page_json(items, rows->v[shown - 1].key, rows->v[shown - 1].id);
}

int
webhooks_list(struct hctx *h)
{
	struct page		 pg;
	struct webhook_rows	*rows;

	if (page_parse(h->req, h->resp, &pg) != 0)
		return -1;
	if ((rows = db_webhook_list(h->db, h->req->params[0], &pg)) == NULL)
		return db_fail(h->db, h->resp);
	resp_json(h->resp, 200, webhook_page(&pg, rows));
	webhook_rows_free(rows);
	return 0;
}

/* The company is the path's; the new endpoint is at /api/webhooks/:id. */
int
webhooks_create(struct hctx *h)
{
	struct op_in	 in = { .id = h->req->params[0], .body = h->req->body };

	return rest_admin_in(h, OP_WEBHOOK_CREATE, &in, "/api/webhooks");
}

int
webhooks_get(struct hctx *h)
{
	struct webhook_rows	*rows;

	if ((rows = db_webhook_get(h->db, h->req->scope,
	    h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (rows->n == 0)
		not_found(h);
	else
		resp_json(h->resp, 200, webhook_json(&rows->v[0]));
	webhook_rows_free(rows);
	return 0;
}

int
webhooks_update(struct hctx *h)
{
	return rest_admin(h, OP_WEBHOOK_UPDATE);
}

int
webhooks_rotate(struct hctx *h)
{
	return rest_admin(h, OP_WEBHOOK_ROTATE_SECRET);
}

int
webhooks_delete(struct hctx *h)
{
	return rest_admin(h, OP_WEBHOOK_DELETE);
}

/* Queue a webhook.test event for this endpoint: 202 with the delivery. */
int
webhooks_test(struct hctx *h)
{
	return rest_admin(h, OP_WEBHOOK_TEST);
}

int
webhooks_deliveries(struct hctx *h)
{
	struct page		 pg;
	struct delivery_rows	*rows;
	struct webhook_rows	*w;
	char			*state;

	if (page_parse(h->req, h->resp, &pg) != 0)
		return -1;
	state = query_get(h->req->query, "state");
	if (state != NULL && strcmp(state, "pending") &&
	    strcmp(state, "delivered") && strcmp(state, "failed")) {
		free(state);
		return resp_problem(h->resp, 400, "bad_request",
		    "state must be pending, delivered or failed");
	}
	if ((w = db_webhook_get(h->db, h->req->scope,
	    h->req->params[0])) == NULL) {
		free(state);
		return db_fail(h->db, h->resp);
	}
	if (w->n == 0) {
		webhook_rows_free(w);
		free(state);
		return not_found(h);
	}
	webhook_rows_free(w);
	rows = db_webhook_deliveries(h->db, h->req->scope, h->req->params[0],
	    state, &pg);
	free(state);
	if (rows == NULL)
		return db_fail(h->db, h->resp);
	resp_json(h->resp, 200, delivery_page(&pg, rows));
	delivery_rows_free(rows);
	return 0;
}

/* Two parameters: the webhook and its delivery. */
int
webhooks_redeliver(struct hctx *h)
{
	struct op_in	 in = { .id = h->req->params[0],
			    .sub = h->req->params[1] };

	return rest_admin_in(h, OP_WEBHOOK_REDELIVER, &in, NULL);
}
