/*
 * The wallboard's live data from the daemon's event stream (/ws,
 * docs/ws.md, through common/wsc.c): authenticate, subscribe to agents
 * and calls, take their snapshots, then apply every event by id as it
 * comes. Queues, their figures (service level, ASA, AHT ...) and calls
 * handled today have no events: they are read from the REST API every
 * interval, and within a second after a queue.updated event.
 *
 * The link is live once both snapshots came and the last REST read
 * worked. A closed or silent socket, or a failed REST read, makes it
 * stale (the picture stays); the socket reconnects with a backoff of 1,
 * 2, 4 ... 30 s and takes fresh snapshots. A 4002 close (token expired)
 * renews a saved login's token and reconnects at once; the token is also
 * renewed on the open socket before it expires.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "wb.h"
#include "wsc.h"
#include "xmalloc.h"

#define WB_BACKOFF_MAX	30	/* seconds between reconnects, at most */
#define WB_PING_EVERY	10	/* seconds of quiet before a ping */
#define WB_SILENCE_MAX	25	/* seconds without a message: lost */

struct wb_ws {
	struct wb_source	 src;	/* first: the ops see a wb_source */
	struct wsc		*ws;
	int			 snapshots;	/* of agents and calls */
	double			 next_connect;
	double			 backoff;
	double			 last_rx;
	double			 next_ping;
	time_t			 renew_at;
	double			 next_rest;
	int			 rest_ok;
	int			 changed;
};

static void
wb_ws_send(struct wb_ws *w, json_t *m)
{
	char	*s = json_dumps(m, JSON_COMPACT);

	if (s != NULL && w->ws != NULL)
		wsc_send_text(w->ws, s, strlen(s));
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
	json_decref(m);
}

static void
wb_ws_link(struct wb_ws *w)
{
	struct wb_source	*src = &w->src;

	if (w->ws != NULL && w->snapshots >= 2 && w->rest_ok) {
		src->link = WB_LIVE;
		src->last_ok = time(NULL);
		src->fails = 0;
		src->err[0] = '\0';
	} else if (src->last_ok != 0)
		src->link = WB_STALE;
	else
		src->link = WB_CONNECTING;
}

static void
wb_ws_connect(struct wb_ws *w)
{
	char	*cause = NULL;

	w->snapshots = 0;
	if ((w->ws = wsc_connect(w->src.cli->host, "/ws",
	    w->src.cli->cacert, &cause)) == NULL) {
		snprintf(w->src.err, sizeof w->src.err, "%s", cause);
		free(cause);
		w->next_connect = wb_mono() + w->backoff;
		w->backoff = w->backoff * 2 > WB_BACKOFF_MAX ? WB_BACKOFF_MAX :
		    w->backoff * 2;
		wb_ws_link(w);
		return;
	}
	w->last_rx = wb_mono();
	w->next_ping = w->last_rx + WB_PING_EVERY;
	wb_ws_send(w, json_pack("{s:s,s:s,s:s}", "type", "auth", "id", "auth",
	    "token", w->src.cli->token ? w->src.cli->token : ""));
}

/* The socket is gone: stale, and the next attempt planned. */
static void
wb_ws_lost(struct wb_ws *w, const char *why)
{
	int	 code = wsc_close_code(w->ws);
	double	 delay = w->backoff;

	snprintf(w->src.err, sizeof w->src.err, "live events: %s",
	    why != NULL && *why != '\0' ? why : "connection closed");
	wsc_close(w->ws, 1000, NULL);
	w->ws = NULL;
	w->renew_at = 0;
	w->snapshots = 0;
	if (code == 4002 && api_renew(w->src.cli) == 0)
		delay = 0;
	else if (code == 4002 || code == 4003)
		snprintf(w->src.err, sizeof w->src.err, "live events: %s; "
		    "log in again with 'calldocker login'", code == 4002 ?
		    "the access token has expired" : "the session has ended");
	w->next_connect = wb_mono() + delay;
	w->backoff = w->backoff * 2 > WB_BACKOFF_MAX ? WB_BACKOFF_MAX :
	    w->backoff * 2;
	w->src.fails++;
	wb_ws_link(w);
}

/* A snapshot replaces that topic's part of the picture. */
static void
wb_ws_snapshot(struct wb_ws *w, const char *topic, json_t *items)
{
	struct wb_data	*d = &w->src.data;
	struct wb_data	 old;
	json_t		*v;
	size_t		 i;

	memset(&old, 0, sizeof old);
	if (strcmp(topic, "agents") == 0) {
		old.a = d->a;
		old.na = d->na;
		d->a = NULL;
		d->na = 0;
	} else if (strcmp(topic, "calls") == 0) {
		old.c = d->c;
		old.nc = d->nc;
		d->c = NULL;
		d->nc = 0;
	} else
		return;
	wb_data_free(&old);
	json_array_foreach(items, i, v) {
		if (wb_ours(&w->src, v))
			wb_data_put(d, topic, v);
	}
	w->snapshots++;
	w->changed = 1;
	if (strcmp(topic, "agents") == 0)
		w->next_rest = 0;	/* today's counts for these agents */
	if (w->snapshots == 2) {
		w->backoff = 1;
		wb_ws_link(w);
	}
}

static void
wb_ws_event(struct wb_ws *w, const char *event, json_t *data)
{
	struct wb_data	*d = &w->src.data;
	const char	*id;
	double		 soon;

	if (strncmp(event, "call.", 5) == 0) {
		if (wb_ours(&w->src, data) && wb_data_put(d, "calls", data))
			w->changed = 1;
	} else if (strcmp(event, "agent.state_changed") == 0) {
		id = json_string_value(json_object_get(data, "agent_id"));
		if (wb_agent_state(d, id, json_string_value(json_object_get(
		    data, "state")), json_string_value(json_object_get(data,
		    "reason"))))
			w->changed = 1;
		else	/* a new agent: read the list again soon */
			w->next_rest = 0;
	} else if (strcmp(event, "agent.deleted") == 0) {
		if (wb_agent_drop(d, json_string_value(json_object_get(data,
		    "agent_id")))) {
			wb_data_link(d);
			w->changed = 1;
		}
	} else if (strcmp(event, "queue.updated") == 0) {
		/* Its figures within a second, not once per event. */
		soon = wb_mono() + 1;
		if (w->next_rest > soon)
			w->next_rest = soon;
	}
}

static void
wb_ws_message(struct wb_ws *w, const char *s, size_t len)
{
	json_t		*m = json_loadb(s, len, 0, NULL), *topics;
	const char	*type = json_string_value(json_object_get(m, "type"));
	const char	*event, *id;
	time_t		 exp, now;

	w->last_rx = wb_mono();
	if (w->src.link == WB_LIVE)
		w->src.last_ok = time(NULL);
	if (type == NULL)
		goto out;
	if (strcmp(type, "authenticated") == 0) {
		/* Renew the token when two thirds of its life are gone. */
		exp = json_integer_value(json_object_get(m, "expires_at"));
		now = time(NULL);
		w->renew_at = exp > now ? now + (exp - now) * 2 / 3 : 0;
		id = json_string_value(json_object_get(m, "id"));
		if (id != NULL && strcmp(id, "auth") == 0) {
			topics = json_pack("{s:s,s:s,s:[s,s,s]}", "type",
			    "subscribe", "id", "sub", "topics", "queues",
			    "agents", "calls");
			if (w->src.cli->company != NULL)
				json_object_set_new(topics, "company_id",
				    json_string(w->src.cli->company));
			wb_ws_send(w, topics);
		}
	} else if (strcmp(type, "snapshot") == 0) {
		if (json_is_string(json_object_get(m, "topic")))
			wb_ws_snapshot(w, json_string_value(json_object_get(m,
			    "topic")), json_object_get(m, "items"));
	} else if (strcmp(type, "event") == 0) {
		if ((event = json_string_value(json_object_get(m, "event"))) !=
		    NULL)
			wb_ws_event(w, event, json_object_get(m, "data"));
	} else if (strcmp(type, "error") == 0) {
		snprintf(w->src.err, sizeof w->src.err, "live events: %s",
		    json_string_value(json_object_get(m, "message")) ?
		    json_string_value(json_object_get(m, "message")) : "error");
	}
out:
	json_decref(m);
}

/* Read what the socket has; keep it alive and its token fresh. */
static void
wb_ws_service(struct wb_ws *w)
{
	enum wsc_status	 st = WSC_AGAIN;
	char		*msg;
	size_t		 len;
	double		 now;

	while (w->ws != NULL && (st = wsc_read(w->ws, &msg, &len)) ==
	    WSC_MESSAGE)
		wb_ws_message(w, msg, len);
	if (w->ws == NULL)
		return;
	if (st == WSC_CLOSED) {
		wb_ws_lost(w, wsc_error(w->ws));
		return;
	}
	if (w->renew_at != 0 && time(NULL) >= w->renew_at) {
		w->renew_at = 0;
		if (api_renew(w->src.cli) == 0)
			wb_ws_send(w, json_pack("{s:s,s:s,s:s}", "type", "auth",
			    "id", "renew", "token", w->src.cli->token));
	}
	now = wb_mono();
	if (now - w->last_rx > WB_SILENCE_MAX)
		wb_ws_lost(w, "no answer from the daemon");
	else if (now >= w->next_ping && wsc_is_open(w->ws)) {
		w->next_ping = now + WB_PING_EVERY;
		wb_ws_send(w, json_pack("{s:s,s:s}", "type", "ping", "id",
		    "keepalive"));
	}
}

/* Queues, their figures and today's counts from the REST API. */
static int
wb_ws_rest(struct wb_ws *w)
{
	struct wb_source	*src = &w->src;
	char			 err[sizeof src->err];
	int			 rc;

	/* The socket's error, if any, stays in front. */
	snprintf(err, sizeof err, "%s", src->err);
	if ((rc = wb_rest_queues(src, &src->data)) == 0) {
		wb_data_link(&src->data);
		(void)wb_rest_today(src, &src->data);
		if (src->company == NULL)
			wb_rest_company(src);
		snprintf(src->err, sizeof src->err, "%s", err);
		w->changed = 1;
		/* The daemon is back: no need to wait out the backoff. */
		if (w->ws == NULL && !w->rest_ok)
			w->next_connect = 0;
	}
	w->rest_ok = rc == 0;
	if (rc != 0)
		src->fails++;
	w->next_rest = wb_mono() + (rc == 0 ? src->interval :
	    (src->interval > 5 ? src->interval : 5));
	return rc;
}

static int
wb_ws_run(struct wb_source *src)
{
	struct wb_ws	*w = (struct wb_ws *)src;
	double		 now = wb_mono();
	int		 rc = 0;

	if (w->ws == NULL && now >= w->next_connect)
		wb_ws_connect(w);
	if (w->ws != NULL)
		wb_ws_service(w);
	if (wb_mono() >= w->next_rest)
		rc = wb_ws_rest(w);
	if (w->changed) {
		wb_data_link(&src->data);
		src->gen++;
		w->changed = 0;
	}
	wb_ws_link(w);
	src->deadline = w->next_rest;
	if (w->ws == NULL && w->next_connect < src->deadline)
		src->deadline = w->next_connect;
	if (w->ws != NULL && w->next_ping < src->deadline)
		src->deadline = w->next_ping;
	return rc;
}

static int
wb_ws_fd(struct wb_source *src)
{
	struct wb_ws	*w = (struct wb_ws *)src;

	return w->ws != NULL ? wsc_fd(w->ws) : -1;
}

static short
wb_ws_events(struct wb_source *src)
{
	struct wb_ws	*w = (struct wb_ws *)src;

	return w->ws != NULL ? wsc_events(w->ws) : 0;
}

static void
wb_ws_refresh(struct wb_source *src)
{
	struct wb_ws	*w = (struct wb_ws *)src;

	w->next_rest = 0;
	if (w->ws == NULL)
		w->next_connect = 0;
	src->deadline = 0;
}

static void
wb_ws_free(struct wb_source *src)
{
	struct wb_ws	*w = (struct wb_ws *)src;

	if (w->ws != NULL)
		wsc_close(w->ws, 1000, "bye");
	wb_data_free(&src->data);
	json_decref(src->forecasts);
	free(src->company);
	free(w);
}

static const struct wb_source_ops wb_ws_ops = {
	.name = "ws",
	.fd = wb_ws_fd,
	.events = wb_ws_events,
	.run = wb_ws_run,
	.refresh = wb_ws_refresh,
	.free = wb_ws_free,
};

/* A source on the event stream, with REST every interval for figures. */
struct wb_source *
wb_source_ws_new(struct cli *cli, double interval, int errfd)
{
	struct wb_ws	*w = xcalloc(1, sizeof *w);

	w->src.ops = &wb_ws_ops;
	w->src.cli = cli;
	w->src.interval = interval;
	w->src.errfd = errfd;
	w->src.link = WB_CONNECTING;
	w->backoff = 1;
	return &w->src;
}
