/*
 * calldocker users: list, show, create, change and delete users.
 */
#include <stdlib.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_users_list(struct cmd_ctx *);
static int	cmd_users_get(struct cmd_ctx *);
static int	cmd_users_create(struct cmd_ctx *);
static int	cmd_users_update(struct cmd_ctx *);
static int	cmd_users_delete(struct cmd_ctx *);

const struct output_resource cmd_users_resource = {
	.name = "user",
	.plural = "users",
	.id_key = "id",
	.columns = {
		{ "ID", "id" },
		{ "EMAIL", "email" },
		{ "NAME", "name" },
		{ "ROLE", "role" },
		{ "COMPANY", "company_id" },
		{ "CREATED", "created_at" },
		{ NULL, NULL }
	},
};

static const char *const cmd_users_roles[] = {
	"admin", "manager", "agent", NULL
};

static const struct cmd_flag cmd_users_list_flags[] = {
	{ .name = "role", .arg = "ROLE", .values = cmd_users_roles,
	  .help = "only users with this role" },
	{ .name = "search", .arg = "Q",
	  .help = "only users whose e-mail or name contains Q" },
	{ .name = "company", .arg = "ID",
	  .help = "only users of this company" },
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_users_create_flags[] = {
	{ .name = "email", .arg = "EMAIL", .required = 1,
	  .help = "e-mail address, used to log in" },
	{ .name = "role", .arg = "ROLE", .required = 1,
	  .values = cmd_users_roles, .help = "role" },
	{ .name = "name", .arg = "NAME",
	  .help = "display name (default: the e-mail's local part)" },
	{ .name = "company", .arg = "ID",
	  .help = "company of the user (managers: their own)" },
	{ .name = "password-stdin",
	  .help = "read the password from stdin instead of asking twice" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_users_update_flags[] = {
	{ .name = "email", .arg = "EMAIL", .help = "new e-mail address" },
	{ .name = "name", .arg = "NAME", .help = "new display name" },
	{ .name = "role", .arg = "ROLE", .values = cmd_users_roles,
	  .help = "new role" },
	{ .name = "password-stdin",
	  .help = "read a new password from stdin" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_users_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation on a terminal" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_users_verbs[] = {
	{ .name = "list",
	  .summary = "list users",
	  .max_args = 0,
	  .flags = cmd_users_list_flags,
	  .exec = cmd_users_list },
	{ .name = "get",
	  .usage = "ID",
	  .summary = "show a user",
	  .min_args = 1, .max_args = 1,
	  .exec = cmd_users_get },
	{ .name = "create",
	  .summary = "create a user (admin, manager)",
	  .max_args = 0,
	  .flags = cmd_users_create_flags,
	  .exec = cmd_users_create },
	{ .name = "update",
	  .usage = "ID",
	  .summary = "change a user's e-mail, name, role or password",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_users_update_flags,
	  .exec = cmd_users_update },
	{ .name = "delete",
	  .usage = "ID",
	  .summary = "delete a user",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_users_delete_flags,
	  .exec = cmd_users_delete },
	{ .name = NULL }
};

const struct cmd_entry cmd_users_entry = {
	.name = "users",
	.summary = "manage users",
	.children = cmd_users_verbs,
};

static int
cmd_users_list(struct cmd_ctx *ctx)
{
	const char	*company, *role, *q;
	json_t		*items;
	char		*path;
	long		 limit;
	int		 rc;

	if ((rc = cmd_parse_limit(ctx, &limit)) != EXIT_OK)
		return rc;
	if ((company = cmd_get(ctx, "company")) == NULL)
		company = ctx->cli->company;
	if (company != NULL)
		path = api_path("/api/users/company/", company);
	else
		path = xstrdup("/api/users");
	if ((role = cmd_get(ctx, "role")) != NULL)
		api_query_add(&path, "role", role);
	if ((q = cmd_get(ctx, "search")) != NULL)
		api_query_add(&path, "q", q);
	rc = api_list(ctx->cli, path, cmd_get(ctx, "all") != NULL, limit,
	    &items);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	output_list(ctx->cli, &cmd_users_resource, items);
	json_decref(items);
	return EXIT_OK;
}

static int
cmd_users_get(struct cmd_ctx *ctx)
{
	return verbs_get(ctx, &cmd_users_resource, "/api/users/");
}

/* Read a password for create/update; a usage error without a terminal. */
static int
cmd_users_password(struct cmd_ctx *ctx, char **password)
{
	char	*cause = NULL;
	int	 from_stdin = cmd_get(ctx, "password-stdin") != NULL;

	if (!from_stdin && !prompt_have_tty())
		return cmd_usage_error(ctx->group, ctx->entry,
		    "no terminal to ask for the password: use --password-stdin");
	if ((*password = prompt_new_password(from_stdin, &cause)) != NULL)
		return EXIT_OK;
	cli_error("%s", cause);
	free(cause);
	return EXIT_FAIL;
}

/* Set key in obj to value if value is given. */
static void
cmd_users_set(json_t *obj, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(obj, key, json_string(value));
}

static int
cmd_users_create(struct cmd_ctx *ctx)
{
	const char	*company;
	json_t		*body, *obj;
	char		*password;
	int		 rc;

	if ((rc = cmd_users_password(ctx, &password)) != EXIT_OK)
		return rc;
	if ((company = cmd_get(ctx, "company")) == NULL)
		company = ctx->cli->company;
	body = json_object();
	cmd_users_set(body, "email", cmd_get(ctx, "email"));
	cmd_users_set(body, "password", password);
	cmd_users_set(body, "role", cmd_get(ctx, "role"));
	cmd_users_set(body, "name", cmd_get(ctx, "name"));
	cmd_users_set(body, "company_id", company);
	prompt_free(password);

	rc = api_call(ctx->cli, "POST", "/api/users", body, &obj);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_users_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_users_update(struct cmd_ctx *ctx)
{
	const char	*email = cmd_get(ctx, "email"), *name = cmd_get(ctx, "name");
	const char	*role = cmd_get(ctx, "role");
	json_t		*body, *obj;
	char		*path, *password = NULL;
	int		 rc;

	if (email == NULL && name == NULL && role == NULL &&
	    cmd_get(ctx, "password-stdin") == NULL)
		return cmd_usage_error(ctx->group, ctx->entry, "nothing to "
		    "change: give --email, --name, --role or --password-stdin");
	if (cmd_get(ctx, "password-stdin") != NULL &&
	    (rc = cmd_users_password(ctx, &password)) != EXIT_OK)
		return rc;
	body = json_object();
	cmd_users_set(body, "email", email);
	cmd_users_set(body, "name", name);
	cmd_users_set(body, "role", role);
	cmd_users_set(body, "password", password);
	prompt_free(password);

	path = api_path("/api/users/", ctx->argv[0]);
	rc = api_call(ctx->cli, "PUT", path, body, &obj);
	free(path);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_users_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

/* Asks on a terminal unless --yes; scripts (no terminal) are not asked. */
static int
cmd_users_delete(struct cmd_ctx *ctx)
{
	char	*path, *question;
	int	 rc, yes = 1;

	if (cmd_get(ctx, "yes") == NULL) {
		question = xasprintf("delete user \"%s\"?", ctx->argv[0]);
		yes = prompt_confirm(question);
		free(question);
	}
	if (yes == 0) {
		cli_error("user \"%s\" not deleted", ctx->argv[0]);
		return EXIT_FAIL;
	}
	path = api_path("/api/users/", ctx->argv[0]);
	rc = api_call(ctx->cli, "DELETE", path, NULL, NULL);
	free(path);
	if (rc == EXIT_OK)
		cli_info(ctx->cli, "deleted user \"%s\"", ctx->argv[0]);
	return rc;
}
