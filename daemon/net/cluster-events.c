/*
 * Cross-node events (cluster-events.h, docs/cluster.md "Cross-node
 * events"). Sending: a subscriber of this node's events (EVENTS_LOCAL, so
 * what came from other nodes is not sent back) serialises each event into
 * a bounded queue; one publisher thread with its own connection sends
 * what is queued, several events to a NOTIFY payload and every payload of
 * a batch in one transaction, after the decisions' commits and outside
 * them: a notifying transaction takes a database-wide lock at commit
 * (PreCommit_Notify), so NOTIFY inside the hub's decisions would
 * serialise all of them behind one another.
 *
 * Order. The hub publishes a company's events under that company's lock
 * (and a worker publishes call.created before the hub hears of the call),
 * so they enter the queue in their order; one thread sends the queue in
 * order on one connection, whose transactions commit one after the other;
 * PostgreSQL delivers notifications in commit order; the receiving node
 * handles them on one thread and the WebSocket hub queues them in order.
 * So each company's events reach remote subscribers in the order they
 * entered this queue, which is the order the origin published them. Each event carries its origin's sequence number:
 * a batch sent again after a connection broke at its commit is skipped by
 * the receivers, and a gap (events dropped at the origin) is counted.
 *
 * Receiving runs on the node thread (cluster.c), on its LISTEN connection:
 * one connection per node rather than two, and handling a payload is a
 * parse and a queue append per event (no I/O, except one primary-key read
 * for an oversize event), which keeps the heartbeat timely.
 *
 * Payload: the origin's node id on the first line, then one line per
 * event, "SEQ MICROS COMPANY TYPE JSON" (MICROS: the origin's wall clock
 * at publication; COMPANY "-" for none), or "... TYPE @ID" for an event
 * stored in cluster_events because it does not fit a payload.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "xmalloc.h"
#include "json-print.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "db-cluster-events.h"
#include "events.h"
#include "cluster.h"
#include "cluster-events.h"
#include "metrics.h"

#define PAYLOAD_MAX	7900		/* PostgreSQL refuses 8000 bytes */
#define MAX_QUEUED	10000		/* events waiting to be sent */
#define MAX_QUEUED_BYTES (16 * 1024 * 1024)
#define MAX_BATCH	256		/* events per transaction */
#define GATHER_US	1000		/* a batch's first event waits for
					   the ones behind it (a decision
					   publishes several): one commit
					   for them, not one each */
#define MAX_ORIGINS	64		/* peers remembered for their sequence */
#define PRUNE_EVERY	60.0		/* seconds */

struct qev {
	struct qev		*next;
	unsigned long long	 seq;
	long long		 micros;
	char			 company[UUID_LEN + 1];
	char			 type[48];
	char			*json;
	size_t			 len;
};

static const double bounds[] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
	0.05, 0.1, 0.2, 0.5, 1, 2, 5 };
#define NBOUNDS	(sizeof bounds / sizeof bounds[0])

static struct {
	pthread_t		 thread;
	int			 running, stop;
	pthread_mutex_t		 lock;		/* the queue, the sequence */
	pthread_cond_t		 cond;
	struct qev		*head, *tail;
	size_t			 n, bytes;	/* queued and in flight */
	unsigned long long	 seq;
	int			 overflowing;	/* logged since the last drain */
	struct db		 db;
	char			 self[UUID_LEN + 1];
} pub = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* Counters, any thread (atomics). */
static unsigned long	 n_sent, n_payloads, n_received, n_full, n_refused,
			 n_lost, n_gaps;
static unsigned long	 delay_buckets[NBOUNDS], delay_count, delay_sum_us;

/* The node thread's view of each peer: the last sequence number seen. */
static struct origin {
	char			 id[UUID_LEN + 1];
	unsigned long long	 last;
	unsigned long		 used;
} origins[MAX_ORIGINS];
static unsigned long	 origin_clock;

static long long
micros_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
count(unsigned long *c, unsigned long n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static void	on_local(const char *, const char *, const json_t *, void *);

int
cluster_events_send(const char *company, const char *type,
    const json_t *data)
{
	int	 on;

	pthread_mutex_lock(&pub.lock);
	on = pub.running && !pub.stop;
	pthread_mutex_unlock(&pub.lock);
	if (!on)
		return -1;
	on_local(company, type, data, NULL);
	return 0;
}

/* The bus calls this for every event of this node, on the publisher. */
static void
on_local(const char *company, const char *type, const json_t *data,
    void *arg)
{
	struct qev	*e;
	char		*json;
	size_t		 len;

	(void)arg;
	if ((json = json_print(data, &len)) == NULL)
		return;
	pthread_mutex_lock(&pub.lock);
	if (pub.stop) {		/* the thread is gone or going */
		pthread_mutex_unlock(&pub.lock);
		free(json);
		return;
	}
	if (pub.n >= MAX_QUEUED || pub.bytes + len > MAX_QUEUED_BYTES) {
		if (!pub.overflowing)
			log_warn("cluster: events queue full (%zu waiting):"
			    " dropping events until it drains; other nodes'"
			    " subscribers miss them", pub.n);
		pub.overflowing = 1;
		pthread_mutex_unlock(&pub.lock);
		count(&n_full, 1);
		free(json);
		return;
	}
	e = xcalloc(1, sizeof *e);
	e->seq = ++pub.seq;
	e->micros = micros_now();
	strlcpy_(e->company, company != NULL && *company != '\0' ? company :
	    "-", sizeof e->company);
	strlcpy_(e->type, type, sizeof e->type);
	e->json = json;
	e->len = len;
	if (pub.tail != NULL)
		pub.tail->next = e;
	else
		pub.head = e;
	pub.tail = e;
	pub.n++;
	pub.bytes += len;
	pthread_cond_signal(&pub.cond);
	pthread_mutex_unlock(&pub.lock);
}

static void
free_events(struct qev *e)
{
	struct qev	*next;

	for (; e != NULL; e = next) {
		next = e->next;
		free(e->json);
		free(e);
	}
}

/* Up to MAX_BATCH events off the queue's head. Under the lock. */
static struct qev *
take(int *n)
{
	struct qev	*first = pub.head, *last = pub.head;

	for (*n = 1; *n < MAX_BATCH && last->next != NULL; (*n)++)
		last = last->next;
	if ((pub.head = last->next) == NULL)
		pub.tail = NULL;
	last->next = NULL;
	return first;
}

/* Back at the head, to be sent first. Under the lock. */
static void
put_back(struct qev *batch)
{
	struct qev	*last = batch;

	while (last->next != NULL)
		last = last->next;
	if ((last->next = pub.head) == NULL)
		pub.tail = last;
	pub.head = batch;
}

/* Sent or dropped: out of the bound. */
static void
settle(struct qev *batch)
{
	pthread_mutex_lock(&pub.lock);
	for (struct qev *e = batch; e != NULL; e = e->next) {
		pub.n--;
		pub.bytes -= e->len;
	}
	if (pub.n == 0 && pub.overflowing) {
		log_info("cluster: events queue drained; %lu dropped so far",
		    __atomic_load_n(&n_full, __ATOMIC_RELAXED));
		pub.overflowing = 0;
	}
	pthread_mutex_unlock(&pub.lock);
	free_events(batch);
}

/* The batch as payloads, each under PAYLOAD_MAX, in one transaction. */
static int
send_batch(struct qev *batch, int n)
{
	char		**pl = xcalloc((size_t)n + 1, sizeof *pl), head[160],
			  ref[32];
	size_t		  used = 0, hlen, plen;
	const char	 *body;
	long long	  id;
	int		  np = 0, rc = -1, sent = 0;

	if (db_ensure(&pub.db) != 0) {
		pub.db.err = DB_DOWN;	/* not set by db_ensure() */
		goto out;
	}
	for (struct qev *e = batch; e != NULL; e = e->next) {
		hlen = (size_t)snprintf(head, sizeof head, "%llu %lld %s %s ",
		    e->seq, e->micros, e->company, e->type);
		body = e->json;
		plen = e->len;
		if (UUID_LEN + 1 + hlen + plen + 1 > PAYLOAD_MAX) {
			if ((id = db_cluster_events_put(&pub.db, pub.self,
			    e->json)) < 0)
				goto out;
			plen = (size_t)snprintf(ref, sizeof ref, "@%lld", id);
			body = ref;
		}
		if (np == 0 || used + hlen + plen + 1 > PAYLOAD_MAX) {
			pl[np] = xmalloc(PAYLOAD_MAX + 1);
			used = (size_t)snprintf(pl[np++], PAYLOAD_MAX + 1,
			    "%s\n", pub.self);
		}
		memcpy(pl[np - 1] + used, head, hlen);
		memcpy(pl[np - 1] + used + hlen, body, plen);
		used += hlen + plen;
		pl[np - 1][used++] = '\n';
		pl[np - 1][used] = '\0';
		sent++;
	}
	if (db_cluster_events_send(&pub.db, (const char *const *)pl, np) != 0)
		goto out;
	count(&n_sent, (unsigned long)sent);
	count(&n_payloads, (unsigned long)np);
	log_debug("cluster: sent %d events in %d payloads, the first %.3f ms"
	    " after it was published", sent, np,
	    (double)(micros_now() - batch->micros) / 1e3);
	rc = 0;
out:
	for (int i = 0; i < np; i++)
		free(pl[i]);
	free(pl);
	return rc;
}

/* Wait on the queue's condition for at most secs. Under the lock. */
static void
pause_locked(double secs)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&pub.cond, &pub.lock, &ts);
}

static void *
pub_main(void *arg)
{
	struct qev	*batch;
	double		 next_prune = now_mono() + PRUNE_EVERY;
	int		 n, stopping, refusing = 0;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pub.lock);
		while (pub.head == NULL && !pub.stop)
			pause_locked(PRUNE_EVERY);
		if (pub.head == NULL) {
			pthread_mutex_unlock(&pub.lock);
			break;
		}
		if (!pub.stop && pub.n < MAX_BATCH) {
			pthread_mutex_unlock(&pub.lock);
			usleep(GATHER_US);
			pthread_mutex_lock(&pub.lock);
		}
		stopping = pub.stop;
		batch = take(&n);
		pthread_mutex_unlock(&pub.lock);
		if (send_batch(batch, n) == 0) {
			settle(batch);
			refusing = 0;
		} else if (pub.db.err != DB_DOWN) {
			/*
			 * Connected, but the statement was refused (sql/019
			 * missing, say): sending it again would block every
			 * later event behind it. Drop it; warn once a streak.
			 */
			if (!refusing++)
				log_warn("cluster: the database refused %d events"
				    " for the other nodes; dropping them", n);
			count(&n_refused, (unsigned long)n);
			settle(batch);
		} else if (stopping) {
			/* Stopping with the database gone: drop the rest. */
			pthread_mutex_lock(&pub.lock);
			put_back(batch);
			batch = pub.head;
			pub.head = pub.tail = NULL;
			n = (int)pub.n;
			pthread_mutex_unlock(&pub.lock);
			log_warn("cluster: stopping with %d events not sent to"
			    " the other nodes", n);
			settle(batch);
			break;
		} else {
			/* Reconnect (db_ensure() waits a second between tries). */
			pthread_mutex_lock(&pub.lock);
			put_back(batch);
			if (!pub.stop)
				pause_locked(1);
			pthread_mutex_unlock(&pub.lock);
		}
		if (now_mono() >= next_prune && pub.db.conn != NULL) {
			(void)db_cluster_events_prune(&pub.db);
			next_prune = now_mono() + PRUNE_EVERY;
		}
	}
	return NULL;
}

int
cluster_events_start(char **cause)
{
	if (cfg.cluster == NULL || *cfg.cluster == '\0' ||
	    *cluster_node_id() == '\0')
		return 0;
	strlcpy_(pub.self, cluster_node_id(), sizeof pub.self);
	db_init(&pub.db, cfg.database_url);
	events_subscribe(on_local, NULL, EVENTS_LOCAL);
	if (pthread_create(&pub.thread, NULL, pub_main, NULL) != 0) {
		*cause = xstrdup("cannot start the cluster events thread");
		return -1;
	}
	pub.running = 1;
	return 0;
}

void
cluster_events_stop(void)
{
	if (!pub.running)
		return;
	pthread_mutex_lock(&pub.lock);
	pub.stop = 1;
	pthread_cond_signal(&pub.cond);
	pthread_mutex_unlock(&pub.lock);
	pthread_join(pub.thread, NULL);
	pub.running = 0;
	db_close(&pub.db);
}

/* The slot of peer id (the least recently heard one is reused). */
static struct origin *
origin_slot(const char *id)
{
	struct origin	*o = &origins[0];

	for (int i = 0; i < MAX_ORIGINS; i++) {
		if (strcmp(origins[i].id, id) == 0) {
			o = &origins[i];
			goto out;
		}
		if (origins[i].used < o->used)
			o = &origins[i];
	}
	strlcpy_(o->id, id, sizeof o->id);
	o->last = 0;
out:
	o->used = ++origin_clock;
	return o;
}

static void
observe_delay(double secs)
{
	size_t	 b;

	if (secs < 0)
		secs = 0;	/* another machine's clock */
	for (b = 0; b < NBOUNDS; b++)
		if (secs <= bounds[b])
			count(&delay_buckets[b], 1);
	count(&delay_count, 1);
	count(&delay_sum_us, (unsigned long)(secs * 1e6));
}

/* One line of a payload: to the local subscribers. */
static void
receive_line(struct db *db, struct origin *o, const char *line, size_t len)
{
	char			 company[UUID_LEN + 1], type[48], *stored = NULL;
	unsigned long long	 seq;
	long long		 micros, id;
	json_t			*data;
	int			 off = 0;

	if (sscanf(line, "%llu %lld %36s %47s %n", &seq, &micros, company,
	    type, &off) != 4 || off == 0 || (size_t)off > len) {
		count(&n_lost, 1);
		return;
	}
	if (seq <= o->last)
		return;		/* sent again after a broken commit */
	if (o->last != 0 && seq > o->last + 1) {
		count(&n_gaps, 1);
		log_debug("cluster: events %llu to %llu of node %s never came",
		    o->last + 1, seq - 1, o->id);
	}
	o->last = seq;
	line += off;
	len -= (size_t)off;
	if (*line == '@') {
		id = strtoll(line + 1, NULL, 10);
		if (db_cluster_events_get(db, id, &stored) != 1) {
			count(&n_lost, 1);
			log_warn("cluster: stored event %lld of node %s is"
			    " gone", id, o->id);
			return;
		}
		line = stored;
		len = strlen(stored);
	}
	data = json_loadb(line, len, 0, NULL);
	free(stored);
	if (data == NULL) {
		count(&n_lost, 1);
		return;
	}
	count(&n_received, 1);
	observe_delay((double)(micros_now() - micros) / 1e6);
	log_debug("cluster: event %s %llu of node %s after %.3f ms", type, seq,
	    o->id, (double)(micros_now() - micros) / 1e3);
	events_deliver_remote(strcmp(company, "-") != 0 ? company : NULL, type,
	    data);
}

void
cluster_events_received(struct db *db, const char *payload)
{
	const char	*nl = strchr(payload, '\n'), *end;
	char		 id[UUID_LEN + 1];
	struct origin	*o;

	if (nl == NULL || nl - payload != UUID_LEN)
		return;
	memcpy(id, payload, UUID_LEN);
	id[UUID_LEN] = '\0';
	if (strcmp(id, cluster_node_id()) == 0)
		return;		/* ours: the local subscribers had it */
	o = origin_slot(id);
	for (payload = nl + 1; *payload != '\0'; payload = end + 1) {
		if ((end = strchr(payload, '\n')) == NULL)
			end = payload + strlen(payload);
		if (end > payload)
			receive_line(db, o, payload, (size_t)(end - payload));
		if (*end == '\0')
			break;
	}
}

static unsigned long
load(unsigned long *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void
cluster_events_metrics(struct metrics_out *o)
{
	size_t	 queued;

	pthread_mutex_lock(&pub.lock);
	queued = pub.n;
	pthread_mutex_unlock(&pub.lock);
	metrics_printf(o, "# HELP calldocker_cluster_events_sent_total Events of"
	    " this node sent to the other nodes of its cluster.\n"
	    "# TYPE calldocker_cluster_events_sent_total counter\n"
	    "calldocker_cluster_events_sent_total %lu\n"
	    "# HELP calldocker_cluster_event_notifies_total NOTIFY payloads"
	    " that carried them.\n"
	    "# TYPE calldocker_cluster_event_notifies_total counter\n"
	    "calldocker_cluster_event_notifies_total %lu\n"
	    "# HELP calldocker_cluster_events_received_total Events of other"
	    " nodes delivered to this node's subscribers.\n"
	    "# TYPE calldocker_cluster_events_received_total counter\n"
	    "calldocker_cluster_events_received_total %lu\n"
	    "# HELP calldocker_cluster_events_dropped_total Events that did not"
	    " cross: this node's queue was full (queue_full), an event"
	    " the database refused to send them (refused), an event"
	    " received could not be read (unreadable), a peer's events never"
	    " came (gap, counted once per gap).\n"
	    "# TYPE calldocker_cluster_events_dropped_total counter\n"
	    "calldocker_cluster_events_dropped_total{reason=\"queue_full\"} %lu\n"
	    "calldocker_cluster_events_dropped_total{reason=\"refused\"} %lu\n"
	    "calldocker_cluster_events_dropped_total{reason=\"unreadable\"} %lu\n"
	    "calldocker_cluster_events_dropped_total{reason=\"gap\"} %lu\n"
	    "# HELP calldocker_cluster_events_queued Events of this node waiting"
	    " to be sent.\n# TYPE calldocker_cluster_events_queued gauge\n"
	    "calldocker_cluster_events_queued %zu\n",
	    load(&n_sent), load(&n_payloads), load(&n_received), load(&n_full),
	    load(&n_refused), load(&n_lost), load(&n_gaps), queued);
	metrics_printf(o, "# HELP calldocker_cluster_event_delay_seconds From"
	    " publication on another node to delivery here (the two nodes'"
	    " wall clocks).\n"
	    "# TYPE calldocker_cluster_event_delay_seconds histogram\n");
	for (size_t b = 0; b < NBOUNDS; b++)
		metrics_printf(o, "calldocker_cluster_event_delay_seconds_bucket"
		    "{le=\"%g\"} %lu\n", bounds[b], load(&delay_buckets[b]));
	metrics_printf(o, "calldocker_cluster_event_delay_seconds_bucket"
	    "{le=\"+Inf\"} %lu\n"
	    "calldocker_cluster_event_delay_seconds_sum %.6f\n"
	    "calldocker_cluster_event_delay_seconds_count %lu\n",
	    load(&delay_count), (double)load(&delay_sum_us) / 1e6,
	    load(&delay_count));
}
