/*
 * Token buckets keyed by string. A chained hash table (seeded SipHash, so
 * clients cannot pick colliding keys) finds a bucket; a list in order of
 * last use bounds the table: when max_keys are tracked, buckets that have
 * refilled are dropped first, else the least recently used one.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ratelimit.h"
#include "xmalloc.h"

#define RL_EPSILON	1e-9	/* floating-point slack for "full" and "ceil" */
#define RL_MIN_BUCKETS	16
#define RL_EVICT_SCAN	8	/* oldest entries looked at when full */

struct rl_entry {
	struct rl_entry	*next;		/* hash chain */
	struct rl_entry	*older;		/* use list, toward oldest */
	struct rl_entry	*newer;
	uint64_t	 hash;
	double		 tokens;	/* at time last */
	double		 last;
	char		 key[];
};

struct ratelimit {
	double		  rate;
	double		  burst;
	size_t		  max_keys;
	size_t		  count;
	size_t		  nbuckets;	/* power of two */
	struct rl_entry	**buckets;
	struct rl_entry	 *newest;
	struct rl_entry	 *oldest;
	uint64_t	  seed[2];
};

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* SipHash-1-3, as Redis uses for its hash tables. */
static uint64_t
rl_siphash(const unsigned char *in, size_t len, const uint64_t k[2])
{
	uint64_t	 v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t	 v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t	 v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t	 v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t	 m, b = (uint64_t)len << 56;
	size_t		 i, left = len & 7;
	const unsigned char *end = in + len - left;

	for (; in != end; in += 8) {
		for (m = 0, i = 0; i < 8; i++)
			m |= (uint64_t)in[i] << (8 * i);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)in[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct ratelimit *
ratelimit_new(double rate, int burst, size_t max_keys)
{
	struct ratelimit	*rl;

	if (!(rate >= 0) || !isfinite(rate) || burst < 1)
		return NULL;
	rl = xcalloc(1, sizeof *rl);
	rl->rate = rate;
	rl->burst = burst;
	rl->max_keys = max_keys > 0 ? max_keys : 1;
	rl->nbuckets = RL_MIN_BUCKETS;
	rl->buckets = xcalloc(rl->nbuckets, sizeof *rl->buckets);
	if (getentropy(rl->seed, sizeof rl->seed) != 0) {
		rl->seed[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)rl;
		rl->seed[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	struct rl_entry	*e, *older;

	if (rl == NULL)
		return;
	for (e = rl->newest; e != NULL; e = older) {
		older = e->older;
		free(e);
	}
	free(rl->buckets);
	free(rl);
}

static struct rl_entry **
rl_slot(struct ratelimit *rl, uint64_t hash)
{
	return &rl->buckets[hash & (rl->nbuckets - 1)];
}

/* Find key; return the pointer that points at its entry, or NULL. */
static struct rl_entry **
rl_find(struct ratelimit *rl, const char *key, uint64_t hash)
{
	struct rl_entry	**ep;

	for (ep = rl_slot(rl, hash); *ep != NULL; ep = &(*ep)->next) {
		if ((*ep)->hash == hash && strcmp((*ep)->key, key) == 0)
			return ep;
	}
	return NULL;
}

static void
rl_unlink_use(struct ratelimit *rl, struct rl_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		rl->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		rl->oldest = e->newer;
	e->older = e->newer = NULL;
}

static void
rl_push_newest(struct ratelimit *rl, struct rl_entry *e)
{
	e->older = rl->newest;
	e->newer = NULL;
	if (rl->newest != NULL)
		rl->newest->newer = e;
	rl->newest = e;
	if (rl->oldest == NULL)
		rl->oldest = e;
}

static void
rl_remove(struct ratelimit *rl, struct rl_entry *e)
{
	struct rl_entry	**ep;

	for (ep = rl_slot(rl, e->hash); *ep != e; ep = &(*ep)->next)
		;
	*ep = e->next;
	rl_unlink_use(rl, e);
	rl->count--;
	free(e);
}

/* Double the table while it has fewer buckets than entries. */
static void
rl_grow(struct ratelimit *rl)
{
	struct rl_entry	**old = rl->buckets, *e, *next;
	size_t		  i, n = rl->nbuckets;

	if (rl->count < n || n >= rl->max_keys || n > SIZE_MAX / 4)
		return;
	rl->nbuckets = n * 2;
	rl->buckets = xcalloc(rl->nbuckets, sizeof *rl->buckets);
	for (i = 0; i < n; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			e->next = *rl_slot(rl, e->hash);
			*rl_slot(rl, e->hash) = e;
		}
	}
	free(old);
}

/* Tokens in e's bucket at time now. */
static double
rl_tokens(const struct ratelimit *rl, const struct rl_entry *e, double now)
{
	double	 t = e->tokens;

	if (now > e->last)
		t += (now - e->last) * rl->rate;
	if (t > rl->burst - RL_EPSILON)
		t = rl->burst;
	return t;
}

/* Make room for one entry: refilled buckets first, else the oldest. */
static void
rl_evict(struct ratelimit *rl, double now)
{
	struct rl_entry	*e, *newer;
	int		 n, evicted = 0;

	for (e = rl->oldest, n = 0; e != NULL && n < RL_EVICT_SCAN; n++) {
		newer = e->newer;
		if (rl_tokens(rl, e, now) >= rl->burst) {
			rl_remove(rl, e);
			evicted++;
		}
		e = newer;
	}
	if (evicted == 0 && rl->oldest != NULL)
		rl_remove(rl, rl->oldest);
}

/* Whole seconds (rounded up) for x seconds, clamped to an int. */
static int
rl_seconds(double x)
{
	if (!(x > RL_EPSILON))
		return 0;
	x = ceil(x - RL_EPSILON);
	return x >= INT_MAX ? INT_MAX : (int)x;
}

static void
rl_result(const struct ratelimit *rl, double tokens, int allowed, double cost,
    struct ratelimit_result *res)
{
	double	 need = cost > 1 ? cost : 1;

	res->allowed = allowed;
	res->limit = (int)rl->burst;
	res->remaining = (int)floor(tokens + RL_EPSILON);
	res->reset = rl_seconds((rl->burst - tokens) / rl->rate);
	res->retry_after = 0;
	if (!allowed) {
		res->retry_after = rl_seconds((need - tokens) / rl->rate);
		if (res->retry_after < 1)
			res->retry_after = 1;
	}
}

static void
rl_unlimited(const struct ratelimit *rl, struct ratelimit_result *res)
{
	res->allowed = 1;
	res->limit = res->remaining = (int)rl->burst;
	res->reset = res->retry_after = 0;
}

void
ratelimit_take(struct ratelimit *rl, const char *key, double now, double cost,
    struct ratelimit_result *res)
{
	struct rl_entry	**ep, *e;
	uint64_t	  hash;
	size_t		  len;
	int		  allowed;

	if (rl->rate == 0) {
		rl_unlimited(rl, res);
		return;
	}
	if (!(cost > 0))
		cost = 0;
	len = strlen(key);
	hash = rl_siphash((const unsigned char *)key, len, rl->seed);
	if ((ep = rl_find(rl, key, hash)) != NULL) {
		e = *ep;
		e->tokens = rl_tokens(rl, e, now);
		if (now > e->last)
			e->last = now;
		rl_unlink_use(rl, e);
	} else {
		if (rl->count >= rl->max_keys)
			rl_evict(rl, now);
		rl_grow(rl);
		e = xmalloc(sizeof *e + len + 1);
		memcpy(e->key, key, len + 1);
		e->hash = hash;
		e->tokens = rl->burst;
		e->last = now;
		e->next = *rl_slot(rl, hash);
		*rl_slot(rl, hash) = e;
		rl->count++;
	}
	rl_push_newest(rl, e);

	allowed = e->tokens + RL_EPSILON >= cost;
	if (allowed) {
		e->tokens -= cost;
		if (e->tokens < 0)
			e->tokens = 0;
	}
	rl_result(rl, e->tokens, allowed, cost, res);
}

void
ratelimit_peek(struct ratelimit *rl, const char *key, double now,
    struct ratelimit_result *res)
{
	struct rl_entry	**ep;
	double		  tokens = rl->burst;

	if (rl->rate == 0) {
		rl_unlimited(rl, res);
		return;
	}
	ep = rl_find(rl, key, rl_siphash((const unsigned char *)key,
	    strlen(key), rl->seed));
	if (ep != NULL)
		tokens = rl_tokens(rl, *ep, now);
	rl_result(rl, tokens, tokens + RL_EPSILON >= 1, 1, res);
}

void
ratelimit_give(struct ratelimit *rl, const char *key, double now, double cost)
{
	struct rl_entry	**ep;

	if (rl->rate == 0 || !(cost > 0))
		return;
	ep = rl_find(rl, key, rl_siphash((const unsigned char *)key,
	    strlen(key), rl->seed));
	if (ep == NULL)
		return;
	(*ep)->tokens = rl_tokens(rl, *ep, now) + cost;
	if (now > (*ep)->last)
		(*ep)->last = now;
	if ((*ep)->tokens > rl->burst)
		(*ep)->tokens = rl->burst;
}

void
ratelimit_reset(struct ratelimit *rl, const char *key)
{
	struct rl_entry	**ep;

	ep = rl_find(rl, key, rl_siphash((const unsigned char *)key,
	    strlen(key), rl->seed));
	if (ep != NULL)
		rl_remove(rl, *ep);
}
