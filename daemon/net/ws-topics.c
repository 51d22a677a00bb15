/*
 * Topics of the calldocker.v1 protocol (docs/ws.md): queues, agents and
 * calls, each a snapshot then the event bus's deltas, scoped to the
 * company and, for agents, to themselves.
 *
 * Snapshot then deltas: a subscription takes effect on the loop at once,
 * then the snapshot is queried. Events that arrive meanwhile are held in
 * the connection's queue behind the point where the snapshot goes, so the
 * client sees "subscribed", the snapshots, then every later event (some
 * may already be reflected in the snapshot; objects carry their state).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "xmalloc.h"
#include "db.h"
#include "db-agent.h"
#include "db-call.h"
#include "db-queue.h"
#include "call.h"
#include "hub.h"
#include "validate.h"
#include "ws-int.h"
#include "op-forward.h"

#define SNAPSHOT_LIMIT		"10001"

static const struct {
	const char	*name;
	unsigned	 bit;
} topics[NTOPICS] = {
	{ "queues", T_QUEUES },
	{ "agents", T_AGENTS },
	{ "calls", T_CALLS },
};

static int	 nsubscribed;	/* connections with topics */

static int
page_all(struct page *pg)
{
	memset(pg, 0, sizeof *pg);
	pg->limit = 10000;
	strlcpy_(pg->limit_str, SNAPSHOT_LIMIT, sizeof pg->limit_str);
	return 0;
}

/* Items of one topic for the job's scope, or NULL on a database error. */
static json_t *
snapshot_items(struct db *db, const struct wsjob *j, unsigned topic)
{
	const char	*scope = j->scope[0] != '\0' ? j->scope : NULL;
	json_t			*items = json_array();
	struct call_rows	*c;
	struct queue_rows	*q;
	struct agent_rows	*a;
	struct page		 pg;

	page_all(&pg);
	switch (topic) {
	case T_AGENTS:
		if (j->role == ROLE_AGENT) {
			if (j->agent[0] == '\0')
				return items;
			a = db_agent_get(db, scope, j->agent);
		} else
			a = db_agent_list(db, scope, NULL, &pg);
		if (a == NULL)
			break;
		for (int i = 0; i < a->n && i < pg.limit; i++)
			json_array_append_new(items, agent_json(&a->v[i]));
		agent_rows_free(a);
		return items;
	case T_CALLS:
		if ((c = db_call_live(db, NULL)) == NULL)
			break;
		for (int i = 0; i < c->n; i++) {
			if (scope != NULL && strcmp(c->v[i].company, scope) != 0)
				continue;
			if (j->role == ROLE_AGENT && (j->agent[0] == '\0' ||
			    c->v[i].agent == NULL ||
			    strcmp(c->v[i].agent, j->agent) != 0))
				continue;
			json_array_append_new(items, call_row_json(&c->v[i]));
			if (j->role == ROLE_AGENT)
				json_object_set_new(json_array_get(items,
				    json_array_size(items) - 1), "supervision",
				    json_null());
		}
		call_rows_free(c);
		return items;
	case T_QUEUES:
		if ((q = db_queue_list(db, scope, &pg)) == NULL)
			break;
		for (int i = 0; i < q->n && i < pg.limit; i++) {
			struct acd_queue_stats	 st;
			json_t			*o = queue_json(&q->v[i]);

			memset(&st, 0, sizeof st);
			op_queue_stats(q->v[i].company, q->v[i].id, &st);
			json_object_set_new(o, "live", json_pack("{s:i,s:i,s:f}",
			    "waiting", st.waiting, "offering", st.offering,
			    "longest_wait", st.longest_wait));
			json_array_append_new(items, o);
		}
		queue_rows_free(q);
		return items;
	default:
		break;
	}
	json_decref(items);
	return NULL;
}


static void
snapshot_run(struct db *db, struct wsjob *j)
{
	for (size_t t = 0; t < NTOPICS; t++) {
		json_t		*items;

		if (!(j->topics & topics[t].bit))
			continue;
		if ((items = snapshot_items(db, j, topics[t].bit)) == NULL) {
			j->failed = 1;
			return;
		}
		j->snap[j->nsnap++] = ws_msg_json(json_pack("{s:s,s:s,s:o}",
		    "type", "snapshot", "topic", topics[t].name, "items", items));
	}
}

static void
snapshot_done(struct wsjob *j)
{
	struct conn	*c = j->c;
	struct qnode	*at, *n;

	if (c == NULL || c->close_code != 0)
		return;
	if (j->failed) {
		/* No deltas from here on without their snapshot. */
		c->hold = c->ready = 0;
		ws_topics_set(c, c->topics & ~j->topics);
		ws_reply_error(c, j->id, "unavailable",
		    "the snapshot could not be read; subscribe again");
		return;
	}
	/* After the nodes already writable, before the held events. */
	at = NULL;
	for (int i = 0; i < c->ready; i++)
		at = at == NULL ? c->head : at->next;
	for (int i = 0; i < j->nsnap; i++) {
		n = xcalloc(1, sizeof *n);
		n->m = j->snap[i];
		j->snap[i] = NULL;
		if (at == NULL) {
			n->next = c->head;
			c->head = n;
		} else {
			n->next = at->next;
			at->next = n;
		}
		if (n->next == NULL)
			c->tail = n;
		at = n;
		c->count++;
	}
	j->nsnap = 0;
	c->hold = c->ready = 0;
	if (c->head != NULL)
		lws_callback_on_writable(c->wsi);
}

/*
 * The lists of ws-index.c this connection's subscriptions put it in: its
 * scope's, or for an agent's agents and calls, its agent's.
 */
static void
reindex(struct conn *c)
{
	for (size_t t = 0; t < NTOPICS; t++) {
		struct sub	*s = &c->subs[t];
		unsigned	 bit = topics[t].bit;

		if (!(c->topics & bit))
			ws_index_del(s);
		else if (c->role != ROLE_AGENT || bit == T_QUEUES)
			ws_index_add(s, c, IX_COMPANY, bit, c->scope);
		else if (c->agent[0] != '\0')
			ws_index_add(s, c, IX_AGENT_TOPIC, bit, c->agent);
		else
			ws_index_del(s);	/* hears none of them */
	}
}

void
ws_topics_set(struct conn *c, unsigned topics_now)
{
	int	 before = c->topics != 0, after = topics_now != 0;

	c->topics = topics_now;
	reindex(c);
	if (before == after)
		return;
	nsubscribed += after - before;
	ws_listeners_changed();
}

int
ws_topics_any(void)
{
	return nsubscribed > 0;
}

static int
recent_has(const struct conn *c, const char *call)
{
	for (int i = 0; i < c->nrecent; i++) {
		if (strcmp(c->recent[i], call) == 0)
			return i;
	}
	return -1;
}

static void
recent_forget(struct conn *c, int i)
{
	c->nrecent--;
	ws_index_del(&c->recent_sub[i]);
	if (i != c->nrecent) {
		memcpy(c->recent[i], c->recent[c->nrecent], sizeof c->recent[i]);
		ws_index_del(&c->recent_sub[c->nrecent]);
		ws_index_add(&c->recent_sub[i], c, IX_RECENT, 0, c->recent[i]);
	}
}

static void
recent_add(struct conn *c, const char *call)
{
	if (c->nrecent == RECENT_CALLS)
		recent_forget(c, 0);
	strlcpy_(c->recent[c->nrecent], call, sizeof c->recent[0]);
	ws_index_add(&c->recent_sub[c->nrecent], c, IX_RECENT, 0,
	    c->recent[c->nrecent]);
	c->nrecent++;
}

/* The connection goes: out of every list. */
void
ws_topics_closed(struct conn *c)
{
	for (size_t t = 0; t < NTOPICS; t++)
		ws_index_del(&c->subs[t]);
	for (int i = 0; i < RECENT_CALLS; i++)
		ws_index_del(&c->recent_sub[i]);
	c->nrecent = 0;
}

/* May this agent's connection see this event? */
static int
agent_sees(struct conn *c, const struct pend *p)
{
	int	 i;

	switch (p->topic) {
	case T_AGENTS:
		return c->agent[0] != '\0' && strcmp(p->agent, c->agent) == 0;
	case T_CALLS:
		if (c->agent[0] == '\0' || p->call[0] == '\0')
			return 0;
		i = recent_has(c, p->call);
		if (strcmp(p->agent, c->agent) == 0) {
			if (i < 0)
				recent_add(c, p->call);
			return 1;
		}
		/* Released (no agent): the agent it was about hears of it once. */
		if (i >= 0) {
			recent_forget(c, i);
			return p->agent[0] == '\0';
		}
		return 0;
	default:
		return 1;
	}
}

static void
deliver(struct conn *c, struct pend *p)
{
	if (c->state != C_AUTHED || !(c->topics & p->topic) ||
	    c->close_code != 0)
		return;
	if (c->scope[0] != '\0' && strcmp(c->scope, p->company) != 0)
		return;
	if (c->role == ROLE_AGENT && !agent_sees(c, p))
		return;
	ws_enqueue(c, c->role == ROLE_AGENT && p->m_agent != NULL ?
	    p->m_agent : p->m, 1);
}

/*
 * call.supervised (docs/ws.md, "Supervision"): to the company's (and the
 * admins') subscribers to calls as any call event, to every socket of the
 * supervisor it is about, and to every socket of the call's agent when
 * agent_notified (a browser call: her page carries the media; a Twilio
 * call when the company announces supervision). Never to a caller. Rare
 * (a person's click): one pass over the connections.
 */
static void
supervised(struct pend *p)
{
	struct conn	*c;
	int		 topical, own;

	for (c = ws_conns; c != NULL; c = c->next) {
		if (c->state != C_AUTHED || c->close_code != 0 || c->caller)
			continue;
		if (c->company[0] != '\0' && strcmp(c->company, p->company) != 0)
			continue;
		if (c->role == ROLE_AGENT) {
			if (p->agent_notified && c->agent[0] != '\0' &&
			    strcmp(c->agent, p->agent) == 0)
				ws_enqueue(c, p->m, 1);
			continue;
		}
		topical = (c->topics & T_CALLS) && (c->scope[0] == '\0' ||
		    strcmp(c->scope, p->company) == 0);
		own = p->supervisor[0] != '\0' &&
		    strcmp(c->user, p->supervisor) == 0;
		if (topical || own)
			ws_enqueue(c, p->m, 1);
	}
}

/*
 * To the event's company's subscribers, the admins of every company, the
 * agent it is about and the agents that heard of its call lately: only
 * the lists that may hear it (ws-index.c), never every connection.
 */
void
ws_topics_fan_out(struct pend *p)
{
	struct sub	*s, *next;

	if (p->topic == T_CALLS && strcmp(p->event, "call.supervised") == 0)
		return supervised(p);
	if (p->company[0] != '\0')
		for (s = ws_index_first(IX_COMPANY, p->topic, p->company);
		    s != NULL; s = s->next)
			deliver(s->c, p);
	for (s = ws_index_first(IX_COMPANY, p->topic, ""); s != NULL;
	    s = s->next)
		deliver(s->c, p);
	if (p->topic == T_QUEUES)
		return;
	for (s = ws_index_first(IX_AGENT_TOPIC, p->topic, p->agent); s != NULL;
	    s = s->next)
		deliver(s->c, p);
	if (p->topic != T_CALLS)
		return;
	/* A release: agent_sees() forgets the call, so the list changes. */
	for (s = ws_index_first(IX_RECENT, 0, p->call); s != NULL; s = next) {
		next = s->next;
		if (s->c->role == ROLE_AGENT &&
		    strcmp(s->c->agent, p->agent) != 0)
			deliver(s->c, p);
	}
}

/* Parse a "topics" array into bits; -1 on error (answered). */
static int
parse_topics(struct conn *c, json_t *req, json_t *id, unsigned *bits)
{
	json_t	*arr = json_object_get(req, "topics"), *v;
	size_t	 i, t;

	*bits = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		ws_reply_error(c, id, "bad_request",
		    "\"topics\" must be a non-empty array");
		return -1;
	}
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		for (t = 0; t < NTOPICS; t++) {
			if (s != NULL && strcmp(s, topics[t].name) == 0)
				break;
		}
		if (t == NTOPICS) {
			ws_reply_error(c, id, "bad_topic",
			    "topics are \"queues\", \"agents\" and \"calls\"");
			return -1;
		}
		*bits |= topics[t].bit;
	}
	return 0;
}

static json_t *
topic_list(unsigned bits)
{
	json_t	*a = json_array();

	for (size_t t = 0; t < NTOPICS; t++) {
		if (bits & topics[t].bit)
			json_array_append_new(a, json_string(topics[t].name));
	}
	return a;
}

static void
on_subscribe(struct conn *c, json_t *req, json_t *id)
{
	json_t		*co = json_object_get(req, "company_id");
	const char	*company = json_string_value(co);
	unsigned	 bits;
	struct wsjob	*j;

	if (parse_topics(c, req, id, &bits) != 0)
		return;
	if (co != NULL && !json_is_null(co) &&
	    (company == NULL || !is_uuid(company)))
		return ws_reply_error(c, id, "bad_request",
		    "\"company_id\" must be a UUID");
	if (c->role != ROLE_ADMIN && company != NULL &&
	    strcmp(company, c->company) != 0)
		return ws_reply_error(c, id, "forbidden",
		    "you may subscribe to your own company only");
	if (c->hold)
		return ws_reply_error(c, id, "busy",
		    "a snapshot is on its way; subscribe again after it");
	if (c->role == ROLE_ADMIN && co != NULL) {
		if (strcmp(c->scope, company ? company : "") != 0)
			bits |= c->topics;	/* new scope: snapshot all again */
		strlcpy_(c->scope, company ? company : "", sizeof c->scope);
	}
	ws_topics_set(c, c->topics | bits);
	ws_reply(c, json_pack("{s:s,s:o,s:s?}", "type", "subscribed",
	    "topics", topic_list(c->topics),
	    "company_id", c->scope[0] ? c->scope : NULL), id);
	/* Hold what follows until the snapshot is in front of it. */
	c->hold = 1;
	c->ready = c->count;
	j = ws_job_new(snapshot_run, snapshot_done);
	j->id = json_incref(id);
	j->role = c->role;
	j->topics = bits;
	strlcpy_(j->scope, c->scope, sizeof j->scope);
	strlcpy_(j->agent, c->agent, sizeof j->agent);
	ws_job_submit(c, j);
}

static void
on_unsubscribe(struct conn *c, json_t *req, json_t *id)
{
	unsigned	 bits;

	if (parse_topics(c, req, id, &bits) != 0)
		return;
	ws_topics_set(c, c->topics & ~bits);
	ws_reply(c, json_pack("{s:s,s:o}", "type", "unsubscribed",
	    "topics", topic_list(c->topics)), id);
}


/* 1 if the message was a topic's; answered. */
int
ws_topics_message(struct conn *c, const char *type, json_t *req, json_t *id)
{
	if (strcmp(type, "subscribe") == 0 || strcmp(type, "unsubscribe") == 0) {
		if (c->caller)
			ws_reply_error(c, id, "forbidden",
			    "a caller's socket has no topics");
		else if (type[0] == 's')
			on_subscribe(c, req, id);
		else
			on_unsubscribe(c, req, id);
		return 1;
	}
	return 0;
}
