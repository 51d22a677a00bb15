/*
 * What the agent console's files share: the console's state and the
 * functions one file calls in the other.
 */
#ifndef AGENT_INT_H
#define AGENT_INT_H

#include <stdarg.h>
#include <time.h>

#include <jansson.h>

struct cli;
struct wsc;

struct console {
	struct cli	*cli;
	int		 tty;		/* stdin is a terminal: readline */
	int		 keep_going;

	char		*agent_id;
	char		*name;
	char		*state;		/* "available", ... */
	char		*reason;	/* pause reason or NULL */
	json_t		*calls;		/* my unfinished calls, by id */
	json_t		*agents;	/* the company's agents, for transfer */
	json_t		*queues;	/* the company's queues */
	char		*disposition;	/* set for the call in hand */

	struct wsc	*ws;
	int		 live;		/* authenticated and subscribed */
	int		 ever_live;
	int		 backoff;	/* seconds before the next attempt */
	double		 next_connect;	/* monotonic; 0: now */
	double		 last_rx;
	double		 next_ping;
	time_t		 renew_at;	/* renew the token then (wall clock) */
	int		 said;		/* this outage was reported */

	int		 quit;
	int		 staying;	/* input ended with a call in hand */
	int		 status;	/* exit status so far */
	char		 prompt[256];
};

/* agent.c */
double	 console_now(void);
void	 console_say(struct console *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
void	 console_warn(struct console *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
void	 console_prompt(struct console *);
void	 console_set_state(struct console *, const char *, const char *);
void	 console_apply_call(struct console *, json_t *, const char *, int);
int	 console_pump(struct console *, int);

/* agent-line.c */
void	 agent_history_open(void);
void	 agent_history_save(void);
void	 agent_complete_init(struct console *);

/* agent-cmd.c */
extern const char *const agent_cmd_names[];
int	 agent_cmd_run(struct console *, char *);
int	 agent_fetch_self(struct console *);
int	 agent_fetch_calls(struct console *);
void	 agent_fetch_targets(struct console *);
const char *agent_queue_name(struct console *, const char *);
char	*agent_call_label(struct console *, json_t *);

#endif
