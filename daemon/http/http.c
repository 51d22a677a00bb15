/* Request and response helpers: problem details, field errors, queries. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "json-print.h"
#include "form.h"
#include "http.h"

static const char *method_names[HTTP_METHOD_COUNT] = {
	[HTTP_GET] = "GET",
	[HTTP_POST] = "POST",
	[HTTP_PUT] = "PUT",
	[HTTP_PATCH] = "PATCH",
	[HTTP_DELETE] = "DELETE",
	[HTTP_OPTIONS] = "OPTIONS",
	[HTTP_HEAD] = "HEAD",
};

static const char *role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_AGENT] = "agent",
	[ROLE_MANAGER] = "manager",
	[ROLE_ADMIN] = "admin",
};

static const struct {
	int		 status;
	const char	*title;
} titles[] = {
	{ 400, "Bad request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not found" },
	{ 405, "Method not allowed" },
	{ 408, "Request timeout" },
	{ 409, "Conflict" },
	{ 411, "Length required" },
	{ 413, "Payload too large" },
	{ 414, "URI too long" },
	{ 415, "Unsupported media type" },
	{ 422, "Validation failed" },
	{ 429, "Too many requests" },
	{ 431, "Request header fields too large" },
	{ 500, "Internal server error" },
	{ 501, "Not implemented" },
	{ 503, "Service unavailable" },
	{ 505, "HTTP version not supported" },
};

const char *
http_method_name(enum http_method m)
{
	return m < HTTP_METHOD_COUNT ? method_names[m] : "?";
}

int
http_method_parse(const char *s, enum http_method *out)
{
	for (int i = 0; i < HTTP_METHOD_COUNT; i++) {
		if (strcmp(s, method_names[i]) == 0) {
			*out = (enum http_method)i;
			return 0;
		}
	}
	return -1;
}

const char *
role_name(enum role r)
{
	return role_names[r];
}

int
role_parse(const char *s, enum role *out)
{
	for (int i = ROLE_AGENT; i <= ROLE_ADMIN; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)i;
			return 0;
		}
	}
	return -1;
}

void
request_free(struct request *req)
{
	if (req == NULL)
		return;
	free(req->path);
	free(req->query);
	for (int i = 0; i < req->nparams; i++)
		free(req->params[i]);
	if (req->body != NULL)
		json_decref(req->body);
	free(req->user_agent);
	free(req->idempotency_key);
	free(req->raw);
	free(req->content_type);
	free(req->if_none_match);
	free(req->upload_offset);
	free(req->upload_complete);
	free(req->rec_duration);
	free(req->rec_channels);
	if (req->form != NULL) {
		form_free(req->form);
		free(req->form);
	}
	free(req->hook_id);
	free(req->hook_timestamp);
	free(req->hook_signature);
	free(req->twilio_signature);
	free(req);
}

void
response_reset(struct response *resp)
{
	free(resp->body);
	free(resp->location);
	free(resp->etag);
	memset(resp, 0, sizeof *resp);
}

void
resp_json(struct response *resp, int status, json_t *doc)
{
	free(resp->body);
	resp->status = status;
	if ((resp->body = json_print(doc, &resp->len)) == NULL) {
		resp->body = xstrdup("{}");
		resp->len = 2;
	}
	resp->content_type = "application/json";
	json_decref(doc);
}

void
resp_empty(struct response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
	resp->status = 204;
	resp->content_type = NULL;
}

const char *
http_status_title(int status)
{
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
		if (titles[i].status == status)
			return titles[i].title;
	}
	return "Error";
}

static json_t *
problem_new(int status, const char *code, const char *detail)
{
	return json_pack("{s:s+,s:s,s:i,s:s,s:s}",
	    "type", "https://calldocker.dev/problems/", code,
	    "title", http_status_title(status), "status", status,
	    "detail", detail, "code", code);
}

static void
resp_problem_json(struct response *resp, int status, json_t *doc)
{
	resp_json(resp, status, doc);
	resp->content_type = "application/problem+json";
}

int
resp_problem(struct response *resp, int status, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 detail[512];

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	resp_problem_json(resp, status, problem_new(status, code, detail));
	if (status == 503 && resp->retry_after == 0)
		resp->retry_after = 2;
	return -1;
}

int
resp_problem_with(struct response *resp, int status, const char *code,
    json_t *extra, const char *fmt, ...)
{
	va_list	 ap;
	char	 detail[512];
	json_t	*doc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	doc = problem_new(status, code, detail);
	json_object_update(doc, extra);
	json_decref(extra);
	resp_problem_json(resp, status, doc);
	return -1;
}

int
resp_invalid(struct response *resp, struct fields *f)
{
	json_t	*doc;

	doc = problem_new(422, "validation_failed",
	    "the request has invalid fields");
	json_object_set_new(doc, "errors", f->errors);
	f->errors = NULL;
	resp_problem_json(resp, 422, doc);
	return -1;
}

void
fields_init(struct fields *f)
{
	f->errors = json_array();
}

void
fields_add(struct fields *f, const char *field, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_array_append_new(f->errors,
	    json_pack("{s:s,s:s}", "field", field, "message", msg));
}

int
fields_any(const struct fields *f)
{
	return json_array_size(f->errors) > 0;
}

void
fields_free(struct fields *f)
{
	if (f->errors != NULL)
		json_decref(f->errors);
	f->errors = NULL;
}

static int
hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode %XX and '+' in place. */
static void
percent_decode(char *s)
{
	char	*o = s;

	for (; *s != '\0'; s++) {
		int	 hi, lo;

		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%' && (hi = hexval((unsigned char)s[1])) >= 0 &&
		    (lo = hexval((unsigned char)s[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

char *
query_get(const char *query, const char *name)
{
	size_t		 nlen = strlen(name);
	const char	*p = query;

	while (p != NULL && *p != '\0') {
		const char	*end = strchr(p, '&');
		size_t		 len = end ? (size_t)(end - p) : strlen(p);

		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			char *v = xstrndup(p + nlen + 1, len - nlen - 1);
			percent_decode(v);
			return v;
		}
		if (len == nlen && strncmp(p, name, nlen) == 0)
			return xstrdup("");
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

int
query_limit(const struct request *req, struct response *resp)
{
	char	*s, *end;
	long	 n = 50;

	if ((s = query_get(req->query, "limit")) != NULL) {
		n = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || n < 1 || n > 500) {
			free(s);
			return resp_problem(resp, 400, "bad_request",
			    "limit must be an integer from 1 to 500");
		}
		free(s);
	}
	return (int)n;
}

int
is_uuid(const char *s)
{
	static const char pat[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	for (size_t i = 0; i < sizeof pat - 1; i++) {
		if (pat[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[sizeof pat - 1] == '\0';
}

/* Does an If-None-Match list name etag (or "*")? */
int
etag_match(const char *list, const char *etag)
{
	size_t	 n = strlen(etag);

	if (list == NULL)
		return 0;
	for (const char *p = list; *p != '\0'; ) {
		p += strspn(p, " \t,");
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p == '*' || (strncmp(p, etag, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' ')))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}
