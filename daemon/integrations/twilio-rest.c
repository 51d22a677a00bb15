/*
 * The Twilio REST client: what the daemon tells Twilio about a live call.
 * A Twilio call is bridged through a <Conference> named for the call
 * ("call-<call id>"): the caller's leg joins it and waits there, and the
 * daemon creates each agent's leg (and a supervisor's) into it. It listens
 * to the in-process events (events.h) and, for a call that came in
 * through Twilio (twilio_calls), acts on its own thread:
 * - call.answered by an agent: the caller's live call is updated to join
 *   the conference (hearing the queue's hold music until an agent joins;
 *   its leaving ends the conference), once, and the agent's leg is
 *   created (Calls.json) to its phone or its browser page's Client
 *   identity (Twilio's Voice SDK), joining the same conference; its status
 *   callback (?event=agent, twilio.c) re-queues the call when the agent is
 *   not reached and hangs it up when the agent's phone does;
 * - an agent's leg joining the conference (?event=conference, twilio.c,
 *   twilio_rest_joined()): a held caller is taken off hold (a transfer's
 *   new agent) and, when the call is recorded, the recording starts on
 *   the caller's leg (Call Recordings, dual channel);
 * - call.held: the caller's participant is held (the queue's hold music),
 *   the agent stays in the conference; call.resumed: taken off hold;
 * - call.transferred (to an agent or a queue): held as for call.held and
 *   the old agent's leg is ended; the new agent's answer adds a new leg;
 * - call.ended or call.abandoned: the agent's leg (still ringing, say) is
 *   ended, and the caller's call unless Twilio ended it (Status=completed);
 * - call.answered of a callback whose caller is not on the line yet: a new
 *   outbound call to the callback number, from the number the caller had
 *   called (caller_data.to), joining the conference as a caller; its
 *   status callback (?event=callback, twilio.c) tells whether the caller
 *   answered, and only then is the agent's leg created
 *   (twilio_rest_bridge()). A dial Twilio refuses counts as one nobody
 *   answered (call.callback_failed);
 * - call.supervised: the supervisor's participant (label "supervisor") is
 *   added to the conference, changed with the mode (monitor: muted;
 *   whisper: coaching the agent's leg; barge: neither) or removed (off),
 *   and, when the company says so, the agent hears an announcement;
 * - call.recording_started, call.recording_stopped (call.record, a call
 *   recorded on demand): the caller's leg recorded as at an agent's join,
 *   or its recording stopped (Status=stopped);
 * - a recording, once Twilio posts that it is ready (twilio_rest_fetch()):
 *   GET .../Recordings/{RecordingSid}.wav into the file storage, linked
 *   to the call (op_file_recording()).
 * What each kind of job asks of Twilio is twilio-bridge.c's; here are the
 * queue of jobs, the thread and the requests. Each request goes to
 * {twilio_api_url}/2010-04-01/Accounts/{AccountSid}/..., form-encoded,
 * with HTTP Basic authentication by the company's account sid and auth
 * token, and is retried with backoff on 5xx, 429 (honouring Retry-After)
 * and no answer, at most TW_ATTEMPTS times. The event callback runs under
 * the hub's lock and only queues; the requests, their database reads and
 * their waits run on this thread (with its own PostgreSQL connection),
 * never on the loop or a worker.
 * Jobs are in memory: a job queued when the daemon stops is dropped. But a
 * recording to fetch is also a row (recording_fetches, kept from Twilio's
 * callback until the content is stored): a round of tries that fails
 * leaves it for a later round, after recording_sweep_interval seconds
 * (an hour when 0), doubled each round, at most TW_FETCH_ROUNDS rounds;
 * this thread sweeps the due ones as often, and every pending one at
 * start-up (so a restart retries what a stop dropped).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "db-integration.h"
#include "db-recording.h"
#include "db-twilio.h"
#include "events.h"
#include "twilio-rest.h"
#include "twilio-int.h"

#define TW_ATTEMPTS	5	/* one request, tried at most this often */
#define TW_BACKOFF	0.5	/* seconds before the first retry, doubled */
#define TW_WAIT_MAX	30.0	/* longest wait between tries */
#define TW_TIMEOUT	10L	/* seconds per try */
#define TW_MEDIA_TIMEOUT 600L	/* seconds per try of a recording's fetch */
#define TW_FETCH_ROUNDS	5	/* rounds of tries of a recording's fetch */
#define TW_FETCH_CLAIM	20	/* pending fetches one sweep takes at most */
/* Seconds between sweeps, and before a fetch's second round (doubled). */
#define TW_FETCH_EVERY	(cfg.recording_sweep_interval > 0 ? \
	cfg.recording_sweep_interval : 3600)

/* The events that make a job. */
static const struct {
	const char	*event;
	enum tw_kind	 kind;
} tw_events[] = {
	{ "call.answered", TW_BRIDGE },
	{ "call.ended", TW_COMPLETE },
	{ "call.abandoned", TW_COMPLETE },
	{ "call.held", TW_HOLD },
	{ "call.resumed", TW_RESUME },
	{ "call.transferred", TW_TRANSFER },
	{ "call.supervised", TW_SUPERVISE },
	{ "call.recording_started", TW_RECORD_START },
	{ "call.recording_stopped", TW_RECORD_STOP },
};

static struct {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	int		 started;
	int		 stop;
	struct tw_job	*head, *tail;
	struct db	 db;
	unsigned long	 sent;		/* requests Twilio answered 2xx */
} tw = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static void
tw_enqueue(struct tw_job *j)
{
	pthread_mutex_lock(&tw.lock);
	if (tw.tail != NULL)
		tw.tail->next = j;
	else
		tw.head = j;
	tw.tail = j;
	pthread_cond_signal(&tw.wake);
	pthread_mutex_unlock(&tw.lock);
}

static struct tw_job *
tw_job_new(enum tw_kind kind, const char *company, const char *call)
{
	struct tw_job	*j = xcalloc(1, sizeof *j);

	j->kind = kind;
	strlcpy_(j->company, company, sizeof j->company);
	strlcpy_(j->call, call, sizeof j->call);
	return j;
}

/* A mode's name to its enum: 0, or -1 for none of them (NULL: off). */
static int
tw_mode_of(const char *name, enum tw_mode *mode)
{
	size_t	 i;

	*mode = TW_OFF;
	if (name == NULL)
		return 0;
	for (i = 0; i < TW__MODES; i++) {
		if (strcmp(name, tw_modes[i].name) == 0) {
			*mode = (enum tw_mode)i;
			return 0;
		}
	}
	return -1;
}

/* call.supervised's "supervision" into j: 0, or -1 when unreadable. */
static int
tw_supervision(struct tw_job *j, const json_t *s)
{
	const char	*user = json_string_value(json_object_get(s,
			    "supervisor_id"));
	const char	*phone = json_string_value(json_object_get(s, "phone"));
	const char	*reason = json_string_value(json_object_get(s,
			    "reason"));

	if (user == NULL || tw_mode_of(json_string_value(json_object_get(s,
	    "mode")), &j->mode) != 0 || json_string_value(json_object_get(s,
	    "mode")) == NULL || tw_mode_of(json_string_value(json_object_get(s,
	    "previous_mode")), &j->previous) != 0)
		return -1;
	strlcpy_(j->user, user, sizeof j->user);
	if (phone != NULL)
		strlcpy_(j->phone, phone, sizeof j->phone);
	j->announce = json_is_true(json_object_get(s, "announce"));
	j->ended = reason != NULL && strcmp(reason, "call_ended") == 0;
	return 0;
}

/* Runs on the publishing thread (under the hub's lock): only queues. */
static void
tw_on_event(const char *company, const char *type, const json_t *data,
    void *arg)
{
	const char	*agent, *queue, *id = json_string_value(
			    json_object_get(data, "id"));
	const json_t	*cb;
	struct tw_job	*j;
	size_t		 i;

	(void)arg;
	for (i = 0; i < sizeof tw_events / sizeof tw_events[0]; i++) {
		if (strcmp(type, tw_events[i].event) == 0)
			break;
	}
	/* A cheap filter; twilio_calls is the truth (tw_run). */
	cb = json_object_get(data, "callback");
	if (i == sizeof tw_events / sizeof tw_events[0] || company == NULL ||
	    id == NULL || (json_object_get(json_object_get(data, "caller_data"),
	    "twilio_call_sid") == NULL && !json_is_object(cb)))
		return;
	j = tw_job_new(tw_events[i].kind, company, id);
	/* A callback's caller is not on the line until called. */
	if (j->kind == TW_BRIDGE && json_is_object(cb) &&
	    json_is_null(json_object_get(cb, "answered_at")))
		j->kind = TW_CALLBACK;
	if ((agent = json_string_value(json_object_get(data, "agent_id"))) != NULL)
		strlcpy_(j->agent, agent, sizeof j->agent);
	if ((queue = json_string_value(json_object_get(data, "queue_id"))) != NULL)
		strlcpy_(j->queue, queue, sizeof j->queue);
	if (j->kind == TW_SUPERVISE && tw_supervision(j,
	    json_object_get(data, "supervision")) != 0) {
		log_warn("twilio: call %s: an unreadable call.supervised", id);
		free(j);
		return;
	}
	tw_enqueue(j);
}
/* Wait up to seconds, or until stopped: 1 when stopped. */
static int
tw_sleep(double seconds)
{
	struct timespec	 ts;
	int		 stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&tw.lock);
	while (!tw.stop && pthread_cond_timedwait(&tw.wake, &tw.lock,
	    &ts) == 0)
		;
	stop = tw.stop;
	pthread_mutex_unlock(&tw.lock);
	return stop;
}

static size_t
tw_write(char *p, size_t size, size_t n, void *arg)
{
	struct tw_sink	*s = arg;
	size_t		 len = size * n;

	if (s->len + len > s->max)
		return 0;
	s->buf = xrealloc(s->buf, s->len + len + 1);
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return len;
}

/*
 * One try: Twilio's status (0: no answer) and, for 429, its Retry-After
 * in *retry_after (-1: none). Twilio's message for a 4xx into msg.
 */
static long
tw_try(const char *url, const char *account, const char *token,
    const char *method, const char *form, double *retry_after, char *msg,
    size_t msglen, struct tw_sink *body)
{
	CURL		*c;
	struct tw_sink	 s = { NULL, 0, TW_ANSWER_MAX };
	long		 status = 0;
	curl_off_t	 ra = -1;
	json_t		*j;
	CURLcode	 e;

	*retry_after = -1;
	msg[0] = '\0';
	if ((c = curl_easy_init()) == NULL)
		return 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, body != NULL &&
	    body->max > TW_ANSWER_MAX ? TW_MEDIA_TIMEOUT : TW_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "calldockerd");
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, account);
	curl_easy_setopt(c, CURLOPT_PASSWORD, token);
	if (form != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	if (strcmp(method, "DELETE") == 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		s.max = body->max;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tw_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if ((e = curl_easy_perform(c)) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
		    ra >= 0)
			*retry_after = (double)ra;
		if (status >= 400 && s.buf != NULL &&
		    (j = json_loads(s.buf, 0, NULL)) != NULL) {
			snprintf(msg, msglen, "%s (%lld)", json_string_value(
			    json_object_get(j, "message")) ? json_string_value(
			    json_object_get(j, "message")) : "no message",
			    (long long)json_integer_value(json_object_get(j,
			    "code")));
			json_decref(j);
		}
	} else
		snprintf(msg, msglen, "%s", curl_easy_strerror(e));
	if (body != NULL && status >= 200 && status < 300) {
		body->buf = s.buf;
		body->len = s.len;
	} else
		free(s.buf);
	curl_easy_cleanup(c);
	return status;
}

int
tw_request(const char *account, const char *token, const char *method,
    const char *path, const char *form, const struct tw_job *j,
    struct tw_sink *body)
{
	char	*url, msg[200];
	size_t	 n = strlen(cfg.twilio_api_url);
	double	 wait = TW_BACKOFF, ra;
	long	 status = 0;
	int	 attempt;

	while (n > 0 && cfg.twilio_api_url[n - 1] == '/')
		n--;
	url = xasprintf("%.*s/2010-04-01/Accounts/%s/%s", (int)n,
	    cfg.twilio_api_url, account, path);
	for (attempt = 1; attempt <= TW_ATTEMPTS; attempt++) {
		status = tw_try(url, account, token, method, form, &ra, msg,
		    sizeof msg, body);
		if (status >= 200 && status < 300)
			break;
		if (status != 0 && status != 429 && status < 500)
			break;		/* Twilio refused: trying again won't do */
		if (attempt == TW_ATTEMPTS)
			break;
		if (status == 429 && ra >= 0)
			wait = ra;
		if (wait > TW_WAIT_MAX)
			wait = TW_WAIT_MAX;
		log_info("twilio: call %s: %s: %s%ld; try %d again in %.1f s",
		    j->call, tw_kinds[j->kind].name, status == 0 ? msg : "",
		    status, attempt + 1, wait);
		if (tw_sleep(wait))
			break;
		wait *= 2;
	}
	free(url);
	if (status >= 200 && status < 300) {
		__atomic_add_fetch(&tw.sent, 1, __ATOMIC_RELAXED);
		log_info("twilio: call %s: %s: Twilio answered %ld", j->call,
		    tw_kinds[j->kind].name, status);
		return 0;
	}
	log_warn("twilio: call %s: %s failed: %s%s%ld", j->call,
	    tw_kinds[j->kind].name, msg, msg[0] != '\0' ? ", " : "", status);
	return -1;
}

void
tw_field(char **form, const char *name, const char *value)
{
	char	*v = curl_easy_escape(NULL, value, 0), *old = *form;

	*form = xasprintf("%s%s%s=%s", old != NULL ? old : "",
	    old != NULL ? "&" : "", name, v != NULL ? v : "");
	free(old);
	curl_free(v);
}

char *
tw_hook_url(const char *company, const char *query)
{
	size_t	 n = strlen(cfg.public_url);

	while (n > 0 && cfg.public_url[n - 1] == '/')
		n--;
	return xasprintf("%.*s/api/webhooks/twilio/%s%s%s", (int)n,
	    cfg.public_url, company, query != NULL ? "?" : "",
	    query != NULL ? query : "");
}

int
tw_post(struct tw_ctx *x, const char *path, const char *form,
    struct tw_sink *body)
{
	return tw_request(x->account, x->token, form != NULL ? "POST" : "GET",
	    path, form, x->j, body);
}

int
tw_answer_sid(const struct tw_sink *body, const char *key, char *out,
    size_t len)
{
	json_t		*a;
	const char	*sid;
	int		 rc = -1;

	if (body->buf != NULL && (a = json_loads(body->buf, 0, NULL)) != NULL) {
		if ((sid = json_string_value(json_object_get(a, key))) != NULL &&
		    strlen(sid) < len) {
			strlcpy_(out, sid, len);
			rc = 0;
		}
		json_decref(a);
	}
	return rc;
}

static void
tw_run(const struct tw_job *j)
{
	struct tw_ctx		 x = { .j = j, .db = &tw.db };
	struct integration	 in;
	int			 n;

	if (tw_kinds[j->kind].bridge && (n = db_twilio_bridge(&tw.db,
	    j->company, j->call, &x.b)) != 1) {
		if (n < 0)
			log_warn("twilio: call %s: %s: cannot read the call",
			    j->call, tw_kinds[j->kind].name);
		return;
	}
	if (tw_kinds[j->kind].hook && (cfg.public_url == NULL ||
	    cfg.public_url[0] == '\0')) {
		log_warn("twilio: call %s: %s: no public_url for Twilio's"
		    " callbacks", j->call, tw_kinds[j->kind].name);
		return;
	}
	switch (db_integration_get(&tw.db, j->company, "twilio", &in)) {
	case 1:
		if (in.account == NULL)
			break;
		x.account = in.account;
		x.token = in.secret;
		tw_kinds[j->kind].run(&x);
		break;
	case 0:
		/* No Twilio: a callback is called back by hand. */
		if (j->kind != TW_CALLBACK)
			log_warn("twilio: call %s: %s: the company has no"
			    " Twilio integration", j->call,
			    tw_kinds[j->kind].name);
		if (j->kind == TW_FETCH)
			tw_fetch_failed(j, "the company has no Twilio"
			    " integration");
		break;
	default:
		log_warn("twilio: call %s: %s: cannot read the Twilio"
		    " integration", j->call, tw_kinds[j->kind].name);
		break;
	}
	integration_clear(&in);
}

/* A round of a recording's fetch failed: its row waits for the next. */
void
tw_fetch_failed(const struct tw_job *j, const char *why)
{
	int	 rc;

	pthread_mutex_lock(&tw.lock);
	rc = tw.stop;
	pthread_mutex_unlock(&tw.lock);
	if (rc)
		return;		/* not a try: the next start retries it */
	rc = db_recording_fetch_failed(&tw.db, j->company, j->sid,
	    TW_FETCH_ROUNDS, TW_FETCH_EVERY, why);
	if (rc == 1)
		log_warn("twilio: call %s: recording %s: given up after %d"
		    " rounds of tries: %s", j->call, j->sid,
		    TW_FETCH_ROUNDS, why);
	else if (rc == 0)
		log_info("twilio: call %s: recording %s: %s; tried again later",
		    j->call, j->sid, why);
}

/*
 * Queue the pending fetches that are due (every one when all is set): 0,
 * or -1 when the database did not answer.
 */
static int
tw_fetch_sweep(int all)
{
	struct recording_fetch	 v[TW_FETCH_CLAIM];
	int			 i, n;

	if ((n = db_recording_fetch_claim(&tw.db, all, v, TW_FETCH_CLAIM)) < 0) {
		if (tw.db.err != DB_DOWN)
			log_warn("twilio: cannot read the pending recordings");
		return -1;
	}
	for (i = 0; i < n; i++) {
		log_info("twilio: call %s: recording %s: fetching again",
		    v[i].call, v[i].source_id);
		twilio_rest_fetch(v[i].company, v[i].call, v[i].source_id,
		    v[i].channels, v[i].duration);
	}
	return 0;
}

void
twilio_rest_fetch(const char *company, const char *call,
    const char *recording, int channels, int duration)
{
	struct tw_job	*j = tw_job_new(TW_FETCH, company, call);

	strlcpy_(j->sid, recording, sizeof j->sid);
	j->channels = channels;
	j->duration = duration;
	tw_enqueue(j);
}

void
twilio_rest_bridge(const char *company, const char *call, const char *agent)
{
	struct tw_job	*j = tw_job_new(TW_BRIDGE, company, call);

	strlcpy_(j->agent, agent, sizeof j->agent);
	tw_enqueue(j);
}

void
twilio_rest_joined(const char *company, const char *call, const char *leg)
{
	struct tw_job	*j = tw_job_new(TW_JOINED, company, call);

	strlcpy_(j->sid, leg, sizeof j->sid);
	tw_enqueue(j);
}

static void *
tw_main(void *arg)
{
	struct tw_job	*j;
	struct timespec	 ts;
	time_t		 sweep = 0;	/* the next sweep of pending fetches */
	int		 started = 0;

	(void)arg;
	for (;;) {
		if (time(NULL) >= sweep) {
			/* At start every pending one, until that worked. */
			if (tw_fetch_sweep(!started) == 0)
				started = 1;
			sweep = time(NULL) + (started ? TW_FETCH_EVERY : 10);
		}
		pthread_mutex_lock(&tw.lock);
		ts.tv_sec = sweep;
		ts.tv_nsec = 0;
		while (!tw.stop && tw.head == NULL && pthread_cond_timedwait(
		    &tw.wake, &tw.lock, &ts) == 0)
			;
		if (tw.stop) {
			pthread_mutex_unlock(&tw.lock);
			break;
		}
		if ((j = tw.head) == NULL) {
			pthread_mutex_unlock(&tw.lock);
			continue;	/* time for a sweep */
		}
		if ((tw.head = j->next) == NULL)
			tw.tail = NULL;
		pthread_mutex_unlock(&tw.lock);
		tw_run(j);
		free(j);
	}
	return NULL;
}

int
twilio_rest_start(const char *dburl, char **cause)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	db_init(&tw.db, dburl);
	/* This node's events only: the node where a call changed acts. */
	events_subscribe(tw_on_event, NULL, EVENTS_LOCAL);
	if (pthread_create(&tw.thread, NULL, tw_main, NULL) != 0) {
		*cause = xstrdup("cannot start the Twilio REST thread");
		return -1;
	}
	tw.started = 1;
	return 0;
}

void
twilio_rest_stop(void)
{
	struct tw_job	*j;

	if (!tw.started)
		return;
	pthread_mutex_lock(&tw.lock);
	tw.stop = 1;
	pthread_cond_broadcast(&tw.wake);
	pthread_mutex_unlock(&tw.lock);
	pthread_join(tw.thread, NULL);
	while ((j = tw.head) != NULL) {
		tw.head = j->next;
		log_warn("twilio: call %s: %s dropped at stop%s", j->call,
		    tw_kinds[j->kind].name, j->kind == TW_FETCH ?
		    " (fetched again at the next start)" : "");
		free(j);
	}
	tw.tail = NULL;
	db_close(&tw.db);
}

unsigned long
twilio_rest_sent(void)
{
	return __atomic_load_n(&tw.sent, __ATOMIC_RELAXED);
}
