/*
 * The route table and the checks every request passes before its handler:
 * the least role a route needs and, for routes naming a company, that the
 * caller belongs to it. Another company's objects answer 404, never 403.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"
#include "log.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "revoke.h"
#include "op.h"

#define ANY	ROLE_AGENT	/* any signed-in user */

const struct route routes[] = {
	{ HTTP_GET,	"/health", ROLE_NONE, ROUTE_INLINE | ROUTE_NO_RATELIMIT, ops_health },
	{ HTTP_GET,	"/ready", ROLE_NONE, ROUTE_NO_RATELIMIT | ROUTE_READ, ops_ready },
	{ HTTP_GET,	"/metrics", ROLE_NONE, ROUTE_INLINE | ROUTE_NO_RATELIMIT, ops_metrics },
	/* Node to node (docs/cluster.md): signed, not a user's route. */
	{ HTTP_POST,	"/internal/op", ROLE_NONE, ROUTE_BODY | ROUTE_SIGNED | ROUTE_INTERNAL | ROUTE_NO_RATELIMIT, internal_op },
	{ HTTP_POST,	"/internal/read", ROLE_NONE, ROUTE_BODY | ROUTE_SIGNED | ROUTE_INTERNAL | ROUTE_NO_RATELIMIT, internal_read },

	{ HTTP_POST,	"/api/auth/register", ROLE_NONE, ROUTE_BODY | ROUTE_SLOW, auth_register },
	{ HTTP_POST,	"/api/auth/login", ROLE_NONE, ROUTE_BODY | ROUTE_SLOW, auth_login },
	{ HTTP_POST,	"/api/auth/refresh", ROLE_NONE, ROUTE_BODY, auth_refresh },
	{ HTTP_GET,	"/api/auth/profile", ANY, ROUTE_READ, auth_profile_get },
	{ HTTP_PUT,	"/api/auth/profile", ANY, ROUTE_BODY | ROUTE_SLOW, auth_profile_put },
	{ HTTP_POST,	"/api/auth/logout", ANY, 0, auth_logout },

	{ HTTP_GET,	"/api/companies", ANY, ROUTE_READ, companies_list },
	{ HTTP_POST,	"/api/companies", ROLE_ADMIN, ROUTE_BODY, companies_create },
	{ HTTP_GET,	"/api/companies/:id", ANY, ROUTE_COMPANY_PARAM | ROUTE_READ, companies_get },
	{ HTTP_PUT,	"/api/companies/:id", ROLE_MANAGER, ROUTE_BODY | ROUTE_COMPANY_PARAM, companies_update },
	{ HTTP_DELETE,	"/api/companies/:id", ROLE_ADMIN, ROUTE_COMPANY_PARAM, companies_delete },

	{ HTTP_GET,	"/api/users", ANY, ROUTE_READ, users_list },
	{ HTTP_POST,	"/api/users", ROLE_MANAGER, ROUTE_BODY | ROUTE_SLOW, users_create },
	{ HTTP_GET,	"/api/users/company/:companyId", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_READ, users_list_company },
	{ HTTP_GET,	"/api/users/me/twilio-token", ROLE_MANAGER, ROUTE_READ, users_twilio_token },
	{ HTTP_GET,	"/api/users/:id", ANY, ROUTE_READ, users_get },
	{ HTTP_PUT,	"/api/users/:id", ROLE_MANAGER, ROUTE_BODY | ROUTE_SLOW, users_update },
	{ HTTP_DELETE,	"/api/users/:id", ROLE_MANAGER, 0, users_delete },

	{ HTTP_GET,	"/api/agents", ANY, ROUTE_READ, agents_list },
	{ HTTP_POST,	"/api/agents", ROLE_MANAGER, ROUTE_BODY, agents_create },
	{ HTTP_GET,	"/api/agents/company/:companyId", ANY, ROUTE_COMPANY_PARAM | ROUTE_READ, agents_list_company },
	{ HTTP_GET,	"/api/agents/today", ANY, ROUTE_READ, agents_today },
	{ HTTP_GET,	"/api/agents/me/twilio-token", ANY, ROUTE_READ, agents_twilio_token },
	{ HTTP_GET,	"/api/agents/:id", ANY, ROUTE_READ, agents_get },
	{ HTTP_PUT,	"/api/agents/:id", ROLE_MANAGER, ROUTE_BODY, agents_update },
	{ HTTP_DELETE,	"/api/agents/:id", ROLE_MANAGER, 0, agents_delete },
	{ HTTP_PUT,	"/api/agents/:id/availability", ANY, ROUTE_BODY, agents_availability },

	{ HTTP_GET,	"/api/queues", ANY, ROUTE_READ, queues_list },
	{ HTTP_POST,	"/api/queues", ROLE_MANAGER, ROUTE_BODY, queues_create },
	{ HTTP_GET,	"/api/queues/:id", ANY, ROUTE_READ, queues_get },
	{ HTTP_PUT,	"/api/queues/:id", ROLE_MANAGER, ROUTE_BODY, queues_update },
	{ HTTP_DELETE,	"/api/queues/:id", ROLE_MANAGER, 0, queues_delete },
	{ HTTP_GET,	"/api/queues/:id/stats", ANY, 0, queues_stats },
	{ HTTP_GET,	"/api/queues/:id/forecast", ROLE_MANAGER, ROUTE_READ, queues_forecast },

	{ HTTP_GET,	"/api/calls", ANY, 0, calls_list },
	{ HTTP_POST,	"/api/calls", ROLE_MANAGER, ROUTE_BODY_OPT, calls_create },
	{ HTTP_GET,	"/api/calls/queue/next", ANY, 0, calls_next },
	{ HTTP_POST,	"/api/calls/purge", ROLE_MANAGER, ROUTE_BODY | ROUTE_SLOW, calls_purge },
	{ HTTP_GET,	"/api/calls/:id", ANY, 0, calls_get },
	{ HTTP_GET,	"/api/calls/:id/recordings/:rid", ANY, ROUTE_STREAM, calls_recording },
	{ HTTP_POST,	"/api/calls/:id/recording", ANY, ROUTE_RAW | ROUTE_RAW_EMPTY, recording_upload_create },
	{ HTTP_GET,	"/api/calls/:id/recording/:uid", ANY, 0, recording_upload_get },
	{ HTTP_PATCH,	"/api/calls/:id/recording/:uid", ANY, ROUTE_RAW | ROUTE_RAW_EMPTY | ROUTE_SLOW, recording_upload_patch },
	{ HTTP_PUT,	"/api/calls/:id", ANY, ROUTE_BODY, calls_update },
	{ HTTP_POST,	"/api/calls/:id/assign", ROLE_MANAGER, ROUTE_BODY, calls_action },
	{ HTTP_POST,	"/api/calls/:id/answer", ANY, ROUTE_BODY_OPT, calls_action },
	{ HTTP_POST,	"/api/calls/:id/reject", ANY, ROUTE_BODY_OPT, calls_action },
	{ HTTP_POST,	"/api/calls/:id/hold", ANY, ROUTE_BODY_OPT, calls_action },
	{ HTTP_POST,	"/api/calls/:id/resume", ANY, ROUTE_BODY_OPT, calls_action },
	{ HTTP_POST,	"/api/calls/:id/transfer", ANY, ROUTE_BODY, calls_action },
	{ HTTP_POST,	"/api/calls/:id/hangup", ANY, ROUTE_BODY_OPT, calls_action },
	{ HTTP_POST,	"/api/calls/:id/wrap", ANY, ROUTE_BODY_OPT, calls_action },
	{ HTTP_POST,	"/api/calls/:id/callback", ROLE_MANAGER, ROUTE_BODY_OPT, calls_action },
	{ HTTP_POST,	"/api/calls/:id/supervise", ROLE_MANAGER, ROUTE_BODY, calls_action },
	{ HTTP_POST,	"/api/calls/:id/record", ANY, ROUTE_BODY, calls_action },
	{ HTTP_POST,	"/api/calls/:id/ivr/input", ROLE_MANAGER, ROUTE_BODY, calls_ivr_input },

	{ HTTP_GET,	"/api/ivr", ANY, ROUTE_READ, ivr_list },
	{ HTTP_POST,	"/api/ivr", ROLE_MANAGER, ROUTE_BODY | ROUTE_YAML, ivr_create },
	{ HTTP_POST,	"/api/ivr/validate", ANY, ROUTE_BODY | ROUTE_YAML, ivr_validate },
	{ HTTP_GET,	"/api/ivr/:id", ANY, 0, ivr_get },
	{ HTTP_PUT,	"/api/ivr/:id", ROLE_MANAGER, ROUTE_BODY | ROUTE_YAML, ivr_update },
	{ HTTP_DELETE,	"/api/ivr/:id", ROLE_MANAGER, 0, ivr_delete },
	{ HTTP_POST,	"/api/ivr/:id/activate", ROLE_MANAGER, ROUTE_BODY_OPT, ivr_activate },
	{ HTTP_POST,	"/api/ivr/:id/rollback", ROLE_MANAGER, ROUTE_BODY_OPT, ivr_rollback },
	{ HTTP_GET,	"/api/ivr/:id/versions", ANY, 0, ivr_versions },
	{ HTTP_GET,	"/api/ivr/:id/export", ANY, 0, ivr_export },

	{ HTTP_GET,	"/api/analytics/company/:companyId/overview", ROLE_MANAGER, ROUTE_COMPANY_PARAM, analytics_overview },
	{ HTTP_GET,	"/api/analytics/company/:companyId/calls", ROLE_MANAGER, ROUTE_COMPANY_PARAM, analytics_calls },
	{ HTTP_GET,	"/api/analytics/company/:companyId/agents/performance", ROLE_MANAGER, ROUTE_COMPANY_PARAM, analytics_agents },
	{ HTTP_GET,	"/api/analytics/company/:companyId/insights", ROLE_MANAGER, ROUTE_COMPANY_PARAM, analytics_insights },
	{ HTTP_GET,	"/api/analytics/company/:companyId/export", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_STREAM, analytics_export },

	{ HTTP_GET,	"/api/companies/:id/widget-keys", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_READ, widget_keys_list },
	{ HTTP_POST,	"/api/companies/:id/widget-keys", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_BODY_OPT, widget_keys_create },
	{ HTTP_POST,	"/api/companies/:id/widget-keys/:keyId/rotate", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_BODY_OPT, widget_keys_rotate },
	{ HTTP_DELETE,	"/api/companies/:id/widget-keys/:keyId", ROLE_MANAGER, ROUTE_COMPANY_PARAM, widget_keys_delete },
	{ HTTP_GET,	"/api/companies/:id/widget-origins", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_READ, widget_origins_get },
	{ HTTP_PUT,	"/api/companies/:id/widget-origins", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_BODY, widget_origins_put },
	{ HTTP_GET,	"/api/webrtc/ice-servers", ANY, ROUTE_READ, ice_servers_get },
	{ HTTP_GET,	"/api/settings/system", ROLE_ADMIN, ROUTE_READ, settings_system_get },
	{ HTTP_PUT,	"/api/settings/system", ROLE_ADMIN, ROUTE_BODY, settings_system_put },
	{ HTTP_GET,	"/api/settings/system/status", ROLE_ADMIN, 0, settings_status },
	{ HTTP_GET,	"/api/settings/company/:companyId", ANY, ROUTE_COMPANY_PARAM | ROUTE_READ, settings_company_get },
	{ HTTP_PUT,	"/api/settings/company/:companyId", ROLE_MANAGER, ROUTE_BODY | ROUTE_COMPANY_PARAM, settings_company_put },
	{ HTTP_GET,	"/api/settings/user/preferences", ANY, ROUTE_READ, settings_prefs_get },
	{ HTTP_PUT,	"/api/settings/user/preferences", ANY, ROUTE_BODY, settings_prefs_put },
	{ HTTP_GET,	"/api/settings/themes", ANY, ROUTE_INLINE, settings_themes },
	{ HTTP_GET,	"/api/settings/languages", ANY, ROUTE_INLINE, settings_languages },

	{ HTTP_POST,	"/api/files/company/:companyId", ROLE_MANAGER, ROUTE_RAW | ROUTE_COMPANY_PARAM | ROUTE_SLOW, files_upload },
	{ HTTP_GET,	"/api/files/company/:companyId", ANY, ROUTE_COMPANY_PARAM | ROUTE_READ, files_list },
	{ HTTP_GET,	"/api/files/:id", ANY, ROUTE_READ, files_get },
	{ HTTP_GET,	"/api/files/:id/content", ANY, ROUTE_STREAM, files_content },
	{ HTTP_DELETE,	"/api/files/:id", ROLE_MANAGER, ROUTE_SLOW, files_delete },
	{ HTTP_GET,	"/api/integrations/company/:companyId/twilio", ROLE_MANAGER, ROUTE_COMPANY_PARAM, integrations_get },
	{ HTTP_PUT,	"/api/integrations/company/:companyId/twilio", ROLE_MANAGER, ROUTE_BODY | ROUTE_COMPANY_PARAM, integrations_put },
	{ HTTP_DELETE,	"/api/integrations/company/:companyId/twilio", ROLE_MANAGER, ROUTE_COMPANY_PARAM, integrations_delete },
	{ HTTP_GET,	"/api/integrations/company/:companyId/incoming", ROLE_MANAGER, ROUTE_COMPANY_PARAM, integrations_get },
	{ HTTP_PUT,	"/api/integrations/company/:companyId/incoming", ROLE_MANAGER, ROUTE_BODY_OPT | ROUTE_COMPANY_PARAM, integrations_put },
	{ HTTP_DELETE,	"/api/integrations/company/:companyId/incoming", ROLE_MANAGER, ROUTE_COMPANY_PARAM, integrations_delete },
	/* Signed by the sender, not a bearer token: the handlers check. */
	{ HTTP_POST,	"/api/webhooks/incoming/:companyId", ROLE_NONE, ROUTE_BODY | ROUTE_SIGNED, incoming_webhook },
	{ HTTP_POST,	"/api/webhooks/twilio/:companyId", ROLE_NONE, ROUTE_BODY | ROUTE_FORM | ROUTE_SIGNED, twilio_webhook },
	{ HTTP_GET,	"/api/webhooks/twilio/:companyId/hold-music/:fileId", ROLE_NONE, ROUTE_STREAM, twilio_hold_music },
	{ HTTP_GET,	"/api/webhooks/company/:companyId", ROLE_MANAGER, ROUTE_COMPANY_PARAM | ROUTE_READ, webhooks_list },
	{ HTTP_POST,	"/api/webhooks/company/:companyId", ROLE_MANAGER, ROUTE_BODY | ROUTE_COMPANY_PARAM, webhooks_create },
	{ HTTP_GET,	"/api/webhooks/:id", ROLE_MANAGER, ROUTE_READ, webhooks_get },
	{ HTTP_PUT,	"/api/webhooks/:id", ROLE_MANAGER, ROUTE_BODY, webhooks_update },
	{ HTTP_DELETE,	"/api/webhooks/:id", ROLE_MANAGER, 0, webhooks_delete },
	{ HTTP_POST,	"/api/webhooks/:id/test", ROLE_MANAGER, ROUTE_BODY_OPT, webhooks_test },
	{ HTTP_POST,	"/api/webhooks/:id/rotate-secret", ROLE_MANAGER, ROUTE_BODY_OPT, webhooks_rotate },
	{ HTTP_GET,	"/api/webhooks/:id/deliveries", ROLE_MANAGER, 0, webhooks_deliveries },
	{ HTTP_POST,	"/api/webhooks/:id/deliveries/:deliveryId/redeliver", ROLE_MANAGER, ROUTE_BODY_OPT, webhooks_redeliver },
};
const size_t nroutes = sizeof routes / sizeof routes[0];

/*
 * Match pattern against path segment by segment; ":name" takes one segment,
 * which must be a UUID (every id in the API is one). Fills params on match.
 */
static int
route_match_path(const char *pattern, const char *path, char **params,
    int *nparams)
{
	const char	*p = pattern, *s = path;
	int		 n = 0;

	while (*p != '\0' && *s != '\0') {
		size_t	 plen = strcspn(p, "/"), slen = strcspn(s, "/");

		if (*p == ':') {
			char	 seg[UUID_LEN + 1];

			if (slen != UUID_LEN || n == ROUTE_MAX_PARAMS)
				goto fail;
			memcpy(seg, s, slen);
			seg[slen] = '\0';
			if (!is_uuid(seg))
				goto fail;
			params[n++] = xstrdup(seg);
		} else if (plen != slen || strncmp(p, s, plen) != 0)
			goto fail;
		p += plen;
		s += slen;
		if (*p == '/' && *s == '/') {
			p++;
			s++;
		}
	}
	if (*p != '\0' || (*s != '\0' && strcmp(s, "/") != 0))
		goto fail;
	*nparams = n;
	return 1;
fail:
	for (int i = 0; i < n; i++)
		free(params[i]);
	return 0;
}

enum route_match
router_match(struct request *req, char *allow, size_t allowsize)
{
	enum route_match	 m = MATCH_NOT_FOUND;
	char			*params[ROUTE_MAX_PARAMS];
	int			 n;

	allow[0] = '\0';
	for (size_t i = 0; i < nroutes; i++) {
		if (!route_match_path(routes[i].pattern, req->path, params, &n))
			continue;
		if (routes[i].method == req->method ||
		    (req->method == HTTP_HEAD && routes[i].method == HTTP_GET)) {
			for (int j = 0; j < req->nparams; j++)
				free(req->params[j]);
			memcpy(req->params, params, sizeof params);
			req->nparams = n;
			req->route = &routes[i];
			return MATCH_OK;
		}
		for (int j = 0; j < n; j++)
			free(params[j]);
		if (allow[0] != '\0')
			strlcpy_(allow + strlen(allow), ", ",
			    allowsize - strlen(allow));
		strlcpy_(allow + strlen(allow), http_method_name(routes[i].method),
		    allowsize - strlen(allow));
		m = MATCH_BAD_METHOD;
	}
	return m;
}

size_t
router_index(const struct route *r)
{
	return (size_t)(r - routes);
}

/*
 * Is every query parameter, percent-decoded, UTF-8 without NUL? Checking
 * the whole string is the same as checking each name and value: '&', '='
 * and '+' are ASCII and cannot split a well-formed sequence.
 */
static int
query_is_text(const char *query)
{
	size_t	 len = strlen(query), n = 0;
	char	*buf = xmalloc(len + 1);
	int	 ok;

	for (const char *p = query; *p != '\0'; p++) {
		unsigned int	 c;

		if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%2x", &c) == 1) {
			buf[n++] = (char)c;
			p += 2;
		} else
			buf[n++] = *p;
	}
	ok = memchr(buf, '\0', n) == NULL && utf8_valid(buf, n);
	free(buf);
	return ok;
}

int
router_authorize(struct request *req, struct response *resp)
{
	const struct route	*r = req->route;
	struct principal	*who = &req->who;
	char			*q;

	/* Nothing that is not text reaches a handler or PostgreSQL. */
	if ((req->query != NULL && !query_is_text(req->query)) ||
	    !utf8_valid(req->path, strlen(req->path)))
		return resp_problem(resp, 400, "bad_request", "query parameters"
		    " and the path must be UTF-8 text without NUL characters");
	if (r->min_role == ROLE_NONE) {
		req->scope = who->role == ROLE_ADMIN || who->role == ROLE_NONE ?
		    NULL : who->company_id;
		return 0;
	}
	if (who->role == ROLE_NONE)
		return resp_problem(resp, 401, "unauthorized",
		    "a valid bearer token is required");
	if (who->role < r->min_role)
		return resp_problem(resp, 403, "forbidden",
		    "this needs the %s role", role_name(r->min_role));
	if (who->role == ROLE_ADMIN) {
		req->scope = NULL;
		/* Reading within one company: ?company_id= on any GET. */
		if (req->method == HTTP_GET &&
		    (q = query_get(req->query, "company_id")) != NULL) {
			if (!is_uuid(q)) {
				free(q);
				return resp_problem(resp, 400, "bad_request",
				    "company_id must be a UUID");
			}
			strlcpy_(req->scope_buf, q, sizeof req->scope_buf);
			free(q);
			req->scope = req->scope_buf;
		}
		return 0;
	}
	req->scope = who->company_id;
	if ((r->flags & ROUTE_COMPANY_PARAM) &&
	    strcmp(req->params[0], who->company_id) != 0)
		return resp_problem(resp, 404, "not_found", "no such company");
	return 0;
}

void
router_run(struct hctx *h)
{
	struct principal	*who = &h->req->who;

	if (who->sid[0] != '\0') {
		switch (revoke_session_live(h->db, who->sid, who->user_id)) {
		case 0:
			resp_problem(h->resp, 401, "unauthorized",
			    "this session has ended; sign in again");
			return;
		case -1:
			db_fail(h->db, h->resp);
			return;
		}
	}
	/* A handler that failed without answering: never an empty 200. */
	if (h->req->route->handler(h) != 0 && h->resp->status == 0 &&
	    (h->req->route->flags & ROUTE_STREAM) == 0) {
		log_warn("router: %s failed without an answer",
		    h->req->route->pattern);
		resp_problem(h->resp, 500, "internal", "the request failed; the"
		    " error has been logged");
	}
}

int
rest_op(struct hctx *h, int id, struct op_in *in)
{
	struct op_in	 none = { 0 };
	struct actor	 a = { .kind = ACTOR_USER, .role = h->req->who.role,
			    .company = h->req->scope };

	if (in == NULL)
		in = &none;
	if (h->req->who.user_id[0] != '\0')
		a.user = h->req->who.user_id;
	return rest_op_as(h, id, &a, in, h->req->body);
}

/* out as the response. */
static int
rest_out(struct hctx *h, struct op_out *out)
{
	struct fields	 f;
	json_t		*extra;

	/* A problem with members of its own (an IVR flow's diagnostics). */
	if (out->status >= 400 && json_is_object(out->obj)) {
		extra = out->obj;
		out->obj = NULL;
		if (out->errors != NULL)
			json_object_set(extra, "errors", out->errors);
		op_out_free(out);
		return resp_problem_with(h->resp, out->status, out->code,
		    extra, "%s", out->detail);
	}
	if (out->status == 422 && (out->errors != NULL || out->field != NULL)) {
		fields_init(&f);
		if (out->errors != NULL) {
			json_decref(f.errors);
			f.errors = out->errors;
			out->errors = NULL;
		} else
			fields_add(&f, out->field, "%s", out->detail);
		op_out_free(out);
		return resp_invalid(h->resp, &f);
	}
	if (out->status >= 400) {
		op_out_free(out);
		return resp_problem(h->resp, out->status, out->code, "%s",
		    out->detail);
	}
	if (out->obj == NULL)
		resp_empty(h->resp);
	else
		resp_json(h->resp, out->status, out->obj);
	out->obj = NULL;
	op_out_free(out);
	return 0;
}

/* Run entry id as the signed-in user; a 201's Location is
 * location/<the new object's id> (none when location is NULL). */
static void
admin_run(struct hctx *h, int id, struct op_in *in, struct op_out *out,
    const char *location)
{
	struct actor	 a = { .kind = ACTOR_USER, .role = h->req->who.role,
			    .company = h->req->scope,
			    .ip = h->req->client_ip };

	if (h->req->who.user_id[0] != '\0')
		a.user = h->req->who.user_id;
	op_run(h->db, (enum op_id)id, &a, in, out);
	if (out->status == 201 && location != NULL)
		h->resp->location = xasprintf("%s/%s", location, out->id);
}

/* The entry's route's path ("/api/queues" of "POST /api/queues"). */
static const char *
route_path(int id)
{
	const char	*path = strchr(ops[id].route, ' ');

	return path != NULL ? path + 1 : NULL;
}

int
rest_admin(struct hctx *h, int id)
{
	struct op_in	 in = { 0 };
	struct op_out	 out;

	rest_admin_run(h, id, &in, &out);
	return rest_out(h, &out);
}

void
rest_admin_run(struct hctx *h, int id, struct op_in *in, struct op_out *out)
{
	if (in->id == NULL && h->req->nparams > 0)
		in->id = h->req->params[0];
	if (in->body == NULL)
		in->body = h->req->body;
	admin_run(h, id, in, out, route_path(id));
}

int
rest_answer(struct hctx *h, struct op_out *out)
{
	return rest_out(h, out);
}

int
rest_admin_in(struct hctx *h, int id, struct op_in *in, const char *location)
{
	struct op_out	 out;

	admin_run(h, id, in, &out, location);
	return rest_out(h, &out);
}

int
rest_op_as(struct hctx *h, int id, const struct actor *a, struct op_in *in,
    json_t *body)
{
	struct op_out	 out;
	struct fields	 f;

	fields_init(&f);
	if (op_in_parse((enum op_id)id, body, 1, in, &f) != 0)
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	op_run(h->db, (enum op_id)id, a, in, &out);
	if (out.status >= 400 && out.field != NULL) {
		fields_init(&f);
		fields_add(&f, out.field, "%s", out.detail);
		return resp_invalid(h->resp, &f);
	}
	if (out.status >= 400)
		return resp_problem(h->resp, out.status, out.code, "%s",
		    out.detail);
	if (id == OP_CALL_CREATE)
		h->resp->location = xasprintf("/api/calls/%s", json_string_value(
		    json_object_get(out.obj, "id")));
	if (out.obj == NULL)
		resp_empty(h->resp);
	else
		resp_json(h->resp, out.status, out.obj);
	out.obj = NULL;
	return 0;
}

int
db_fail(struct db *db, struct response *resp)
{
	switch (db->err) {
	case DB_DOWN:
		return resp_problem(resp, 503, "unavailable",
		    "the database is unreachable; try again shortly");
	case DB_UNIQUE:
		return resp_problem(resp, 409, "conflict",
		    "a conflicting object already exists");
	case DB_FOREIGN:
		return resp_problem(resp, 409, "conflict",
		    "a referenced object does not exist or is still in use");
	default:
		return resp_problem(resp, 500, "internal",
		    "the request failed; the error has been logged");
	}
}
