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
 * Each request goes to {twilio_api_url}/2010-04-01/Accounts/{AccountSid}/
 * ..., form-encoded, with HTTP Basic authentication by the company's
 * account sid and auth token, and is retried with backoff on 5xx, 429
 * (honouring Retry-After) and no answer, at most TW_ATTEMPTS times. The
 * event callback runs under the hub's lock and only queues; the requests,
 * their database reads and their waits run on this thread (with its own
 * PostgreSQL connection), never on the loop or a worker.
 * Jobs are in memory: a job queued when the daemon stops is dropped.
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
#include "db-recording.h"
#include "db-twilio.h"
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
#define TW_SUPERVISOR	"supervisor"	/* the supervisor participant's label */

enum tw_kind {
	TW_BRIDGE,		/* the caller into the conference, an agent's leg */
	TW_COMPLETE,		/* end the agent's leg and the caller's call */
	TW_CALLBACK,		/* call the caller back into the conference */
	TW_HOLD,		/* the caller held in the conference */
	TW_RESUME,		/* the caller off hold */
	TW_TRANSFER,		/* held, and the agent's leg ended */
	TW_JOINED,		/* an agent's leg joined: off hold, recorded */
	TW_SUPERVISE,		/* the supervisor's participant */
	TW_RECORD_START,	/* on demand: record the caller's leg */
	TW_RECORD_STOP,		/* on demand: stop that */
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
	{ "call.transferred", TW_TRANSFER },
	{ "call.supervised", TW_SUPERVISE },
	{ "call.recording_started", TW_RECORD_START },
	{ "call.recording_stopped", TW_RECORD_STOP },
};

/* What a supervisor's mode makes of its participant. */
enum tw_mode { TW_OFF, TW_MONITOR, TW_WHISPER, TW_BARGE };
static const struct {
	const char	*name;
	const char	*muted, *coaching;
	const char	*announce;	/* what the agent hears (announce on) */
} tw_modes[] = {
	[TW_OFF] = { "off", NULL, NULL, "The supervisor has left the call." },
	[TW_MONITOR] = { "monitor", "true", "false",
	    "A supervisor is listening to this call." },
	[TW_WHISPER] = { "whisper", "false", "true",
	    "A supervisor is coaching you; the caller cannot hear them." },
	[TW_BARGE] = { "barge", "false", "false",
	    "A supervisor has joined the call." },
};

struct tw_job {
	struct tw_job	*next;
	enum tw_kind	 kind;
	char		 company[UUID_LEN + 1];
	char		 call[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];	/* TW_BRIDGE */
	char		 queue[UUID_LEN + 1];	/* TW_HOLD, TW_TRANSFER */
	char		 sid[72];		/* TW_FETCH: the recording's;
						   TW_JOINED: the leg's */
	int		 channels, duration;	/* TW_FETCH */
	/* TW_SUPERVISE */
	char		 user[UUID_LEN + 1];
	enum tw_mode	 mode, previous;
	char		 phone[272];		/* "": the browser */
	int		 announce, ended;
};

static const char *const tw_kind_names[] = {
	[TW_BRIDGE] = "bridge",
	[TW_COMPLETE] = "complete",
	[TW_CALLBACK] = "callback",
	[TW_HOLD] = "hold",
	[TW_RESUME] = "resume",
	[TW_TRANSFER] = "transfer",
	[TW_JOINED] = "joined",
	[TW_SUPERVISE] = "supervise",
	[TW_RECORD_START] = "record",
	[TW_RECORD_STOP] = "record stop",
	[TW_FETCH] = "recording",
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
	for (i = 0; i < sizeof tw_modes / sizeof tw_modes[0]; i++) {
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

/*
 * POST form (NULL: GET, or DELETE when method says so) to path under the
 * account, retried: 0 when Twilio took it, its answer in *body when body
 * is not NULL (caller frees).
 */
static int
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


/* A job at work: the company's credentials and the call's bridge. */
struct tw_ctx {
	const struct tw_job	*j;
	const char		*account, *token;
	struct twilio_bridge	 b;
};

static int
tw_post(struct tw_ctx *x, const char *path, const char *form,
    struct tw_sink *body)
{
	return tw_request(x->account, x->token, form != NULL ? "POST" : "GET",
	    path, form, x->j, body);
}

/* The "sid" (or key) of Twilio's JSON answer into out: 0, or -1. */
static int
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

/* The call's conference's name. Caller frees. */
static char *
tw_conference_name(const struct tw_job *j)
{
	return xasprintf("call-%s", j->call);
}

/*
 * The conference's sid: as Twilio's status callback told it, or looked up
 * by its name (Conferences.json?FriendlyName=, one not completed) and
 * kept. NULL when there is none (logged).
 */
static const char *
tw_conference_sid(struct tw_ctx *x)
{
	struct tw_sink	 body = { NULL, 0, TW_ANSWER_MAX };
	char		*name, *q = NULL, *path;
	const char	*sid, *status;
	json_t		*a, *c;
	size_t		 i;

	if (x->b.conference_sid[0] != '\0')
		return x->b.conference_sid;
	if (!x->b.conference) {
		log_warn("twilio: call %s: %s: the caller is not in a"
		    " conference", x->j->call, tw_kind_names[x->j->kind]);
		return NULL;
	}
	name = tw_conference_name(x->j);
	tw_field(&q, "FriendlyName", name);
	path = xasprintf("Conferences.json?%s", q);
	if (tw_post(x, path, NULL, &body) == 0 &&
	    (a = json_loads(body.buf, 0, NULL)) != NULL) {
		json_array_foreach(json_object_get(a, "conferences"), i, c) {
			sid = json_string_value(json_object_get(c, "sid"));
			status = json_string_value(json_object_get(c, "status"));
			if (sid != NULL && strlen(sid) == 34 && (status == NULL ||
			    strcmp(status, "completed") != 0)) {
				strlcpy_(x->b.conference_sid, sid,
				    sizeof x->b.conference_sid);
				break;
			}
		}
		json_decref(a);
	}
	if (x->b.conference_sid[0] != '\0' && db_twilio_set_conference_sid(
	    &tw.db, x->j->company, x->j->call, x->b.conference_sid) != 0)
		log_warn("twilio: call %s: cannot keep the conference's sid",
		    x->j->call);
	if (x->b.conference_sid[0] == '\0')
		log_warn("twilio: call %s: %s: Twilio has no conference %s",
		    x->j->call, tw_kind_names[x->j->kind], name);
	free(body.buf);
	free(path);
	free(q);
	free(name);
	return x->b.conference_sid[0] != '\0' ? x->b.conference_sid : NULL;
}

/* POST form to the conference's participant (a CallSid or a label). */
static int
tw_participant(struct tw_ctx *x, const char *who, const char *form)
{
	const char	*cf;
	char		*path;
	int		 rc;

	if ((cf = tw_conference_sid(x)) == NULL)
		return -1;
	path = xasprintf("Conferences/%s/Participants/%s.json", cf, who);
	rc = tw_post(x, path, form, NULL);
	free(path);
	return rc;
}

/* End a leg the daemon created (Status=completed). */
static void
tw_end_leg(struct tw_ctx *x, const char *sid)
{
	char	*path = xasprintf("Calls/%s.json", sid), *form = NULL;

	tw_field(&form, "Status", "completed");
	tw_post(x, path, form, NULL);
	free(form);
	free(path);
}

/*
 * The call's recording mode is "on": 1, with the company's announcement
 * in *say (NULL: none; caller frees); else 0.
 */
static int
tw_recorded(const struct tw_job *j, char **say)
{
	char	 mode[16];
	int	 on;

	*say = NULL;
	if (db_recording_mode(&tw.db, j->company, j->call, mode, sizeof mode,
	    say) != 1)
		return 0;
	if (!(on = strcmp(mode, "on") == 0)) {
		free(*say);
		*say = NULL;
	}
	return on;
}

/*
 * The TwiML of the caller's leg into the conference: waiting with the
 * queue's hold music (the waitUrl of ?event=wait, as in queue), its
 * leaving ending the conference, announced (first) when recorded.
 * Caller frees.
 */
static char *
tw_caller_twiml(const struct tw_job *j)
{
	struct twiml_conference	 c = { .caller = 1 };
	char			*twiml, *say, *q, *wait;

	tw_recorded(j, &say);
	wait = twilio_wait_url(&tw.db, j->company, j->call,
	    j->queue[0] != '\0' ? j->queue : NULL);
	q = xasprintf("call=%s&event=conference", j->call);
	c.name = tw_conference_name(j);
	c.wait = wait;
	c.callback = tw_hook_url(j->company, q);
	c.say = say;
	twiml = twiml_conference(&c);
	free((char *)c.name);
	free((char *)c.callback);
	free(wait);
	free(say);
	free(q);
	return twiml;
}

/* caller_data.to of a call (the number the caller called), or NULL. */
static char *
tw_our_number(const struct tw_job *j)
{
	struct call_rows	*c;
	json_t			*data = NULL;
	char			*to = NULL;

	if ((c = db_call_find(&tw.db, j->company, j->call)) != NULL &&
	    c->n == 1 && c->v[0].data != NULL &&
	    (data = json_loads(c->v[0].data, 0, NULL)) != NULL &&
	    json_string_value(json_object_get(data, "to")) != NULL)
		to = xstrdup(json_string_value(json_object_get(data, "to")));
	json_decref(data);
	call_rows_free(c);
	return to;
}

/* The agent's leg was not made: the call waits again, a missed offer. */
static void
tw_requeue(const struct tw_job *j)
{
	struct actor	 system = { .kind = ACTOR_SYSTEM,
			    .company = j->company };
	struct op_in	 in = { .call = j->call };
	struct op_out	 out;

	op_run(&tw.db, OP_CALL_REQUEUE, &system, &in, &out);
	if (out.status >= 400)
		log_warn("twilio: call %s: re-queue: %s", j->call, out.detail);
	op_out_free(&out);
}

/*
 * Create the agent's leg: To its phone (a number or a sip: URI) or its
 * browser page's Client (with the call's id as a custom parameter), From
 * the number the caller called, joining the conference; its status
 * callback is ?event=agent. Refused by Twilio: re-queued as an agent not
 * reached.
 */
static void
tw_agent_leg(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct tw_sink		 body = { NULL, 0, TW_ANSWER_MAX };
	struct twiml_conference	 c = { .caller = 0 };
	struct agent_rows	*a;
	char			 identity[TWILIO_IDENTITY_LEN + 1], sid[72];
	char			*from, *to = NULL, *twiml, *q, *hook, *form = NULL;

	if (j->agent[0] == '\0' ||
	    (a = db_agent_get(&tw.db, j->company, j->agent)) == NULL)
		return;
	if (a->n == 1 && strcmp(a->v[0].endpoint, "phone") == 0 &&
	    a->v[0].address != NULL)
		to = xstrdup(a->v[0].address);
	else if (a->n == 1 && strcmp(a->v[0].endpoint, "phone") != 0) {
		twilio_identity(a->v[0].id, identity);
		to = xasprintf("client:%s?call_id=%s", identity, j->call);
	}
	agent_rows_free(a);
	if (to == NULL)
		return;
	if ((from = tw_our_number(j)) == NULL) {
		log_warn("twilio: call %s: bridge: no number to call the agent"
		    " from (caller_data.to)", j->call);
		free(to);
		return;
	}
	c.name = tw_conference_name(j);
	q = xasprintf("call=%s&event=conference", j->call);
	c.callback = tw_hook_url(j->company, q);
	twiml = twiml_conference(&c);
	free(q);
	q = xasprintf("call=%s&event=agent", j->call);
	hook = tw_hook_url(j->company, q);
	tw_field(&form, "To", to);
	tw_field(&form, "From", from);
	tw_field(&form, "Twiml", twiml);
	tw_field(&form, "StatusCallback", hook);
	tw_field(&form, "StatusCallbackMethod", "POST");
	if (tw_post(x, "Calls.json", form, &body) != 0)
		tw_requeue(j);
	else if (tw_answer_sid(&body, "sid", sid, sizeof sid) != 0 ||
	    db_twilio_leg_add(&tw.db, j->company, j->call, TWILIO_LEG_AGENT,
	    sid, j->agent) != 0)
		log_warn("twilio: call %s: bridge: cannot record the agent's"
		    " leg", j->call);
	free(body.buf);
	free(form);
	free(hook);
	free(q);
	free(twiml);
	free((char *)c.name);
	free((char *)c.callback);
	free(from);
	free(to);
}

/* The answer: the caller into the conference (once), the agent's leg. */
static void
tw_bridge(struct tw_ctx *x)
{
	char	*twiml, *hook, *path, *form = NULL;
	int	 rc;

	if (!x->b.conference) {
		twiml = tw_caller_twiml(x->j);
		hook = tw_hook_url(x->j->company, NULL);
		tw_field(&form, "Twiml", twiml);
		tw_field(&form, "StatusCallback", hook);
		tw_field(&form, "StatusCallbackMethod", "POST");
		path = xasprintf("Calls/%s.json", x->b.caller);
		rc = tw_post(x, path, form, NULL);
		free(path);
		free(form);
		free(hook);
		free(twiml);
		if (rc != 0)
			return;
		if (db_twilio_set_conference(&tw.db, x->j->company, x->j->call,
		    1) != 0)
			log_warn("twilio: call %s: cannot record the conference",
			    x->j->call);
	}
	/* One agent's leg at a time (a retried callback's answer). */
	if (x->b.agent_leg[0] != '\0') {
		log_info("twilio: call %s: bridge: the agent's leg is there",
		    x->j->call);
		return;
	}
	tw_agent_leg(x);
}

/* The call ended here: the agent's leg, then the caller's call. */
static void
tw_complete(struct tw_ctx *x)
{
	char	*path, *form = NULL;

	if (x->b.agent_leg[0] != '\0' && db_twilio_leg_retire(&tw.db,
	    x->j->company, x->j->call, TWILIO_LEG_AGENT) == 1)
		tw_end_leg(x, x->b.agent_leg);
	if (x->b.ended)
		return;		/* Twilio told us: nothing to tell it */
	tw_field(&form, "Status", "completed");
	path = xasprintf("Calls/%s.json", x->b.caller);
	tw_post(x, path, form, NULL);
	free(path);
	free(form);
}

/* Hold (1) or take off hold (0) the caller's participant. */
static int
tw_hold_caller(struct tw_ctx *x, int hold)
{
	char	*form = NULL, *wait = NULL;
	int	 rc;

	tw_field(&form, "Hold", hold ? "true" : "false");
	if (hold && (wait = twilio_wait_url(&tw.db, x->j->company, x->j->call,
	    x->j->queue[0] != '\0' ? x->j->queue : NULL)) != NULL) {
		tw_field(&form, "HoldUrl", wait);
		tw_field(&form, "HoldMethod", "POST");
	}
	if ((rc = tw_participant(x, x->b.caller, form)) == 0 &&
	    db_twilio_set_held(&tw.db, x->j->company, x->j->call, hold) != 0)
		log_warn("twilio: call %s: cannot record the hold", x->j->call);
	free(wait);
	free(form);
	return rc;
}

static void
tw_hold(struct tw_ctx *x)
{
	tw_hold_caller(x, 1);
}

static void
tw_resume(struct tw_ctx *x)
{
	tw_hold_caller(x, 0);
}

/* A transfer: the caller held until the next agent joins; the old leg ends. */
static void
tw_transfer(struct tw_ctx *x)
{
	if (x->b.conference)
		tw_hold_caller(x, 1);
	if (x->b.agent_leg[0] != '\0' && db_twilio_leg_retire(&tw.db,
	    x->j->company, x->j->call, TWILIO_LEG_AGENT) == 1)
		tw_end_leg(x, x->b.agent_leg);
}

/* Start the recording of the caller's leg, both directions (dual). */
static void
tw_record(struct tw_ctx *x)
{
	struct tw_sink	 body = { NULL, 0, TW_ANSWER_MAX };
	char		*form = NULL, *q, *hook, *path, sid[40];

	q = xasprintf("call=%s&event=recording", x->j->call);
	hook = tw_hook_url(x->j->company, q);
	tw_field(&form, "RecordingChannels", "dual");
	tw_field(&form, "RecordingStatusCallback", hook);
	tw_field(&form, "RecordingStatusCallbackMethod", "POST");
	tw_field(&form, "RecordingStatusCallbackEvent", "completed");
	path = xasprintf("Calls/%s/Recordings.json", x->b.caller);
	if (tw_post(x, path, form, &body) == 0 && (tw_answer_sid(&body, "sid",
	    sid, sizeof sid) != 0 || db_twilio_set_recording(&tw.db,
	    x->j->company, x->j->call, sid) != 0))
		log_warn("twilio: call %s: cannot record the recording's sid",
		    x->j->call);
	free(body.buf);
	free(path);
	free(form);
	free(hook);
	free(q);
}

/*
 * The current agent's leg joined: a held caller (a transfer) is taken
 * off hold while the call is connected; a recorded call starts recording
 * when none is in progress.
 */
static void
tw_joined(struct tw_ctx *x)
{
	struct call_rows	*c;
	char			*say;
	int			 connected;

	if (strcmp(x->j->sid, x->b.agent_leg) != 0 || x->b.ended)
		return;
	c = db_call_find(&tw.db, x->j->company, x->j->call);
	connected = c != NULL && c->n == 1 && c->v[0].state == CALL_CONNECTED;
	call_rows_free(c);
	if (x->b.held && connected)
		tw_hold_caller(x, 0);
	say = NULL;
	if (x->b.recording_sid[0] == '\0' && tw_recorded(x->j, &say))
		tw_record(x);
	free(say);
}

/* On demand: start recording the caller's leg, unless it is. */
static void
tw_record_start(struct tw_ctx *x)
{
	if (x->b.recording_sid[0] == '\0' && !x->b.ended)
		tw_record(x);
}

/* On demand: stop the recording in progress (Twilio then posts it). */
static void
tw_record_stop(struct tw_ctx *x)
{
	char	*path, *form = NULL;

	if (x->b.recording_sid[0] == '\0' || x->b.ended)
		return;
	path = xasprintf("Calls/%s/Recordings/%s.json", x->b.caller,
	    x->b.recording_sid);
	tw_field(&form, "Status", "stopped");
	if (tw_post(x, path, form, NULL) == 0 && db_twilio_set_recording(
	    &tw.db, x->j->company, x->j->call, NULL) != 0)
		log_warn("twilio: call %s: cannot forget the recording's sid",
		    x->j->call);
	free(form);
	free(path);
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
 * the number the caller called, TwiML joining the conference as its
 * caller, and status callbacks for its answer and its end. NULL when
 * there is none (logged): the agent then calls back by hand.
 */
static char *
tw_callback_form(const struct tw_job *j)
{
	struct call_rows	*c;
	char			*from, *twiml, *hook, *q, *form = NULL;

	if ((c = db_call_find(&tw.db, j->company, j->call)) == NULL ||
	    c->n != 1 || c->v[0].cb_number == NULL ||
	    c->v[0].state != CALL_CONNECTED) {
		call_rows_free(c);
		return NULL;
	}
	if ((from = tw_our_number(j)) == NULL)
		log_warn("twilio: call %s: callback: no number to call from"
		    " (caller_data.to); the agent calls back", j->call);
	else {
		twiml = tw_caller_twiml(j);
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
	free(from);
	call_rows_free(c);
	return form;
}

/*
 * Call the caller back: a new Twilio call, which the call now maps to,
 * into the conference; the agent's leg once the caller answers.
 */
static void
tw_callback(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct call_rows	*set;
	struct tw_sink		 answer = { NULL, 0, TW_ANSWER_MAX };
	char			*form, sid[72];

	if ((form = tw_callback_form(j)) == NULL)
		return;
	/* The attempt counts once it is made, answered or not. */
	if ((set = db_call_callback_set(&tw.db, j->call, "dialing", 1, 0, 0,
	    0)) == NULL)
		log_warn("twilio: call %s: callback: cannot count the attempt",
		    j->call);
	call_rows_free(set);
	if (tw_post(x, "Calls.json", form, &answer) != 0)
		tw_callback_failed(j, "failed");
	else if (tw_answer_sid(&answer, "sid", sid, sizeof sid) != 0 ||
	    db_twilio_remap(&tw.db, j->company, sid, j->call) != 0 ||
	    db_twilio_set_conference(&tw.db, j->company, j->call, 1) != 0)
		log_warn("twilio: call %s: callback: cannot record Twilio's"
		    " call", j->call);
	free(answer.buf);
	free(form);
}

/* The form of a supervisor's mode (monitor, whisper, barge). */
static void
tw_mode_form(struct tw_ctx *x, char **form)
{
	const struct tw_job	*j = x->j;

	tw_field(form, "Muted", tw_modes[j->mode].muted);
	tw_field(form, "Coaching", tw_modes[j->mode].coaching);
	if (j->mode == TW_WHISPER)
		tw_field(form, "CallSidToCoach", x->b.agent_leg);
}

/*
 * The supervisor's participant: added (From the number the caller
 * called, To the supervisor's phone or its browser's Client identity,
 * labelled "supervisor"), changed with the mode, or removed; the agent's
 * leg hears what happened when the company announces supervision.
 */
static void
tw_supervise(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct tw_sink		 body = { NULL, 0, TW_ANSWER_MAX };
	char			 identity[TWILIO_IDENTITY_LEN + 1], sid[72];
	char			*form = NULL, *path, *from, *q, *hook;
	const char		*cf;

	if (j->ended)
		return;		/* the conference ended with the call */
	if (j->mode == TW_WHISPER && x->b.agent_leg[0] == '\0') {
		log_warn("twilio: call %s: supervise: no agent's leg to coach",
		    j->call);
		return;
	}
	if (j->mode == TW_OFF) {
		if ((cf = tw_conference_sid(x)) == NULL)
			return;
		path = xasprintf("Conferences/%s/Participants/%s.json", cf,
		    TW_SUPERVISOR);
		tw_request(x->account, x->token, "DELETE", path, NULL, j,
		    NULL);
		free(path);
		db_twilio_leg_retire(&tw.db, j->company, j->call,
		    TWILIO_LEG_SUPERVISOR);
	} else if (j->previous != TW_OFF) {
		tw_mode_form(x, &form);
		tw_participant(x, TW_SUPERVISOR, form);
	} else if ((cf = tw_conference_sid(x)) != NULL) {
		if ((from = tw_our_number(j)) == NULL) {
			log_warn("twilio: call %s: supervise: no number to call"
			    " the supervisor from (caller_data.to)", j->call);
			return;
		}
		tw_field(&form, "From", from);
		free(from);
		if (j->phone[0] != '\0')
			tw_field(&form, "To", j->phone);
		else {
			twilio_user_identity(j->user, identity);
			q = xasprintf("client:%s?call_id=%s", identity, j->call);
			tw_field(&form, "To", q);
			free(q);
		}
		tw_field(&form, "Label", TW_SUPERVISOR);
		tw_field(&form, "Beep", "false");
		tw_field(&form, "EndConferenceOnExit", "false");
		tw_mode_form(x, &form);
		path = xasprintf("Conferences/%s/Participants.json", cf);
		if (tw_post(x, path, form, &body) == 0 && (tw_answer_sid(&body,
		    "call_sid", sid, sizeof sid) != 0 || db_twilio_leg_add(
		    &tw.db, j->company, j->call, TWILIO_LEG_SUPERVISOR, sid,
		    NULL) != 0))
			log_warn("twilio: call %s: supervise: cannot record the"
			    " supervisor's leg", j->call);
		free(path);
	}
	free(form);
	free(body.buf);
	if (!j->announce || j->mode == j->previous ||
	    x->b.agent_leg[0] == '\0')
		return;
	form = NULL;
	q = xasprintf("call=%s&event=announce&mode=%s", j->call,
	    tw_modes[j->mode].name);
	hook = tw_hook_url(j->company, q);
	tw_field(&form, "AnnounceUrl", hook);
	tw_field(&form, "AnnounceMethod", "POST");
	tw_participant(x, x->b.agent_leg, form);
	free(form);
	free(hook);
	free(q);
}

/*
 * GET the recording's media (Recordings/{sid}.wav, the account's own
 * resource whatever RecordingUrl said), retried as any request, into the
 * file storage linked to the call; once per recording sid.
 */
static void
tw_fetch(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct tw_sink		 body = { NULL, 0, TW_MEDIA_MAX };
	char			*path;

	if (db_recording_known(&tw.db, j->company, j->sid) != 0)
		return;		/* a retried callback, or no database */
	path = xasprintf("Recordings/%s.wav", j->sid);
	if (tw_post(x, path, NULL, &body) == 0)
		op_file_recording(&tw.db, j->company, j->call, "twilio",
		    j->sid, j->channels, j->duration, body.buf, body.len);
	free(body.buf);
	free(path);
}

/*
 * What each kind needs and does: the call's Twilio row (its bridge) and
 * our public_url (for Twilio's callbacks). Run in the order the jobs came.
 */
static const struct {
	int	  bridge;
	int	  hook;
	void	(*run)(struct tw_ctx *);
} tw_kinds[] = {
	[TW_BRIDGE] = { 1, 1, tw_bridge },
	[TW_COMPLETE] = { 1, 0, tw_complete },
	[TW_CALLBACK] = { 0, 1, tw_callback },
	[TW_HOLD] = { 1, 1, tw_hold },
	[TW_RESUME] = { 1, 0, tw_resume },
	[TW_TRANSFER] = { 1, 1, tw_transfer },
	[TW_JOINED] = { 1, 0, tw_joined },
	[TW_SUPERVISE] = { 1, 1, tw_supervise },
	[TW_RECORD_START] = { 1, 1, tw_record_start },
	[TW_RECORD_STOP] = { 1, 0, tw_record_stop },
	[TW_FETCH] = { 0, 0, tw_fetch },
};

static void
tw_run(const struct tw_job *j)
{
	struct tw_ctx		 x = { .j = j };
	struct integration	 in;
	int			 n;

	if (tw_kinds[j->kind].bridge && (n = db_twilio_bridge(&tw.db,
	    j->company, j->call, &x.b)) != 1) {
		if (n < 0)
			log_warn("twilio: call %s: %s: cannot read the call",
			    j->call, tw_kind_names[j->kind]);
		return;
	}
	if (tw_kinds[j->kind].hook && (cfg.public_url == NULL ||
	    cfg.public_url[0] == '\0')) {
		log_warn("twilio: call %s: %s: no public_url for Twilio's"
		    " callbacks", j->call, tw_kind_names[j->kind]);
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
			    tw_kind_names[j->kind]);
		break;
	default:
		log_warn("twilio: call %s: %s: cannot read the Twilio"
		    " integration", j->call, tw_kind_names[j->kind]);
		break;
	}
	integration_clear(&in);
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

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&tw.lock);
		while (!tw.stop && tw.head == NULL)
			pthread_cond_wait(&tw.wake, &tw.lock);
		if (tw.stop) {
			pthread_mutex_unlock(&tw.lock);
			break;
		}
		j = tw.head;
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
		log_warn("twilio: call %s: %s dropped at stop", j->call,
		    tw_kind_names[j->kind]);
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
