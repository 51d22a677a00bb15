/*
 * The zsh completion script (calldocker completion zsh): _arguments specs
 * and _describe lists generated from the command table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

/* Single-quoted for zsh: ' becomes '\''. */
static void
completion_zsh_squote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* s with zsh's _arguments description specials escaped. */
static void
completion_zsh_desc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (strchr("[]\\", *s) != NULL)
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* s as an _arguments message: colons escaped ("NAME\\:LEVEL"). */
static void
completion_zsh_message(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* Name of the function completing the output of a calldocker command. */
static void
completion_zsh_fn(FILE *f, const char *complete)
{
	fputs("__calldocker_", f);
	for (; *complete != '\0'; complete++) {
		if (*complete == ' ' || *complete == '-') {
			if (complete[1] != '-' && complete[1] != ' ')
				fputc('_', f);
		} else
			fputc(*complete, f);
	}
}

/* Define the function for command c unless seen already. */
static void
completion_zsh_define(FILE *f, const char *c, const char **seen,
    size_t *n)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < *n; i++) {
		if (strcmp(seen[i], c) == 0)
			return;
	}
	if (*n == 32)
		abort();
	seen[(*n)++] = c;
	completion_zsh_fn(f, c);
	fprintf(f, "() {\n"
	    "\tlocal -a vals\n"
	    "\tvals=(${(f)\"$($_calldocker_bin %s 2>/dev/null)\"})\n"
	    "\tcompadd \"$@\" -a vals\n"
	    "}\n\n", c);
}

/* One completion function per distinct command that lists values. */
static void
completion_zsh_fns(FILE *f)
{
	struct cmd_completion_iter	 it;
	const struct cmd_entry		*group, *e;
	const struct cmd_flag		*fl;
	const char			*seen[32];
	size_t				 n = 0;

	for (fl = cmd_global_flags; fl->name != NULL; fl++)
		completion_zsh_define(f, fl->complete, seen, &n);
	memset(&it, 0, sizeof it);
	while (cmd_completion_next(&it, &group, &e)) {
		for (fl = e->flags; fl != NULL && fl->name != NULL; fl++)
			completion_zsh_define(f, fl->complete, seen, &n);
		completion_zsh_define(f, e->arg_complete, seen, &n);
	}
}

/* The action of a flag's or command's argument. */
static void
completion_zsh_action(FILE *f, const char *const *values,
    const char *complete)
{
	if (values != NULL) {
		fputc('(', f);
		cmd_completion_words(f, values);
		fputc(')', f);
	} else if (complete != NULL)
		completion_zsh_fn(f, complete);
	else
		fputc(' ', f);
}

/* Print spec as one single-quoted word. */
static void
completion_zsh_word(FILE *f, char *spec)
{
	completion_zsh_squote(f, spec);
	free(spec);
}

/* One _arguments spec per flag: '--name=[help]:ARG:action', '*--name...'
 * for a flag that may repeat. */
static void
completion_zsh_flags(FILE *f, const struct cmd_flag *fl,
    const char *indent)
{
	char	*spec;
	size_t	 size;
	FILE	*s;

	for (; fl != NULL && fl->name != NULL; fl++) {
		fprintf(f, " \\\n%s", indent);
		if (fl->short_name != 0 && fl->repeat)
			fprintf(f, "'*'{-%c%s,--%s%s}", fl->short_name,
			    fl->arg ? "+" : "", fl->name, fl->arg ? "=" : "");
		else if (fl->short_name != 0)
			fprintf(f, "'(-%c --%s)'{-%c%s,--%s%s}", fl->short_name,
			    fl->name, fl->short_name, fl->arg ? "+" : "",
			    fl->name, fl->arg ? "=" : "");
		if ((s = open_memstream(&spec, &size)) == NULL)
			abort();
		if (fl->short_name == 0 && fl->repeat)
			fputc('*', s);
		if (fl->short_name == 0)
			fprintf(s, "--%s%s", fl->name, fl->arg ? "=" : "");
		fputc('[', s);
		completion_zsh_desc(s, fl->help);
		fputc(']', s);
		if (fl->arg != NULL) {
			fputc(':', s);
			completion_zsh_message(s, fl->arg);
			fputc(':', s);
			completion_zsh_action(s, fl->values, fl->complete);
		}
		fclose(s);
		completion_zsh_word(f, spec);
	}
}

/* _arguments for one command: global flags, its flags, its arguments. */
static void
completion_zsh_command(FILE *f, const struct cmd_entry *e,
    const char *indent)
{
	char	*spec, *more;
	size_t	 size;
	FILE	*s;

	more = xasprintf("%s    ", indent);
	fprintf(f, "%s_arguments -s $globals", indent);
	completion_zsh_flags(f, e->flags, more);
	if (e->max_args != 0) {
		if ((s = open_memstream(&spec, &size)) == NULL)
			abort();
		fprintf(s, "%s:%s:", e->max_args == 1 ? "1" : "*",
		    e->usage != NULL ? e->usage : "argument");
		completion_zsh_action(s, e->arg_values, e->arg_complete);
		fclose(s);
		fprintf(f, " \\\n%s", more);
		completion_zsh_word(f, spec);
	}
	fprintf(f, " && ret=0\n%s;;\n", indent);
	free(more);
}

/* _describe items 'name:summary' for the visible entries of a list. */
static void
completion_zsh_items(FILE *f, const struct cmd_entry *const *list,
    const struct cmd_entry *children, const char *indent)
{
	const struct cmd_entry	*e;
	char			*item;
	size_t			 i, size;
	FILE			*s;

	for (i = 0;; i++) {
		e = list != NULL ? list[i] : &children[i];
		if (e == NULL || e->name == NULL)
			break;
		if (e->hidden)
			continue;
		if ((s = open_memstream(&item, &size)) == NULL)
			abort();
		fprintf(s, "%s:%s", e->name, e->summary);
		fclose(s);
		fputs(indent, f);
		completion_zsh_word(f, item);
		fputc('\n', f);
	}
}

void
completion_zsh(FILE *f)
{
	const struct cmd_entry	*e, *c;
	size_t			 i;

	fputs("#compdef calldocker\n"
	    "# zsh completion for calldocker(1)\n"
	    "# Generated by 'calldocker completion zsh' from the command "
	    "table; do not edit.\n\n", f);
	completion_zsh_fns(f);
	fputs("_calldocker() {\n"
	    "\tlocal curcontext=$curcontext state line ret=1\n"
	    "\tlocal _calldocker_bin=$words[1]\n"
	    "\ttypeset -A opt_args\n"
	    "\tlocal -a globals cmds\n"
	    "\tglobals=(", f);
	completion_zsh_flags(f, cmd_global_flags, "\t    ");
	fputs("\n\t)\n"
	    "\t_arguments -C -s $globals ': :->command' '*:: :->args' "
	    "&& ret=0\n"
	    "\tcase $state in\n"
	    "\tcommand)\n"
	    "\t\tcmds=(\n", f);
	completion_zsh_items(f, cmd_table, NULL, "\t\t    ");
	fputs("\t\t)\n"
	    "\t\t_describe -t commands 'calldocker command' cmds && ret=0\n"
	    "\t\t;;\n"
	    "\targs)\n"
	    "\t\tcase $words[1] in\n", f);
	for (i = 0; cmd_table[i] != NULL; i++) {
		e = cmd_table[i];
		if (e->hidden)
			continue;
		fprintf(f, "\t\t%s)\n", e->name);
		if (!cmd_is_group(e)) {
			completion_zsh_command(f, e, "\t\t\t");
			continue;
		}
		fputs("\t\t\tif (( CURRENT == 2 )); then\n"
		    "\t\t\t\tcmds=(\n", f);
		completion_zsh_items(f, NULL, e->children, "\t\t\t\t    ");
		fprintf(f, "\t\t\t\t)\n"
		    "\t\t\t\t_describe -t commands '%s command' cmds "
		    "&& ret=0\n"
		    "\t\t\t\treturn ret\n"
		    "\t\t\tfi\n"
		    "\t\t\tshift words\n"
		    "\t\t\t(( CURRENT-- ))\n"
		    "\t\t\tcase $words[1] in\n", e->name);
		for (c = e->children; c->name != NULL; c++) {
			if (c->hidden)
				continue;
			fprintf(f, "\t\t\t%s)\n", c->name);
			completion_zsh_command(f, c, "\t\t\t\t");
		}
		fputs("\t\t\tesac\n\t\t\t;;\n", f);
	}
	fputs("\t\tesac\n"
	    "\t\t;;\n"
	    "\tesac\n"
	    "\treturn ret\n"
	    "}\n\n"
	    "_calldocker \"$@\"\n", f);
}
