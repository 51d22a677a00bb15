/*
 * GET /api/analytics/company/:companyId/export: every call created in the
 * range as CSV (RFC 4180, a header row, CRLF) or a JSON array. Rows come
 * from a server-side cursor a chunk at a time, so libpq never holds the
 * whole result, and go out as they arrive through a streamed response
 * (stream.c): memory stays bounded whatever the range. Errors found before
 * the first byte (a bad query, the cap) are problem+json; one after it (the
 * database failing mid-way) ends the body without its last chunk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-analytics.h"
#include "analytics-int.h"
#include "stream.h"

/* The body: streamed when st is set, else built in p. */
struct export_buf {
	char		*p;
	size_t		 len, cap;
	int		 json;
	long		 rows;
	struct stream	*st;
	int		 gone;	/* the client has gone */
};

static void
buf_add(struct export_buf *b, const char *s, size_t n)
{
	if (b->st != NULL) {
		if (!b->gone && stream_write(b->st, s, n) != 0)
			b->gone = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap == 0 ? 65536 : b->cap * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct export_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* One CSV field: quoted when it holds a comma, quote, CR or LF. */
static void
csv_field(struct export_buf *b, const char *s)
{
	if (s[strcspn(s, ",\"\r\n")] == '\0') {
		buf_str(b, s);
		return;
	}
	buf_add(b, "\"", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		buf_add(b, s, (size_t)(q - s));
		buf_add(b, "\"\"", 2);
	}
	buf_str(b, s);
	buf_add(b, "\"", 1);
}

/* A column's JSON value: numbers for the numeric columns, else strings. */
static json_t *
export_value(const char *col, const char *v)
{
	if (v == NULL)
		return json_null();
	if (strcmp(col, "priority") == 0)
		return json_integer(strtoll(v, NULL, 10));
	if (strcmp(col, "wait_seconds") == 0 || strcmp(col, "talk_seconds") == 0)
		return json_real(strtod(v, NULL));
	return json_string(v);
}

/* One call of the export: a CSV line or a JSON object. */
static int
export_row(const char *const *row, void *arg)
{
	struct export_buf	*b = arg;
	json_t			*o;
	char			*s;

	if (++b->rows > ANALYTICS_EXPORT_MAX || b->gone)
		return -1;
	if (!b->json) {
		for (int c = 0; c < ANALYTICS_EXPORT_NCOLS; c++) {
			if (c > 0)
				buf_add(b, ",", 1);
			csv_field(b, row[c] != NULL ? row[c] : "");
		}
		buf_add(b, "\r\n", 2);
		return 0;
	}
	o = json_object();
	for (int c = 0; c < ANALYTICS_EXPORT_NCOLS; c++)
		json_object_set_new(o, analytics_export_cols[c],
		    export_value(analytics_export_cols[c], row[c]));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (b->rows > 1)
		buf_add(b, ",", 1);
	buf_str(b, s);
	free(s);
	return 0;
}

int
analytics_export(struct hctx *h)
{
	struct analytics_scope	 s;
	struct export_buf	 b;
	char			*fmt;
	long			 fetched, count;

	memset(&b, 0, sizeof b);
	fmt = query_get(h->req->query, "format");
	if (analytics_scope(h, 1, &s) != 0)
		goto out;
	if (fmt != NULL && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0) {
		resp_problem(h->resp, 400, "bad_request",
		    "\"format\" must be csv or json");
		goto out;
	}
	b.json = fmt != NULL && strcmp(fmt, "json") == 0;
	/* The cap is checked before the first byte, while 400 is possible. */
	if (db_analytics_export_count(h->db, &s.r, &count) != 0) {
		db_fail(h->db, h->resp);
		goto out;
	}
	if (count > ANALYTICS_EXPORT_MAX)
		goto too_many;
	h->resp->content_type = b.json ? "application/json" :
	    "text/csv; charset=utf-8";
	if ((b.st = h->req->stream) != NULL) {
		h->resp->status = 200;
		stream_open(b.st);
	}
	if (b.json)
		buf_add(&b, "[", 1);
	else {
		for (size_t i = 0; analytics_export_cols[i] != NULL; i++) {
			if (i > 0)
				buf_add(&b, ",", 1);
			buf_str(&b, analytics_export_cols[i]);
		}
		buf_add(&b, "\r\n", 2);
	}
	if (db_analytics_export(h->db, &s.r, export_row, &b, &fetched) != 0) {
		if (b.st != NULL)
			stream_fail(b.st);
		else
			db_fail(h->db, h->resp);
		goto out;
	}
	if (b.gone)
		goto out;
	if (b.rows > ANALYTICS_EXPORT_MAX) {
		/* Rows added since the count: too late for a 400. */
		if (b.st != NULL) {
			stream_fail(b.st);
			goto out;
		}
		goto too_many;
	}
	if (b.json)
		buf_add(&b, "]", 1);
	if (b.st != NULL)
		goto out;
	free(h->resp->body);
	h->resp->status = 200;
	h->resp->body = b.p;
	h->resp->len = b.len;
	b.p = NULL;
	goto out;
too_many:
	resp_problem(h->resp, 400, "bad_request", "the range holds more"
	    " than %d calls; export a shorter range", ANALYTICS_EXPORT_MAX);
out:
	free(b.p);
	free(fmt);
	analytics_scope_free(&s);
	return 0;
}
