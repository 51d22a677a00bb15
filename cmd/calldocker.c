/*
 * calldocker: the scripting CLI of CallDocker. Results go to stdout,
 * messages to stderr as one "calldocker: ..." line, and the exit status
 * says what went wrong (cmd.h).
 */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* An error or warning for the user, always shown. */
void
cli_error(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fputs("calldocker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A message about something that worked; -q silences it. */
void
cli_info(struct cli *cli, const char *fmt, ...)
{
	va_list	 ap;

	if (cli->quiet)
		return;
	fflush(stdout);
	fputs("calldocker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
main(int argc, char **argv)
{
	struct cli	 cli;
	const char	*no_color;
	int		 rc;

	setlocale(LC_CTYPE, "");

	memset(&cli, 0, sizeof cli);
	cli.output = OUTPUT_TABLE;
	no_color = getenv("NO_COLOR");
	cli.color = isatty(STDOUT_FILENO) &&
	    (no_color == NULL || *no_color == '\0');

	rc = cmd_run(&cli, argc - 1, argv + 1);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output");
		if (rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	client_free(cli.client);
	context_free(cli.cf);
	free(cli.host);
	free(cli.token);
	return rc;
}
