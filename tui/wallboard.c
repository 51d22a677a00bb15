/*
 * calldocker wallboard: queues, agents and live calls of a company on one
 * screen, in the manner of htop and k9s.
 *
 * This file has the loop, the keys, filter and sort. The data comes from a
 * source (tui/wb-source.c: REST polling now, the /ws event stream next),
 * the screen is drawn by tui/wb-draw.c, supervisor actions are in
 * tui/wb-action.c.
 *
 * No threads: the loop waits in poll() for a key, the source's descriptor
 * or its deadline, lets the source run when due, rebuilds the panels' rows
 * when the picture changed and redraws once per pass when something
 * changed (the dirty flag). While curses owns the terminal, stderr goes to
 * a temporary file so the API code's messages do not scribble on the
 * screen; the last one is shown in the footer while the data is stale.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
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
#include "wb.h"
#include "xmalloc.h"

#define WB_TIMEOUT	5	/* seconds a request may take */

static volatile sig_atomic_t	 wb_signal;
static int			 wb_curses;
static int			 wb_saved_stderr = -1;

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
		return wb_match(wb, wb->d->q[i].name);
	case P_AGENTS:
		return wb_match(wb, wb->d->a[i].name) ||
		    wb_match(wb, wb->d->a[i].call);
	default:
		c = &wb->d->c[i];
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
		qa = &wb->d->q[a];
		qb = &wb->d->q[b];
		switch (wb->sort[p]) {
		case 1: r = -wb_cmp_num(qa->waiting, qb->waiting); break;
		case 2: r = -wb_cmp_num(qa->longest, qb->longest); break;
		case 3: r = wb_cmp_num(qa->sl, qb->sl); break;
		case 4: r = -wb_cmp_num(qa->abandon_rate, qb->abandon_rate);
			break;
		}
		return r != 0 ? r : strcasecmp(qa->name, qb->name);
	case P_AGENTS:
		aa = &wb->d->a[a];
		ab = &wb->d->a[b];
		switch (wb->sort[p]) {
		case 1: r = strcmp(aa->state, ab->state); break;
		case 2: r = wb_cmp_num(aa->since, ab->since); break;
		case 3: r = -wb_cmp_num(aa->handled, ab->handled); break;
		}
		return r != 0 ? r : strcasecmp(aa->name, ab->name);
	default:
		ca = &wb->d->c[a];
		cb = &wb->d->c[b];
		switch (wb->sort[p]) {
		case 1: r = strcasecmp(ca->caller, cb->caller); break;
		case 2: r = strcasecmp(ca->queue, cb->queue); break;
		case 3: r = strcmp(ca->state, cb->state); break;
		case 4: r = strcasecmp(ca->agent, cb->agent); break;
		}
		return r != 0 ? r : wb_cmp_num(ca->since, cb->since);
	}
}

static const char *
wb_row_id(const struct wb *wb, int p, size_t i)
{
	return p == P_QUEUES ? wb->d->q[i].id : p == P_AGENTS ?
	    wb->d->a[i].id : wb->d->c[i].id;
}

/* Remember which object panel p has selected, for the next rebuild. */
static void
wb_keep_id(struct wb *wb, int p)
{
	free(wb->ids[p]);
	wb->ids[p] = wb->sel[p] < wb->nvis[p] ?
	    xstrdup(wb_row_id(wb, p, wb->vis[p][wb->sel[p]])) : NULL;
}

/* The index in the picture of panel p's selected row, or (size_t)-1. */
size_t
wb_selected(const struct wb *wb, int p)
{
	if (wb->sel[p] >= wb->nvis[p])
		return (size_t)-1;
	return wb->vis[p][wb->sel[p]];
}

/*
 * The rows each panel shows, filtered and sorted: once per change of the
 * picture, the filter or a sort, never per frame. The selection stays on
 * the same object when it is still shown.
 */
void
wb_rebuild(struct wb *wb)
{
	size_t	 n[P_COUNT] = { wb->d->nq, wb->d->na, wb->d->nc }, i;
	char	*keep;
	void	*arg[2];
	int	 p;

	for (p = 0; p < P_COUNT; p++) {
		keep = wb->ids[p] != NULL ? xstrdup(wb->ids[p]) : NULL;
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
		for (i = 0; keep != NULL && i < wb->nvis[p]; i++) {
			if (strcmp(wb_row_id(wb, p, wb->vis[p][i]), keep) == 0) {
				wb->sel[p] = i;
				break;
			}
		}
		free(keep);
		if (wb->sel[p] >= wb->nvis[p])
			wb->sel[p] = wb->nvis[p] > 0 ? wb->nvis[p] - 1 : 0;
		wb_keep_id(wb, p);
	}
	wb->dirty = 1;
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
	wb_keep_id(wb, p);
	wb->dirty = 1;
}

/* Line editing shared by the filter and the questions; 1 if handled. */
int
wb_edit_key(char *buf, size_t size, int kind, wint_t c)
{
	size_t		 len = strlen(buf);
	char		 mb[MB_LEN_MAX];
	mbstate_t	 ps;
	size_t		 n;

	if ((kind == KEY_CODE_YES && c == KEY_BACKSPACE) ||
	    (kind == OK && (c == 127 || c == 8))) {
		while (len > 0 && (buf[len - 1] & 0xc0) == 0x80)
			len--;
		if (len > 0)
			len--;
		buf[len] = '\0';
	} else if (kind == OK && c == 21)	/* ^U */
		buf[0] = '\0';
	else if (kind == OK && iswprint(c)) {
		memset(&ps, 0, sizeof ps);
		n = wcrtomb(mb, (wchar_t)c, &ps);
		if (n != (size_t)-1 && len + n < size) {
			memcpy(buf + len, mb, n);
			buf[len + n] = '\0';
		}
	} else
		return 0;
	return 1;
}

static void
wb_filter_key(struct wb *wb, int kind, wint_t c)
{
	if (kind == OK && c == 27) {		/* Esc: clear */
		wb->filter[0] = '\0';
		wb->filtering = 0;
	} else if ((kind == OK && (c == '\n' || c == '\r')) ||
	    (kind == KEY_CODE_YES && c == KEY_ENTER))
		wb->filtering = 0;
	else if (!wb_edit_key(wb->filter, sizeof wb->filter, kind, c))
		return;
	wb_rebuild(wb);
}

/* Enter: the details of the selected row, followed by id. */
static void
wb_details_open(struct wb *wb)
{
	size_t	 i = wb_selected(wb, wb->focus);

	if (i == (size_t)-1)
		return;
	free(wb->detail_id);
	wb->detail_id = xstrdup(wb_row_id(wb, wb->focus, i));
	wb->detail = wb->focus + 1;
	wb_details_fetch(wb);
}

static void
wb_details_close(struct wb *wb)
{
	free(wb->detail_id);
	json_decref(wb->detail_more);
	wb->detail_id = NULL;
	wb->detail_more = NULL;
	wb->detail = 0;
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
	wb->dirty = 1;
	if (wb->filtering) {
		wb_filter_key(wb, kind, c);
		return 0;
	}
	if (wb->ask != ASK_NONE) {
		wb_ask_key(wb, kind, c);
		return 0;
	}
	if (wb->help) {
		wb->help = 0;
		return 0;
	}
	if (wb_action_key(wb, kind, c))
		return 0;
	if (wb->detail) {
		/* Esc, Enter, q close the details; other keys wait. */
		if ((kind == OK && (c == 27 || c == '\n' || c == '\r' ||
		    c == 'q')) || (kind == KEY_CODE_YES && c == KEY_ENTER))
			wb_details_close(wb);
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
			break;
		case KEY_ENTER: wb_details_open(wb); break;
		}
		return 0;
	}
	switch (c) {
	case 'q':
	case 'Q':
		return 1;
	case '?':
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
	case '\n':
	case '\r':
		wb_details_open(wb);
		break;
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
		wb_source_refresh(wb->src);
		clearok(curscr, TRUE);
		break;
	}
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
static int
wb_capture_stderr(void)
{
	FILE	*tmp;
	int	 fd;

	if ((tmp = tmpfile()) == NULL)
		return -1;
	fflush(stderr);
	wb_saved_stderr = dup(STDERR_FILENO);
	fd = dup(fileno(tmp));
	dup2(fd, STDERR_FILENO);
	fclose(tmp);
	return fd;
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
	wb_start_colors(wb);
}

/* Wait for a key, the source's descriptor or the deadline; run what is due. */
static void
wb_wait(struct wb *wb)
{
	struct pollfd	 pfd[2];
	double		 now = wb_mono(), wait;
	int		 n = 1, fd;

	wait = wb->src->deadline - now;
	if (wait > 1)			/* the clock and the timers */
		wait = 1;
	if (wait < 0)
		wait = 0;
	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].revents = 0;
	if ((fd = wb_source_fd(wb->src)) != -1) {
		pfd[1].fd = fd;
		pfd[1].events = wb_source_events(wb->src);
		n = 2;
	}
	if (poll(pfd, n, (int)(wait * 1000 + 0.999)) == -1 && errno != EINTR)
		wb_signal = SIGHUP;
	if ((n == 2 && pfd[1].revents != 0) || wb_mono() >= wb->src->deadline)
		wb_source_run(wb->src);
}

static void
wb_free(struct wb *wb)
{
	int	 p;

	wb_action_free(wb);
	wb_details_close(wb);
	for (p = 0; p < P_COUNT; p++) {
		free(wb->vis[p]);
		free(wb->ids[p]);
	}
	wb_source_free(wb->src);
}

int
wallboard_run(struct cli *cli, const struct wallboard_options *opt)
{
	struct wb		 wb;
	struct sigaction	 sa, old_int, old_term, old_hup;
	const char		*nc;
	time_t			 shown = 0;
	wint_t			 c;
	int			 rc, kind, quit = 0, errfd;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("the wallboard needs a terminal");
		return EXIT_USAGE;
	}
	memset(&wb, 0, sizeof wb);
	wb.cli = cli;
	wb.opt = opt;
	nc = getenv("NO_COLOR");
	wb.color = !opt->no_color && (nc == NULL || *nc == '\0');

	if ((rc = api_open(cli)) != EXIT_OK)
		return rc;
	/* A daemon that hangs must not freeze the screen for long. */
	client_set_timeout(cli->client, WB_TIMEOUT);
	/*
	 * A first poll before the screen is taken: fail early on bad
	 * credentials. An unreachable daemon is retried on the screen.
	 */
	atexit(wb_end);
	errfd = wb_capture_stderr();
	/*
	 * The event stream needs a token; root on the socket has none and
	 * reads the REST API instead, as --poll does.
	 */
	wb.src = opt->poll || cli->token == NULL ?
	    wb_source_poll_new(cli, opt->interval, errfd) :
	    wb_source_ws_new(cli, opt->interval, errfd);
	wb.d = &wb.src->data;
	rc = wb_source_run(wb.src);
	if (rc == EXIT_AUTH || rc == EXIT_NOTFOUND || rc == EXIT_USAGE) {
		wb_end();
		cli_error("%s", wb.src->err);
		if (rc == EXIT_AUTH && cli->token == NULL)
			cli_error("log in with 'calldocker login'");
		wb_free(&wb);
		if (errfd != -1)
			close(errfd);
		return rc;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = wb_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: wake up the wait */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	wb_start(&wb);

	wb.gen = wb.src->gen - 1;
	while (!quit && !wb_signal) {
		if (wb.gen != wb.src->gen) {
			wb.gen = wb.src->gen;
			wb_rebuild(&wb);
			wb_action_data(&wb);
			wb_details_fetch(&wb);
		}
		if (time(NULL) != shown) {	/* the clock and the timers */
			shown = time(NULL);
			wb.dirty = 1;
		}
		if (wb.dirty) {
			wb.dirty = 0;
			wb_draw(&wb);
		}
		wb_wait(&wb);
		timeout(0);
		while (!quit && (kind = get_wch(&c)) != ERR)
			quit = wb_key(&wb, kind, c);
	}

	wb_end();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	wb_free(&wb);
	if (errfd != -1)
		close(errfd);
	if (wb_signal != 0)
		return 128 + wb_signal;
	return EXIT_OK;
}
