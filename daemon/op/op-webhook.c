/*
 * A company's outgoing webhook endpoints: webhook.create, update, delete,
 * test, rotate_secret and redeliver (op.h, OPTX_ADMIN). The input type and
 * its limits live here once; the dispatcher holds the transaction and
 * writes the audit log. The signing secret is shown by create and
 * rotate_secret only, never in the audit log.
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
#include "db.h"
#include "db-webhook.h"
#include "validate.h"
#include "fetch.h"
#include "hmac.h"
#include "op.h"
#include "op-int.h"

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
	char			*secret;	/* malloc'd, wiped when freed */
};

static void
webhook_input_free(struct webhook_input *in)
{
	free(in->events);
	if (in->secret != NULL) {
		explicit_bzero(in->secret, strlen(in->secret));
		free(in->secret);
	}
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

/* The body into in: 0, or -1 with out a 422 naming every field at fault. */
static int
webhook_input(json_t *b, int create, struct webhook_input *in,
    struct op_out *out)
{
	json_t		*v;
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
		webhook_input_free(in);
		op_fail_fields(out, &f);
		return -1;
	}
	fields_free(&f);
	return 0;
}

/* A new secret (hmac.h) for in's write. */
static void
new_secret(struct webhook_input *in)
{
	in->f.secret = in->secret = hmac_secret_new();
}

/* The endpoint written (rows), named for the audit log; with its secret
 * shown when with_secret. */
static void
webhook_out(struct webhook_rows *rows, int status, int with_secret,
    struct op_out *out)
{
	if (rows->n == 0)
		return op_fail(out, 404, "not_found", "no such webhook");
	strlcpy_(out->id, rows->v[0].id, sizeof out->id);
	strlcpy_(out->company, rows->v[0].company, sizeof out->company);
	out->status = status;
	out->obj = with_secret ? webhook_json_secret(&rows->v[0]) :
	    webhook_json(&rows->v[0]);
}

/*
 * The endpoint id in scope, named for the audit log: 1, 2 when it is
 * disabled, 0 with out a 404 (what), -1 with out filled on a database
 * error.
 */
static int
webhook_find(struct db *db, const char *scope, const char *id,
    const char *what, struct op_out *out)
{
	struct webhook_rows	*w;
	int			 n;

	if ((w = db_webhook_get(db, scope, id)) == NULL)
		return op_fail_db(out, db), -1;
	if ((n = w->n) == 0)
		op_fail(out, 404, "not_found", "%s", what);
	else {
		strlcpy_(out->id, w->v[0].id, sizeof out->id);
		strlcpy_(out->company, w->v[0].company, sizeof out->company);
		if (!w->v[0].enabled)
			n = 2;
	}
	webhook_rows_free(w);
	return n;
}

/* The company is the route's (in->id); the body never holds a secret
 * (fields_only refuses one), so the audit detail is the body. */
void
op_webhook_create(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct webhook_input	 w;
	struct webhook_rows	*rows;

	(void)a;
	if (scope != NULL && strcmp(scope, in->id) != 0)
		return op_fail(out, 404, "not_found", "no such company");
	if (webhook_input(in->body, 1, &w, out) != 0)
		return;
	new_secret(&w);
	if ((rows = db_webhook_create(db, in->id, &w.f)) == NULL) {
		if (db->err == DB_FOREIGN)
			op_fail(out, 404, "not_found", "no such company");
		else
			op_fail_db(out, db);
	} else
		webhook_out(rows, 201, 1, out);
	webhook_rows_free(rows);
	webhook_input_free(&w);
}

/* Write w's fields (and secret) to the endpoint in->id. */
static void
webhook_write(struct db *db, const char *scope, const struct op_in *in,
    struct webhook_input *w, struct op_out *out)
{
	struct webhook_rows	*rows;

	if ((rows = db_webhook_update(db, scope, in->id, &w->f)) == NULL)
		return op_fail_db(out, db);
	webhook_out(rows, 200, w->secret != NULL, out);
	webhook_rows_free(rows);
}

void
op_webhook_update(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct webhook_input	 w;

	(void)a;
	if (webhook_input(in->body, 0, &w, out) != 0)
		return;
	webhook_write(db, scope, in, &w, out);
	webhook_input_free(&w);
}

/* The new secret is answered once; the audit log says only that it was
 * rotated. */
void
op_webhook_rotate(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct webhook_input	 w;

	(void)a;
	memset(&w, 0, sizeof w);
	new_secret(&w);
	webhook_write(db, scope, in, &w, out);
	webhook_input_free(&w);
	if (out->status < 400)
		out->audit = json_pack("{s:b}", "rotated_secret", 1);
}

void
op_webhook_delete(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	(void)a;
	switch (db_webhook_delete(db, scope, in->id, out->company)) {
	case -1:
		return op_fail_db(out, db);
	case 0:
		return op_fail(out, 404, "not_found", "no such webhook");
	}
	strlcpy_(out->id, in->id, sizeof out->id);
	out->status = 204;
}

/*
 * A webhook.test event for this endpoint alone, into the outbox (the
 * delivery thread sends it after COMMIT): 202 with the delivery.
 */
void
op_webhook_test(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct delivery_rows	*d;
	int			 n;

	(void)a;
	if ((n = webhook_find(db, scope, in->id, "no such webhook", out)) < 1)
		return;
	if (n == 2)
		return op_fail(out, 409, "conflict", "the webhook is disabled;"
		    " enable it first");
	if ((d = db_webhook_test(db, scope, in->id)) == NULL)
		return op_fail_db(out, db);
	if (d->n == 0)
		op_fail(out, 409, "conflict", "the webhook is disabled; enable"
		    " it first");
	else {
		out->status = 202;
		out->obj = delivery_json(&d->v[0]);
		out->audit = json_object();
	}
	delivery_rows_free(d);
}

/* The delivery in->sub of the endpoint in->id due again now. */
void
op_webhook_redeliver(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	static const char *const none = "no such delivery (or it is being"
	    " sent right now)";
	struct delivery_rows	*d;

	(void)a;
	if (webhook_find(db, scope, in->id, none, out) < 1)
		return;
	if ((d = db_webhook_redeliver(db, scope, in->id, in->sub)) == NULL)
		return op_fail_db(out, db);
	if (d->n == 0)
		op_fail(out, 404, "not_found", "%s", none);
	else {
		out->status = 202;
		out->obj = delivery_json(&d->v[0]);
		out->audit = json_pack("{s:s}", "delivery_id", in->sub);
	}
	delivery_rows_free(d);
}
