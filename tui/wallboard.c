/*
 * calldocker wallboard: queues, agents and live calls of a company on one
 * screen, in the manner of htop and k9s.
 *
 * This slice polls the REST API every -d seconds (GET /api/queues and each
 * queue's /stats, /api/agents, /api/calls?state=...). The next step is the
 * WebSocket stream on /ws (docs/ws.md): a snapshot, then every change as it
 * happens, with the same panels.
 *
 * No threads: the main loop waits for a key with a timeout, polls when the
 * interval has passed, and redraws once per pass when something changed
 * (the dirty flag). While curses owns the terminal, stderr goes to a
 * temporary file so the API code's messages do not scribble on the screen;
 * the last one is shown in the footer while the data is stale.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "cmd.h"
#include "wallboard.h"
#include "xmalloc.h"

enum { P_QUEUES, P_AGENTS, P_CALLS, P_COUNT };

enum {
	C_OK = 1, C_WARN, C_BAD, C_INFO, C_HOLD, C_BAR, C_DIM
};

struct wb_queue {
	char	*id;
	char	*name;
	long	 sl_threshold;
	int	 have_stats;
	long	 waiting;
	double	 longest;
	long	 answered;
	double	 abandon_rate;
	double	 sl;
	double	 asa;
	double	 aht;
	long	 avail, oncall, wrap, away, offline;
};

struct wb_agent {
	char	*id;
	char	*name;
	char	*state;
	char	*reason;
	char	*call;		/* caller of its current call, or NULL */
	time_t	 since;
	long	 handled;
};

struct wb_call {
	char	*id;
	char	*caller;
	char	*queue;
	char	*state;
	char	*agent;
	time_t	 since;		/* enqueued or answered */
	long	 sl_threshold;	/* of its queue, 0 if unknown */
};

struct wb_data {
	struct wb_queue	*q;
	size_t		 nq;
	struct wb_agent	*a;
	size_t		 na;
	struct wb_call	*c;
	size_t		 nc;
};

struct wb {
	struct cli				*cli;
	const struct wallboard_options		*opt;
	struct wb_data				 d;
	char					*company;
	int					 company_tried;
	int					 color;

	int					 polled;	/* ever succeeded */
	time_t					 last_ok;
	int					 fails;
	double					 next_poll;	/* monotonic */
	char					 err[200];
	int					 errfd;

	int					 focus;
	size_t					 sel[P_COUNT];
	size_t					 top[P_COUNT];
	int					 sort[P_COUNT];
	size_t					*vis[P_COUNT];
	size_t					 nvis[P_COUNT];
	char					 filter[128];
	int					 filtering;
	int					 help;
	int					 dirty;
};

static volatile sig_atomic_t	 wb_signal;
static int			 wb_curses;
static int			 wb_saved_stderr = -1;

static const char *const wb_panel_names[P_COUNT] = {
	"Queues", "Agents", "Calls"
};
static const char *const wb_sort_queues[] = {
	"name", "waiting", "longest", "sl", "abandoned", NULL
};
static const char *const wb_sort_agents[] = {
	"name", "state", "time", "calls", NULL
};
static const char *const wb_sort_calls[] = {
	"time", "caller", "queue", "state", "agent", NULL
};
static const char *const *const wb_sorts[P_COUNT] = {
	wb_sort_queues, wb_sort_agents, wb_sort_calls
};
static const char *const wb_call_states[] = {
	"queued", "offering", "connected", "on_hold", NULL
};

/* ---- time ------------------------------------------------------------- */

static double
wb_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RFC 3339 UTC ("2026-11-25T15:08:00.123Z") to time_t, 0 if none. */
static time_t
wb_time(json_t *v)
{
	struct tm	 tm;
	const char	*s;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	memset(&tm, 0, sizeof tm);
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL &&
	    strptime(s, "%Y-%m-%d %H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

static void
wb_duration(char *buf, size_t len, long s)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 3600)
		snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
	else if (s < 100 * 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, s / 3600 % 24);
}

static void
wb_clock(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* ---- data --------------------------------------------------------------- */

static char *
wb_str(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static double
wb_num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void
wb_data_free(struct wb_data *d)
{
	size_t	 i;

	for (i = 0; i < d->nq; i++) {
		free(d->q[i].id);
		free(d->q[i].name);
	}
	for (i = 0; i < d->na; i++) {
		free(d->a[i].id);
		free(d->a[i].name);
		free(d->a[i].state);
		free(d->a[i].reason);
		free(d->a[i].call);
	}
	for (i = 0; i < d->nc; i++) {
		free(d->c[i].id);
		free(d->c[i].caller);
		free(d->c[i].queue);
		free(d->c[i].state);
		free(d->c[i].agent);
	}
	free(d->q);
	free(d->a);
	free(d->c);
	memset(d, 0, sizeof *d);
}

/* What the API code last wrote on (the redirected) stderr. */
static void
wb_take_stderr(struct wb *wb)
{
	char	 buf[1024], *p, *line;
	ssize_t	 n;

	if (wb->errfd == -1)
		return;
	n = pread(wb->errfd, buf, sizeof buf - 1, 0);
	if (ftruncate(wb->errfd, 0) != 0 || lseek(wb->errfd, 0, SEEK_SET) < 0)
		return;
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	line = (p = strrchr(buf, '\n')) != NULL ? p + 1 : buf;
	if (strncmp(line, "calldocker: ", 12) == 0)
		line += 12;
	strncpy(wb->err, line, sizeof wb->err - 1);
	wb->err[sizeof wb->err - 1] = '\0';
}

/* GET path; 0 and *out, or an exit status with wb->err set. */
static int
wb_get(struct wb *wb, const char *path, json_t **out)
{
	struct client_response	 r;
	char			*msg;
	int			 rc;

	*out = NULL;
	if ((rc = api_request(wb->cli, "GET", path, NULL, &r)) != EXIT_OK) {
		snprintf(wb->err, sizeof wb->err, "cannot reach %s",
		    wb->cli->host);
		wb_take_stderr(wb);
		return rc;
	}
	if (r.status != 200 || r.json == NULL) {
		msg = client_problem(&r);
		snprintf(wb->err, sizeof wb->err, "%s: %s", path, msg);
		free(msg);
		rc = r.status == 200 ? EXIT_FAIL : api_status_exit(r.status);
		client_response_free(&r);
		return rc;
	}
	*out = r.json;
	r.json = NULL;
	client_response_free(&r);
	return 0;
}

/* Every item of a list, following next_cursor (at most 20 pages of 500). */
static int
wb_get_list(struct wb *wb, const char *path, json_t **items)
{
	json_t	*page, *cursor;
	char	*p, *next = NULL;
	int	 rc = 0, pages;

	*items = json_array();
	for (pages = 0; pages < 20; pages++) {
		p = xstrdup(path);
		api_query_add(&p, "limit", "500");
		if (next != NULL)
			api_query_add(&p, "cursor", next);
		free(next);
		next = NULL;
		rc = wb_get(wb, p, &page);
		free(p);
		if (rc != 0)
			break;
		if (!json_is_array(json_object_get(page, "items"))) {
			snprintf(wb->err, sizeof wb->err,
			    "%s: the answer has no \"items\"", path);
			json_decref(page);
			rc = EXIT_FAIL;
			break;
		}
		json_array_extend(*items, json_object_get(page, "items"));
		cursor = json_object_get(page, "next_cursor");
		if (json_is_string(cursor) && *json_string_value(cursor) != '\0')
			next = xstrdup(json_string_value(cursor));
		json_decref(page);
		if (next == NULL)
			break;
	}
	free(next);
	if (rc != 0) {
		json_decref(*items);
		*items = NULL;
	}
	return rc;
}

static const char *
wb_agent_name(const struct wb_data *d, const char *id)
{
	size_t	 i;

	for (i = 0; id != NULL && i < d->na; i++) {
		if (strcmp(d->a[i].id, id) == 0)
			return d->a[i].name;
	}
	return NULL;
}

static const struct wb_queue *
wb_queue_find(const struct wb_data *d, const char *id)
{
	size_t	 i;

	for (i = 0; id != NULL && i < d->nq; i++) {
		if (strcmp(d->q[i].id, id) == 0)
			return &d->q[i];
	}
	return NULL;
}

static void
wb_fill_queue(struct wb_queue *q, json_t *st)
{
	json_t	*ag = json_object_get(st, "agents");
	json_t	*today = json_object_get(st, "today");

	q->have_stats = 1;
	q->waiting = (long)wb_num(st, "waiting");
	q->longest = wb_num(st, "longest_wait");
	q->answered = (long)wb_num(today, "answered");
	q->abandon_rate = wb_num(today, "abandon_rate");
	q->sl = wb_num(today, "service_level");
	q->asa = wb_num(today, "asa");
	q->aht = wb_num(today, "aht");
	q->avail = (long)wb_num(ag, "available");
	q->oncall = (long)(wb_num(ag, "busy") + wb_num(ag, "offering"));
	q->wrap = (long)wb_num(ag, "wrap_up");
	q->away = (long)wb_num(ag, "away");
	q->offline = (long)wb_num(ag, "offline");
}

static char *
wb_caller(json_t *c)
{
	const char	*name, *num;

	name = json_string_value(json_object_get(c, "caller_name"));
	num = json_string_value(json_object_get(c, "caller_number"));
	if (name != NULL && *name != '\0' && num != NULL && *num != '\0')
		return xasprintf("%s %s", name, num);
	if (name != NULL && *name != '\0')
		return xstrdup(name);
	if (num != NULL && *num != '\0')
		return xstrdup(num);
	return xstrdup("(unknown)");
}

/* One poll of everything; the data is replaced only when all of it came. */
static int
wb_fetch(struct wb *wb, struct wb_data *d)
{
	const struct wb_queue	*q;
	json_t			*items = NULL, *v, *st;
	struct wb_call		*c;
	const char		*name;
	char			*path;
	size_t			 i, j;
	int			 rc;

	if ((rc = wb_get_list(wb, "/api/queues", &items)) != 0)
		return rc;
	d->q = xcalloc(json_array_size(items) + 1, sizeof *d->q);
	json_array_foreach(items, i, v) {
		d->q[d->nq].id = wb_str(v, "id");
		d->q[d->nq].name = wb_str(v, "name");
		d->q[d->nq].sl_threshold = (long)wb_num(v, "sl_threshold");
		if (d->q[d->nq].id == NULL)
			continue;
		if (d->q[d->nq].name == NULL)
			d->q[d->nq].name = xstrdup(d->q[d->nq].id);
		d->nq++;
	}
	json_decref(items);
	for (i = 0; i < d->nq; i++) {
		path = api_path("/api/queues/", d->q[i].id);
		path = xrealloc(path, strlen(path) + sizeof "/stats");
		strcat(path, "/stats");
		rc = wb_get(wb, path, &st);
		free(path);
		if (rc == EXIT_NOTFOUND)	/* deleted meanwhile */
			continue;
		if (rc != 0)
			return rc;
		wb_fill_queue(&d->q[i], st);
		json_decref(st);
	}

	if (wb->cli->company != NULL)
		path = api_path("/api/agents/company/", wb->cli->company);
	else
		path = xstrdup("/api/agents");
	rc = wb_get_list(wb, path, &items);
	free(path);
	if (rc != 0)
		return rc;
	d->a = xcalloc(json_array_size(items) + 1, sizeof *d->a);
	json_array_foreach(items, i, v) {
		if ((d->a[d->na].id = wb_str(v, "id")) == NULL)
			continue;
		if ((d->a[d->na].name = wb_str(v, "name")) == NULL)
			d->a[d->na].name = xstrdup(d->a[d->na].id);
		if ((d->a[d->na].state = wb_str(v, "state")) == NULL)
			d->a[d->na].state = xstrdup("?");
		d->a[d->na].reason = wb_str(v, "pause_reason");
		d->a[d->na].since = wb_time(json_object_get(v, "state_since"));
		d->a[d->na].handled = (long)wb_num(v, "calls_handled");
		d->na++;
	}
	json_decref(items);

	for (j = 0; wb_call_states[j] != NULL; j++) {
		path = xasprintf("/api/calls?state=%s", wb_call_states[j]);
		rc = wb_get_list(wb, path, &items);
		free(path);
		if (rc != 0)
			return rc;
		d->c = xrealloc(d->c, (d->nc + json_array_size(items) + 1) *
		    sizeof *d->c);
		json_array_foreach(items, i, v) {
			c = &d->c[d->nc];
			memset(c, 0, sizeof *c);
			if ((c->id = wb_str(v, "id")) == NULL)
				continue;
			c->caller = wb_caller(v);
			c->state = xstrdup(wb_call_states[j]);
			q = wb_queue_find(d, json_string_value(
			    json_object_get(v, "queue_id")));
			c->queue = xstrdup(q != NULL ? q->name : "-");
			c->sl_threshold = q != NULL ? q->sl_threshold : 0;
			name = wb_agent_name(d, json_string_value(
			    json_object_get(v, "agent_id")));
			c->agent = xstrdup(name != NULL ? name : "-");
			if (j >= 2)
				c->since = wb_time(json_object_get(v,
				    "answered_at"));
			if (c->since == 0)
				c->since = wb_time(json_object_get(v,
				    "enqueued_at"));
			if (c->since == 0)
				c->since = wb_time(json_object_get(v,
				    "created_at"));
			/* The agent's current call. */
			if (j >= 1 && name != NULL) {
				for (i = 0; i < d->na; i++) {
					if (d->a[i].name == name &&
					    d->a[i].call == NULL)
						d->a[i].call = xstrdup(
						    c->caller);
				}
			}
			d->nc++;
		}
		json_decref(items);
	}
	return 0;
}

static void	wb_rebuild(struct wb *);

/* Poll now; schedule the next one, backing off while it fails. */
static int
wb_poll(struct wb *wb)
{
	struct wb_data	 d;
	double		 delay;
	int		 rc;

	memset(&d, 0, sizeof d);
	rc = wb_fetch(wb, &d);
	if (rc == 0) {
		wb_data_free(&wb->d);
		wb->d = d;
		wb->polled = 1;
		wb->last_ok = time(NULL);
		wb->fails = 0;
		wb->err[0] = '\0';
		delay = wb->opt->interval;
		wb_rebuild(wb);
	} else {
		wb_data_free(&d);
		wb->fails++;
		delay = wb->opt->interval;
		for (int i = 1; i < wb->fails && delay < 30; i++)
			delay *= 2;
		if (delay > 30)
			delay = wb->opt->interval > 30 ? wb->opt->interval : 30;
	}
	wb->next_poll = wb_mono() + delay;
	wb->dirty = 1;
	return rc;
}

/* The company's name for the header: the profile's company, or --company. */
static void
wb_company(struct wb *wb)
{
	json_t		*user = NULL, *co = NULL;
	const char	*id;
	char		*path;

	wb->company_tried = 1;
	id = wb->cli->company;
	if (id == NULL && wb_get(wb, "/api/auth/profile", &user) == 0)
		id = json_string_value(json_object_get(user, "company_id"));
	if (id != NULL) {
		path = api_path("/api/companies/", id);
		if (wb_get(wb, path, &co) == 0)
			wb->company = wb_str(co, "name");
		free(path);
		if (wb->company == NULL)
			wb->company = xstrdup(id);
	}
	json_decref(co);
	json_decref(user);
	wb->err[0] = '\0';
}

/* ---- filter and sort ----------------------------------------------------- */

static int
wb_match(const struct wb *wb, const char *s)
{
	return wb->filter[0] == '\0' ||
	    (s != NULL && strcasestr(s, wb->filter) != NULL);
}

static int
wb_visible(const struct wb *wb, int p, size_t i)
{
	const struct wb_call	*c;

	switch (p) {
	case P_QUEUES:
		return wb_match(wb, wb->d.q[i].name);
	case P_AGENTS:
		return wb_match(wb, wb->d.a[i].name) ||
		    wb_match(wb, wb->d.a[i].call);
	default:
		c = &wb->d.c[i];
		return wb_match(wb, c->caller) || wb_match(wb, c->queue) ||
		    wb_match(wb, c->agent);
	}
}

static int
wb_cmp_num(double a, double b)
{
	return a < b ? -1 : a > b;
}

static int
wb_cmp(const void *va, const void *vb, void *arg)
{
	const struct wb		*wb = ((const struct wb *const *)arg)[0];
	int			 p = (int)(intptr_t)((void *const *)arg)[1];
	size_t			 a = *(const size_t *)va, b = *(const size_t *)vb;
	const struct wb_queue	*qa, *qb;
	const struct wb_agent	*aa, *ab;
	const struct wb_call	*ca, *cb;
	int			 r = 0;

	switch (p) {
	case P_QUEUES:
		qa = &wb->d.q[a];
		qb = &wb->d.q[b];
		switch (wb->sort[p]) {
		case 1: r = -wb_cmp_num(qa->waiting, qb->waiting); break;
		case 2: r = -wb_cmp_num(qa->longest, qb->longest); break;
		case 3: r = wb_cmp_num(qa->sl, qb->sl); break;
		case 4: r = -wb_cmp_num(qa->abandon_rate, qb->abandon_rate);
			break;
		}
		return r != 0 ? r : strcasecmp(qa->name, qb->name);
	case P_AGENTS:
		aa = &wb->d.a[a];
		ab = &wb->d.a[b];
		switch (wb->sort[p]) {
		case 1: r = strcmp(aa->state, ab->state); break;
		case 2: r = wb_cmp_num(aa->since, ab->since); break;
		case 3: r = -wb_cmp_num(aa->handled, ab->handled); break;
		}
		return r != 0 ? r : strcasecmp(aa->name, ab->name);
	default:
		ca = &wb->d.c[a];
		cb = &wb->d.c[b];
		switch (wb->sort[p]) {
		case 1: r = strcasecmp(ca->caller, cb->caller); break;
		case 2: r = strcasecmp(ca->queue, cb->queue); break;
		case 3: r = strcmp(ca->state, cb->state); break;
		case 4: r = strcasecmp(ca->agent, cb->agent); break;
		}
		return r != 0 ? r : wb_cmp_num(ca->since, cb->since);
	}
}

/* The rows each panel shows, filtered and sorted; keeps the selection. */
static void
wb_rebuild(struct wb *wb)
{
	size_t	 n[P_COUNT] = { wb->d.nq, wb->d.na, wb->d.nc }, i;
	void	*arg[2];
	int	 p;

	for (p = 0; p < P_COUNT; p++) {
		free(wb->vis[p]);
		wb->vis[p] = xcalloc(n[p] + 1, sizeof *wb->vis[p]);
		wb->nvis[p] = 0;
		for (i = 0; i < n[p]; i++) {
			if (wb_visible(wb, p, i))
				wb->vis[p][wb->nvis[p]++] = i;
		}
		arg[0] = wb;
		arg[1] = (void *)(intptr_t)p;
		qsort_r(wb->vis[p], wb->nvis[p], sizeof *wb->vis[p], wb_cmp,
		    arg);
		if (wb->sel[p] >= wb->nvis[p])
			wb->sel[p] = wb->nvis[p] > 0 ? wb->nvis[p] - 1 : 0;
	}
	wb->dirty = 1;
}

/* ---- drawing --------------------------------------------------------------- */

static int
wb_attr(const struct wb *wb, int pair, int mono)
{
	if (wb->color)
		return COLOR_PAIR(pair) | (pair == C_BAD ? A_BOLD : 0);
	return mono;
}

/*
 * Print UTF-8 s at y, x in exactly w columns: cut (with "~") or padded,
 * left or right aligned. Control characters become "?".
 */
static void
wb_put(int y, int x, int w, const char *s, int right, int attr)
{
	wchar_t		 buf[512];
	mbstate_t	 ps;
	size_t		 n = 0, k;
	int		 cols = 0, cw;
	wchar_t		 wc;

	if (w <= 0)
		return;
	if (s == NULL)
		s = "";
	memset(&ps, 0, sizeof ps);
	while (*s != '\0' && n < sizeof buf / sizeof buf[0] - 1) {
		k = mbrtowc(&wc, s, strlen(s), &ps);
		if (k == (size_t)-1 || k == (size_t)-2) {
			memset(&ps, 0, sizeof ps);
			wc = L'?';
			k = 1;
		}
		s += k;
		if ((cw = wcwidth(wc)) < 0) {
			wc = L'?';
			cw = 1;
		}
		if (cols + cw > w) {
			while (n > 0 && cols + 1 > w) {
				n--;
				cols -= wcwidth(buf[n]) > 0 ? wcwidth(buf[n]) : 0;
			}
			buf[n++] = L'~';
			cols++;
			break;
		}
		buf[n++] = wc;
		cols += cw;
	}
	buf[n] = L'\0';
	attron(attr);
	if (right)
		mvprintw(y, x, "%*s", w - cols, "");
	mvaddnwstr(y, x + (right ? w - cols : 0), buf, (int)n);
	if (!right && cols < w)
		printw("%*s", w - cols, "");
	attroff(attr);
}

struct wb_col {
	const char	*title;
	int		 width;		/* 0: takes what is left */
	int		 right;
};

static const struct wb_col wb_cols_queues[] = {
	{ "QUEUE", 0, 0 }, { "WAIT", 4, 1 }, { "LONGEST", 7, 1 },
	{ "SL%", 4, 1 }, { "ANS", 4, 1 }, { "ABN%", 4, 1 }, { "ASA", 5, 1 },
	{ "AHT", 5, 1 }, { "AVL", 3, 1 }, { "CALL", 4, 1 }, { "WRAP", 4, 1 },
	{ "AWAY", 4, 1 }, { "OFF", 3, 1 }, { NULL, 0, 0 }
};
static const struct wb_col wb_cols_agents[] = {
	{ "AGENT", 0, 0 }, { "STATE", 9, 0 }, { "TIME", 7, 1 },
	{ "CALLS", 5, 1 }, { "CALLER", 14, 0 }, { "REASON", 12, 0 },
	{ NULL, 0, 0 }
};
static const struct wb_col wb_cols_calls[] = {
	{ "CALLER", 0, 0 }, { "QUEUE", 12, 0 }, { "STATE", 9, 0 },
	{ "TIME", 7, 1 }, { "AGENT", 14, 0 }, { NULL, 0, 0 }
};
static const struct wb_col *const wb_cols[P_COUNT] = {
	wb_cols_queues, wb_cols_agents, wb_cols_calls
};

/*
 * Column widths for a panel w wide: the first column takes what the others
 * leave; columns that do not fit (first column under 8) are dropped from
 * the right. Returns the number of columns shown.
 */
static int
wb_layout(int p, int w, int *widths)
{
	const struct wb_col	*c = wb_cols[p];
	int			 n, i, fixed;

	for (n = 0; c[n].title != NULL; n++)
		;
	for (; n > 1; n--) {
		fixed = 0;
		for (i = 1; i < n; i++)
			fixed += c[i].width + 1;
		if (w - 2 - fixed >= 8)
			break;
	}
	fixed = 0;
	for (i = 1; i < n; i++) {
		widths[i] = c[i].width;
		fixed += c[i].width + 1;
	}
	widths[0] = w - 2 - fixed;
	if (widths[0] > 40)	/* wide screens: keep the figures near */
		widths[0] = 40;
	if (widths[0] < 1)
		widths[0] = 1;
	return n;
}

/* Text and attribute of one cell. */
static void
wb_cell(const struct wb *wb, int p, size_t i, int col, char *buf, size_t len,
    int *attr)
{
	const struct wb_queue	*q;
	const struct wb_agent	*a;
	const struct wb_call	*c;
	time_t			 now = time(NULL);
	long			 secs;

	*attr = 0;
	buf[0] = '\0';
	if (p == P_QUEUES) {
		q = &wb->d.q[i];
		if (col > 0 && !q->have_stats) {
			snprintf(buf, len, "-");
			return;
		}
		switch (col) {
		case 0: snprintf(buf, len, "%s", q->name); break;
		case 1:
			snprintf(buf, len, "%ld", q->waiting);
			if (q->waiting > 0)
				*attr = wb_attr(wb, C_WARN, A_BOLD);
			break;
		case 2:
			wb_duration(buf, len, (long)q->longest);
			if (q->sl_threshold > 0 && q->longest > q->sl_threshold)
				*attr = wb_attr(wb, C_BAD, A_BOLD);
			else if (q->waiting > 0)
				*attr = wb_attr(wb, C_WARN, 0);
			break;
		case 3:
			snprintf(buf, len, "%.0f", q->sl * 100);
			*attr = q->sl < 0.8 ? wb_attr(wb, C_BAD, A_BOLD) :
			    q->sl < 0.9 ? wb_attr(wb, C_WARN, 0) :
			    wb_attr(wb, C_OK, 0);
			break;
		case 4: snprintf(buf, len, "%ld", q->answered); break;
		case 5:
			snprintf(buf, len, "%.0f", q->abandon_rate * 100);
			if (q->abandon_rate > 0.10)
				*attr = wb_attr(wb, C_BAD, A_BOLD);
			else if (q->abandon_rate > 0.05)
				*attr = wb_attr(wb, C_WARN, 0);
			break;
		case 6: wb_duration(buf, len, (long)(q->asa + 0.5)); break;
		case 7: wb_duration(buf, len, (long)(q->aht + 0.5)); break;
		case 8:
			snprintf(buf, len, "%ld", q->avail);
			if (q->avail == 0 && q->waiting > 0)
				*attr = wb_attr(wb, C_BAD, A_BOLD);
			else if (q->avail > 0)
				*attr = wb_attr(wb, C_OK, 0);
			break;
		case 9: snprintf(buf, len, "%ld", q->oncall); break;
		case 10: snprintf(buf, len, "%ld", q->wrap); break;
		case 11: snprintf(buf, len, "%ld", q->away); break;
		case 12: snprintf(buf, len, "%ld", q->offline); break;
		}
	} else if (p == P_AGENTS) {
		a = &wb->d.a[i];
		switch (col) {
		case 0: snprintf(buf, len, "%s", a->name); break;
		case 1:
			snprintf(buf, len, "%s", a->state);
			if (strcmp(a->state, "available") == 0)
				*attr = wb_attr(wb, C_OK, A_BOLD);
			else if (strcmp(a->state, "busy") == 0)
				*attr = wb_attr(wb, C_INFO, 0);
			else if (strcmp(a->state, "offering") == 0)
				*attr = wb_attr(wb, C_WARN, A_BOLD);
			else if (strcmp(a->state, "wrap_up") == 0)
				*attr = wb_attr(wb, C_HOLD, 0);
			else if (strcmp(a->state, "away") == 0)
				*attr = wb_attr(wb, C_WARN, 0);
			else
				*attr = wb_attr(wb, C_DIM, A_DIM);
			break;
		case 2:
			wb_duration(buf, len, a->since != 0 ?
			    (long)(now - a->since) : -1);
			break;
		case 3: snprintf(buf, len, "%ld", a->handled); break;
		case 4: snprintf(buf, len, "%s", a->call ? a->call : ""); break;
		case 5:
			snprintf(buf, len, "%s",
			    a->reason != NULL && strcmp(a->state, "away") == 0 ?
			    a->reason : "");
			break;
		}
	} else {
		c = &wb->d.c[i];
		switch (col) {
		case 0: snprintf(buf, len, "%s", c->caller); break;
		case 1: snprintf(buf, len, "%s", c->queue); break;
		case 2:
			snprintf(buf, len, "%s", c->state);
			if (strcmp(c->state, "queued") == 0)
				*attr = wb_attr(wb, C_WARN, A_BOLD);
			else if (strcmp(c->state, "offering") == 0)
				*attr = wb_attr(wb, C_INFO, 0);
			else if (strcmp(c->state, "on_hold") == 0)
				*attr = wb_attr(wb, C_HOLD, 0);
			else
				*attr = wb_attr(wb, C_OK, 0);
			break;
		case 3:
			secs = c->since != 0 ? (long)(now - c->since) : -1;
			wb_duration(buf, len, secs);
			if (strcmp(c->state, "queued") == 0 &&
			    c->sl_threshold > 0 && secs > c->sl_threshold)
				*attr = wb_attr(wb, C_BAD, A_BOLD);
			break;
		case 4: snprintf(buf, len, "%s", c->agent); break;
		}
	}
}

static void
wb_draw_panel(struct wb *wb, int p, int y, int x, int h, int w)
{
	const struct wb_col	*cols = wb_cols[p];
	int			 widths[16], n, i, cx, row, rows, attr, cattr;
	int			 focus = wb->focus == p;
	size_t			 k, total;
	char			 title[160], buf[256];

	if (h < 2 || w < 10)
		return;
	total = p == P_QUEUES ? wb->d.nq : p == P_AGENTS ? wb->d.na : wb->d.nc;
	if (wb->nvis[p] != total)
		snprintf(title, sizeof title, " %d %s (%zu of %zu)  sort: %s ",
		    p + 1, wb_panel_names[p], wb->nvis[p], total,
		    wb_sorts[p][wb->sort[p]]);
	else
		snprintf(title, sizeof title, " %d %s (%zu)  sort: %s ",
		    p + 1, wb_panel_names[p], total, wb_sorts[p][wb->sort[p]]);
	attr = focus ? (wb->color ? COLOR_PAIR(C_BAR) | A_BOLD :
	    A_REVERSE | A_BOLD) : A_BOLD;
	attron(A_BOLD);
	mvhline(y, x, ACS_HLINE, w);
	attroff(A_BOLD);
	wb_put(y, x + 1, (int)strlen(title) < w - 2 ? (int)strlen(title) :
	    w - 2, title, 0, attr);

	n = wb_layout(p, w, widths);
	cx = x + 1;
	for (i = 0; i < n; i++) {
		wb_put(y + 1, cx, widths[i], cols[i].title, cols[i].right,
		    A_UNDERLINE | A_BOLD);
		cx += widths[i];
		if (i + 1 < n) {
			mvaddch(y + 1, cx, ' ' | A_UNDERLINE);
			cx++;
		}
	}

	rows = h - 2;
	if (rows <= 0)
		return;
	if (wb->sel[p] < wb->top[p])
		wb->top[p] = wb->sel[p];
	if (wb->sel[p] >= wb->top[p] + (size_t)rows)
		wb->top[p] = wb->sel[p] - rows + 1;
	if (wb->top[p] + rows > wb->nvis[p])
		wb->top[p] = wb->nvis[p] > (size_t)rows ?
		    wb->nvis[p] - rows : 0;
	for (row = 0; row < rows; row++) {
		k = wb->top[p] + row;
		if (k >= wb->nvis[p]) {
			if (row == 0 && wb->polled)
				wb_put(y + 2, x + 1, w - 2, wb->filter[0] ?
				    "(nothing matches the filter)" :
				    p == P_CALLS ? "(no live calls)" :
				    "(none)", 0, A_DIM);
			break;
		}
		cx = x + 1;
		for (i = 0; i < n; i++) {
			wb_cell(wb, p, wb->vis[p][k], i, buf, sizeof buf,
			    &cattr);
			if (focus && k == wb->sel[p])
				cattr = A_REVERSE | (cattr & A_BOLD);
			wb_put(y + 2 + row, cx, widths[i], buf, cols[i].right,
			    cattr);
			cx += widths[i];
			if (i + 1 < n) {
				if (focus && k == wb->sel[p])
					mvaddch(y + 2 + row, cx, ' ' | A_REVERSE);
				cx++;
			}
		}
	}
}

static void
wb_draw_header(struct wb *wb)
{
	char	 left[256], right[128], t[16], since[16];
	int	 bar = wb->color ? COLOR_PAIR(C_BAR) : A_REVERSE;
	int	 w, state_attr;
	double	 left_s;

	snprintf(left, sizeof left, " CallDocker%s%s%s  %s",
	    wb->company != NULL ? "  " : "",
	    wb->company != NULL ? wb->company : "",
	    wb->opt->readonly ? "  [read-only]" : "", wb->cli->host);
	wb_clock(t, sizeof t, time(NULL));
	if (wb->polled && wb->fails == 0) {
		snprintf(right, sizeof right, "live  %s ", t);
		state_attr = wb->color ? COLOR_PAIR(C_BAR) | A_BOLD : A_REVERSE;
	} else {
		left_s = wb->next_poll - wb_mono();
		if (wb->polled) {
			wb_clock(since, sizeof since, wb->last_ok);
			snprintf(right, sizeof right,
			    "stale since %s, retry in %.0fs  %s ", since,
			    left_s > 0 ? left_s : 0, t);
		} else
			snprintf(right, sizeof right,
			    "connecting, retry in %.0fs  %s ",
			    left_s > 0 ? left_s : 0, t);
		state_attr = wb->color ? COLOR_PAIR(C_BAD) | A_BOLD |
		    A_REVERSE : A_REVERSE | A_BOLD;
	}
	attron(bar);
	mvhline(0, 0, ' ', COLS);
	attroff(bar);
	w = COLS - (int)strlen(right);
	if (w < 0)
		w = 0;
	wb_put(0, 0, w, left, 0, bar | A_BOLD);
	wb_put(0, w, COLS - w, right, 0, state_attr);
}

static void
wb_draw_footer(struct wb *wb)
{
	char	 buf[300];
	int	 y = LINES - 1;

	move(y, 0);
	clrtoeol();
	if (wb->filtering) {
		snprintf(buf, sizeof buf, "/%s", wb->filter);
		wb_put(y, 0, COLS, buf, 0, A_BOLD);
		move(y, (int)strlen(buf) < COLS ? (int)strlen(buf) : COLS - 1);
		return;
	}
	if (!wb->polled || wb->fails > 0) {
		wb_put(y, 0, COLS, wb->err[0] ? wb->err : "waiting for data",
		    0, wb_attr(wb, C_BAD, A_BOLD));
		return;
	}
	snprintf(buf, sizeof buf, "%s%s%sq quit  ? help  Tab/1-3 panel  "
	    "j/k move  / filter  s sort",
	    wb->filter[0] ? "filter: " : "", wb->filter,
	    wb->filter[0] ? " (Esc clears)  " : "");
	wb_put(y, 0, COLS, buf, 0, wb->filter[0] ? A_BOLD : A_DIM);
}

static const char *const wb_help_text[] = {
	"CallDocker wallboard",
	"",
	"q            quit",
	"?            this help (any key closes it)",
	"Tab, S-Tab   next, previous panel",
	"1 2 3        queues, agents, calls panel",
	"j k, arrows  move in the panel",
	"PgUp PgDn    page; g G first, last",
	"/            filter names and callers",
	"Esc          clear the filter",
	"s            cycle the panel's sort column",
	"r            refresh now",
	"",
	"Data: polled from the REST API every -d seconds;",
	"the live /ws event stream comes next.",
	"Supervisor actions (agent state, reassign,",
	"hang up) come in a later version; --readonly",
	"is accepted and has nothing to turn off yet.",
	NULL
};

static void
wb_draw_help(struct wb *wb)
{
	int	 n, w = 0, h, y, x, i;

	for (n = 0; wb_help_text[n] != NULL; n++) {
		if ((int)strlen(wb_help_text[n]) > w)
			w = (int)strlen(wb_help_text[n]);
	}
	w += 4;
	h = n + 2;
	if (w > COLS)
		w = COLS;
	if (h > LINES)
		h = LINES;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	for (i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	attron(A_BOLD);
	mvhline(y, x, ACS_HLINE, w);
	mvhline(y + h - 1, x, ACS_HLINE, w);
	mvvline(y, x, ACS_VLINE, h);
	mvvline(y, x + w - 1, ACS_VLINE, h);
	mvaddch(y, x, ACS_ULCORNER);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	attroff(A_BOLD);
	for (i = 0; i < n && i < h - 2; i++)
		wb_put(y + 1 + i, x + 2, w - 4, wb_help_text[i], 0,
		    i == 0 ? A_BOLD : 0);
}

static void
wb_draw(struct wb *wb)
{
	int	 avail, hq, ha, y, half;

	erase();
	if (LINES < 8 || COLS < 30) {
		wb_put(0, 0, COLS, "terminal too small", 0, A_BOLD);
		refresh();
		return;
	}
	wb_draw_header(wb);
	avail = LINES - 2;
	/* Queues: their rows, up to a third of the screen. */
	hq = (int)wb->nvis[P_QUEUES] + 2;
	if (hq < 4)
		hq = 4;
	if (hq > avail / 3)
		hq = avail / 3 > 4 ? avail / 3 : 4;
	y = 1;
	wb_draw_panel(wb, P_QUEUES, y, 0, hq, COLS);
	y += hq;
	if (COLS >= 160) {
		half = COLS / 2;
		wb_draw_panel(wb, P_AGENTS, y, 0, avail - hq, half);
		wb_draw_panel(wb, P_CALLS, y, half, avail - hq, COLS - half);
	} else {
		ha = (avail - hq) / 2;
		wb_draw_panel(wb, P_AGENTS, y, 0, ha, COLS);
		wb_draw_panel(wb, P_CALLS, y + ha, 0, avail - hq - ha, COLS);
	}
	wb_draw_footer(wb);
	if (wb->help)
		wb_draw_help(wb);
	curs_set(wb->filtering ? 1 : 0);
	refresh();
}

/* ---- input ------------------------------------------------------------------ */

static void
wb_move(struct wb *wb, long by)
{
	int	 p = wb->focus;
	long	 s = (long)wb->sel[p] + by;

	if (s >= (long)wb->nvis[p])
		s = (long)wb->nvis[p] - 1;
	if (s < 0)
		s = 0;
	wb->sel[p] = (size_t)s;
	wb->dirty = 1;
}

static void
wb_filter_key(struct wb *wb, int kind, wint_t c)
{
	size_t		 len = strlen(wb->filter);
	char		 mb[MB_LEN_MAX];
	mbstate_t	 ps;
	size_t		 n;

	if (kind == OK && c == 27) {		/* Esc: clear */
		wb->filter[0] = '\0';
		wb->filtering = 0;
	} else if (kind == OK && (c == '\n' || c == '\r'))
		wb->filtering = 0;
	else if ((kind == KEY_CODE_YES && c == KEY_BACKSPACE) ||
	    (kind == OK && (c == 127 || c == 8))) {
		while (len > 0 && (wb->filter[len - 1] & 0xc0) == 0x80)
			len--;
		if (len > 0)
			len--;
		wb->filter[len] = '\0';
	} else if (kind == KEY_CODE_YES && c == KEY_ENTER)
		wb->filtering = 0;
	else if (kind == OK && c == 21)		/* ^U */
		wb->filter[0] = '\0';
	else if (kind == OK && iswprint(c)) {
		memset(&ps, 0, sizeof ps);
		n = wcrtomb(mb, (wchar_t)c, &ps);
		if (n != (size_t)-1 && len + n < sizeof wb->filter) {
			memcpy(wb->filter + len, mb, n);
			wb->filter[len + n] = '\0';
		}
	} else
		return;
	wb_rebuild(wb);
}

/* One key; returns 1 to quit. */
static int
wb_key(struct wb *wb, int kind, wint_t c)
{
	int	 page = LINES / 3 > 1 ? LINES / 3 : 1;

	if (kind == KEY_CODE_YES && c == KEY_RESIZE) {
		wb->dirty = 1;
		return 0;
	}
	if (wb->filtering) {
		wb_filter_key(wb, kind, c);
		return 0;
	}
	if (wb->help) {
		wb->help = 0;
		wb->dirty = 1;
		return 0;
	}
	if (kind == KEY_CODE_YES) {
		switch (c) {
		case KEY_DOWN: wb_move(wb, 1); break;
		case KEY_UP: wb_move(wb, -1); break;
		case KEY_NPAGE: wb_move(wb, page); break;
		case KEY_PPAGE: wb_move(wb, -page); break;
		case KEY_HOME: wb_move(wb, -(long)wb->nvis[wb->focus]); break;
		case KEY_END: wb_move(wb, (long)wb->nvis[wb->focus]); break;
		case KEY_BTAB:
			wb->focus = (wb->focus + P_COUNT - 1) % P_COUNT;
			wb->dirty = 1;
			break;
		}
		return 0;
	}
	switch (c) {
	case 'q':
	case 'Q':
		return 1;
	case '?':
	case 'h':
		wb->help = 1;
		break;
	case '\t':
		wb->focus = (wb->focus + 1) % P_COUNT;
		break;
	case '1': case '2': case '3':
		wb->focus = (int)(c - '1');
		break;
	case 'j': wb_move(wb, 1); break;
	case 'k': wb_move(wb, -1); break;
	case 'g': wb_move(wb, -(long)wb->nvis[wb->focus]); break;
	case 'G': wb_move(wb, (long)wb->nvis[wb->focus]); break;
	case '/':
		wb->filtering = 1;
		break;
	case 27:
		wb->filter[0] = '\0';
		wb_rebuild(wb);
		break;
	case 's':
		wb->sort[wb->focus]++;
		if (wb_sorts[wb->focus][wb->sort[wb->focus]] == NULL)
			wb->sort[wb->focus] = 0;
		wb_rebuild(wb);
		break;
	case 'r':
	case 12:	/* ^L */
		wb->next_poll = 0;
		clearok(curscr, TRUE);
		break;
	default:
		return 0;
	}
	wb->dirty = 1;
	return 0;
}

/* ---- terminal --------------------------------------------------------------- */

static void
wb_on_signal(int sig)
{
	wb_signal = sig;
}

static void
wb_end(void)
{
	if (wb_curses) {
		wb_curses = 0;
		curs_set(1);
		endwin();
	}
	if (wb_saved_stderr != -1) {
		dup2(wb_saved_stderr, STDERR_FILENO);
		close(wb_saved_stderr);
		wb_saved_stderr = -1;
	}
}

/* Messages of the API code go to a file we read, not to the screen. */
static void
wb_capture_stderr(struct wb *wb)
{
	FILE	*tmp;

	if ((tmp = tmpfile()) == NULL)
		return;
	fflush(stderr);
	wb_saved_stderr = dup(STDERR_FILENO);
	wb->errfd = dup(fileno(tmp));
	dup2(wb->errfd, STDERR_FILENO);
	fclose(tmp);
}

static void
wb_start(struct wb *wb)
{
	set_escdelay(25);
	initscr();
	wb_curses = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors() && wb->color) {
		start_color();
		use_default_colors();
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_WARN, COLOR_YELLOW, -1);
		init_pair(C_BAD, COLOR_RED, -1);
		init_pair(C_INFO, COLOR_CYAN, -1);
		init_pair(C_HOLD, COLOR_MAGENTA, -1);
		init_pair(C_BAR, COLOR_BLACK, COLOR_CYAN);
		init_pair(C_DIM, COLOR_BLUE, -1);
	} else
		wb->color = 0;
}

int
wallboard_run(struct cli *cli, const struct wallboard_options *opt)
{
	struct wb		 wb;
	struct sigaction	 sa, old_int, old_term, old_hup;
	const char		*nc;
	double			 now, wait;
	time_t			 shown = 0;
	wint_t			 c;
	int			 rc, kind, quit = 0, p;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("the wallboard needs a terminal");
		return EXIT_USAGE;
	}
	memset(&wb, 0, sizeof wb);
	wb.cli = cli;
	wb.opt = opt;
	wb.errfd = -1;
	nc = getenv("NO_COLOR");
	wb.color = !opt->no_color && (nc == NULL || *nc == '\0');

	if ((rc = api_open(cli)) != EXIT_OK)
		return rc;
	/*
	 * A first poll before the screen is taken: fail early on bad
	 * credentials. An unreachable daemon is retried on the screen.
	 */
	atexit(wb_end);
	wb_capture_stderr(&wb);
	rc = wb_poll(&wb);
	if (rc == 0)
		wb_company(&wb);
	if (rc == EXIT_AUTH || rc == EXIT_NOTFOUND || rc == EXIT_USAGE) {
		wb_end();
		if (wb.errfd != -1)
			close(wb.errfd);
		cli_error("%s", wb.err);
		if (rc == EXIT_AUTH && cli->token == NULL)
			cli_error("log in with 'calldocker login'");
		wb_data_free(&wb.d);
		return rc;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = wb_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: wake up the key wait */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	wb_start(&wb);

	wb.dirty = 1;
	while (!quit && !wb_signal) {
		now = wb_mono();
		if (now >= wb.next_poll) {
			if (wb_poll(&wb) == 0 && !wb.company_tried)
				wb_company(&wb);
			now = wb_mono();
		}
		if (time(NULL) != shown) {	/* the clock and the timers */
			shown = time(NULL);
			wb.dirty = 1;
		}
		if (wb.dirty) {
			wb.dirty = 0;
			wb_draw(&wb);
		}
		/* Wake for the next second or the next poll. */
		wait = wb.next_poll - now;
		if (wait > 1)
			wait = 1;
		if (wait < 0.01)
			wait = 0.01;
		timeout((int)(wait * 1000));
		kind = get_wch(&c);
		while (kind != ERR && !quit) {
			quit = wb_key(&wb, kind, c);
			timeout(0);	/* drain what is queued, then redraw */
			kind = get_wch(&c);
		}
	}

	wb_end();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (wb.errfd != -1)
		close(wb.errfd);
	wb_data_free(&wb.d);
	for (p = 0; p < P_COUNT; p++)
		free(wb.vis[p]);
	free(wb.company);
	if (wb_signal != 0)
		return 128 + wb_signal;
	return EXIT_OK;
}
