/*
 * calldocker settings: read and change system settings, a company's
 * settings and your own preferences, kubectl-style:
 *
 *	calldocker settings get company
 *	calldocker settings set company timezone=Europe/Berlin sl_threshold=30
 *	calldocker settings unset preferences language
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_settings_get(struct cmd_ctx *);
static int	cmd_settings_set(struct cmd_ctx *);
static int	cmd_settings_unset(struct cmd_ctx *);
static int	cmd_settings_status(struct cmd_ctx *);
static int	cmd_settings_languages(struct cmd_ctx *);
static int	cmd_settings_themes(struct cmd_ctx *);

static const char *const cmd_settings_scopes[] = { "system", "company",
	"preferences", NULL };

static const struct output_resource cmd_settings_languages_res = {
	.name = "language",
	.plural = "languages",
	.id_key = "code",
	.columns = {
		{ "CODE", "code" },
		{ "NAME", "name" },
		{ "NATIVE", "native_name" },
		{ NULL, NULL }
	},
};

static const struct output_resource cmd_settings_themes_res = {
	.name = "theme",
	.plural = "themes",
	.id_key = "id",
	.columns = {
		{ "ID", "id" },
		{ "NAME", "name" },
		{ NULL, NULL }
	},
};

static const struct cmd_entry cmd_settings_verbs[] = {
	{ .name = "get",
	  .usage = "SCOPE [KEY]",
	  .summary = "show the settings of a scope (system, company, "
	      "preferences), or one value",
	  .min_args = 1, .max_args = 2,
	  .arg_values = cmd_settings_scopes,
	  .exec = cmd_settings_get },
	{ .name = "set",
	  .usage = "SCOPE KEY=VALUE...",
	  .summary = "change settings; VALUE is JSON when it parses as a "
	      "number, true, false or null, else a string",
	  .min_args = 2, .max_args = -1,
	  .arg_values = cmd_settings_scopes,
	  .exec = cmd_settings_set },
	{ .name = "unset",
	  .usage = "SCOPE KEY...",
	  .summary = "put settings back to their defaults",
	  .min_args = 2, .max_args = -1,
	  .arg_values = cmd_settings_scopes,
	  .exec = cmd_settings_unset },
	{ .name = "status",
	  .summary = "the daemon's status: version, uptime, database, "
	      "workers, live counts (admin)",
	  .max_args = 0,
	  .exec = cmd_settings_status },
	{ .name = "languages",
	  .summary = "list the language codes settings accept",
	  .max_args = 0,
	  .exec = cmd_settings_languages },
	{ .name = "themes",
	  .summary = "list the themes preferences accept",
	  .max_args = 0,
	  .exec = cmd_settings_themes },
	{ .name = NULL }
};

const struct cmd_entry cmd_settings_entry = {
	.name = "settings",
	.summary = "system settings, company settings and your preferences",
	.children = cmd_settings_verbs,
};

int
cmd_own_company(struct cmd_ctx *ctx, char **company)
{
	json_t		*me;
	const char	*id;
	int		 rc;

	if (ctx->cli->company != NULL) {
		*company = xstrdup(ctx->cli->company);
		return EXIT_OK;
	}
	if ((rc = api_call(ctx->cli, "GET", "/api/auth/profile", NULL,
	    &me)) != EXIT_OK)
		return rc;
	id = json_string_value(json_object_get(me, "company_id"));
	*company = id != NULL ? xstrdup(id) : NULL;
	json_decref(me);
	if (*company == NULL) {
		cli_error("no company: give --company");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* The path of a scope's settings. Caller frees *path. */
static int
cmd_settings_path(struct cmd_ctx *ctx, const char *scope, char **path)
{
	char	*company;
	int	 rc;

	if (strcmp(scope, "system") == 0)
		*path = xstrdup("/api/settings/system");
	else if (strcmp(scope, "preferences") == 0)
		*path = xstrdup("/api/settings/user/preferences");
	else if (strcmp(scope, "company") == 0) {
		if ((rc = cmd_own_company(ctx, &company)) != EXIT_OK)
			return rc;
		*path = api_path("/api/settings/company/", company);
		free(company);
	} else
		return cmd_usage_error(ctx->group, ctx->entry, "unknown scope "
		    "\"%s\": must be system, company or preferences", scope);
	return EXIT_OK;
}

/* One value alone: strings bare, anything else as JSON. */
static void
cmd_settings_print_value(json_t *v)
{
	char	*s;

	if (json_is_string(v)) {
		puts(json_string_value(v));
		return;
	}
	s = output_json_text(v, 0);
	puts(s != NULL ? s : "null");
	free(s);
}

static int
cmd_settings_get(struct cmd_ctx *ctx)
{
	json_t	*obj, *v;
	char	*path;
	int	 rc;

	if ((rc = cmd_settings_path(ctx, ctx->argv[0], &path)) != EXIT_OK)
		return rc;
	rc = api_call(ctx->cli, "GET", path, NULL, &obj);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	if (ctx->argc == 2) {
		if ((v = json_object_get(obj, ctx->argv[1])) == NULL) {
			cli_error("no setting \"%s\" in %s", ctx->argv[1],
			    ctx->argv[0]);
			json_decref(obj);
			return EXIT_NOTFOUND;
		}
		cmd_settings_print_value(v);
	} else
		output_figures(ctx->cli, obj);
	json_decref(obj);
	return EXIT_OK;
}

/* PUT body to the scope's path and show the settings answered. */
static int
cmd_settings_put(struct cmd_ctx *ctx, json_t *body)
{
	json_t	*obj;
	char	*path;
	int	 rc;

	if ((rc = cmd_settings_path(ctx, ctx->argv[0], &path)) != EXIT_OK) {
		json_decref(body);
		return rc;
	}
	rc = api_call(ctx->cli, "PUT", path, body, &obj);
	free(path);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	if (!ctx->cli->quiet)
		output_figures(ctx->cli, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_settings_set(struct cmd_ctx *ctx)
{
	json_t		*body = json_object(), *v;
	const char	*eq;
	char		*key;

	for (int i = 1; i < ctx->argc; i++) {
		if ((eq = strchr(ctx->argv[i], '=')) == NULL ||
		    eq == ctx->argv[i]) {
			json_decref(body);
			return cmd_usage_error(ctx->group, ctx->entry,
			    "\"%s\" is not KEY=VALUE", ctx->argv[i]);
		}
		v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
		if (v == NULL || json_is_object(v) || json_is_array(v) ||
		    json_is_string(v)) {
			json_decref(v);
			v = json_string(eq + 1);
		}
		key = xstrndup(ctx->argv[i], (size_t)(eq - ctx->argv[i]));
		json_object_set_new(body, key, v);
		free(key);
	}
	return cmd_settings_put(ctx, body);
}

static int
cmd_settings_unset(struct cmd_ctx *ctx)
{
	json_t	*body = json_object();

	for (int i = 1; i < ctx->argc; i++)
		json_object_set_new(body, ctx->argv[i], json_null());
	return cmd_settings_put(ctx, body);
}

static int
cmd_settings_status(struct cmd_ctx *ctx)
{
	json_t	*obj;
	int	 rc;

	if ((rc = api_call(ctx->cli, "GET", "/api/settings/system/status",
	    NULL, &obj)) != EXIT_OK)
		return rc;
	output_figures(ctx->cli, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_settings_list(struct cmd_ctx *ctx, const char *path,
    const struct output_resource *res)
{
	json_t	*obj;
	int	 rc;

	if ((rc = api_call(ctx->cli, "GET", path, NULL, &obj)) != EXIT_OK)
		return rc;
	output_list(ctx->cli, res, json_object_get(obj, "items"));
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_settings_languages(struct cmd_ctx *ctx)
{
	return cmd_settings_list(ctx, "/api/settings/languages",
	    &cmd_settings_languages_res);
}

static int
cmd_settings_themes(struct cmd_ctx *ctx)
{
	return cmd_settings_list(ctx, "/api/settings/themes",
	    &cmd_settings_themes_res);
}
