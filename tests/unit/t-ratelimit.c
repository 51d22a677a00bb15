/* Unit tests for common/ratelimit.c: buckets, refill, headers, eviction. */
#include <stdio.h>

#include "ratelimit.h"
#include "unit.h"

static void
test_burst(void)
{
	struct ratelimit	*rl = ratelimit_new(1, 3, 100);
	struct ratelimit_result	 r;
	int			 i, allowed = 0;

	for (i = 0; i < 3; i++) {
		ratelimit_take(rl, "10.0.0.1", 1000, 1, &r);
		allowed += r.allowed;
	}
	is_int(allowed, 3, "burst of 3 allowed");
	is_int(r.limit, 3, "limit is the burst");
	is_int(r.remaining, 0, "nothing remains after the burst");
	is_int(r.reset, 3, "reset: 3 s until full at 1/s");
	is_int(r.retry_after, 0, "no retry_after when allowed");

	ratelimit_take(rl, "10.0.0.1", 1000, 1, &r);
	ok(!r.allowed, "fourth request refused");
	is_int(r.remaining, 0, "refused: remaining 0");
	is_int(r.retry_after, 1, "refused: retry after 1 s");

	ratelimit_take(rl, "10.0.0.2", 1000, 1, &r);
	ok(r.allowed, "another key has its own bucket");
	is_int(r.remaining, 2, "other key: 2 remain");
	ratelimit_free(rl);
}

static void
test_refill(void)
{
	struct ratelimit	*rl = ratelimit_new(2, 4, 100);
	struct ratelimit_result	 r;
	int			 i;

	for (i = 0; i < 4; i++)
		ratelimit_take(rl, "k", 50, 1, &r);
	ratelimit_take(rl, "k", 50, 1, &r);
	ok(!r.allowed, "empty at t=50");

	ratelimit_take(rl, "k", 50.25, 1, &r);
	ok(!r.allowed, "half a token after 0.25 s at 2/s: refused");
	is_int(r.retry_after, 1, "retry_after rounds 0.25 s up to 1");
	is_int(r.reset, 2, "reset rounds 1.75 s up to 2");

	ratelimit_take(rl, "k", 50.5, 1, &r);
	ok(r.allowed, "one token after 0.5 s");
	is_int(r.remaining, 0, "and it is used");

	ratelimit_peek(rl, "k", 52.5, &r);
	is_int(r.remaining, 4, "full after 2 s more (capped at burst)");
	is_int(r.reset, 0, "reset 0 when full");
	ok(r.allowed, "peek says a token is there");

	ratelimit_peek(rl, "k", 1e6, &r);
	is_int(r.remaining, 4, "never above burst");

	ratelimit_take(rl, "k", 40, 1, &r);
	ok(!r.allowed, "time going backwards refills nothing");
	ratelimit_free(rl);
}

static void
test_retry_after(void)
{
	struct ratelimit	*rl = ratelimit_new(0.1, 1, 10);
	struct ratelimit_result	 r;

	ratelimit_take(rl, "slow", 0, 1, &r);
	ok(r.allowed, "first allowed at 0.1/s");
	is_int(r.reset, 10, "reset 10 s at 0.1/s");
	ratelimit_take(rl, "slow", 3, 1, &r);
	ok(!r.allowed, "refused 3 s later");
	is_int(r.retry_after, 7, "retry_after 7 s");
	is_int(r.reset, 7, "reset 7 s");

	ratelimit_peek(rl, "slow", 3, &r);
	ok(!r.allowed, "peek: no token");
	is_int(r.retry_after, 7, "peek: retry_after 7 s");
	ratelimit_take(rl, "slow", 10, 1, &r);
	ok(r.allowed, "allowed at exactly 10 s");
	ratelimit_free(rl);

	rl = ratelimit_new(1, 5, 10);
	ratelimit_take(rl, "c", 0, 3, &r);
	ok(r.allowed, "cost 3 allowed from 5");
	is_int(r.remaining, 2, "2 remain");
	ratelimit_take(rl, "c", 0, 3, &r);
	ok(!r.allowed, "cost 3 refused with 2 left");
	is_int(r.remaining, 2, "a refusal takes nothing");
	is_int(r.retry_after, 1, "retry_after counts until 3 tokens");
	ratelimit_free(rl);
}

static void
test_reset(void)
{
	struct ratelimit	*rl = ratelimit_new(1, 2, 10);
	struct ratelimit_result	 r;

	ratelimit_take(rl, "user@example.com", 0, 1, &r);
	ratelimit_take(rl, "user@example.com", 0, 1, &r);
	ratelimit_take(rl, "user@example.com", 0, 1, &r);
	ok(!r.allowed, "refused after 2");
	ratelimit_reset(rl, "user@example.com");
	ratelimit_take(rl, "user@example.com", 0, 1, &r);
	ok(r.allowed, "allowed again after ratelimit_reset");
	is_int(r.remaining, 1, "with a full bucket");
	ratelimit_reset(rl, "nobody");
	ok(1, "resetting an unknown key is harmless");
	ratelimit_free(rl);
}

static void
test_eviction(void)
{
	struct ratelimit	*rl = ratelimit_new(1, 2, 4);
	struct ratelimit_result	 r;
	char			 key[32];
	int			 i;

	/* a..d drained at t=0; a refills by t=10 but is used again at t=9. */
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof key, "%c", 'a' + i);
		ratelimit_take(rl, key, 0, 2, &r);
	}
	ratelimit_take(rl, "b", 1, 1, &r);	/* b: 0 tokens at t=1 */
	ratelimit_take(rl, "e", 1, 1, &r);	/* full: evicts a (oldest) */
	ok(r.allowed, "new key admitted when full");
	ratelimit_peek(rl, "a", 1, &r);
	is_int(r.remaining, 2, "least recently used key a was evicted");
	ratelimit_peek(rl, "b", 1, &r);
	is_int(r.remaining, 0, "recently used b kept");
	ratelimit_peek(rl, "c", 1, &r);
	is_int(r.remaining, 1, "c kept (1 token refilled)");

	ratelimit_free(rl);

	/* x is older but still refilling; y has refilled: y goes first. */
	rl = ratelimit_new(1, 2, 3);
	ratelimit_take(rl, "x", 0, 2, &r);
	ratelimit_take(rl, "y", 0, 1, &r);
	ratelimit_take(rl, "z", 0, 2, &r);
	ratelimit_take(rl, "w", 1, 1, &r);
	ratelimit_peek(rl, "x", 1, &r);
	is_int(r.remaining, 1, "older x kept while refilled y was evicted");
	ratelimit_peek(rl, "z", 1, &r);
	is_int(r.remaining, 1, "z kept");
	ratelimit_take(rl, "x", 1, 1, &r);
	ratelimit_take(rl, "x", 1, 1, &r);
	ok(!r.allowed, "x still limited");

	/* At t=100 every bucket is full: new keys evict full ones first. */
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "10.1.%d.%d", i / 256, i % 256);
		ratelimit_take(rl, key, 100 + i * 0.001, 1, &r);
	}
	ok(r.allowed, "1000 distinct keys through a table of 4");
	ratelimit_take(rl, key, 100 + i * 0.001, 1, &r);
	is_int(r.remaining, 0, "latest key still tracked");
	ratelimit_free(rl);

	/* Growth well past the initial table size, then shrink by reset. */
	rl = ratelimit_new(1, 1, 5000);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		ratelimit_take(rl, key, 0, 1, &r);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		ratelimit_take(rl, key, 0, 1, &r);
		if (r.allowed)
			break;
	}
	is_int(i, 5000, "all 5000 keys tracked (all refused on second take)");
	ratelimit_take(rl, "new", 0, 1, &r);
	ok(r.allowed, "key 5001 admitted by evicting");
	ratelimit_peek(rl, "k0", 0, &r);
	is_int(r.remaining, 1, "the least recently used key went");
	ratelimit_peek(rl, "k1", 0, &r);
	is_int(r.remaining, 0, "the next one stayed");
	ratelimit_free(rl);
}

static void
test_unlimited(void)
{
	struct ratelimit	*rl = ratelimit_new(0, 20, 1);
	struct ratelimit_result	 r;
	int			 i, allowed = 0;

	for (i = 0; i < 10000; i++) {
		ratelimit_take(rl, i % 2 ? "x" : "y", 0, 1, &r);
		allowed += r.allowed;
	}
	is_int(allowed, 10000, "rate 0: always allowed");
	is_int(r.limit, 20, "rate 0: limit is burst");
	is_int(r.remaining, 20, "rate 0: remaining is burst");
	is_int(r.reset, 0, "rate 0: reset 0");
	is_int(r.retry_after, 0, "rate 0: retry_after 0");
	ratelimit_peek(rl, "x", 0, &r);
	ok(r.allowed && r.remaining == 20, "rate 0: peek");
	ratelimit_free(rl);

	ok(ratelimit_new(-1, 1, 1) == NULL, "negative rate refused");
	ok(ratelimit_new(1, 0, 1) == NULL, "burst 0 refused");
	rl = ratelimit_new(1, 1, 0);
	ratelimit_take(rl, "a", 0, 1, &r);
	ratelimit_take(rl, "b", 0, 1, &r);
	ok(r.allowed, "max_keys 0 is taken as 1");
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

static void
test_give(void)
{
	struct ratelimit	*rl = ratelimit_new(0.01, 2, 100);
	struct ratelimit_result	 r;

	ratelimit_take(rl, "k", 10, 1, &r);
	ratelimit_take(rl, "k", 10, 1, &r);
	ratelimit_take(rl, "k", 10, 1, &r);
	ok(!r.allowed, "give: empty after the burst");
	ratelimit_give(rl, "k", 10, 1);
	ratelimit_take(rl, "k", 10, 1, &r);
	ok(r.allowed, "a token given back can be taken again");
	ratelimit_give(rl, "k", 10, 5);
	ratelimit_peek(rl, "k", 10, &r);
	is_int(r.remaining, 2, "giving never fills past the burst");
	ratelimit_give(rl, "unknown", 10, 1);
	ratelimit_peek(rl, "unknown", 10, &r);
	is_int(r.remaining, 2, "giving to an untracked key changes nothing");
	ratelimit_free(rl);
}

int
main(void)
{
	test_burst();
	test_refill();
	test_give();
	test_retry_after();
	test_reset();
	test_eviction();
	test_unlimited();
	return unit_done();
}
