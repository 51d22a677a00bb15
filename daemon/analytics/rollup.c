/*
 * The analytics rollup refresher thread. Each pass is one statement,
 * analytics_rollup_refresh(), so a pass is all or nothing and a restart
 * simply carries on from the database's state.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "db-analytics.h"
#include "rollup.h"
#include "db-cluster.h"

/* Closed hours one pass computes per company at most (a month). */
#define ROLLUP_BATCH	"744"
/* Seconds a pass may take: far longer than a request, never for ever. */
#define ROLLUP_TIMEOUT	600

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	struct db	 db;
	int		 interval;
	int		 stop;
	int		 running;
} rollup = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* One pass: 1 when there is more to do at once, 0 when done, -1 on error. */
static int
rollup_pass(void)
{
	int	 more;

	if ((more = db_analytics_rollup(&rollup.db, ROLLUP_BATCH)) < 0 &&
	    rollup.db.err != DB_DOWN)
		log_warn("analytics: the rollup refresh failed");
	return more;
}

static void *
rollup_main(void *arg)
{
	struct timespec	 ts;
	int		 more = 0;

	pthread_mutex_lock(&rollup.lock);
	while (!rollup.stop) {
		pthread_mutex_unlock(&rollup.lock);
		/* One node of a database refreshes: the lease's holder. */
		more = db_lease_held(LEASE_ROLLUP) && rollup_pass() == 1;
		pthread_mutex_lock(&rollup.lock);
		if (more || rollup.stop)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += rollup.interval;
		while (!rollup.stop && pthread_cond_timedwait(&rollup.cond,
		    &rollup.lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&rollup.lock);
	db_close(&rollup.db);
	return NULL;
}

int
rollup_start(const char *dburl, int interval, char **cause)
{
	pthread_condattr_t	 attr;

	if (interval <= 0)
		return 0;
	rollup.interval = interval;
	db_init(&rollup.db, dburl);
	rollup.db.timeout = ROLLUP_TIMEOUT;
	rollup.db.stop = &rollup.stop;	/* a stop ends a wait at once */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_REALTIME);
	pthread_cond_init(&rollup.cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&rollup.thread, NULL, rollup_main, NULL) != 0) {
		*cause = xstrdup("cannot start the analytics rollup thread");
		return -1;
	}
	rollup.running = 1;
	return 0;
}

void
rollup_stop(void)
{
	if (!rollup.running)
		return;
	pthread_mutex_lock(&rollup.lock);
	__atomic_store_n(&rollup.stop, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&rollup.cond);
	pthread_mutex_unlock(&rollup.lock);
	pthread_join(rollup.thread, NULL);
	rollup.running = 0;
}
