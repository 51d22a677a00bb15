/*
 * calldocker ivr: IVR flows. validate and simulate work offline, with the
 * daemon's own parser, validator and engine (common/ivr*.c); validate's
 * diagnostics are its result, so they go to stdout, in gcc's format or
 * as JSON with -o json. The other verbs work on the flows stored in the
 * daemon (cmd-ivr-store.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "ivr.h"
#include "xmalloc.h"

static int	cmd_ivr_validate(struct cmd_ctx *);

static const struct cmd_flag cmd_ivr_validate_flags[] = {
	{ .name = "strict", .help = "fail on warnings too" },
	{ .name = "queues", .arg = "LIST",
	  .help = "the queues that exist, comma-separated: others are errors" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_ivr_simulate_flags[] = {
	{ .name = "input", .arg = "LIST", .repeat = 1,
	  .help = "what happens at each wait, comma-separated: digits, "
	      "timeout, hangup; answered, timeout or failed in a queue; "
	      "recorded" },
	{ .name = "http", .arg = "STATUS[:BODY]", .repeat = 1,
	  .help = "the answer to each http node in turn (default: none, "
	      "status 0)" },
	{ .name = "at", .arg = "TIME",
	  .help = "time of the call, RFC 3339 (default: now)" },
	{ .name = "var", .arg = "NAME=VALUE", .repeat = 1,
	  .help = "set a variable before the start" },
	{ .name = "caller", .arg = "NUMBER", .help = "the caller's number" },
	{ .name = "caller-name", .arg = "NAME", .help = "the caller's name" },
	{ .name = "caller-field", .arg = "NAME=VALUE", .repeat = 1,
	  .help = "another field of caller data" },
	{ .name = NULL }
};

#define CMD_IVR_IDS	"ivr list -q"

static const struct cmd_flag cmd_ivr_list_flags[] = {
	{ .name = "limit", .arg = "N", .help = "at most N per page (1-500)" },
	{ .name = "all", .help = "fetch every page" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_ivr_export_flags[] = {
	{ .name = "version", .arg = "N",
	  .help = "this version (default: the active, else the latest)" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_ivr_import_flags[] = {
	{ .name = "activate", .help = "make what is imported the active "
	      "version" },
	{ .name = "dry-run", .help = "only validate against the daemon's "
	      "queues; store nothing" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_ivr_activate_flags[] = {
	{ .name = "version", .arg = "N",
	  .help = "the version to activate (default: the latest)" },
	{ .name = "entry", .help = "also make it the company's entry flow, "
	      "which incoming calls enter" },
	{ .name = NULL }
};

static const struct cmd_flag cmd_ivr_delete_flags[] = {
	{ .name = "yes", .help = "do not ask for confirmation on a terminal" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_ivr_verbs[] = {
	{ .name = "validate",
	  .usage = "FILE...",
	  .summary = "check flows offline and print problems as "
	      "FILE:LINE:COLUMN",
	  .min_args = 1, .max_args = -1,
	  .flags = cmd_ivr_validate_flags,
	  .exec = cmd_ivr_validate },
	{ .name = "simulate",
	  .usage = "FILE",
	  .summary = "walk a flow offline and print the path and actions",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_ivr_simulate_flags,
	  .exec = cmd_ivr_simulate },
	{ .name = "import",
	  .usage = "FILE...",
	  .summary = "store flows in the daemon, a new version when changed",
	  .min_args = 1, .max_args = -1,
	  .flags = cmd_ivr_import_flags,
	  .exec = cmd_ivr_store_import },
	{ .name = "diff",
	  .usage = "FILE",
	  .summary = "compare a file with the active version of its flow",
	  .min_args = 1, .max_args = 1,
	  .exec = cmd_ivr_store_diff },
	{ .name = "list",
	  .summary = "list the flows in the daemon",
	  .max_args = 0,
	  .flags = cmd_ivr_list_flags,
	  .exec = cmd_ivr_store_list },
	{ .name = "show",
	  .usage = "ID|NAME",
	  .summary = "show a flow and the content of its active version",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_IVR_IDS,
	  .exec = cmd_ivr_store_show },
	{ .name = "export",
	  .usage = "ID|NAME",
	  .summary = "print a version of a flow as stored",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_ivr_export_flags,
	  .arg_complete = CMD_IVR_IDS,
	  .exec = cmd_ivr_store_export },
	{ .name = "versions",
	  .usage = "ID|NAME",
	  .summary = "list the versions of a flow",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_IVR_IDS,
	  .exec = cmd_ivr_store_versions },
	{ .name = "activate",
	  .usage = "ID|NAME",
	  .summary = "make a version of a flow the active one (manager)",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_ivr_activate_flags,
	  .arg_complete = CMD_IVR_IDS,
	  .exec = cmd_ivr_store_activate },
	{ .name = "rollback",
	  .usage = "ID|NAME",
	  .summary = "make the version before the active one active (manager)",
	  .min_args = 1, .max_args = 1,
	  .arg_complete = CMD_IVR_IDS,
	  .exec = cmd_ivr_store_rollback },
	{ .name = "delete",
	  .usage = "ID|NAME",
	  .summary = "delete a flow and all its versions (manager)",
	  .min_args = 1, .max_args = 1,
	  .flags = cmd_ivr_delete_flags,
	  .arg_complete = CMD_IVR_IDS,
	  .exec = cmd_ivr_store_delete },
	{ .name = NULL }
};

const struct cmd_entry cmd_ivr_entry = {
	.name = "ivr",
	.summary = "manage IVR flows",
	.children = cmd_ivr_verbs,
};

/* The whole file, or "-" for stdin; a little over the parser's limit. */
char *
cmd_ivr_read(const char *path, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		*cause = xstrdup(strerror(errno));
		return NULL;
	}
	buf = xmalloc(IVR_MAX_INPUT + 2);
	*len = fread(buf, 1, IVR_MAX_INPUT + 1, f);
	if (ferror(f)) {
		*cause = xstrdup(errno != 0 ? strerror(errno) : "read error");
		free(buf);
		buf = NULL;
	} else
		buf[*len] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
}

/* Split a comma-separated list into a NULL-terminated array. */
char **
cmd_ivr_split(const char *const *values)
{
	char	**v = NULL, *dup, *s, *tok;
	size_t	  n = 0;

	v = xcalloc(1, sizeof *v);
	for (; values != NULL && *values != NULL; values++) {
		s = dup = xstrdup(*values);
		while ((tok = strsep(&s, ",")) != NULL) {
			if (*tok == '\0')
				continue;
			v = xrealloc(v, (n + 2) * sizeof *v);
			v[n++] = xstrdup(tok);
			v[n] = NULL;
		}
		free(dup);
	}
	return v;
}

void
cmd_ivr_split_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * Parse and validate path; diagnostics go to d. Returns the flow if it
 * has no errors.
 */
struct ivr_flow *
cmd_ivr_load(const char *path, const struct ivr_options *opt,
    struct ivr_diags *d)
{
	struct ivr_flow	*flow;
	char		*buf, *cause;
	size_t		 len;

	if ((buf = cmd_ivr_read(path, &len, &cause)) == NULL) {
		ivr_diag_add(d, IVR_ERROR, (struct ivr_pos){ 0, 0 },
		    "cannot read: %s", cause);
		free(cause);
		return NULL;
	}
	flow = ivr_flow_parse(buf, len, opt, d);
	free(buf);
	return flow;
}

const char *
cmd_ivr_label(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static int
cmd_ivr_validate(struct cmd_ctx *ctx)
{
	struct ivr_options	 opt;
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	json_t			*all = json_array();
	char			**queues = NULL;
	const char		*q;
	size_t			 errors = 0, warnings = 0;
	int			 i;

	memset(&opt, 0, sizeof opt);
	if ((q = cmd_get(ctx, "queues")) != NULL) {
		queues = cmd_ivr_split((const char *const []){ q, NULL });
		opt.queues = (const char *const *)queues;
	}
	opt.zoneinfo = getenv("TZDIR");
	for (i = 0; i < ctx->argc; i++) {
		ivr_diags_init(&d);
		flow = cmd_ivr_load(ctx->argv[i], &opt, &d);
		ivr_flow_free(flow);
		errors += d.errors;
		warnings += d.warnings;
		if (ctx->cli->output == OUTPUT_JSON ||
		    ctx->cli->output == OUTPUT_YAML)
			ivr_diags_json(all, cmd_ivr_label(ctx->argv[i]), &d);
		else
			ivr_diags_print(stdout, cmd_ivr_label(ctx->argv[i]), &d);
		ivr_diags_free(&d);
	}
	if (ctx->cli->output == OUTPUT_JSON) {
		output_json(stdout, all);
	} else if (ctx->cli->output == OUTPUT_YAML)
		output_yaml(stdout, all);
	json_decref(all);
	cmd_ivr_split_free(queues);
	if (errors > 0 || (warnings > 0 && cmd_get(ctx, "strict") != NULL))
		return EXIT_FAIL;
	return EXIT_OK;
}
