/*
 * calldocker widget-keys and widget-origins: what lets a company's website
 * widget place calls over /ws (docs/api.md, "Website widget"). Keys are
 * public and go into the site's pages; the allowed origins are what keep
 * them to the company's sites.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_widget_keys_list(struct cmd_ctx *);
static int	cmd_widget_keys_create(struct cmd_ctx *);
static int	cmd_widget_keys_rotate(struct cmd_ctx *);
static int	cmd_widget_keys_delete(struct cmd_ctx *);
static int	cmd_widget_origins_list(struct cmd_ctx *);
static int	cmd_widget_origins_set(struct cmd_ctx *);
static int	cmd_widget_origins_add(struct cmd_ctx *);
static int	cmd_widget_origins_remove(struct cmd_ctx *);

static const struct output_resource cmd_widget_keys_resource = {
	.name = "widget key",
	.plural = "widget keys",
	.id_key = "id",
	.columns = {
		{ "ID", "id", NULL },
		{ "NAME", "name", NULL },
		{ "KEY", "key", NULL },
		{ "CREATED", "created_at", NULL },
		{ "ROTATED", "rotated_at", NULL },
		{ NULL, NULL, NULL }
	},
};

static const struct output_resource cmd_widget_origins_resource = {
	.name = "origin",
	.plural = "origins",
	.id_key = "origin",
	.columns = {
		{ "ORIGIN", "origin", NULL },
		{ NULL, NULL, NULL }
	},
};

#define CMD_WIDGET_KEY_IDS	"widget-keys list -q"
#define CMD_WIDGET_ORIGINS	"widget-origins list -q"

static const struct cmd_flag cmd_widget_keys_create_flags[] = {
	{ .name = "name", .arg = "NAME",
	  .help = "what the key is for (a site, a shop)" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_widget_keys_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation on a terminal" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_widget_keys_verbs[] = {
	{ .name = "list",
	  .summary = "list the company's widget keys (manager)",
	  .max_args = 0,
	  .exec = cmd_widget_keys_list },
	{ .name = "create",
	  .summary = "make a widget key (at most 20 per company)",
	  .max_args = 0,
	  .flags = cmd_widget_keys_create_flags,
	  .exec = cmd_widget_keys_create },
	{ .name = "rotate",
	  .usage = "ID",
	  .summary = "replace a key's value; the old one stops working at once",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_WIDGET_KEY_IDS,
	  .exec = cmd_widget_keys_rotate },
	{ .name = "delete",
	  .usage = "ID",
	  .summary = "delete a widget key; sites using it can no longer call",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_WIDGET_KEY_IDS,
	  .flags = cmd_widget_keys_delete_flags,
	  .exec = cmd_widget_keys_delete },
	{ .name = NULL }
};

static const struct cmd_entry cmd_widget_origins_verbs[] = {
	{ .name = "list",
	  .summary = "list the sites (origins) the widget may call from",
	  .max_args = 0,
	  .exec = cmd_widget_origins_list },
	{ .name = "set",
	  .usage = "ORIGIN...",
	  .summary = "replace the allowed origins (https://www.example.com)",
	  .min_args = 1, .max_args = 50,
	  .exec = cmd_widget_origins_set },
	{ .name = "add",
	  .usage = "ORIGIN...",
	  .summary = "allow more origins",
	  .min_args = 1, .max_args = 50,
	  .exec = cmd_widget_origins_add },
	{ .name = "remove",
	  .usage = "ORIGIN...",
	  .summary = "stop allowing origins (none left: no widget calls)",
	  .min_args = 1, .max_args = 50,
	  .arg_complete = CMD_WIDGET_ORIGINS,
	  .exec = cmd_widget_origins_remove },
	{ .name = NULL }
};

const struct cmd_entry cmd_widget_keys_entry = {
	.name = "widget-keys",
	.summary = "manage a company's website widget keys",
	.children = cmd_widget_keys_verbs,
};

const struct cmd_entry cmd_widget_origins_entry = {
	.name = "widget-origins",
	.summary = "manage the sites a company's website widget may call from",
	.children = cmd_widget_origins_verbs,
};

/* /api/companies/ID/what for --company or the user's own; caller frees. */
static int
cmd_widget_path(struct cmd_ctx *ctx, const char *what, char **path)
{
	char	*p;
	int	 rc;

	if ((rc = verbs_company_path(ctx, "/api/companies/", &p)) != EXIT_OK)
		return rc;
	*path = xasprintf("%s/%s", p, what);
	free(p);
	return EXIT_OK;
}

/* At most 20 keys: one page, no --limit or --all. */
static int
cmd_widget_keys_list(struct cmd_ctx *ctx)
{
	json_t	*page;
	char	*path;
	int	 rc;

	if ((rc = cmd_widget_path(ctx, "widget-keys", &path)) != EXIT_OK)
		return rc;
	rc = api_call(ctx->cli, "GET", path, NULL, &page);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	output_list(ctx->cli, &cmd_widget_keys_resource,
	    json_object_get(page, "items"));
	json_decref(page);
	return EXIT_OK;
}

static int
cmd_widget_keys_create(struct cmd_ctx *ctx)
{
	json_t		*body = json_object(), *obj;
	const char	*name;
	char		*path;
	int		 rc;

	if ((name = cmd_get(ctx, "name")) != NULL)
		json_object_set_new(body, "name", json_string(name));
	if ((rc = cmd_widget_path(ctx, "widget-keys", &path)) != EXIT_OK) {
		json_decref(body);
		return rc;
	}
	rc = api_call(ctx->cli, "POST", path, body, &obj);
	free(path);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_widget_keys_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_widget_keys_rotate(struct cmd_ctx *ctx)
{
	char	*prefix;
	int	 rc;

	if ((rc = cmd_widget_path(ctx, "widget-keys/", &prefix)) != EXIT_OK)
		return rc;
	rc = verbs_send(ctx, &cmd_widget_keys_resource, "POST", prefix,
	    "/rotate", NULL);
	free(prefix);
	return rc;
}

static int
cmd_widget_keys_delete(struct cmd_ctx *ctx)
{
	char	*prefix;
	int	 rc;

	if ((rc = cmd_widget_path(ctx, "widget-keys/", &prefix)) != EXIT_OK)
		return rc;
	rc = verbs_delete(ctx, &cmd_widget_keys_resource, prefix);
	free(prefix);
	return rc;
}

/* GET the origins (an array, into *out) and the path they were read at. */
static int
cmd_widget_origins_get(struct cmd_ctx *ctx, char **path, json_t **out)
{
	json_t	*obj;
	int	 rc;

	if ((rc = cmd_widget_path(ctx, "widget-origins", path)) != EXIT_OK)
		return rc;
	if ((rc = api_call(ctx->cli, "GET", *path, NULL, &obj)) != EXIT_OK) {
		free(*path);
		return rc;
	}
	*out = json_incref(json_object_get(obj, "origins"));
	json_decref(obj);
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = json_array();
	}
	return EXIT_OK;
}

/* Print origins (an array of strings) as a list of {"origin": ...}. */
static void
cmd_widget_origins_print(struct cmd_ctx *ctx, json_t *origins)
{
	json_t	*items = json_array(), *v;
	size_t	 i;

	json_array_foreach(origins, i, v)
		json_array_append_new(items, json_pack("{s:O}", "origin", v));
	output_list(ctx->cli, &cmd_widget_origins_resource, items);
	json_decref(items);
}

/* PUT origins (taken) to path (freed) and print what is allowed now. */
static int
cmd_widget_origins_put(struct cmd_ctx *ctx, char *path, json_t *origins)
{
	json_t	*body = json_pack("{s:o}", "origins", origins), *obj;
	int	 rc;

	rc = api_call(ctx->cli, "PUT", path, body, &obj);
	free(path);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	cmd_widget_origins_print(ctx, json_object_get(obj, "origins"));
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_widget_origins_list(struct cmd_ctx *ctx)
{
	json_t	*origins;
	char	*path;
	int	 rc;

	if ((rc = cmd_widget_origins_get(ctx, &path, &origins)) != EXIT_OK)
		return rc;
	free(path);
	cmd_widget_origins_print(ctx, origins);
	json_decref(origins);
	return EXIT_OK;
}

/* The arguments must be text: a dropped one would change the list. */
static int
cmd_widget_origins_args(struct cmd_ctx *ctx)
{
	json_t	*v;

	for (int i = 0; i < ctx->argc; i++) {
		if ((v = json_string(ctx->argv[i])) == NULL)
			return cmd_usage_error(ctx->group, ctx->entry,
			    "an origin must be UTF-8 text");
		json_decref(v);
	}
	return EXIT_OK;
}

static int
cmd_widget_origins_set(struct cmd_ctx *ctx)
{
	json_t	*origins;
	char	*path;
	int	 i, rc;

	if ((rc = cmd_widget_origins_args(ctx)) != EXIT_OK)
		return rc;
	origins = json_array();
	for (i = 0; i < ctx->argc; i++)
		json_array_append_new(origins, json_string(ctx->argv[i]));
	if ((rc = cmd_widget_path(ctx, "widget-origins", &path)) != EXIT_OK) {
		json_decref(origins);
		return rc;
	}
	return cmd_widget_origins_put(ctx, path, origins);
}

/* The index of s in the array a of strings, or -1. */
static int
cmd_widget_origins_find(json_t *a, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(a, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Read, change, write back: two admins editing at the same moment can
 * lose one's change; the daemon validates what is written either way.
 */
static int
cmd_widget_origins_add(struct cmd_ctx *ctx)
{
	json_t	*origins;
	char	*path;
	int	 i, rc;

	if ((rc = cmd_widget_origins_args(ctx)) != EXIT_OK ||
	    (rc = cmd_widget_origins_get(ctx, &path, &origins)) != EXIT_OK)
		return rc;
	for (i = 0; i < ctx->argc; i++) {
		if (cmd_widget_origins_find(origins, ctx->argv[i]) == -1)
			json_array_append_new(origins,
			    json_string(ctx->argv[i]));
	}
	return cmd_widget_origins_put(ctx, path, origins);
}

static int
cmd_widget_origins_remove(struct cmd_ctx *ctx)
{
	json_t	*origins;
	char	*path;
	int	 i, at, rc;

	if ((rc = cmd_widget_origins_get(ctx, &path, &origins)) != EXIT_OK)
		return rc;
	for (i = 0; i < ctx->argc; i++) {
		if ((at = cmd_widget_origins_find(origins, ctx->argv[i])) == -1) {
			cli_error("origin \"%s\" is not allowed now",
			    ctx->argv[i]);
			json_decref(origins);
			free(path);
			return EXIT_NOTFOUND;
		}
		json_array_remove(origins, (size_t)at);
	}
	return cmd_widget_origins_put(ctx, path, origins);
}
