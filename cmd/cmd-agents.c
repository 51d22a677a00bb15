/*
 * calldocker agents: list, show, create, change and delete agents (users
 * who take calls), and set an agent available, away or offline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_agents_list(struct cmd_ctx *);
static int	cmd_agents_get(struct cmd_ctx *);
static int	cmd_agents_create(struct cmd_ctx *);
static int	cmd_agents_update(struct cmd_ctx *);
static int	cmd_agents_state(struct cmd_ctx *);
static int	cmd_agents_delete(struct cmd_ctx *);

static char	*cmd_agents_skills_cell(json_t *);

static const struct output_resource cmd_agents_resource = {
	.name = "agent",
	.plural = "agents",
	.id_key = "id",
	.columns = {
		{ "ID", "id", NULL },
		{ "NAME", "name", NULL },
		{ "STATE", "state", NULL },
		{ "SINCE", "state_since", NULL },
		{ "SKILLS", "skills", cmd_agents_skills_cell },
		{ "CALLS", "calls_handled", NULL },
		{ "MAX", "max_calls", NULL },
		{ NULL, NULL, NULL }
	},
};

static const char *const cmd_agents_states[] = {
	"offline", "available", "offering", "busy", "wrap_up", "away", NULL
};

/* Where an agent takes its calls. */
static const char *const cmd_agents_endpoints[] = { "browser", "phone", NULL };

/* The states an agent sets itself; the ACD sets the others. */
static const char *const cmd_agents_settable[] = {
	"available", "away", "offline", NULL
};

#define CMD_AGENTS_IDS	"agents list -q"

static const struct cmd_flag cmd_agents_list_flags[] = {
	{ .name = "state", .arg = "S", .values = cmd_agents_states,
	  .help = "only agents in this state" },
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

/* What create and update both set. */
#define CMD_AGENTS_SETTINGS						\
	{ .name = "name", .arg = "NAME",				\
	  .help = "display name (default: the user's)" },		\
	{ .name = "extension", .arg = "E", .help = "phone extension" },	\
	{ .name = "skill", .arg = "NAME:LEVEL", .repeat = 1,		\
	  .help = "a skill with its level, 1-10; repeat for more" },	\
	{ .name = "max-calls", .arg = "N",				\
	  .help = "most calls at once, 1-10" },				\
	{ .name = "endpoint", .arg = "E", .values = cmd_agents_endpoints, \
	  .help = "where calls ring: browser or phone" },		\
	{ .name = "endpoint-address", .arg = "ADDR",			\
	  .help = "the phone: +E.164 number or sip:user@host" }

static const struct cmd_flag cmd_agents_create_flags[] = {
	{ .name = "user", .arg = "ID", .required = 1,
	  .complete = "users list -q",
	  .help = "the user (agent or manager) who takes the calls" },
	CMD_AGENTS_SETTINGS,
	{ .name = NULL }
};

static const struct cmd_flag cmd_agents_update_flags[] = {
	CMD_AGENTS_SETTINGS,
	{ .name = NULL }
};

static const struct cmd_flag cmd_agents_state_flags[] = {
	{ .name = "reason", .arg = "R", .help = "why the agent is away" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_agents_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation on a terminal" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_agents_verbs[] = {
	{ .name = "list",
	  .summary = "list agents",
	  .max_args = 0,
	  .flags = cmd_agents_list_flags,
	  .exec = cmd_agents_list },
	{ .name = "get",
	  .usage = "ID",
	  .summary = "show an agent",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_AGENTS_IDS,
	  .exec = cmd_agents_get },
	{ .name = "create",
	  .summary = "make a user an agent (manager)",
	  .max_args = 0,
	  .flags = cmd_agents_create_flags,
	  .exec = cmd_agents_create },
	{ .name = "update",
	  .usage = "ID",
	  .summary = "change an agent; --skill replaces the skills",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_agents_update_flags,
	  .arg_complete = CMD_AGENTS_IDS,
	  .exec = cmd_agents_update },
	{ .name = "state",
	  .usage = "ID available|away|offline",
	  .summary = "set an agent available, away or offline",
	  .min_args = 2, .max_args = 2,
	  .flags = cmd_agents_state_flags,
	  .arg_complete = CMD_AGENTS_IDS,
	  .exec = cmd_agents_state },
	{ .name = "delete",
	  .usage = "ID",
	  .summary = "delete an agent (its user stays)",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_agents_delete_flags,
	  .arg_complete = CMD_AGENTS_IDS,
	  .exec = cmd_agents_delete },
	{ .name = NULL }
};

const struct cmd_entry cmd_agents_entry = {
	.name = "agents",
	.summary = "manage agents and their availability",
	.children = cmd_agents_verbs,
};

/* "name:level,..." for the table, NULL for none. Caller frees. */
static char *
cmd_agents_skills_cell(json_t *skills)
{
	const char	*name;
	json_t		*level;
	size_t		 size;
	char		*s;
	FILE		*f;
	int		 n = 0;

	if (json_is_object(skills) && json_object_size(skills) == 0)
		return NULL;
	if (!json_is_object(skills))
		return output_json_text(skills, 0);
	if ((f = open_memstream(&s, &size)) == NULL)
		abort();
	json_object_foreach(skills, name, level) {
		fprintf(f, "%s%s:%lld", n++ > 0 ? "," : "", name,
		    (long long)json_integer_value(level));
	}
	fclose(f);
	return s;
}

static int
cmd_agents_list(struct cmd_ctx *ctx)
{
	const char	*state = cmd_get(ctx, "state");
	char		*path;
	int		 rc;

	if (ctx->cli->company != NULL)
		path = api_path("/api/agents/company/", ctx->cli->company);
	else
		path = xstrdup("/api/agents");
	if (state != NULL)
		api_query_add(&path, "state", state);
	rc = verbs_list(ctx, &cmd_agents_resource, path);
	free(path);
	return rc;
}

static int
cmd_agents_get(struct cmd_ctx *ctx)
{
	return verbs_get(ctx, &cmd_agents_resource, "/api/agents/");
}

/* The request body for create and update. Caller decrefs *out. */
static int
cmd_agents_body(struct cmd_ctx *ctx, json_t **out)
{
	json_t	*body = json_object();
	int	 rc;

	args_string(ctx, body, "name", "name");
	args_string(ctx, body, "extension", "extension");
	args_string(ctx, body, "endpoint", "endpoint");
	args_string(ctx, body, "endpoint-address", "endpoint_address");
	if ((rc = args_skills(ctx, body, "skill", "skills")) != EXIT_OK ||
	    (rc = args_int(ctx, body, "max-calls", "max_calls", 1,
	    10)) != EXIT_OK) {
		json_decref(body);
		return rc;
	}
	*out = body;
	return EXIT_OK;
}

static int
cmd_agents_create(struct cmd_ctx *ctx)
{
	json_t	*body, *obj;
	int	 rc;

	if ((rc = cmd_agents_body(ctx, &body)) != EXIT_OK)
		return rc;
	args_string(ctx, body, "user", "user_id");
	rc = api_call(ctx->cli, "POST", "/api/agents", body, &obj);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_agents_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_agents_update(struct cmd_ctx *ctx)
{
	json_t	*body;
	int	 rc;

	if ((rc = cmd_agents_body(ctx, &body)) != EXIT_OK)
		return rc;
	if ((rc = args_nothing(ctx, body)) != EXIT_OK) {
		json_decref(body);
		return rc;
	}
	return verbs_send(ctx, &cmd_agents_resource, "PUT", "/api/agents/",
	    NULL, body);
}

static int
cmd_agents_state(struct cmd_ctx *ctx)
{
	const char *const	*v;
	const char		*state = ctx->argv[1];
	json_t			*body;

	for (v = cmd_agents_settable; *v != NULL; v++) {
		if (strcmp(*v, state) == 0)
			break;
	}
	if (*v == NULL)
		return cmd_usage_error(ctx->group, ctx->entry, "bad state "
		    "\"%s\": use available, away or offline", state);
	body = json_pack("{s:s}", "state", state);
	args_string(ctx, body, "reason", "reason");
	return verbs_send(ctx, &cmd_agents_resource, "PUT", "/api/agents/",
	    "/availability", body);
}

static int
cmd_agents_delete(struct cmd_ctx *ctx)
{
	return verbs_delete(ctx, &cmd_agents_resource, "/api/agents/");
}
