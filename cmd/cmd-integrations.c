/*
 * calldocker integrations: the secrets a company's signed webhooks are
 * checked with (Twilio's auth token, the incoming-webhook secret) and
 * Twilio's API key for browser agents' tokens: show whether one is set,
 * set or rotate it, remove it.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_integrations_show(struct cmd_ctx *);
static int	cmd_integrations_set(struct cmd_ctx *);
static int	cmd_integrations_delete(struct cmd_ctx *);

static const char *const cmd_integrations_kinds[] = { "twilio", "incoming",
	NULL };

static const struct output_resource cmd_integrations_resource = {
	.name = "integration",
	.plural = "integrations",
	.id_key = "kind",
	.columns = {
		{ "KIND", "kind", NULL },
		{ "CONFIGURED", "configured", NULL },
		{ "ACCOUNT", "account_sid", NULL },
		{ "API KEY", "api_key_sid", NULL },
		{ "UPDATED", "updated_at", NULL },
		{ NULL, NULL, NULL }
	},
};

/* A new incoming secret: -q prints the secret alone. */
static const struct output_resource cmd_integrations_secret_resource = {
	.name = "integration",
	.plural = "integrations",
	.id_key = "secret",
	.columns = {
		{ "KIND", "kind", NULL },
		{ "SECRET", "secret", NULL },
		{ "UPDATED", "updated_at", NULL },
		{ NULL, NULL, NULL }
	},
};

static const struct cmd_flag cmd_integrations_set_flags[] = {
	{ .name = "account-sid", .arg = "SID",
	  .help = "twilio: the account SID (AC...)" },
	{ .name = "auth-token-stdin",
	  .help = "twilio: read the auth token from stdin instead of asking "
	      "(and then, with --api-key-sid, the API key secret from the "
	      "next line)" },
	{ .name = "api-key-sid", .arg = "SID",
	  .help = "twilio: the API key (SK...) browser agents' access tokens "
	      "are signed with; its secret is asked for" },
	{ .name = "twiml-app-sid", .arg = "SID",
	  .help = "twilio: a TwiML App (AP...) for the tokens' outgoing grant" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_integrations_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_integrations_verbs[] = {
	{ .name = "show",
	  .usage = "KIND",
	  .summary = "show whether a webhook secret is set (never the secret)",
	  .min_args = 1, .max_args = 1,
	  .arg_values = cmd_integrations_kinds,
	  .exec = cmd_integrations_show },
	{ .name = "set",
	  .usage = "KIND",
	  .summary = "set twilio's auth token (and API key), or make a new "
	      "incoming-webhook secret and print it once",
	  .min_args = 1, .max_args = 1,
	  .arg_values = cmd_integrations_kinds,
	  .flags = cmd_integrations_set_flags,
	  .exec = cmd_integrations_set },
	{ .name = "delete",
	  .usage = "KIND",
	  .summary = "remove a webhook secret: its webhooks are refused",
	  .min_args = 1, .max_args = 1,
	  .arg_values = cmd_integrations_kinds,
	  .flags = cmd_integrations_delete_flags,
	  .exec = cmd_integrations_delete },
	{ .name = NULL }
};

const struct cmd_entry cmd_integrations_entry = {
	.name = "integrations",
	.summary = "manage a company's webhook secrets (twilio, incoming)",
	.children = cmd_integrations_verbs,
};

/*
 * The path for KIND of --company, else of the user's own company; EXIT_*
 * with *path set on EXIT_OK. Caller frees.
 */
static int
cmd_integrations_path(struct cmd_ctx *ctx, char **path)
{
	const char	*kind = ctx->argv[0];
	char		*p;
	int		 rc;

	if (strcmp(kind, "twilio") != 0 && strcmp(kind, "incoming") != 0)
		return cmd_usage_error(ctx->group, ctx->entry, "unknown "
		    "integration \"%s\": twilio or incoming", kind);
	rc = verbs_company_path(ctx, "/api/integrations/company/", &p);
	if (rc != EXIT_OK)
		return rc;
	*path = xasprintf("%s/%s", p, kind);
	free(p);
	return EXIT_OK;
}

static int
cmd_integrations_show(struct cmd_ctx *ctx)
{
	json_t	*obj;
	char	*path;
	int	 rc;

	if ((rc = cmd_integrations_path(ctx, &path)) != EXIT_OK)
		return rc;
	rc = api_call(ctx->cli, "GET", path, NULL, &obj);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_integrations_resource, obj);
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_integrations_set(struct cmd_ctx *ctx)
{
	const char	*sid = cmd_get(ctx, "account-sid");
	const char	*key_sid = cmd_get(ctx, "api-key-sid");
	const char	*app_sid = cmd_get(ctx, "twiml-app-sid");
	int		 twilio = strcmp(ctx->argv[0], "twilio") == 0;
	int		 from_stdin = cmd_get(ctx, "auth-token-stdin") != NULL;
	char		*path = NULL, *token = NULL, *key = NULL, *cause = NULL;
	json_t		*body, *obj;
	int		 rc;

	if (twilio && sid == NULL)
		return cmd_usage_error(ctx->group, ctx->entry, "twilio needs "
		    "--account-sid");
	if (!twilio && (sid != NULL || from_stdin || key_sid != NULL ||
	    app_sid != NULL))
		return cmd_usage_error(ctx->group, ctx->entry, "--account-sid, "
		    "--auth-token-stdin, --api-key-sid and --twiml-app-sid are "
		    "for twilio");
	if (twilio && !from_stdin && !prompt_have_tty())
		return cmd_usage_error(ctx->group, ctx->entry, "no terminal to "
		    "ask on: use --auth-token-stdin");
	if ((rc = cmd_integrations_path(ctx, &path)) != EXIT_OK)
		return rc;
	if (twilio) {
		token = from_stdin ? prompt_stdin(&cause) :
		    prompt_line("Auth token: ", 0, &cause);
		if (token != NULL && key_sid != NULL)
			key = from_stdin ? prompt_stdin(&cause) :
			    prompt_line("API key secret: ", 0, &cause);
		if (token == NULL || (key_sid != NULL && key == NULL)) {
			free(cause);
			free(path);
			cli_error(token == NULL ? "no auth token" :
			    "no API key secret");
			prompt_free(token);
			return EXIT_FAIL;
		}
		body = json_pack("{s:s,s:s}", "account_sid", sid, "auth_token",
		    token);
		if (key_sid != NULL) {
			json_object_set_new(body, "api_key_sid",
			    json_string(key_sid));
			json_object_set_new(body, "api_key_secret",
			    json_string(key));
			prompt_free(key);
		}
		if (app_sid != NULL)
			json_object_set_new(body, "twiml_app_sid",
			    json_string(app_sid));
		prompt_free(token);
	} else
		body = json_object();
	rc = api_call(ctx->cli, "PUT", path, body, &obj);
	json_decref(body);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, twilio ? &cmd_integrations_resource :
	    &cmd_integrations_secret_resource, obj);
	if (!twilio)
		cli_info(ctx->cli, "the secret is shown this once: store it "
		    "with the sender now");
	json_decref(obj);
	return EXIT_OK;
}

static int
cmd_integrations_delete(struct cmd_ctx *ctx)
{
	const char	*kind = ctx->argv[0];
	char		*path, *question;
	int		 rc, yes;

	if (cmd_get(ctx, "yes") == NULL) {
		question = xasprintf("remove the %s secret? its webhooks will "
		    "be refused", kind);
		yes = prompt_confirm(question);
		free(question);
		if (yes == -1)
			return cmd_usage_error(ctx->group, ctx->entry,
			    "not removing the %s secret without --yes", kind);
		if (yes == 0) {
			cli_error("the %s secret is kept", kind);
			return EXIT_FAIL;
		}
	}
	if ((rc = cmd_integrations_path(ctx, &path)) != EXIT_OK)
		return rc;
	rc = api_call(ctx->cli, "DELETE", path, NULL, NULL);
	free(path);
	if (rc == EXIT_OK)
		cli_info(ctx->cli, "removed the %s secret", kind);
	return rc;
}
