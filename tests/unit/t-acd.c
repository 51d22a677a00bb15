/*
 * Unit tests for the ACD engine (daemon/acd*.c): every strategy, skills and
 * widening, penalties, priority, fairness across queues, ring timeouts and
 * the missed-offer policy, wrap-up, concurrency, overflow, position and
 * EWT, restore, determinism, and a randomised run that checks the engine's
 * invariants after every step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd-int.h"
#include "unit.h"
#include "xmalloc.h"

static struct acd_action	act[512];
static size_t			nact;
static char			actbuf[8192];

/* Run acd_tick and describe what it returned: "offer:c1@a1 missed:c1@a1". */
static const char *
tick(struct acd *acd, double now)
{
	size_t	i, off = 0;

	nact = acd_tick(acd, now, act, sizeof act / sizeof act[0]);
	actbuf[0] = '\0';
	for (i = 0; i < nact && off < sizeof actbuf; i++) {
		off += (size_t)snprintf(actbuf + off, sizeof actbuf - off,
		    "%s%s%s%s%s%s", i > 0 ? " " : "",
		    acd_action_name(act[i].type), act[i].call[0] ? ":" : "",
		    act[i].call, act[i].agent[0] ? "@" : "", act[i].agent);
	}
	return actbuf;
}

static struct acd_queue_conf
qconf(const char *id, enum acd_strategy s)
{
	struct acd_queue_conf	c;

	memset(&c, 0, sizeof c);
	strlcpy_(c.id, id, sizeof c.id);
	c.strategy = s;
	c.ring_timeout = 15;
	return c;
}

static void
queue(struct acd *acd, const char *id, enum acd_strategy s)
{
	struct acd_queue_conf	c = qconf(id, s);

	acd_queue_put(acd, &c);
}

/* "spanish:3,english:2" */
static int
skills(const char *spec, struct acd_skill *out, int max)
{
	char	buf[256], *p, *tok, *colon;
	int	n = 0;

	strlcpy_(buf, spec != NULL ? spec : "", sizeof buf);
	for (p = buf; (tok = strsep(&p, ",")) != NULL && n < max;) {
		if (*tok == '\0' || (colon = strchr(tok, ':')) == NULL)
			continue;
		*colon = '\0';
		strlcpy_(out[n].name, tok, sizeof out[n].name);
		out[n++].level = atoi(colon + 1);
	}
	return n;
}

static int
agent(struct acd *acd, const char *id, int max_calls, const char *spec)
{
	struct acd_agent_conf	c;

	memset(&c, 0, sizeof c);
	strlcpy_(c.id, id, sizeof c.id);
	c.max_calls = max_calls;
	c.nskills = skills(spec, c.skills, ACD_MAX_SKILLS);
	return acd_agent_put(acd, &c);
}

/* An agent, a member of queue with penalty, available at now. */
static void
staff(struct acd *acd, const char *queue_id, const char *id, int penalty,
    const char *spec, double now)
{
	if (acd_agent_get(acd, id, NULL, NULL, NULL) != 0)
		agent(acd, id, 1, spec);
	acd_member_set(acd, queue_id, id, penalty);
	acd_agent_state(acd, id, AGENT_AVAILABLE, now);
}

static int
call(struct acd *acd, const char *id, const char *queue_id, int priority,
    double arrival, const char *need, double now)
{
	struct acd_call_conf	c;

	memset(&c, 0, sizeof c);
	strlcpy_(c.id, id, sizeof c.id);
	strlcpy_(c.queue, queue_id, sizeof c.queue);
	c.priority = priority;
	c.arrival = arrival;
	c.nneed = skills(need, c.need, ACD_MAX_NEED);
	return acd_enqueue(acd, &c, now);
}

static enum agent_state
state(struct acd *acd, const char *id)
{
	enum agent_state	st = AGENT_STATE_COUNT;

	acd_agent_get(acd, id, &st, NULL, NULL);
	return st;
}

/* Accept, then end at once with no talk: the agent is free again. */
static void
handle(struct acd *acd, const char *c, const char *a, double now)
{
	acd_accept(acd, c, a, now);
	acd_call_end(acd, a, c, 0, now);
}

static void
test_names(void)
{
	enum acd_strategy	s;
	enum agent_state	st;
	int			i, good = 0;

	for (i = 0; i < ACD_STRATEGY_COUNT; i++)
		good += acd_strategy_parse(acd_strategy_name(i), &s) == 0 &&
		    (int)s == i;
	is_int(good, ACD_STRATEGY_COUNT, "every strategy name parses back");
	is_str(acd_strategy_name(ACD_LEAST_TALK), "least_talk_time",
	    "strategy names match the schema's enum");
	ok(acd_strategy_parse("fastest", &s) == -1, "unknown strategy refused");
	for (good = 0, i = 0; i < AGENT_STATE_COUNT; i++)
		good += agent_state_parse(agent_state_name(i), &st) == 0 &&
		    (int)st == i;
	is_int(good, AGENT_STATE_COUNT, "every agent state parses back");
	is_str(agent_state_name(AGENT_WRAP_UP), "wrap_up", "wrap_up name");
	ok(agent_state_parse("lunch", &st) == -1, "unknown state refused");
	is_str(acd_strerror(ACD_E_FULL), "queue is full", "strerror");
	is_str(acd_strerror(-99), "unknown error", "strerror out of range");
}

static void
test_invalid(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LINEAR);
	struct acd_agent_conf	 ac;
	char			 longid[64];

	qc.ring_timeout = 0;
	is_int(acd_queue_put(acd, &qc), ACD_E_INVAL, "ring_timeout 0 refused");
	qc = qconf("q", ACD_STRATEGY_COUNT);
	is_int(acd_queue_put(acd, &qc), ACD_E_INVAL, "bad strategy refused");
	qc = qconf("q", ACD_LINEAR);
	qc.nwiden = 1;
	qc.widen[0].after = -1;
	is_int(acd_queue_put(acd, &qc), ACD_E_INVAL, "negative widen refused");
	memset(longid, 'x', sizeof longid);
	longid[37] = '\0';
	is_int(acd_agent_state(acd, longid, AGENT_AWAY, 0), ACD_E_INVAL,
	    "37-char id refused");
	memset(&ac, 0, sizeof ac);
	memset(ac.id, 'x', sizeof ac.id);
	is_int(acd_agent_put(acd, &ac), ACD_E_INVAL, "unterminated id refused");
	longid[36] = '\0';
	is_int(agent(acd, longid, 1, NULL), 0, "36-char id taken");
	is_int(agent(acd, "a", 1, "spanish:3,:2"), ACD_E_INVAL,
	    "unnamed skill refused");
	queue(acd, "q", ACD_LINEAR);
	agent(acd, "a", 1, NULL);
	is_int(acd_agent_state(acd, "a", AGENT_BUSY, 0), ACD_E_INVAL,
	    "busy is the engine's to set");
	is_int(acd_agent_state(acd, "nobody", AGENT_AWAY, 0), ACD_E_NOENT,
	    "unknown agent");
	is_int(call(acd, "c", "nowhere", 0, 0, NULL, 0), ACD_E_NOENT,
	    "unknown queue");
	is_int(acd_member_set(acd, "q", "a", -1), ACD_E_INVAL,
	    "negative penalty refused");
	is_int(acd_member_del(acd, "q", "a"), ACD_E_NOENT, "not a member");
	is_int(acd_accept(acd, "c", "a", 0), ACD_E_NOENT, "accept: no call");
	ok(isinf(acd_next_deadline(acd)), "nothing to wait for: INFINITY");
	is_str(tick(acd, 0), "", "nothing to do");
	acd_free(acd);
}

static void
test_longest_idle(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "a1", 0, NULL, 2);
	staff(acd, "q", "a2", 0, NULL, 1);
	staff(acd, "q", "a3", 0, NULL, 3);
	call(acd, "c1", "q", 0, 10, NULL, 10);
	is_str(tick(acd, 10), "offer:c1@a2", "longest idle: available first");
	ok(act[0].deadline == 25, "deadline is now + ring_timeout");
	is_str(act[0].queue, "q", "the offer names the queue");
	is_int(state(acd, "a2"), AGENT_OFFERING, "a2 is offering");
	acd_accept(acd, "c1", "a2", 11);
	is_int(state(acd, "a2"), AGENT_BUSY, "a2 is busy");
	call(acd, "c2", "q", 0, 12, NULL, 12);
	is_str(tick(acd, 12), "offer:c2@a1", "next longest idle");
	acd_accept(acd, "c2", "a1", 12);
	acd_call_end(acd, "a1", "c2", 18, 30);
	acd_call_end(acd, "a2", "c1", 29, 40);
	call(acd, "c3", "q", 0, 50, NULL, 50);
	call(acd, "c4", "q", 0, 51, NULL, 51);
	call(acd, "c5", "q", 0, 52, NULL, 52);
	is_str(tick(acd, 52), "offer:c3@a3 offer:c4@a1 offer:c5@a2",
	    "idle since the last call's end");
	acd_free(acd);

	acd = acd_new(1);
	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	acd_agent_counters(acd, "a1", 3, 100, 500);
	acd_agent_counters(acd, "a2", 3, 100, 400);
	call(acd, "c1", "q", 0, 1000, NULL, 1000);
	is_str(tick(acd, 1000), "offer:c1@a2",
	    "restored last call end counts");
	acd_free(acd);
}

static void
test_round_robin(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_ROUND_ROBIN);
	staff(acd, "q", "a1", 0, NULL, 3);
	staff(acd, "q", "a2", 0, NULL, 2);
	staff(acd, "q", "a3", 0, NULL, 1);
	call(acd, "c1", "q", 0, 10, NULL, 10);
	is_str(tick(acd, 10), "offer:c1@a1", "rr: first member first");
	acd_accept(acd, "c1", "a1", 10);
	call(acd, "c2", "q", 0, 11, NULL, 11);
	is_str(tick(acd, 11), "offer:c2@a2", "rr: then the next");
	handle(acd, "c2", "a2", 11);
	call(acd, "c3", "q", 0, 12, NULL, 12);
	is_str(tick(acd, 12), "offer:c3@a3", "rr: then the third");
	handle(acd, "c3", "a3", 12);
	call(acd, "c4", "q", 0, 13, NULL, 13);
	is_str(tick(acd, 13), "offer:c4@a2", "rr: wraps, skipping busy a1");
	handle(acd, "c4", "a2", 13);
	acd_call_end(acd, "a1", "c1", 3, 14);
	call(acd, "c5", "q", 0, 15, NULL, 15);
	is_str(tick(acd, 15), "offer:c5@a3", "rr: cursor kept");
	handle(acd, "c5", "a3", 15);
	call(acd, "c6", "q", 0, 16, NULL, 16);
	is_str(tick(acd, 16), "offer:c6@a1", "rr: round again");
	acd_free(acd);
}

static void
test_fewest_least(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_FEWEST_CALLS);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	staff(acd, "q", "a3", 0, NULL, 0);
	acd_agent_counters(acd, "a1", 5, 10, 0);
	acd_agent_counters(acd, "a2", 2, 900, 0);
	acd_agent_counters(acd, "a3", 3, 20, 0);
	call(acd, "c1", "q", 0, 1, NULL, 1);
	is_str(tick(acd, 1), "offer:c1@a2", "fewest calls");
	handle(acd, "c1", "a2", 2);
	call(acd, "c2", "q", 0, 3, NULL, 3);
	is_str(tick(acd, 3), "offer:c2@a2", "fewest calls: tie by member order");
	handle(acd, "c2", "a2", 4);
	call(acd, "c3", "q", 0, 5, NULL, 5);
	is_str(tick(acd, 5), "offer:c3@a3", "fewest calls: a2 now has 4");
	acd_free(acd);

	acd = acd_new(1);
	queue(acd, "q", ACD_LEAST_TALK);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	staff(acd, "q", "a3", 0, NULL, 0);
	acd_agent_counters(acd, "a1", 1, 100, 0);
	acd_agent_counters(acd, "a2", 9, 50, 0);
	acd_agent_counters(acd, "a3", 1, 70, 0);
	call(acd, "c1", "q", 0, 1, NULL, 1);
	is_str(tick(acd, 1), "offer:c1@a2", "least talk time");
	acd_accept(acd, "c1", "a2", 1);
	acd_call_end(acd, "a2", "c1", 60, 61);
	call(acd, "c2", "q", 0, 62, NULL, 62);
	is_str(tick(acd, 62), "offer:c2@a3", "least talk: a2 now has 110 s");
	acd_free(acd);
}

/* Offer n calls one after another under random; the agents in order. */
static void
random_run(uint64_t seed, int n, char *out, size_t len, int counts[4])
{
	struct acd	*acd = acd_new(seed);
	char		 id[16];
	size_t		 off = 0;
	int		 i;

	queue(acd, "q", ACD_RANDOM);
	staff(acd, "q", "a0", 0, NULL, 0);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	staff(acd, "q", "a3", 0, NULL, 0);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "c%d", i);
		call(acd, id, "q", 0, i, NULL, i);
		tick(acd, i);
		if (nact != 1)
			continue;
		counts[act[0].agent[1] - '0']++;
		if (off < len)
			off += (size_t)snprintf(out + off, len - off, "%c",
			    act[0].agent[1]);
		handle(acd, id, act[0].agent, i);
	}
	acd_free(acd);
}

static void
test_random(void)
{
	char	a[512], b[512], c[512];
	int	ca[4] = { 0 }, cb[4] = { 0 }, cc[4] = { 0 }, i, spread = 1;

	random_run(42, 400, a, sizeof a, ca);
	random_run(42, 400, b, sizeof b, cb);
	random_run(43, 400, c, sizeof c, cc);
	is_int(ca[0] + ca[1] + ca[2] + ca[3], 400, "random: every call offered");
	for (i = 0; i < 4; i++)
		spread &= ca[i] > 60 && ca[i] < 140;
	ok(spread, "random: spread over all agents (%d %d %d %d)", ca[0],
	    ca[1], ca[2], ca[3]);
	ok(strcmp(a, b) == 0, "random: same seed, same choices");
	ok(strcmp(a, c) != 0, "random: another seed, other choices");
}

static void
test_ring_all(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc;

	queue(acd, "q", ACD_RING_ALL);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	staff(acd, "q", "a3", 1, NULL, 0);
	staff(acd, "q", "a4", 0, NULL, 0);
	acd_agent_state(acd, "a4", AGENT_AWAY, 0);
	call(acd, "c1", "q", 0, 1, NULL, 1);
	is_str(tick(acd, 1), "offer:c1@a1 offer:c1@a2",
	    "ring-all: every free member of the lowest penalty");
	ok(act[0].deadline == 16 && act[1].deadline == 16, "one deadline");
	is_int(acd_agent_offered(acd, "a1"), 1, "an offer rings for a1");
	is_int(acd_agent_offered(acd, "a4"), 0, "none for a4");
	is_int(acd_agent_offered(acd, "nobody"), ACD_E_NOENT, "no such agent");
	is_int(acd_accept(acd, "c1", "a2", 3), 0, "a2 answers first");
	is_int(acd_agent_offered(acd, "a2"), 0, "answered: no offer rings");
	is_str(tick(acd, 3), "withdraw:c1@a1", "the other offer withdrawn");
	is_int(acd_agent_offered(acd, "a1"), 0, "withdrawn: none for a1");
	is_int(state(acd, "a1"), AGENT_AVAILABLE, "a1 available again");
	is_int(acd_accept(acd, "c1", "a1", 3), ACD_E_STATE,
	    "a1 cannot answer a withdrawn offer");
	call(acd, "c2", "q", 0, 4, NULL, 4);
	is_str(tick(acd, 4), "offer:c2@a1", "penalty 1 not rung while a1 free");
	is_str(tick(acd, 19), "missed:c2@a1 offer:c2@a1",
	    "ring-all rings again after a timeout");
	acd_free(acd);

	acd = acd_new(1);
	qc = qconf("q", ACD_RING_ALL);
	qc.miss_limit = 3;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	staff(acd, "q", "a3", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	is_str(tick(acd, 0), "offer:c1@a1 offer:c1@a2 offer:c1@a3",
	    "ring-all to three");
	is_str(tick(acd, 15), "missed:c1@a1 missed:c1@a2 missed:c1@a3 "
	    "offer:c1@a1 offer:c1@a2 offer:c1@a3",
	    "a timeout is a miss for each agent");
	acd_reject(acd, "c1", "a2", 20);
	is_str(tick(acd, 20), "", "a reject leaves the others ringing");
	is_int(state(acd, "a2"), AGENT_AVAILABLE,
	    "the rejecter is free, not rung again meanwhile");
	is_str(tick(acd, 30), "missed:c1@a1 missed:c1@a3 "
	    "offer:c1@a1 offer:c1@a2 offer:c1@a3",
	    "second timeout: all rung again, tried or not");
	is_str(tick(acd, 45), "missed:c1@a1 agent_away:c1@a1 "
	    "missed:c1@a2 agent_away:c1@a2 missed:c1@a3 agent_away:c1@a3",
	    "third miss each (a reject counted for a2): all away");
	is_int(state(acd, "a3"), AGENT_AWAY, "a3 away");
	acd_free(acd);
}

/*
 * app_queue's ringall: a reject withdraws only the rejecter's offer; the
 * call keeps ringing the others until the last rejects or rings out.
 */
static void
test_ring_all_reject(void)
{
	struct acd	*acd = acd_new(1);
	char		 other[ACD_ID_LEN + 1];
	int		 pos, ewt;

	queue(acd, "q", ACD_RING_ALL);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	staff(acd, "q", "a3", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	is_str(tick(acd, 0), "offer:c1@a1 offer:c1@a2 offer:c1@a3",
	    "ring-all to three");
	is_int(acd_call_offers(acd, "c1", other), 3, "three ringing");
	is_int(acd_reject(acd, "c1", "a1", 1), 0, "a1 rejects");
	is_str(tick(acd, 1), "", "nothing withdrawn from the others");
	is_int(acd_call_offers(acd, "c1", other), 2, "two still ringing");
	is_str(other, "a2", "the first of them named");
	ok(acd_position(acd, "c1", &pos, &ewt) == 0 && pos == 0,
	    "the call is still being offered (position 0)");
	ok(state(acd, "a1") == AGENT_AVAILABLE &&
	    state(acd, "a2") == AGENT_OFFERING &&
	    state(acd, "a3") == AGENT_OFFERING,
	    "the rejecter available, the others offering");
	is_int(acd_reject(acd, "c1", "a2", 2), 0, "a2 rejects");
	is_int(acd_call_offers(acd, "c1", other), 1, "one still ringing");
	is_str(other, "a3", "a3 named");
	is_int(acd_accept(acd, "c1", "a3", 3), 0, "a3 can still answer");
	is_int(acd_call_offers(acd, "c1", other), ACD_E_STATE,
	    "an answered call has no offers");
	is_str(tick(acd, 3), "", "nothing left to withdraw");
	acd_call_end(acd, "a3", "c1", 0, 3);

	call(acd, "c2", "q", 0, 10, NULL, 10);
	is_str(tick(acd, 10), "offer:c2@a1 offer:c2@a2 offer:c2@a3",
	    "c2 rings all three");
	acd_reject(acd, "c2", "a1", 11);
	acd_reject(acd, "c2", "a2", 11);
	is_int(acd_reject(acd, "c2", "a3", 12), 0, "the last one rejects");
	is_int(acd_call_offers(acd, "c2", other), 0, "none ringing");
	is_str(other, "", "no one named");
	ok(acd_position(acd, "c2", &pos, &ewt) == 0 && pos == 1,
	    "back to waiting, first in line");
	is_str(tick(acd, 12), "", "not rung again before the retry delay");
	is_str(tick(acd, 16), "offer:c2@a1 offer:c2@a2",
	    "rung again once a rejecter's delay is over");
	is_str(tick(acd, 17), "", "a3, free later, waits for the next round");
	acd_free(acd);
}

/* Who else is still being offered the call when an offer ends. */
static void
test_offer_end_other(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_RING_ALL);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	tick(acd, 0);
	is_str(tick(acd, 15), "missed:c1@a1 missed:c1@a2 "
	    "offer:c1@a1 offer:c1@a2", "both ring out, both rung again");
	ok(strcmp(act[0].other, "a2") == 0 && act[1].other[0] == '\0',
	    "a1's miss names a2 still ringing; a2's names no one (%s|%s)",
	    act[0].other, act[1].other);
	acd_agent_state(acd, "a2", AGENT_AWAY, 16);
	is_str(tick(acd, 16), "withdraw:c1@a2", "a2 goes away");
	is_str(act[0].other, "a1", "a1 still ringing");
	agent(acd, "a3", 1, NULL);
	acd_agent_state(acd, "a3", AGENT_AVAILABLE, 17);
	acd_assign(acd, "c1", "a3", 17);
	is_str(tick(acd, 17), "withdraw:c1@a1 offer:c1@a3",
	    "an assign replaces the offer");
	is_str(act[0].other, "a3", "the withdrawal names the assignee");
	acd_agent_state(acd, "a3", AGENT_OFFLINE, 18);
	is_str(tick(acd, 18), "withdraw:c1@a3 offer:c1@a1",
	    "the last offer withdrawn, the call rings again");
	is_str(act[0].other, "", "nobody was ringing when it ended");
	acd_free(acd);
}

static void
test_linear(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_LINEAR);
	staff(acd, "q", "a3", 0, NULL, 5);
	staff(acd, "q", "a1", 0, NULL, 1);
	staff(acd, "q", "a2", 0, NULL, 0);
	call(acd, "c1", "q", 0, 10, NULL, 10);
	is_str(tick(acd, 10), "offer:c1@a3", "linear: first added first");
	acd_accept(acd, "c1", "a3", 10);
	call(acd, "c2", "q", 0, 11, NULL, 11);
	is_str(tick(acd, 11), "offer:c2@a1", "linear: then the second");
	acd_member_set(acd, "q", "a3", 0);
	acd_call_end(acd, "a3", "c1", 5, 20);
	call(acd, "c3", "q", 0, 21, NULL, 21);
	is_str(tick(acd, 21), "offer:c3@a3",
	    "linear: re-setting a member keeps its place");
	acd_member_del(acd, "q", "a3");
	acd_accept(acd, "c3", "a3", 21);
	acd_call_end(acd, "a3", "c3", 5, 22);
	call(acd, "c4", "q", 0, 23, NULL, 23);
	is_str(tick(acd, 23), "offer:c4@a2", "linear: removed member skipped");
	acd_free(acd);
}

static void
test_skills(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "a4", 0, "english:5", 0);
	staff(acd, "q", "a1", 0, "spanish:3", 1);
	staff(acd, "q", "a2", 0, "spanish:5,english:1", 2);
	staff(acd, "q", "a3", 0, "spanish:4", 3);
	call(acd, "c1", "q", 0, 10, "spanish:3", 10);
	is_str(tick(acd, 10), "offer:c1@a2",
	    "skills: the highest level first, over longest idle");
	call(acd, "c2", "q", 0, 11, "spanish:4", 11);
	is_str(tick(acd, 11), "offer:c2@a3", "skills: a1's 3 is not enough");
	call(acd, "c3", "q", 0, 12, "spanish:4", 12);
	is_str(tick(acd, 12), "", "skills: nobody free qualifies");
	call(acd, "c4", "q", 0, 13, NULL, 13);
	is_str(tick(acd, 13), "offer:c4@a4",
	    "a call without needs passes the stuck one");
	call(acd, "c5", "q", 0, 14, "spanish:1,english:1", 14);
	is_str(tick(acd, 14), "", "both skills needed: a1 lacks english");
	handle(acd, "c1", "a2", 15);
	is_str(tick(acd, 15), "offer:c3@a2", "a2 free: the oldest it can take");
	handle(acd, "c3", "a2", 16);
	is_str(tick(acd, 16), "offer:c5@a2", "then the two-skill call");
	acd_free(acd);
}

static void
test_widen(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);
	int			 pos, ewt;

	qc.nwiden = 2;
	qc.widen[0].after = 60;		/* given out of order */
	qc.widen[0].level_drop = 3;
	qc.widen[1].after = 30;
	qc.widen[1].level_drop = 1;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "b", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, "spanish:3", 0);
	is_str(tick(acd, 0), "", "no spanish speaker");
	ok(acd_next_deadline(acd) == 30, "next deadline: first widen step");
	call(acd, "c2", "q", 0, 40, NULL, 40);
	is_str(tick(acd, 40), "offer:c2@b", "spanish:2 still needed at 40");
	ok(acd_next_deadline(acd) == 55, "next deadline: the offer's timeout");
	acd_accept(acd, "c2", "b", 41);
	call(acd, "c3", "q", 0, 50, NULL, 50);
	is_str(tick(acd, 60), "", "c1 no longer needs spanish, b is busy");
	acd_position(acd, "c1", &pos, &ewt);
	is_int(pos, 1, "widened c1 kept its place ahead of c3");
	acd_call_end(acd, "b", "c2", 20, 70);
	is_str(tick(acd, 70), "offer:c1@b", "b gets the widened, older c1");
	acd_free(acd);

	acd = acd_new(1);
	acd_queue_put(acd, &qc);
	staff(acd, "q", "s2", 0, "spanish:2", 0);
	call(acd, "c1", "q", 0, 0, "spanish:3,english:1", 0);
	is_str(tick(acd, 29.5), "", "spanish:3 and english:1 before 30 s");
	is_str(tick(acd, 30), "offer:c1@s2",
	    "at 30 s spanish:2 is enough and english:1 dropped out");
	acd_free(acd);

	/* Updating the rules reaches calls already waiting. */
	acd = acd_new(1);
	qc.nwiden = 0;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "b", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, "spanish:3", 0);
	is_str(tick(acd, 100), "", "no rules: waits");
	qc.nwiden = 1;
	qc.widen[0].after = 50;
	qc.widen[0].level_drop = 5;
	acd_queue_put(acd, &qc);
	is_str(tick(acd, 101), "offer:c1@b", "new rule applied at once");
	acd_free(acd);
}

static void
test_penalty(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "p1", 1, NULL, 0);
	staff(acd, "q", "p0", 0, NULL, 5);
	staff(acd, "q", "p2", 2, NULL, 0);
	call(acd, "c1", "q", 0, 10, NULL, 10);
	is_str(tick(acd, 10), "offer:c1@p0", "penalty 0 before longer idle 1");
	call(acd, "c2", "q", 0, 11, NULL, 11);
	is_str(tick(acd, 11), "offer:c2@p1", "then penalty 1");
	call(acd, "c3", "q", 0, 12, NULL, 12);
	is_str(tick(acd, 12), "offer:c3@p2", "then penalty 2");
	acd_free(acd);
}

static void
test_priority(void)
{
	struct acd	*acd = acd_new(1);
	int		 pos[4], ewt;

	queue(acd, "q", ACD_LONGEST_IDLE);
	agent(acd, "a", 1, NULL);
	acd_member_set(acd, "q", "a", 0);
	call(acd, "c1", "q", 0, 0, NULL, 200);
	call(acd, "c2", "q", 1, 10, NULL, 200);
	call(acd, "c3", "q", 1, 70, NULL, 200);
	call(acd, "c4", "q", 100, 200, NULL, 200);
	acd_position(acd, "c1", &pos[0], &ewt);
	acd_position(acd, "c2", &pos[1], &ewt);
	acd_position(acd, "c3", &pos[2], &ewt);
	acd_position(acd, "c4", &pos[3], &ewt);
	ok(pos[3] == 1 && pos[1] == 2 && pos[0] == 3 && pos[2] == 4,
	    "positions by rank: c4 c2 c1 c3 (%d %d %d %d)", pos[3], pos[1],
	    pos[0], pos[2]);
	acd_agent_state(acd, "a", AGENT_AVAILABLE, 200);
	is_str(tick(acd, 200), "offer:c4@a", "priority 100: strictly first");
	handle(acd, "c4", "a", 201);
	is_str(tick(acd, 201), "offer:c2@a",
	    "priority 1 ten seconds later beats priority 0");
	handle(acd, "c2", "a", 202);
	is_str(tick(acd, 202), "offer:c1@a",
	    "priority 1 seventy seconds later does not");
	handle(acd, "c1", "a", 203);
	is_str(tick(acd, 203), "offer:c3@a", "then c3");
	acd_free(acd);
}

/* A waiting call's priority changed: it takes its new place at once. */
static void
test_priority_change(void)
{
	struct acd	*acd = acd_new(1);
	int		 pos, ewt;

	queue(acd, "q", ACD_LONGEST_IDLE);
	agent(acd, "a", 1, NULL);
	acd_member_set(acd, "q", "a", 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	call(acd, "c2", "q", 0, 10, NULL, 10);
	call(acd, "c3", "q", 0, 20, NULL, 20);
	acd_position(acd, "c3", &pos, &ewt);
	is_int(pos, 3, "c3 third");
	is_int(acd_call_priority(acd, "c3", 1, 30), 0, "c3 raised to 1");
	acd_position(acd, "c3", &pos, &ewt);
	is_int(pos, 1, "c3 first now (20 - 60 < 0)");
	acd_position(acd, "c1", &pos, &ewt);
	is_int(pos, 2, "c1 second");
	is_int(acd_call_priority(acd, "c2", 2, 30), 0, "c2 raised to 2");
	acd_position(acd, "c2", &pos, &ewt);
	is_int(pos, 1, "c2 first");
	acd_agent_state(acd, "a", AGENT_AVAILABLE, 30);
	is_str(tick(acd, 30), "offer:c2@a", "the highest is offered first");
	is_int(acd_call_priority(acd, "c2", -5, 31), 0,
	    "an offered call may change too");
	is_str(tick(acd, 31), "", "its offer stands");
	acd_reject(acd, "c2", "a", 32);
	acd_position(acd, "c2", &pos, &ewt);
	is_int(pos, 3, "rejected, it waits in its new place: last");
	is_int(acd_call_priority(acd, "c3", 0, 33), 0, "c3 lowered back");
	acd_position(acd, "c3", &pos, &ewt);
	is_int(pos, 2, "c3 behind c1 again");
	is_str(tick(acd, 33), "offer:c1@a", "c1 now first");
	acd_accept(acd, "c1", "a", 34);
	is_int(acd_call_priority(acd, "c1", 5, 34), ACD_E_STATE,
	    "an answered call is not ranked");
	is_int(acd_call_priority(acd, "c9", 5, 34), ACD_E_NOENT, "unknown call");
	acd_free(acd);
}

static void
test_fairness(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "A", ACD_LONGEST_IDLE);
	queue(acd, "B", ACD_LONGEST_IDLE);
	agent(acd, "x", 1, NULL);
	acd_member_set(acd, "A", "x", 0);
	acd_member_set(acd, "B", "x", 0);
	call(acd, "b1", "B", 0, 5, NULL, 6);
	call(acd, "a1", "A", 0, 0, NULL, 6);
	acd_agent_state(acd, "x", AGENT_AVAILABLE, 10);
	is_str(tick(acd, 10), "offer:a1@x",
	    "two queues: the longest waiting caller first");
	handle(acd, "a1", "x", 11);
	is_str(tick(acd, 11), "offer:b1@x", "then the other queue's");
	handle(acd, "b1", "x", 12);
	call(acd, "a2", "A", 0, 20, NULL, 30);
	call(acd, "b2", "B", 2, 100, NULL, 100);
	is_str(tick(acd, 100), "offer:b2@x",
	    "priority 2 is two minutes of waiting");
	acd_free(acd);

	acd = acd_new(1);
	queue(acd, "A", ACD_LONGEST_IDLE);
	queue(acd, "B", ACD_LONGEST_IDLE);
	staff(acd, "B", "y", 0, NULL, 1);
	staff(acd, "A", "x", 0, NULL, 2);
	acd_member_set(acd, "B", "x", 0);
	acd_agent_state(acd, "y", AGENT_AWAY, 3);
	call(acd, "a1", "A", 0, 4, NULL, 4);
	call(acd, "b1", "B", 0, 5, NULL, 5);
	acd_agent_state(acd, "y", AGENT_AVAILABLE, 6);
	is_str(tick(acd, 6), "offer:a1@x offer:b1@y",
	    "x takes A's older call, y (B only) takes B's");
	acd_free(acd);
}

static void
test_ring_timeout(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc;
	char			 got[ACD_ID_LEN + 1];

	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "a1", 0, NULL, 1);
	staff(acd, "q", "a2", 0, NULL, 2);
	call(acd, "c1", "q", 0, 10, NULL, 10);
	is_str(tick(acd, 10), "offer:c1@a1", "first offer");
	is_str(tick(acd, 24.9), "", "not yet timed out");
	ok(acd_next_deadline(acd) == 25, "deadline 25");
	is_str(tick(acd, 25), "missed:c1@a1 offer:c1@a2",
	    "timeout: the next agent");
	ok(act[1].deadline == 40, "new deadline");
	is_str(tick(acd, 40), "missed:c1@a2 offer:c1@a1",
	    "both tried: round again from the longest idle");
	acd_accept(acd, "c1", "a1", 41);
	is_int(state(acd, "a1"), AGENT_BUSY, "answered on the retry");
	acd_free(acd);

	acd = acd_new(1);
	qc = qconf("q", ACD_LONGEST_IDLE);
	qc.miss_limit = 0;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "only", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	tick(acd, 0);
	is_str(tick(acd, 15), "missed:c1@only offer:c1@only",
	    "the only agent is offered again");
	acd_free(acd);

	/* A tried agent waits while an untried one is free. */
	acd = acd_new(1);
	queue(acd, "q", ACD_LINEAR);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	call(acd, "c2", "q", 0, 1, NULL, 1);
	is_str(tick(acd, 1), "offer:c1@a1 offer:c2@a2", "two offers");
	acd_reject(acd, "c1", "a1", 2);
	acd_accept(acd, "c2", "a2", 2);
	is_str(tick(acd, 2), "", "a2 busy: the rejecter is not rung at once");
	is_int(state(acd, "a1"), AGENT_AVAILABLE, "the rejecter is free");
	ok(acd_next_deadline(acd) == 2 + ACD_REJECT_RETRY,
	    "the engine wakes when the rejecter may retry");
	is_int(acd_pull(acd, "a1", 3, got), ACD_E_EMPTY,
	    "nor may it pull the call it rejected meanwhile");
	is_str(tick(acd, 6.9), "", "not before the retry delay");
	is_str(tick(acd, 7), "offer:c1@a1",
	    "a2 still busy: a1 is offered it again after the delay");
	acd_reject(acd, "c1", "a1", 8);
	acd_call_end(acd, "a2", "c2", 1, 8);
	is_str(tick(acd, 8), "offer:c1@a2", "a2 free: untried goes first");
	acd_free(acd);

	/* A reject goes to another free agent first, whatever the strategy. */
	acd = acd_new(1);
	queue(acd, "q", ACD_LINEAR);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	call(acd, "c1", "q", 0, 1, NULL, 1);
	is_str(tick(acd, 1), "offer:c1@a1", "linear: a1 first");
	acd_reject(acd, "c1", "a1", 2);
	is_str(tick(acd, 2), "offer:c1@a2", "rejected: a2, not a1 again");
	acd_reject(acd, "c1", "a2", 3);
	is_str(tick(acd, 3), "", "both rejected: nobody yet");
	is_str(tick(acd, 7), "offer:c1@a1", "a1's delay over first");
	acd_free(acd);

	/* Ring-all: a rejecter sits out the delay when the call rings again. */
	acd = acd_new(1);
	queue(acd, "q", ACD_RING_ALL);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	is_str(tick(acd, 0), "offer:c1@a1 offer:c1@a2", "ring-all");
	acd_reject(acd, "c1", "a1", 1);
	acd_reject(acd, "c1", "a2", 2);
	is_str(tick(acd, 2), "", "both rejected");
	is_str(tick(acd, 6), "offer:c1@a1", "a1 rings again first, alone");
	acd_free(acd);
}

static void
test_miss_policy(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);

	qc.miss_limit = 2;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "a1", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	is_str(tick(acd, 0), "offer:c1@a1", "offered");
	is_str(tick(acd, 15), "missed:c1@a1 offer:c1@a1", "one miss");
	is_str(tick(acd, 30), "missed:c1@a1 agent_away:c1@a1",
	    "second consecutive miss: away");
	is_int(state(acd, "a1"), AGENT_AWAY, "the engine set a1 away");
	ok(isinf(acd_next_deadline(acd)), "nothing timed left");
	acd_agent_state(acd, "a1", AGENT_AVAILABLE, 40);
	is_str(tick(acd, 40), "offer:c1@a1", "back: offered again");
	is_str(tick(acd, 55), "missed:c1@a1 offer:c1@a1",
	    "the count started over");
	acd_accept(acd, "c1", "a1", 56);
	acd_call_end(acd, "a1", "c1", 1, 57);
	call(acd, "c2", "q", 0, 60, NULL, 60);
	tick(acd, 60);
	is_str(tick(acd, 75), "missed:c2@a1 offer:c2@a1",
	    "an accept reset the count");
	acd_free(acd);
}

static void
test_reject(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);

	queue(acd, "p", ACD_LONGEST_IDLE);
	qc.miss_limit = 1;
	acd_queue_put(acd, &qc);
	staff(acd, "p", "a1", 0, NULL, 0);
	staff(acd, "p", "a2", 0, NULL, 1);
	call(acd, "c1", "p", 0, 5, NULL, 5);
	is_str(tick(acd, 5), "offer:c1@a1", "offered to a1");
	is_int(acd_reject(acd, "c1", "a1", 6), 0, "a1 rejects");
	is_int(acd_reject(acd, "c1", "a1", 6), ACD_E_STATE,
	    "no offer to reject any more");
	is_str(tick(acd, 6), "offer:c1@a2", "at once to a2, no missed");
	is_int(acd_accept(acd, "c1", "a1", 6), ACD_E_STATE,
	    "a1 cannot take it back");
	acd_member_set(acd, "q", "a1", 0);
	call(acd, "c2", "q", 0, 7, NULL, 7);
	is_str(tick(acd, 7), "offer:c2@a1", "q offers to a1");
	acd_reject(acd, "c2", "a1", 8);
	is_str(tick(acd, 8), "agent_away:c2@a1",
	    "a reject counts toward miss_limit 1");
	is_int(state(acd, "a1"), AGENT_AWAY, "a1 away");
	acd_free(acd);
}

/* A connected call whose agent could not be reached waits again at its
 * place; the agent counts a miss and is tried last. */
static void
test_requeue(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);
	int			 pos, ewt;

	qc.miss_limit = 2;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "a1", 0, NULL, 0);
	call(acd, "c1", "q", 0, 1, NULL, 1);
	is_str(tick(acd, 1), "offer:c1@a1", "c1 offered to a1");
	is_int(acd_accept(acd, "c1", "a1", 2), 0, "a1 takes c1");
	call(acd, "c2", "q", 0, 3, NULL, 3);
	is_int(acd_requeue(acd, "c2", "a1", 4), ACD_E_STATE,
	    "a waiting call cannot be re-queued");
	is_int(acd_requeue(acd, "c1", "a2", 4), ACD_E_NOENT, "no such agent");
	acd_agent_state(acd, "a1", AGENT_AWAY, 4);
	is_int(acd_requeue(acd, "c1", "a1", 5), 0, "c1 back to waiting");
	is_int(acd_requeue(acd, "c1", "a1", 5), ACD_E_STATE, "only once");
	is_int(acd_position(acd, "c1", &pos, &ewt), 0, "c1 has a position");
	is_int(pos, 1, "c1 ahead of c2, at its place");
	acd_position(acd, "c2", &pos, &ewt);
	is_int(pos, 2, "c2 second");
	is_str(tick(acd, 5), "", "nobody free");
	staff(acd, "q", "a2", 0, NULL, 6);
	acd_agent_state(acd, "a1", AGENT_AVAILABLE, 6);
	is_str(tick(acd, 6), "offer:c1@a2 offer:c2@a1",
	    "c1 first, to a2: a1 is tried last for it");
	acd_free(acd);
}

static void
test_wrap_up(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);
	enum agent_state	 st;
	double			 since;
	int			 active;

	qc.wrap_up = 30;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "a1", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	tick(acd, 0);
	acd_accept(acd, "c1", "a1", 1);
	is_int(acd_call_end(acd, "a1", "c1", 99, 100), 0, "call ends");
	acd_agent_get(acd, "a1", &st, &since, &active);
	ok(st == AGENT_WRAP_UP && since == 100 && active == 0,
	    "wrap-up since 100, no calls");
	call(acd, "c2", "q", 0, 101, NULL, 101);
	is_str(tick(acd, 101), "", "not offered during wrap-up");
	ok(acd_next_deadline(acd) == 130, "wrap-up ends at 130");
	is_str(tick(acd, 129), "", "still wrapping at 129");
	is_str(tick(acd, 130), "wrap_done@a1 offer:c2@a1",
	    "wrap-up over: offered");
	acd_accept(acd, "c2", "a1", 131);
	acd_call_end(acd, "a1", "c2", 69, 200);
	call(acd, "c3", "q", 0, 201, NULL, 201);
	is_str(tick(acd, 201), "", "wrapping again");
	is_int(acd_wrap_done(acd, "a1", 210), 0, "done early");
	is_int(state(acd, "a1"), AGENT_AVAILABLE, "available at once");
	is_str(tick(acd, 210), "offer:c3@a1", "offered after early wrap-up");
	is_int(acd_wrap_done(acd, "a1", 211), ACD_E_STATE,
	    "not wrapping: refused");
	is_int(acd_call_end(acd, "a1", "c3", 1, 211), ACD_E_STATE,
	    "cannot end a call not answered");
	acd_free(acd);
}

static void
test_concurrency(void)
{
	struct acd	*acd = acd_new(1);
	int		 active;

	queue(acd, "q", ACD_LONGEST_IDLE);
	agent(acd, "a1", 2, NULL);
	staff(acd, "q", "a1", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	call(acd, "c2", "q", 0, 1, NULL, 1);
	call(acd, "c3", "q", 0, 2, NULL, 2);
	is_str(tick(acd, 2), "offer:c1@a1", "one offer at a time");
	acd_accept(acd, "c1", "a1", 3);
	is_str(tick(acd, 3), "offer:c2@a1", "busy with 1 of 2: offered");
	is_int(state(acd, "a1"), AGENT_OFFERING, "offering while on a call");
	acd_accept(acd, "c2", "a1", 4);
	acd_agent_get(acd, "a1", NULL, NULL, &active);
	is_int(active, 2, "two calls");
	is_str(tick(acd, 4), "", "at max_calls: no offer");
	acd_call_end(acd, "a1", "c1", 10, 14);
	is_str(tick(acd, 14), "offer:c3@a1", "one ended: offered again");
	is_int(state(acd, "a1"), AGENT_OFFERING, "offering");
	acd_reject(acd, "c3", "a1", 15);
	is_int(state(acd, "a1"), AGENT_BUSY, "back to busy after a reject");
	acd_free(acd);

	acd = acd_new(1);
	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "a1", 0, NULL, 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	call(acd, "c2", "q", 0, 1, NULL, 1);
	tick(acd, 1);
	acd_accept(acd, "c1", "a1", 2);
	is_str(tick(acd, 2), "", "max_calls 1: no second offer");
	acd_free(acd);
}

static void
test_overflow(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);
	struct acd_queue_stats	 st;
	int			 pos, ewt;

	qc.max_wait = 60;
	qc.ring_timeout = 100;
	acd_queue_put(acd, &qc);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	is_str(tick(acd, 0), "", "waiting");
	ok(acd_next_deadline(acd) == 60, "overflow due at 60");
	is_str(tick(acd, 59), "", "not yet");
	is_str(tick(acd, 60), "overflow:c1", "max_wait: overflow");
	is_str(act[0].queue, "q", "the overflow names the queue");
	is_int(acd_position(acd, "c1", &pos, &ewt), ACD_E_NOENT,
	    "the call left the engine");
	acd_queue_stats(acd, "q", 60, &st);
	is_int(st.waiting, 0, "nobody waiting");
	staff(acd, "q", "a1", 0, NULL, 100);
	call(acd, "c2", "q", 0, 100, NULL, 100);
	is_str(tick(acd, 100), "offer:c2@a1", "offered");
	is_str(tick(acd, 160), "withdraw:c2@a1 overflow:c2",
	    "overflow while ringing: withdrawn first");
	is_int(state(acd, "a1"), AGENT_AVAILABLE, "a1 free again");
	acd_free(acd);
}

static void
test_max_len(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);

	qc.max_len = 2;
	acd_queue_put(acd, &qc);
	is_int(call(acd, "c1", "q", 0, 0, NULL, 0), 0, "first queued");
	is_int(call(acd, "c2", "q", 0, 1, NULL, 1), 0, "second queued");
	is_int(acd_queue_full(acd, "q"), 1, "full, as the engine says");
	is_int(call(acd, "c3", "q", 0, 2, NULL, 2), ACD_E_FULL,
	    "third refused: full");
	is_int(acd_queue_full(acd, "nope"), ACD_E_NOENT, "unknown queue");
	is_int(call(acd, "c1", "q", 0, 2, NULL, 2), ACD_E_EXIST,
	    "a duplicate is refused as such");
	staff(acd, "q", "a1", 0, NULL, 3);
	tick(acd, 3);
	is_int(call(acd, "c3", "q", 0, 3, NULL, 3), ACD_E_FULL,
	    "an offered call still counts");
	acd_abandon(acd, "c2", 4);
	is_int(acd_queue_full(acd, "q"), 0, "room again");
	is_int(call(acd, "c3", "q", 0, 4, NULL, 4), 0, "room after abandon");
	acd_accept(acd, "c1", "a1", 5);
	is_int(call(acd, "c4", "q", 0, 5, NULL, 5), 0,
	    "an answered call does not count");
	acd_free(acd);
}

static void
test_abandon(void)
{
	struct acd	*acd = acd_new(1);

	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "a1", 0, NULL, 0);
	call(acd, "c1", "q", 0, 1, NULL, 1);
	tick(acd, 1);
	is_int(acd_abandon(acd, "c1", 5), 0, "caller hangs up while ringing");
	is_str(tick(acd, 5), "withdraw:c1@a1", "the offer is withdrawn");
	is_int(state(acd, "a1"), AGENT_AVAILABLE, "a1 available");
	ok(isinf(acd_next_deadline(acd)), "its timeout is gone");
	call(acd, "c2", "q", 0, 6, NULL, 6);
	call(acd, "c3", "q", 0, 7, NULL, 7);
	is_str(tick(acd, 7), "offer:c2@a1", "a1 takes the next");
	is_int(acd_abandon(acd, "c3", 8), 0, "abandon while waiting");
	is_str(tick(acd, 8), "", "no action for a waiting call");
	acd_accept(acd, "c2", "a1", 9);
	is_int(acd_abandon(acd, "c2", 9), ACD_E_STATE,
	    "an answered call is not abandoned");
	is_int(acd_abandon(acd, "c9", 9), ACD_E_NOENT, "unknown call");
	acd_free(acd);
}

static void
test_position(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);
	int			 pos, ewt;

	qc.wrap_up = 20;
	acd_queue_put(acd, &qc);
	agent(acd, "a1", 1, NULL);
	agent(acd, "a2", 1, NULL);
	acd_member_set(acd, "q", "a1", 0);
	acd_member_set(acd, "q", "a2", 0);
	call(acd, "c1", "q", 0, 0, NULL, 0);
	call(acd, "c2", "q", 0, 1, NULL, 1);
	call(acd, "c3", "q", 0, 2, NULL, 2);
	acd_position(acd, "c3", &pos, &ewt);
	is_int(pos, 3, "third in line");
	is_int(ewt, -1, "nobody staffed: unknown wait");
	acd_agent_state(acd, "a1", AGENT_AVAILABLE, 3);
	acd_position(acd, "c1", &pos, &ewt);
	ok(pos == 1 && ewt == 0, "a free agent: no wait (%d %d)", pos, ewt);
	acd_agent_state(acd, "a2", AGENT_AVAILABLE, 3);
	tick(acd, 3);
	acd_position(acd, "c1", &pos, &ewt);
	ok(pos == 0 && ewt == 0, "being offered: position 0");
	acd_position(acd, "c3", &pos, &ewt);
	is_int(pos, 1, "next in line");
	is_int(ewt, 90, "1 * 180 s default handle time / 2 agents");
	acd_accept(acd, "c1", "a1", 4);
	acd_accept(acd, "c2", "a2", 4);
	acd_call_end(acd, "a1", "c1", 100, 104);
	acd_position(acd, "c3", &pos, &ewt);
	is_int(ewt, 60, "handle time 100 + 20 wrap-up, over 2 agents");
	is_int(acd_position(acd, "c2", &pos, &ewt), ACD_E_STATE,
	    "an answered call has no position");
	acd_free(acd);
}

static void
test_restore(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_conf	 qc = qconf("q", ACD_LONGEST_IDLE);
	int			 pos, ewt, active;

	qc.max_wait = 600;
	acd_queue_put(acd, &qc);
	agent(acd, "a1", 1, NULL);
	acd_member_set(acd, "q", "a1", 0);
	call(acd, "c3", "q", 0, 700, NULL, 1000);
	call(acd, "c1", "q", 0, 500, NULL, 1000);
	call(acd, "c2", "q", 0, 600, NULL, 1000);
	call(acd, "old", "q", 0, 100, NULL, 1000);
	acd_position(acd, "c2", &pos, &ewt);
	is_int(pos, 3, "restored out of order: place by original arrival");
	ok(acd_next_deadline(acd) == 700, "max_wait counts from the arrival");
	acd_agent_state(acd, "a1", AGENT_AVAILABLE, 1000);
	is_str(tick(acd, 1000), "overflow:old offer:c1@a1",
	    "a restored call past max_wait overflows; the oldest is offered");
	handle(acd, "c1", "a1", 1001);
	is_str(tick(acd, 1001), "offer:c2@a1", "then c2");
	handle(acd, "c2", "a1", 1002);
	is_str(tick(acd, 1002), "offer:c3@a1", "then c3");
	acd_free(acd);

	/* A call connected before the restart. */
	acd = acd_new(1);
	qc.wrap_up = 10;
	acd_queue_put(acd, &qc);
	staff(acd, "q", "a1", 0, NULL, 0);
	{
		struct acd_call_conf	cc;

		memset(&cc, 0, sizeof cc);
		strlcpy_(cc.id, "live", sizeof cc.id);
		strlcpy_(cc.queue, "q", sizeof cc.queue);
		cc.arrival = 0;
		is_int(acd_connect(acd, &cc, "a1", 50), 0, "connected restored");
		is_int(acd_connect(acd, &cc, "a1", 50), ACD_E_EXIST,
		    "only once");
	}
	acd_agent_get(acd, "a1", NULL, NULL, &active);
	ok(active == 1 && state(acd, "a1") == AGENT_BUSY, "a1 busy");
	is_int(acd_queue_del(acd, "q"), ACD_E_BUSY,
	    "queue with a connected call not deleted");
	is_int(acd_call_end(acd, "a1", "live", 30, 80), 0, "it ends");
	is_int(state(acd, "a1"), AGENT_WRAP_UP, "wrap-up after it");
	acd_free(acd);
}

/* A scenario with random choices, timeouts and rejects, as a string. */
static void
script(uint64_t seed, char *out, size_t len)
{
	struct acd	*acd = acd_new(seed);
	char		 id[16];
	size_t		 off = 0;
	int		 i;

	queue(acd, "r", ACD_RANDOM);
	queue(acd, "l", ACD_LONGEST_IDLE);
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof id, "a%d", i);
		staff(acd, i % 2 ? "r" : "l", id, i % 3, NULL, i);
		acd_member_set(acd, "r", id, 0);
	}
	out[0] = '\0';
	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof id, "c%d", i);
		call(acd, id, i % 3 ? "r" : "l", i % 2, i, NULL, i);
		tick(acd, i * 4);
		if (nact > 0 && act[0].type == ACD_OFFER) {
			if (i % 4 == 0)
				acd_reject(acd, act[0].call, act[0].agent, i);
			else if (i % 4 == 1)
				handle(acd, act[0].call, act[0].agent, i);
		}
		if (off < len)
			off += (size_t)snprintf(out + off, len - off, "%s|",
			    actbuf);
	}
	acd_free(acd);
}

static void
test_determinism(void)
{
	static char	a[16384], b[16384], c[16384];

	script(7, a, sizeof a);
	script(7, b, sizeof b);
	script(8, c, sizeof c);
	ok(strlen(a) > 100, "the script decided things");
	ok(strcmp(a, b) == 0, "same seed and inputs: the same actions");
	ok(strcmp(a, c) != 0, "another seed: other actions");
}

static void
test_assign_pull(void)
{
	struct acd	*acd = acd_new(1);
	char		 got[ACD_ID_LEN + 1];

	queue(acd, "q", ACD_LINEAR);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 0);
	agent(acd, "x", 1, NULL);		/* not a member */
	acd_agent_state(acd, "x", AGENT_AVAILABLE, 0);
	call(acd, "c1", "q", 0, 1, NULL, 1);
	is_int(acd_assign(acd, "c1", "a2", 1), 0, "manager assigns to a2");
	is_str(tick(acd, 1), "offer:c1@a2", "offered to a2, not a1");
	is_int(acd_assign(acd, "c1", "x", 2), 0,
	    "re-assigned to a non-member");
	is_str(tick(acd, 2), "withdraw:c1@a2 offer:c1@x", "moved to x");
	acd_accept(acd, "c1", "x", 3);
	call(acd, "c2", "q", 0, 4, NULL, 4);
	is_int(acd_assign(acd, "c2", "x", 4), ACD_E_STATE, "x is busy");
	is_int(acd_assign(acd, "c1", "a1", 4), ACD_E_STATE,
	    "an answered call is not assigned");
	call(acd, "c3", "q", 0, 3, NULL, 5);
	is_int(acd_pull(acd, "a2", 5, got), 0, "a2 pulls");
	is_str(got, "c3", "the oldest call it may take");
	is_str(tick(acd, 5), "offer:c3@a2 offer:c2@a1",
	    "the pull is reported like any offer");
	is_int(acd_pull(acd, "a2", 6, got), ACD_E_STATE,
	    "cannot pull while offering");
	handle(acd, "c3", "a2", 6);
	is_int(acd_pull(acd, "a2", 7, got), ACD_E_EMPTY, "nothing to pull");
	acd_free(acd);
}

static void
test_agents(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_queue_stats	 st;

	queue(acd, "q", ACD_LONGEST_IDLE);
	staff(acd, "q", "a1", 0, NULL, 0);
	staff(acd, "q", "a2", 0, NULL, 1);
	staff(acd, "q", "a3", 0, NULL, 2);
	acd_agent_state(acd, "a3", AGENT_OFFLINE, 3);
	call(acd, "c1", "q", 0, 5, NULL, 5);
	call(acd, "c2", "q", 0, 6, NULL, 6);
	call(acd, "c3", "q", 0, 7, NULL, 7);
	is_str(tick(acd, 7), "offer:c1@a1 offer:c2@a2", "two offers");
	acd_accept(acd, "c2", "a2", 8);
	acd_queue_stats(acd, "q", 17, &st);
	is_int(st.waiting, 1, "stats: one waiting");
	is_int(st.offering, 1, "stats: one offering");
	ok(st.longest_wait == 12, "stats: longest wait 12 s");
	ok(st.agents[AGENT_OFFERING] == 1 && st.agents[AGENT_BUSY] == 1 &&
	    st.agents[AGENT_OFFLINE] == 1, "stats: agents by state");
	is_int(acd_agent_state(acd, "a1", AGENT_AWAY, 9), 0, "a1 goes away");
	is_str(tick(acd, 9), "withdraw:c1@a1", "its offer withdrawn, no miss");
	acd_agent_state(acd, "a3", AGENT_AVAILABLE, 10);
	is_str(tick(acd, 10), "offer:c1@a3", "c1 (older) to a3");
	is_int(acd_agent_del(acd, "a2"), ACD_E_BUSY, "busy agent kept");
	is_int(acd_agent_del(acd, "a3"), 0, "offering agent deleted");
	is_str(tick(acd, 11), "withdraw:c1@a3", "its offer withdrawn");
	is_int(acd_queue_del(acd, "q"), ACD_E_BUSY, "queue with calls kept");
	acd_abandon(acd, "c1", 12);
	acd_abandon(acd, "c3", 12);
	acd_call_end(acd, "a2", "c2", 4, 12);
	is_int(acd_queue_del(acd, "q"), 0, "empty queue deleted");
	is_int(call(acd, "c4", "q", 0, 13, NULL, 13), ACD_E_NOENT,
	    "no queue any more");
	queue(acd, "q", ACD_LONGEST_IDLE);
	call(acd, "c4", "q", 0, 13, NULL, 13);
	is_str(tick(acd, 13), "", "a re-created queue has no members");
	acd_free(acd);
}

static void
test_tick_max(void)
{
	struct acd		*acd = acd_new(1);
	struct acd_action	 a[2];
	char			 id[16];
	int			 i;
	size_t			 n, total = 0;

	queue(acd, "q", ACD_RING_ALL);
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "a%d", i);
		staff(acd, "q", id, 0, NULL, 0);
	}
	call(acd, "c1", "q", 0, 0, NULL, 0);
	while ((n = acd_tick(acd, 0, a, 2)) > 0) {
		total += n;
		if (n < 2)
			break;
	}
	is_int(total, 5, "five offers returned two at a time");
	is_int(acd_tick(acd, 0, NULL, 0), 0, "none left");
	acd_free(acd);
}

/*
 * Randomised: many queues, agents and calls; after every tick no waiting
 * call may have a free eligible member, and the engine's books must
 * balance. Exercises every path under the sanitizers.
 */
static int
check_invariants(struct acd *acd, double now, char *why, size_t len)
{
	size_t			 i, j;
	struct acd_queue	*q;
	struct acd_call		*c, *prev, *x;
	struct acd_member	*m;
	struct acd_agent	*a;
	struct acd_group	*g;
	struct acd_offer	*o;
	int			 w, off, nf, k, pos, ewt;

	for (i = 0; i < acd->agents.cap; i++) {
		if ((a = acd->agents.ent[i].val) == NULL)
			continue;
		if (a->is_free != acd_agent_is_free(a)) {
			snprintf(why, len, "%s: stale free flag", a->conf.id);
			return 0;
		}
		if (a->offer != NULL && a->offer->agent != a) {
			snprintf(why, len, "%s: offer mismatch", a->conf.id);
			return 0;
		}
	}
	for (i = 0; i < acd->queues.cap; i++) {
		if ((q = acd->queues.ent[i].val) == NULL)
			continue;
		w = off = nf = 0;
		for (c = q->chead; c != NULL; c = c->qnext) {
			w += c->st == ACD_CALL_WAITING;
			off += c->st == ACD_CALL_OFFERED;
			if (c->st == ACD_CALL_OFFERED && c->offers == NULL) {
				snprintf(why, len, "%s: offered, no offer",
				    c->conf.id);
				return 0;
			}
			for (o = c->offers; o != NULL; o = o->next) {
				if (o->agent->offer != o) {
					snprintf(why, len, "%s: lost offer",
					    c->conf.id);
					return 0;
				}
			}
			if (c->st != ACD_CALL_WAITING)
				continue;
			for (j = 0; j < (size_t)c->ntried; j++) {
				if (c->tried[j].until > now &&
				    (c->retry.idx == ACD_NONE ||
				    c->retry.at > c->tried[j].until)) {
					snprintf(why, len, "%s: retry not armed",
					    c->conf.id);
					return 0;
				}
			}
			for (m = q->mhead; m != NULL; m = m->qnext) {
				if (m->agent->is_free && acd_eligible(m->agent,
				    c->need, c->nneed) &&
				    !acd_blocked(c, m->agent, now)) {
					snprintf(why, len, "%s waits, %s free",
					    c->conf.id, m->agent->conf.id);
					return 0;
				}
			}
		}
		for (m = q->mhead; m != NULL; m = m->qnext) {
			nf += m->agent->is_free;
			if (m->agent->is_free != (m->free_idx != ACD_NONE)) {
				snprintf(why, len, "free index of %s",
				    m->agent->conf.id);
				return 0;
			}
		}
		if (w != q->nwaiting || off != q->noffering ||
		    (size_t)nf != q->nfree) {
			snprintf(why, len, "%s: counts %d/%d %d/%d %d/%zu",
			    q->conf.id, w, q->nwaiting, off, q->noffering, nf,
			    q->nfree);
			return 0;
		}
		for (w = 0, g = q->groups; g != NULL; g = g->next) {
			for (k = 0, prev = NULL, c = g->head; c != NULL;
			    prev = c, c = c->gnext) {
				w++;
				k++;
				if ((prev != NULL && !acd_call_before(prev, c)) ||
				    c->group != g || c->st != ACD_CALL_WAITING) {
					snprintf(why, len, "group order");
					return 0;
				}
			}
			if (k != g->n) {
				snprintf(why, len, "group of %d counts %d", k,
				    g->n);
				return 0;
			}
		}
		/* Positions: counted from the groups' ends, as walked here. */
		for (c = q->chead; c != NULL; c = c->qnext) {
			if (c->st != ACD_CALL_WAITING)
				continue;
			for (k = 1, x = q->chead; x != NULL; x = x->qnext)
				k += x->st == ACD_CALL_WAITING &&
				    acd_call_before(x, c);
			if (acd_position(acd, c->conf.id, &pos, &ewt) != 0 ||
			    pos != k) {
				snprintf(why, len, "%s: position %d, not %d",
				    c->conf.id, pos, k);
				return 0;
			}
		}
		if (w != q->nwaiting) {
			snprintf(why, len, "%s: groups hold %d of %d",
			    q->conf.id, w, q->nwaiting);
			return 0;
		}
	}
	for (i = 1; i < acd->timers.n; i++) {
		j = (i - 1) / 2;
		if (acd->timers.t[j]->at > acd->timers.t[i]->at ||
		    acd->timers.t[i]->idx != i) {
			snprintf(why, len, "timer heap");
			return 0;
		}
	}
	return 1;
}

static unsigned	fuzz_state = 12345;

/* A small LCG of our own, so the run is the same everywhere. */
static unsigned
RND(unsigned n)
{
	fuzz_state = fuzz_state * 1103515245u + 12345u;
	return (fuzz_state >> 8) % n;
}

/*
 * Greedy in rank order: an agent offered call c in this tick could not
 * have taken a waiting call its queues rank before c.
 */
static int
check_greedy(struct acd *acd, double now, char *why, size_t len)
{
	struct acd_agent	*a;
	struct acd_call		*c, *w;
	struct acd_member	*m;
	size_t			 i;

	for (i = 0; i < nact; i++) {
		if (act[i].type != ACD_OFFER)
			continue;
		a = acd_map_get(&acd->agents, act[i].agent);
		c = acd_map_get(&acd->calls, act[i].call);
		if (a == NULL || c == NULL || a->offer == NULL ||
		    a->offer->call != c)
			continue;
		for (m = a->members; m != NULL; m = m->anext) {
			for (w = m->queue->chead; w != NULL; w = w->qnext) {
				if (w->st == ACD_CALL_WAITING &&
				    acd_call_before(w, c) &&
				    acd_eligible(a, w->need, w->nneed) &&
				    !acd_blocked(w, a, now)) {
					snprintf(why, len, "%s got %s, %s waits",
					    a->conf.id, c->conf.id, w->conf.id);
					return 0;
				}
			}
		}
	}
	return 1;
}

static void
test_fuzz(void)
{
	static const char *const langs[] = { "es", "en", "fr" };
	static const enum acd_strategy strat[] = { ACD_LONGEST_IDLE,
	    ACD_ROUND_ROBIN, ACD_FEWEST_CALLS, ACD_LEAST_TALK, ACD_RANDOM,
	    ACD_RING_ALL, ACD_LINEAR };
	struct acd		*acd = acd_new(99);
	struct acd_queue_conf	 qc;
	struct acd_agent	*a;
	struct acd_call		*c;
	char			 id[16], qid[16], need[32], why[128] = "";
	char			 got[ACD_ID_LEN + 1];
	double			 now = 0;
	int			 i, k, good = 1, steps = 20000, offers = 0;
	unsigned		 op;
	size_t			 e;

	for (i = 0; i < 7; i++) {
		snprintf(qid, sizeof qid, "q%d", i);
		qc = qconf(qid, strat[i]);
		qc.ring_timeout = 5 + i;
		qc.wrap_up = i % 3 * 4;
		qc.max_wait = i % 2 ? 300 : 0;
		qc.max_len = i == 3 ? 20 : 0;
		qc.miss_limit = i % 4;
		qc.nwiden = 1;
		qc.widen[0].after = 20 + i * 10;
		qc.widen[0].level_drop = 2;
		acd_queue_put(acd, &qc);
	}
	for (i = 0; i < 24; i++) {
		snprintf(id, sizeof id, "a%d", i);
		snprintf(need, sizeof need, "%s:%d,%s:%d", langs[i % 3],
		    1 + i % 5, langs[(i + 1) % 3], 1 + i % 2);
		agent(acd, id, 1 + i % 3, need);
		acd_agent_state(acd, id, AGENT_AVAILABLE, 0);
		for (k = 0; k < 1 + i % 3; k++) {
			snprintf(qid, sizeof qid, "q%d", (i + k * 2) % 7);
			acd_member_set(acd, qid, id, k);
		}
	}
	for (i = 0; i < steps && good; i++) {
		snprintf(id, sizeof id, "a%u", RND(24));
		switch ((op = RND(16))) {
		case 0:
		case 1:
			snprintf(need, sizeof need, "%s:%u", langs[RND(3)],
			    RND(5));
			snprintf(qid, sizeof qid, "q%u", RND(7));
			snprintf(id, sizeof id, "c%d", i);
			call(acd, id, qid, (int)RND(3), now, need, now);
			break;
		case 2:
			acd_agent_state(acd, id, RND(4) ? AGENT_AVAILABLE :
			    RND(2) ? AGENT_AWAY : AGENT_OFFLINE, now);
			break;
		case 3:
		case 4:
			a = acd_map_get(&acd->agents, id);
			if (a != NULL && a->offer != NULL) {
				if (RND(4))
					acd_accept(acd, a->offer->call->conf.id,
					    id, now);
				else
					acd_reject(acd, a->offer->call->conf.id,
					    id, now);
			}
			break;
		case 5:
			for (e = 0; e < acd->calls.cap; e++) {
				c = acd->calls.ent[e].val;
				if (c != NULL && c->st == ACD_CALL_TALKING &&
				    RND(3) == 0) {
					acd_call_end(acd, c->agent->conf.id,
					    c->conf.id, RND(300), now);
					break;
				}
			}
			break;
		case 6:
			snprintf(id, sizeof id, "c%u", RND((unsigned)i + 1));
			if (RND(3))
				acd_abandon(acd, id, now);
			else
				acd_call_priority(acd, id, (int)RND(5) - 2, now);
			break;
		case 7:
			acd_wrap_done(acd, id, now);
			break;
		case 8:
			snprintf(qid, sizeof qid, "q%u", RND(7));
			if (RND(3))
				acd_member_set(acd, qid, id, (int)RND(3));
			else
				acd_member_del(acd, qid, id);
			break;
		case 9:
			snprintf(need, sizeof need, "%s:%u", langs[RND(3)],
			    RND(6));
			agent(acd, id, 1 + (int)RND(3), need);
			break;
		case 10:
			snprintf(qid, sizeof qid, "c%u", RND((unsigned)i + 1));
			if (RND(2))
				acd_assign(acd, qid, id, now);
			else
				acd_pull(acd, id, now, got);
			break;
		case 11:
			if (RND(20) == 0)
				acd_agent_del(acd, id);
			else if (RND(10) == 0) {
				snprintf(qid, sizeof qid, "q%u", RND(7));
				qc = qconf(qid, strat[RND(7)]);
				qc.nwiden = (int)RND(2);
				qc.widen[0].after = (int)RND(60);
				qc.widen[0].level_drop = (int)RND(4);
				qc.max_wait = (int)RND(2) * 200;
				acd_queue_put(acd, &qc);
			}
			break;
		default:
			now += RND(40) / 4.0;
			break;
		}
		tick(acd, now);
		for (e = 0; e < nact; e++)
			offers += act[e].type == ACD_OFFER;
		good = check_invariants(acd, now, why, sizeof why) &&
		    (op == 10 || check_greedy(acd, now, why, sizeof why));
	}
	ok(good, "randomised: invariants hold for %d steps %s", i, why);
	ok(offers > 1000, "randomised: %d offers made", offers);
	acd_free(acd);
}

int
main(void)
{
	test_names();
	test_invalid();
	test_longest_idle();
	test_round_robin();
	test_fewest_least();
	test_random();
	test_ring_all();
	test_ring_all_reject();
	test_offer_end_other();
	test_linear();
	test_skills();
	test_widen();
	test_penalty();
	test_priority();
	test_priority_change();
	test_fairness();
	test_ring_timeout();
	test_miss_policy();
	test_reject();
	test_requeue();
	test_wrap_up();
	test_concurrency();
	test_overflow();
	test_max_len();
	test_abandon();
	test_position();
	test_restore();
	test_determinism();
	test_assign_pull();
	test_agents();
	test_tick_max();
	test_fuzz();
	return unit_done();
}
