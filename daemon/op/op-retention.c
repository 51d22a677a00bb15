/*
 * The recording retention sweeper (op-retention.h). A recording's rows go
 * first (call_recordings and its files row, one statement, its content
 * into the storage trash), then its content; each deletion is in the
 * audit log (action expire, no actor). Browser recording uploads left
 * incomplete for a day go too. Each pass also empties the storage trash
 * of what is due (op_trash_empty()).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "db-audit.h"
#include "db-cluster.h"
#include "db-file.h"
#include "db-recording.h"
#include "db-upload.h"
#include "storage.h"
#include "op-file.h"
#include "op-retention.h"

#define RETENTION_BATCH	"100"	/* recordings one pass deletes at most */
#define TRASH_BATCH	"1000"	/* contents op_trash_empty() deletes at most */

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	struct db	 db;
	int		 interval;
	int		 stop;
	int		 running;
} ret = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/*
 * Browser uploads left incomplete for a day (a page that never finished):
 * the row goes first, so no piece can be added, then the pieces.
 */
static void
retention_uploads(void)
{
	struct db_ids	*ids;
	int		 gone = 0;

	if ((ids = db_upload_stale(&ret.db, RETENTION_BATCH)) == NULL)
		return;
	for (int i = 0; i < ids->n; i++) {
		if (db_upload_drop(&ret.db, ids->v[i]) != 1)
			continue;
		gone++;
		if (op_file_content_delete(&ret.db, ids->v[i]) != 0)
			log_warn("recording: cannot delete the pieces of"
			    " upload %s", ids->v[i]);
	}
	if (gone > 0)
		log_info("recording: %d abandoned uploads deleted", gone);
	db_ids_free(ids);
}

/* Delete a trashed content; a failure waits in the trash for a retry. */
static int
trash_one(struct db *db, const char *file)
{
	/* A browser recording's pieces, then the content itself. */
	if (op_file_content_delete(db, file) == 0)
		return db_file_trash_done(db, file);
	log_warn("storage: cannot delete the content of %s; tried again later",
	    file);
	db_file_trash_retry(db, file);
	return -1;
}

int
op_trash_empty(struct db *db, const char *company)
{
	struct db_ids	*ids;
	int		 i, gone = 0;

	if ((ids = db_file_trash_due(db, company, TRASH_BATCH)) == NULL) {
		if (db->err != DB_DOWN)
			log_warn("storage: cannot read the storage trash");
		return -1;
	}
	for (i = 0; i < ids->n; i++) {
		if (trash_one(db, ids->v[i]) == 0)
			gone++;
	}
	if (gone > 0)
		log_info("storage: %d deleted contents removed", gone);
	db_ids_free(ids);
	return gone;
}

/* One pass: 1 when there may be more at once, 0 when done, -1 on error. */
static int
retention_pass(void)
{
	struct db_ids	*ids;
	char		 file[UUID_LEN + 1], company[UUID_LEN + 1];
	int		 i, n, gone = 0;

	if ((ids = db_recording_expired(&ret.db, RETENTION_BATCH)) == NULL) {
		if (ret.db.err != DB_DOWN)
			log_warn("recording: cannot find expired recordings");
		return -1;
	}
	for (i = 0; i < ids->n; i++) {
		if ((n = db_recording_drop(&ret.db, ids->v[i], file,
		    company)) < 0)
			break;
		if (n == 0)
			continue;
		gone++;
		db_audit(&ret.db, NULL, company, "expire", "recording",
		    ids->v[i], NULL, "{\"reason\": \"retention\"}");
		trash_one(&ret.db, file);
	}
	if (gone > 0)
		log_info("recording: %d expired recordings deleted", gone);
	retention_uploads();
	n = ids->n == atoi(RETENTION_BATCH) && i == ids->n;
	db_ids_free(ids);
	return n;
}

static void *
retention_main(void *arg)
{
	struct timespec	 ts;
	int		 more = 0;

	(void)arg;
	pthread_mutex_lock(&ret.lock);
	while (!ret.stop) {
		pthread_mutex_unlock(&ret.lock);
		/* One node of a database sweeps: the lease's holder. */
		if ((more = db_lease_held(LEASE_RETENTION)) != 0) {
			more = retention_pass() == 1;
			op_trash_empty(&ret.db, NULL);
		}
		pthread_mutex_lock(&ret.lock);
		if (more || ret.stop)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ret.interval;
		while (!ret.stop && pthread_cond_timedwait(&ret.cond,
		    &ret.lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&ret.lock);
	db_close(&ret.db);
	return NULL;
}

int
retention_start(const char *dburl, int interval, char **cause)
{
	pthread_condattr_t	 attr;

	if (interval <= 0)
		return 0;
	ret.interval = interval;
	db_init(&ret.db, dburl);
	ret.db.stop = &ret.stop;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_REALTIME);
	pthread_cond_init(&ret.cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&ret.thread, NULL, retention_main, NULL) != 0) {
		*cause = xstrdup("cannot start the recording retention thread");
		return -1;
	}
	ret.running = 1;
	return 0;
}

void
retention_stop(void)
{
	if (!ret.running)
		return;
	pthread_mutex_lock(&ret.lock);
	__atomic_store_n(&ret.stop, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&ret.cond);
	pthread_mutex_unlock(&ret.lock);
	pthread_join(ret.thread, NULL);
	ret.running = 0;
}
