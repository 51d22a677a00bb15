/*
 * calldocker ivr: the flows stored in the daemon. list, show, export and
 * versions read them; import uploads files as new versions (the same
 * content adds none), diff compares a file with what is stored; activate,
 * rollback and delete change them. A flow is named by its ID or its name.
 */
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "ivr.h"
#include "xmalloc.h"

#define CMD_IVR_STORE_DIFF	"/usr/bin/diff"
#define CMD_IVR_STORE_MAXVER	1000000

static char	*cmd_ivr_store_yes_no(json_t *);
static char	*cmd_ivr_store_hash(json_t *);

static const struct output_resource cmd_ivr_store_flows = {
	.name = "flow",
	.plural = "flows",
	.id_key = "id",
	.columns = {
		{ "ID", "id", NULL },
		{ "NAME", "name", NULL },
		{ "ACTIVE", "active_version", NULL },
		{ "LATEST", "latest_version", NULL },
		{ "ENTRY", "entry", cmd_ivr_store_yes_no },
		{ "UPDATED", "updated_at", NULL },
		{ NULL, NULL, NULL }
	},
};

static const struct output_resource cmd_ivr_store_versions_res = {
	.name = "version",
	.plural = "versions",
	.id_key = "version",
	.columns = {
		{ "VERSION", "version", NULL },
		{ "HASH", "content_hash", cmd_ivr_store_hash },
		{ "ACTIVE", "active", cmd_ivr_store_yes_no },
		{ "AUTHOR", "author_id", NULL },
		{ "CREATED", "created_at", NULL },
		{ NULL, NULL, NULL }
	},
};

static char *
cmd_ivr_store_yes_no(json_t *v)
{
	return xstrdup(json_is_true(v) ? "yes" : "no");
}

static char *
cmd_ivr_store_hash(json_t *v)
{
	return xstrndup(json_is_string(v) ? json_string_value(v) : "", 12);
}

/* Write s with control characters as '?': names come from elsewhere. */
static void
cmd_ivr_store_put(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* A copy of s fit for a message. Caller frees. */
static char *
cmd_ivr_store_clean(const char *s)
{
	char	*c, *p;

	c = xstrdup(s != NULL ? s : "");
	for (p = c; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return c;
}

static int
cmd_ivr_store_is_uuid(const char *s)
{
	size_t	 i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* "/api/ivr/" + escaped id + suffix. Caller frees. */
static char *
cmd_ivr_store_path(const char *id, const char *suffix)
{
	char	*p, *path;

	p = api_path("/api/ivr/", id);
	path = xasprintf("%s%s", p, suffix);
	free(p);
	return path;
}

/*
 * The flow called name, matched exactly, else ignoring case; with
 * --company only that company's. EXIT_NOTFOUND without a word if none.
 */
static int
cmd_ivr_store_find(struct cli *cli, const char *name, json_t **out)
{
	json_t		*items, *f, *exact = NULL, *other = NULL;
	const char	*n, *co;
	size_t		 i, nexact = 0, nother = 0;
	char		*clean;
	int		 rc;

	*out = NULL;
	if ((rc = api_list(cli, "/api/ivr", 1, 500, &items)) != EXIT_OK)
		return rc;
	json_array_foreach(items, i, f) {
		n = json_string_value(json_object_get(f, "name"));
		co = json_string_value(json_object_get(f, "company_id"));
		if (n == NULL || (cli->company != NULL &&
		    (co == NULL || strcmp(co, cli->company) != 0)))
			continue;
		if (strcmp(n, name) == 0) {
			exact = f;
			nexact++;
		} else if (strcasecmp(n, name) == 0) {
			other = f;
			nother++;
		}
	}
	f = nexact > 0 ? exact : other;
	if (nexact > 1 || (nexact == 0 && nother > 1)) {
		clean = cmd_ivr_store_clean(name);
		cli_error("more than one flow is called \"%s\": use its ID%s",
		    clean, cli->company == NULL ? " or --company" : "");
		free(clean);
		rc = EXIT_FAIL;
	} else if (f == NULL || !json_is_string(json_object_get(f, "id")))
		rc = EXIT_NOTFOUND;
	else
		*out = json_incref(f);
	json_decref(items);
	return rc;
}

/* The ID of the flow the first argument names: an ID, or a name. */
static int
cmd_ivr_store_resolve(struct cmd_ctx *ctx, char **id)
{
	const char	*arg = ctx->argv[0];
	json_t		*flow;
	char		*clean;
	int		 rc;

	*id = NULL;
	if (cmd_ivr_store_is_uuid(arg)) {
		*id = xstrdup(arg);
		return EXIT_OK;
	}
	if ((rc = cmd_ivr_store_find(ctx->cli, arg, &flow)) == EXIT_NOTFOUND) {
		clean = cmd_ivr_store_clean(arg);
		cli_error("no flow \"%s\"", clean);
		free(clean);
	}
	if (rc != EXIT_OK)
		return rc;
	*id = xstrdup(json_string_value(json_object_get(flow, "id")));
	json_decref(flow);
	return EXIT_OK;
}

/* POST or GET id + suffix (body NULL for none) and print the flow. */
static int
cmd_ivr_store_send(struct cmd_ctx *ctx, const char *method,
    const char *suffix, json_t *body)
{
	json_t	*obj;
	char	*id, *path;
	int	 rc;

	if ((rc = cmd_ivr_store_resolve(ctx, &id)) != EXIT_OK)
		return rc;
	path = cmd_ivr_store_path(id, suffix);
	rc = api_call(ctx->cli, method, path, body, &obj);
	free(path);
	free(id);
	if (rc != EXIT_OK)
		return rc;
	output_object(ctx->cli, &cmd_ivr_store_flows, obj);
	json_decref(obj);
	return EXIT_OK;
}

int
cmd_ivr_store_list(struct cmd_ctx *ctx)
{
	return verbs_list(ctx, &cmd_ivr_store_flows, "/api/ivr");
}

/* One "Key: value" line of show. */
static void
cmd_ivr_store_field(const char *key, json_t *v)
{
	char	*s;

	printf("%-12s ", key);
	if (json_is_string(v))
		cmd_ivr_store_put(stdout, json_string_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", stdout);
	else if (v == NULL || json_is_null(v))
		fputc('-', stdout);
	else {
		s = output_json_text(v, 0);
		fputs(s, stdout);
		free(s);
	}
	fputc('\n', stdout);
}

/* Table output: the flow's fields, then the content of its version. */
int
cmd_ivr_store_show(struct cmd_ctx *ctx)
{
	static const struct {
		const char	*label;
		const char	*key;
	} fields[] = {
		{ "Name:", "name" },
		{ "ID:", "id" },
		{ "Description:", "description" },
		{ "Active:", "active_version" },
		{ "Latest:", "latest_version" },
		{ "Entry:", "entry" },
		{ "Created:", "created_at" },
		{ "Updated:", "updated_at" },
		{ "Version:", "version" },
		{ "Hash:", "content_hash" },
	};
	const char	*content;
	json_t		*obj;
	size_t		 i, len;
	char		*id, *path;
	int		 rc;

	if ((rc = cmd_ivr_store_resolve(ctx, &id)) != EXIT_OK)
		return rc;
	path = cmd_ivr_store_path(id, "");
	rc = api_call(ctx->cli, "GET", path, NULL, &obj);
	free(path);
	free(id);
	if (rc != EXIT_OK)
		return rc;
	if (ctx->cli->quiet || ctx->cli->output != OUTPUT_TABLE) {
		output_object(ctx->cli, &cmd_ivr_store_flows, obj);
		json_decref(obj);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		cmd_ivr_store_field(fields[i].label,
		    json_object_get(obj, fields[i].key));
	if ((content = json_string_value(json_object_get(obj,
	    "content"))) != NULL) {
		len = json_string_length(json_object_get(obj, "content"));
		fputc('\n', stdout);
		fwrite(content, 1, len, stdout);
		if (len > 0 && content[len - 1] != '\n')
			fputc('\n', stdout);
	}
	json_decref(obj);
	return EXIT_OK;
}

/* GET the YAML of a version of flow id (0: active, else latest). */
static int
cmd_ivr_store_fetch(struct cli *cli, const char *id, long long version,
    struct client_response *r)
{
	char	*path, n[32];
	int	 rc;

	path = cmd_ivr_store_path(id, "/export");
	if (version > 0) {
		snprintf(n, sizeof n, "%lld", version);
		api_query_add(&path, "version", n);
	}
	rc = api_request(cli, "GET", path, NULL, r);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	if (r->status != 200) {
		rc = api_report(cli, r);
		client_response_free(r);
	}
	return rc;
}

/* The YAML exactly as stored, whatever -o says. */
int
cmd_ivr_store_export(struct cmd_ctx *ctx)
{
	struct client_response	 r;
	const char		*v = cmd_get(ctx, "version");
	long long		 version = 0;
	char			*id;
	int			 rc;

	if (v != NULL && args_number(v, 1, CMD_IVR_STORE_MAXVER,
	    &version) != 0)
		return cmd_usage_error(ctx->group, ctx->entry, "bad --version "
		    "\"%s\": must be a whole number from 1 to %d", v,
		    CMD_IVR_STORE_MAXVER);
	if ((rc = cmd_ivr_store_resolve(ctx, &id)) != EXIT_OK)
		return rc;
	rc = cmd_ivr_store_fetch(ctx->cli, id, version, &r);
	free(id);
	if (rc != EXIT_OK)
		return rc;
	fwrite(r.body, 1, r.len, stdout);
	client_response_free(&r);
	return EXIT_OK;
}

int
cmd_ivr_store_versions(struct cmd_ctx *ctx)
{
	json_t	*obj;
	char	*id, *path;
	int	 rc;

	if ((rc = cmd_ivr_store_resolve(ctx, &id)) != EXIT_OK)
		return rc;
	path = cmd_ivr_store_path(id, "/versions");
	rc = api_call(ctx->cli, "GET", path, NULL, &obj);
	free(path);
	free(id);
	if (rc != EXIT_OK)
		return rc;
	output_list(ctx->cli, &cmd_ivr_store_versions_res,
	    json_object_get(obj, "items"));
	json_decref(obj);
	return EXIT_OK;
}

int
cmd_ivr_store_activate(struct cmd_ctx *ctx)
{
	json_t	*body = json_object();
	int	 rc;

	rc = args_int(ctx, body, "version", "version", 1, CMD_IVR_STORE_MAXVER);
	if (rc == EXIT_OK) {
		if (cmd_get(ctx, "entry") != NULL)
			json_object_set_new(body, "entry", json_true());
		rc = cmd_ivr_store_send(ctx, "POST", "/activate", body);
	}
	json_decref(body);
	return rc;
}

int
cmd_ivr_store_rollback(struct cmd_ctx *ctx)
{
	return cmd_ivr_store_send(ctx, "POST", "/rollback", NULL);
}

/* Asks on a terminal unless --yes; scripts are not asked. */
int
cmd_ivr_store_delete(struct cmd_ctx *ctx)
{
	char	*id, *path, *question, *name;
	int	 rc, yes = 1;

	if ((rc = cmd_ivr_store_resolve(ctx, &id)) != EXIT_OK)
		return rc;
	name = cmd_ivr_store_clean(ctx->argv[0]);
	if (cmd_get(ctx, "yes") == NULL) {
		question = xasprintf("delete flow \"%s\" and all its versions?",
		    name);
		yes = prompt_confirm(question);
		free(question);
	}
	if (yes == 0) {
		cli_error("flow \"%s\" not deleted", name);
		rc = EXIT_FAIL;
	} else {
		path = cmd_ivr_store_path(id, "");
		rc = api_call(ctx->cli, "DELETE", path, NULL, NULL);
		free(path);
		if (rc == EXIT_OK)
			cli_info(ctx->cli, "deleted flow \"%s\"", name);
	}
	free(name);
	free(id);
	return rc;
}

/*
 * Read a flow file ("-": stdin) whole, refusing what no daemon takes: more
 * than IVR_MAX_INPUT bytes, or nothing. Caller frees.
 */
static char *
cmd_ivr_store_read(const char *path, size_t *len)
{
	const char	*label = cmd_ivr_label(path);
	char		*buf, *cause;

	if ((buf = cmd_ivr_read(path, len, &cause)) == NULL) {
		cli_error("%s: cannot read: %s", label, cause);
		free(cause);
		return NULL;
	}
	if (*len > IVR_MAX_INPUT)
		cli_error("%s: larger than %d bytes (1 MiB), the most a flow "
		    "may have", label, IVR_MAX_INPUT);
	else if (*len == 0)
		cli_error("%s: the file is empty", label);
	else
		return buf;
	free(buf);
	return NULL;
}

/* A daemon's diagnostics ({line, column, severity, message}) gcc-style. */
static void
cmd_ivr_store_diags(FILE *f, const char *label, json_t *diags)
{
	json_t		*d;
	json_int_t	 line, col;
	const char	*sev;
	size_t		 i;

	json_array_foreach(diags, i, d) {
		line = json_integer_value(json_object_get(d, "line"));
		col = json_integer_value(json_object_get(d, "column"));
		sev = json_string_value(json_object_get(d, "severity"));
		if (line > 0)
			fprintf(f, "%s:%lld:%lld: ", label, (long long)line,
			    (long long)col);
		else
			fprintf(f, "%s: ", label);
		cmd_ivr_store_put(f, sev != NULL ? sev : "error");
		fputs(": ", f);
		cmd_ivr_store_put(f, json_string_value(json_object_get(d,
		    "message")));
		fputc('\n', f);
	}
}

/* What one file's answer says, in the table format. */
static int
cmd_ivr_store_imported(struct cmd_ctx *ctx, const char *label,
    const struct client_response *r, int dry_run)
{
	json_t		*o = r->json;
	json_int_t	 version;
	const char	*name;

	if (dry_run || !ctx->cli->quiet)
		cmd_ivr_store_diags(stdout, label, json_object_get(o,
		    "diagnostics"));
	if (dry_run) {
		if (!json_is_true(json_object_get(o, "valid")))
			return EXIT_FAIL;
		cli_info(ctx->cli, "%s: valid (dry run: nothing stored)", label);
		return EXIT_OK;
	}
	if (ctx->cli->quiet) {
		cmd_ivr_store_put(stdout, json_string_value(json_object_get(o,
		    "id")));
		fputc('\n', stdout);
		return EXIT_OK;
	}
	name = json_string_value(json_object_get(o, "name"));
	version = json_integer_value(json_object_get(o, "version"));
	printf("%s: \"", label);
	cmd_ivr_store_put(stdout, name);
	if (json_is_true(json_object_get(o, "unchanged")))
		printf("\" unchanged (version %lld)", (long long)version);
	else
		printf("\" version %lld", (long long)version);
	if (cmd_get(ctx, "activate") != NULL && version ==
	    json_integer_value(json_object_get(o, "active_version")))
		fputs(" (active)", stdout);
	fputc('\n', stdout);
	return EXIT_OK;
}

/* Upload one file; all gets the answer for -o json and yaml. */
static int
cmd_ivr_store_import1(struct cmd_ctx *ctx, const char *file, json_t *all)
{
	struct client_response	 r;
	const char		*label = cmd_ivr_label(file);
	int			 dry_run = cmd_get(ctx, "dry-run") != NULL;
	char			*buf, *path, *msg;
	size_t			 len;
	int			 rc;

	if ((buf = cmd_ivr_store_read(file, &len)) == NULL)
		return EXIT_FAIL;
	path = xstrdup(dry_run ? "/api/ivr/validate" : "/api/ivr");
	if (!dry_run && cmd_get(ctx, "activate") != NULL)
		api_query_add(&path, "activate", "true");
	if (ctx->cli->company != NULL)
		api_query_add(&path, "company_id", ctx->cli->company);
	rc = api_request_raw(ctx->cli, "POST", path, "application/yaml", buf,
	    len, &r);
	free(path);
	free(buf);
	if (rc != EXIT_OK)
		return rc;

	if (r.status == 401 || r.status == 403)
		rc = api_report(ctx->cli, &r);
	else if ((r.status >= 400 && r.status != 422) || r.status < 200) {
		msg = client_problem(&r);
		cli_error("%s: %s", label, msg);
		free(msg);
		rc = api_status_exit(r.status);
	} else if (!json_is_object(r.json)) {
		cli_error("%s: the answer from \"%s\" is not JSON", label,
		    ctx->cli->host);
		rc = EXIT_FAIL;
	} else if (ctx->cli->output == OUTPUT_JSON ||
	    ctx->cli->output == OUTPUT_YAML) {
		json_object_set_new(r.json, "file", json_string(label));
		json_array_append(all, r.json);
		if (r.status == 422 ||
		    json_is_false(json_object_get(r.json, "valid")))
			rc = EXIT_FAIL;
	} else if (r.status == 422) {
		cmd_ivr_store_diags(stdout, label, json_object_get(r.json,
		    "diagnostics"));
		rc = EXIT_FAIL;
	} else
		rc = cmd_ivr_store_imported(ctx, label, &r, dry_run);
	client_response_free(&r);
	return rc;
}

/*
 * Every file is tried; a failure to reach or be let into the daemon stops
 * the run. With -o json or yaml, the daemon's answer for each file (with
 * "file" added): one object for one file, else an array.
 */
int
cmd_ivr_store_import(struct cmd_ctx *ctx)
{
	json_t	*all = json_array(), *out;
	int	 i, rc = EXIT_OK, one;

	for (i = 0; i < ctx->argc; i++) {
		one = cmd_ivr_store_import1(ctx, ctx->argv[i], all);
		if (one != EXIT_OK && rc == EXIT_OK)
			rc = one;
		if (one != EXIT_OK && one != EXIT_FAIL)
			break;
	}
	out = ctx->argc == 1 ? json_array_get(all, 0) : all;
	if (out != NULL && ctx->cli->output == OUTPUT_JSON) {
		output_json(stdout, out);
	} else if (out != NULL && ctx->cli->output == OUTPUT_YAML)
		output_yaml(stdout, out);
	json_decref(all);
	return rc;
}

/* A temporary file holding len bytes of data. Caller unlinks and frees. */
static char *
cmd_ivr_store_temp(const char *data, size_t len)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;
	ssize_t		 n;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	path = xasprintf("%s/calldocker-ivr.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		cli_error("cannot create a file in %s: %s", dir,
		    strerror(errno));
		free(path);
		return NULL;
	}
	while (len > 0) {
		if ((n = write(fd, data, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_error("cannot write %s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			free(path);
			return NULL;
		}
		data += n;
		len -= (size_t)n;
	}
	close(fd);
	return path;
}

/* Run diff -u (no shell) from the stored version a to the file b. */
static void
cmd_ivr_store_udiff(const char *a, size_t alen, const char *alabel,
    const char *b, size_t blen, const char *blabel)
{
	char	*ta = NULL, *tb = NULL;
	pid_t	 pid;
	int	 status;

	if ((ta = cmd_ivr_store_temp(a, alen)) == NULL ||
	    (tb = cmd_ivr_store_temp(b, blen)) == NULL)
		goto out;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		cli_error("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execl(CMD_IVR_STORE_DIFF, "diff", "-u", "--label", alabel,
		    "--label", blabel, ta, tb, (char *)NULL);
		fprintf(stderr, "calldocker: cannot run %s: %s\n",
		    CMD_IVR_STORE_DIFF, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		cli_error("%s failed; the files differ", CMD_IVR_STORE_DIFF);
out:
	if (ta != NULL)
		unlink(ta);
	if (tb != NULL)
		unlink(tb);
	free(ta);
	free(tb);
}

/*
 * Compare a file with the active (else latest) version of the flow of its
 * name: 0 the same, 1 different (and a unified diff), 3 no such flow.
 */
int
cmd_ivr_store_diff(struct cmd_ctx *ctx)
{
	struct client_response	 r;
	struct ivr_options	 opt = { 0 };
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	const char		*file = ctx->argv[0], *id;
	const char		*label = cmd_ivr_label(file);
	json_t			*found = NULL, *v;
	json_int_t		 version;
	char			*buf, *name = NULL, *alabel;
	size_t			 len;
	int			 rc;

	if ((buf = cmd_ivr_store_read(file, &len)) == NULL)
		return EXIT_FAIL;
	opt.zoneinfo = getenv("TZDIR");
	ivr_diags_init(&d);
	if ((flow = ivr_flow_parse(buf, len, &opt, &d)) == NULL) {
		ivr_diags_print(stderr, label, &d);
		cli_error("%s: the flow has errors, so it cannot be compared",
		    label);
		rc = EXIT_FAIL;
		goto out;
	}
	name = cmd_ivr_store_clean(flow->name);
	if ((rc = cmd_ivr_store_find(ctx->cli, flow->name, &found)) !=
	    EXIT_OK) {
		if (rc == EXIT_NOTFOUND)
			cli_error("%s: no flow \"%s\" in the daemon", label,
			    name);
		goto out;
	}
	id = json_string_value(json_object_get(found, "id"));
	v = json_object_get(found, "active_version");
	if (json_is_null(v) || v == NULL)
		v = json_object_get(found, "latest_version");
	version = json_integer_value(v);
	if ((rc = cmd_ivr_store_fetch(ctx->cli, id, version, &r)) != EXIT_OK)
		goto out;
	if (r.len == len && memcmp(r.body, buf, len) == 0)
		cli_info(ctx->cli, "%s: the same as \"%s\" version %lld", label,
		    name, (long long)version);
	else {
		alabel = xasprintf("%s (version %lld in the daemon)", name,
		    (long long)version);
		cmd_ivr_store_udiff(r.body, r.len, alabel, buf, len, label);
		free(alabel);
		rc = EXIT_FAIL;
	}
	client_response_free(&r);
out:
	json_decref(found);
	ivr_flow_free(flow);
	ivr_diags_free(&d);
	free(name);
	free(buf);
	return rc;
}
