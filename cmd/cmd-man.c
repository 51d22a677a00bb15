/*
 * calldocker __man-commands (hidden): the COMMANDS section of
 * calldocker(1) in roff, generated from the command table. The man page
 * keeps it between ".\" BEGIN COMMANDS" and ".\" END COMMANDS";
 * scripts/gen-docs.sh puts it there.
 */
#include <ctype.h>
#include <stdio.h>

#include "cmd.h"

static int	cmd_man_exec(struct cmd_ctx *);

const struct cmd_entry cmd_man_entry = {
	.name = "__man-commands",
	.summary = "print the man page's command list in roff",
	.max_args = 0,
	.hidden = 1,
	.exec = cmd_man_exec,
};

/* Text for roff: backslashes and hyphens escaped. */
static void
cmd_man_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

/* Text starting a line, its first letter capitalised. */
static void
cmd_man_capital(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	if (*s != '\0') {
		putchar(toupper((unsigned char)*s));
		cmd_man_text(s + 1);
	}
}

/* A summary as a sentence: capitalised, with a full stop. */
static void
cmd_man_sentence(const char *s)
{
	cmd_man_capital(s);
	puts(".");
}

static void
cmd_man_flag(const struct cmd_flag *fl)
{
	if (fl->short_name != 0)
		printf("\\fB\\-%c\\fR, ", fl->short_name);
	fputs("\\fB\\-\\-", stdout);
	cmd_man_text(fl->name);
	fputs("\\fR", stdout);
	if (fl->arg != NULL) {
		fputs(" \\fI", stdout);
		cmd_man_text(fl->arg);
		fputs("\\fR", stdout);
	}
}

static void
cmd_man_command(const struct cmd_entry *group, const struct cmd_entry *e)
{
	const struct cmd_flag	*fl;
	const char *const	*v;

	fputs(".TP\n\\fBcalldocker ", stdout);
	if (group != NULL) {
		cmd_man_text(group->name);
		putchar(' ');
	}
	cmd_man_text(e->name);
	fputs("\\fR", stdout);
	if (e->usage != NULL && *e->usage != '\0') {
		fputs(" \\fI", stdout);
		cmd_man_text(e->usage);
		fputs("\\fR", stdout);
	}
	for (fl = e->flags; fl != NULL && fl->name != NULL; fl++) {
		fputs(fl->required ? " " : " [", stdout);
		cmd_man_flag(fl);
		if (!fl->required)
			putchar(']');
		if (fl->repeat)
			fputs("...", stdout);
	}
	putchar('\n');
	cmd_man_sentence(e->summary);

	if (e->flags == NULL || e->flags->name == NULL)
		return;
	puts(".RS");
	for (fl = e->flags; fl->name != NULL; fl++) {
		puts(".TP");
		cmd_man_flag(fl);
		putchar('\n');
		cmd_man_capital(fl->help);
		for (v = fl->values; v != NULL && *v != NULL; v++) {
			fputs(v == fl->values ? ": " : ", ", stdout);
			cmd_man_text(*v);
		}
		puts(fl->required ? " (required)." : ".");
	}
	puts(".RE");
}

static int
cmd_man_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry	*e, *c;
	size_t			 i;
	int			 others = 0;

	for (i = 0; cmd_table[i] != NULL; i++) {
		e = cmd_table[i];
		if (e->hidden)
			continue;
		if (!cmd_is_group(e)) {
			if (!others++)
				puts(".SS \"Other commands\"");
			cmd_man_command(NULL, e);
			continue;
		}
		fputs(".SS ", stdout);
		cmd_man_text(e->name);
		putchar('\n');
		cmd_man_sentence(e->summary);
		for (c = e->children; c->name != NULL; c++) {
			if (!c->hidden)
				cmd_man_command(e, c);
		}
	}
	return EXIT_OK;
}
