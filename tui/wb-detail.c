/*
 * The wallboard's details pane (Enter): everything known about one queue,
 * agent or call, followed by id so that it stays on its object across
 * refreshes and shows "gone" when the object ends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "cmd.h"
#include "wb.h"

#define WB_DETAIL_MAX	24

struct wb_lines {
	char	 label[WB_DETAIL_MAX][24];
	char	 value[WB_DETAIL_MAX][160];
	int	 attr[WB_DETAIL_MAX];
	int	 n;
};

static void	wb_line(struct wb_lines *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void
wb_line(struct wb_lines *l, const char *label, const char *fmt, ...)
{
	va_list	 ap;

	if (l->n >= WB_DETAIL_MAX)
		return;
	snprintf(l->label[l->n], sizeof l->label[l->n], "%s", label);
	va_start(ap, fmt);
	vsnprintf(l->value[l->n], sizeof l->value[l->n], fmt, ap);
	va_end(ap);
	l->attr[l->n] = 0;
	l->n++;
}

static const char *
wb_jstr(json_t *o, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : dflt;
}

/* A JSON value in one line ("-" for null or missing). */
static void
wb_jline(struct wb_lines *l, const char *label, json_t *v)
{
	char	*s;

	if (v == NULL || json_is_null(v) ||
	    (json_is_object(v) && json_object_size(v) == 0) ||
	    (json_is_array(v) && json_array_size(v) == 0)) {
		wb_line(l, label, "-");
		return;
	}
	if (json_is_string(v)) {
		wb_line(l, label, "%s", json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	wb_line(l, label, "%s", s != NULL ? s : "?");
	free(s);
}

static void
wb_clock_at(char *buf, size_t len, json_t *v)
{
	time_t	 t = wb_time(v);

	if (t == 0)
		snprintf(buf, len, "-");
	else
		wb_clock(buf, len, t);
}

/*
 * "Forecast": the agents needed now, what those signed in reach, and the
 * agents needed per half hour ahead.
 */
static void
wb_detail_forecast(const struct wb *wb, const struct wb_queue *q,
    struct wb_lines *l)
{
	json_t	*now = json_object_get(q->forecast, "now"), *st, *v, *n;
	char	 ahead[120], asa[48], d[32];
	size_t	 i, off = 0;

	if (q->forecast == NULL || q->need < 0) {
		wb_line(l, "Forecast", "not available");
		return;
	}
	ahead[0] = '\0';
	json_array_foreach(json_object_get(q->forecast, "slots"), i, v) {
		n = json_object_get(v, "agents_needed");
		if (off < sizeof ahead)
			off += snprintf(ahead + off, sizeof ahead - off, " %s",
			    json_is_integer(n) ? "" : "-");
		if (json_is_integer(n) && off < sizeof ahead)
			off += snprintf(ahead + off, sizeof ahead - off, "%lld",
			    (long long)json_integer_value(n));
	}
	st = json_object_get(now, "staffed");
	if (json_is_true(json_object_get(st, "overloaded")))
		snprintf(asa, sizeof asa, "overloaded");
	else {
		wb_duration(d, sizeof d, (long)(wb_num(st, "asa") + 0.5));
		snprintf(asa, sizeof asa, "ASA %s", d);
	}
	wb_line(l, "Forecast", "need %ld now; %ld signed in: %.0f%% within "
	    "%llds, %s; per half hour:%s", q->need, q->staffed,
	    wb_num(st, "service_level") * 100,
	    (long long)wb_num(q->forecast, "sl_threshold"), asa, ahead);
	l->attr[l->n - 1] = q->staffed < q->need ? wb_attr(wb, C_BAD, A_BOLD) :
	    0;
}

static void
wb_detail_queue(const struct wb *wb, const struct wb_queue *q,
    struct wb_lines *l)
{
	char		 d1[32], d2[32], d3[32];
	json_t		*m = json_object_get(q->raw, "members"), *v;
	size_t		 i;
	char		 names[160];
	size_t		 off = 0;
	const struct wb_agent *a;

	wb_line(l, "Queue", "%s", q->name);
	wb_line(l, "Strategy", "%s, ring %lds, wrap-up %lds",
	    wb_jstr(q->raw, "strategy", "-"),
	    (long)wb_num(q->raw, "ring_timeout"),
	    (long)wb_num(q->raw, "wrap_up"));
	if (!q->have_stats) {
		wb_line(l, "Figures", "not available");
		goto members;
	}
	wb_duration(d1, sizeof d1, (long)q->longest);
	wb_line(l, "Waiting", "%ld (longest %s), %ld ringing", q->waiting, d1,
	    q->offering);
	if (q->answered + q->abandoned == 0)
		wb_line(l, "Service level", "- (no call answered or abandoned "
		    "today; threshold %lds)", q->sl_threshold);
	else {
		wb_line(l, "Service level", "%.0f%% answered within %lds today",
		    q->sl * 100, q->sl_threshold);
		l->attr[l->n - 1] = q->sl < 0.8 ? wb_attr(wb, C_BAD, A_BOLD) :
		    0;
	}
	wb_line(l, "Today", "%ld offered, %ld answered, %ld abandoned (%.1f%%)",
	    q->offered, q->answered, q->abandoned, q->abandon_rate * 100);
	wb_duration(d2, sizeof d2, q->answered > 0 ? (long)(q->asa + 0.5) : -1);
	wb_duration(d3, sizeof d3, q->answered > 0 ? (long)(q->aht + 0.5) : -1);
	wb_line(l, "ASA / AHT", "%s / %s", d2, d3);
	wb_line(l, "Callbacks", "%ld waiting; today %ld requested, %ld "
	    "completed, %ld failed", q->cb_waiting, q->cb_requested,
	    q->cb_completed, q->cb_failed);
	wb_line(l, "Agents", "%ld available, %ld on a call, %ld wrap-up, "
	    "%ld away, %ld offline", q->avail, q->oncall, q->wrap, q->away,
	    q->offline);
	wb_detail_forecast(wb, q, l);
members:
	names[0] = '\0';
	json_array_foreach(m, i, v) {
		a = wb_agent_find(wb->d, json_string_value(
		    json_object_get(v, "agent_id")));
		if (a != NULL && off < sizeof names)
			off += snprintf(names + off, sizeof names - off,
			    "%s%s", off > 0 ? ", " : "", a->name);
	}
	wb_line(l, "Members", "%zu%s%s", json_array_size(m),
	    names[0] ? ": " : "", names);
	wb_line(l, "Id", "%s", q->id);
}

static void
wb_detail_agent(const struct wb *wb, const struct wb_agent *a,
    struct wb_lines *l)
{
	char	 d1[32], t1[16];
	size_t	 i, j;
	json_t	*v;
	char	 names[160];
	size_t	 off = 0;

	wb_line(l, "Agent", "%s", a->name);
	wb_duration(d1, sizeof d1, a->since != 0 ?
	    (long)(time(NULL) - a->since) : -1);
	wb_clock_at(t1, sizeof t1, json_object_get(a->raw, "state_since"));
	wb_line(l, "State", "%s for %s (since %s)", a->state, d1, t1);
	if (a->reason != NULL)
		wb_line(l, "Reason", "%s", a->reason);
	wb_line(l, "Current call", "%s", a->call != NULL ? a->call : "-");
	if (wb->d->handled_today)
		wb_line(l, "Calls today", "%ld", a->handled);
	wb_line(l, "Calls in all", "%ld, talk %s",
	    (long)wb_num(a->raw, "calls_handled"),
	    (wb_duration(d1, sizeof d1, (long)wb_num(a->raw, "talk_seconds")),
	    d1));
	wb_line(l, "Missed offers", "%ld", (long)wb_num(a->raw,
	    "missed_offers"));
	wb_line(l, "Extension", "%s", wb_jstr(a->raw, "extension", "-"));
	/* Where its calls ring: its browser page, or a phone Twilio dials. */
	wb_line(l, "Endpoint", "%s%s%s", wb_jstr(a->raw, "endpoint", "-"),
	    json_is_string(json_object_get(a->raw, "endpoint_address")) ?
	    " " : "", wb_jstr(a->raw, "endpoint_address", ""));
	wb_jline(l, "Skills", json_object_get(a->raw, "skills"));
	names[0] = '\0';
	for (i = 0; i < wb->d->nq; i++) {
		json_array_foreach(json_object_get(wb->d->q[i].raw, "members"),
		    j, v) {
			if (strcmp(wb_jstr(v, "agent_id", ""), a->id) == 0 &&
			    off < sizeof names)
				off += snprintf(names + off, sizeof names - off,
				    "%s%s", off > 0 ? ", " : "",
				    wb->d->q[i].name);
		}
	}
	wb_line(l, "Queues", "%s", names[0] ? names : "-");
	wb_line(l, "Id", "%s", a->id);
}

static void
wb_detail_call(const struct wb *wb, const struct wb_call *c,
    struct wb_lines *l)
{
	char	 d1[32], t1[16], t2[16];
	json_t	*pos, *cb, *sup;

	wb_line(l, "Caller", "%s", c->caller);
	wb_line(l, "Queue", "%s", c->queue);
	wb_line(l, "State", "%s", c->state);
	wb_line(l, "Agent", "%s", c->agent);
	if (json_is_object(cb = json_object_get(c->raw, "callback")))
		wb_line(l, "Callback", "%s, %s, %lld dialed",
		    wb_jstr(cb, "number", "-"), wb_jstr(cb, "state", "-"),
		    (long long)json_integer_value(json_object_get(cb,
		    "attempts")));
	if (c->sup != NULL) {
		sup = json_object_get(c->raw, "supervision");
		wb_clock_at(t1, sizeof t1, json_object_get(sup, "started_at"));
		wb_line(l, "Supervised", "%s, %s%s%s, since %s, by %s", c->sup,
		    wb_jstr(sup, "via", "-"), json_is_string(json_object_get(sup,
		    "phone")) ? " " : "", wb_jstr(sup, "phone", ""), t1,
		    wb_jstr(sup, "supervisor_id", "a deleted user"));
	}
	wb_duration(d1, sizeof d1, c->since != 0 ?
	    (long)(time(NULL) - c->since) : -1);
	wb_line(l, strcmp(c->state, "queued") == 0 ||
	    strcmp(c->state, "offering") == 0 ? "Waiting" : "Talking",
	    "%s", d1);
	wb_clock_at(t1, sizeof t1, json_object_get(c->raw, "enqueued_at"));
	wb_clock_at(t2, sizeof t2, json_object_get(c->raw, "answered_at"));
	wb_line(l, "Enqueued", "%s, answered %s", t1, t2);
	if ((pos = json_object_get(c->raw, "position")) != NULL &&
	    json_is_integer(pos)) {
		wb_duration(d1, sizeof d1,
		    (long)wb_num(c->raw, "estimated_wait"));
		wb_line(l, "Position", "%lld, estimated wait %s",
		    (long long)json_integer_value(pos), d1);
	}
	wb_line(l, "Priority", "%ld", (long)wb_num(c->raw, "priority"));
	wb_jline(l, "Skills", json_object_get(c->raw, "skills"));
	wb_line(l, "Media", "%s %s", wb_jstr(c->raw, "direction", "-"),
	    wb_jstr(c->raw, "media", "-"));
	wb_jline(l, "Caller data", json_object_get(c->raw, "caller_data"));
	wb_line(l, "Id", "%s", c->id);
}

/* The last events of the call that fit in room lines, oldest first. */
static void
wb_detail_events(const struct wb *wb, struct wb_lines *l, int room)
{
	json_t			*ev = json_object_get(wb->detail_more, "events");
	json_t			*e;
	const struct wb_agent	*a;
	size_t			 n = json_array_size(ev), i, from;
	char			 t[16];

	if (n == 0 || room < 2)
		return;
	if ((size_t)room - 1 < n) {
		from = n - ((size_t)room - 1);
		wb_line(l, "Events", "(%zu earlier)", from);
	} else
		from = 0;
	for (i = from; i < n; i++) {
		e = json_array_get(ev, i);
		wb_clock_at(t, sizeof t, json_object_get(e, "at"));
		a = wb_agent_find(wb->d, json_string_value(json_object_get(e,
		    "agent_id")));
		/* A supervision's change says its mode. */
		wb_line(l, i == from && from == 0 ? "Events" : "", "%s %s%s%s%s%s",
		    t, wb_jstr(e, "type", "?"), a != NULL ? "  " : "",
		    a != NULL ? a->name : "", json_is_string(json_object_get(
		    json_object_get(e, "data"), "mode")) ? "  " : "",
		    wb_jstr(json_object_get(e, "data"), "mode", ""));
	}
}

/*
 * A call's details add its events: GET /api/calls/:id when they open and
 * again whenever the call changes while they stay open.
 */
void
wb_details_fetch(struct wb *wb)
{
	const struct wb_call	*c;
	const char		*at;
	json_t			*o;
	char			*path;

	c = wb->detail - 1 == P_CALLS && wb->detail_id != NULL ?
	    wb_call_find(wb->d, wb->detail_id) : NULL;
	/* Only when the call itself changed, not with every event. */
	at = c != NULL ? json_string_value(json_object_get(c->raw,
	    "updated_at")) : NULL;
	if (c != NULL && wb->detail_more != NULL && at != NULL &&
	    json_equal(json_object_get(wb->detail_more, "updated_at"),
	    json_object_get(c->raw, "updated_at")))
		return;
	json_decref(wb->detail_more);
	wb->detail_more = NULL;
	if (c == NULL)
		return;
	path = api_path("/api/calls/", wb->detail_id);
	if (wb_get(wb->src, path, &o) == 0)
		wb->detail_more = o;
	free(path);
}

void
wb_draw_details(struct wb *wb)
{
	struct wb_lines		 l;
	const struct wb_queue	*q;
	const struct wb_agent	*a;
	const struct wb_call	*c;
	const char		*title;
	char			 hint[200];
	int			 h, w, y, x, i, lw = 0, iw;

	memset(&l, 0, sizeof l);
	switch (wb->detail - 1) {
	case P_QUEUES:
		title = "Queue";
		if ((q = wb_queue_find(wb->d, wb->detail_id)) != NULL)
			wb_detail_queue(wb, q, &l);
		break;
	case P_AGENTS:
		title = "Agent";
		if ((a = wb_agent_find(wb->d, wb->detail_id)) != NULL)
			wb_detail_agent(wb, a, &l);
		break;
	default:
		title = "Call";
		if ((c = wb_call_find(wb->d, wb->detail_id)) != NULL) {
			wb_detail_call(wb, c, &l);
			wb_detail_events(wb, &l, (LINES - 6 < WB_DETAIL_MAX ?
			    LINES - 6 : WB_DETAIL_MAX) - l.n);
		}
		break;
	}
	if (l.n == 0)
		wb_line(&l, title, "gone (ended or deleted)");
	for (i = 0; i < l.n; i++) {
		if ((int)strlen(l.label[i]) > lw)
			lw = (int)strlen(l.label[i]);
	}
	w = COLS - 4 < 100 ? COLS - 4 : 100;
	h = l.n + 4 < LINES - 2 ? l.n + 4 : LINES - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	iw = wb_box(y, x, h, w, title);
	for (i = 0; i < l.n && i < h - 4; i++) {
		wb_put(y + 1 + i, x + 2, lw, l.label[i], 0, A_BOLD);
		wb_put(y + 1 + i, x + 3 + lw, iw - lw - 1, l.value[i], 0,
		    l.attr[i]);
	}
	snprintf(hint, sizeof hint, "Esc close  %s", wb_action_hint(wb));
	wb_put(y + h - 2, x + 2, iw, hint, 0, A_DIM);
}

