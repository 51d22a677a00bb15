/*
 * calldocker config: the named contexts (host, session) of the
 * configuration file, like kubectl config.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_config_get_contexts(struct cmd_ctx *);
static int	cmd_config_use_context(struct cmd_ctx *);
static int	cmd_config_current_context(struct cmd_ctx *);
static int	cmd_config_set_context(struct cmd_ctx *);
static int	cmd_config_delete_context(struct cmd_ctx *);

/* Tokens are never shown. */
static const struct output_resource cmd_config_resource = {
	.name = "context",
	.plural = "contexts",
	.id_key = "name",
	.columns = {
		{ "NAME", "name" },
		{ "CURRENT", "current" },
		{ "HOST", "host" },
		{ "EMAIL", "email" },
		{ "LOGGED-IN", "logged_in" },
		{ NULL, NULL }
	},
};

#define CMD_CONFIG_CONTEXTS	"config get-contexts -q"

static const struct cmd_flag cmd_config_set_context_flags[] = {
	{ .name = "host", .arg = "URL", .required = 1,
	  .help = "daemon address, unix:///path or http(s)://host:port" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_config_verbs[] = {
	{ .name = "get-contexts",
	  .summary = "list the contexts",
	  .max_args = 0,
	  .exec = cmd_config_get_contexts },
	{ .name = "use-context",
	  .usage = "NAME",
	  .summary = "make a context the current one",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_CONFIG_CONTEXTS,
	  .exec = cmd_config_use_context },
	{ .name = "current-context",
	  .summary = "print the name of the current context",
	  .max_args = 0,
	  .exec = cmd_config_current_context },
	{ .name = "set-context",
	  .usage = "NAME",
	  .summary = "create a context or change its host",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_config_set_context_flags,
	  .arg_complete = CMD_CONFIG_CONTEXTS,
	  .exec = cmd_config_set_context },
	{ .name = "delete-context",
	  .usage = "NAME",
	  .summary = "delete a context and its saved tokens",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_CONFIG_CONTEXTS,
	  .exec = cmd_config_delete_context },
	{ .name = NULL }
};

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.summary = "manage the contexts of the configuration file",
	.children = cmd_config_verbs,
};

static int
cmd_config_get_contexts(struct cmd_ctx *ctx)
{
	struct context_file	*cf;
	struct context		*c;
	json_t			*items, *item;
	size_t			 i;
	int			 rc;

	if ((rc = api_config(ctx->cli)) != EXIT_OK)
		return rc;
	cf = ctx->cli->cf;
	items = json_array();
	for (i = 0; i < cf->ncontexts; i++) {
		c = &cf->contexts[i];
		item = json_pack("{s:s,s:b,s:o,s:o,s:b}",
		    "name", c->name,
		    "current", cf->current != NULL &&
			strcmp(cf->current, c->name) == 0,
		    "host", c->host != NULL ? json_string(c->host) : json_null(),
		    "email", c->email != NULL ? json_string(c->email) :
			json_null(),
		    "logged_in", c->token != NULL);
		json_array_append_new(items, item);
	}
	output_list(ctx->cli, &cmd_config_resource, items);
	json_decref(items);
	return EXIT_OK;
}

/* Lock and load the file for a change; NULL after reporting an error. */
static struct context_file *
cmd_config_begin(void)
{
	struct context_file	*lk;
	char			*cause = NULL;

	if ((lk = context_load(1, &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
	}
	return lk;
}

/* Save and unlock; returns the exit status. */
static int
cmd_config_commit(struct context_file *lk)
{
	char	*cause = NULL;
	int	 rc = EXIT_OK;

	if (context_save(lk, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	}
	context_free(lk);
	return rc;
}

static int
cmd_config_use_context(struct cmd_ctx *ctx)
{
	struct context_file	*lk;
	const char		*name = ctx->argv[0];
	int			 rc;

	if ((lk = cmd_config_begin()) == NULL)
		return EXIT_FAIL;
	if (context_find(lk, name) == NULL) {
		cli_error("context \"%s\" does not exist", name);
		context_free(lk);
		return EXIT_FAIL;
	}
	context_set(&lk->current, name);
	if ((rc = cmd_config_commit(lk)) == EXIT_OK)
		cli_info(ctx->cli, "switched to context \"%s\"", name);
	return rc;
}

static int
cmd_config_current_context(struct cmd_ctx *ctx)
{
	int	 rc;

	if ((rc = api_config(ctx->cli)) != EXIT_OK)
		return rc;
	if (ctx->cli->cf->current == NULL) {
		cli_error("no current context");
		return EXIT_FAIL;
	}
	puts(ctx->cli->cf->current);
	return EXIT_OK;
}

static int
cmd_config_set_context(struct cmd_ctx *ctx)
{
	struct context_file	*lk;
	struct context		*c;
	struct client		*check;
	const char		*name = ctx->argv[0], *host = cmd_get(ctx, "host");
	char			*cause = NULL;
	int			 rc;

	if ((check = client_new(host, &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_USAGE;
	}
	client_free(check);

	if ((lk = cmd_config_begin()) == NULL)
		return EXIT_FAIL;
	c = context_add(lk, name);
	if (c->host != NULL && strcmp(c->host, host) != 0 &&
	    (c->token != NULL || c->refresh_token != NULL)) {
		/* Never send a session's tokens to another host. */
		context_set(&c->token, NULL);
		context_set(&c->refresh_token, NULL);
		cli_info(ctx->cli, "forgetting the tokens of context \"%s\": "
		    "its host changed", name);
	}
	/* --cacert goes with the host; a new host drops the old CA file. */
	if (ctx->cli->cacert_flag != NULL)
		context_set_cacert(c, ctx->cli->cacert_flag);
	else if (c->host != NULL && strcmp(c->host, host) != 0)
		context_set(&c->cacert, NULL);
	context_set(&c->host, host);
	if (lk->current == NULL)
		context_set(&lk->current, name);
	if ((rc = cmd_config_commit(lk)) == EXIT_OK)
		cli_info(ctx->cli, "context \"%s\" set to \"%s\"", name, host);
	return rc;
}

static int
cmd_config_delete_context(struct cmd_ctx *ctx)
{
	struct context_file	*lk;
	const char		*name = ctx->argv[0];
	int			 rc;

	if ((lk = cmd_config_begin()) == NULL)
		return EXIT_FAIL;
	if (context_find(lk, name) == NULL) {
		cli_error("context \"%s\" does not exist", name);
		context_free(lk);
		return EXIT_FAIL;
	}
	context_remove(lk, name);
	if ((rc = cmd_config_commit(lk)) == EXIT_OK)
		cli_info(ctx->cli, "deleted context \"%s\"", name);
	return rc;
}
