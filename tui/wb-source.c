/*
 * Where the wallboard's data comes from. The loop sees only struct
 * wb_source (tui/wb.h): a picture, a generation that changes with it, the
 * state of the link and a deadline. This file has the REST implementation:
 * every interval it reads GET /api/queues and each queue's /stats (and,
 * every minute, for managers, each queue's /forecast),
 * /api/agents, /api/agents/today and /api/calls by live state, and swaps the
 * picture in only when all of it came; a failure backs off (interval,
 * doubling, at most 30 s) and keeps the old picture, shown as stale.
 *
 * The /ws event stream (docs/ws.md) is to be a second struct
 * wb_source_ops beside this one: its fd is the socket's, its run reads
 * what arrived, applies snapshot items and events with wb_data_put(),
 * then wb_data_link() and gen++; today's figures have no events, so it
 * still reads /api/queues/:id/stats and /api/agents/today every interval
 * (wb_queue_stats, wb_agents_today); a closed socket makes the link
 * WB_STALE and reconnects with the same backoff. The rest of the
 * wallboard does not change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "wb.h"
#include "xmalloc.h"

double
wb_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the API code last wrote on (the redirected) stderr. */
static void
wb_take_stderr(struct wb_source *src)
{
	char	 buf[1024], *p, *line;
	ssize_t	 n;

	if (src->errfd == -1)
		return;
	n = pread(src->errfd, buf, sizeof buf - 1, 0);
	if (ftruncate(src->errfd, 0) != 0 || lseek(src->errfd, 0, SEEK_SET) < 0)
		return;
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	line = (p = strrchr(buf, '\n')) != NULL ? p + 1 : buf;
	if (strncmp(line, "calldocker: ", 12) == 0)
		line += 12;
	strncpy(src->err, line, sizeof src->err - 1);
	src->err[sizeof src->err - 1] = '\0';
}

/* GET path; 0 and *out, or an exit status with src->err set. */
int
wb_get(struct wb_source *src, const char *path, json_t **out)
{
	struct client_response	 r;
	char			*msg;
	int			 rc;

	*out = NULL;
	if ((rc = api_request(src->cli, "GET", path, NULL, &r)) != EXIT_OK) {
		snprintf(src->err, sizeof src->err, "cannot reach %s",
		    src->cli->host);
		wb_take_stderr(src);
		return rc;
	}
	if (r.status != 200 || r.json == NULL) {
		msg = client_problem(&r);
		snprintf(src->err, sizeof src->err, "%s: %s", path, msg);
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
wb_get_list(struct wb_source *src, const char *path, json_t **items)
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
		rc = wb_get(src, p, &page);
		free(p);
		if (rc != 0)
			break;
		if (!json_is_array(json_object_get(page, "items"))) {
			snprintf(src->err, sizeof src->err,
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

/*
 * Whether an object belongs on the screen: an admin's lists hold every
 * company's queues and calls; with --company only that one's are shown.
 */
int
wb_ours(const struct wb_source *src, json_t *v)
{
	const char	*co = json_string_value(json_object_get(v, "company_id"));

	return src->cli->company == NULL || co == NULL ||
	    strcmp(co, src->cli->company) == 0;
}

/*
 * The queues and their figures into d->q, replacing what was there; the
 * figures have no events, so both sources read them here.
 */
int
wb_rest_queues(struct wb_source *src, struct wb_data *d)
{
	struct wb_queue	*q;
	json_t		*items = NULL, *v, *st;
	char		*path;
	size_t		 i, n = 0;
	int		 rc;

	if ((rc = wb_get_list(src, "/api/queues", &items)) != 0)
		return rc;
	q = xcalloc(json_array_size(items) + 1, sizeof *q);
	json_array_foreach(items, i, v) {
		if (!wb_ours(src, v))
			continue;
		wb_queue_fill(&q[n], v);
		if (q[n].id != NULL)
			n++;
	}
	json_decref(items);
	for (i = 0; i < n; i++) {
		path = api_path("/api/queues/", q[i].id);
		path = xrealloc(path, strlen(path) + sizeof "/stats");
		strcat(path, "/stats");
		rc = wb_get(src, path, &st);
		free(path);
		if (rc == EXIT_NOTFOUND)	/* deleted meanwhile */
			continue;
		if (rc != 0)
			break;
		wb_queue_stats(&q[i], st);
		json_decref(st);
	}
	if (rc != 0 && rc != EXIT_NOTFOUND) {
		wb_data_free(&(struct wb_data){ .q = q, .nq = n });
		return rc;
	}
	wb_rest_forecasts(src, q, n);
	wb_data_free(&(struct wb_data){ .q = d->q, .nq = d->nq });
	d->q = q;
	d->nq = n;
	return 0;
}

/*
 * Each queue's forecast: read again every WB_FORECAST_EVERY seconds or when
 * a queue is new, else from the cache; a failure keeps the cache and is
 * not the poll's (the figures are an aid), a 403 (not a manager) stops
 * asking.
 */
#define WB_FORECAST_EVERY	60

void
wb_rest_forecasts(struct wb_source *src, struct wb_queue *q, size_t n)
{
	json_t	*cache, *fc;
	char	*path, err[sizeof src->err];
	size_t	 i;
	int	 rc = 0;

	if (src->forecast_off)
		return;
	for (i = 0; i < n && src->forecasts != NULL; i++) {
		if (json_object_get(src->forecasts, q[i].id) == NULL)
			break;		/* a new queue: read them all now */
	}
	if (src->forecasts == NULL || i < n ||
	    wb_mono() - src->forecast_at >= WB_FORECAST_EVERY) {
		memcpy(err, src->err, sizeof err);
		cache = json_object();
		for (i = 0; i < n && rc == 0; i++) {
			path = api_path("/api/queues/", q[i].id);
			path = xrealloc(path, strlen(path) +
			    sizeof "/forecast?hours=2");
			strcat(path, "/forecast?hours=2");
			rc = wb_get(src, path, &fc);
			free(path);
			if (rc == EXIT_NOTFOUND)
				rc = 0;
			else if (rc == 0)
				json_object_set_new(cache, q[i].id, fc);
		}
		memcpy(src->err, err, sizeof err);
		if (rc == EXIT_AUTH)
			src->forecast_off = 1;
		if (rc == 0) {
			json_decref(src->forecasts);
			src->forecasts = cache;
			src->forecast_at = wb_mono();
		} else
			json_decref(cache);
	}
	for (i = 0; i < n; i++)
		wb_queue_forecast(&q[i], json_object_get(src->forecasts,
		    q[i].id));
}

/* Today's calls per agent (after wb_data_link); 0 or an exit status. */
int
wb_rest_today(struct wb_source *src, struct wb_data *d)
{
	json_t	*st;
	int	 rc;

	if ((rc = wb_get(src, "/api/agents/today", &st)) != 0)
		return rc;
	wb_agents_today(d, json_object_get(st, "items"));
	json_decref(st);
	return 0;
}

/* One poll of everything into d. */
static int
wb_fetch(struct wb_source *src, struct wb_data *d)
{
	json_t	*items = NULL, *v;
	char	*path;
	size_t	 i, j;
	int	 rc;

	if ((rc = wb_rest_queues(src, d)) != 0)
		return rc;
	if (src->cli->company != NULL)
		path = api_path("/api/agents/company/", src->cli->company);
	else
		path = xstrdup("/api/agents");
	rc = wb_get_list(src, path, &items);
	free(path);
	if (rc != 0)
		return rc;
	d->a = xcalloc(json_array_size(items) + 1, sizeof *d->a);
	json_array_foreach(items, i, v) {
		wb_agent_fill(&d->a[d->na], v);
		if (d->a[d->na].id != NULL)
			d->na++;
	}
	json_decref(items);

	for (j = 0; wb_live_states[j] != NULL; j++) {
		path = xasprintf("/api/calls?state=%s", wb_live_states[j]);
		rc = wb_get_list(src, path, &items);
		free(path);
		if (rc != 0)
			return rc;
		d->c = xrealloc(d->c, (d->nc + json_array_size(items) + 1) *
		    sizeof *d->c);
		json_array_foreach(items, i, v) {
			if (!wb_ours(src, v))
				continue;
			memset(&d->c[d->nc], 0, sizeof d->c[d->nc]);
			wb_call_fill(&d->c[d->nc], v);
			if (d->c[d->nc].id != NULL)
				d->nc++;
		}
		json_decref(items);
	}
	wb_data_link(d);
	/* Older daemons and agents go without today's counts. */
	(void)wb_rest_today(src, d);
	src->err[0] = '\0';
	return 0;
}

/* The company's name for the header: the profile's company, or --company. */
void
wb_rest_company(struct wb_source *src)
{
	json_t		*user = NULL, *co = NULL;
	const char	*id;
	char		*path;

	id = src->cli->company;
	if (id == NULL && wb_get(src, "/api/auth/profile", &user) == 0)
		id = json_string_value(json_object_get(user, "company_id"));
	if (id != NULL) {
		path = api_path("/api/companies/", id);
		if (wb_get(src, path, &co) == 0)
			src->company = wb_str(co, "name");
		free(path);
		if (src->company == NULL)
			src->company = xstrdup(id);
	} else
		src->company = xstrdup("");
	json_decref(co);
	json_decref(user);
	src->err[0] = '\0';
}

/* Poll now; schedule the next one, backing off while it fails. */
static int
wb_poll_run(struct wb_source *src)
{
	struct wb_data	 d;
	double		 delay;
	int		 rc;

	memset(&d, 0, sizeof d);
	rc = wb_fetch(src, &d);
	delay = src->interval;
	if (rc == 0) {
		wb_data_free(&src->data);
		src->data = d;
		src->gen++;
		src->link = WB_LIVE;
		src->last_ok = time(NULL);
		src->fails = 0;
		if (src->company == NULL)
			wb_rest_company(src);
	} else {
		wb_data_free(&d);
		src->fails++;
		src->link = src->last_ok != 0 ? WB_STALE : WB_CONNECTING;
		for (int i = 1; i < src->fails && delay < 30; i++)
			delay *= 2;
		if (delay > 30)
			delay = src->interval > 30 ? src->interval : 30;
	}
	src->deadline = wb_mono() + delay;
	return rc;
}

static int
wb_poll_fd(struct wb_source *src)
{
	return -1;
}

static short
wb_poll_events(struct wb_source *src)
{
	return 0;
}

static void
wb_poll_refresh(struct wb_source *src)
{
	src->deadline = 0;
}

static void
wb_poll_free(struct wb_source *src)
{
	wb_data_free(&src->data);
	json_decref(src->forecasts);
	free(src->company);
	free(src);
}

static const struct wb_source_ops wb_poll_ops = {
	.name = "poll",
	.fd = wb_poll_fd,
	.events = wb_poll_events,
	.run = wb_poll_run,
	.refresh = wb_poll_refresh,
	.free = wb_poll_free,
};

/* A source that polls the REST API every interval seconds. */
struct wb_source *
wb_source_poll_new(struct cli *cli, double interval, int errfd)
{
	struct wb_source	*src = xcalloc(1, sizeof *src);

	src->ops = &wb_poll_ops;
	src->cli = cli;
	src->interval = interval;
	src->errfd = errfd;
	src->link = WB_CONNECTING;
	return src;
}

/* The descriptor to wait on for reading, -1 if none. */
int
wb_source_fd(struct wb_source *src)
{
	return src->ops->fd(src);
}

/* The poll() events to wait for on that descriptor. */
short
wb_source_events(struct wb_source *src)
{
	return src->ops->events(src);
}

/* Do what is due (src->deadline passed or src's fd is ready). */
int
wb_source_run(struct wb_source *src)
{
	return src->ops->run(src);
}

/* Fetch again as soon as the loop comes round. */
void
wb_source_refresh(struct wb_source *src)
{
	src->ops->refresh(src);
}

void
wb_source_free(struct wb_source *src)
{
	if (src != NULL)
		src->ops->free(src);
}
