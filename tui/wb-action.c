/*
 * Supervisor actions from the wallboard, through the REST API as the
 * signed-in user: set an agent available, away (with a reason) or offline;
 * hand a call to an agent (assign while it waits or rings, transfer once
 * answered); hang up a call; monitor, whisper to or barge into a
 * connected call, or leave it (docs/api.md, "Monitor, whisper, barge").
 * Setting an agent offline and hanging up ask y/n first. With --readonly
 * the keys only say so.
 *
 * The keys act on the object whose details are open, else on the focused
 * panel's selected row; the object is kept by id, so a refresh between the
 * key and the answer to the question cannot change what is acted on.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "cmd.h"
#include "wb.h"
#include "xmalloc.h"

enum {
	ACT_NONE,
	ACT_AVAILABLE,
	ACT_AWAY,
	ACT_OFFLINE,
	ACT_HANDOVER,
	ACT_HANGUP,
	ACT_MONITOR,
	ACT_WHISPER,
	ACT_BARGE,
	ACT_LEAVE,
};

/* The supervision keys: the mode each asks for, what it says when done. */
static const struct {
	int		 act;
	int		 key;
	const char	*mode;
	const char	*done;
} wb_sup_keys[] = {
	{ ACT_MONITOR, 'm', "monitor", "monitoring" },
	{ ACT_WHISPER, 'w', "whisper", "whispering to the agent" },
	{ ACT_BARGE, 'b', "barge", "barged in" },
	{ ACT_LEAVE, 'u', "off", "left the call" },
};
#define WB_NSUP	(sizeof wb_sup_keys / sizeof wb_sup_keys[0])

void
wb_message(struct wb *wb, int bad, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(wb->msg, sizeof wb->msg, fmt, ap);
	va_end(ap);
	wb->msg_bad = bad;
	wb->msg_at = time(NULL);
	wb->dirty = 1;
}

/* The keys the focused panel (or the open details) offers. */
const char *
wb_action_hint(const struct wb *wb)
{
	int	 p = wb->detail ? wb->detail - 1 : wb->focus;

	if (p == P_QUEUES)
		return "";
	if (wb->opt->readonly)
		return "[read-only]";
	return p == P_AGENTS ? "a avail  w away  o offline" :
	    "t transfer  x hang up  m/w/b/u monitor/whisper/barge/leave";
}

void
wb_action_free(struct wb *wb)
{
	free(wb->act_id);
	free(wb->act_what);
	free(wb->act_name);
	free(wb->pick);
	wb->act_id = wb->act_what = wb->act_name = NULL;
	wb->pick = NULL;
	wb->npick = wb->pick_sel = 0;
	wb->input[0] = '\0';
	wb->ask = ASK_NONE;
	wb->act = ACT_NONE;
}

/* Run the action on wb->act_id; the answer becomes the footer's message. */
static void
wb_action_run(struct wb *wb, const char *arg)
{
	struct client_response	 r;
	const struct wb_call	*c;
	const struct wb_agent	*a;
	json_t			*body = NULL;
	char			*path = NULL, *msg, *done = NULL;
	const char		*method = "POST", *state;
	int			 rc, moved;

	switch (wb->act) {
	case ACT_AVAILABLE:
	case ACT_AWAY:
	case ACT_OFFLINE:
		path = api_path("/api/agents/", wb->act_id);
		path = xrealloc(path, strlen(path) + sizeof "/availability");
		strcat(path, "/availability");
		method = "PUT";
		state = wb->act == ACT_AVAILABLE ? "available" :
		    wb->act == ACT_AWAY ? "away" : "offline";
		body = json_pack("{s:s}", "state", state);
		if (wb->act == ACT_AWAY && arg != NULL && *arg != '\0') {
			json_object_set_new(body, "reason", json_string(arg));
			done = xasprintf("%s is now away (%s)", wb->act_name,
			    arg);
		} else
			done = xasprintf("%s is now %s", wb->act_name, state);
		break;
	case ACT_HANGUP:
		path = api_path("/api/calls/", wb->act_id);
		path = xrealloc(path, strlen(path) + sizeof "/hangup");
		strcat(path, "/hangup");
		body = json_pack("{s:s}", "reason", "supervisor");
		done = xasprintf("%s: hung up", wb->act_name);
		break;
	case ACT_HANDOVER:
		c = wb_call_find(wb->d, wb->act_id);
		a = wb_agent_find(wb->d, arg);
		if (c == NULL || a == NULL) {
			wb_message(wb, 1, "the call or the agent is gone");
			goto out;
		}
		path = api_path("/api/calls/", wb->act_id);
		moved = strcmp(c->state, "connected") == 0 ||
		    strcmp(c->state, "on_hold") == 0;
		path = xrealloc(path, strlen(path) + sizeof "/transfer");
		strcat(path, moved ? "/transfer" : "/assign");
		body = json_pack("{s:s}", "agent_id", a->id);
		done = xasprintf("%s: %s to %s", wb->act_name, moved ?
		    "transferred" : "assigned", a->name);
		break;
	case ACT_MONITOR:
	case ACT_WHISPER:
	case ACT_BARGE:
	case ACT_LEAVE:
		path = api_path("/api/calls/", wb->act_id);
		path = xrealloc(path, strlen(path) + sizeof "/supervise");
		strcat(path, "/supervise");
		for (size_t k = 0; k < WB_NSUP; k++) {
			if (wb_sup_keys[k].act == wb->act) {
				body = json_pack("{s:s}", "mode",
				    wb_sup_keys[k].mode);
				done = xasprintf("%s: %s", wb->act_name,
				    wb_sup_keys[k].done);
			}
		}
		break;
	default:
		goto out;
	}
	rc = api_request(wb->cli, method, path, body, &r);
	if (rc != EXIT_OK) {
		wb_message(wb, 1, "%s: cannot reach %s", wb->act_what,
		    wb->cli->host);
		goto out;
	}
	if (r.status / 100 == 2)
		wb_message(wb, 0, "%s", done);
	else {
		msg = client_problem(&r);
		wb_message(wb, 1, "%s: %s", wb->act_what, msg);
		free(msg);
	}
	client_response_free(&r);
	wb_source_refresh(wb->src);
out:
	json_decref(body);
	free(path);
	free(done);
	wb_action_free(wb);
}

static int
wb_pick_cmp(const void *va, const void *vb, void *arg)
{
	const struct wb_data	*d = arg;
	const struct wb_agent	*a = &d->a[*(const size_t *)va];
	const struct wb_agent	*b = &d->a[*(const size_t *)vb];
	int			 fa = strcmp(a->state, "available") == 0;
	int			 fb = strcmp(b->state, "available") == 0;

	if (fa != fb)
		return fb - fa;
	return strcasecmp(a->name, b->name);
}

/* The agents offered for a handover: matching the input, available first. */
static void
wb_pick_build(struct wb *wb)
{
	const struct wb_call	*c = wb_call_find(wb->d, wb->act_id);
	const struct wb_agent	*a;
	size_t			 i, n = 0;

	free(wb->pick);
	wb->pick = xcalloc(wb->d->na + 1, sizeof *wb->pick);
	for (i = 0; i < wb->d->na; i++) {
		a = &wb->d->a[i];
		if (c != NULL && c->agent_id != NULL &&
		    strcmp(c->agent_id, a->id) == 0)
			continue;
		if (wb->input[0] != '\0' &&
		    strcasestr(a->name, wb->input) == NULL)
			continue;
		wb->pick[n++] = i;
	}
	wb->npick = n;
	qsort_r(wb->pick, n, sizeof *wb->pick, wb_pick_cmp,
	    (void *)(uintptr_t)wb->d);
	if (wb->pick_sel >= n)
		wb->pick_sel = n > 0 ? n - 1 : 0;
}

/*
 * The picture changed under an open question: the agent list holds
 * indexes into it, so build it again; a call or agent that is gone
 * cancels the question.
 */
void
wb_action_data(struct wb *wb)
{
	int	 gone;

	if (wb->ask == ASK_NONE)
		return;
	if (wb->act != ACT_AVAILABLE && wb->act != ACT_AWAY &&
	    wb->act != ACT_OFFLINE)
		gone = wb_call_find(wb->d, wb->act_id) == NULL;
	else
		gone = wb_agent_find(wb->d, wb->act_id) == NULL;
	if (gone) {
		wb_message(wb, 1, "%s: it is gone", wb->act_what);
		wb_action_free(wb);
	} else if (wb->ask == ASK_PICK)
		wb_pick_build(wb);
}

/* A key while a question is open. */
int
wb_ask_key(struct wb *wb, int kind, wint_t c)
{
	char	*id;

	if (kind == OK && c == 27) {
		wb_message(wb, 0, "%s: cancelled", wb->act_what);
		wb_action_free(wb);
		return 1;
	}
	switch (wb->ask) {
	case ASK_CONFIRM:
		if (kind == OK && (c == 'y' || c == 'Y'))
			wb_action_run(wb, NULL);
		else {
			wb_message(wb, 0, "%s: cancelled", wb->act_what);
			wb_action_free(wb);
		}
		break;
	case ASK_REASON:
		if ((kind == OK && (c == '\n' || c == '\r')) ||
		    (kind == KEY_CODE_YES && c == KEY_ENTER)) {
			id = xstrdup(wb->input);
			free(wb->act_what);
			wb->act_what = xasprintf("set %s away", wb->act_name);
			wb_action_run(wb, id);
			free(id);
		} else
			wb_edit_key(wb->input, sizeof wb->input, kind, c);
		break;
	case ASK_PICK:
		if ((kind == OK && (c == '\n' || c == '\r')) ||
		    (kind == KEY_CODE_YES && c == KEY_ENTER)) {
			if (wb->npick == 0)
				break;
			id = xstrdup(wb->d->a[wb->pick[wb->pick_sel]].id);
			wb_action_run(wb, id);
			free(id);
		} else if (kind == KEY_CODE_YES && c == KEY_DOWN) {
			if (wb->pick_sel + 1 < wb->npick)
				wb->pick_sel++;
		} else if (kind == KEY_CODE_YES && c == KEY_UP) {
			if (wb->pick_sel > 0)
				wb->pick_sel--;
		} else if (wb_edit_key(wb->input, sizeof wb->input, kind, c))
			wb_pick_build(wb);
		break;
	default:
		break;
	}
	wb->dirty = 1;
	return 1;
}

/* The supervision action of a calls panel key, or ACT_NONE. */
static int
wb_sup_act(wint_t c)
{
	for (size_t k = 0; k < WB_NSUP; k++) {
		if ((wint_t)wb_sup_keys[k].key == c)
			return wb_sup_keys[k].act;
	}
	return ACT_NONE;
}

/* An action key; 1 if it was one. */
int
wb_action_key(struct wb *wb, int kind, wint_t c)
{
	const struct wb_agent	*a = NULL;
	const struct wb_call	*cl = NULL;
	int			 p, act;
	size_t			 i;

	if (kind != OK)
		return 0;
	p = wb->detail ? wb->detail - 1 : wb->focus;
	if (p == P_AGENTS && c == 'a')
		act = ACT_AVAILABLE;
	else if (p == P_AGENTS && c == 'w')
		act = ACT_AWAY;
	else if (p == P_AGENTS && c == 'o')
		act = ACT_OFFLINE;
	else if (p == P_CALLS && c == 't')
		act = ACT_HANDOVER;
	else if (p == P_CALLS && c == 'x')
		act = ACT_HANGUP;
	else if (p == P_CALLS && (act = wb_sup_act(c)) != ACT_NONE)
		;
	else
		return 0;
	if (wb->opt->readonly) {
		wb_message(wb, 1, "read-only: supervisor actions are off "
		    "(--readonly)");
		return 1;
	}
	if (wb->detail) {
		if (p == P_AGENTS)
			a = wb_agent_find(wb->d, wb->detail_id);
		else
			cl = wb_call_find(wb->d, wb->detail_id);
	} else if ((i = wb_selected(wb, p)) != (size_t)-1) {
		if (p == P_AGENTS)
			a = &wb->d->a[i];
		else
			cl = &wb->d->c[i];
	}
	if (a == NULL && cl == NULL) {
		wb_message(wb, 1, "nothing selected");
		return 1;
	}
	wb_action_free(wb);
	wb->act = act;
	wb->act_id = xstrdup(a != NULL ? a->id : cl->id);
	wb->act_name = xstrdup(a != NULL ? a->name : cl->caller);
	switch (act) {
	case ACT_AVAILABLE:
		wb->act_what = xasprintf("set %s available", a->name);
		wb_action_run(wb, NULL);
		break;
	case ACT_AWAY:
		wb->act_what = xasprintf("away reason for %s", a->name);
		wb->ask = ASK_REASON;
		break;
	case ACT_OFFLINE:
		wb->act_what = xasprintf("set %s offline", a->name);
		wb->ask = ASK_CONFIRM;
		break;
	case ACT_HANGUP:
		wb->act_what = xasprintf("hang up %s (%s, %s)", cl->caller,
		    cl->state, cl->agent);
		wb->ask = ASK_CONFIRM;
		break;
	case ACT_MONITOR:
	case ACT_WHISPER:
	case ACT_BARGE:
	case ACT_LEAVE:
		wb->act_what = xasprintf("supervise %s", cl->caller);
		wb_action_run(wb, NULL);
		break;
	case ACT_HANDOVER:
		wb->act_what = xasprintf("%s %s to", strcmp(cl->state,
		    "connected") == 0 || strcmp(cl->state, "on_hold") == 0 ?
		    "transfer" : "assign", cl->caller);
		wb->ask = ASK_PICK;
		wb_pick_build(wb);
		break;
	}
	wb->dirty = 1;
	return 1;
}
