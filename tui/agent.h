/*
 * calldocker agent: the agents' console on a terminal, a readline prompt
 * that shows the agent's state and prints offers and call events as they
 * arrive (tui/agent.c, tui/agent-cmd.c).
 */
#ifndef AGENT_H
#define AGENT_H

struct cli;

struct agent_options {
	int	 keep_going;	/* -k: scripted mode goes on after a failure */
};

/* Run until quit, end of input (with a call in hand: its end) or a
 * signal; returns an exit status. */
int	agent_run(struct cli *, const struct agent_options *);

#endif
