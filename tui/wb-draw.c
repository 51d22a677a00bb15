/*
 * The wallboard's screen: header (company, link state, clock), the three
 * panels, the footer (keys, questions, messages), the help and the details
 * of one object. Only the rows that fit are drawn: the work per frame is
 * proportional to the screen, not to the number of agents or calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "cmd.h"
#include "wb.h"
#include "xmalloc.h"

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
const char *const *const wb_sorts[P_COUNT] = {
	wb_sort_queues, wb_sort_agents, wb_sort_calls
};

void
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

void
wb_clock(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

int
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
void
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
	int		 grow;		/* on wide screens, up to this more */
};

static const struct wb_col wb_cols_queues[] = {
	{ "QUEUE", 0, 0, 0 }, { "WAIT", 4, 1, 0 }, { "LONGEST", 7, 1, 0 },
	{ "SL%", 4, 1, 0 }, { "ANS", 4, 1, 0 }, { "ABN%", 4, 1, 0 },
	{ "ASA", 5, 1, 0 }, { "AHT", 5, 1, 0 }, { "AVL", 3, 1, 0 },
	{ "CALL", 4, 1, 0 }, { "WRAP", 4, 1, 0 }, { "AWAY", 4, 1, 0 },
	{ "OFF", 3, 1, 0 }, { "NEED", 4, 1, 0 }, { NULL, 0, 0, 0 }
};
static const struct wb_col wb_cols_agents[] = {
	{ "AGENT", 0, 0, 0 }, { "STATE", 9, 0, 0 }, { "TIME", 7, 1, 0 },
	{ "CALLS", 5, 1, 0 }, { "CALLER", 14, 0, 16 }, { "REASON", 12, 0, 18 },
	{ NULL, 0, 0, 0 }
};
static const struct wb_col wb_cols_calls[] = {
	{ "CALLER", 0, 0, 0 }, { "QUEUE", 12, 0, 0 }, { "STATE", 9, 0, 0 },
	{ "TIME", 7, 1, 0 }, { "AGENT", 14, 0, 16 }, { NULL, 0, 0, 0 }
};
static const struct wb_col *const wb_cols[P_COUNT] = {
	wb_cols_queues, wb_cols_agents, wb_cols_calls
};

/*
 * Column widths for a panel w wide: the first column takes what the others
 * leave, up to 40, and the columns that may grow share the rest; columns
 * that do not fit (first column under 8) are dropped from the right.
 * Returns the number of columns shown.
 */
static int
wb_layout(int p, int w, int *widths)
{
	const struct wb_col	*c = wb_cols[p];
	int			 n, i, fixed, extra;

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
	for (i = 1; i < n && widths[0] > 40; i++) {
		extra = widths[0] - 40 < c[i].grow ? widths[0] - 40 : c[i].grow;
		widths[i] += extra;
		widths[0] -= extra;
	}
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
		q = &wb->d->q[i];
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
			/* Nothing answered or abandoned yet: nothing to show. */
			if (q->answered + q->abandoned == 0) {
				snprintf(buf, len, "-");
				break;
			}
			snprintf(buf, len, "%.0f", q->sl * 100);
			*attr = q->sl < 0.8 ? wb_attr(wb, C_BAD, A_BOLD) :
			    q->sl < 0.9 ? wb_attr(wb, C_WARN, 0) :
			    wb_attr(wb, C_OK, 0);
			break;
		case 4: snprintf(buf, len, "%ld", q->answered); break;
		case 5:
			if (q->offered == 0) {
				snprintf(buf, len, "-");
				break;
			}
			snprintf(buf, len, "%.0f", q->abandon_rate * 100);
			if (q->abandon_rate > 0.10)
				*attr = wb_attr(wb, C_BAD, A_BOLD);
			else if (q->abandon_rate > 0.05)
				*attr = wb_attr(wb, C_WARN, 0);
			break;
		case 6:
		case 7:
			if (q->answered == 0)
				snprintf(buf, len, "-");
			else
				wb_duration(buf, len, (long)((col == 6 ? q->asa :
				    q->aht) + 0.5));
			break;
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
		case 13:
			/* The forecast's agents needed now (managers only). */
			if (q->forecast == NULL || q->need < 0) {
				snprintf(buf, len, "-");
				break;
			}
			snprintf(buf, len, "%ld", q->need);
			*attr = q->staffed < q->need ?
			    wb_attr(wb, C_BAD, A_BOLD) : wb_attr(wb, C_OK, 0);
			break;
		}
	} else if (p == P_AGENTS) {
		a = &wb->d->a[i];
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
		c = &wb->d->c[i];
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
		case 4:
			/* Supervised: the mode after the agent. */
			if (c->sup != NULL) {
				snprintf(buf, len, "%s [%s]", c->agent, c->sup);
				*attr = wb_attr(wb, C_INFO, A_BOLD);
			} else
				snprintf(buf, len, "%s", c->agent);
			break;
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
	total = p == P_QUEUES ? wb->d->nq : p == P_AGENTS ? wb->d->na : wb->d->nc;
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
			if (row == 0 && wb->src->last_ok != 0)
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
	const struct wb_source	*src = wb->src;
	char			 left[256], right[128], t[16], since[16];
	int			 bar = wb->color ? COLOR_PAIR(C_BAR) : A_REVERSE;
	int			 w, state_attr;
	double			 left_s;

	snprintf(left, sizeof left, " CallDocker%s%s%s  %s",
	    src->company != NULL && *src->company != '\0' ? "  " : "",
	    src->company != NULL ? src->company : "",
	    wb->opt->readonly ? "  [read-only]" : "", wb->cli->host);
	wb_clock(t, sizeof t, time(NULL));
	left_s = src->deadline - wb_mono();
	if (left_s < 0)
		left_s = 0;
	switch (src->link) {
	case WB_LIVE:
		snprintf(right, sizeof right, " live  %s ", t);
		state_attr = wb->color ? COLOR_PAIR(C_BAR) | A_BOLD : A_REVERSE;
		break;
	case WB_STALE:
		wb_clock(since, sizeof since, src->last_ok);
		snprintf(right, sizeof right,
		    " STALE since %s, retry in %.0fs  %s ", since, left_s, t);
		state_attr = wb->color ? COLOR_PAIR(C_BAD) | A_BOLD |
		    A_REVERSE : A_REVERSE | A_BOLD | A_BLINK;
		break;
	default:
		snprintf(right, sizeof right, " connecting, retry in %.0fs  %s ",
		    left_s, t);
		state_attr = wb->color ? COLOR_PAIR(C_BAD) | A_BOLD |
		    A_REVERSE : A_REVERSE | A_BOLD;
		break;
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
	const char	*hint;
	char		 buf[400];
	int		 y = LINES - 1, n;

	move(y, 0);
	clrtoeol();
	if (wb->filtering || wb->ask == ASK_REASON) {
		if (wb->filtering)
			n = snprintf(buf, sizeof buf, "/%s", wb->filter);
		else
			n = snprintf(buf, sizeof buf, "%s: %s", wb->act_what,
			    wb->input);
		wb_put(y, 0, COLS, buf, 0, A_BOLD);
		move(y, n < COLS ? n : COLS - 1);
		return;
	}
	if (wb->ask == ASK_CONFIRM) {
		snprintf(buf, sizeof buf, "%s? y/n", wb->act_what);
		wb_put(y, 0, COLS, buf, 0, wb_attr(wb, C_WARN, A_BOLD) | A_BOLD);
		return;
	}
	if (wb->msg[0] != '\0' && time(NULL) - wb->msg_at < 5) {
		wb_put(y, 0, COLS, wb->msg, 0, wb->msg_bad ?
		    wb_attr(wb, C_BAD, A_BOLD) : (int)A_BOLD);
		return;
	}
	if (wb->src->link != WB_LIVE) {
		wb_put(y, 0, COLS, wb->src->err[0] ? wb->src->err :
		    "waiting for data", 0, wb_attr(wb, C_BAD, A_BOLD));
		return;
	}
	hint = wb_action_hint(wb);
	snprintf(buf, sizeof buf, "%s%s%s%s%s? help  q quit  Tab panel  "
	    "/ filter  s sort  Enter details",
	    wb->filter[0] ? "filter: " : "", wb->filter,
	    wb->filter[0] ? " (Esc clears)  " : "", hint, *hint ? "  " : "");
	wb_put(y, 0, COLS, buf, 0, wb->filter[0] ? A_BOLD : A_DIM);
}

static const char *const wb_help_text[] = {
	"CallDocker wallboard",
	"",
	"q            quit",
	"?            this help (any key closes it)",
	"Tab, S-Tab   next, previous panel; 1 2 3 a panel",
	"j k, arrows  move; PgUp PgDn page; g G first, last",
	"Enter        details of the selected row (Esc closes)",
	"/            filter names and callers; Esc clears",
	"s            cycle the panel's sort column",
	"r, ^L        refresh now",
	"",
	"Agents:  a available   w away (asks a reason)",
	"         o offline (asks to confirm)",
	"Calls:   t transfer or assign to an agent",
	"         x hang up (asks to confirm)",
	"         m monitor: listen, unheard by both",
	"         w whisper: only the agent hears you",
	"         b barge: caller and agent hear you",
	"         u leave the call you supervise",
	"         (a connected call; AGENT shows [mode])",
	"With --readonly these keys do nothing.",
	"",
	"Colours: SL% red under 80, yellow under 90;",
	"LONGEST and a queued call's TIME red past the",
	"queue's service-level threshold; ABN% red over 10;",
	"NEED (agents needed now, forecast; managers) red",
	"when fewer are signed in; details: the next 2 hours.",
	NULL
};

/* A framed box, cleared inside; returns its inner width. */
int
wb_box(int y, int x, int h, int w, const char *title)
{
	char	 buf[200];
	int	 i;

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
	if (title != NULL && w > 6) {
		snprintf(buf, sizeof buf, " %s ", title);
		wb_put(y, x + 2, (int)strlen(buf) < w - 4 ? (int)strlen(buf) :
		    w - 4, buf, 0, A_BOLD);
	}
	return w - 4;
}

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
	wb_box(y, x, h, w, NULL);
	for (i = 0; i < n && i < h - 2; i++)
		wb_put(y + 1 + i, x + 2, w - 4, wb_help_text[i], 0,
		    i == 0 ? A_BOLD : 0);
}

/* The agents to hand a call to (ASK_PICK). */
static void
wb_draw_pick(struct wb *wb)
{
	const struct wb_agent	*a;
	char			 buf[200];
	int			 h, w, y, x, rows, i, iw, attr;
	size_t			 top, k;

	w = COLS - 4 < 60 ? COLS - 4 : 60;
	h = (int)wb->npick + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	if (h < 5)
		h = 5;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	iw = wb_box(y, x, h, w, wb->act_what);
	rows = h - 4;
	top = wb->pick_sel >= (size_t)rows ? wb->pick_sel - rows + 1 : 0;
	if (wb->npick == 0)
		wb_put(y + 1, x + 2, iw, "(no agent matches)", 0, A_DIM);
	for (i = 0; i < rows && top + i < wb->npick; i++) {
		k = top + i;
		a = &wb->d->a[wb->pick[k]];
		attr = k == wb->pick_sel ? (int)A_REVERSE :
		    strcmp(a->state, "available") == 0 ?
		    wb_attr(wb, C_OK, A_BOLD) : 0;
		wb_put(y + 1 + i, x + 2, iw - 12, a->name, 0, attr);
		wb_put(y + 1 + i, x + 2 + iw - 12, 12, a->state, 0, attr);
	}
	snprintf(buf, sizeof buf, "type to filter: %s   Enter pick  Esc cancel",
	    wb->input);
	wb_put(y + h - 2, x + 2, iw, buf, 0, A_DIM);
}

void
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
	if (wb->detail)
		wb_draw_details(wb);
	if (wb->ask == ASK_PICK)
		wb_draw_pick(wb);
	if (wb->help)
		wb_draw_help(wb);
	curs_set(wb->filtering || wb->ask == ASK_REASON ? 1 : 0);
	refresh();
}

void
wb_start_colors(struct wb *wb)
{
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
