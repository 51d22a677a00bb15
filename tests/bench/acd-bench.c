/*
 * ACD engine benchmark (make bench): 1,000 agents, 10,000 waiting calls,
 * 20 queues. Times each assignment decision against the 50 us target and
 * against a naive O(waiting calls) scan measured in the same run, plus the
 * cost of acd_enqueue and acd_accept.
 *
 *   build/bench/acd-bench [agents calls queues]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd.h"
#include "xmalloc.h"

#define TARGET_US	50.0
#define QUEUES_PER	3	/* queues each agent serves */
#define NLANG		4
#define WIDEN_AFTER	120	/* seconds; then levels drop by 1 */

static const char *const langs[NLANG] = { "spanish", "french", "german",
    "mandarin" };
static const enum acd_strategy strategies[] = { ACD_LONGEST_IDLE,
    ACD_ROUND_ROBIN, ACD_FEWEST_CALLS, ACD_LEAST_TALK, ACD_RANDOM,
    ACD_LINEAR, ACD_RING_ALL };

static int	nagents = 1000, ncalls = 10000, nqueues = 20;
static uint64_t	rng = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A UUID-shaped id, as the hub passes. */
static void
mkid(char *out, char kind, int n)
{
	snprintf(out, ACD_ID_LEN + 1, "%08x-0000-4000-8%03x-%012d",
	    (unsigned)n * 2654435761u, (unsigned)kind, n);
}

static int
dbl_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct lat {
	const char	*what;
	double		*us;
	int		 n;
};

static void
lat_print(const struct lat *l, int target)
{
	double	sum = 0;
	int	i;

	if (l->n == 0)
		return;
	for (i = 0; i < l->n; i++)
		sum += l->us[i];
	qsort(l->us, (size_t)l->n, sizeof *l->us, dbl_cmp);
	printf("  %-44s %6d   mean %6.2f us  p50 %6.2f  p99 %6.2f  max %7.2f",
	    l->what, l->n, sum / l->n, l->us[l->n / 2],
	    l->us[(int)(l->n * 0.99)], l->us[l->n - 1]);
	if (target)
		printf("   p99 %.0fx under %.0f us", TARGET_US /
		    l->us[(int)(l->n * 0.99)], TARGET_US);
	putchar('\n');
}

/*
 * The naive baseline: the same decision for a freed agent (the oldest
 * call, by rank, among its queues' waiting calls it has the skills for)
 * by scanning every waiting call.
 */
struct naive_call {
	int	queue;
	double	arrival;
	double	rank;
	int	lang;		/* -1: none */
	int	level;
	int	taken;
};

struct naive_agent {
	int	queues[QUEUES_PER];
	int	level[NLANG];
};

static int
naive_pick(const struct naive_call *calls, int n, const struct naive_agent *a,
    double now)
{
	int	i, k, best = -1, member, level;

	for (i = 0; i < n; i++) {
		if (calls[i].taken)
			continue;
		for (member = 0, k = 0; k < QUEUES_PER; k++)
			member |= a->queues[k] == calls[i].queue;
		if (!member)
			continue;
		/* The queues' one widen rule: -1 level after WIDEN_AFTER. */
		level = calls[i].level;
		if (calls[i].arrival + WIDEN_AFTER <= now)
			level--;
		if (calls[i].lang >= 0 && level > 0 &&
		    a->level[calls[i].lang] < level)
			continue;
		if (best < 0 || calls[i].rank < calls[best].rank)
			best = i;
	}
	return best;
}

/* Queues and agents with their memberships; the naive model as well. */
static struct acd *
setup(char (*qid)[ACD_ID_LEN + 1], char (*aid)[ACD_ID_LEN + 1],
    struct naive_agent *nagent)
{
	struct acd		*acd = acd_new(42);
	struct acd_queue_conf	 qc;
	struct acd_agent_conf	 ac;
	int			 i, k, q;

	for (q = 0; q < nqueues; q++) {
		memset(&qc, 0, sizeof qc);
		mkid(qc.id, 'q', q);
		memcpy(qid[q], qc.id, sizeof qid[q]);
		qc.strategy = strategies[q % (sizeof strategies /
		    sizeof strategies[0])];
		qc.ring_timeout = 15;
		qc.miss_limit = 3;
		qc.nwiden = 1;
		qc.widen[0].after = WIDEN_AFTER;
		qc.widen[0].level_drop = 1;
		acd_queue_put(acd, &qc);
	}
	for (i = 0; i < nagents; i++) {
		memset(&ac, 0, sizeof ac);
		memset(&nagent[i], 0, sizeof nagent[i]);
		mkid(ac.id, 'a', i);
		memcpy(aid[i], ac.id, sizeof aid[i]);
		ac.max_calls = 1;
		for (k = 0; k < NLANG; k++) {
			if (rnd() % 3 != 0)
				continue;
			snprintf(ac.skills[ac.nskills].name,
			    sizeof ac.skills[0].name, "%s", langs[k]);
			ac.skills[ac.nskills++].level = nagent[i].level[k] =
			    1 + (int)(rnd() % 5);
		}
		acd_agent_put(acd, &ac);
		for (k = 0; k < QUEUES_PER; k++) {
			q = (i + k * 7) % nqueues;
			nagent[i].queues[k] = q;
			acd_member_set(acd, qid[q], aid[i], k);
		}
	}
	return acd;
}

/* Call n: random queue, 10% priority 1, 30% need a language at 1-3. */
static void
mkcall(struct acd_call_conf *cc, char (*qid)[ACD_ID_LEN + 1], int n,
    double arrival, struct naive_call *nc)
{
	int	q = (int)(rnd() % (uint64_t)nqueues);

	memset(cc, 0, sizeof *cc);
	memset(nc, 0, sizeof *nc);
	mkid(cc->id, 'c', n);
	memcpy(cc->queue, qid[q], sizeof cc->queue);
	cc->priority = rnd() % 10 == 0;
	cc->arrival = arrival;
	nc->queue = q;
	nc->arrival = arrival;
	nc->rank = arrival - cc->priority * ACD_PRIORITY_WEIGHT;
	nc->lang = -1;
	if (rnd() % 10 < 3) {
		nc->lang = (int)(rnd() % NLANG);
		nc->level = 1 + (int)(rnd() % 3);
		snprintf(cc->need[0].name, sizeof cc->need[0].name, "%s",
		    langs[nc->lang]);
		cc->need[0].level = nc->level;
		cc->nneed = 1;
	}
}

/* The agent's number, from its id. */
static int
agent_index(const char *id)
{
	return atoi(id + 24);
}

static double
mean(const struct lat *l)
{
	double	sum = 0;
	int	i;

	for (i = 0; i < l->n; i++)
		sum += l->us[i];
	return l->n > 0 ? sum / l->n : 0;
}

static struct lat
lat_new(const char *what, int n)
{
	struct lat	l = { what, xcalloc((size_t)n + 1, sizeof *l.us), 0 };

	return l;
}

int
main(int argc, char **argv)
{
	struct acd		*acd;
	struct acd_call_conf	 cc;
	struct acd_action	 out[64];
	struct naive_call	*ncall, spare;
	struct naive_agent	*nagent;
	struct lat		 enq, freed, naive, accept, churn, arrive;
	char			 (*aid)[ACD_ID_LEN + 1], (*qid)[ACD_ID_LEN + 1];
	char			 (*talking)[ACD_ID_LEN + 1];
	double			 t0, t1, now = 1000, took, ratio;
	int			 i, a, got, nextcall, offers = 0, differ = 0;
	size_t			 m, j;

	if (argc == 4) {
		nagents = atoi(argv[1]);
		ncalls = atoi(argv[2]);
		nqueues = atoi(argv[3]);
	}
	if (argc != 1 && argc != 4) {
		fprintf(stderr, "usage: acd-bench [agents calls queues]\n");
		return 1;
	}
	if (nagents < 1 || ncalls < 1 || nqueues < QUEUES_PER) {
		fprintf(stderr, "acd-bench: need agents, calls >= 1 and "
		    "queues >= %d\n", QUEUES_PER);
		return 1;
	}
	aid = xcalloc((size_t)nagents, sizeof *aid);
	qid = xcalloc((size_t)nqueues, sizeof *qid);
	talking = xcalloc((size_t)nagents, sizeof *talking);
	ncall = xcalloc((size_t)ncalls, sizeof *ncall);
	nagent = xcalloc((size_t)nagents, sizeof *nagent);
	enq = lat_new("acd_enqueue, into 0..N waiting", ncalls);
	freed = lat_new("assign: agent freed, N calls waiting", nagents);
	naive = lat_new("naive O(calls) scan, same decisions", nagents);
	accept = lat_new("acd_accept", nagents);
	churn = lat_new("steady: call_end + tick, N waiting", ncalls);
	arrive = lat_new("assign: call arrives, agents free", ncalls);

	printf("acd-bench: %d agents, %d waiting calls, %d queues (%d per "
	    "agent, penalties 0-2, 30%% of calls need a skill)\n",
	    nagents, ncalls, nqueues, QUEUES_PER);
	t0 = mono();
	acd = setup(qid, aid, nagent);
	printf("  %-40s %9.2f ms\n", "setup: queues, agents, members",
	    (mono() - t0) * 1e3);

	/* Every call arrives while the agents are offline. */
	t0 = mono();
	for (i = 0; i < ncalls; i++) {
		mkcall(&cc, qid, i, now - 600 + 600.0 * i / ncalls, &ncall[i]);
		t1 = mono();
		acd_enqueue(acd, &cc, now - 1);
		enq.us[enq.n++] = (mono() - t1) * 1e6;
	}
	acd_tick(acd, now - 1, out, 64);
	printf("  %-40s %9.2f ms\n", "setup: calls enqueued",
	    (mono() - t0) * 1e3);

	/*
	 * Agents come available one at a time, each decision made with every
	 * call waiting; the naive scan makes the same decision over the same
	 * waiting list (checked: both pick the same call).
	 */
	for (i = 0; i < nagents; i++) {
		t0 = mono();
		acd_agent_state(acd, aid[i], AGENT_AVAILABLE, now);
		m = acd_tick(acd, now, out, 64);
		t1 = mono();
		for (j = 0; j < m; j++) {
			if (out[j].type != ACD_OFFER)
				continue;
			memcpy(talking[agent_index(out[j].agent)],
			    out[j].call, sizeof talking[0]);
			offers++;
		}
		if (m > 0)
			freed.us[freed.n++] = (t1 - t0) * 1e6 / (double)m;
		t0 = mono();
		got = naive_pick(ncall, ncalls, &nagent[i], now);
		naive.us[naive.n++] = (mono() - t0) * 1e6;
		if (got >= 0)
			ncall[got].taken = 1;
		if (got < 0 ? m != 0 : m != 1 || atoi(out[0].call + 24) != got)
			differ++;
	}

	/* Answer every offer. */
	for (a = 0; a < nagents; a++) {
		if (talking[a][0] == '\0')
			continue;
		t0 = mono();
		acd_accept(acd, talking[a], aid[a], now);
		accept.us[accept.n++] = (mono() - t0) * 1e6;
	}

	/*
	 * Steady state: one agent ends its call and gets the next; a new
	 * call arrives to keep the queues full.
	 */
	nextcall = ncalls;
	for (i = 0; i < ncalls; i++) {
		a = i % nagents;
		if (talking[a][0] == '\0')
			continue;
		now += 0.01;
		mkcall(&cc, qid, nextcall++, now, &spare);
		acd_enqueue(acd, &cc, now);
		acd_tick(acd, now, out, 64);
		t0 = mono();
		acd_call_end(acd, aid[a], talking[a], 60, now);
		m = acd_tick(acd, now, out, 64);
		t1 = mono();
		talking[a][0] = '\0';
		for (j = 0; j < m; j++) {
			if (out[j].type == ACD_OFFER) {
				memcpy(talking[agent_index(out[j].agent)],
				    out[j].call, sizeof talking[0]);
				acd_accept(acd, out[j].call, out[j].agent, now);
			}
		}
		if (m > 0)
			churn.us[churn.n++] = (t1 - t0) * 1e6 / (double)m;
	}
	acd_free(acd);

	/* Calls arriving to free agents: the agent is chosen per call. */
	acd = setup(qid, aid, nagent);
	for (a = 0; a < nagents; a++)
		acd_agent_state(acd, aid[a], AGENT_AVAILABLE, now);
	acd_tick(acd, now, out, 64);
	for (i = 0; i < ncalls; i++) {
		now += 0.01;
		mkcall(&cc, qid, i, now, &spare);
		t0 = mono();
		acd_enqueue(acd, &cc, now);
		m = acd_tick(acd, now, out, 64);
		t1 = mono();
		if (m > 0)
			arrive.us[arrive.n++] = (t1 - t0) * 1e6 / (double)m;
		for (j = 0; j < m; j++) {
			if (out[j].type != ACD_OFFER)
				continue;
			acd_accept(acd, out[j].call, out[j].agent, now);
			acd_call_end(acd, out[j].agent, out[j].call, 1, now);
		}
	}
	acd_free(acd);

	printf("  %d offers for %d agents freed with %d calls waiting; "
	    "naive scan chose differently %d times\n", offers, nagents,
	    ncalls, differ);
	printf("  %-44s %6s   (time per decision or call)\n", "operation",
	    "n");
	lat_print(&enq, 0);
	lat_print(&freed, 1);
	lat_print(&churn, 1);
	lat_print(&arrive, 1);
	lat_print(&accept, 0);
	lat_print(&naive, 0);
	took = mean(&freed);
	ratio = took > 0 ? mean(&naive) / took : 0;
	printf("acd: %.2f us per assignment with %d calls waiting (target "
	    "%.0f us: %.0fx under); naive scan %.2f us: engine %.0fx "
	    "faster\n", took, ncalls, TARGET_US, took > 0 ? TARGET_US / took
	    : 0, mean(&naive), ratio);
	free(enq.us);
	free(freed.us);
	free(naive.us);
	free(accept.us);
	free(churn.us);
	free(arrive.us);
	free(aid);
	free(qid);
	free(talking);
	free(ncall);
	free(nagent);
	return 0;
}
