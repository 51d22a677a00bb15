/*
 * The agent console's line editing: the history file and Tab completion
 * (commands; agents' and queues' names after "transfer"; reasons after
 * "pause").
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "agent-int.h"
#include "xmalloc.h"

#define HISTORY_MAX	1000

static char		*history_file;
static struct console	*complete_console;

/* $XDG_STATE_HOME/calldocker/agent_history, the directory private. */
void
agent_history_open(void)
{
	const char	*base = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char		*dir;

	if (base != NULL && *base == '/')
		dir = xasprintf("%s/calldocker", base);
	else if (home != NULL && *home == '/')
		dir = xasprintf("%s/.local/state/calldocker", home);
	else
		return;
	/* mkdir -p, private. */
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	mkdir(dir, 0700);
	history_file = xasprintf("%s/agent_history", dir);
	free(dir);
	using_history();
	stifle_history(HISTORY_MAX);
	read_history(history_file);
}

void
agent_history_save(void)
{
	if (history_file == NULL)
		return;
	umask(077);
	write_history(history_file);
	free(history_file);
	history_file = NULL;
}

static const char *const pause_reasons[] = {
	"break", "lunch", "meeting", "training", "coaching", "personal", NULL
};

static char **completion_words;
static size_t completion_next;

static char *
completion_generator(const char *text, int state)
{
	size_t	 n = strlen(text);
	char	*w;

	if (state == 0)
		completion_next = 0;
	while (completion_words != NULL &&
	    (w = completion_words[completion_next]) != NULL) {
		completion_next++;
		if (strncmp(w, text, n) == 0)
			return xstrdup(w);
	}
	return NULL;
}

static void
completion_add(char ***v, size_t *n, char *w)
{
	*v = xrealloc(*v, (*n + 2) * sizeof **v);
	(*v)[(*n)++] = w;
	(*v)[*n] = NULL;
}

/* Commands first; "transfer " completes agents' and queues' names whole. */
static char **
console_complete(const char *text, int start, int end)
{
	struct console	*c = complete_console;
	char		**v = NULL, **m;
	size_t		 n = 0, i;
	json_t		*lists[2] = { c->agents, c->queues }, *o;
	const char	*name, *id;

	rl_attempted_completion_over = 1;
	if (start == 0 && strncmp(rl_line_buffer, "transfer ", 9) != 0) {
		for (i = 0; agent_cmd_names[i] != NULL; i++)
			completion_add(&v, &n, xstrdup(agent_cmd_names[i]));
	} else if (strncmp(rl_line_buffer, "transfer ", 9) == 0) {
		for (int l = 0; l < 2; l++) {
			json_array_foreach(lists[l], i, o) {
				name = json_string_value(json_object_get(o,
				    "name"));
				id = json_string_value(json_object_get(o, "id"));
				if (name != NULL && id != NULL && (l == 1 ||
				    strcmp(id, c->agent_id) != 0))
					completion_add(&v, &n, xasprintf(
					    "transfer %s", name));
			}
		}
	} else if (strncmp(rl_line_buffer, "pause ", 6) == 0) {
		for (i = 0; pause_reasons[i] != NULL; i++)
			completion_add(&v, &n, xstrdup(pause_reasons[i]));
	}
	completion_words = v;
	m = rl_completion_matches(text, completion_generator);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	completion_words = NULL;
	return m;
}

/* After "transfer " the whole line is one word: names may hold spaces. */
static char *
console_word_breaks(void)
{
	return strncmp(rl_line_buffer, "transfer ", 9) == 0 ? "" : NULL;
}

void
agent_complete_init(struct console *c)
{
	complete_console = c;
	rl_attempted_completion_function = console_complete;
	rl_completion_word_break_hook = console_word_breaks;
}
