/*
 * Unit tests for daemon/analytics/erlang.c against published figures:
 *  - Call Centre Helper, "Erlang C Formula - Made Simple With an Easy
 *    Worked Example" (callcentrehelper.com): 100 calls in 30 minutes,
 *    AHT 180 s, goal 80% within 20 s. Traffic 10 erlangs; 11 agents:
 *    probability of waiting 68.2%; 13 agents: service level 79.6%;
 *    14 agents: probability of waiting 17.4%, service level 88.8%,
 *    ASA 7.8 s, occupancy 71.4%; so 14 agents are needed.
 *  - Westbay Engineers, "The Erlang-C Formula" (westbay.ndirect.co.uk/
 *    erlang.htm): 360 calls per half hour, 4 minutes each, 55 agents,
 *    goal 15 s. Traffic 48 erlangs, occupancy 87.3%, probability of
 *    waiting 23.9%, ASA 8.2 s, service level 84.6%.
 *  - The Erlang B table (e.g. ITU-T E.501's traffic tables as printed in
 *    every teletraffic handbook): 10 circuits at 1% blocking carry 4.46
 *    erlangs; 5 erlangs on 10 circuits block 1.84%.
 * Each figure is compared at the precision it was published with.
 */
#include <math.h>
#include <stdio.h>

#include "erlang.h"
#include "unit.h"

/* |got - want| within half a unit of the published last digit. */
#define near(g, w, tol, ...) do {					\
	double g_ = (g), w_ = (w);					\
	if (!unit_check(fabs(g_ - w_) <= (tol), __FILE__, __LINE__,	\
	    __VA_ARGS__))						\
		printf("#   got %.6f, expected %.6f\n", g_, w_);	\
} while (0)

static void
test_callcentrehelper(void)
{
	double		 rate = 100.0 / 1800;
	struct erlang	 e;
	int		 n;

	erlang_c(rate, 180, 11, 20, &e);
	near(e.traffic, 10, 1e-12, "CCH: 100 calls/30 min at 180 s = 10 E");
	near(e.p_wait, 0.682, 0.0005, "CCH: 11 agents wait 68.2%%");
	erlang_c(rate, 180, 13, 20, &e);
	near(e.service_level, 0.796, 0.0005, "CCH: 13 agents SL 79.6%%");
	erlang_c(rate, 180, 14, 20, &e);
	near(e.p_wait, 0.174, 0.0005, "CCH: 14 agents wait 17.4%%");
	near(e.service_level, 0.888, 0.0005, "CCH: 14 agents SL 88.8%%");
	near(e.asa, 7.8, 0.05, "CCH: 14 agents ASA 7.8 s");
	near(e.occupancy, 0.714, 0.0005, "CCH: 14 agents occupancy 71.4%%");
	n = erlang_agents(rate, 180, 20, 0.8, 1000, &e);
	is_int(n, 14, "CCH: 80/20 needs 14 agents");
	is_int(e.agents, 14, "CCH: the figures are those of 14 agents");
}

static void
test_westbay(void)
{
	struct erlang	e;

	erlang_c(360.0 / 1800, 240, 55, 15, &e);
	near(e.traffic, 48, 1e-12, "Westbay: 360/half hour at 4 min = 48 E");
	near(e.occupancy, 0.873, 0.0005, "Westbay: occupancy 87.3%%");
	near(e.p_wait, 0.239, 0.0005, "Westbay: probability of waiting 23.9%%");
	near(e.asa, 8.2, 0.05, "Westbay: ASA 8.2 s");
	near(e.service_level, 0.846, 0.0005, "Westbay: SL 84.6%% in 15 s");
	is_int(erlang_agents(360.0 / 1800, 240, 15, 0.8, 1000, NULL), 55,
	    "Westbay: 80%% in 15 s needs 55 agents (54 do not)");
	erlang_c(360.0 / 1800, 240, 54, 15, &e);
	ok(e.service_level < 0.8, "Westbay: 54 agents fall short");
}

static void
test_erlang_b(void)
{
	near(erlang_b(5, 10), 0.0184, 0.00005, "B table: 5 E on 10 = 1.84%%");
	near(erlang_b(4.46, 10), 0.01, 0.0005, "B table: 10 at 1%% carry 4.46 E");
	near(erlang_b(1, 1), 0.5, 1e-15, "B: 1 E on 1 circuit blocks 1/2");
	near(erlang_b(3, 0), 1, 0, "B: no circuits block everything");
}

/* The direct sum in logarithms, for a check at sizes factorials overflow. */
static double
c_direct(double a, int n)
{
	double	sum = 0, top, lt = n * log(a) - lgamma(n + 1.0);

	for (int k = 0; k < n; k++)
		sum += exp(k * log(a) - lgamma(k + 1.0) - lt);
	top = (double)n / (n - a);
	return top / (sum + top);
}

static void
test_large(void)
{
	struct erlang	e;
	int		n;

	erlang_c(1, 500, 550, 20, &e);
	ok(isfinite(e.p_wait) && e.p_wait > 0 && e.p_wait < 1,
	    "500 E on 550 agents: a probability");
	near(e.p_wait, c_direct(500, 550), 1e-9,
	    "500 E on 550 agents: equals the direct sum in logarithms");
	n = erlang_agents(1, 500, 20, 0.8, 100000, &e);
	ok(n > 500 && n < 550, "500 E: agents needed in (500, 550): %d", n);
	erlang_c(1, 500, n - 1, 20, &e);
	ok(e.service_level < 0.8, "500 E: one agent fewer falls short");
	n = erlang_agents(10, 1000, 20, 0.8, 100000, &e);
	ok(n > 10000 && n < 10100, "10,000 E: %d agents", n);
	ok(isfinite(e.p_wait) && isfinite(e.asa), "10,000 E: finite figures");
}

static void
test_edges(void)
{
	struct erlang	e;

	erlang_c(0, 180, 3, 20, &e);
	ok(e.p_wait == 0 && e.service_level == 1 && e.asa == 0 &&
	    !e.overloaded, "no arrivals: no wait, SL 1");
	is_int(erlang_agents(0, 180, 20, 0.8, 1000, &e), 0,
	    "no arrivals: no agents needed");
	erlang_c(100.0 / 1800, 180, 10, 20, &e);
	ok(e.overloaded && e.p_wait == 1 && isinf(e.asa) &&
	    e.service_level == 0, "traffic = agents: overloaded, ASA infinite");
	erlang_c(100.0 / 1800, 180, 0, 20, &e);
	ok(e.overloaded && isinf(e.asa), "no agents: overloaded");
	erlang_c(100.0 / 1800, 180, 9, 20, &e);
	ok(e.overloaded && e.occupancy > 1, "traffic > agents: overloaded");
	is_int(erlang_agents(100.0 / 1800, 180, 20, 0.8, 13, NULL), -1,
	    "not reachable within the cap: -1");
	is_int(erlang_agents(NAN, 180, 20, 0.8, 1000, NULL), -1,
	    "not a number: -1");
	/* One agent: C = 1/2, SL = 1 - e^(-20/360)/2 = 52.7%. */
	is_int(erlang_agents(0.5 / 180, 180, 20, 0.8, 1000, NULL), 2,
	    "half an erlang at 80/20: one agent is not enough, two are");
}

int
main(void)
{
	test_callcentrehelper();
	test_westbay();
	test_erlang_b();
	test_large();
	test_edges();
	return unit_done();
}
