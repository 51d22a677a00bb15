/*
 * Sign-in throttling and sign-up limits: token buckets (ratelimit.c) under
 * one lock. The rules, with L = login_max_failures and W = login_window:
 *
 *   - per account and address: L failures per W, then 429 for that
 *     address only;
 *   - per address, any accounts: 4L per W (password spraying);
 *   - per account, any addresses: 4L per W at full speed, then checks from
 *     addresses the account has not signed in from lately wait their turn
 *     at L per W (429 with a Retry-After of at most W/L seconds). An
 *     address that signed in to the account within the last 30 days is
 *     never held back by failures that came from elsewhere.
 *
 * A failure is counted before the password is checked and given back
 * when the password was right, so parallel guesses cannot overshoot.
 */
#include <pthread.h>
#include <stdlib.h>

#include "xmalloc.h"
#include "ratelimit.h"
#include "daemon.h"
#include "throttle.h"

#define THROTTLE_KEYS	65536
#define KNOWN_DAYS	30	/* how long a good sign-in vouches for an address */
#define SIGNUP_PERIOD	3600.0	/* register_limit_* are per hour */

static pthread_mutex_t	 throttle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ratelimit	*fail_pair, *fail_ip, *fail_account, *known;
static struct ratelimit	*signup_ip, *signup_all;

/* Under throttle_lock. */
static void
throttle_init(void)
{
	double	 l = cfg.login_max_failures, w = cfg.login_window;

	if (fail_pair != NULL)
		return;
	fail_pair = ratelimit_new(l / w, (int)l, THROTTLE_KEYS);
	fail_ip = ratelimit_new(4 * l / w, (int)(4 * l), THROTTLE_KEYS);
	/* Refills at L per W: past its burst, one check per W/L seconds. */
	fail_account = ratelimit_new(l / w, (int)(4 * l), THROTTLE_KEYS);
	/* A key holds no token for KNOWN_DAYS after a good sign-in. */
	known = ratelimit_new(1.0 / (KNOWN_DAYS * 86400.0), 1, THROTTLE_KEYS);
	signup_ip = ratelimit_new(cfg.register_limit_ip / SIGNUP_PERIOD,
	    cfg.register_limit_ip > 0 ? cfg.register_limit_ip : 1, THROTTLE_KEYS);
	signup_all = ratelimit_new(cfg.register_limit_total / SIGNUP_PERIOD,
	    cfg.register_limit_total > 0 ? cfg.register_limit_total : 1, 1);
}

static char *
pair_key(const char *email, const char *ip)
{
	return xasprintf("%s\n%s", email, ip);
}

int
throttle_password_begin(const char *email, const char *ip, int *retry_after)
{
	struct ratelimit_result	 pair, addr, acct, k;
	double			 now = now_mono();
	char			*key = pair_key(email, ip);
	int			 rc = -1;

	pthread_mutex_lock(&throttle_lock);
	throttle_init();
	ratelimit_take(fail_pair, key, now, 1, &pair);
	if (!pair.allowed) {
		*retry_after = pair.retry_after;
		goto out;
	}
	ratelimit_take(fail_ip, ip, now, 1, &addr);
	if (!addr.allowed) {
		ratelimit_give(fail_pair, key, now, 1);
		*retry_after = addr.retry_after;
		goto out;
	}
	ratelimit_peek(known, key, now, &k);
	if (k.remaining >= 1) {
		ratelimit_take(fail_account, email, now, 1, &acct);
		if (!acct.allowed) {
			ratelimit_give(fail_pair, key, now, 1);
			ratelimit_give(fail_ip, ip, now, 1);
			*retry_after = acct.retry_after;
			goto out;
		}
	}
	rc = 0;
out:
	pthread_mutex_unlock(&throttle_lock);
	free(key);
	return rc;
}

/* Give back what throttle_password_begin() took. Under throttle_lock. */
static void
give_back(const char *key, const char *email, const char *ip, double now)
{
	struct ratelimit_result	 k;

	ratelimit_peek(known, key, now, &k);
	if (k.remaining >= 1)
		ratelimit_give(fail_account, email, now, 1);
	ratelimit_give(fail_ip, ip, now, 1);
	ratelimit_give(fail_pair, key, now, 1);
}

void
throttle_password_undo(const char *email, const char *ip)
{
	double	 now = now_mono();
	char	*key = pair_key(email, ip);

	pthread_mutex_lock(&throttle_lock);
	throttle_init();
	give_back(key, email, ip, now);
	pthread_mutex_unlock(&throttle_lock);
	free(key);
}

void
throttle_password_ok(const char *email, const char *ip)
{
	struct ratelimit_result	 k;
	double			 now = now_mono();
	char			*key = pair_key(email, ip);

	pthread_mutex_lock(&throttle_lock);
	throttle_init();
	give_back(key, email, ip, now);
	/* This address proved itself: its earlier typos are forgiven. */
	ratelimit_reset(fail_pair, key);
	ratelimit_reset(known, key);
	ratelimit_take(known, key, now, 1, &k);
	pthread_mutex_unlock(&throttle_lock);
	free(key);
}

int
throttle_signup_begin(const char *ip, int *retry_after)
{
	struct ratelimit_result	 a, t;
	double			 now = now_mono();
	int			 rc = -1;

	pthread_mutex_lock(&throttle_lock);
	throttle_init();
	ratelimit_take(signup_ip, ip, now, 1, &a);
	if (!a.allowed) {
		*retry_after = a.retry_after;
		goto out;
	}
	ratelimit_take(signup_all, "all", now, 1, &t);
	if (!t.allowed) {
		ratelimit_give(signup_ip, ip, now, 1);
		*retry_after = t.retry_after;
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&throttle_lock);
	return rc;
}

void
throttle_signup_undo(const char *ip)
{
	double	 now = now_mono();

	pthread_mutex_lock(&throttle_lock);
	throttle_init();
	ratelimit_give(signup_ip, ip, now, 1);
	ratelimit_give(signup_all, "all", now, 1);
	pthread_mutex_unlock(&throttle_lock);
}
