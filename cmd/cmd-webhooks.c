/*
 * calldocker webhooks: a company's outgoing webhook endpoints (standard,
 * Slack or Teams), test events, deliveries and redelivery.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_webhooks_list(struct cmd_ctx *);
static int	cmd_webhooks_get(struct cmd_ctx *);
static int	cmd_webhooks_create(struct cmd_ctx *);
static int	cmd_webhooks_update(struct cmd_ctx *);
static int	cmd_webhooks_delete(struct cmd_ctx *);
static int	cmd_webhooks_test(struct cmd_ctx *);
static int	cmd_webhooks_rotate(struct cmd_ctx *);
static int	cmd_webhooks_deliveries(struct cmd_ctx *);
static int	cmd_webhooks_redeliver(struct cmd_ctx *);

static char	*cmd_webhooks_events_cell(json_t *);

#define CMD_WEBHOOKS_COLUMNS						\
	{ "ID", "id", NULL },						\
	{ "URL", "url", NULL },						\
	{ "FORMAT", "format", NULL },					\
	{ "EVENTS", "events", cmd_webhooks_events_cell },		\
	{ "ENABLED", "enabled", NULL },					\
	{ "DISABLED-REASON", "disabled_reason", NULL }

static const struct output_resource cmd_webhooks_resource = {
	.name = "webhook",
	.plural = "webhooks",
	.id_key = "id",
	.columns = {
		CMD_WEBHOOKS_COLUMNS,
		{ "CREATED", "created_at", NULL },
		{ NULL, NULL, NULL }
	},
};

/* Create and rotate-secret: the only outputs with the secret. */
static const struct output_resource cmd_webhooks_secret_resource = {
	.name = "webhook",
	.plural = "webhooks",
	.id_key = "id",
	.columns = {
		CMD_WEBHOOKS_COLUMNS,
		{ "SECRET", "secret", NULL },
		{ NULL, NULL, NULL }
	},
};

static const struct output_resource cmd_webhooks_delivery_resource = {
	.name = "delivery",
	.plural = "deliveries",
	.id_key = "id",
	.columns = {
		{ "ID", "id", NULL },
		{ "EVENT", "event_type", NULL },
		{ "STATE", "state", NULL },
		{ "ATTEMPTS", "attempts", NULL },
		{ "LAST-STATUS", "last_status", NULL },
		{ "LAST-ERROR", "last_error", NULL },
		{ "NEXT-ATTEMPT", "next_attempt_at", NULL },
		{ "CREATED", "created_at", NULL },
		{ NULL, NULL, NULL }
	},
};

static const char *const cmd_webhooks_formats[] = {
	"standard", "slack", "teams", NULL
};

static const char *const cmd_webhooks_states[] = {
	"pending", "delivered", "failed", NULL
};

#define CMD_WEBHOOKS_IDS	"webhooks list -q"

static const struct cmd_flag cmd_webhooks_list_flags[] = {
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

#define CMD_WEBHOOKS_SETTINGS						\
	{ .name = "events", .arg = "LIST",				\
	  .help = "comma-separated event types or patterns "		\
	      "(call.*, agent.state_changed, queue.sla_breached, *)" },	\
	{ .name = "format", .arg = "F", .values = cmd_webhooks_formats, \
	  .help = "standard (signed JSON), slack or teams" },		\
	{ .name = "description", .arg = "TEXT", .help = "a note" },	\
	{ .name = "min-wait", .arg = "N",				\
	  .help = "call.abandoned only after N seconds of waiting "	\
	      "('' for any)" }

static const struct cmd_flag cmd_webhooks_create_flags[] = {
	{ .name = "url", .arg = "URL", .required = 1,
	  .help = "the endpoint (http or https)" },
	CMD_WEBHOOKS_SETTINGS,
	{ .name = NULL }
};

static const struct cmd_flag cmd_webhooks_update_flags[] = {
	{ .name = "url", .arg = "URL", .help = "the endpoint (http or https)" },
	CMD_WEBHOOKS_SETTINGS,
	{ .name = "enable", .help = "send again (after a 410 or --disable)" },
	{ .name = "disable", .help = "stop sending; events are not kept" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_webhooks_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation on a terminal" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_webhooks_deliveries_flags[] = {
	{ .name = "state", .arg = "S", .values = cmd_webhooks_states,
	  .help = "only deliveries in this state" },
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_webhooks_verbs[] = {
	{ .name = "list",
	  .summary = "list the company's webhook endpoints (manager)",
	  .max_args = 0,
	  .flags = cmd_webhooks_list_flags,
	  .exec = cmd_webhooks_list },
	{ .name = "get",
	  .usage = "ID",
	  .summary = "show a webhook endpoint",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_WEBHOOKS_IDS,
	  .exec = cmd_webhooks_get },
	{ .name = "create",
	  .summary = "add an endpoint; its signing secret is shown this once",
	  .max_args = 0,
	  .flags = cmd_webhooks_create_flags,
	  .exec = cmd_webhooks_create },
	{ .name = "update",
	  .usage = "ID",
	  .summary = "change an endpoint, enable or disable it",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_webhooks_update_flags,
	  .arg_complete = CMD_WEBHOOKS_IDS,
	  .exec = cmd_webhooks_update },
	{ .name = "delete",
	  .usage = "ID",
	  .summary = "delete an endpoint and its deliveries",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_webhooks_delete_flags,
	  .arg_complete = CMD_WEBHOOKS_IDS,
	  .exec = cmd_webhooks_delete },
	{ .name = "test",
	  .usage = "ID",
	  .summary = "send a webhook.test event to an endpoint",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_WEBHOOKS_IDS,
	  .exec = cmd_webhooks_test },
	{ .name = "rotate-secret",
	  .usage = "ID",
	  .summary = "replace the signing secret and show the new one once",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_WEBHOOKS_IDS,
	  .exec = cmd_webhooks_rotate },
	{ .name = "deliveries",
	  .usage = "ID",
	  .summary = "list an endpoint's deliveries, newest first",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_webhooks_deliveries_flags,
	  .arg_complete = CMD_WEBHOOKS_IDS,
	  .exec = cmd_webhooks_deliveries },
	{ .name = "redeliver",
	  .usage = "ID DELIVERY_ID",
	  .summary = "send a delivery again, with a fresh retry schedule",
	  .min_args = 2, .max_args = 2,
	  .arg_complete = CMD_WEBHOOKS_IDS,
	  .exec = cmd_webhooks_redeliver },
	{ .name = NULL }
};

const struct cmd_entry cmd_webhooks_entry = {
	.name = "webhooks",
	.summary = "manage outgoing webhooks and Slack/Teams notifications",
	.children = cmd_webhooks_verbs,
};

/* The events as "a,b". Caller frees. */
static char *
cmd_webhooks_events_cell(json_t *events)
{
	size_t	 i;
	json_t	*e;
	char	*s = xstrdup(""), *t;

	json_array_foreach(events, i, e) {
		t = xasprintf("%s%s%s", s, i ? "," : "", json_string_value(e));
		free(s);
		s = t;
	}
	return s;
}

/* /api/webhooks/company/ID for --company or the user's own company. */
static int
cmd_webhooks_company_path(struct cmd_ctx *ctx, char **path)
{
	return verbs_company_path(ctx, "/api/webhooks/company/", path);
}

/* The request body from the flags. Caller decrefs *out. */
static int
cmd_webhooks_body(struct cmd_ctx *ctx, json_t **out)
{
	json_t		*body = json_object(), *events;
	const char	*v, *p, *comma;
	long long	 n;

	if ((v = cmd_get(ctx, "url")) != NULL)
		json_object_set_new(body, "url", json_string(v));
	if ((v = cmd_get(ctx, "format")) != NULL)
		json_object_set_new(body, "format", json_string(v));
	if ((v = cmd_get(ctx, "description")) != NULL)
		json_object_set_new(body, "description", json_string(v));
	if ((v = cmd_get(ctx, "events")) != NULL) {
		events = json_array();
		for (p = v; *p != '\0'; p = *comma ? comma + 1 : comma) {
			comma = p + strcspn(p, ",");
			if (comma > p)
				json_array_append_new(events,
				    json_stringn(p, (size_t)(comma - p)));
		}
		json_object_set_new(body, "events", events);
	}
	if ((v = cmd_get(ctx, "min-wait")) != NULL) {
		if (*v == '\0')
			json_object_set_new(body, "min_wait", json_null());
		else if (args_number(v, 0, INT_MAX, &n) != 0) {
			json_decref(body);
			return cmd_usage_error(ctx->group, ctx->entry,
			    "bad --min-wait \"%s\": seconds, 0 or more", v);
		} else
			json_object_set_new(body, "min_wait",
			    json_integer((json_int_t)n));
	}
	if (strcmp(ctx->entry->name, "update") == 0) {
		int	 on = cmd_get(ctx, "enable") != NULL;
		int	 off = cmd_get(ctx, "disable") != NULL;

		if (on && off) {
			json_decref(body);
			return cmd_usage_error(ctx->group, ctx->entry,
			    "give --enable or --disable, not both");
		}
		if (on || off)
			json_object_set_new(body, "enabled", json_boolean(on));
	}
	*out = body;
	return EXIT_OK;
}

static int
cmd_webhooks_list(struct cmd_ctx *ctx)
{
	char	*path;
	int	 rc;

	if ((rc = cmd_webhooks_company_path(ctx, &path)) != EXIT_OK)
		return rc;
	rc = verbs_list(ctx, &cmd_webhooks_resource, path);
	free(path);
	return rc;
}

static int
cmd_webhooks_get(struct cmd_ctx *ctx)
{
	return verbs_get(ctx, &cmd_webhooks_resource, "/api/webhooks/");
}

static int
cmd_webhooks_create(struct cmd_ctx *ctx)
{
	json_t	*body, *obj;
	char	*path;
	int	 rc;

	if ((rc = cmd_webhooks_body(ctx, &body)) != EXIT_OK)
		return rc;
	if ((rc = cmd_webhooks_company_path(ctx, &path)) != EXIT_OK) {
		json_decref(body);
		return rc;
	}
	rc = api_call(ctx->cli, "POST", path, body, &obj);
	free(path);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_webhooks_secret_resource, obj);
	cli_info(ctx->cli, "keep the secret: it is not shown again");
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_webhooks_update(struct cmd_ctx *ctx)
{
	json_t	*body;
	int	 rc;

	if ((rc = cmd_webhooks_body(ctx, &body)) != EXIT_OK)
		return rc;
	return verbs_send(ctx, &cmd_webhooks_resource, "PUT", "/api/webhooks/",
	    NULL, body);
}

static int
cmd_webhooks_delete(struct cmd_ctx *ctx)
{
	return verbs_delete(ctx, &cmd_webhooks_resource, "/api/webhooks/");
}

static int
cmd_webhooks_test(struct cmd_ctx *ctx)
{
	return verbs_send(ctx, &cmd_webhooks_delivery_resource, "POST",
	    "/api/webhooks/", "/test", NULL);
}

static int
cmd_webhooks_rotate(struct cmd_ctx *ctx)
{
	return verbs_send(ctx, &cmd_webhooks_secret_resource, "POST",
	    "/api/webhooks/", "/rotate-secret", NULL);
}

static int
cmd_webhooks_deliveries(struct cmd_ctx *ctx)
{
	char		*path, *p;
	const char	*state;
	int		 rc;

	p = api_path("/api/webhooks/", ctx->argv[0]);
	path = xasprintf("%s/deliveries", p);
	free(p);
	if ((state = cmd_get(ctx, "state")) != NULL)
		api_query_add(&path, "state", state);
	rc = verbs_list(ctx, &cmd_webhooks_delivery_resource, path);
	free(path);
	return rc;
}

static int
cmd_webhooks_redeliver(struct cmd_ctx *ctx)
{
	char	*suffix, *d;
	int	 rc;

	d = api_path("/deliveries/", ctx->argv[1]);
	suffix = xasprintf("%s/redeliver", d);
	free(d);
	rc = verbs_send(ctx, &cmd_webhooks_delivery_resource, "POST",
	    "/api/webhooks/", suffix, NULL);
	free(suffix);
	return rc;
}
