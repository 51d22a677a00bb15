/*
 * calldocker queues: list, show, create, change and delete queues, and
 * show a queue's live statistics and its staffing forecast.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_queues_list(struct cmd_ctx *);
static int	cmd_queues_get(struct cmd_ctx *);
static int	cmd_queues_create(struct cmd_ctx *);
static int	cmd_queues_update(struct cmd_ctx *);
static int	cmd_queues_delete(struct cmd_ctx *);
static int	cmd_queues_stats(struct cmd_ctx *);
static int	cmd_queues_forecast(struct cmd_ctx *);

static char	*cmd_queues_members_cell(json_t *);
static char	*cmd_queues_num(json_t *);

/* The forecast's periods, flattened by cmd_queues_forecast_row(). */
static const struct output_resource cmd_queues_forecast_resource = {
	.name = "period",
	.plural = "periods",
	.id_key = "start",
	.columns = {
		{ "START", "start", NULL },
		{ "CALLS/H", "arrivals_per_hour", cmd_queues_num },
		{ "ERLANGS", "traffic", cmd_queues_num },
		{ "NEEDED", "agents_needed", NULL },
		{ "STAFFED", "staffed", NULL },
		{ "SL-STAFFED", "service_level", cmd_queues_num },
		{ "WAIT-STAFFED", "p_wait", cmd_queues_num },
		{ "ASA-STAFFED", "asa", cmd_queues_num },
		{ NULL, NULL, NULL }
	},
};

static const struct output_resource cmd_queues_resource = {
	.name = "queue",
	.plural = "queues",
	.id_key = "id",
	.columns = {
		{ "ID", "id", NULL },
		{ "NAME", "name", NULL },
		{ "STRATEGY", "strategy", NULL },
		{ "MEMBERS", "members", cmd_queues_members_cell },
		{ "SL", "sl_threshold", NULL },
		{ "WRAP-UP", "wrap_up", NULL },
		{ "RING", "ring_timeout", NULL },
		{ "MAX-WAIT", "max_wait", NULL },
		{ "OVERFLOW", "overflow", NULL },
		{ "CREATED", "created_at", NULL },
		{ NULL, NULL, NULL }
	},
};

static const char *const cmd_queues_strategies[] = {
	"longest_idle", "round_robin", "fewest_calls", "least_talk_time",
	"random", "ring_all", "linear", NULL
};

static const char *const cmd_queues_overflows[] = {
	"none", "queue", "voicemail", "hangup", NULL
};

static const char *const cmd_queues_onoff[] = { "on", "off", NULL };
static const char *const cmd_queues_recordings[] = { "on", "off", "on-demand",
	"inherit", NULL };

#define CMD_QUEUES_IDS	"queues list -q"

static const struct cmd_flag cmd_queues_list_flags[] = {
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

/* The settings of a queue, for create and update. */
#define CMD_QUEUES_SETTINGS						\
	{ .name = "strategy", .arg = "S", .values = cmd_queues_strategies, \
	  .help = "which agent is offered a call first" },		\
	{ .name = "sl-threshold", .arg = "N",				\
	  .help = "seconds within which an answer counts for the "	\
	      "service level" },					\
	{ .name = "wrap-up", .arg = "N",				\
	  .help = "seconds of after-call work before the next offer" }, \
	{ .name = "ring-timeout", .arg = "N",				\
	  .help = "seconds an offer rings before it is missed" },	\
	{ .name = "max-wait", .arg = "N",				\
	  .help = "seconds a call waits before overflow (0: no limit)" }, \
	{ .name = "overflow", .arg = "WHAT", .values = cmd_queues_overflows, \
	  .help = "what happens to a call after --max-wait" },	\
	{ .name = "overflow-queue", .arg = "ID", .complete = CMD_QUEUES_IDS, \
	  .help = "queue that overflowing calls go to" },		\
	{ .name = "max-length", .arg = "N",				\
	  .help = "most calls that may wait (0: no limit)" },		\
	{ .name = "miss-limit", .arg = "N",				\
	  .help = "missed offers in a row that make an agent away "	\
	      "(0: never)" },						\
	{ .name = "hold-music", .arg = "URL|FILE_ID",			\
	  .help = "what phone callers hear while they wait: an http(s) " \
	      "URL or the id of one of the company's files ('' for "	\
	      "Twilio's own)" },					\
	{ .name = "announce-position", .arg = "on|off",		\
	  .values = cmd_queues_onoff,					\
	  .help = "tell waiting phone callers their position and "	\
	      "estimated wait" },					\
	{ .name = "announce-interval", .arg = "N",			\
	  .help = "seconds between announcements (10-3600)" },	\
	{ .name = "callback-attempts", .arg = "N",			\
	  .help = "dials a callback gets (1-10, default 3)" },		\
	{ .name = "callback-retry-delay", .arg = "S",			\
	  .help = "seconds between a callback's dials (default 60)" },	\
	{ .name = "recording", .arg = "MODE",				\
	  .values = cmd_queues_recordings,				\
	  .help = "record phone calls: on, off, on-demand, or inherit " \
	      "(the company's recording setting)" },			\
	{ .name = "member", .arg = "AGENT_ID[:PENALTY]", .repeat = 1,	\
	  .complete = "agents list -q",					\
	  .help = "an agent taking the queue's calls, with a penalty "	\
	      "(default 0); repeat for more, '' for none" }

static const struct cmd_flag cmd_queues_create_flags[] = {
	{ .name = "name", .arg = "NAME", .required = 1, .help = "name" },
	CMD_QUEUES_SETTINGS,
	{ .name = NULL }
};

static const struct cmd_flag cmd_queues_update_flags[] = {
	{ .name = "name", .arg = "NAME", .help = "new name" },
	CMD_QUEUES_SETTINGS,
	{ .name = NULL }
};

static const struct cmd_flag cmd_queues_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation on a terminal" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_queues_forecast_flags[] = {
	{ .name = "hours", .arg = "N", .help = "half hours ahead for N hours "
	      "(1-24, default 4)" },
	{ .name = "at", .arg = "TIME", .help = "forecast as of this RFC 3339 "
	      "time (default now)" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_queues_verbs[] = {
	{ .name = "list",
	  .summary = "list queues",
	  .max_args = 0,
	  .flags = cmd_queues_list_flags,
	  .exec = cmd_queues_list },
	{ .name = "get",
	  .usage = "ID",
	  .summary = "show a queue with its members",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_QUEUES_IDS,
	  .exec = cmd_queues_get },
	{ .name = "create",
	  .summary = "create a queue (manager)",
	  .max_args = 0,
	  .flags = cmd_queues_create_flags,
	  .exec = cmd_queues_create },
	{ .name = "update",
	  .usage = "ID",
	  .summary = "change a queue; --member replaces the members",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_queues_update_flags,
	  .arg_complete = CMD_QUEUES_IDS,
	  .exec = cmd_queues_update },
	{ .name = "delete",
	  .usage = "ID",
	  .summary = "delete a queue in which no call waits",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_queues_delete_flags,
	  .arg_complete = CMD_QUEUES_IDS,
	  .exec = cmd_queues_delete },
	{ .name = "stats",
	  .usage = "ID",
	  .summary = "show a queue's waiting calls, agents and today's figures",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_QUEUES_IDS,
	  .exec = cmd_queues_stats },
	{ .name = "forecast",
	  .usage = "ID",
	  .summary = "agents needed now and per half hour ahead (Erlang C; "
	      "manager)",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_queues_forecast_flags,
	  .arg_complete = CMD_QUEUES_IDS,
	  .exec = cmd_queues_forecast },
	{ .name = NULL }
};

const struct cmd_entry cmd_queues_entry = {
	.name = "queues",
	.summary = "manage queues",
	.children = cmd_queues_verbs,
};

/* How many members: the table has no room for their IDs. Caller frees. */
static char *
cmd_queues_members_cell(json_t *members)
{
	return xasprintf("%zu", json_array_size(members));
}

/* --member AGENT_ID[:PENALTY]... as the members array; '' adds none. */
static int
cmd_queues_members(struct cmd_ctx *ctx, json_t *body)
{
	const char *const	*v = cmd_get_all(ctx, "member");
	const char		*colon;
	json_t			*members;
	long long		 penalty;
	char			*id;

	if (*v == NULL)
		return EXIT_OK;
	members = json_array();
	for (; *v != NULL; v++) {
		if (**v == '\0')
			continue;
		penalty = 0;
		colon = strchr(*v, ':');
		if (colon == *v || (colon != NULL &&
		    args_number(colon + 1, 0, INT_MAX, &penalty) != 0)) {
			json_decref(members);
			return cmd_usage_error(ctx->group, ctx->entry,
			    "bad --member \"%s\": use AGENT_ID or "
			    "AGENT_ID:PENALTY with a penalty of 0 or more", *v);
		}
		id = colon != NULL ? xstrndup(*v, (size_t)(colon - *v)) :
		    xstrdup(*v);
		json_array_append_new(members, json_pack("{s:s,s:I}",
		    "agent_id", id, "penalty", (json_int_t)penalty));
		free(id);
	}
	json_object_set_new(body, "members", members);
	return EXIT_OK;
}

/* The request body for create and update. Caller decrefs *out. */
static int
cmd_queues_body(struct cmd_ctx *ctx, json_t **out)
{
	static const struct {
		const char	*flag;
		const char	*key;
	} ints[] = {
		{ "sl-threshold", "sl_threshold" },
		{ "wrap-up", "wrap_up" },
		{ "ring-timeout", "ring_timeout" },
		{ "max-wait", "max_wait" },
		{ "max-length", "max_length" },
		{ "miss-limit", "miss_limit" },
		{ "announce-interval", "announce_interval" },
		{ "callback-attempts", "callback_attempts" },
		{ "callback-retry-delay", "callback_retry_delay" },
	};
	const char	*music = cmd_get(ctx, "hold-music");
	const char	*announce = cmd_get(ctx, "announce-position");
	const char	*rec = cmd_get(ctx, "recording");
	json_t	*body = json_object();
	size_t	 i;
	int	 rc;

	args_string(ctx, body, "name", "name");
	args_string(ctx, body, "strategy", "strategy");
	args_string(ctx, body, "overflow", "overflow");
	args_string(ctx, body, "overflow-queue", "overflow_queue_id");
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		rc = args_int(ctx, body, ints[i].flag, ints[i].key, 0, INT_MAX);
		if (rc != EXIT_OK)
			goto fail;
	}
	/* A URL, '' (none), or else a file's id (the daemon checks it). */
	if (music != NULL && *music == '\0')
		json_object_set_new(body, "hold_music_url", json_null());
	else if (music != NULL && (strncmp(music, "http://", 7) == 0 ||
	    strncmp(music, "https://", 8) == 0))
		json_object_set_new(body, "hold_music_url", json_string(music));
	else if (music != NULL)
		json_object_set_new(body, "hold_music_file_id",
		    json_string(music));
	if (announce != NULL) {
		if (strcmp(announce, "on") != 0 && strcmp(announce, "off") != 0) {
			rc = cmd_usage_error(ctx->group, ctx->entry,
			    "--announce-position is on or off");
			goto fail;
		}
		json_object_set_new(body, "announce_position",
		    json_boolean(strcmp(announce, "on") == 0));
	}
	if (rec != NULL) {
		for (i = 0; cmd_queues_recordings[i] != NULL &&
		    strcmp(rec, cmd_queues_recordings[i]) != 0; i++)
			;
		if (cmd_queues_recordings[i] == NULL) {
			rc = cmd_usage_error(ctx->group, ctx->entry,
			    "--recording is on, off, on-demand or inherit");
			goto fail;
		}
		json_object_set_new(body, "recording",
		    strcmp(rec, "inherit") == 0 ? json_null() :
		    json_string(rec));
	}
	if ((rc = cmd_queues_members(ctx, body)) != EXIT_OK)
		goto fail;
	*out = body;
	return EXIT_OK;

fail:
	json_decref(body);
	return rc;
}

static int
cmd_queues_list(struct cmd_ctx *ctx)
{
	return verbs_list(ctx, &cmd_queues_resource, "/api/queues");
}

static int
cmd_queues_get(struct cmd_ctx *ctx)
{
	return verbs_get(ctx, &cmd_queues_resource, "/api/queues/");
}

static int
cmd_queues_create(struct cmd_ctx *ctx)
{
	json_t	*body, *obj;
	int	 rc;

	if ((rc = cmd_queues_body(ctx, &body)) != EXIT_OK)
		return rc;
	/* An admin names the company; a manager's is implied. */
	if (ctx->cli->company != NULL)
		json_object_set_new(body, "company_id",
		    json_string(ctx->cli->company));
	rc = api_call(ctx->cli, "POST", "/api/queues", body, &obj);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_queues_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_queues_update(struct cmd_ctx *ctx)
{
	json_t	*body;
	int	 rc;

	if ((rc = cmd_queues_body(ctx, &body)) != EXIT_OK)
		return rc;
	if ((rc = args_nothing(ctx, body)) != EXIT_OK) {
		json_decref(body);
		return rc;
	}
	return verbs_send(ctx, &cmd_queues_resource, "PUT", "/api/queues/",
	    NULL, body);
}

static int
cmd_queues_delete(struct cmd_ctx *ctx)
{
	return verbs_delete(ctx, &cmd_queues_resource, "/api/queues/");
}

static int
cmd_queues_stats(struct cmd_ctx *ctx)
{
	json_t	*obj;
	int	 rc;

	if ((rc = verbs_fetch(ctx, "/api/queues/", "/stats", &obj)) != EXIT_OK)
		return rc;
	output_figures(ctx->cli, obj);
	json_decref(obj);
	return EXIT_OK;
}

static char *
cmd_queues_num(json_t *v)
{
	if (json_is_number(v))
		return xasprintf("%.2f", json_number_value(v));
	return output_json_text(v, 0);
}

/* One period as a row: its start ("now" for now) and the staffed figures. */
static json_t *
cmd_queues_forecast_row(json_t *p, const char *start, json_t *staffed)
{
	json_t	*row, *f = json_object_get(p, "staffed");

	row = json_pack("{s:s,s:O,s:O,s:O,s:O}", "start", start,
	    "arrivals_per_hour", json_object_get(p, "arrivals_per_hour"),
	    "traffic", json_object_get(p, "traffic"),
	    "agents_needed", json_object_get(p, "agents_needed"),
	    "staffed", staffed);
	json_object_set(row, "service_level", json_is_object(f) ?
	    json_object_get(f, "service_level") : json_null());
	json_object_set(row, "p_wait", json_is_object(f) ?
	    json_object_get(f, "p_wait") : json_null());
	json_object_set(row, "asa", json_is_object(f) ?
	    json_object_get(f, "asa") : json_null());
	return row;
}

/* The goal, the handle time and the agents signed in, on stderr. */
static void
cmd_queues_forecast_info(struct cli *cli, json_t *obj)
{
	json_t	*aht = json_object_get(obj, "aht");
	char	*h;

	h = json_is_number(aht) ? xasprintf("handle time %.0f s",
	    json_number_value(aht)) : xstrdup("no handle time yet");
	cli_info(cli, "goal %.0f%% within %lld s; %s; %lld agents signed in",
	    100 * json_number_value(json_object_get(obj, "sl_target")),
	    json_integer_value(json_object_get(obj, "sl_threshold")), h,
	    json_integer_value(json_object_get(obj, "staffed")));
	free(h);
}

/*
 * Table and csv: a row for now and one per half hour (table: the goal,
 * handle time and agents signed in on stderr first); json and yaml: the
 * answer as it is.
 */
static int
cmd_queues_forecast(struct cmd_ctx *ctx)
{
	json_t		*obj, *rows, *staffed, *slot;
	char		*id, *path;
	const char	*v;
	size_t		 i;
	int		 rc;

	id = api_path("/api/queues/", ctx->argv[0]);
	path = xasprintf("%s/forecast", id);
	free(id);
	if ((v = cmd_get(ctx, "hours")) != NULL)
		api_query_add(&path, "hours", v);
	if ((v = cmd_get(ctx, "at")) != NULL)
		api_query_add(&path, "at", v);
	rc = api_call(ctx->cli, "GET", path, NULL, &obj);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	if ((ctx->cli->output == OUTPUT_JSON || ctx->cli->output == OUTPUT_YAML)
	    && !ctx->cli->quiet) {
		output_object(ctx->cli, &cmd_queues_forecast_resource, obj);
		json_decref(obj);
		return EXIT_OK;
	}
	staffed = json_object_get(obj, "staffed");
	if (ctx->cli->output == OUTPUT_TABLE)
		cmd_queues_forecast_info(ctx->cli, obj);
	rows = json_array();
	json_array_append_new(rows, cmd_queues_forecast_row(
	    json_object_get(obj, "now"), "now", staffed));
	json_array_foreach(json_object_get(obj, "slots"), i, slot)
		json_array_append_new(rows, cmd_queues_forecast_row(slot,
		    json_string_value(json_object_get(slot, "start")), staffed));
	output_list(ctx->cli, &cmd_queues_forecast_resource, rows);
	json_decref(rows);
	json_decref(obj);
	return EXIT_OK;
}
