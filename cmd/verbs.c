/*
 * Verbs whose work differs between resources only in the path and the
 * resource printed: list, get, delete, and sending a body to one object
 * (update, and actions such as "calls answer ID").
 */
#include <stdlib.h>

#include "cmd.h"
#include "xmalloc.h"

/* GET path with --limit and --all, and print the items. */
int
verbs_list(struct cmd_ctx *ctx, const struct output_resource *res,
    const char *path)
{
	json_t	*items;
	long	 limit;
	char	*p;
	int	 rc;

	if ((rc = cmd_parse_limit(ctx, &limit)) != EXIT_OK)
		return rc;
	/* --company: an admin lists that company's (docs/api.md, scope). */
	p = xstrdup(path);
	if (ctx->cli->company != NULL)
		api_query_add(&p, "company_id", ctx->cli->company);
	rc = api_list(ctx->cli, p, cmd_get(ctx, "all") != NULL, limit,
	    &items);
	free(p);
	if (rc != EXIT_OK)
		return rc;
	output_list(ctx->cli, res, items);
	json_decref(items);
	return EXIT_OK;
}

/*
 * prefix + the escaped id of --company, else of the user's own company
 * (from the profile) into *path; EXIT_USAGE for an admin without
 * --company. Caller frees *path on EXIT_OK.
 */
int
verbs_company_path(struct cmd_ctx *ctx, const char *prefix, char **path)
{
	const char	*company = ctx->cli->company;
	json_t		*me = NULL;
	int		 rc;

	if (company == NULL) {
		rc = api_call(ctx->cli, "GET", "/api/auth/profile", NULL, &me);
		if (rc != EXIT_OK)
			return rc;
		company = json_string_value(json_object_get(me,
		    "company_id"));
		if (company == NULL) {
			json_decref(me);
			cli_error("no company: give --company");
			return EXIT_USAGE;
		}
	}
	*path = api_path(prefix, company);
	json_decref(me);
	return EXIT_OK;
}

/* Path prefix + escaped ID (the first argument) + suffix. Caller frees. */
static char *
verbs_path(struct cmd_ctx *ctx, const char *prefix, const char *suffix)
{
	char	*id, *path;

	id = api_path(prefix, ctx->argv[0]);
	path = xasprintf("%s%s", id, suffix != NULL ? suffix : "");
	free(id);
	return path;
}

/* GET prefix + ID + suffix. *out gets the object; caller decrefs. */
int
verbs_fetch(struct cmd_ctx *ctx, const char *prefix, const char *suffix,
    json_t **out)
{
	char	*path;
	int	 rc;

	path = verbs_path(ctx, prefix, suffix);
	rc = api_call(ctx->cli, "GET", path, NULL, out);
	free(path);
	return rc;
}

/* GET prefix + ID and print it. */
int
verbs_get(struct cmd_ctx *ctx, const struct output_resource *res,
    const char *prefix)
{
	json_t	*obj;
	int	 rc;

	if ((rc = verbs_fetch(ctx, prefix, NULL, &obj)) != EXIT_OK)
		return rc;
	output_object(ctx->cli, res, obj);
	json_decref(obj);
	return EXIT_OK;
}

/*
 * Send body (NULL for none) to prefix + ID + suffix and print the object
 * answered. Takes body.
 */
int
verbs_send(struct cmd_ctx *ctx, const struct output_resource *res,
    const char *method, const char *prefix, const char *suffix, json_t *body)
{
	json_t	*obj;
	char	*path;
	int	 rc;

	path = verbs_path(ctx, prefix, suffix);
	rc = api_call(ctx->cli, method, path, body, &obj);
	free(path);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, res, obj);
	json_decref(obj);
	return EXIT_OK;
}

/* DELETE prefix + ID; asks on a terminal unless --yes, scripts are not asked. */
int
verbs_delete(struct cmd_ctx *ctx, const struct output_resource *res,
    const char *prefix)
{
	const char	*id = ctx->argv[0];
	char		*path, *question;
	int		 rc, yes = 1;

	if (cmd_get(ctx, "yes") == NULL) {
		question = xasprintf("delete %s \"%s\"?", res->name, id);
		yes = prompt_confirm(question);
		free(question);
	}
	if (yes == 0) {
		cli_error("%s \"%s\" not deleted", res->name, id);
		return EXIT_FAIL;
	}
	path = verbs_path(ctx, prefix, NULL);
	rc = api_call(ctx->cli, "DELETE", path, NULL, NULL);
	free(path);
	if (rc == EXIT_OK)
		cli_info(ctx->cli, "deleted %s \"%s\"", res->name, id);
	return rc;
}
