/*
 * Erlang C (M/M/N, callers never hang up): from the traffic of a queue
 * (arrival rate times average handle time, in erlangs), the agents and a
 * service-level goal (answered within T seconds), the probability that a
 * call waits, the service level, the average speed of answer, and the
 * fewest agents that meet a target fraction. Pure arithmetic, no state.
 */
#ifndef ERLANG_H
#define ERLANG_H

/* One staffing level's figures. */
struct erlang {
	int	agents;
	double	traffic;	/* erlangs: arrivals/s * aht */
	double	occupancy;	/* traffic / agents, 0 with no agents */
	double	p_wait;		/* 0..1; 1 when traffic >= agents */
	double	service_level;	/* 0..1 answered within T; 0 when overloaded */
	double	asa;		/* seconds; INFINITY when overloaded */
	int	overloaded;	/* traffic >= agents: the queue grows without end */
};

/* Erlang B blocking probability by the recurrence (no factorials). */
double	erlang_b(double traffic, int agents);

/*
 * The figures of agents handling arrivals per second with aht seconds each,
 * against the goal "answered within t seconds". Arrivals 0: no wait,
 * service level 1.
 */
void	erlang_c(double rate, double aht, int agents, double t,
	    struct erlang *out);

/*
 * The fewest agents whose service level reaches target (0..1) for the goal
 * t seconds, their figures in *out (if not NULL). 0 with no arrivals; -1
 * when no staffing up to max_agents does (or the input is not finite).
 */
int	erlang_agents(double rate, double aht, double t, double target,
	    int max_agents, struct erlang *out);

#endif
