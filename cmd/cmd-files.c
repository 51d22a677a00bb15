/*
 * calldocker files: upload, list, show, download and delete a company's
 * IVR prompts and recordings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "xmalloc.h"

/* Far above any sane max_upload_bytes; the daemon has the real limit. */
#define CMD_FILES_MAX	(1024L * 1024 * 1024)

static int	cmd_files_upload(struct cmd_ctx *);
static int	cmd_files_list(struct cmd_ctx *);
static int	cmd_files_get(struct cmd_ctx *);
static int	cmd_files_download(struct cmd_ctx *);
static int	cmd_files_delete(struct cmd_ctx *);

static const char *const cmd_files_kinds[] = { "prompt", "recording", NULL };
static const char *const cmd_files_types[] = { "audio/wav", "audio/mpeg",
	"audio/ogg", "audio/flac", NULL };

static const struct output_resource cmd_files_resource = {
	.name = "file",
	.plural = "files",
	.id_key = "id",
	.columns = {
		{ "ID", "id" },
		{ "KIND", "kind" },
		{ "NAME", "name" },
		{ "TYPE", "content_type" },
		{ "SIZE", "size" },
		{ "CREATED", "created_at" },
		{ NULL, NULL }
	},
};

static const struct cmd_flag cmd_files_upload_flags[] = {
	{ .name = "kind", .arg = "KIND", .values = cmd_files_kinds,
	  .help = "prompt (default) or recording" },
	{ .name = "name", .arg = "NAME", .help = "a name to show (1-200 bytes)" },
	{ .name = "type", .arg = "TYPE", .values = cmd_files_types,
	  .help = "the media type (default: from the file's extension)" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_files_list_flags[] = {
	{ .name = "kind", .arg = "KIND", .values = cmd_files_kinds,
	  .help = "only files of this kind" },
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_files_download_flags[] = {
	{ .name = "output-file", .short_name = 'O', .arg = "FILE",
	  .help = "write to FILE instead of standard output" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_files_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_files_verbs[] = {
	{ .name = "upload",
	  .usage = "FILE",
	  .summary = "upload a WAV, MP3, Ogg or FLAC file (\"-\": standard "
	      "input, with --type)",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_files_upload_flags,
	  .exec = cmd_files_upload },
	{ .name = "list",
	  .summary = "list the company's files",
	  .max_args = 0,
	  .flags = cmd_files_list_flags,
	  .exec = cmd_files_list },
	{ .name = "get",
	  .usage = "ID",
	  .summary = "show a file's metadata",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = "files list -q",
	  .exec = cmd_files_get },
	{ .name = "download",
	  .usage = "ID",
	  .summary = "write a file's content to standard output or -O FILE",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_files_download_flags,
	  .arg_complete = "files list -q",
	  .exec = cmd_files_download },
	{ .name = "delete",
	  .usage = "ID",
	  .summary = "delete a file",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_files_delete_flags,
	  .arg_complete = "files list -q",
	  .exec = cmd_files_delete },
	{ .name = NULL }
};

const struct cmd_entry cmd_files_entry = {
	.name = "files",
	.summary = "IVR prompts and call recordings",
	.children = cmd_files_verbs,
};

static const struct {
	const char	*ext, *type;
} cmd_files_exts[] = {
	{ ".wav", "audio/wav" }, { ".mp3", "audio/mpeg" },
	{ ".ogg", "audio/ogg" }, { ".oga", "audio/ogg" },
	{ ".opus", "audio/ogg" }, { ".flac", "audio/flac" },
};

static const char *
cmd_files_type(const char *path)
{
	const char	*dot = strrchr(path, '.');

	for (size_t i = 0; dot != NULL &&
	    i < sizeof cmd_files_exts / sizeof cmd_files_exts[0]; i++) {
		if (strcasecmp(dot, cmd_files_exts[i].ext) == 0)
			return cmd_files_exts[i].type;
	}
	return NULL;
}

/* The whole of path ("-": stdin). Caller frees; NULL after an error. */
static char *
cmd_files_read(const char *path, size_t *len)
{
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char	*buf = NULL;
	size_t	 cap = 0, n;

	*len = 0;
	if (f == NULL) {
		cli_error("cannot open \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (*len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0 && *len <= (size_t)CMD_FILES_MAX);
	if (ferror(f) || *len > (size_t)CMD_FILES_MAX) {
		cli_error("cannot read \"%s\": %s", path, ferror(f) ?
		    strerror(errno) : "too large");
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

static int
cmd_files_upload(struct cmd_ctx *ctx)
{
	struct client_response	 r;
	const char		*file = ctx->argv[0], *type = cmd_get(ctx, "type");
	const char		*v;
	char			*company, *path, *data;
	size_t			 len;
	int			 rc;

	if (type == NULL && (type = cmd_files_type(file)) == NULL)
		return cmd_usage_error(ctx->group, ctx->entry, "cannot tell the"
		    " type of \"%s\" from its name: give --type", file);
	if ((rc = cmd_own_company(ctx, &company)) != EXIT_OK)
		return rc;
	if ((data = cmd_files_read(file, &len)) == NULL) {
		free(company);
		return EXIT_FAIL;
	}
	path = api_path("/api/files/company/", company);
	free(company);
	if ((v = cmd_get(ctx, "kind")) != NULL)
		api_query_add(&path, "kind", v);
	if ((v = cmd_get(ctx, "name")) != NULL)
		api_query_add(&path, "name", v);
	rc = api_request_raw(ctx->cli, "POST", path, type, data, len, &r);
	free(path);
	free(data);
	if (rc != EXIT_OK)
		return rc;
	if (r.status != 201 || r.json == NULL)
		rc = api_report(ctx->cli, &r);
	else
		output_object(ctx->cli, &cmd_files_resource, r.json);
	client_response_free(&r);
	return rc;
}

static int
cmd_files_list(struct cmd_ctx *ctx)
{
	const char	*kind = cmd_get(ctx, "kind");
	char		*company, *path;
	int		 rc;

	if ((rc = cmd_own_company(ctx, &company)) != EXIT_OK)
		return rc;
	path = api_path("/api/files/company/", company);
	free(company);
	if (kind != NULL)
		api_query_add(&path, "kind", kind);
	rc = verbs_list(ctx, &cmd_files_resource, path);
	free(path);
	return rc;
}

static int
cmd_files_get(struct cmd_ctx *ctx)
{
	return verbs_get(ctx, &cmd_files_resource, "/api/files/");
}

/* GET path (a file's content) to out (NULL: standard output). */
int
cmd_files_save(struct cmd_ctx *ctx, const char *path, const char *out)
{
	struct client_response	 r;
	FILE			*f;
	int			 rc;

	rc = api_request(ctx->cli, "GET", path, NULL, &r);
	if (rc != EXIT_OK)
		return rc;
	if (r.status != 200) {
		rc = api_report(ctx->cli, &r);
		client_response_free(&r);
		return rc;
	}
	f = out != NULL ? fopen(out, "wb") : stdout;
	if (f == NULL) {
		cli_error("cannot create \"%s\": %s", out, strerror(errno));
		client_response_free(&r);
		return EXIT_FAIL;
	}
	if (fwrite(r.body, 1, r.len, f) != r.len || fflush(f) != 0) {
		cli_error("cannot write \"%s\": %s", out ? out : "stdout",
		    strerror(errno));
		rc = EXIT_FAIL;
	}
	if (f != stdout && fclose(f) != 0 && rc == EXIT_OK) {
		cli_error("cannot write \"%s\": %s", out, strerror(errno));
		rc = EXIT_FAIL;
	}
	client_response_free(&r);
	return rc;
}

static int
cmd_files_download(struct cmd_ctx *ctx)
{
	char	*id, *path;
	int	 rc;

	id = api_path("/api/files/", ctx->argv[0]);
	path = xasprintf("%s/content", id);
	free(id);
	rc = cmd_files_save(ctx, path, cmd_get(ctx, "output-file"));
	free(path);
	return rc;
}

static int
cmd_files_delete(struct cmd_ctx *ctx)
{
	return verbs_delete(ctx, &cmd_files_resource, "/api/files/");
}
