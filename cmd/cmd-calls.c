/*
 * calldocker calls: list, show, create and change calls, and move a call
 * through its life: assign, answer, reject, hold, resume, transfer, hang
 * up and wrap up; "calls next" takes the best waiting call; "calls
 * callback" turns a waiting call into a callback (virtual hold); "calls
 * monitor", "whisper" and "barge" supervise a connected call, "calls
 * unsupervise" leaves it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_calls_list(struct cmd_ctx *);
static int	cmd_calls_get(struct cmd_ctx *);
static int	cmd_calls_create(struct cmd_ctx *);
static int	cmd_calls_update(struct cmd_ctx *);
static int	cmd_calls_assign(struct cmd_ctx *);
static int	cmd_calls_action(struct cmd_ctx *);
static int	cmd_calls_transfer(struct cmd_ctx *);
static int	cmd_calls_hangup(struct cmd_ctx *);
static int	cmd_calls_callback(struct cmd_ctx *);
static int	cmd_calls_wrap(struct cmd_ctx *);
static int	cmd_calls_next(struct cmd_ctx *);
static int	cmd_calls_recording(struct cmd_ctx *);
static int	cmd_calls_supervise(struct cmd_ctx *);

static char	*cmd_calls_seconds_cell(json_t *);
static char	*cmd_calls_sup_mode_cell(json_t *);
static char	*cmd_calls_sup_user_cell(json_t *);
static char	*cmd_calls_sup_via_cell(json_t *);

static const struct output_resource cmd_calls_resource = {
	.name = "call",
	.plural = "calls",
	.id_key = "id",
	.columns = {
		{ "ID", "id", NULL },
		{ "STATE", "state", NULL },
		{ "QUEUE", "queue_id", NULL },
		{ "AGENT", "agent_id", NULL },
		{ "CALLER", "caller_number", NULL },
		{ "PRIORITY", "priority", NULL },
		{ "WAIT", "wait_seconds", cmd_calls_seconds_cell },
		{ "CREATED", "created_at", NULL },
		{ NULL, NULL, NULL }
	},
};

/* A call as its supervisor sees it: "calls monitor" and the others. */
static const struct output_resource cmd_calls_sup_resource = {
	.name = "call",
	.plural = "calls",
	.id_key = "id",
	.columns = {
		{ "ID", "id", NULL },
		{ "STATE", "state", NULL },
		{ "AGENT", "agent_id", NULL },
		{ "SUPERVISION", "supervision", cmd_calls_sup_mode_cell },
		{ "SUPERVISOR", "supervision", cmd_calls_sup_user_cell },
		{ "VIA", "supervision", cmd_calls_sup_via_cell },
		{ NULL, NULL, NULL }
	},
};

/* The events of "calls get", a second table. */
static const struct output_resource cmd_calls_events_resource = {
	.name = "event",
	.plural = "events",
	.id_key = "type",
	.columns = {
		{ "AT", "at", NULL },
		{ "TYPE", "type", NULL },
		{ "FROM", "from_state", NULL },
		{ "TO", "to_state", NULL },
		{ "AGENT", "agent_id", NULL },
		{ NULL, NULL, NULL }
	},
};

static const char *const cmd_calls_states[] = {
	"new", "ivr", "queued", "offering", "connected", "on_hold", "wrap_up",
	"completed", "abandoned", "missed", "failed", "transferred", NULL
};

static const char *const cmd_calls_media[] = {
	"voice", "video", "screen_share", NULL
};

#define CMD_CALLS_IDS	"calls list -q"
#define CMD_QUEUE_IDS	"queues list -q"
#define CMD_AGENT_IDS	"agents list -q"

static const struct cmd_flag cmd_calls_list_flags[] = {
	{ .name = "state", .arg = "S", .values = cmd_calls_states,
	  .help = "only calls in this state" },
	{ .name = "queue", .arg = "ID", .complete = CMD_QUEUE_IDS,
	  .help = "only calls of this queue" },
	{ .name = "agent", .arg = "ID", .complete = CMD_AGENT_IDS,
	  .help = "only calls of this agent" },
	{ .name = "from", .arg = "T",
	  .help = "only calls created at or after T (RFC 3339)" },
	{ .name = "to", .arg = "T",
	  .help = "only calls created before T (RFC 3339)" },
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_create_flags[] = {
	{ .name = "queue", .arg = "ID", .complete = CMD_QUEUE_IDS,
	  .help = "queue to wait in (default: none, the call stays new)" },
	{ .name = "caller-number", .arg = "N", .help = "caller's number" },
	{ .name = "caller-name", .arg = "N", .help = "caller's name" },
	{ .name = "priority", .arg = "N",
	  .help = "higher priorities are offered first (default: 0)" },
	{ .name = "skill", .arg = "NAME:LEVEL", .repeat = 1,
	  .help = "a skill the agent needs, level 1-10; repeat for more" },
	{ .name = "media", .arg = "M", .values = cmd_calls_media,
	  .help = "kind of call" },
	{ .name = "data", .arg = "JSON",
	  .help = "caller data, a JSON object" },
	{ .name = "idempotency-key", .arg = "K",
	  .help = "a retry with the same key returns the first answer" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_update_flags[] = {
	{ .name = "notes", .arg = "T", .help = "notes" },
	{ .name = "tag", .arg = "T", .repeat = 1,
	  .help = "a tag; repeat for more, replaces the tags" },
	{ .name = "disposition", .arg = "D", .help = "outcome of the call" },
	{ .name = "priority", .arg = "N", .help = "priority (managers)" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_assign_flags[] = {
	{ .name = "agent", .arg = "ID", .required = 1,
	  .complete = CMD_AGENT_IDS, .help = "agent to offer the call to" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_transfer_flags[] = {
	{ .name = "agent", .arg = "ID", .complete = CMD_AGENT_IDS,
	  .help = "offer the call to this agent" },
	{ .name = "queue", .arg = "ID", .complete = CMD_QUEUE_IDS,
	  .help = "put the call in this queue" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_hangup_flags[] = {
	{ .name = "reason", .arg = "R", .help = "why the call ended" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_callback_flags[] = {
	{ .name = "number", .arg = "N",
	  .help = "E.164 number to call back (default: the caller's)" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_wrap_flags[] = {
	{ .name = "disposition", .arg = "D", .help = "outcome of the call" },
	{ .name = "notes", .arg = "T", .help = "notes" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_supervise_flags[] = {
	{ .name = "phone", .arg = "NUMBER",
	  .help = "take part on this phone, E.164 or sip: URI (Twilio calls;"
	  " fixed until you leave)" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_calls_recording_flags[] = {
	{ .name = "recording", .arg = "RID",
	  .help = "which of the call's recordings (default: the first)" },
	{ .name = "output-file", .short_name = 'O', .arg = "FILE",
	  .help = "write to FILE instead of standard output" },
	{ .name = NULL }
};

/* A verb acting on one call, with its flags. */
#define CMD_CALLS_VERB(n, s, f, x)					\
	{ .name = n, .usage = "ID", .summary = s,			\
	  .min_args = 1, .max_args = 1, .flags = f,			\
	  .arg_complete = CMD_CALLS_IDS, .exec = x }

static const struct cmd_entry cmd_calls_verbs[] = {
	{ .name = "list",
	  .summary = "list calls (agents: their own)",
	  .max_args = 0,
	  .flags = cmd_calls_list_flags,
	  .exec = cmd_calls_list },
	CMD_CALLS_VERB("get", "show a call with its events", NULL,
	    cmd_calls_get),
	{ .name = "create",
	  .summary = "create a call, queued when --queue is given (manager)",
	  .max_args = 0,
	  .flags = cmd_calls_create_flags,
	  .exec = cmd_calls_create },
	CMD_CALLS_VERB("update", "change a call's notes, tags, disposition "
	    "or priority", cmd_calls_update_flags, cmd_calls_update),
	CMD_CALLS_VERB("assign", "offer a call to an agent (manager)",
	    cmd_calls_assign_flags, cmd_calls_assign),
	CMD_CALLS_VERB("answer", "answer the call offered to you", NULL,
	    cmd_calls_action),
	CMD_CALLS_VERB("reject", "reject the call offered to you; it goes "
	    "to another agent", NULL, cmd_calls_action),
	CMD_CALLS_VERB("hold", "put a call on hold", NULL, cmd_calls_action),
	CMD_CALLS_VERB("resume", "take a call off hold", NULL,
	    cmd_calls_action),
	CMD_CALLS_VERB("transfer", "transfer a call to an agent or a queue",
	    cmd_calls_transfer_flags, cmd_calls_transfer),
	CMD_CALLS_VERB("hangup", "end a call", cmd_calls_hangup_flags,
	    cmd_calls_hangup),
	CMD_CALLS_VERB("wrap", "finish after-call work, ready for the next "
	    "call", cmd_calls_wrap_flags, cmd_calls_wrap),
	CMD_CALLS_VERB("callback", "call a waiting caller back when their "
	    "turn comes, keeping their place (manager)",
	    cmd_calls_callback_flags, cmd_calls_callback),
	CMD_CALLS_VERB("monitor", "listen to a connected call, heard by "
	    "nobody (manager)", cmd_calls_supervise_flags, cmd_calls_supervise),
	CMD_CALLS_VERB("whisper", "listen to a connected call and speak to "
	    "its agent only (manager)", cmd_calls_supervise_flags,
	    cmd_calls_supervise),
	CMD_CALLS_VERB("barge", "join a connected call: caller, agent and "
	    "you hear each other (manager)", cmd_calls_supervise_flags,
	    cmd_calls_supervise),
	CMD_CALLS_VERB("unsupervise", "leave a call you monitor, whisper to "
	    "or barged into (manager)", NULL, cmd_calls_supervise),
	CMD_CALLS_VERB("recording", "download a recording of a call to "
	    "standard output or -O FILE", cmd_calls_recording_flags,
	    cmd_calls_recording),
	{ .name = "next",
	  .summary = "take the best waiting call you may answer (agent)",
	  .max_args = 0,
	  .exec = cmd_calls_next },
	{ .name = NULL }
};

const struct cmd_entry cmd_calls_entry = {
	.name = "calls",
	.summary = "manage calls and take them through their states",
	.children = cmd_calls_verbs,
};

/* Whole seconds. Caller frees. */
static char *
cmd_calls_seconds_cell(json_t *v)
{
	if (json_is_number(v))
		return xasprintf("%.0f", json_number_value(v));
	return output_json_text(v, 0);
}

static int
cmd_calls_list(struct cmd_ctx *ctx)
{
	static const struct {
		const char	*flag;
		const char	*key;
	} filters[] = {
		{ "state", "state" },
		{ "queue", "queue_id" },
		{ "agent", "agent_id" },
		{ "from", "from" },
		{ "to", "to" },
	};
	const char	*v;
	char		*path;
	size_t		 i;
	int		 rc;

	path = xstrdup("/api/calls");
	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		if ((v = cmd_get(ctx, filters[i].flag)) != NULL)
			api_query_add(&path, filters[i].key, v);
	}
	rc = verbs_list(ctx, &cmd_calls_resource, path);
	free(path);
	return rc;
}

/* The call; in table output its events follow as a second table. */
static int
cmd_calls_get(struct cmd_ctx *ctx)
{
	json_t	*obj, *events;
	int	 rc;

	if ((rc = verbs_fetch(ctx, "/api/calls/", NULL, &obj)) != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_calls_resource, obj);
	events = json_object_get(obj, "events");
	if (ctx->cli->output == OUTPUT_TABLE && !ctx->cli->quiet &&
	    json_array_size(events) > 0) {
		putchar('\n');
		output_list(ctx->cli, &cmd_calls_events_resource, events);
	}
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_calls_create(struct cmd_ctx *ctx)
{
	const char	*key = cmd_get(ctx, "idempotency-key");
	const char	*headers[2] = { NULL, NULL };
	json_t		*body, *obj;
	char		*header = NULL;
	int		 rc;

	if (key != NULL && (*key == '\0' || strpbrk(key, "\r\n") != NULL))
		return cmd_usage_error(ctx->group, ctx->entry, "bad "
		    "--idempotency-key: must be one line, not empty");
	body = json_object();
	if (ctx->cli->company != NULL)
		json_object_set_new(body, "company_id",
		    json_string(ctx->cli->company));
	args_string(ctx, body, "queue", "queue_id");
	args_string(ctx, body, "caller-number", "caller_number");
	args_string(ctx, body, "caller-name", "caller_name");
	args_string(ctx, body, "media", "media");
	if ((rc = args_int(ctx, body, "priority", "priority", INT_MIN,
	    INT_MAX)) != EXIT_OK ||
	    (rc = args_skills(ctx, body, "skill", "skills")) != EXIT_OK ||
	    (rc = args_object(ctx, body, "data", "caller_data")) != EXIT_OK)
		goto out;

	if (key != NULL)
		headers[0] = header = xasprintf("Idempotency-Key: %s", key);
	rc = api_call_headers(ctx->cli, "POST", "/api/calls", headers, body,
	    &obj);
	if (rc != EXIT_OK)
		goto out;
	output_object(ctx->cli, &cmd_calls_resource, obj);
	json_decref(obj);

out:
	free(header);
	json_decref(body);
	return rc;
}

static int
cmd_calls_update(struct cmd_ctx *ctx)
{
	json_t	*body = json_object();
	int	 rc;

	args_string(ctx, body, "notes", "notes");
	args_strings(ctx, body, "tag", "tags");
	args_string(ctx, body, "disposition", "disposition");
	if ((rc = args_int(ctx, body, "priority", "priority", INT_MIN,
	    INT_MAX)) != EXIT_OK || (rc = args_nothing(ctx, body)) != EXIT_OK) {
		json_decref(body);
		return rc;
	}
	return verbs_send(ctx, &cmd_calls_resource, "PUT", "/api/calls/",
	    NULL, body);
}

/* POST body to /api/calls/ID/VERB, VERB being the command's name. Takes body. */
static int
cmd_calls_post(struct cmd_ctx *ctx, json_t *body)
{
	char	*suffix;
	int	 rc;

	suffix = xasprintf("/%s", ctx->entry->name);
	rc = verbs_send(ctx, &cmd_calls_resource, "POST", "/api/calls/",
	    suffix, body);
	free(suffix);
	return rc;
}

static int
cmd_calls_assign(struct cmd_ctx *ctx)
{
	return cmd_calls_post(ctx, json_pack("{s:s}", "agent_id",
	    cmd_get(ctx, "agent")));
}

/* answer, reject, hold and resume: an empty body. */
static int
cmd_calls_action(struct cmd_ctx *ctx)
{
	return cmd_calls_post(ctx, json_object());
}

static int
cmd_calls_transfer(struct cmd_ctx *ctx)
{
	const char	*agent = cmd_get(ctx, "agent");
	const char	*queue = cmd_get(ctx, "queue");

	if ((agent == NULL) == (queue == NULL))
		return cmd_usage_error(ctx->group, ctx->entry,
		    "give one of --agent and --queue");
	if (agent != NULL)
		return cmd_calls_post(ctx, json_pack("{s:s}", "agent_id",
		    agent));
	return cmd_calls_post(ctx, json_pack("{s:s}", "queue_id", queue));
}

static int
cmd_calls_hangup(struct cmd_ctx *ctx)
{
	json_t	*body = json_object();

	args_string(ctx, body, "reason", "reason");
	return cmd_calls_post(ctx, body);
}

static int
cmd_calls_callback(struct cmd_ctx *ctx)
{
	json_t	*body = json_object();

	args_string(ctx, body, "number", "number");
	return cmd_calls_post(ctx, body);
}

static int
cmd_calls_wrap(struct cmd_ctx *ctx)
{
	json_t	*body = json_object();

	args_string(ctx, body, "disposition", "disposition");
	args_string(ctx, body, "notes", "notes");
	return cmd_calls_post(ctx, body);
}

/* The supervision's mode, supervisor and way in; "-" when none. Caller
 * frees. */
static char *
cmd_calls_sup_cell(json_t *v, const char *key)
{
	const char	*s = json_string_value(json_object_get(v, key));

	return xstrdup(s != NULL ? s : "-");
}

static char *
cmd_calls_sup_mode_cell(json_t *v)
{
	return cmd_calls_sup_cell(v, "mode");
}

static char *
cmd_calls_sup_user_cell(json_t *v)
{
	return cmd_calls_sup_cell(v, "supervisor_id");
}

static char *
cmd_calls_sup_via_cell(json_t *v)
{
	const char	*phone = json_string_value(json_object_get(v, "phone"));

	return phone != NULL ? xstrdup(phone) : cmd_calls_sup_cell(v, "via");
}

/* monitor, whisper, barge: that mode; unsupervise: off. */
static int
cmd_calls_supervise(struct cmd_ctx *ctx)
{
	const char	*mode = ctx->entry->name;
	json_t		*body;

	if (strcmp(mode, "unsupervise") == 0)
		mode = "off";
	body = json_pack("{s:s}", "mode", mode);
	if (strcmp(mode, "off") != 0)
		args_string(ctx, body, "phone", "phone");
	return verbs_send(ctx, &cmd_calls_sup_resource, "POST", "/api/calls/",
	    "/supervise", body);
}

/* The call now offered to this agent; none waiting is not a failure. */
static int
cmd_calls_next(struct cmd_ctx *ctx)
{
	json_t	*obj;
	int	 rc;

	rc = api_call(ctx->cli, "GET", "/api/calls/queue/next", NULL, &obj);
	if (rc != EXIT_OK)
		return rc;
	if (obj == NULL) {
		cli_info(ctx->cli, "no call waiting");
		return EXIT_OK;
	}
	output_object(ctx->cli, &cmd_calls_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

/* The call's first recording, or --recording's; every download audited. */
static int
cmd_calls_recording(struct cmd_ctx *ctx)
{
	const char	*rid = cmd_get(ctx, "recording");
	json_t		*obj = NULL;
	char		*call, *path;
	int		 rc;

	if (rid == NULL) {
		if ((rc = verbs_fetch(ctx, "/api/calls/", NULL, &obj)) != EXIT_OK)
			return rc;
		rid = json_string_value(json_object_get(json_array_get(
		    json_object_get(obj, "recordings"), 0), "id"));
		if (rid == NULL) {
			cli_error("call \"%s\" has no recordings", ctx->argv[0]);
			json_decref(obj);
			return EXIT_NOTFOUND;
		}
	}
	call = api_path("/api/calls/", ctx->argv[0]);
	path = xasprintf("%s/recordings/", call);
	free(call);
	call = api_path(path, rid);
	json_decref(obj);
	rc = cmd_files_save(ctx, call, cmd_get(ctx, "output-file"));
	free(path);
	free(call);
	return rc;
}
