/*
 * Unit test for acd_copy() and acd_drain() (daemon/acd-copy.c): a copy
 * taken at any moment of a randomised run behaves like its original for
 * every later operation (same results, same actions, same positions;
 * ring-all rejects and priority changes among them),
 * and freeing either leaves the other whole.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd.h"
#include "unit.h"
#include "xmalloc.h"

#define NQ	4
#define NA	12
#define NC	60

static char	 why[256];

/* Both engines' actions the same? Describe the first difference. */
static int
same_actions(struct acd_action *x, size_t nx, struct acd_action *y, size_t ny)
{
	if (nx != ny) {
		snprintf(why, sizeof why, "%zu actions against %zu", nx, ny);
		return 0;
	}
	for (size_t i = 0; i < nx; i++) {
		if (x[i].type != y[i].type || strcmp(x[i].call, y[i].call) ||
		    strcmp(x[i].agent, y[i].agent) ||
		    strcmp(x[i].queue, y[i].queue) ||
		    strcmp(x[i].other, y[i].other) ||
		    x[i].deadline != y[i].deadline) {
			snprintf(why, sizeof why, "action %zu: %s %s@%s against"
			    " %s %s@%s", i, acd_action_name(x[i].type),
			    x[i].call, x[i].agent, acd_action_name(y[i].type),
			    y[i].call, y[i].agent);
			return 0;
		}
	}
	return 1;
}

static void
ids(char *buf, size_t len, const char *p, unsigned n)
{
	snprintf(buf, len, "%s%u", p, n);
}

/* One random operation on e; returns its result. */
static int
step(struct acd *e, unsigned op, unsigned x, unsigned y, double now)
{
	static const enum agent_state st[] = { AGENT_AVAILABLE, AGENT_AWAY,
	    AGENT_OFFLINE, AGENT_AVAILABLE };
	struct acd_call_conf	 c;
	char			 call[16], agent[16], got[ACD_ID_LEN + 1];

	ids(call, sizeof call, "c", x % NC);
	ids(agent, sizeof agent, "a", y % NA);
	switch (op % 11) {
	case 0:
	case 1:
		memset(&c, 0, sizeof c);
		strlcpy_(c.id, call, sizeof c.id);
		ids(c.queue, sizeof c.queue, "q", y % NQ);
		c.priority = (int)(x % 3);
		c.arrival = now;
		if (x % 2) {
			strlcpy_(c.need[0].name, "es", sizeof c.need[0].name);
			c.need[0].level = (int)(y % 4);
			c.nneed = 1;
		}
		return acd_enqueue(e, &c, now);
	case 2:
		return acd_agent_state(e, agent, st[x % 4], now);
	case 3:
		return acd_accept(e, call, agent, now);
	case 4:
		return acd_reject(e, call, agent, now);
	case 5:
		return acd_call_end(e, agent, call, (double)(x % 50), now);
	case 6:
		return acd_abandon(e, call, now);
	case 7:
		return acd_assign(e, call, agent, now);
	case 8:
		return acd_call_priority(e, call, (int)(y % 5), now);
	case 9:
		return acd_call_offers(e, call, got) * 128 + got[1];
	default:
		return acd_pull(e, agent, now, got) == 0 ? (int)got[1] : -100;
	}
}

static void
test_copy_behaves_alike(void)
{
	struct acd		*a = acd_new(7), *b = NULL, *old;
	struct acd_queue_conf	 q;
	struct acd_agent_conf	 ag;
	struct acd_action	 xa[256], xb[256];
	char			 id[16];
	double			 now = 1000;
	int			 good = 1, copies = 0, compared = 0;
	unsigned		 i, k, op, x, y;

	srandom(11);
	for (k = 0; k < NQ; k++) {
		memset(&q, 0, sizeof q);
		ids(q.id, sizeof q.id, "q", k);
		/* q3 rings all: a reject there ends one offer of several. */
		q.strategy = k == 3 ? ACD_RING_ALL :
		    (enum acd_strategy)(k * 2 % ACD_STRATEGY_COUNT);
		q.ring_timeout = 3 + (int)k;
		q.wrap_up = (int)k;
		q.max_wait = k == 1 ? 40 : 0;
		q.miss_limit = k == 2 ? 2 : 0;
		q.nwiden = 1;
		q.widen[0].after = 10;
		q.widen[0].level_drop = 1;
		acd_queue_put(a, &q);
	}
	for (k = 0; k < NA; k++) {
		memset(&ag, 0, sizeof ag);
		ids(ag.id, sizeof ag.id, "a", k);
		ag.max_calls = 1 + (int)(k % 2);
		strlcpy_(ag.skills[0].name, "es", sizeof ag.skills[0].name);
		ag.skills[0].level = (int)(k % 4);
		ag.nskills = 1;
		acd_agent_put(a, &ag);
		ids(id, sizeof id, "q", k % NQ);
		acd_member_set(a, id, ag.id, (int)(k % 3));
		ids(id, sizeof id, "q", (k + 1) % NQ);
		acd_member_set(a, id, ag.id, 0);
	}
	for (i = 0; i < 20000 && good; i++) {
		op = (unsigned)random();
		x = (unsigned)random();
		y = (unsigned)random();
		now += (double)(random() % 1000) / 400.0;
		if (b == NULL && random() % 50 == 0) {
			b = acd_copy(a);
			copies++;
		}
		k = (unsigned)step(a, op, x, y, now);
		if (b != NULL && k != (unsigned)step(b, op, x, y, now)) {
			snprintf(why, sizeof why, "operation %u gave another"
			    " result", op % 11);
			good = 0;
			break;
		}
		if (random() % 3 == 0) {
			size_t na = acd_tick(a, now, xa, 256);

			if (b != NULL && !same_actions(xa, na, xb,
			    acd_tick(b, now, xb, 256))) {
				good = 0;
				break;
			}
		} else if (b != NULL) {
			size_t na = acd_drain(a, xa, 256);

			if (!same_actions(xa, na, xb, acd_drain(b, xb, 256))) {
				good = 0;
				break;
			}
		} else
			acd_drain(a, xa, 256);
		if (b != NULL && acd_next_deadline(a) != acd_next_deadline(b)) {
			snprintf(why, sizeof why, "next deadlines differ");
			good = 0;
		}
		for (k = 0; b != NULL && k < NC && good; k++) {
			int pa, ea, pb, eb, ra, rb;

			ids(id, sizeof id, "c", k);
			ra = acd_position(a, id, &pa, &ea);
			rb = acd_position(b, id, &pb, &eb);
			if (ra != rb || (ra == 0 && (pa != pb || ea != eb))) {
				snprintf(why, sizeof why, "call %s: position"
				    " %d/%d against %d/%d", id, pa, ea, pb, eb);
				good = 0;
			}
		}
		compared += b != NULL;
		/* Now and then the original goes and the copy carries on. */
		if (b != NULL && random() % 200 == 0) {
			old = a;
			a = b;
			b = NULL;
			acd_free(old);
		}
	}
	ok(good, "a copy behaves as its original (%d copies, %d steps"
	    " compared)%s%s", copies, compared, good ? "" : ": ", why);
	ok(copies > 10 && compared > 1000, "the run copied and compared enough");
	acd_free(a);
	acd_free(b);
}

/* Drain returns what an operation queued, without matching. */
static void
test_drain(void)
{
	struct acd		*e = acd_new(1);
	struct acd_queue_conf	 q;
	struct acd_agent_conf	 ag;
	struct acd_call_conf	 c;
	struct acd_action	 out[8];
	size_t			 n;

	memset(&q, 0, sizeof q);
	strlcpy_(q.id, "q", sizeof q.id);
	q.ring_timeout = 10;
	acd_queue_put(e, &q);
	memset(&ag, 0, sizeof ag);
	strlcpy_(ag.id, "a", sizeof ag.id);
	acd_agent_put(e, &ag);
	acd_member_set(e, "q", "a", 0);
	acd_agent_state(e, "a", AGENT_AVAILABLE, 0);
	memset(&c, 0, sizeof c);
	strlcpy_(c.id, "c", sizeof c.id);
	strlcpy_(c.queue, "q", sizeof c.queue);
	acd_enqueue(e, &c, 0);
	ok(acd_drain(e, out, 8) == 0, "drain does not match calls to agents");
	n = acd_tick(e, 0, out, 8);
	ok(n == 1 && out[0].type == ACD_OFFER, "tick offers");
	acd_agent_state(e, "a", AGENT_AWAY, 1);
	n = acd_drain(e, out, 8);
	ok(n == 1 && out[0].type == ACD_WITHDRAW && strcmp(out[0].call, "c") == 0,
	    "drain returns the withdrawal going away queued");
	ok(acd_drain(e, out, 8) == 0, "and only once");
	acd_free(e);
}

int
main(void)
{
	test_drain();
	test_copy_behaves_alike();
	return unit_done();
}
