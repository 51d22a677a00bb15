/*
 * calldocker companies: list, show, create, change and delete the tenants.
 */
#include <stdlib.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_companies_list(struct cmd_ctx *);
static int	cmd_companies_get(struct cmd_ctx *);
static int	cmd_companies_create(struct cmd_ctx *);
static int	cmd_companies_update(struct cmd_ctx *);
static int	cmd_companies_delete(struct cmd_ctx *);

static const struct output_resource cmd_companies_resource = {
	.name = "company",
	.plural = "companies",
	.id_key = "id",
	.columns = {
		{ "ID", "id" },
		{ "NAME", "name" },
		{ "TIMEZONE", "timezone" },
		{ "CREATED", "created_at" },
		{ NULL, NULL }
	},
};

static const struct cmd_flag cmd_companies_list_flags[] = {
	{ .name = "search", .arg = "Q", .help = "only names containing Q" },
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_companies_create_flags[] = {
	{ .name = "name", .arg = "NAME", .required = 1,
	  .help = "the company's name" },
	{ .name = "timezone", .arg = "TZ",
	  .help = "IANA time zone, such as Europe/Berlin" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_companies_update_flags[] = {
	{ .name = "name", .arg = "NAME", .help = "new name" },
	{ .name = "timezone", .arg = "TZ", .help = "new IANA time zone" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_companies_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_companies_verbs[] = {
	{ .name = "list",
	  .summary = "list companies",
	  .max_args = 0,
	  .flags = cmd_companies_list_flags,
	  .exec = cmd_companies_list },
	{ .name = "get",
	  .usage = "ID",
	  .summary = "show a company",
	  .min_args = 1, .max_args = 1,
	  .exec = cmd_companies_get },
	{ .name = "create",
	  .summary = "create a company (admin)",
	  .max_args = 0,
	  .flags = cmd_companies_create_flags,
	  .exec = cmd_companies_create },
	{ .name = "update",
	  .usage = "ID",
	  .summary = "change a company's name or time zone",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_companies_update_flags,
	  .exec = cmd_companies_update },
	{ .name = "delete",
	  .usage = "ID",
	  .summary = "delete a company with its users and everything it owns "
	      "(admin)",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_companies_delete_flags,
	  .exec = cmd_companies_delete },
	{ .name = NULL }
};

const struct cmd_entry cmd_companies_entry = {
	.name = "companies",
	.summary = "manage companies (tenants)",
	.children = cmd_companies_verbs,
};

static int
cmd_companies_list(struct cmd_ctx *ctx)
{
	const char	*q = cmd_get(ctx, "search");
	json_t		*items;
	char		*path;
	long		 limit;
	int		 rc;

	if ((rc = cmd_parse_limit(ctx, &limit)) != EXIT_OK)
		return rc;
	path = xstrdup("/api/companies");
	if (q != NULL)
		api_query_add(&path, "q", q);
	rc = api_list(ctx->cli, path, cmd_get(ctx, "all") != NULL, limit,
	    &items);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	output_list(ctx->cli, &cmd_companies_resource, items);
	json_decref(items);
	return EXIT_OK;
}

static int
cmd_companies_get(struct cmd_ctx *ctx)
{
	return verbs_get(ctx, &cmd_companies_resource, "/api/companies/");
}

static int
cmd_companies_create(struct cmd_ctx *ctx)
{
	const char	*tz = cmd_get(ctx, "timezone");
	json_t		*body, *obj;
	int		 rc;

	body = json_pack("{s:s}", "name", cmd_get(ctx, "name"));
	if (tz != NULL)
		json_object_set_new(body, "timezone", json_string(tz));
	rc = api_call(ctx->cli, "POST", "/api/companies", body, &obj);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_companies_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_companies_update(struct cmd_ctx *ctx)
{
	const char	*name = cmd_get(ctx, "name"), *tz = cmd_get(ctx, "timezone");
	json_t		*body, *obj;
	char		*path;
	int		 rc;

	if (name == NULL && tz == NULL)
		return cmd_usage_error(ctx->group, ctx->entry,
		    "nothing to change: give --name or --timezone");
	body = json_object();
	if (name != NULL)
		json_object_set_new(body, "name", json_string(name));
	if (tz != NULL)
		json_object_set_new(body, "timezone", json_string(tz));
	path = api_path("/api/companies/", ctx->argv[0]);
	rc = api_call(ctx->cli, "PUT", path, body, &obj);
	free(path);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_companies_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_companies_delete(struct cmd_ctx *ctx)
{
	const char	*id = ctx->argv[0];
	char		*path, *question;
	int		 rc, yes;

	if (cmd_get(ctx, "yes") == NULL) {
		question = xasprintf("delete company \"%s\" with its users and "
		    "everything else it owns?", id);
		yes = prompt_confirm(question);
		free(question);
		if (yes == -1)
			return cmd_usage_error(ctx->group, ctx->entry,
			    "not deleting company \"%s\" without --yes", id);
		if (yes == 0) {
			cli_error("company \"%s\" not deleted", id);
			return EXIT_FAIL;
		}
	}
	path = api_path("/api/companies/", id);
	rc = api_call(ctx->cli, "DELETE", path, NULL, NULL);
	free(path);
	if (rc == EXIT_OK)
		cli_info(ctx->cli, "deleted company \"%s\"", id);
	return rc;
}
