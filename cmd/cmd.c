/*
 * The command table and everything derived from it at run time: argument
 * parsing, usage errors and --help. Completion scripts (cmd-completion.c)
 * and the man page's command list (cmd-man.c) walk the same table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

static int	cmd_help_exec(struct cmd_ctx *);

const char *const cmd_output_values[] = {
	"table", "json", "yaml", "csv", NULL
};

const struct cmd_flag cmd_global_flags[] = {
	{ .name = "host", .arg = "URL", .id = GLOBAL_HOST,
	  .help = "daemon address, unix:///path or http(s)://host:port "
	      "(CALLDOCKER_HOST)" },
	{ .name = "cacert", .arg = "FILE", .id = GLOBAL_CACERT,
	  .help = "CA certificates (PEM) to verify an https:// host against, "
	      "instead of the system store (CALLDOCKER_CACERT)" },
	{ .name = "token", .arg = "TOKEN", .id = GLOBAL_TOKEN,
	  .help = "bearer token (CALLDOCKER_TOKEN)" },
	{ .name = "company", .arg = "ID", .id = GLOBAL_COMPANY,
	  .help = "company to act on (an admin's lists show only its objects)" },
	{ .name = "output", .short_name = 'o', .arg = "FORMAT",
	  .id = GLOBAL_OUTPUT, .values = cmd_output_values,
	  .help = "output format" },
	{ .name = "no-headers", .id = GLOBAL_NO_HEADERS,
	  .help = "omit the header row of table and csv output" },
	{ .name = "quiet", .short_name = 'q', .id = GLOBAL_QUIET,
	  .help = "print only IDs, and no messages" },
	{ .name = "context", .arg = "NAME", .id = GLOBAL_CONTEXT,
	  .complete = "config get-contexts -q",
	  .help = "context of the configuration file to use" },
	{ .name = "help", .short_name = 'h', .id = GLOBAL_HELP,
	  .help = "show help for the command" },
	{ .name = "version", .id = GLOBAL_VERSION,
	  .help = "print the version" },
	{ .name = NULL }
};

static const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND [SUBCOMMAND]]",
	.summary = "show help for a command",
	.min_args = 0,
	.max_args = 2,
	.exec = cmd_help_exec,
};

/* Groups (resources) first, then commands; help keeps this order. */
const struct cmd_entry *cmd_table[] = {
	&cmd_agents_entry,
	&cmd_analytics_entry,
	&cmd_calls_entry,
	&cmd_companies_entry,
	&cmd_config_entry,
	&cmd_files_entry,
	&cmd_integrations_entry,
	&cmd_ivr_entry,
	&cmd_queues_entry,
	&cmd_settings_entry,
	&cmd_users_entry,
	&cmd_webhooks_entry,
	&cmd_widget_keys_entry,
	&cmd_widget_origins_entry,
	&cmd_completion_entry,
	&cmd_help_entry,
	&cmd_auth_login_entry,
	&cmd_auth_logout_entry,
	&cmd_version_entry,
	&cmd_wallboard_entry,
	&cmd_auth_whoami_entry,
	&cmd_man_entry,
	&cmd_agent_entry,
	NULL
};

int
cmd_is_group(const struct cmd_entry *e)
{
	return e != NULL && e->children != NULL;
}

static const struct cmd_entry *
cmd_lookup(const struct cmd_entry *group, const char *name)
{
	const struct cmd_entry	*e;
	size_t			 i;

	if (group == NULL) {
		for (i = 0; cmd_table[i] != NULL; i++) {
			if (strcmp(cmd_table[i]->name, name) == 0)
				return cmd_table[i];
		}
		return NULL;
	}
	for (e = group->children; e->name != NULL; e++) {
		if (strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

/* Print "calldocker [group] [command] usage". */
void
cmd_synopsis(FILE *f, const struct cmd_entry *group,
    const struct cmd_entry *e)
{
	const struct cmd_flag	*fl;

	if (group == NULL && e == NULL) {
		fputs("calldocker [global flags] <command> [arguments] [flags]",
		    f);
		return;
	}
	if (cmd_is_group(e)) {
		fprintf(f, "calldocker %s <command> [arguments] [flags]",
		    e->name);
		return;
	}
	fputs("calldocker ", f);
	if (group != NULL)
		fprintf(f, "%s ", group->name);
	fputs(e->name, f);
	if (e->usage != NULL && *e->usage != '\0')
		fprintf(f, " %s", e->usage);
	for (fl = e->flags; fl != NULL && fl->name != NULL; fl++) {
		fprintf(f, " %s--%s", fl->required ? "" : "[", fl->name);
		if (fl->arg != NULL)
			fprintf(f, " %s", fl->arg);
		if (!fl->required)
			fputc(']', f);
		if (fl->repeat)
			fputs("...", f);
	}
}

/* Name of positional argument n from the usage ("ID"). Caller frees. */
static char *
cmd_arg_name(const struct cmd_entry *e, int n)
{
	const char	*s = e->usage != NULL ? e->usage : "";
	size_t		 len;

	for (;;) {
		s += strspn(s, " [");
		len = strcspn(s, " ]");
		if (n-- == 0 || *s == '\0')
			break;
		s += len;
		s += strspn(s, "]");
	}
	return len == 0 ? xstrdup("ARG") : xstrndup(s, len);
}

int
cmd_usage_error(const struct cmd_entry *group, const struct cmd_entry *e,
    const char *fmt, ...)
{
	va_list	 ap;

	fputs("calldocker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: ", stderr);
	cmd_synopsis(stderr, group, e);
	fputs("\nsee 'calldocker", stderr);
	if (group != NULL)
		fprintf(stderr, " %s", group->name);
	if (e != NULL)
		fprintf(stderr, " %s", e->name);
	fputs(" --help'\n", stderr);
	return EXIT_USAGE;
}

/* Width of the widest flag spelling ("  -o, --output FORMAT"). */
static int
cmd_help_width(const struct cmd_flag *fl, int width)
{
	int	 n;

	for (; fl != NULL && fl->name != NULL; fl++) {
		n = 8 + (int)strlen(fl->name);
		if (fl->arg != NULL)
			n += 1 + (int)strlen(fl->arg);
		if (n > width)
			width = n;
	}
	return width;
}

static void
cmd_help_flags(FILE *f, const char *title, const struct cmd_flag *flags,
    int width)
{
	const struct cmd_flag	*fl;
	const char *const	*v;
	int			 n;

	if (flags == NULL || flags->name == NULL)
		return;
	fprintf(f, "\n%s:\n", title);
	for (fl = flags; fl->name != NULL; fl++) {
		if (fl->short_name != 0)
			n = fprintf(f, "  -%c, --%s", fl->short_name, fl->name);
		else
			n = fprintf(f, "      --%s", fl->name);
		if (fl->arg != NULL)
			n += fprintf(f, " %s", fl->arg);
		fprintf(f, "%*s  %s", width - n, "", fl->help);
		for (v = fl->values; v != NULL && *v != NULL; v++)
			fprintf(f, "%s%s", v == fl->values ? ": " : "|", *v);
		if (fl->required)
			fputs(" (required)", f);
		fputc('\n', f);
	}
}

static void
cmd_help_list(FILE *f, const char *title, const struct cmd_entry *const *list,
    size_t n, int groups)
{
	int	 width = 0, first = 1;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!list[i]->hidden && (int)strlen(list[i]->name) > width)
			width = (int)strlen(list[i]->name);
	}
	for (i = 0; i < n; i++) {
		if (list[i]->hidden || cmd_is_group(list[i]) != groups)
			continue;
		if (first)
			fprintf(f, "\n%s:\n", title);
		first = 0;
		fprintf(f, "  %-*s  %s\n", width, list[i]->name,
		    list[i]->summary);
	}
}

/* Help for the top level (both NULL), a group, or a command. */
void
cmd_help(FILE *f, const struct cmd_entry *group, const struct cmd_entry *e)
{
	const struct cmd_entry	*list[64], *c;
	size_t			 n = 0;
	int			 width;

	width = cmd_help_width(cmd_global_flags, 0);
	if (e != NULL && !cmd_is_group(e))
		width = cmd_help_width(e->flags, width);

	fputs("Usage:\n  ", f);
	cmd_synopsis(f, group, e);
	fputc('\n', f);

	if (e == NULL) {
		fputs("\nThe command-line client of calldockerd, the CallDocker "
		    "call-center daemon.\n", f);
		for (n = 0; cmd_table[n] != NULL && n < 64; n++)
			list[n] = cmd_table[n];
		cmd_help_list(f, "Resources", list, n, 1);
		cmd_help_list(f, "Commands", list, n, 0);
	} else if (cmd_is_group(e)) {
		fprintf(f, "\n%s\n", e->summary);
		for (c = e->children; c->name != NULL && n < 64; c++)
			list[n++] = c;
		cmd_help_list(f, "Commands", list, n, 0);
	} else {
		fprintf(f, "\n%s\n", e->summary);
		cmd_help_flags(f, "Flags", e->flags, width);
	}
	cmd_help_flags(f, "Global flags", cmd_global_flags, width);

	if (e == NULL)
		fputs("\nRun 'calldocker <command> --help' for more about a "
		    "command.\n", f);
	else if (cmd_is_group(e))
		fprintf(f, "\nRun 'calldocker %s <command> --help' for more "
		    "about a command.\n", e->name);
}

static int
cmd_help_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry	*group = NULL, *e = NULL;

	if (ctx->argc > 0 && (e = cmd_lookup(NULL, ctx->argv[0])) == NULL)
		return cmd_usage_error(NULL, ctx->entry,
		    "unknown command \"%s\"", ctx->argv[0]);
	if (ctx->argc > 1) {
		if (!cmd_is_group(e))
			return cmd_usage_error(NULL, ctx->entry,
			    "\"%s\" has no subcommands", e->name);
		group = e;
		if ((e = cmd_lookup(group, ctx->argv[1])) == NULL)
			return cmd_usage_error(NULL, ctx->entry,
			    "unknown command \"%s %s\"", group->name,
			    ctx->argv[1]);
	}
	cmd_help(stdout, group, e);
	return EXIT_OK;
}

const char *
cmd_get(const struct cmd_ctx *ctx, const char *name)
{
	const struct cmd_flag	*fl;
	int			 i;

	for (fl = ctx->entry->flags, i = 0; fl != NULL && fl->name != NULL;
	    fl++, i++) {
		if (i >= CMD_MAX_FLAGS)
			break;
		if (strcmp(fl->name, name) == 0)
			return ctx->values[i];
	}
	fprintf(stderr, "calldocker: internal error: no flag \"%s\"\n", name);
	abort();
}

/* Every value of a repeat flag, NULL-terminated; empty if not given. */
const char *const *
cmd_get_all(const struct cmd_ctx *ctx, const char *name)
{
	static const char *const	 none[] = { NULL };
	const struct cmd_flag		*fl;
	int				 i;

	for (fl = ctx->entry->flags, i = 0; fl != NULL && fl->name != NULL;
	    fl++, i++) {
		if (i >= CMD_MAX_FLAGS)
			break;
		if (strcmp(fl->name, name) != 0)
			continue;
		if (!fl->repeat)
			break;
		return ctx->lists[i] != NULL ? ctx->lists[i] : none;
	}
	fprintf(stderr, "calldocker: internal error: no repeat flag \"%s\"\n",
	    name);
	abort();
}

/* --limit N, 1 to 500; *out stays 0 when not given. */
int
cmd_parse_limit(struct cmd_ctx *ctx, long *out)
{
	const char	*s = cmd_get(ctx, "limit");
	char		*end;
	long		 n;

	*out = 0;
	if (s == NULL)
		return EXIT_OK;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 1 || n > 500)
		return cmd_usage_error(ctx->group, ctx->entry,
		    "bad limit \"%s\": must be a number from 1 to 500", s);
	*out = n;
	return EXIT_OK;
}

/* Find the flag for option arg (without its leading dashes). */
static const struct cmd_flag *
cmd_find_flag(const struct cmd_flag *flags, const char *name, size_t len,
    int short_name)
{
	const struct cmd_flag	*fl;

	for (fl = flags; fl != NULL && fl->name != NULL; fl++) {
		if (short_name != 0 && fl->short_name == short_name)
			return fl;
		if (short_name == 0 && strlen(fl->name) == len &&
		    strncmp(fl->name, name, len) == 0)
			return fl;
	}
	return NULL;
}

static int
cmd_is_value(const char *const *values, const char *value)
{
	for (; *values != NULL; values++) {
		if (strcmp(*values, value) == 0)
			return 1;
	}
	return 0;
}

/* Usage error for a value not among the flag's values. */
static int
cmd_bad_value(const struct cmd_entry *group, const struct cmd_entry *e,
    const struct cmd_flag *fl, const char *value)
{
	const char *const	*v;
	char			*list;
	size_t			 size;
	FILE			*f;
	int			 rc;

	if ((f = open_memstream(&list, &size)) == NULL)
		abort();
	for (v = fl->values; *v != NULL; v++) {
		if (v != fl->values)
			fputs(v[1] == NULL ? " or " : ", ", f);
		fputs(*v, f);
	}
	fclose(f);
	rc = cmd_usage_error(group, e, "bad --%s \"%s\": use %s", fl->name,
	    value, list);
	free(list);
	return rc;
}

/* Append value to a repeat flag's list, which has room for argc values. */
static void
cmd_append(const char ***list, int argc, const char *value)
{
	size_t	 n = 0;

	if (*list == NULL)
		*list = xcalloc((size_t)argc + 1, sizeof **list);
	while ((*list)[n] != NULL)
		n++;
	(*list)[n] = value;
}

static int
cmd_apply_global(struct cli *cli, const struct cmd_flag *fl,
    const char *value, int *help, int *version)
{
	switch (fl->id) {
	case GLOBAL_HOST:
		cli->host_flag = value;
		break;
	case GLOBAL_TOKEN:
		cli->token_flag = value;
		break;
	case GLOBAL_CACERT:
		cli->cacert_flag = value;
		break;
	case GLOBAL_COMPANY:
		cli->company = value;
		break;
	case GLOBAL_OUTPUT:
		if (output_parse(value, &cli->output) != 0)
			return -1;
		break;
	case GLOBAL_NO_HEADERS:
		cli->no_headers = 1;
		break;
	case GLOBAL_QUIET:
		cli->quiet = 1;
		break;
	case GLOBAL_CONTEXT:
		cli->context_flag = value;
		break;
	case GLOBAL_HELP:
		*help = 1;
		break;
	case GLOBAL_VERSION:
		*version = 1;
		break;
	}
	return 0;
}

/*
 * Parse argv (without the program name): global flags anywhere, the
 * command's path, then its arguments and flags. Runs the command and
 * returns the exit status.
 */
int
cmd_run(struct cli *cli, int argc, char **argv)
{
	const struct cmd_entry	*group = NULL, *e = NULL, *found;
	const struct cmd_flag	*fl, *lf;
	struct cmd_ctx		 ctx;
	const char		*a, *name, *value, *eq;
	size_t			 len;
	int			 i, help = 0, version = 0, dashdash = 0, rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.cli = cli;
	ctx.argv = xcalloc((size_t)argc + 1, sizeof *ctx.argv);

	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (e != NULL && !cmd_is_group(e)) {
				ctx.argv[ctx.argc++] = argv[i];
				continue;
			}
			if ((found = cmd_lookup(e, a)) == NULL) {
				rc = e == NULL ?
				    cmd_usage_error(NULL, NULL,
					"unknown command \"%s\"", a) :
				    cmd_usage_error(NULL, e,
					"unknown command \"%s %s\"", e->name, a);
				goto out;
			}
			group = e;
			e = found;
			continue;
		}

		/* An option: --name, --name=value, -x, -xvalue. */
		value = NULL;
		if (a[1] == '-') {
			name = a + 2;
			eq = strchr(name, '=');
			len = eq != NULL ? (size_t)(eq - name) : strlen(name);
			if (eq != NULL)
				value = eq + 1;
			lf = (e != NULL && !cmd_is_group(e)) ?
			    cmd_find_flag(e->flags, name, len, 0) : NULL;
			fl = lf != NULL ? lf :
			    cmd_find_flag(cmd_global_flags, name, len, 0);
		} else {
			lf = (e != NULL && !cmd_is_group(e)) ?
			    cmd_find_flag(e->flags, NULL, 0, a[1]) : NULL;
			fl = lf != NULL ? lf :
			    cmd_find_flag(cmd_global_flags, NULL, 0, a[1]);
			if (a[2] != '\0')
				value = a + 2;
		}
		if (fl == NULL) {
			rc = cmd_usage_error(group, e, "unknown flag \"%s\"", a);
			goto out;
		}
		if (fl->arg == NULL && value != NULL) {
			rc = cmd_usage_error(group, e, "flag \"--%s\" takes "
			    "no argument", fl->name);
			goto out;
		}
		if (fl->arg != NULL && value == NULL) {
			if (i + 1 >= argc) {
				rc = cmd_usage_error(group, e, "flag \"--%s\" "
				    "needs an argument %s", fl->name, fl->arg);
				goto out;
			}
			value = argv[++i];
		}
		if (lf != NULL && lf->values != NULL && value != NULL &&
		    !cmd_is_value(lf->values, value)) {
			rc = cmd_bad_value(group, e, lf, value);
			goto out;
		}
		if (lf != NULL) {
			if (lf - e->flags >= CMD_MAX_FLAGS)
				abort();
			ctx.values[lf - e->flags] = value != NULL ? value : "";
			if (lf->repeat)
				cmd_append(&ctx.lists[lf - e->flags], argc,
				    ctx.values[lf - e->flags]);
		} else if (cmd_apply_global(cli, fl, value, &help,
		    &version) != 0) {
			rc = cmd_usage_error(group, e, "bad output format "
			    "\"%s\": use table, json, yaml or csv", value);
			goto out;
		}
	}

	if (help) {
		cmd_help(stdout, group, e);
		rc = EXIT_OK;
		goto out;
	}
	if (version) {
		printf("calldocker %s\n", CALLDOCKER_VERSION);
		rc = EXIT_OK;
		goto out;
	}
	if (e == NULL) {
		cmd_help(stderr, NULL, NULL);
		rc = EXIT_USAGE;
		goto out;
	}
	if (cmd_is_group(e)) {
		rc = cmd_usage_error(NULL, e, "missing command after \"%s\"",
		    e->name);
		goto out;
	}
	if (ctx.argc < e->min_args) {
		name = cmd_arg_name(e, ctx.argc);
		rc = cmd_usage_error(group, e, "missing argument %s", name);
		free((char *)name);
		goto out;
	}
	if (e->max_args >= 0 && ctx.argc > e->max_args) {
		rc = cmd_usage_error(group, e, "unexpected argument \"%s\"",
		    ctx.argv[e->max_args]);
		goto out;
	}
	for (fl = e->flags; fl != NULL && fl->name != NULL; fl++) {
		if (fl->required && ctx.values[fl - e->flags] == NULL) {
			rc = cmd_usage_error(group, e, "missing flag \"--%s\"",
			    fl->name);
			goto out;
		}
	}
	ctx.entry = e;
	ctx.group = group;
	rc = e->exec(&ctx);

out:
	for (i = 0; i < CMD_MAX_FLAGS; i++)
		free(ctx.lists[i]);
	free(ctx.argv);
	return rc;
}
