/*
 * calldocker wallboard: a full-screen ncursesw view of a company's queues,
 * agents and live calls for supervisors (tui/wallboard.c).
 */
#ifndef WALLBOARD_H
#define WALLBOARD_H

struct cli;

struct wallboard_options {
	double	 interval;	/* seconds between polls of the REST API */
	int	 no_color;	/* -C */
	int	 readonly;	/* --readonly */
	int	 poll;		/* --poll: REST only, no event stream */
};

/* Run until 'q' or a signal; returns an exit status (see calldocker(1)). */
int	wallboard_run(struct cli *, const struct wallboard_options *);

#endif
