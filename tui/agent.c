/*
 * calldocker agent: the console of an agent on a terminal.
 *
 * One poll() loop watches standard input and the WebSocket (/ws, docs/ws.md)
 * that brings the agent's own state and calls. On a terminal, readline's
 * callback interface reads the line; an event that arrives while a line is
 * being typed clears it, prints above it and draws it again intact. The
 * prompt shows the state ("[available] Ann Lee> ") and follows it live.
 * When standard input is not a terminal, commands are read line by line
 * and events and results are printed as plain lines (scripts).
 *
 * Actions are REST requests with the user's token (tui/agent-cmd.c). The
 * socket reconnects with a backoff of 1, 2, 4 ... 30 s when it drops, and
 * says so; a snapshot after each reconnect brings the state back in line.
 *
 * A script whose input ends while the agent has a call in hand (connected
 * or on hold) does not drop it: the daemon ends an agent's call when the
 * agent's socket closes, so the console says so on stderr and stays
 * connected until that call ends (the caller hangs up, someone else ends
 * or transfers it) or a signal comes.
 */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "agent-int.h"
#include "agent.h"
#include "cmd.h"
#include "wsc.h"
#include "xmalloc.h"

#define PING_EVERY	25.0	/* seconds between keep-alive pings */
#define SILENCE_MAX	70.0	/* no message for this long: reconnect */
#define BACKOFF_MAX	30

static struct console		*console;	/* for readline's callbacks */
static volatile sig_atomic_t	 sig_int, sig_term, sig_winch;
static int			 rl_on;		/* readline owns the line */

double
console_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print one line above the line being typed, leaving that line intact. */
static void
console_vline(struct console *c, FILE *f, const char *prefix, const char *fmt,
    va_list ap)
{
	char	*s, *p;

	/* Names and notes come from outside: no control characters, not
	 * even C1 ones in UTF-8 (U+0080 to U+009F), reach the terminal. */
	s = xvasprintf(fmt, ap);
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
		else if ((unsigned char)p[0] == 0xc2 &&
		    (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f) {
			p[0] = p[1] = ' ';
			p++;
		}
	}
	if (rl_on) {
		rl_clear_visible_line();
		fflush(rl_outstream);
	}
	fprintf(f, "%s%s\n", prefix, s);
	fflush(f);
	if (rl_on) {
		rl_on_new_line();
		rl_redisplay();
	}
	free(s);
}

/* A result or an event: stdout. */
void
console_say(struct console *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	console_vline(c, stdout, "", fmt, ap);
	va_end(ap);
}

/* A failure or a notice about the connection: stderr. */
void
console_warn(struct console *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	console_vline(c, c->tty ? stdout : stderr, "error: ", fmt, ap);
	va_end(ap);
}

static void
console_notice(struct console *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
console_notice(struct console *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	console_vline(c, c->tty ? stdout : stderr, "", fmt, ap);
	va_end(ap);
}

/* An event line, with the time of day. */
static void
console_event(struct console *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
console_event(struct console *c, const char *fmt, ...)
{
	va_list		 ap;
	char		 ts[16];
	time_t		 t = time(NULL);
	struct tm	 tm;

	localtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S ", &tm);
	va_start(ap, fmt);
	console_vline(c, stdout, ts, fmt, ap);
	va_end(ap);
}

/* "[available] Ann Lee> ", redrawn at once if readline shows it. */
void
console_prompt(struct console *c)
{
	const char	*st = c->state ? c->state : "?";

	if (c->reason != NULL)
		snprintf(c->prompt, sizeof c->prompt, "[%s: %s%s] %s> ", st,
		    c->reason, c->live || !c->ever_live ? "" : ", reconnecting",
		    c->name ? c->name : "agent");
	else
		snprintf(c->prompt, sizeof c->prompt, "[%s%s] %s> ", st,
		    c->live || !c->ever_live ? "" : ", reconnecting",
		    c->name ? c->name : "agent");
	if (rl_on) {
		rl_clear_visible_line();
		rl_set_prompt(c->prompt);
		rl_on_new_line();
		rl_redisplay();
	}
}

void
console_set_state(struct console *c, const char *state, const char *reason)
{
	if (state == NULL)
		return;
	if (c->state != NULL && strcmp(c->state, state) == 0 &&
	    ((reason == NULL && c->reason == NULL) || (reason != NULL &&
	    c->reason != NULL && strcmp(reason, c->reason) == 0)))
		return;
	free(c->state);
	free(c->reason);
	c->state = xstrdup(state);
	c->reason = reason != NULL && *reason != '\0' ? xstrdup(reason) : NULL;
	console_prompt(c);
}

/* A state from the daemon: scripts get a line when it changes. */
static void
console_state_event(struct console *c, const char *state, const char *reason)
{
	if (state == NULL)
		return;
	if (!c->tty && c->ever_live && (c->state == NULL ||
	    strcmp(c->state, state) != 0 || (reason == NULL) !=
	    (c->reason == NULL) || (reason != NULL && strcmp(reason,
	    c->reason) != 0)))
		console_event(c, "state: %s%s%s%s", state, reason ? " (" : "",
		    reason ? reason : "", reason ? ")" : "");
	console_set_state(c, state, reason);
}

static int
call_active(const char *st)
{
	return st != NULL && (strcmp(st, "offering") == 0 ||
	    strcmp(st, "connected") == 0 || strcmp(st, "on_hold") == 0 ||
	    strcmp(st, "wrap_up") == 0);
}

/*
 * A manager monitors, whispers to me on, barges into or leaves my call:
 * said when the company announces supervision (docs/ws.md, "Supervision";
 * a browser call's page hears of it either way).
 */
static void
console_supervised(struct console *c, json_t *call)
{
	static const struct {
		const char	*mode;
		const char	*says;
	} says[] = {
		{ "monitor", "a supervisor is listening to" },
		{ "whisper", "a supervisor is speaking to you (the caller does"
		    " not hear) on" },
		{ "barge", "a supervisor has joined" },
		{ "off", "the supervisor has left" },
	};
	json_t		*sup = json_object_get(call, "supervision");
	const char	*mode = json_string_value(json_object_get(sup, "mode"));
	char		*label;

	if (!json_is_true(json_object_get(sup, "announce")) || mode == NULL)
		return;
	for (size_t i = 0; i < sizeof says / sizeof says[0]; i++) {
		if (strcmp(mode, says[i].mode) != 0)
			continue;
		label = agent_call_label(c, call);
		console_event(c, "%s: %s", says[i].says, label);
		free(label);
		return;
	}
}

/*
 * Keep my unfinished calls by id; with print, say what changed. An event
 * whose state the console already has (its own command's answer) is not
 * repeated.
 */
void
console_apply_call(struct console *c, json_t *call, const char *event,
    int print)
{
	const char	*id = json_string_value(json_object_get(call, "id"));
	const char	*agent = json_string_value(json_object_get(call,
			    "agent_id"));
	const char	*st = json_string_value(json_object_get(call, "state"));
	const char	*ost, *ev, *nu, *ou, *cb;
	json_t		*old;
	char		*label;
	int		 mine, changed;

	if (id == NULL || c->agent_id == NULL)
		return;
	old = json_object_get(c->calls, id);
	ost = json_string_value(json_object_get(old, "state"));
	/*
	 * Events of one call may arrive out of order (the request that made
	 * it and the queue that offered it publish from different threads):
	 * an older copy, or the news that it entered its queue when it has
	 * already been offered, changes nothing.
	 */
	if (old != NULL && event != NULL) {
		nu = json_string_value(json_object_get(call, "updated_at"));
		ou = json_string_value(json_object_get(old, "updated_at"));
		if ((nu != NULL && ou != NULL && strcmp(nu, ou) < 0) ||
		    strcmp(event, "call.created") == 0 ||
		    strcmp(event, "call.queued") == 0)
			return;
	}
	mine = agent != NULL && strcmp(agent, c->agent_id) == 0;
	if (event != NULL && strcmp(event, "call.supervised") == 0) {
		if (print && mine)
			console_supervised(c, call);
		return;
	}
	if (mine && call_active(st)) {
		changed = ost == NULL || strcmp(ost, st) != 0;
		json_object_set(c->calls, id, call);
	} else if (old != NULL) {
		changed = 1;
		json_object_del(c->calls, id);
	} else
		return;
	if (!print || !changed || event == NULL)
		return;
	ev = strncmp(event, "call.", 5) == 0 ? event + 5 : event;
	label = agent_call_label(c, call);
	cb = json_string_value(json_object_get(json_object_get(call,
	    "callback"), "number"));
	if ((strcmp(ev, "offered") == 0 || (strcmp(ev, "transferred") == 0 &&
	    mine && strcmp(st, "offering") == 0)) && cb != NULL)
		console_event(c, "offered: %s: a callback to %s: type accept or"
		    " reject", label, cb);
	else if (strcmp(ev, "offered") == 0 || (strcmp(ev, "transferred") == 0 &&
	    mine && strcmp(st, "offering") == 0))
		console_event(c, "offered: %s: type accept or reject", label);
	else if (strcmp(ev, "callback_no_answer") == 0)
		console_event(c, "callback not answered: %s", label);
	else if (strcmp(ev, "answered") == 0)
		console_event(c, "connected: %s", label);
	else if (strcmp(ev, "held") == 0)
		console_event(c, "on hold: %s", label);
	else if (strcmp(ev, "resumed") == 0)
		console_event(c, "resumed: %s", label);
	else if (strcmp(ev, "ended") == 0)
		console_event(c, "call ended: %s: wrap up with 'wrap [notes]'",
		    label);
	else if (strcmp(ev, "completed") == 0)
		console_event(c, "wrapped up: %s", label);
	else if (strcmp(ev, "abandoned") == 0)
		console_event(c, "caller hung up: %s", label);
	else if (strcmp(ev, "offer_missed") == 0)
		console_event(c, "offer missed: %s", label);
	else if (strcmp(ev, "offer_withdrawn") == 0)
		console_event(c, "offer withdrawn: %s", label);
	else if (strcmp(ev, "transferred") == 0)
		console_event(c, "transferred away: %s", label);
	else
		console_event(c, "%s: %s", ev, label);
	free(label);
}

/* 1 if one of my calls is connected or on hold: closing would end it. */
static int
console_in_hand(struct console *c)
{
	const char	*id, *st;
	json_t		*call;

	json_object_foreach(c->calls, id, call) {
		st = json_string_value(json_object_get(call, "state"));
		if (st != NULL && (strcmp(st, "connected") == 0 ||
		    strcmp(st, "on_hold") == 0))
			return 1;
	}
	return 0;
}

/* ---- the WebSocket --------------------------------------------------------- */

static void
ws_send(struct console *c, json_t *m)
{
	char	*s = json_dumps(m, JSON_COMPACT);

	if (s != NULL && c->ws != NULL)
		wsc_send_text(c->ws, s, strlen(s));
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
	json_decref(m);
}

static void
ws_start(struct console *c)
{
	char	*cause = NULL;

	c->ws = wsc_connect(c->cli->host, "/ws", c->cli->cacert, &cause);
	if (c->ws == NULL) {
		/* Once per outage: the prompt says "reconnecting" meanwhile. */
		if (!c->said) {
			console_notice(c, "live events: %s; retrying with a "
			    "growing delay", cause);
			c->said = 1;
		}
		free(cause);
		c->next_connect = console_now() + (c->backoff ? c->backoff : 1);
		c->backoff = c->backoff ? c->backoff * 2 : 2;
		if (c->backoff > BACKOFF_MAX)
			c->backoff = BACKOFF_MAX;
		return;
	}
	c->last_rx = console_now();
	c->next_ping = c->last_rx + PING_EVERY;
	ws_send(c, json_pack("{s:s,s:s,s:s}", "type", "auth", "id", "auth",
	    "token", c->cli->token ? c->cli->token : ""));
}

/* The socket is gone: say so once and plan the next attempt. */
static void
ws_lost(struct console *c, const char *why)
{
	int	 code = c->ws ? wsc_close_code(c->ws) : 0;
	int	 delay = c->backoff ? c->backoff : 1;
	char	 reason[256];

	/* why may be the socket's own error text: keep it past the close. */
	strlcpy_(reason, why, sizeof reason);
	why = reason;
	wsc_close(c->ws, 1000, NULL);
	c->ws = NULL;
	c->renew_at = 0;
	/* 4002: the token expired; 4003: bad token or the session ended. */
	if (code == 4003 || (code == 4002 && api_renew(c->cli) != 0)) {
		console_warn(c, "%s: log in again with 'calldocker login'",
		    code == 4002 ? "the access token has expired" :
		    "the session has ended");
		c->status = EXIT_AUTH;
		c->quit = 1;
		return;
	}
	if (code == 4002)
		delay = 0;
	if (!c->said)
		console_notice(c, "live events lost: %s; reconnecting in %d s",
		    why, delay);
	c->said = 1;
	c->live = 0;
	c->next_connect = console_now() + delay;
	c->backoff = c->backoff ? c->backoff * 2 : 2;
	if (c->backoff > BACKOFF_MAX)
		c->backoff = BACKOFF_MAX;
	console_prompt(c);
}

static void
ws_snapshot(struct console *c, json_t *m)
{
	const char	*topic = json_string_value(json_object_get(m, "topic"));
	json_t		*items = json_object_get(m, "items"), *o;
	const char	*id;
	size_t		 i;

	if (topic != NULL && strcmp(topic, "agents") == 0) {
		json_array_foreach(items, i, o) {
			id = json_string_value(json_object_get(o, "id"));
			if (id != NULL && strcmp(id, c->agent_id) == 0)
				console_set_state(c, json_string_value(
				    json_object_get(o, "state")),
				    json_string_value(json_object_get(o,
				    "pause_reason")));
		}
	} else if (topic != NULL && strcmp(topic, "calls") == 0) {
		json_object_clear(c->calls);
		json_array_foreach(items, i, o)
			console_apply_call(c, o, NULL, 0);
		/* The last snapshot: the console is in step again. */
		if (!c->live) {
			if (c->ever_live)
				console_notice(c, "live events: reconnected");
			c->live = c->ever_live = 1;
			c->backoff = 0;
			c->said = 0;
			console_prompt(c);
		}
	}
}

static void
ws_message(struct console *c, const char *s, size_t len)
{
	json_t		*m = json_loadb(s, len, 0, NULL), *data;
	const char	*type = json_string_value(json_object_get(m, "type"));
	const char	*rid = json_string_value(json_object_get(m, "id"));
	const char	*event, *id, *why;
	time_t		 exp, now;

	c->last_rx = console_now();
	if (type == NULL)
		goto out;
	if (rid == NULL)
		rid = "";
	data = json_object_get(m, "data");
	if (strcmp(type, "authenticated") == 0) {
		/* Renew the token when two thirds of its life are gone. */
		exp = json_integer_value(json_object_get(m, "expires_at"));
		now = time(NULL);
		c->renew_at = exp > now ? now + (exp - now) * 2 / 3 : 0;
		if (!c->live && strcmp(rid, "auth") == 0)
			ws_send(c, json_pack("{s:s,s:s,s:[s,s]}", "type",
			    "subscribe", "id", "sub", "topics", "agents",
			    "calls"));
	} else if (strcmp(type, "snapshot") == 0)
		ws_snapshot(c, m);
	else if (strcmp(type, "event") == 0) {
		event = json_string_value(json_object_get(m, "event"));
		if (event == NULL)
			goto out;
		if (strcmp(event, "agent.state_changed") == 0) {
			id = json_string_value(json_object_get(data,
			    "agent_id"));
			if (id != NULL && strcmp(id, c->agent_id) == 0)
				console_state_event(c, json_string_value(
				    json_object_get(data, "state")),
				    json_string_value(json_object_get(data,
				    "reason")));
		} else if (strncmp(event, "call.", 5) == 0)
			console_apply_call(c, data, event, 1);
	} else if (strcmp(type, "error") == 0) {
		why = json_string_value(json_object_get(m, "message"));
		/* No snapshot (the database is down): start over later. */
		if (strcmp(rid, "sub") == 0)
			ws_lost(c, why != NULL ? why : "no snapshot");
		else if (strcmp(rid, "auth") != 0)
			console_warn(c, "live events: %s", why != NULL ? why :
			    "error");
	}
out:
	json_decref(m);
}

/* Read everything the socket has; keep it alive. */
static void
ws_service(struct console *c)
{
	enum wsc_status	 st;
	char		*msg;
	size_t		 len;
	double		 now;

	while (c->ws != NULL && (st = wsc_read(c->ws, &msg, &len)) ==
	    WSC_MESSAGE)
		ws_message(c, msg, len);
	if (c->ws == NULL)
		return;
	if (st == WSC_CLOSED) {
		ws_lost(c, wsc_error(c->ws));
		return;
	}
	if (c->renew_at != 0 && time(NULL) >= c->renew_at && c->live) {
		/* A fresh token on the open socket: no reconnect needed. */
		c->renew_at = 0;
		if (api_renew(c->cli) == 0)
			ws_send(c, json_pack("{s:s,s:s,s:s}", "type", "auth",
			    "id", "renew", "token", c->cli->token));
	}
	now = console_now();
	if (now - c->last_rx > SILENCE_MAX)
		ws_lost(c, "no answer from the daemon");
	else if (now >= c->next_ping && wsc_is_open(c->ws)) {
		c->next_ping = now + PING_EVERY;
		ws_send(c, json_pack("{s:s,s:s}", "type", "ping", "id",
		    "keepalive"));
	}
}

/* Milliseconds until the socket needs attention without input. */
static int
ws_timeout(struct console *c, int max)
{
	double	 now = console_now(), t;

	t = c->ws == NULL ? c->next_connect - now : c->next_ping - now;
	if (t < 0)
		t = 0;
	return t * 1000 < max ? (int)(t * 1000) + 1 : max;
}

/* One pass on the socket alone, waiting at most ms (for "wait"); -1 on a
 * signal. */
int
console_pump(struct console *c, int ms)
{
	struct pollfd	 pfd;

	if (c->ws == NULL && console_now() >= c->next_connect)
		ws_start(c);
	if (c->ws == NULL) {
		poll(NULL, 0, ws_timeout(c, ms));
		return 0;
	}
	pfd.fd = wsc_fd(c->ws);
	pfd.events = wsc_events(c->ws);
	poll(&pfd, 1, ws_timeout(c, ms));
	ws_service(c);
	return sig_term || sig_int ? -1 : 0;
}

/* ---- readline ------------------------------------------------------------- */

static void
console_line(char *line)
{
	struct console	*c = console;
	HIST_ENTRY	*h;
	int		 rc;

	if (line == NULL) {	/* ^D */
		c->quit = 1;
		rl_callback_handler_remove();
		rl_on = 0;
		fputc('\n', stdout);
		return;
	}
	if (*line != '\0') {
		h = history_length > 0 ? history_get(history_base +
		    history_length - 1) : NULL;
		if (h == NULL || strcmp(h->line, line) != 0)
			add_history(line);
	}
	rl_on = 0;	/* the line is done: print plainly */
	rc = agent_cmd_run(c, line);
	rl_on = 1;
	(void)rc;	/* interactive: a failed command was said, go on */
	free(line);
	if (c->quit) {
		rl_callback_handler_remove();
		rl_on = 0;
	} else
		rl_set_prompt(c->prompt);
}

static void
on_signal(int sig)
{
	if (sig == SIGINT)
		sig_int = 1;
	else if (sig == SIGWINCH)
		sig_winch = 1;
	else
		sig_term = sig;
}

static void
signals_install(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- scripted input --------------------------------------------------------- */

struct linebuf {
	char	*data;
	size_t	 len;
	size_t	 size;
	int	 eof;
};

/* Run each complete line of standard input; stop at the first failure. */
static void
script_input(struct console *c, struct linebuf *b)
{
	char	 tmp[4096], *nl, *line;
	size_t	 take, skip;
	ssize_t	 n;
	int	 rc;

	n = read(STDIN_FILENO, tmp, sizeof tmp);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0)
		b->eof = 1;
	else {
		if (b->len + (size_t)n + 1 > b->size) {
			b->size = b->len + (size_t)n + 4096;
			b->data = xrealloc(b->data, b->size);
		}
		memcpy(b->data + b->len, tmp, (size_t)n);
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	while (!c->quit && b->len > 0) {
		if ((nl = memchr(b->data, '\n', b->len)) == NULL) {
			if (!b->eof && b->len < 64 * 1024)
				break;
			nl = b->data + b->len;
		}
		take = (size_t)(nl - b->data);
		skip = take < b->len ? take + 1 : take;	/* and the newline */
		line = xstrndup(b->data, take);
		memmove(b->data, b->data + skip, b->len - skip);
		b->len -= skip;
		/* Events that came meanwhile go before the next result. */
		console_pump(c, 0);
		rc = agent_cmd_run(c, line);
		free(line);
		if (rc != EXIT_OK) {
			c->status = rc;
			if (!c->keep_going)
				c->quit = 1;
		}
	}
	if (!b->eof || c->quit)
		return;
	if (!console_in_hand(c)) {
		c->quit = 1;
		return;
	}
	c->staying = 1;
	console_notice(c, "calldocker agent: input ended with a call in hand;"
	    " staying connected until it ends (SIGINT/SIGTERM to leave)");
}

/* ---- the loop ------------------------------------------------------------- */

int
agent_run(struct cli *cli, const struct agent_options *opt)
{
	struct console	 c;
	struct linebuf	 lb = { 0 };
	struct pollfd	 pfd[2];
	int		 rc, nfd;

	memset(&c, 0, sizeof c);
	c.cli = cli;
	c.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	c.keep_going = opt->keep_going;
	c.calls = json_object();
	console = &c;
	if ((rc = api_open(cli)) != EXIT_OK ||
	    (rc = agent_fetch_self(&c)) != EXIT_OK)
		goto out;
	agent_fetch_calls(&c);
	signals_install();
	console_prompt(&c);
	ws_start(&c);

	if (c.tty) {
		agent_history_open();
		rl_readline_name = "calldocker-agent";
		rl_catch_signals = 0;
		rl_catch_sigwinch = 0;
		agent_complete_init(&c);
		console_say(&c, "calldocker agent: you are %s; type help for "
		    "the commands", c.state);
		rl_callback_handler_install(c.prompt, console_line);
		rl_on = 1;
	}
	while (!c.quit) {
		if (sig_term || (sig_int && !c.tty))
			break;
		if (sig_int) {
			sig_int = 0;
			/* ^C drops the line being typed, as in a shell. */
			rl_replace_line("", 0);
			rl_point = rl_end = 0;
			fputs("^C\n", stdout);
			rl_on_new_line();
			rl_redisplay();
		}
		if (sig_winch) {
			sig_winch = 0;
			if (c.tty)
				rl_resize_terminal();
		}
		if (c.ws == NULL && console_now() >= c.next_connect)
			ws_start(&c);
		nfd = 0;
		pfd[nfd].fd = c.staying ? -1 : STDIN_FILENO;	/* -1: ignored */
		pfd[nfd++].events = POLLIN;
		if (c.ws != NULL) {
			pfd[nfd].fd = wsc_fd(c.ws);
			pfd[nfd++].events = wsc_events(c.ws);
		}
		if (poll(pfd, nfd, ws_timeout(&c, 1000)) < 0 && errno != EINTR)
			break;
		if (c.ws != NULL)
			ws_service(&c);
		if (c.staying && !console_in_hand(&c)) {
			c.quit = 1;
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (c.tty)
				rl_callback_read_char();
			else
				script_input(&c, &lb);
		}
	}
	/* Ended by a signal: 128 plus its number, as a shell would say. */
	if (sig_term)
		c.status = 128 + sig_term;
	else if (sig_int && !c.tty)
		c.status = 128 + SIGINT;
	if (rl_on) {
		rl_callback_handler_remove();
		rl_on = 0;
		fputc('\n', stdout);
	}
	if (c.tty)
		agent_history_save();
	rc = c.status;
out:
	wsc_close(c.ws, 1000, "bye");
	free(lb.data);
	json_decref(c.calls);
	json_decref(c.agents);
	json_decref(c.queues);
	free(c.agent_id);
	free(c.name);
	free(c.state);
	free(c.reason);
	free(c.disposition);
	console = NULL;
	return rc;
}
