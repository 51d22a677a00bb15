/*
 * calldocker login, logout and whoami: a session's tokens live in the
 * current context of the configuration file (mode 0600).
 */
#include <stdlib.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_auth_login(struct cmd_ctx *);
static int	cmd_auth_logout(struct cmd_ctx *);
static int	cmd_auth_whoami(struct cmd_ctx *);

static const struct cmd_flag cmd_auth_login_flags[] = {
	{ .name = "email", .arg = "EMAIL",
	  .help = "e-mail address (asked for if not given)" },
	{ .name = "password-stdin",
	  .help = "read the password from stdin instead of asking" },
	{ .name = NULL }
};

const struct cmd_entry cmd_auth_login_entry = {
	.name = "login",
	.summary = "log in and save the session in the current context",
	.max_args = 0,
	.flags = cmd_auth_login_flags,
	.exec = cmd_auth_login,
};

const struct cmd_entry cmd_auth_logout_entry = {
	.name = "logout",
	.summary = "end the session and forget its tokens",
	.max_args = 0,
	.exec = cmd_auth_logout,
};

const struct cmd_entry cmd_auth_whoami_entry = {
	.name = "whoami",
	.summary = "show the user you act as",
	.max_args = 0,
	.exec = cmd_auth_whoami,
};

/* Store the session in the context in use (made current if none is). */
static int
cmd_auth_save(struct cli *cli, const char *email, const char *access,
    const char *refresh)
{
	struct context_file	*lk;
	struct context		*ctx;
	const char		*name;
	char			*cause = NULL;
	int			 rc = EXIT_OK;

	if ((lk = context_load(1, &cause)) == NULL)
		goto fail;
	if ((name = cli->context_flag) == NULL &&
	    (name = lk->current) == NULL)
		name = "default";
	ctx = context_add(lk, name);
	context_set(&ctx->host, cli->host);
	/* The CA file this login verified the host with, for the next ones. */
	context_set_cacert(ctx, cli->cacert);
	context_set(&ctx->email, email);
	context_set(&ctx->token, access);
	context_set(&ctx->refresh_token, refresh);
	if (lk->current == NULL)
		context_set(&lk->current, name);
	if (context_save(lk, &cause) != 0)
		goto fail;
	cli_info(cli, "logged in to \"%s\" as \"%s\" (context \"%s\")",
	    cli->host, email, ctx->name);
	context_free(lk);
	return rc;

fail:
	cli_error("%s", cause);
	free(cause);
	context_free(lk);
	return EXIT_FAIL;
}

static int
cmd_auth_login(struct cmd_ctx *ctx)
{
	struct cli	*cli = ctx->cli;
	const char	*access, *refresh, *saved_email;
	json_t		*body, *pair = NULL;
	char		*email = NULL, *password = NULL, *cause = NULL;
	int		 rc, from_stdin;

	from_stdin = cmd_get(ctx, "password-stdin") != NULL;
	if ((cmd_get(ctx, "email") == NULL || !from_stdin) &&
	    !prompt_have_tty())
		return cmd_usage_error(ctx->group, ctx->entry, "no terminal to "
		    "ask on: use --email and --password-stdin");
	cli->new_context = 1;
	if ((rc = api_open(cli)) != EXIT_OK)
		return rc;

	if (cmd_get(ctx, "email") != NULL)
		email = xstrdup(cmd_get(ctx, "email"));
	else if ((email = prompt_line("E-mail: ", 1, &cause)) == NULL)
		goto fail;
	if (from_stdin)
		password = prompt_stdin(&cause);
	else
		password = prompt_line("Password: ", 0, &cause);
	if (password == NULL)
		goto fail;

	/* Log in as nobody: no old token, no refresh on 401. */
	client_set_token(cli->client, NULL);
	cli->token_from_context = 0;
	body = json_pack("{s:s,s:s}", "email", email, "password", password);
	prompt_free(password);
	password = NULL;
	rc = api_call(cli, "POST", "/api/auth/login", body, &pair);
	json_decref(body);
	if (rc != EXIT_OK)
		goto out;

	access = json_string_value(json_object_get(pair, "access_token"));
	refresh = json_string_value(json_object_get(pair, "refresh_token"));
	saved_email = json_string_value(json_object_get(
	    json_object_get(pair, "user"), "email"));
	if (access == NULL || refresh == NULL) {
		cli_error("the answer from \"%s\" has no tokens", cli->host);
		rc = EXIT_FAIL;
		goto out;
	}
	rc = cmd_auth_save(cli, saved_email != NULL ? saved_email : email,
	    access, refresh);
	goto out;

fail:
	cli_error("%s", cause);
	free(cause);
	rc = EXIT_FAIL;
out:
	json_decref(pair);
	prompt_free(password);
	free(email);
	return rc;
}

/* Forget the tokens of the context in use. */
static int
cmd_auth_forget(struct cli *cli)
{
	struct context_file	*lk;
	struct context		*ctx;
	char			*cause = NULL;

	if ((lk = context_load(1, &cause)) == NULL)
		goto fail;
	ctx = context_find(lk, api_context_name(cli));
	if (ctx != NULL && (ctx->token != NULL || ctx->refresh_token != NULL)) {
		context_set(&ctx->token, NULL);
		context_set(&ctx->refresh_token, NULL);
		if (context_save(lk, &cause) != 0)
			goto fail;
	}
	context_free(lk);
	return EXIT_OK;

fail:
	cli_error("%s", cause);
	free(cause);
	context_free(lk);
	return EXIT_FAIL;
}

static int
cmd_auth_logout(struct cmd_ctx *ctx)
{
	struct cli		*cli = ctx->cli;
	struct client_response	 r;
	json_t			*body;
	int			 rc, from_context;

	if ((rc = api_resolve(cli)) != EXIT_OK)
		return rc;
	if (cli->token == NULL) {
		cli_error("not logged in to \"%s\"", cli->host);
		return EXIT_FAIL;
	}
	body = json_object();
	rc = api_request(cli, "POST", "/api/auth/logout", body, &r);
	json_decref(body);
	from_context = cli->token_from_context;
	if (rc == EXIT_OK) {
		/* 401: the session had already ended. */
		if (r.status >= 400 && r.status != 401)
			rc = api_report(cli, &r);
		client_response_free(&r);
	}
	if (from_context && cmd_auth_forget(cli) != EXIT_OK && rc == EXIT_OK)
		rc = EXIT_FAIL;
	if (rc == EXIT_OK)
		cli_info(cli, "logged out of \"%s\"", cli->host);
	else if (from_context)
		cli_error("forgot the tokens, but the session may still be "
		    "valid on the server");
	return rc;
}

static int
cmd_auth_whoami(struct cmd_ctx *ctx)
{
	json_t	*user;
	int	 rc;

	if ((rc = api_call(ctx->cli, "GET", "/api/auth/profile", NULL,
	    &user)) != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_users_resource, user);
	json_decref(user);
	return EXIT_OK;
}
