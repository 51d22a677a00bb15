/*
 * Token buckets keyed by a string (client IP, token id, e-mail). Pure: the
 * caller passes the time. Not thread-safe; each owner keeps its own table.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>

struct ratelimit;

struct ratelimit_result {
	int	allowed;
	int	limit;		/* bucket size */
	int	remaining;	/* whole tokens left */
	int	reset;		/* seconds until the bucket is full */
	int	retry_after;	/* seconds until one token, when refused */
};

/*
 * rate tokens per second (0: unlimited), burst bucket size, at most max_keys
 * tracked. NULL if rate < 0 or burst < 1.
 */
struct ratelimit	*ratelimit_new(double rate, int burst, size_t max_keys);
void			 ratelimit_free(struct ratelimit *);
/*
 * Take cost tokens for key at time now (seconds, monotonic). A refusal
 * takes nothing; retry_after then counts until max(cost, 1) tokens.
 */
void			 ratelimit_take(struct ratelimit *, const char *key,
			     double now, double cost, struct ratelimit_result *);
/* Look without taking; allowed says whether one token is there. */
void			 ratelimit_peek(struct ratelimit *, const char *key,
			     double now, struct ratelimit_result *);
/*
 * Give back cost tokens taken from key (never above the bucket size), as
 * when a slot taken before some work turns out not to count. A key no
 * longer tracked is full already: nothing to do.
 */
void			 ratelimit_give(struct ratelimit *, const char *key,
			     double now, double cost);
/* Forget a key (e.g. after a successful login). */
void			 ratelimit_reset(struct ratelimit *, const char *key);

#endif
