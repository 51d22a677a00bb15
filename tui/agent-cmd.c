/*
 * The agent console's commands: each one REST request with the user's own
 * token (the daemon enforces who may do what), its answer applied to the
 * console's state and one line of result; a failure is one "error:" line
 * and an exit status (calldocker(1)).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent-int.h"
#include "cmd.h"
#include "wsc.h"
#include "xmalloc.h"

struct agent_cmd {
	const char	*name;
	const char	*args;
	const char	*help;
	int		(*fn)(struct console *, char *);
};

static const struct agent_cmd *agent_cmd_find(const char *);

static const char *const active_states[] = {
	"offering", "connected", "on_hold", "wrap_up", NULL
};

/* One REST request; an error answer is reported as "what: problem". */
static int
rest(struct console *c, const char *what, const char *method,
    const char *path, json_t *body, json_t **out)
{
	struct client_response	 r;
	char			*m;
	int			 rc;

	if (out != NULL)
		*out = NULL;
	rc = api_request(c->cli, method, path, body, &r);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	if (r.status < 200 || r.status >= 400) {
		m = client_problem(&r);
		console_warn(c, "%s: %s", what, m);
		free(m);
		rc = api_status_exit(r.status);
	} else if (out != NULL) {
		*out = r.json;
		r.json = NULL;
	}
	client_response_free(&r);
	return rc;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "Zed +15550123 (Sales)". Caller frees. */
char *
agent_call_label(struct console *c, json_t *call)
{
	const char	*name = jstr(call, "caller_name");
	const char	*num = jstr(call, "caller_number");
	const char	*q = agent_queue_name(c, jstr(call, "queue_id"));

	if (name == NULL && num == NULL)
		name = "unknown caller";
	return xasprintf("%s%s%s%s%s%s", name ? name : "",
	    name && num ? " " : "", num ? num : "", q ? " (" : "",
	    q ? q : "", q ? ")" : "");
}

const char *
agent_queue_name(struct console *c, const char *id)
{
	size_t	 i;
	json_t	*q;

	if (id == NULL)
		return NULL;
	json_array_foreach(c->queues, i, q) {
		if (jstr(q, "id") != NULL && strcmp(jstr(q, "id"), id) == 0)
			return jstr(q, "name");
	}
	return NULL;
}

/* The company's agents and queues, for names and transfer; quietly. */
void
agent_fetch_targets(struct console *c)
{
	json_t	*items;

	if (api_list(c->cli, "/api/agents", 1, 500, &items) == EXIT_OK) {
		json_decref(c->agents);
		c->agents = items;
	}
	if (api_list(c->cli, "/api/queues", 1, 500, &items) == EXIT_OK) {
		json_decref(c->queues);
		c->queues = items;
	}
}

/* Who am I: the profile, then the agent record of that user. */
int
agent_fetch_self(struct console *c)
{
	json_t		*me = NULL, *a = NULL;
	const char	*uid;
	size_t		 i;
	int		 rc;

	if (c->cli->token == NULL) {
		cli_error("the agent console needs a user's token: log in "
		    "with 'calldocker login'");
		return EXIT_AUTH;
	}
	if ((rc = api_call(c->cli, "GET", "/api/auth/profile", NULL, &me)) !=
	    EXIT_OK)
		return rc;
	agent_fetch_targets(c);
	if ((uid = jstr(me, "id")) == NULL || c->agents == NULL) {
		json_decref(me);
		cli_error("cannot read your agent record");
		return EXIT_FAIL;
	}
	json_array_foreach(c->agents, i, a) {
		if (jstr(a, "user_id") != NULL && strcmp(jstr(a, "user_id"),
		    uid) == 0)
			break;
	}
	if (i == json_array_size(c->agents)) {
		cli_error("\"%s\" is not set up as an agent (a manager adds "
		    "you with 'calldocker agents create')", jstr(me, "email") ?
		    jstr(me, "email") : uid);
		json_decref(me);
		return EXIT_NOTFOUND;
	}
	json_decref(me);
	c->agent_id = xstrdup(jstr(a, "id"));
	c->name = xstrdup(jstr(a, "name") ? jstr(a, "name") : "agent");
	console_set_state(c, jstr(a, "state"), jstr(a, "pause_reason"));
	return EXIT_OK;
}

/* My unfinished calls from the REST API, replacing what the console had. */
int
agent_fetch_calls(struct console *c)
{
	json_t	*items, *call;
	char	*path;
	size_t	 i, k;
	int	 rc;

	json_object_clear(c->calls);
	for (k = 0; active_states[k] != NULL; k++) {
		path = api_path("/api/calls?agent_id=", c->agent_id);
		api_query_add(&path, "state", active_states[k]);
		rc = api_list(c->cli, path, 1, 100, &items);
		free(path);
		if (rc != EXIT_OK)
			return rc;
		json_array_foreach(items, i, call)
			console_apply_call(c, call, NULL, 0);
		json_decref(items);
	}
	return EXIT_OK;
}

/* My call in one of states (offered first by the daemon), or NULL. */
static json_t *
find_call(struct console *c, const char *const *states, int refetch)
{
	const char	*id, *st;
	json_t		*call, *best = NULL;
	size_t		 k;

	json_object_foreach(c->calls, id, call) {
		st = jstr(call, "state");
		for (k = 0; st != NULL && states[k] != NULL; k++) {
			if (strcmp(st, states[k]) == 0 && (best == NULL ||
			    strcmp(jstr(call, "created_at") ? jstr(call,
			    "created_at") : "", jstr(best, "created_at") ?
			    jstr(best, "created_at") : "") < 0))
				best = call;
		}
	}
	if (best == NULL && refetch && agent_fetch_calls(c) == EXIT_OK)
		return find_call(c, states, 0);
	return best;
}

/* POST /api/calls/:id/op on my call in one of states. */
static int
call_op(struct console *c, const char *op, const char *const *states,
    const char *none, json_t *body, const char *done)
{
	json_t	*call, *res = NULL;
	char	*path, *label, *what;
	int	 rc;

	if ((call = find_call(c, states, 1)) == NULL) {
		json_decref(body);
		console_warn(c, "%s: %s", op, none);
		return EXIT_FAIL;
	}
	path = api_path("/api/calls/", jstr(call, "id"));
	what = xasprintf("%s/%s", path, op);
	free(path);
	rc = rest(c, op, "POST", what, body, &res);
	free(what);
	if (rc != EXIT_OK)
		return rc;
	label = agent_call_label(c, res);
	console_apply_call(c, res, NULL, 0);
	console_say(c, "%s: %s", done, label);
	free(label);
	json_decref(res);
	return EXIT_OK;
}

static int
availability(struct console *c, const char *what, const char *state,
    const char *reason)
{
	json_t	*body, *res;
	char	*path;
	int	 rc;

	body = json_pack("{s:s}", "state", state);
	if (reason != NULL && *reason != '\0')
		json_object_set_new(body, "reason", json_string(reason));
	path = api_path("/api/agents/", c->agent_id);
	path = xrealloc(path, strlen(path) + sizeof "/availability");
	strcat(path, "/availability");
	rc = rest(c, what, "PUT", path, body, &res);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	console_set_state(c, jstr(res, "state"), jstr(res, "pause_reason"));
	if (c->reason != NULL)
		console_say(c, "%s: you are %s (%s)", what, c->state, c->reason);
	else
		console_say(c, "%s: you are %s", what, c->state);
	json_decref(res);
	return EXIT_OK;
}

static int
agent_cmd_ready(struct console *c, char *arg)
{
	return availability(c, "ready", "available", NULL);
}

static int
agent_cmd_pause(struct console *c, char *arg)
{
	return availability(c, "pause", "away", arg);
}

static int
agent_cmd_offline(struct console *c, char *arg)
{
	return availability(c, "offline", "offline", NULL);
}

static int
agent_cmd_accept(struct console *c, char *arg)
{
	static const char *const st[] = { "offering", NULL };

	return call_op(c, "answer", st, "no call is being offered to you",
	    NULL, "connected");
}

static int
agent_cmd_reject(struct console *c, char *arg)
{
	static const char *const st[] = { "offering", NULL };

	return call_op(c, "reject", st, "no call is being offered to you",
	    NULL, "rejected");
}

static int
agent_cmd_hold(struct console *c, char *arg)
{
	static const char *const st[] = { "connected", NULL };

	return call_op(c, "hold", st, "you have no connected call", NULL,
	    "on hold");
}

static int
agent_cmd_resume(struct console *c, char *arg)
{
	static const char *const st[] = { "on_hold", NULL };

	return call_op(c, "resume", st, "you have no call on hold", NULL,
	    "resumed");
}

static int
agent_cmd_hangup(struct console *c, char *arg)
{
	static const char *const st[] = { "connected", "on_hold", NULL };
	int	 rc;

	rc = call_op(c, "hangup", st, "you have no call to hang up", NULL,
	    "call ended");
	if (rc == EXIT_OK)
		console_say(c, "wrap up with 'wrap [notes]' (and 'disposition "
		    "CODE')");
	return rc;
}

static int
agent_cmd_wrap(struct console *c, char *arg)
{
	static const char *const st[] = { "wrap_up", NULL };
	json_t	*body = json_object();
	int	 rc;

	if (*arg != '\0')
		json_object_set_new(body, "notes", json_string(arg));
	if (c->disposition != NULL)
		json_object_set_new(body, "disposition",
		    json_string(c->disposition));
	rc = call_op(c, "wrap", st, "you have no call in wrap-up (hang up "
	    "first)", body, "wrapped up");
	if (rc == EXIT_OK) {
		free(c->disposition);
		c->disposition = NULL;
	}
	return rc;
}

/* Set now on the call in hand (kept by the daemon), and sent with wrap. */
static int
agent_cmd_disposition(struct console *c, char *arg)
{
	static const char *const st[] = { "connected", "on_hold", "wrap_up",
	    NULL };
	json_t	*call, *res;
	char	*path;
	int	 rc;

	if ((call = find_call(c, st, 1)) == NULL) {
		console_warn(c, "disposition: you have no call in hand");
		return EXIT_FAIL;
	}
	path = api_path("/api/calls/", jstr(call, "id"));
	rc = rest(c, "disposition", "PUT", path, json_pack("{s:s}",
	    "disposition", arg), &res);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	free(c->disposition);
	c->disposition = xstrdup(arg);
	console_say(c, "disposition: %s", arg);
	json_decref(res);
	return EXIT_OK;
}

/* An agent or queue by id or name: exact, else a unique prefix. */
static int
resolve_target(struct console *c, const char *arg, int quiet,
    const char **key, const char **id, const char **name)
{
	json_t		*lists[2] = { c->agents, c->queues }, *o;
	const char	*keys[2] = { "agent_id", "queue_id" }, *n;
	const char	*exact = NULL, *pre = NULL, *ek = NULL, *pk = NULL;
	const char	*en = NULL, *pn = NULL;
	size_t		 i, len = strlen(arg);
	int		 l, nexact = 0, npre = 0;

	for (l = 0; l < 2; l++) {
		json_array_foreach(lists[l], i, o) {
			n = jstr(o, "name");
			if (jstr(o, "id") == NULL || (l == 0 &&
			    strcmp(jstr(o, "id"), c->agent_id) == 0))
				continue;
			if (strcasecmp(jstr(o, "id"), arg) == 0 ||
			    (n != NULL && strcasecmp(n, arg) == 0)) {
				exact = jstr(o, "id");
				ek = keys[l];
				en = n;
				nexact++;
			} else if (n != NULL && strncasecmp(n, arg, len) == 0) {
				pre = jstr(o, "id");
				pk = keys[l];
				pn = n;
				npre++;
			}
		}
	}
	if (nexact == 1 || (nexact == 0 && npre == 1)) {
		*id = nexact ? exact : pre;
		*key = nexact ? ek : pk;
		*name = nexact ? en : pn;
		if (*name == NULL)
			*name = *id;
		return 0;
	}
	if (!quiet)
			console_warn(c, "transfer: %s \"%s\"", nexact + npre > 1 ?
		    "more than one agent or queue matches" :
		    "no agent or queue named", arg);
	return -1;
}

static int
agent_cmd_transfer(struct console *c, char *arg)
{
	static const char *const st[] = { "connected", "on_hold", NULL };
	const char	*key, *id, *name;
	char		*done;
	int		 rc;

	if (resolve_target(c, arg, 1, &key, &id, &name) != 0) {
		agent_fetch_targets(c);
		if (resolve_target(c, arg, 0, &key, &id, &name) != 0)
			return EXIT_NOTFOUND;
	}
	done = xasprintf("transferred to %s", name);
	rc = call_op(c, "transfer", st, "you have no call to transfer",
	    json_pack("{s:s}", key, id), done);
	free(done);
	return rc;
}

static int
agent_cmd_calls(struct console *c, char *arg)
{
	const char	*id;
	json_t		*call;
	char		*label;
	int		 rc;

	if ((rc = agent_fetch_calls(c)) != EXIT_OK)
		return rc;
	if (json_object_size(c->calls) == 0) {
		console_say(c, "no calls");
		return EXIT_OK;
	}
	json_object_foreach(c->calls, id, call) {
		label = agent_call_label(c, call);
		console_say(c, "%.8s  %-10s %s", id, jstr(call, "state"), label);
		free(label);
	}
	return EXIT_OK;
}

static int
agent_cmd_status(struct console *c, char *arg)
{
	json_t	*a;
	char	*path;
	int	 rc;

	path = api_path("/api/agents/", c->agent_id);
	rc = rest(c, "status", "GET", path, NULL, &a);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	console_set_state(c, jstr(a, "state"), jstr(a, "pause_reason"));
	console_say(c, "agent %s: %s%s%s%s since %s", c->name, c->state,
	    c->reason ? " (" : "", c->reason ? c->reason : "",
	    c->reason ? ")" : "", jstr(a, "state_since") ?
	    jstr(a, "state_since") : "?");
	console_say(c, "calls in hand %zu, handled %lld, missed offers %lld;"
	    " events %s", json_object_size(c->calls),
	    json_integer_value(json_object_get(a, "calls_handled")),
	    json_integer_value(json_object_get(a, "missed_offers")),
	    c->live ? "live" : "reconnecting");
	json_decref(a);
	return EXIT_OK;
}

/* wait [STATE] [SECONDS]: until my state is STATE (default offering). */
static int
agent_cmd_wait(struct console *c, char *arg)
{
	static const char *const states[] = { "offline", "available",
	    "offering", "busy", "wrap_up", "away", NULL };
	char		*state = "offering", *secs, *end;
	double		 deadline;
	long		 n = 30;
	size_t		 i;

	if (*arg != '\0') {
		state = arg;
		if ((secs = strchr(arg, ' ')) != NULL) {
			*secs++ = '\0';
			n = strtol(secs, &end, 10);
			if (*secs == '\0' || *end != '\0' || n < 1 || n > 3600) {
				console_warn(c, "wait: bad seconds \"%s\": "
				    "1 to 3600", secs);
				return EXIT_USAGE;
			}
		}
	}
	for (i = 0; states[i] != NULL && strcmp(states[i], state) != 0; i++)
		;
	if (states[i] == NULL) {
		console_warn(c, "wait: bad state \"%s\"", state);
		return EXIT_USAGE;
	}
	deadline = console_now() + (double)n;
	while (strcmp(c->state, state) != 0) {
		if (c->quit || console_now() >= deadline) {
			console_warn(c, "wait: still %s after %ld s", c->state,
			    n);
			return EXIT_FAIL;
		}
		if (console_pump(c, (int)((deadline - console_now()) * 1000) +
		    1) != 0) {
			console_warn(c, "wait: interrupted");
			return EXIT_FAIL;
		}
	}
	console_say(c, "wait: you are %s", c->state);
	return EXIT_OK;
}

static int
agent_cmd_quit(struct console *c, char *arg)
{
	c->quit = 1;
	return EXIT_OK;
}

static int	agent_cmd_help(struct console *, char *);

static const struct agent_cmd agent_cmds[] = {
	{ "ready", "", "become available for calls", agent_cmd_ready },
	{ "pause", "[REASON]", "go away (paused), with a reason", agent_cmd_pause },
	{ "offline", "", "go offline", agent_cmd_offline },
	{ "accept", "", "answer the call offered to you", agent_cmd_accept },
	{ "reject", "", "reject the offered call; it goes to another agent",
	  agent_cmd_reject },
	{ "hold", "", "put the call on hold", agent_cmd_hold },
	{ "resume", "", "take the call off hold", agent_cmd_resume },
	{ "transfer", "AGENT|QUEUE", "transfer the call (a name or an id)",
	  agent_cmd_transfer },
	{ "hangup", "", "end the call; wrap-up follows", agent_cmd_hangup },
	{ "disposition", "CODE", "set the call's disposition",
	  agent_cmd_disposition },
	{ "wrap", "[NOTES]", "finish wrap-up, with notes", agent_cmd_wrap },
	{ "calls", "", "list your calls", agent_cmd_calls },
	{ "status", "", "show your state and counters", agent_cmd_status },
	{ "wait", "[STATE] [SECONDS]", "wait until your state is STATE "
	  "(default offering, 30 s)", agent_cmd_wait },
	{ "help", "", "show this list", agent_cmd_help },
	{ "quit", "", "leave (your state stays as it is)", agent_cmd_quit },
	{ NULL, NULL, NULL, NULL }
};

const char *const agent_cmd_names[] = {
	"ready", "pause", "offline", "accept", "reject", "hold", "resume",
	"transfer", "hangup", "disposition", "wrap", "calls", "status", "wait",
	"help", "quit", NULL
};

static int
agent_cmd_help(struct console *c, char *arg)
{
	const struct agent_cmd	*e;
	char			 lhs[40];

	for (e = agent_cmds; e->name != NULL; e++) {
		snprintf(lhs, sizeof lhs, "%s %s", e->name, e->args);
		console_say(c, "  %-24s %s", lhs, e->help);
	}
	return EXIT_OK;
}

static const struct agent_cmd *
agent_cmd_find(const char *name)
{
	const struct agent_cmd	*e;

	for (e = agent_cmds; e->name != NULL; e++) {
		if (strcmp(e->name, name) == 0)
			return e;
	}
	if (strcmp(name, "exit") == 0)
		return agent_cmd_find("quit");
	if (strcmp(name, "answer") == 0)
		return agent_cmd_find("accept");
	return NULL;
}

/* Run one line; returns its exit status (EXIT_OK for a blank line). */
int
agent_cmd_run(struct console *c, char *line)
{
	const struct agent_cmd	*e;
	char			*arg, *end;

	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*line == '\0' || *line == '#')
		return EXIT_OK;
	arg = line + strcspn(line, " \t");
	if (*arg != '\0') {
		*arg++ = '\0';
		while (isspace((unsigned char)*arg))
			arg++;
	}
	if ((e = agent_cmd_find(line)) == NULL) {
		console_warn(c, "unknown command \"%s\" (try help)", line);
		return EXIT_USAGE;
	}
	if (*arg == '\0' && strchr(e->args, '[') == NULL && *e->args != '\0') {
		console_warn(c, "%s: usage: %s %s", e->name, e->name, e->args);
		return EXIT_USAGE;
	}
	if (*arg != '\0' && *e->args == '\0') {
		console_warn(c, "%s: takes no arguments", e->name);
		return EXIT_USAGE;
	}
	if (strlen(arg) > 1000) {
		console_warn(c, "%s: the argument is too long (1000 at most)",
		    e->name);
		return EXIT_USAGE;
	}
	return e->fn(c, arg);
}
