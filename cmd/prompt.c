/*
 * Asking the user: lines and passwords from /dev/tty (echo off for
 * secrets, restored even on ^C), or a password from stdin for scripts.
 * Secrets are wiped before they are freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "xmalloc.h"

#define PROMPT_MAX	4096

static int		prompt_tty = -1;
static struct termios	prompt_saved;

static const int	prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void
prompt_on_signal(int sig)
{
	tcsetattr(prompt_tty, TCSAFLUSH, &prompt_saved);
	(void)!write(prompt_tty, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
prompt_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Read one line from fd without its newline; NULL on EOF before any. */
static char *
prompt_read(int fd)
{
	char	*buf = xmalloc(PROMPT_MAX);
	size_t	 len = 0;
	ssize_t	 n;
	char	 ch;

	for (;;) {
		n = read(fd, &ch, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (len == 0) {
				free(buf);
				return NULL;
			}
			break;
		}
		if (ch == '\n')
			break;
		if (len + 1 < PROMPT_MAX)
			buf[len++] = ch;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return buf;
}

/* Is there a terminal to ask on? */
int
prompt_have_tty(void)
{
	int	 fd;

	if ((fd = open("/dev/tty", O_RDWR|O_CLOEXEC|O_NOCTTY)) == -1)
		return 0;
	close(fd);
	return 1;
}

/* Ask on the terminal; echo is off unless echo. Caller frees (prompt_free). */
char *
prompt_line(const char *prompt, int echo, char **cause)
{
	struct sigaction	 sa, old[4];
	struct termios		 t;
	char			*line;
	size_t			 i;
	int			 fd, quiet = 0;

	if ((fd = open("/dev/tty", O_RDWR|O_CLOEXEC|O_NOCTTY)) == -1) {
		*cause = xstrdup("no terminal to ask on");
		return NULL;
	}
	(void)!write(fd, prompt, strlen(prompt));

	if (!echo && tcgetattr(fd, &prompt_saved) == 0) {
		prompt_tty = fd;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = prompt_on_signal;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < 4; i++)
			sigaction(prompt_signals[i], &sa, &old[i]);
		t = prompt_saved;
		t.c_lflag &= ~(tcflag_t)(ECHO|ECHONL);
		t.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &t);
		quiet = 1;
	}
	line = prompt_read(fd);
	if (quiet) {
		tcsetattr(fd, TCSAFLUSH, &prompt_saved);
		(void)!write(fd, "\n", 1);
		for (i = 0; i < 4; i++)
			sigaction(prompt_signals[i], &old[i], NULL);
		prompt_tty = -1;
	}
	close(fd);
	if (line == NULL)
		*cause = xstrdup("no answer on the terminal");
	return line;
}

/* The first line of stdin (a password for --password-stdin). */
char *
prompt_stdin(char **cause)
{
	char	*line;

	if ((line = prompt_read(STDIN_FILENO)) == NULL || *line == '\0') {
		prompt_free(line);
		*cause = xstrdup("no password on stdin");
		return NULL;
	}
	return line;
}

/* A new password: from stdin, or asked twice on the terminal. */
char *
prompt_new_password(int from_stdin, char **cause)
{
	char	*a, *b;

	if (from_stdin)
		return prompt_stdin(cause);
	if ((a = prompt_line("New password: ", 0, cause)) == NULL)
		return NULL;
	if ((b = prompt_line("Repeat the password: ", 0, cause)) == NULL) {
		prompt_free(a);
		return NULL;
	}
	if (strcmp(a, b) != 0) {
		prompt_free(a);
		prompt_free(b);
		*cause = xstrdup("the passwords do not match");
		return NULL;
	}
	prompt_free(b);
	if (*a == '\0') {
		prompt_free(a);
		*cause = xstrdup("empty password");
		return NULL;
	}
	return a;
}

/* Ask a yes/no question; 1 yes, 0 no, -1 no terminal. */
int
prompt_confirm(const char *question)
{
	char	*answer, *cause = NULL, *q;
	int	 yes;

	if (!isatty(STDIN_FILENO))
		return -1;
	q = xasprintf("%s [y/N] ", question);
	answer = prompt_line(q, 1, &cause);
	free(q);
	if (answer == NULL) {
		free(cause);
		return -1;
	}
	yes = strcmp(answer, "y") == 0 || strcmp(answer, "yes") == 0;
	free(answer);
	return yes;
}
