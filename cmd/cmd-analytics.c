/*
 * calldocker analytics: a company's key figures for a range, bucketed,
 * per agent, the insights, and the export of its calls (written to stdout
 * as the daemon sends it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_analytics_overview(struct cmd_ctx *);
static int	cmd_analytics_calls(struct cmd_ctx *);
static int	cmd_analytics_agents(struct cmd_ctx *);
static int	cmd_analytics_insights(struct cmd_ctx *);
static int	cmd_analytics_export(struct cmd_ctx *);

static char	*cmd_analytics_num(json_t *);

static const struct output_resource cmd_analytics_bucket_resource = {
	.name = "bucket",
	.plural = "buckets",
	.id_key = "start",
	.columns = {
		{ "START", "start", NULL },
		{ "OFFERED", "offered", NULL },
		{ "ANSWERED", "answered", NULL },
		{ "ABANDONED", "abandoned", NULL },
		{ "ABANDON-RATE", "abandon_rate", cmd_analytics_num },
		{ "SL-ANSWERED", "service_level_answered", cmd_analytics_num },
		{ "SL-OFFERED", "service_level_offered", cmd_analytics_num },
		{ "ASA", "asa", cmd_analytics_num },
		{ "AHT", "aht", cmd_analytics_num },
		{ "LONGEST", "longest_wait", cmd_analytics_num },
		{ "MISSED", "missed_offers", NULL },
		{ NULL, NULL, NULL }
	},
};

static const struct output_resource cmd_analytics_agent_resource = {
	.name = "agent",
	.plural = "agents",
	.id_key = "agent_id",
	.columns = {
		{ "AGENT", "agent_id", NULL },
		{ "NAME", "name", NULL },
		{ "STATE", "state", NULL },
		{ "HANDLED", "handled", NULL },
		{ "AHT", "aht", cmd_analytics_num },
		{ "TALK", "talk_seconds", cmd_analytics_num },
		{ "OFFERS", "offers", NULL },
		{ "MISSED", "missed_offers", NULL },
		{ "MISS-RATE", "miss_rate", cmd_analytics_num },
		{ "STAFFED", "staffed_seconds", cmd_analytics_num },
		{ "OCCUPANCY", "occupancy", cmd_analytics_num },
		{ NULL, NULL, NULL }
	},
};

static const char *const cmd_analytics_intervals[] = {
	"hour", "day", "week", NULL
};

static const char *const cmd_analytics_formats[] = { "csv", "json", NULL };

#define CMD_ANALYTICS_RANGE						\
	{ .name = "from", .arg = "TIME",				\
	  .help = "start, RFC 3339 (default: today's start in the "	\
	      "company's time zone)" },					\
	{ .name = "to", .arg = "TIME",					\
	  .help = "end, exclusive, RFC 3339 (default: a day after "	\
	      "--from)" }
#define CMD_ANALYTICS_QUEUE						\
	{ .name = "queue", .arg = "ID", .complete = "queues list -q",	\
	  .help = "only this queue's calls" }

static const struct cmd_flag cmd_analytics_range_flags[] = {
	CMD_ANALYTICS_RANGE,
	CMD_ANALYTICS_QUEUE,
	{ .name = NULL }
};

static const struct cmd_flag cmd_analytics_agents_flags[] = {
	CMD_ANALYTICS_RANGE,
	{ .name = NULL }
};

static const struct cmd_flag cmd_analytics_calls_flags[] = {
	CMD_ANALYTICS_RANGE,
	CMD_ANALYTICS_QUEUE,
	{ .name = "interval", .arg = "UNIT", .values = cmd_analytics_intervals,
	  .help = "bucket size (default day)" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_analytics_export_flags[] = {
	CMD_ANALYTICS_RANGE,
	CMD_ANALYTICS_QUEUE,
	{ .name = "format", .arg = "FORMAT", .values = cmd_analytics_formats,
	  .help = "csv (default) or json, written to stdout as is" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_analytics_verbs[] = {
	{ .name = "overview",
	  .summary = "show the key figures of a range (manager)",
	  .max_args = 0,
	  .flags = cmd_analytics_range_flags,
	  .exec = cmd_analytics_overview },
	{ .name = "calls",
	  .summary = "show the key figures per hour, day or week (manager)",
	  .max_args = 0,
	  .flags = cmd_analytics_calls_flags,
	  .exec = cmd_analytics_calls },
	{ .name = "agents",
	  .summary = "show each agent's performance (manager)",
	  .max_args = 0,
	  .flags = cmd_analytics_agents_flags,
	  .exec = cmd_analytics_agents },
	{ .name = "insights",
	  .summary = "show peak hours, breaching queues, missing agents and "
	      "IVR drop-outs (manager)",
	  .max_args = 0,
	  .flags = cmd_analytics_range_flags,
	  .exec = cmd_analytics_insights },
	{ .name = "export",
	  .summary = "write every call of a range as CSV or JSON (manager)",
	  .max_args = 0,
	  .flags = cmd_analytics_export_flags,
	  .exec = cmd_analytics_export },
	{ .name = NULL }
};

const struct cmd_entry cmd_analytics_entry = {
	.name = "analytics",
	.summary = "report on calls, queues and agents",
	.children = cmd_analytics_verbs,
};

/* Reals with two decimals. Caller frees. */
static char *
cmd_analytics_num(json_t *v)
{
	if (json_is_number(v))
		return xasprintf("%.2f", json_number_value(v));
	return output_json_text(v, 0);
}

/*
 * The path of endpoint for --company, else the user's own company, with
 * the command's flags as the query. Caller frees *path.
 */
static int
cmd_analytics_path(struct cmd_ctx *ctx, const char *endpoint, char **path)
{
	const struct cmd_flag	*fl;
	const char		*v;
	char			*p;
	int			 rc;

	rc = verbs_company_path(ctx, "/api/analytics/company/", &p);
	if (rc != EXIT_OK)
		return rc;
	*path = xasprintf("%s/%s", p, endpoint);
	free(p);
	/* Every flag of these commands is a query parameter. */
	for (fl = ctx->entry->flags; fl->name != NULL; fl++) {
		if ((v = cmd_get(ctx, fl->name)) != NULL)
			api_query_add(path, strcmp(fl->name, "queue") == 0 ?
			    "queue_id" : fl->name, v);
	}
	return EXIT_OK;
}

static int
cmd_analytics_fetch(struct cmd_ctx *ctx, const char *endpoint, json_t **out)
{
	char	*path;
	int	 rc;

	if ((rc = cmd_analytics_path(ctx, endpoint, &path)) != EXIT_OK)
		return rc;
	rc = api_call(ctx->cli, "GET", path, NULL, out);
	free(path);
	return rc;
}

static int
cmd_analytics_figures(struct cmd_ctx *ctx, const char *endpoint)
{
	json_t	*obj;
	int	 rc;

	if ((rc = cmd_analytics_fetch(ctx, endpoint, &obj)) != EXIT_OK)
		return rc;
	output_figures(ctx->cli, obj);
	json_decref(obj);
	return EXIT_OK;
}

/* Table and csv: the items; json and yaml: the whole answer. */
static int
cmd_analytics_items(struct cmd_ctx *ctx, const char *endpoint,
    const struct output_resource *res)
{
	json_t	*obj;
	int	 rc;

	if ((rc = cmd_analytics_fetch(ctx, endpoint, &obj)) != EXIT_OK)
		return rc;
	if ((ctx->cli->output == OUTPUT_JSON ||
	    ctx->cli->output == OUTPUT_YAML) && !ctx->cli->quiet)
		output_object(ctx->cli, res, obj);
	else
		output_list(ctx->cli, res, json_object_get(obj, "items"));
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_analytics_overview(struct cmd_ctx *ctx)
{
	return cmd_analytics_figures(ctx, "overview");
}

static int
cmd_analytics_calls(struct cmd_ctx *ctx)
{
	return cmd_analytics_items(ctx, "calls", &cmd_analytics_bucket_resource);
}

static int
cmd_analytics_agents(struct cmd_ctx *ctx)
{
	return cmd_analytics_items(ctx, "agents/performance",
	    &cmd_analytics_agent_resource);
}

static int
cmd_analytics_insights(struct cmd_ctx *ctx)
{
	return cmd_analytics_figures(ctx, "insights");
}

static int
cmd_analytics_export(struct cmd_ctx *ctx)
{
	struct client_response	 r;
	char			*path;
	int			 rc;

	if ((rc = cmd_analytics_path(ctx, "export", &path)) != EXIT_OK)
		return rc;
	rc = api_request(ctx->cli, "GET", path, NULL, &r);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	if (r.status != 200)
		rc = api_report(ctx->cli, &r);
	else if (fwrite(r.body, 1, r.len, stdout) != r.len ||
	    fflush(stdout) != 0) {
		cli_error("export: cannot write to stdout");
		rc = EXIT_FAIL;
	}
	client_response_free(&r);
	return rc;
}
