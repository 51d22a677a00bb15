/*
 * The webhook delivery thread: claims due rows of the outbox with a lease,
 * sends them with libcurl multi (its own PGconn, off the event loop), and
 * records each attempt. Retries back off exponentially with jitter and honour
 * Retry-After; 410 Gone disables the endpoint. A row claimed by a daemon
 * that dies is claimed again when its lease runs out: at least once.
 *
 * The database work is pipelined and never waited for: one round trip
 * carries the record of every transfer finished since the last one, then a
 * claim for the free places (each in its own transaction), while the
 * transfers in flight go on. Connections to an endpoint stay open in the
 * multi handle's cache for the next deliveries.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "db-webhook.h"
#include "db-cluster.h"
#include "fetch.h"
#include "webhook.h"

#define EXCERPT_MAX	1024		/* bytes of an answer kept */
#define ANSWER_MAX	(1024 * 1024)	/* read no more than this */
#define RETRY_AFTER_MAX	86400

/* Multiples of webhook_retry_base: 5 s, 30 s, 2 m, 10 m, 30 m, 1 h, ... */
static const int backoff[] = { 1, 6, 24, 120, 360, 720, 1440, 2880, 5760 };
#define NBACKOFF (int)(sizeof backoff / sizeof backoff[0])

struct job {
	struct job		*next;
	CURL			*curl;
	struct curl_slist	*headers;
	char			*body;
	char			 id[40], webhook[40];
	int			 attempts;
	int			 refused;
	char			 excerpt[EXCERPT_MAX + 1];
	size_t			 len, total;
	double			 started;
	char			 error[CURL_ERROR_SIZE];
};

static struct {
	pthread_t	 thread;
	int		 stop;
	CURLM		*multi;
	struct db	 db;
	PGconn		*listening;
	int		 listening_pid;	/* its backend: a new one needs LISTEN */
	struct job	*jobs;
	int		 njobs;
	json_t		*done;		/* outcomes not yet sent to be recorded */
	struct outbox_pipe pipe;	/* what is in the pipeline */
	double		 sent_at;	/* when that pipeline was sent */
	json_t		*recording;	/* outcomes in that pipeline */
	int		 want_claim;	/* places freed, rows due or woken */
	unsigned long	 sent;
	unsigned int	 seed;
} ob;

unsigned long
outbox_sent(void)
{
	return __atomic_load_n(&ob.sent, __ATOMIC_RELAXED);
}

/* The guard of fetch.c on the address actually connected to. */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct job	*j = arg;

	if (!cfg.outbound_allow_private && fetch_address_refused(&a->addr)) {
		j->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* Keep a printable excerpt; stop reading past ANSWER_MAX. */
static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	struct job	*j = arg;
	size_t		 len = size * n;

	for (size_t i = 0; i < len && j->len < EXCERPT_MAX; i++) {
		unsigned char c = (unsigned char)p[i];

		j->excerpt[j->len++] = (c >= 0x20 && c < 0x7f) || c == '\n' ||
		    c == '\t' ? (char)c : '?';
	}
	j->excerpt[j->len] = '\0';
	j->total += len;
	return j->total > ANSWER_MAX ? 0 : len;
}

static void
job_free(struct job *j)
{
	if (j->curl != NULL) {
		curl_multi_remove_handle(ob.multi, j->curl);
		curl_easy_cleanup(j->curl);
	}
	curl_slist_free_all(j->headers);
	free(j->body);
	free(j);
}

static struct curl_slist *
header(struct curl_slist *l, const char *name, const char *value)
{
	char	*line = xasprintf("%s: %s", name, value);

	l = curl_slist_append(l, line);
	free(line);
	return l;
}

/* Start sending one claimed row; -1 if it cannot even be built. */
static int
job_start(const struct outbox_claim *cl)
{
	struct job	*j = xcalloc(1, sizeof *j);
	json_t		*payload;
	char		 sig[WEBHOOK_SIG_MAX], ts[24];
	long long	 now = (long long)time(NULL);

	snprintf(j->id, sizeof j->id, "%s", cl->id);
	snprintf(j->webhook, sizeof j->webhook, "%s", cl->webhook);
	j->attempts = cl->attempts;
	payload = json_loads(cl->payload, 0, NULL);
	j->body = payload ? webhook_render(cl->format, payload) : NULL;
	json_decref(payload);
	snprintf(ts, sizeof ts, "%lld", now);
	if (j->body == NULL || webhook_sign(cl->secret, j->id, now, j->body,
	    strlen(j->body), sig, sizeof sig) != 0) {
		log_warn("webhooks: delivery %s cannot be built", j->id);
		job_free(j);
		return -1;
	}
	j->headers = header(NULL, "Content-Type", "application/json");
	j->headers = header(j->headers, "webhook-id", j->id);
	j->headers = header(j->headers, "webhook-timestamp", ts);
	j->headers = header(j->headers, "webhook-signature", sig);
	j->headers = curl_slist_append(j->headers, "Expect:");
	j->curl = curl_easy_init();
	curl_easy_setopt(j->curl, CURLOPT_URL, cl->url);
	curl_easy_setopt(j->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(j->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(j->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->curl, CURLOPT_TIMEOUT, (long)cfg.webhook_timeout);
	curl_easy_setopt(j->curl, CURLOPT_CONNECTTIMEOUT,
	    (long)(cfg.webhook_timeout < 5 ? cfg.webhook_timeout : 5));
	curl_easy_setopt(j->curl, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(j->curl, CURLOPT_USERAGENT, "calldockerd-webhooks");
	curl_easy_setopt(j->curl, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(j->curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(j->curl, CURLOPT_OPENSOCKETDATA, j);
	curl_easy_setopt(j->curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(j->curl, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->curl, CURLOPT_ERRORBUFFER, j->error);
	curl_easy_setopt(j->curl, CURLOPT_PRIVATE, j);
	j->started = now_mono();
	curl_multi_add_handle(ob.multi, j->curl);
	j->next = ob.jobs;
	ob.jobs = j;
	ob.njobs++;
	return 0;
}

/* Seconds before attempt n + 1, with +-20% jitter. */
static double
retry_delay(int attempts, long retry_after)
{
	int	 i = attempts - 1 < NBACKOFF ? attempts - 1 : NBACKOFF - 1;
	double	 d, jitter = 0.8 + 0.4 * (rand_r(&ob.seed) / (double)RAND_MAX);

	d = cfg.webhook_retry_base * backoff[i < 0 ? 0 : i] * jitter;
	if (retry_after > RETRY_AFTER_MAX)
		retry_after = RETRY_AFTER_MAX;
	return retry_after > d ? (double)retry_after : d;
}

/* The outcome of a finished transfer, as a row for db_outbox_record(). */
static json_t *
job_outcome(struct job *j, CURLcode e)
{
	long		 status = 0;
	curl_off_t	 ra = 0;
	const char	*state;
	char		 err[CURL_ERROR_SIZE + 32] = "";

	curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &status);
	if (e != CURLE_OK && status == 0)
		snprintf(err, sizeof err, "%s", j->refused ? "the address is not"
		    " allowed (outbound_allow_private)" : j->error[0] ? j->error :
		    curl_easy_strerror(e));
	else if (status < 200 || status > 299)
		snprintf(err, sizeof err, "the endpoint answered %ld", status);
	if (status >= 200 && status <= 299)
		state = "delivered";
	else if (status == 410 || j->attempts >= cfg.webhook_max_attempts)
		state = "failed";
	else
		state = "pending";
	curl_easy_getinfo(j->curl, CURLINFO_RETRY_AFTER, &ra);
	if (status == 410)	/* db_outbox_record() disables it */
		log_info("webhooks: endpoint %s answered 410 Gone; disabled",
		    j->webhook);
	log_debug("webhooks: delivery %s attempt %d: %s%s%s", j->id,
	    j->attempts, state, err[0] ? ", " : "", err);
	return json_pack("{s:s,s:o,s:o,s:o,s:i,s:s,s:f}", "id", j->id,
	    "status", status ? json_integer(status) : json_null(),
	    "error", err[0] ? json_string(err) : json_null(),
	    "response", j->len ? json_string(j->excerpt) : json_null(),
	    "duration_ms", (int)((now_mono() - j->started) * 1000),
	    "state", state, "delay", retry_delay(j->attempts, (long)ra));
}

/* Collect the outcome of every finished transfer in ob.done. */
static void
reap(void)
{
	CURLMsg		*m;
	int		 left;
	struct job	*j, **pp;

	while ((m = curl_multi_info_read(ob.multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		json_array_append_new(ob.done, job_outcome(j, m->data.result));
		for (pp = &ob.jobs; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == j) {
				*pp = j->next;
				break;
			}
		}
		ob.njobs--;
		ob.want_claim = 1;
		job_free(j);
	}
}

/* Outcomes the database has (or will never have) recorded. */
static void
recorded(json_t *rows, int ok)
{
	if (!ok)
		log_warn("webhooks: cannot record %zu deliveries; they will be"
		    " sent again", json_array_size(rows));
	__atomic_add_fetch(&ob.sent, json_array_size(rows), __ATOMIC_RELAXED);
	json_decref(rows);
}

/*
 * Send what is finished to be recorded and claim the free places, in one
 * pipeline of two transactions; 1 if sent.
 */
static int
send_pipeline(void)
{
	char	*text = NULL;
	int	 room = cfg.webhook_concurrency - ob.njobs, sent;

	if (json_array_size(ob.done) == 0 && (room <= 0 || !ob.want_claim))
		return 0;
	if (json_array_size(ob.done) > 0)
		text = json_dumps(ob.done, JSON_COMPACT);
	/* A live sender finishes within the timeout; then it is free. */
	sent = db_outbox_send(&ob.db, &ob.pipe, text, cfg.webhook_timeout + 5,
	    room > 0 && ob.want_claim ? room : 0,
	    cfg.webhook_endpoint_concurrency);
	free(text);
	if (sent & OUTBOX_SENT_RECORD) {
		ob.recording = ob.done;
		ob.done = json_array();
	}
	if (sent & OUTBOX_SENT_CLAIM)
		ob.want_claim = 0;
	if (sent == 0)
		return 0;
	ob.sent_at = now_mono();
	return 1;
}

/* The pipeline is lost (the connection broke): what it held is not known. */
static void
pipeline_lost(void)
{
	if (ob.recording != NULL)
		recorded(ob.recording, 0);
	ob.recording = NULL;
	ob.want_claim = 1;
}

/* One outcome the pipeline answered. */
static void
pipeline_got(enum outbox_got g, const struct outbox_claim *cl, void *arg)
{
	(void)arg;
	switch (g) {
	case OUTBOX_RECORDED:
	case OUTBOX_NOT_RECORDED:
		recorded(ob.recording, g == OUTBOX_RECORDED);
		ob.recording = NULL;
		break;
	case OUTBOX_CLAIMED:
		job_start(cl);
		ob.want_claim = 1;
		break;
	case OUTBOX_NOT_CLAIMED:
		log_warn("webhooks: cannot claim deliveries");
		break;
	}
}

/*
 * Read what the pipeline answered so far (all of it when wait). A row a
 * lost claim leased is claimed again when the lease runs out.
 */
static void
read_pipeline(int wait)
{
	int	 late = !wait && ob.db.timeout > 0 &&
		    now_mono() > ob.sent_at + ob.db.timeout;

	switch (db_outbox_read(&ob.db, &ob.pipe, wait, late, pipeline_got,
	    NULL)) {
	case -2:
		log_warn("webhooks: the database does not answer");
		/* FALLTHROUGH */
	case -1:
		pipeline_lost();
		break;
	}
}

/* Milliseconds to wait for the next due row, at most one second. */
static int
next_due(void)
{
	long long	 ms = 1000;

	if (ob.njobs > 0)
		return 100;
	if (db_outbox_next_due(&ob.db, &ms) < 0)
		return 1000;
	return ms < 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
}

/* Every ten minutes, forget finished deliveries past the retention. */
static void
prune(void)
{
	static double	 next;
	int		 n;

	if (now_mono() < next)
		return;
	next = now_mono() + 600;
	if ((n = db_outbox_prune(&ob.db, cfg.webhook_retention_days)) > 0)
		log_info("webhooks: forgot %d deliveries older than %d days",
		    n, cfg.webhook_retention_days);
}

/* LISTEN on a fresh connection so committed events wake the thread. */
static void
listen_outbox(void)
{
	if (ob.db.conn == NULL || (ob.db.conn == ob.listening &&
	    PQbackendPID(ob.db.conn) == ob.listening_pid))
		return;
	ob.listening = NULL;
	if (db_outbox_listen(&ob.db) == 0) {
		ob.listening = ob.db.conn;
		ob.listening_pid = PQbackendPID(ob.db.conn);
	}
}

static void *
outbox_main(void *arg)
{
	struct curl_waitfd	 w;
	PGnotify		*n;
	PGconn			*c;
	int			 running, timeout;

	while (!__atomic_load_n(&ob.stop, __ATOMIC_ACQUIRE)) {
		timeout = 1000;
		curl_multi_perform(ob.multi, &running);
		reap();
		if (ob.pipe.busy > 0)
			read_pipeline(0);
		/* One node of a database delivers: the lease's holder. */
		if (ob.pipe.busy == 0 && db_lease_held(LEASE_WEBHOOKS) &&
		    db_ensure(&ob.db) == 0) {
			listen_outbox();
			prune();
			if (send_pipeline()) {
				read_pipeline(0);
				curl_multi_perform(ob.multi, &running);
				timeout = 100;
			} else {
				timeout = next_due();
				/* Due rows of endpoints at their limit: no spin. */
				if (timeout < 50)
					timeout = 50;
			}
		} else if (ob.pipe.busy == 0)
			ob.listening = NULL;
		else
			timeout = 100;
		c = ob.db.conn;
		/* A step that timed out dropped the connection listened on. */
		if (c == NULL)
			ob.listening = NULL;
		memset(&w, 0, sizeof w);
		w.fd = c != NULL && (ob.pipe.busy > 0 || ob.listening != NULL) ?
		    PQsocket(c) : -1;
		w.events = CURL_WAIT_POLLIN;
		curl_multi_poll(ob.multi, &w, w.fd >= 0 ? 1 : 0, timeout, NULL);
		if (ob.listening != NULL && (ob.pipe.busy > 0 ||
		    PQconsumeInput(ob.listening))) {
			while ((n = PQnotifies(ob.listening)) != NULL) {
				ob.want_claim = 1;
				PQfreemem(n);
			}
		}
		/* Rows may fall due at any time: look now and then. */
		if (w.revents == 0 && ob.pipe.busy == 0)
			ob.want_claim = 1;
	}
	return NULL;
}

int
outbox_start(const char *dburl, char **cause)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ob.multi = curl_multi_init();
	ob.done = json_array();
	ob.want_claim = 1;
	if (getrandom(&ob.seed, sizeof ob.seed, 0) != sizeof ob.seed)
		ob.seed = (unsigned int)time(NULL);
	db_init(&ob.db, dburl);
	if (pthread_create(&ob.thread, NULL, outbox_main, NULL) != 0) {
		*cause = xstrdup("cannot start the webhook delivery thread");
		return -1;
	}
	return 0;
}

/*
 * Stop: transfers still running are dropped and their rows released, so a
 * restart sends them at once (the receiver may see them twice).
 */
void
outbox_stop(void)
{
	struct job	*j;

	__atomic_store_n(&ob.stop, 1, __ATOMIC_RELEASE);
	curl_multi_wakeup(ob.multi);
	pthread_join(ob.thread, NULL);
	if (ob.pipe.busy > 0)
		read_pipeline(1);
	if (json_array_size(ob.done) > 0) {
		char *text = json_dumps(ob.done, JSON_COMPACT);

		db_outbox_record(&ob.db, text);
		free(text);
	}
	json_decref(ob.done);
	while ((j = ob.jobs) != NULL) {
		ob.jobs = j->next;
		db_outbox_release(&ob.db, j->id);
		job_free(j);
	}
	curl_multi_cleanup(ob.multi);
	db_close(&ob.db);
}
