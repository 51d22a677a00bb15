/*
 * Who a calldocker.v1 socket is (docs/ws.md, "Connecting" and
 * "Authentication"): the upgrade's subprotocol contract, and sign-in with
 * an access token (agents' records are looked up by a JOB_WS job) or,
 * for website callers, a widget key (ws-widget.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <libwebsockets.h>

#include "xmalloc.h"
#include "daemon.h"
#include "http.h"
#include "tcache.h"
#include "revoke.h"
#include "db.h"
#include "db-agent.h"
#include "ws.h"
#include "ws-int.h"

json_t *
ws_auth_reply(const struct conn *c)
{
	if (c->caller)
		return json_pack("{s:s,s:s,s:s}", "type", "authenticated",
		    "role", "caller", "company_id", c->company);
	return json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:I}", "type", "authenticated",
	    "user_id", c->user, "role", role_name(c->role),
	    "company_id", c->company[0] ? c->company : NULL,
	    "agent_id", c->agent[0] ? c->agent : NULL,
	    "expires_at", (json_int_t)c->exp);
}

/* The loop's wake-up: events first, then jobs, oldest first. */
/* ---- authentication ----------------------------------------------------- */

static void
agent_run(struct db *db, struct wsjob *j)
{
	struct agent_rows	*a;

	if ((a = db_agent_by_user(db, j->user)) == NULL) {
		j->failed = 1;
		return;
	}
	if (a->n > 0)
		strlcpy_(j->agent, a->v[0].id, sizeof j->agent);
	agent_rows_free(a);
}

static void
agent_done(struct wsjob *j)
{
	struct conn	*c = j->c;

	if (c == NULL)
		return;
	if (j->failed) {
		ws_reply_error(c, j->id, "unavailable",
		    "the database is unreachable; try again shortly");
		ws_close(c, 1013 /* try again later */, "try again later");
		ws_auth_done(c);
		return;
	}
	strlcpy_(c->agent, j->agent, sizeof c->agent);
	c->state = C_AUTHED;
	ws_reply(c, ws_auth_reply(c), j->id);
	ws_party_set(c, c->agent[0] != '\0');
	if (c->agent[0] != '\0') {
		ws_signal_agent(c);
		ws_presence_opened(c);
	}
	ws_auth_done(c);
}

void
ws_auth(struct conn *c, json_t *req, json_t *id)
{
	const char		*tok = json_string_value(json_object_get(req, "token"));
	struct token_claims	 cl;
	enum token_error	 e;
	enum role		 role;
	time_t			 now = time(NULL);
	const char		*why = NULL;

	if (c->state == C_AUTHING)
		return ws_reply_error(c, id, "not_authenticated",
		    "authentication is in progress");
	if (json_object_get(req, "widget_key") != NULL) {
		if (c->state == C_AUTHED)
			return ws_reply_error(c, id, "bad_request",
			    "this socket is authenticated already");
		return ws_widget_auth(c, req, id);
	}
	if (c->caller)
		return ws_reply_error(c, id, "bad_request",
		    "a caller's socket takes no token");
	if (tok == NULL)
		return ws_reply_error(c, id, "bad_request",
		    "auth needs a \"token\" string (or a \"widget_key\")");
	if ((e = tcache_verify(&tkey, tok, now, 0, &cl)) != TOKEN_OK)
		why = token_strerror(e);
	else if (revoke_check(cl.sid, now))
		why = "this session has ended; sign in again";
	else if (role_parse(cl.role, &role) != 0 || role == ROLE_NONE)
		why = "the token names an unknown role";
	else if (c->state == C_AUTHED && strcmp(cl.sub, c->user) != 0)
		why = "a new token must be for the same user";
	if (why != NULL) {
		ws_reply_error(c, id, "unauthorized", why);
		ws_close(c, CLOSE_UNAUTHORIZED, "unauthorized");
		return;
	}
	c->exp = cl.exp;
	strlcpy_(c->sid, cl.sid, sizeof c->sid);
	if (c->state == C_AUTHED) {	/* a refresh */
		ws_reply(c, ws_auth_reply(c), id);
		return;
	}
	c->role = role;
	strlcpy_(c->user, cl.sub, sizeof c->user);
	strlcpy_(c->company, cl.company, sizeof c->company);
	strlcpy_(c->scope, cl.company, sizeof c->scope);
	if (role == ROLE_AGENT) {
		struct wsjob	*j = ws_job_new(agent_run, agent_done);

		j->id = json_incref(id);
		strlcpy_(j->user, c->user, sizeof j->user);
		c->state = C_AUTHING;
		ws_job_submit(c, j);
		return;
	}
	c->state = C_AUTHED;
	ws_reply(c, ws_auth_reply(c), id);
	/*
	 * A manager's or an admin's socket may supervise a call: its node
	 * must hear call.supervised (sent to her sockets, subscribed or
	 * not) and know who may signal (docs/ws.md, "Supervision"), also
	 * when nothing else on the node listens to the bus.
	 */
	ws_party_set(c, role == ROLE_MANAGER || role == ROLE_ADMIN);
}

/* ---- the upgrade -------------------------------------------------------- */

static int
offers_protocol(const char *list)
{
	const char	*p = list, *e;
	size_t		 n = strlen(WS_PROTOCOL);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == n && strncmp(p, WS_PROTOCOL, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* Write a problem+json answer and hang up. */
static int
refuse(struct lws *wsi, int status, const char *code, const char *detail)
{
	unsigned char	*buf, *start, *p, *end;
	char		*body;
	size_t		 blen;
	static const char ctype[] = "application/problem+json";

	body = xasprintf("{\"type\":\"about:blank\",\"title\":\"%s\","
	    "\"status\":%d,\"code\":\"%s\",\"detail\":\"%s\"}\n",
	    status == 404 ? "Not Found" : "Bad Request", status, code, detail);
	blen = strlen(body);
	buf = xmalloc(LWS_PRE + 1024 + blen);
	start = p = buf + LWS_PRE;
	end = start + 1024;
	if (lws_add_http_header_status(wsi, (unsigned)status, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)ctype, (int)sizeof ctype - 1, &p, end) ||
	    lws_add_http_header_content_length(wsi, blen, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
	    (const unsigned char *)"close", 5, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end)) {
		free(buf);
		free(body);
		return -1;
	}
	memcpy(p, body, blen);
	p += blen;
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL);
	free(buf);
	free(body);
	return -1;	/* the answer is out; hang up */
}

int
ws_confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	char	 uri[64], proto[256];
	int	 ulen = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);

	if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0)
		return 0;
	if (ulen <= 0 || ulen >= (int)sizeof uri ||
	    lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 ||
	    strcmp(uri, "/ws") != 0)
		return refuse(wsi, 404, "not_found",
		    "WebSockets are served on /ws only");
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) <= 0 ||
	    lws_hdr_copy(wsi, proto, sizeof proto, WSI_TOKEN_PROTOCOL) < 0 ||
	    !offers_protocol(proto))
		return refuse(wsi, 400, "bad_request",
		    "use Sec-WebSocket-Protocol: " WS_PROTOCOL);
	return 0;
}
