/*
 * The wallboard's work per frame and per change of data, without a daemon
 * or a terminal: a picture of N agents and N/2 calls is built in memory,
 * then frames are drawn into an ncurses screen writing to /dev/null. The
 * reference is the same frame with 100 agents and 50 calls (enough to fill
 * every panel at 200x50), measured in the
 * same run: drawing only the visible rows keeps the ratio near 1. Prints
 * microseconds and ratios; never fails on a number.
 *
 *   build/bench/wb-bench [AGENTS]      (default 1000)
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
#include "xmalloc.h"

/* calldocker.c has these; the bench does not link it. */
void
cli_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_info(struct cli *cli, const char *fmt, ...)
{
}

static const char *const states[] = {
	"available", "busy", "offering", "wrap_up", "away", "offline"
};
static const char *const call_states[] = {
	"queued", "offering", "connected", "on_hold"
};

static void
uuid(char *buf, size_t len, int kind, size_t i)
{
	snprintf(buf, len, "%08x-0000-4000-8000-%012zx", kind, i % 1000000);
}

/* A picture like the API's: agents, calls spread over 20 queues. */
static void
fill(struct wb_data *d, size_t na, size_t nc)
{
	char	 id[64], qid[64], aid[64], name[64];
	json_t	*v, *st;
	size_t	 i;

	d->nq = 20;
	d->q = xcalloc(d->nq, sizeof *d->q);
	for (i = 0; i < d->nq; i++) {
		uuid(id, sizeof id, 1, i);
		snprintf(name, sizeof name, "Queue %02zu", i);
		v = json_pack("{s:s,s:s,s:i,s:[]}", "id", id, "name", name,
		    "sl_threshold", 20, "members");
		wb_queue_fill(&d->q[i], v);
		st = json_pack("{s:i,s:i,s:f,s:{s:i,s:i},s:{s:i,s:i,s:i,s:f,"
		    "s:f,s:f,s:f}}", "waiting", 3, "offering", 1,
		    "longest_wait", 31.5, "agents", "available", 4, "busy", 9,
		    "today", "offered", 400, "answered", 380, "abandoned", 20,
		    "abandon_rate", 0.05, "service_level", 0.87, "asa", 12.0,
		    "aht", 240.0);
		wb_queue_stats(&d->q[i], st);
		json_decref(st);
		json_decref(v);
	}
	d->na = na;
	d->a = xcalloc(na + 1, sizeof *d->a);
	for (i = 0; i < na; i++) {
		uuid(id, sizeof id, 2, i);
		snprintf(name, sizeof name, "Agent %04zu Lastname", na - i);
		v = json_pack("{s:s,s:s,s:s,s:s,s:i}", "id", id, "name", name,
		    "state", states[i % 6], "state_since",
		    "2026-11-25T08:00:00Z", "calls_handled", (int)(i % 40));
		wb_agent_fill(&d->a[i], v);
		json_decref(v);
	}
	d->nc = nc;
	d->c = xcalloc(nc + 1, sizeof *d->c);
	for (i = 0; i < nc; i++) {
		uuid(id, sizeof id, 3, i);
		uuid(qid, sizeof qid, 1, i % 20);
		uuid(aid, sizeof aid, 2, i);
		snprintf(name, sizeof name, "Caller %zu", i);
		v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", id,
		    "queue_id", qid, "agent_id", aid, "caller_name", name,
		    "caller_number", "+4930123456", "state",
		    call_states[i % 4], "enqueued_at", "2026-11-25T09:00:00Z");
		wb_call_fill(&d->c[i], v);
		json_decref(v);
	}
}

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct result {
	double	 link, rebuild, frame, frame_max;
};

static void
run(size_t na, size_t nc, int frames, struct result *r)
{
	static const struct wallboard_options opt = { .interval = 2 };
	static struct cli cli = { .host = (char *)"unix:///bench.sock" };
	struct wb	 wb;
	double		 t, dt;
	int		 i, p;

	memset(&wb, 0, sizeof wb);
	memset(r, 0, sizeof *r);
	wb.cli = &cli;
	wb.opt = &opt;
	wb.src = wb_source_poll_new(&cli, 2, -1);
	wb.src->link = WB_LIVE;
	wb.src->last_ok = time(NULL);
	wb.src->deadline = 1e18;
	wb.src->company = xstrdup("Bench Co");
	wb.d = &wb.src->data;

	fill(&wb.src->data, na, nc);
	t = now_us();
	wb_data_link(&wb.src->data);
	r->link = now_us() - t;
	t = now_us();
	for (i = 0; i < 10; i++) {
		wb.sort[P_AGENTS] = i % 4;
		wb_rebuild(&wb);
	}
	r->rebuild = (now_us() - t) / 10;
	wb.focus = P_AGENTS;
	for (i = 0; i < frames; i++) {
		/* What a second of the clock or a key costs: a whole frame. */
		wb.sel[P_AGENTS] = (size_t)i % (na > 0 ? na : 1);
		t = now_us();
		wb_draw(&wb);
		dt = now_us() - t;
		r->frame += dt;
		if (dt > r->frame_max)
			r->frame_max = dt;
	}
	r->frame /= frames;
	for (p = 0; p < P_COUNT; p++) {
		free(wb.vis[p]);
		free(wb.ids[p]);
	}
	wb_source_free(wb.src);
}

int
main(int argc, char **argv)
{
	static const int sizes[][2] = { { 80, 24 }, { 200, 50 } };
	struct result	 small, big;
	SCREEN		*scr;
	FILE		*out;
	size_t		 na = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	int		 s, frames = 300;

	if ((out = fopen("/dev/null", "w")) == NULL)
		return 1;
	setenv("TERM", "xterm-256color", 0);
	if ((scr = newterm(NULL, out, stdin)) == NULL)
		return 1;
	set_term(scr);
	printf("wallboard frame and rebuild, %zu agents / %zu calls against "
	    "100 / 50 (the reference)\n", na, na / 2);
	for (s = 0; s < 2; s++) {
		resizeterm(sizes[s][1], sizes[s][0]);
		run(100, 50, frames, &small);
		run(na, na / 2, frames, &big);
		printf("  %dx%d: frame %.0f us (max %.0f) vs %.0f us: ratio "
		    "%.2f; rebuild rows %.0f us, link %.0f us per change of "
		    "data\n", sizes[s][0], sizes[s][1], big.frame,
		    big.frame_max, small.frame, big.frame / small.frame,
		    big.rebuild, big.link);
	}
	endwin();
	delscreen(scr);
	fclose(out);
	return 0;
}
