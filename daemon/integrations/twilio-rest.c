/*
 * The Twilio REST client: what the daemon tells Twilio about a live call.
 * It listens to the in-process events (events.h) and, for a call that came
 * in through Twilio (twilio_calls), acts on its own thread:
 * - call.answered by an agent: the live call is updated with TwiML that
 *   dials the agent's phone (twiml_dial()) or its browser page's Client
 *   identity (twiml_dial_client(), Twilio's Voice SDK);
 * - call.held: the caller back into Twilio's queue, hearing the queue's
 *   hold music (the agent's leg of the Dial ends); call.resumed: the
 *   agent dialled again, as at the answer;
 * - call.transferred (to an agent or a queue): as call.held, the caller
 *   hears the queue's music until the agent it goes to answers, which
 *   bridges as any answer does;
 * - call.ended or call.abandoned that Twilio did not report itself (an
 *   agent's or a manager's hangup, whatever the transport): the live call
 *   is completed (Status=completed);
 * - call.answered of a callback whose caller is not on the line yet: a new
 *   outbound call to the callback number, from the number the caller had
 *   called (caller_data.to), whose TwiML dials the agent's phone or
 *   browser as a bridge does (recorded as a bridge is); its status
 *   callback (?event=callback, twilio.c) tells whether the caller
 *   answered. A dial Twilio refuses counts as one nobody answered
 *   (call.callback_failed). A callback whose caller is on the line is
 *   bridged as any Twilio call;
 * - a recorded Dial's recording, once Twilio posts that it is ready
 *   (twilio_rest_fetch()): GET .../Recordings/{RecordingSid}.wav into the
 *   file storage, linked to the call (op_file_recording()).
 * Each other request is POST {twilio_api_url}/2010-04-01/Accounts/{AccountSid}/
 * Calls/{CallSid}.json (Calls.json to create a call), form-encoded, with
 * HTTP Basic authentication by the company's account sid and auth token,
 * and is retried with backoff on 5xx, 429 (honouring Retry-After) and no
 * answer, at most TW_ATTEMPTS times. The event callback runs under the
 * hub's lock and only queues; the requests, their database reads and
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
#include "db-agent.h"
#include "db-integration.h"
#include "db-call.h"
#include "db-queue.h"
#include "db-recording.h"
#include "events.h"
#include "op-file.h"
#include "op.h"
#include "twiml.h"
#include "twilio-rest.h"
#include "twilio-token.h"

#define TW_ATTEMPTS	5	/* one request, tried at most this often */
#define TW_BACKOFF	0.5	/* seconds before the first retry, doubled */
#define TW_WAIT_MAX	30.0	/* longest wait between tries */
#define TW_TIMEOUT	10L	/* seconds per try */
#define TW_ANSWER_MAX	(64 * 1024)
#define TW_MEDIA_MAX	(512L * 1024 * 1024)	/* a recording's largest */
#define TW_MEDIA_TIMEOUT 600L	/* seconds per try of a recording's fetch */
#define TW_FETCH_ROUNDS	5	/* rounds of tries of a recording's fetch */
#define TW_FETCH_CLAIM	20	/* pending fetches one sweep takes at most */
/* Seconds between sweeps, and before a fetch's second round (doubled). */
#define TW_FETCH_EVERY	(cfg.recording_sweep_interval > 0 ? \
	cfg.recording_sweep_interval : 3600)

enum tw_kind {
	TW_BRIDGE,		/* dial the agent's phone or browser */
	TW_COMPLETE,		/* end the caller's call */
	TW_CALLBACK,		/* call the caller back, bridged to the agent */
	TW_HOLD,		/* the caller to the queue's hold music */
	TW_RESUME,		/* dial the agent again */
	TW_FETCH,		/* a recording into the file storage */
};

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
	{ "call.transferred", TW_HOLD },	/* until the new agent answers */
};

static const char *const tw_kind_names[] = {
	[TW_BRIDGE] = "bridge",
	[TW_COMPLETE] = "complete",
	[TW_CALLBACK] = "callback",
	[TW_HOLD] = "hold",
	[TW_RESUME] = "resume",
	[TW_FETCH] = "recording",
};

struct tw_job {
	struct tw_job	*next;
	enum tw_kind	 kind;
	char		 company[UUID_LEN + 1];
	char		 call[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];	/* TW_BRIDGE, TW_RESUME */
	char		 queue[UUID_LEN + 1];	/* TW_HOLD */
	char		 recording[40];		/* TW_FETCH: its sid */
	int		 channels, duration;	/* TW_FETCH */
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

struct tw_sink {
	char	*buf;
	size_t	 len, max;
};

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
	j = xcalloc(1, sizeof *j);
	j->kind = tw_events[i].kind;
	/* A callback's caller is not on the line until called. */
	if (j->kind == TW_BRIDGE && json_is_object(cb) &&
	    json_is_null(json_object_get(cb, "answered_at")))
		j->kind = TW_CALLBACK;
	strlcpy_(j->company, company, sizeof j->company);
	strlcpy_(j->call, id, sizeof j->call);
	if ((agent = json_string_value(json_object_get(data, "agent_id"))) != NULL)
		strlcpy_(j->agent, agent, sizeof j->agent);
	if ((queue = json_string_value(json_object_get(data, "queue_id"))) != NULL)
		strlcpy_(j->queue, queue, sizeof j->queue);
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
    const char *form, double *retry_after, char *msg, size_t msglen,
    struct tw_sink *body)
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

/*
 * POST form (NULL: GET) to path under the account, retried: 0 when Twilio
 * took it, its answer in *body when body is not NULL (caller frees).
 */
static int
tw_request(const char *account, const char *token, const char *path,
    const char *form, const struct tw_job *j, struct tw_sink *body)
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
		status = tw_try(url, account, token, form, &ra, msg, sizeof msg,
		    body);
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
		    j->call, tw_kind_names[j->kind], status == 0 ? msg : "",
		    status, attempt + 1, wait);
		if (tw_sleep(wait))
			break;
		wait *= 2;
	}
	free(url);
	if (status >= 200 && status < 300) {
		__atomic_add_fetch(&tw.sent, 1, __ATOMIC_RELAXED);
		log_info("twilio: call %s: %s: Twilio answered %ld", j->call,
		    tw_kind_names[j->kind], status);
		return 0;
	}
	log_warn("twilio: call %s: %s failed: %s%s%ld", j->call,
	    tw_kind_names[j->kind], msg, msg[0] != '\0' ? ", " : "", status);
	return -1;
}

/* name=value, URL-encoded, appended to *form ("&" between fields). */
static void
tw_field(char **form, const char *name, const char *value)
{
	char	*v = curl_easy_escape(NULL, value, 0), *old = *form;

	*form = xasprintf("%s%s%s=%s", old != NULL ? old : "",
	    old != NULL ? "&" : "", name, v != NULL ? v : "");
	free(old);
	curl_free(v);
}

/* Our Twilio webhook's URL for a company, with query (NULL: none). */
static char *
tw_hook_url(const char *company, const char *query)
{
	size_t	 n = strlen(cfg.public_url);

	while (n > 0 && cfg.public_url[n - 1] == '/')
		n--;
	return xasprintf("%.*s/api/webhooks/twilio/%s%s%s", (int)n,
	    cfg.public_url, company, query != NULL ? "?" : "",
	    query != NULL ? query : "");
}

/*
 * When the call's recording mode (its queue's, else its company's) is
 * "on": *r with the recording status callback (caller frees) and, on an
 * answer, the company's announcement (*say, caller frees). NULL: not
 * recorded.
 */
static struct twiml_record *
tw_record(const struct tw_job *j, struct twiml_record *r, char **say)
{
	char	 mode[16], *q;

	if (db_recording_mode(&tw.db, j->company, j->call, mode, sizeof mode,
	    say) != 1 || strcmp(mode, "on") != 0)
		return NULL;
	q = xasprintf("call=%s&event=recording", j->call);
	r->callback = tw_hook_url(j->company, q);
	/*
	 * Said once, to whoever answers (the caller, or a callback's callee):
	 * not again when a held call goes back to its agent.
	 */
	r->announcement = j->kind == TW_BRIDGE || j->kind == TW_CALLBACK ?
	    *say : NULL;
	free(q);
	return r;
}

/*
 * The TwiML that dials the job's agent, with our dial action (recorded
 * when the call's recording mode is on, tw_record()): a Dial of
 * its phone, or of its browser page's Client (Twilio's Voice SDK); NULL
 * when there is no such agent.
 */
static char *
tw_agent_twiml(const struct tw_job *j)
{
	struct agent_rows	*a;
	char			 identity[TWILIO_IDENTITY_LEN + 1];
	char			*twiml, *action, *q, *say = NULL;
	struct twiml_record	 recq, *rec;

	if (j->agent[0] == '\0' ||
	    (a = db_agent_get(&tw.db, j->company, j->agent)) == NULL)
		return NULL;
	if (a->n != 1 || (strcmp(a->v[0].endpoint, "phone") == 0 &&
	    a->v[0].address == NULL)) {
		agent_rows_free(a);
		return NULL;
	}
	q = xasprintf("call=%s&event=dial", j->call);
	action = tw_hook_url(j->company, q);
	rec = tw_record(j, &recq, &say);
	if (strcmp(a->v[0].endpoint, "phone") == 0)
		twiml = twiml_dial(a->v[0].address, action, rec);
	else {
		twilio_identity(a->v[0].id, identity);
		twiml = twiml_dial_client(identity, j->call, action, rec);
	}
	free(action);
	free(q);
	if (rec != NULL)
		free((char *)rec->callback);
	free(say);
	agent_rows_free(a);
	return twiml;
}

/* The form of a bridge: the agent's dial; NULL when there is no agent. */
static char *
tw_bridge_form(const struct tw_job *j)
{
	char	*twiml, *hook, *form = NULL;

	if ((twiml = tw_agent_twiml(j)) == NULL)
		return NULL;
	hook = tw_hook_url(j->company, NULL);
	tw_field(&form, "Twiml", twiml);
	tw_field(&form, "StatusCallback", hook);
	tw_field(&form, "StatusCallbackMethod", "POST");
	free(hook);
	free(twiml);
	return form;
}

/* The call's callback failed to dial: as if nobody answered. */
static void
tw_callback_failed(const struct tw_job *j, const char *reason)
{
	struct actor	 system = { .kind = ACTOR_SYSTEM,
			    .company = j->company };
	struct op_in	 in = { .call = j->call, .reason = reason };
	struct op_out	 out;

	op_run(&tw.db, OP_CALL_CALLBACK_FAILED, &system, &in, &out);
	if (out.status >= 400)
		log_warn("twilio: call %s: callback: %s", j->call, out.detail);
	op_out_free(&out);
}

/*
 * The form of a callback's outbound call: To the callback number, From
 * the number the caller called, TwiML that dials the agent's phone, and
 * status callbacks for its answer and its end. NULL when there is none
 * (logged): the agent then calls back by hand.
 */
static char *
tw_callback_form(const struct tw_job *j)
{
	struct call_rows	*c;
	json_t			*data = NULL;
	const char		*from = NULL;
	char			*twiml, *hook, *q, *form = NULL;

	if ((c = db_call_find(&tw.db, j->company, j->call)) == NULL ||
	    c->n != 1 || c->v[0].cb_number == NULL ||
	    c->v[0].state != CALL_CONNECTED) {
		call_rows_free(c);
		return NULL;
	}
	if (c->v[0].data != NULL)
		data = json_loads(c->v[0].data, 0, NULL);
	from = json_string_value(json_object_get(data, "to"));
	if (from == NULL)
		log_warn("twilio: call %s: callback: no number to call from"
		    " (caller_data.to); the agent calls back", j->call);
	else if ((twiml = tw_agent_twiml(j)) == NULL)
		log_warn("twilio: call %s: callback: the agent has no phone"
		    " nor browser; the agent calls back", j->call);
	else {
		tw_field(&form, "Twiml", twiml);
		free(twiml);
		tw_field(&form, "To", c->v[0].cb_number);
		tw_field(&form, "From", from);
		q = xasprintf("call=%s&event=callback", j->call);
		hook = tw_hook_url(j->company, q);
		tw_field(&form, "StatusCallback", hook);
		tw_field(&form, "StatusCallbackMethod", "POST");
		tw_field(&form, "StatusCallbackEvent", "answered");
		tw_field(&form, "StatusCallbackEvent", "completed");
		free(hook);
		free(q);
	}
	json_decref(data);
	call_rows_free(c);
	return form;
}

/* Call the caller back: a new Twilio call, which the call now maps to. */
static void
tw_callback(const struct tw_job *j)
{
	struct integration	 in;
	struct call_rows	*set;
	struct tw_sink		 answer = { NULL, 0, TW_ANSWER_MAX };
	char			*form = NULL;
	const char		*sid;
	json_t			*a;
	int			 n;

	if ((n = db_integration_get(&tw.db, j->company, "twilio", &in)) != 1) {
		if (n < 0)
			log_warn("twilio: call %s: callback: cannot read the"
			    " Twilio integration", j->call);
		return;		/* no Twilio: the agent calls back */
	}
	if (cfg.public_url == NULL || cfg.public_url[0] == '\0')
		log_warn("twilio: call %s: callback: no public_url for"
		    " Twilio's callbacks", j->call);
	else if (in.account != NULL && (form = tw_callback_form(j)) != NULL) {
		/* The attempt counts once it is made, answered or not. */
		if ((set = db_call_callback_set(&tw.db, j->call, "dialing", 1,
		    0, 0, 0)) == NULL)
			log_warn("twilio: call %s: callback: cannot count the"
			    " attempt", j->call);
		call_rows_free(set);
		if (tw_request(in.account, in.secret, "Calls.json", form, j,
		    &answer) != 0)
			tw_callback_failed(j, "failed");
		else if ((a = json_loads(answer.buf, 0, NULL)) == NULL ||
		    (sid = json_string_value(json_object_get(a, "sid"))) ==
		    NULL || db_twilio_remap(&tw.db, j->company, sid,
		    j->call) != 0) {
			log_warn("twilio: call %s: callback: cannot record"
			    " Twilio's call", j->call);
			json_decref(a);
		} else
			json_decref(a);
	}
	free(answer.buf);
	free(form);
	integration_clear(&in);
}

/*
 * The form of a hold: the caller back into Twilio's queue of the call's
 * queue, hearing its hold music (the waitUrl, as while it waited; no
 * announcements: a held call has no place in line) or Twilio's own. NULL
 * when the call has no queue.
 */
static char *
tw_hold_form(const struct tw_job *j)
{
	struct queue_rows	*q;
	char			*twiml, *wait, *form = NULL;

	if (j->queue[0] == '\0' ||
	    (q = db_queue_get(&tw.db, j->company, j->queue)) == NULL)
		return NULL;
	if (q->n == 1) {
		wait = twilio_wait_url(&tw.db, j->company, j->call, j->queue);
		twiml = twiml_enqueue(q->v[0].name, wait);
		tw_field(&form, "Twiml", twiml);
		free(twiml);
		free(wait);
	}
	queue_rows_free(q);
	return form;
}

/* A round of a recording's fetch failed: its row waits for the next. */
static void
tw_fetch_failed(const struct tw_job *j, const char *why)
{
	int	 rc;

	pthread_mutex_lock(&tw.lock);
	rc = tw.stop;
	pthread_mutex_unlock(&tw.lock);
	if (rc)
		return;		/* not a try: the next start retries it */
	rc = db_recording_fetch_failed(&tw.db, j->company, j->recording,
	    TW_FETCH_ROUNDS, TW_FETCH_EVERY, why);
	if (rc == 1)
		log_warn("twilio: call %s: recording %s: given up after %d"
		    " rounds of tries: %s", j->call, j->recording,
		    TW_FETCH_ROUNDS, why);
	else if (rc == 0)
		log_info("twilio: call %s: recording %s: %s; tried again later",
		    j->call, j->recording, why);
}

/*
 * GET the recording's media (Recordings/{sid}.wav, the account's own
 * resource whatever RecordingUrl said), retried as any request, into the
 * file storage linked to the call; once per recording sid, and only while
 * its fetch is pending (a caller's purge forgets it).
 */
static void
tw_fetch(const char *account, const char *token, const struct tw_job *j)
{
	struct tw_sink	 body = { NULL, 0, TW_MEDIA_MAX };
	char		*path;
	int		 rc;

	if ((rc = db_recording_known(&tw.db, j->company, j->recording)) != 0) {
		if (rc == 1)	/* a retried callback */
			db_recording_fetch_done(&tw.db, j->company,
			    j->recording);
		return;		/* or no database: the row stays */
	}
	if (db_recording_fetch_pending(&tw.db, j->company, j->recording) != 1)
		return;		/* purged, failed, or no database */
	path = xasprintf("Recordings/%s.wav", j->recording);
	if (tw_request(account, token, path, NULL, j, &body) != 0)
		tw_fetch_failed(j, "Twilio did not hand the recording over");
	else if (db_recording_fetch_pending(&tw.db, j->company,
	    j->recording) != 1)
		;		/* purged meanwhile */
	else if (op_file_recording(&tw.db, j->company, j->call, "twilio",
	    j->recording, j->channels, j->duration, body.buf, body.len) < 0)
		tw_fetch_failed(j, "the recording could not be stored");
	else
		db_recording_fetch_done(&tw.db, j->company, j->recording);
	free(body.buf);
	free(path);
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
	struct tw_job	*j;

	j = xcalloc(1, sizeof *j);
	j->kind = TW_FETCH;
	strlcpy_(j->company, company, sizeof j->company);
	strlcpy_(j->call, call, sizeof j->call);
	strlcpy_(j->recording, recording, sizeof j->recording);
	j->channels = channels;
	j->duration = duration;
	tw_enqueue(j);
}

static void
tw_run(const struct tw_job *j)
{
	struct integration	 in;
	char			 sid[72], *form = NULL, *path;
	int			 ended = 0, n;

	if (j->kind == TW_CALLBACK)
		return tw_callback(j);
	if ((n = db_twilio_of_call(&tw.db, j->company, j->call, sid,
	    sizeof sid, &ended)) != 1) {
		if (n < 0)
			log_warn("twilio: call %s: %s: cannot read the call",
			    j->call, tw_kind_names[j->kind]);
		return;
	}
	if (j->kind == TW_COMPLETE && ended)
		return;		/* Twilio told us: nothing to tell it */
	if (j->kind != TW_COMPLETE && j->kind != TW_FETCH &&
	    (cfg.public_url == NULL ||
	    cfg.public_url[0] == '\0')) {
		log_warn("twilio: call %s: %s: no public_url for Twilio's"
		    " callbacks", j->call, tw_kind_names[j->kind]);
		return;
	}
	switch (j->kind) {
	case TW_BRIDGE:
	case TW_RESUME:
		form = tw_bridge_form(j);
		break;
	case TW_HOLD:
		form = tw_hold_form(j);
		break;
	case TW_COMPLETE:
		tw_field(&form, "Status", "completed");
		break;
	case TW_FETCH:
		break;
	case TW_CALLBACK:
		break;		/* tw_callback(), above */
	}
	if (form == NULL && j->kind != TW_FETCH)
		return;		/* no agent, no queue */
	switch (db_integration_get(&tw.db, j->company, "twilio", &in)) {
	case 1:
		if (in.account == NULL)
			break;
		if (j->kind == TW_FETCH)
			tw_fetch(in.account, in.secret, j);
		else {
			path = xasprintf("Calls/%s.json", sid);
			tw_request(in.account, in.secret, path, form, j, NULL);
			free(path);
		}
		break;
	case 0:
		log_warn("twilio: call %s: %s: the company has no Twilio"
		    " integration", j->call, tw_kind_names[j->kind]);
		if (j->kind == TW_FETCH)
			tw_fetch_failed(j, "the company has no Twilio"
			    " integration");
		break;
	default:
		log_warn("twilio: call %s: %s: cannot read the Twilio"
		    " integration", j->call, tw_kind_names[j->kind]);
		break;
	}
	integration_clear(&in);
	free(form);
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
		    tw_kind_names[j->kind], j->kind == TW_FETCH ?
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
