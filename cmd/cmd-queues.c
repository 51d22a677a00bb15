/*
 * calldocker queues: list, show, create, change and delete queues, and
 * show a queue's live statistics.
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

static char	*cmd_queues_members_cell(json_t *);

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
	};
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
