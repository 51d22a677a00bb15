/*
 * Talking to the daemon on the CLI's behalf: resolve the host and token
 * from flags, environment and the current context; send requests; refresh
 * an expired access token once; turn failures into one message on stderr
 * and an exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "xmalloc.h"

int
api_status_exit(long status)
{
	if (status == 404)
		return EXIT_NOTFOUND;
	if (status == 401 || status == 403)
		return EXIT_AUTH;
	return EXIT_FAIL;
}

/* Load the configuration file once. */
int
api_config(struct cli *cli)
{
	char	*cause = NULL;

	if (cli->cf != NULL)
		return EXIT_OK;
	if ((cli->cf = context_load(0, &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Name of the context in use: --context, else current-context. */
const char *
api_context_name(struct cli *cli)
{
	if (cli->context_flag != NULL)
		return cli->context_flag;
	return cli->cf != NULL ? cli->cf->current : NULL;
}

/*
 * Host: --host, CALLDOCKER_HOST, the context's host, the default socket.
 * CA file for https://: --cacert, CALLDOCKER_CACERT, the context's (for
 * its own host, like the token), else the system store.
 * Token: --token, CALLDOCKER_TOKEN, the context's token -- the last only
 * when the context belongs to the same host, so that --host elsewhere
 * never carries a saved token to another server.
 */
int
api_resolve(struct cli *cli)
{
	struct context	*ctx = NULL;
	const char	*env, *name;
	char		*sock;
	int		 rc;

	if (cli->host != NULL)
		return EXIT_OK;
	if ((rc = api_config(cli)) != EXIT_OK)
		return rc;
	name = api_context_name(cli);
	if (name != NULL && (ctx = context_find(cli->cf, name)) == NULL &&
	    cli->context_flag != NULL && !cli->new_context) {
		cli_error("context \"%s\" does not exist", name);
		return EXIT_FAIL;
	}

	if (cli->host_flag != NULL)
		cli->host = xstrdup(cli->host_flag);
	else if ((env = getenv("CALLDOCKER_HOST")) != NULL && *env != '\0')
		cli->host = xstrdup(env);
	else if (ctx != NULL && ctx->host != NULL)
		cli->host = xstrdup(ctx->host);
	else {
		sock = config_default_socket();
		cli->host = xasprintf("unix://%s", sock);
		free(sock);
	}

	if (cli->cacert_flag != NULL)
		cli->cacert = cli->cacert_flag;
	else if ((env = getenv("CALLDOCKER_CACERT")) != NULL && *env != '\0')
		cli->cacert = env;
	else if (ctx != NULL && ctx->cacert != NULL &&
	    (ctx->host == NULL || strcmp(ctx->host, cli->host) == 0))
		cli->cacert = ctx->cacert;

	if (cli->token_flag != NULL)
		env = cli->token_flag;
	else
		env = getenv("CALLDOCKER_TOKEN");
	if (env != NULL && *env != '\0')
		cli->token = xstrdup(env);
	else if (ctx != NULL && ctx->token != NULL &&
	    (ctx->host == NULL || strcmp(ctx->host, cli->host) == 0)) {
		cli->token = xstrdup(ctx->token);
		cli->token_from_context = 1;
	}
	return EXIT_OK;
}

int
api_open(struct cli *cli)
{
	char	*cause = NULL;
	int	 rc;

	if (cli->client != NULL)
		return EXIT_OK;
	if ((rc = api_resolve(cli)) != EXIT_OK)
		return rc;
	if ((cli->client = client_new(cli->host, &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_USAGE;
	}
	client_set_token(cli->client, cli->token);
	client_set_cacert(cli->client, cli->cacert);
	return EXIT_OK;
}

/*
 * Spend the context's refresh token for a new pair, under the file's lock.
 * If another process refreshed meanwhile, adopt its tokens instead.
 */
static int
api_refresh(struct cli *cli)
{
	struct context_file	*lk;
	struct context		*ctx;
	struct client_response	 r;
	json_t			*body;
	const char		*access, *refresh;
	char			*cause = NULL;
	int			 rc = -1;

	if ((lk = context_load(1, &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		return -1;
	}
	ctx = context_find(lk, api_context_name(cli));
	if (ctx == NULL || ctx->refresh_token == NULL || ctx->token == NULL)
		goto out;
	if (strcmp(ctx->token, cli->token) != 0) {
		context_set(&cli->token, ctx->token);
		client_set_token(cli->client, cli->token);
		rc = 0;
		goto out;
	}

	client_set_token(cli->client, NULL);
	body = json_pack("{s:s}", "refresh_token", ctx->refresh_token);
	if (client_request(cli->client, "POST", "/api/auth/refresh", body,
	    NULL, &r, &cause) != CLIENT_OK) {
		json_decref(body);
		free(cause);
		client_set_token(cli->client, cli->token);
		goto out;
	}
	json_decref(body);
	access = json_string_value(json_object_get(r.json, "access_token"));
	refresh = json_string_value(json_object_get(r.json, "refresh_token"));
	if (r.status == 200 && access != NULL && refresh != NULL) {
		context_set(&ctx->token, access);
		context_set(&ctx->refresh_token, refresh);
		context_set(&cli->token, access);
		if (context_save(lk, &cause) != 0) {
			cli_error("%s", cause);
			free(cause);
		}
		rc = 0;
	} else if (r.status == 401) {
		/* The session is over: forget its tokens. */
		context_set(&ctx->token, NULL);
		context_set(&ctx->refresh_token, NULL);
		if (context_save(lk, &cause) != 0) {
			cli_error("%s", cause);
			free(cause);
		}
	}
	client_response_free(&r);
	client_set_token(cli->client, cli->token);
out:
	context_free(lk);
	return rc;
}

/*
 * Renew the access token of the context now, before it expires (for a
 * long-lived connection that presents it, like the agent console's
 * WebSocket). 0 when cli->token is a fresh one; -1 when the token did not
 * come from the context or the refresh failed.
 */
int
api_renew(struct cli *cli)
{
	if (!cli->token_from_context || cli->client == NULL)
		return -1;
	return api_refresh(cli);
}

/* A raw request body and its Content-Type, for api_send. */
struct api_raw {
	const char	*type;
	const char	*data;
	size_t		 len;
};

/*
 * Send a request with extra headers ("Name: value", NULL-terminated, or
 * NULL) and a JSON body, a raw body or neither, refreshing an expired
 * access token once. Transport failures are reported here; any HTTP
 * answer fills *r (caller frees).
 */
static int
api_send(struct cli *cli, const char *method, const char *path,
    const char *const *headers, json_t *body, const struct api_raw *raw,
    struct client_response *r)
{
	enum client_status	 st;
	char			*cause = NULL;
	int			 rc, retried = 0;

	memset(r, 0, sizeof *r);
	if ((rc = api_open(cli)) != EXIT_OK)
		return rc;
again:
	if (raw != NULL)
		st = client_request_raw(cli->client, method, path, raw->type,
		    raw->data, raw->len, headers, r, &cause);
	else
		st = client_request(cli->client, method, path, body, headers,
		    r, &cause);
	if (st == CLIENT_UNREACHABLE) {
		cli_error("%s (is calldockerd running?)", cause);
		free(cause);
		return EXIT_UNREACHABLE;
	}
	if (st == CLIENT_TLS) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_UNREACHABLE;
	}
	if (st != CLIENT_OK) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (r->status == 401 && !retried && cli->token_from_context &&
	    strcmp(path, "/api/auth/login") != 0 &&
	    strcmp(path, "/api/auth/refresh") != 0) {
		retried = 1;
		if (api_refresh(cli) == 0) {
			client_response_free(r);
			goto again;
		}
	}
	return EXIT_OK;
}

int
api_request(struct cli *cli, const char *method, const char *path,
    json_t *body, struct client_response *r)
{
	return api_send(cli, method, path, NULL, body, NULL, r);
}

/* Send len bytes of data as Content-Type type; as api_request. */
int
api_request_raw(struct cli *cli, const char *method, const char *path,
    const char *type, const char *data, size_t len, struct client_response *r)
{
	struct api_raw	 raw = { .type = type, .data = data, .len = len };

	return api_send(cli, method, path, NULL, NULL, &raw, r);
}

/* Report an error answer on stderr; returns its exit status. */
int
api_report(struct cli *cli, const struct client_response *r)
{
	char	*msg = client_problem(r);

	if (r->status == 401 && cli->token == NULL)
		cli_error("%s (log in with 'calldocker login')", msg);
	else if (r->status == 401 && cli->token_from_context)
		cli_error("%s (the session has ended: log in again with "
		    "'calldocker login')", msg);
	else
		cli_error("%s", msg);
	free(msg);
	return api_status_exit(r->status);
}

/*
 * Send a request with extra headers (see api_send) and report any failure.
 * On success *out (if not NULL) gets the parsed answer, or NULL for 204;
 * the caller decrefs it.
 */
int
api_call_headers(struct cli *cli, const char *method, const char *path,
    const char *const *headers, json_t *body, json_t **out)
{
	struct client_response	 r;
	int			 rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = api_send(cli, method, path, headers, body, NULL, &r)) !=
	    EXIT_OK)
		return rc;
	if (r.status >= 400 || r.status < 200)
		rc = api_report(cli, &r);
	else if (out != NULL && r.status != 204 && r.json == NULL) {
		cli_error("the answer from \"%s\" is not JSON", cli->host);
		rc = EXIT_FAIL;
	} else if (out != NULL) {
		*out = r.json;
		r.json = NULL;
	}
	client_response_free(&r);
	return rc;
}

int
api_call(struct cli *cli, const char *method, const char *path, json_t *body,
    json_t **out)
{
	return api_call_headers(cli, method, path, NULL, body, out);
}

/* Append key=value to the query of *path, escaping the value. */
void
api_query_add(char **path, const char *key, const char *value)
{
	char	*v, *p;

	v = client_escape(value);
	p = xasprintf("%s%c%s=%s", *path, strchr(*path, '?') ? '&' : '?', key,
	    v);
	free(v);
	free(*path);
	*path = p;
}

/* prefix followed by the escaped id: "/api/users/" + id. Caller frees. */
char *
api_path(const char *prefix, const char *id)
{
	char	*e, *p;

	e = client_escape(id);
	p = xasprintf("%s%s", prefix, e);
	free(e);
	return p;
}

/*
 * GET a list; with all, follow next_cursor to the end. *items gets the
 * items of every page fetched; the caller decrefs it.
 */
int
api_list(struct cli *cli, const char *path, int all, long limit,
    json_t **items)
{
	json_t		*page = NULL, *cursor;
	char		*p, *next = NULL, limit_s[32];
	int		 rc;

	*items = json_array();
	for (;;) {
		p = xstrdup(path);
		if (limit > 0) {
			snprintf(limit_s, sizeof limit_s, "%ld", limit);
			api_query_add(&p, "limit", limit_s);
		}
		if (next != NULL)
			api_query_add(&p, "cursor", next);
		rc = api_call(cli, "GET", p, NULL, &page);
		free(p);
		free(next);
		next = NULL;
		if (rc != EXIT_OK)
			goto fail;
		if (!json_is_array(json_object_get(page, "items"))) {
			cli_error("the answer from \"%s\" has no \"items\"",
			    cli->host);
			rc = EXIT_FAIL;
			goto fail;
		}
		json_array_extend(*items, json_object_get(page, "items"));
		cursor = json_object_get(page, "next_cursor");
		if (json_is_string(cursor) && *json_string_value(cursor) != '\0')
			next = xstrdup(json_string_value(cursor));
		json_decref(page);
		page = NULL;
		if (next == NULL)
			break;
		if (!all) {
			if (!cli->quiet && isatty(STDERR_FILENO))
				cli_error("more results: use --all or --limit");
			free(next);
			break;
		}
	}
	return EXIT_OK;

fail:
	json_decref(page);
	json_decref(*items);
	*items = NULL;
	return rc;
}
