/*
 * /api/webhooks: a company's outgoing webhook endpoints (standard, Slack or
 * Teams), their deliveries and redelivery. The secret is shown when an
 * endpoint is created and when it is rotated, never otherwise.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "xmalloc.h"
#include "daemon.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-webhook.h"
#include "validate.h"
#include "fetch.h"
#include "audit.h"
#include "hmac.h"
#include "webhook.h"

static const char *const webhook_keys[] = {
	"url", "description", "format", "events", "min_wait", "enabled", NULL,
};

/* Slack and Teams channels start with these when no events are given. */
static const char *const chat_default_events =
    "[\"queue.sla_breached\",\"call.abandoned\",\"call.offer_missed\"]";

struct webhook_input {
	struct webhook_fields	 f;
	char			*events;	/* JSON, malloc'd */
	char			 min_wait[24];
	char			 secret[WEBHOOK_SECRET_MAX];
};

/* A new secret (hmac.h) in in->secret, for f.secret. */
static void
new_secret(struct webhook_input *in)
{
	char	*s = hmac_secret_new();

	strlcpy_(in->secret, s, sizeof in->secret);
	explicit_bzero(s, strlen(s));
	free(s);
	in->f.secret = in->secret;
}

/*
 * Is the URL's host a literal address (or localhost) the guard refuses? A
 * trailing dot ("localhost.", the name made absolute) names the same host.
 */
static int
url_host_refused(const char *name)
{
	struct sockaddr_in	 in4;
	struct sockaddr_in6	 in6;
	char			 buf[64], host[256];
	size_t			 n;

	if (strlcpy_(host, name, sizeof host) >= sizeof host)
		return 0;
	for (n = strlen(host); n > 0 && host[n - 1] == '.'; n--)
		host[n - 1] = '\0';
	if (strcasecmp(host, "localhost") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
		return 1;
	memset(&in4, 0, sizeof in4);
	memset(&in6, 0, sizeof in6);
	if (inet_pton(AF_INET, host, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		return fetch_address_refused((struct sockaddr *)&in4);
	}
	if (host[0] == '[' && n > 2 && n - 2 < sizeof buf) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		buf[strcspn(buf, "%")] = '\0';
		if (inet_pton(AF_INET6, buf, &in6.sin6_addr) == 1) {
			in6.sin6_family = AF_INET6;
			return fetch_address_refused((struct sockaddr *)&in6);
		}
	}
	return 0;
}

/* An http(s) URL with a host; the guard's answer for literal addresses. */
static void
check_url(const char *url, struct fields *f)
{
	CURLU	*u = curl_url();
	char	*scheme = NULL, *host = NULL;

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		fields_add(f, "url", "must be an http or https URL");
	else if (!cfg.outbound_allow_private && url_host_refused(host))
		fields_add(f, "url", "private, loopback and link-local addresses"
		    " are not allowed (outbound_allow_private)");
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
}

static int
check_events(json_t *v, struct fields *f)
{
	size_t	 i;
	json_t	*e;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > 32) {
		fields_add(f, "events", "must be a list of 1 to 32 event types"
		    " or patterns such as \"call.*\"");
		return -1;
	}
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);

		if (s == NULL || !webhook_pattern_valid(s)) {
			fields_add(f, "events", "\"%s\" is not a known event type"
			    " or pattern", s ? s : "(not a string)");
			return -1;
		}
	}
	return 0;
}

static int
webhook_input(struct hctx *h, int create, struct webhook_input *in)
{
	json_t		*b = h->req->body, *v;
	struct fields	 f;
	const char	*fmt = NULL;
	long long	 n;

	memset(in, 0, sizeof *in);
	fields_init(&f);
	fields_only(b, webhook_keys, &f);
	if (field_string(b, "url", create, 2048, &f, &in->f.url) == 1)
		check_url(in->f.url, &f);
	field_string(b, "description", 0, 200, &f, &in->f.description);
	if (field_string(b, "format", 0, 16, &f, &fmt) == 1 &&
	    strcmp(fmt, "standard") && strcmp(fmt, "slack") &&
	    strcmp(fmt, "teams"))
		fields_add(&f, "format", "must be standard, slack or teams");
	in->f.format = fmt;
	if ((v = json_object_get(b, "events")) != NULL && !json_is_null(v)) {
		if (check_events(v, &f) == 0)
			in->f.events = in->events = json_dumps(v, JSON_COMPACT);
	} else if (create && fmt != NULL && strcmp(fmt, "standard") != 0)
		in->f.events = chat_default_events;
	else if (create)
		fields_add(&f, "events", "is required");
	v = json_object_get(b, "min_wait");
	if (v != NULL && json_is_null(v))
		in->f.clear_min_wait = 1;
	else if (field_int(b, "min_wait", 0, 86400, &f, &n) == 1) {
		snprintf(in->min_wait, sizeof in->min_wait, "%lld", n);
		in->f.min_wait = in->min_wait;
	}
	if ((v = json_object_get(b, "enabled")) != NULL) {
		if (create || !json_is_boolean(v))
			fields_add(&f, "enabled", create ? "is set by updates" :
			    "must be true or false");
		else
			in->f.enabled = json_is_true(v) ? "true" : "false";
	}
	if (fields_any(&f)) {
		free(in->events);
		return resp_invalid(h->resp, &f);
	}
	fields_free(&f);
	return 0;
}

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

int
webhooks_create(struct hctx *h)
{
	struct webhook_input	 in;
	struct webhook_rows	*rows = NULL;
	int			 rc = -1;

	if (webhook_input(h, 1, &in) != 0)
		return -1;
	new_secret(&in);
	if (db_begin(h->db) != 0)
		goto fail;
	if ((rows = db_webhook_create(h->db, h->req->params[0], &in.f)) == NULL)
		goto fail;
	if (audit(h->db, h->req, h->req->params[0], "create", "webhook",
	    rows->v[0].id, json_deep_copy(h->req->body)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	resp_json(h->resp, 201, webhook_json_secret(&rows->v[0]));
	h->resp->location = xasprintf("/api/webhooks/%s", rows->v[0].id);
	rc = 0;
	goto out;
fail:
	db_rollback(h->db);
	if (h->db->err == DB_FOREIGN)
		resp_problem(h->resp, 404, "not_found", "no such company");
	else
		db_fail(h->db, h->resp);
out:
	explicit_bzero(in.secret, sizeof in.secret);
	webhook_rows_free(rows);
	free(in.events);
	return rc;
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

/* Update the fields in in (and the secret when rotating); answer with_secret. */
static int
webhook_write(struct hctx *h, struct webhook_input *in, int with_secret)
{
	struct webhook_rows	*rows = NULL;
	int			 rc = -1;
	json_t			*detail;

	if (db_begin(h->db) != 0)
		goto fail;
	rows = db_webhook_update(h->db, h->req->scope, h->req->params[0],
	    &in->f);
	if (rows == NULL)
		goto fail;
	if (rows->n == 0) {
		db_rollback(h->db);
		not_found(h);
		goto out;
	}
	detail = with_secret ? json_pack("{s:b}", "rotated_secret", 1) :
	    json_deep_copy(h->req->body);
	if (audit(h->db, h->req, rows->v[0].company,
	    with_secret ? "rotate_secret" : "update", "webhook",
	    h->req->params[0], detail) != 0 || db_commit(h->db) != 0)
		goto fail;
	resp_json(h->resp, 200, with_secret ? webhook_json_secret(&rows->v[0]) :
	    webhook_json(&rows->v[0]));
	rc = 0;
	goto out;
fail:
	db_rollback(h->db);
	db_fail(h->db, h->resp);
out:
	webhook_rows_free(rows);
	return rc;
}

int
webhooks_update(struct hctx *h)
{
	struct webhook_input	 in;
	int			 rc;

	if (webhook_input(h, 0, &in) != 0)
		return -1;
	rc = webhook_write(h, &in, 0);
	free(in.events);
	return rc;
}

int
webhooks_rotate(struct hctx *h)
{
	struct webhook_input	 in;
	int			 rc;

	memset(&in, 0, sizeof in);
	new_secret(&in);
	rc = webhook_write(h, &in, 1);
	explicit_bzero(in.secret, sizeof in.secret);
	return rc;
}

int
webhooks_delete(struct hctx *h)
{
	char	 company[UUID_LEN + 1];

	switch (db_webhook_delete(h->db, h->req->scope, h->req->params[0],
	    company)) {
	case -1:
		return db_fail(h->db, h->resp);
	case 0:
		return not_found(h);
	}
	audit(h->db, h->req, company, "delete", "webhook", h->req->params[0],
	    NULL);
	resp_empty(h->resp);
	return 0;
}

/* Queue a webhook.test event for this endpoint: 202 with the delivery. */
int
webhooks_test(struct hctx *h)
{
	struct delivery_rows	*d;
	struct webhook_rows	*w;

	if ((d = db_webhook_test(h->db, h->req->scope,
	    h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (d->n == 1) {
		resp_json(h->resp, 202, delivery_json(&d->v[0]));
		delivery_rows_free(d);
		return 0;
	}
	delivery_rows_free(d);
	if ((w = db_webhook_get(h->db, h->req->scope,
	    h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (w->n == 0)
		not_found(h);
	else
		resp_problem(h->resp, 409, "conflict", "the webhook is disabled;"
		    " enable it first");
	webhook_rows_free(w);
	return 0;
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

int
webhooks_redeliver(struct hctx *h)
{
	struct delivery_rows	*d;

	if ((d = db_webhook_redeliver(h->db, h->req->scope, h->req->params[0],
	    h->req->params[1])) == NULL)
		return db_fail(h->db, h->resp);
	if (d->n == 1) {
		resp_json(h->resp, 202, delivery_json(&d->v[0]));
		delivery_rows_free(d);
		return 0;
	}
	delivery_rows_free(d);
	return resp_problem(h->resp, 404, "not_found", "no such delivery (or it"
	    " is being sent right now)");
}
