/*
 * /api/companies/:id/widget-keys and /widget-origins: what a company's
 * website widget needs to open a caller's WebSocket (docs/ws.md). A widget
 * key is public (it is embedded in the company's pages), so it is listed
 * like any other field; what keeps it from being used elsewhere is the
 * list of allowed origins, checked against the socket's Origin header, and
 * the per-IP rate limit. Rotating a key replaces it at once.
 */
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-widget.h"
#include "validate.h"
#include "audit.h"
#include "ws-check.h"

#define MAX_KEYS	20
#define MAX_ORIGINS	50

/* "wk_" and 40 hex digits (160 random bits). */
static void
new_key(char out[44])
{
	unsigned char	 b[20];

	if (getrandom(b, sizeof b, 0) != sizeof b)
		fatal("widget: no random bytes");
	memcpy(out, "wk_", 3);
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", b[i]);
}

int
widget_keys_list(struct hctx *h)
{
	struct widget_keys	*rows;
	json_t			*items;

	if ((rows = db_widget_list(h->db, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int i = 0; i < rows->n; i++)
		json_array_append_new(items, widget_key_json(&rows->v[i]));
	widget_keys_free(rows);
	resp_json(h->resp, 200, json_pack("{s:o,s:n}", "items", items,
	    "next_cursor"));
	return 0;
}

int
widget_keys_create(struct hctx *h)
{
	static const char *const keys[] = { "name", NULL };
	json_t			*b = h->req->body;
	struct fields		 f;
	const char		*name = NULL, *co = h->req->params[0];
	char			 key[44];
	struct widget_keys	*rows;

	fields_init(&f);
	if (b != NULL) {
		fields_only(b, keys, &f);
		field_string(b, "name", 0, 100, &f, &name);
	}
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	if ((rows = db_widget_list(h->db, co)) == NULL)
		return db_fail(h->db, h->resp);
	if (rows->n >= MAX_KEYS) {
		widget_keys_free(rows);
		return resp_problem(h->resp, 409, "conflict", "a company has at"
		    " most %d widget keys; delete or rotate one", MAX_KEYS);
	}
	widget_keys_free(rows);
	new_key(key);
	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((rows = db_widget_create(h->db, co, key, name)) == NULL)
		goto fail;
	if (rows->n == 0) {
		widget_keys_free(rows);
		db_rollback(h->db);
		return resp_problem(h->resp, 404, "not_found", "no such company");
	}
	if (audit(h->db, h->req, co, "create", "widget_key", rows->v[0].id,
	    NULL) != 0 || db_commit(h->db) != 0) {
		widget_keys_free(rows);
		goto fail;
	}
	h->resp->location = xasprintf("/api/companies/%s/widget-keys/%s", co,
	    rows->v[0].id);
	resp_json(h->resp, 201, widget_key_json(&rows->v[0]));
	widget_keys_free(rows);
	return 0;
fail:
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

int
widget_keys_rotate(struct hctx *h)
{
	const char		*co = h->req->params[0], *id = h->req->params[1];
	char			 key[44];
	struct widget_keys	*rows;

	new_key(key);
	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((rows = db_widget_rotate(h->db, co, id, key)) == NULL)
		goto fail;
	if (rows->n == 0) {
		widget_keys_free(rows);
		db_rollback(h->db);
		return resp_problem(h->resp, 404, "not_found", "no such widget key");
	}
	if (audit(h->db, h->req, co, "rotate", "widget_key", id, NULL) != 0 ||
	    db_commit(h->db) != 0) {
		widget_keys_free(rows);
		goto fail;
	}
	resp_json(h->resp, 200, widget_key_json(&rows->v[0]));
	widget_keys_free(rows);
	return 0;
fail:
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

int
widget_keys_delete(struct hctx *h)
{
	const char	*co = h->req->params[0], *id = h->req->params[1];
	int		 n;

	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((n = db_widget_delete(h->db, co, id)) < 0)
		goto fail;
	if (n == 0) {
		db_rollback(h->db);
		return resp_problem(h->resp, 404, "not_found", "no such widget key");
	}
	if (audit(h->db, h->req, co, "delete", "widget_key", id, NULL) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	resp_empty(h->resp);
	return 0;
fail:
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

/* The origins (taken) as db_widget_origins() found them (n). */
static int
origins_answer(struct hctx *h, int n, json_t *origins)
{
	if (n < 0)
		return db_fail(h->db, h->resp);
	if (n == 0)
		return resp_problem(h->resp, 404, "not_found", "no such company");
	resp_json(h->resp, 200, json_pack("{s:o}", "origins", origins));
	return 0;
}

int
widget_origins_get(struct hctx *h)
{
	json_t	*o;
	int	 n = db_widget_origins(h->db, h->req->params[0], &o);

	return origins_answer(h, n, o);
}

int
widget_origins_put(struct hctx *h)
{
	static const char *const keys[] = { "origins", NULL };
	json_t		*b = h->req->body, *list, *v, *o;
	struct fields	 f;
	size_t		 i;
	char		*text;
	int		 n;

	fields_init(&f);
	fields_only(b, keys, &f);
	list = json_object_get(b, "origins");
	if (!json_is_array(list) || json_array_size(list) > MAX_ORIGINS)
		fields_add(&f, "origins", "must be a list of at most %d origins",
		    MAX_ORIGINS);
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || !ws_check_origin(json_string_value(v))) {
			fields_add(&f, "origins", "each must be an origin like"
			    " https://www.example.com (lower case, no path)");
			break;
		}
	}
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	text = json_dumps(list, JSON_COMPACT);
	if (db_begin(h->db) != 0) {
		free(text);
		return db_fail(h->db, h->resp);
	}
	n = db_widget_origins_set(h->db, h->req->params[0], text, &o);
	if (n == 1 && (audit(h->db, h->req, h->req->params[0], "update",
	    "widget_origins", h->req->params[0], json_pack("{s:O}", "origins",
	    list)) != 0 || db_commit(h->db) != 0)) {
		json_decref(o);
		n = -1;
	}
	if (n != 1)
		db_rollback(h->db);
	free(text);
	return origins_answer(h, n, o);
}
