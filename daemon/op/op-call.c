/*
 * call.create: a call arrives, from a manager (POST /api/calls), a
 * website caller (the widget's call.request), Twilio or an incoming
 * webhook. It goes straight into a queue through the hub, or into an IVR
 * flow (op-ivr.c); an Idempotency-Key makes a retry answer the first call.
 * call.update: its notes, tags, disposition, caller data and priority
 * (PUT /api/calls/:id, an incoming webhook's call.update).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "db-ivr.h"
#include "validate.h"
#include "hub.h"
#include "events.h"
#include "op-int.h"

void
op_call_parse(enum op_id id, json_t *o, struct op_in *in, struct fields *f)
{
	json_t		*v, *t;
	long long	 p;
	size_t		 i;

	if ((v = json_object_get(o, "caller_data")) != NULL) {
		if (json_is_object(v))
			in->data = v;
		else
			fields_add(f, "caller_data", "must be an object");
	}
	if (field_int(o, "priority", -1000, 1000, f, &p) == 1) {
		in->has_priority = 1;
		in->priority = (int)p;
	}
	if (id == OP_CALL_UPDATE) {
		if ((v = json_object_get(o, "tags")) == NULL)
			return;
		if (!json_is_array(v) || json_array_size(v) > 50)
			fields_add(f, "tags", "must be a list of at most 50");
		json_array_foreach(v, i, t) {
			if (!json_is_string(t) || json_string_length(t) == 0 ||
			    json_string_length(t) > 50) {
				fields_add(f, "tags", "tags are 1-50 characters");
				return;
			}
		}
		in->tags = v;
		return;
	}
	field_skills(o, "skills", f, &in->skills);
	if (in->media != NULL && strcmp(in->media, "voice") != 0 &&
	    strcmp(in->media, "video") != 0 &&
	    strcmp(in->media, "screen_share") != 0)
		fields_add(f, "media", "must be voice, video or screen_share");
	/* "ivr": true enters the entry flow; "ivr_flow_id" a chosen one. */
	if ((v = json_object_get(o, "ivr")) != NULL) {
		if (json_is_boolean(v))
			in->ivr = json_is_true(v);
		else
			fields_add(f, "ivr", "must be true or false");
	}
	if (in->flow != NULL)
		in->ivr = 1;
	if (in->ivr && in->queue != NULL)
		fields_add(f, "queue_id", "a call enters a flow or a queue, not"
		    " both");
	if (in->key != NULL && (strlen(in->key) == 0 || strlen(in->key) > 200))
		fields_add(f, "Idempotency-Key", "must be 1-200 characters");
}

/*
 * Hand a call just inserted (queued, or new when its queue was full) to
 * the hub and answer 201 with it as queued, its position and estimated
 * wait as the hub had them when it took it, or the hub's refusal. Takes
 * row.
 */
static void
enqueue(struct db *db, struct call_rows *row, struct op_out *out)
{
	struct hub_result	 r;

	hub_enqueue_call(db, &row->v[0], &r);
	if (r.status >= 400) {
		call_rows_free(row);
		call_rows_free(r.row);
		op_fail(out, r.status, r.code, "%s", r.detail);
		return;
	}
	if (r.row != NULL) {
		call_rows_free(row);
		row = r.row;
	}
	out->status = 201;
	out->obj = call_row_json(&row->v[0]);
	if (r.has_position)
		op_call_live(out->obj, r.position, r.estimated_wait);
	if (row->v[0].state != CALL_STATE_COUNT)
		out->state = call_state_name(row->v[0].state);
	call_rows_free(row);
}

/*
 * A call kept though it could not enter its flow (row, state new,
 * committed; op_in.keep_refused): failed, with why in its call.failed
 * event. out is the refusal, with the failed call as out->obj.
 */
static void
refuse(struct db *db, const struct call_row *row, const struct op_in *in,
    const struct op_out *refused, struct op_out *out)
{
	struct call_move	 m = { 0 };
	struct call_rows	*moved = NULL;

	*out = *refused;
	m.call = row->id;
	m.company = row->company;
	m.from = CALL_NEW;
	m.to = CALL_FAILED;
	m.event = "call.failed";
	m.data = json_pack("{s:s}", "reason", in->flow != NULL ? "the call"
	    " could not enter its flow" : "the call could not enter the entry"
	    " flow");
	if (db_begin(db) == 0 && call_transition(db, &m, &moved) == MOVE_OK &&
	    db_commit(db) == 0) {
		events_publish(m.company, "call.failed",
		    call_row_json(&moved->v[0]));
		out->obj = call_row_json(&moved->v[0]);
		out->state = call_state_name(CALL_FAILED);
	} else {
		db_rollback(db);
		op_fail_db(out, db);
	}
	json_decref(m.data);
	if (moved != NULL)
		call_rows_free(moved);
}

/* A retry of a call made already (row): on where the first one stopped. */
static void
replay(struct db *db, struct call_rows *row, struct op_out *out)
{
	/* The first request stopped before its call was queued: go on. */
	if (row->v[0].queue != NULL && row->v[0].state == CALL_NEW)
		return enqueue(db, row, out);
	out->status = 201;
	op_call_out(out, &row->v[0]);
	call_rows_free(row);
}

void
op_call_create(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	struct call_new	 c = { 0 };
	struct op_out	 refused = { 0 };
	char		 prio[16], *sk = NULL, *cd = NULL;
	struct call_rows *row = NULL;
	struct ivr_flow_rows *fl = NULL;	/* the flow: op-ivr.c's */

	c.company = company;
	c.queue = in->queue;
	c.number = in->number;
	c.name = in->name;
	c.media = in->media;
	c.key = in->key;
	if (in->has_priority) {
		snprintf(prio, sizeof prio, "%d", in->priority);
		c.priority = prio;
	}
	c.created_by = a->kind == ACTOR_USER ? a->user : NULL;
	if (in->key != NULL) {
		/* A retry: answer what the first request created. */
		if ((row = db_call_find_key(db, company, in->key)) == NULL)
			return op_fail_db(out, db);
		if (row->n == 1)
			return replay(db, row, out);
		call_rows_free(row);
	}
	/*
	 * Nothing is created for a call that has no flow to enter, unless
	 * the transport keeps it: then it is recorded and failed (refuse()).
	 */
	if (in->ivr && (fl = op_ivr_flow(db, company, in->flow, &refused)) ==
	    NULL && !in->keep_refused) {
		*out = refused;
		return;
	}
	if (in->skills != NULL)
		c.skills = sk = json_dumps(in->skills, JSON_COMPACT);
	if (in->data != NULL)
		c.data = cd = json_dumps(in->data, JSON_COMPACT);
	/*
	 * A call for a queue with room is written queued at once, so that
	 * creates commit in parallel and the hub only takes it in; one the
	 * queue has no room for is written new and failed by hub_enqueue()
	 * (never queued). A queue that fills between the two refuses it
	 * there: queued, then failed.
	 */
	c.queued = c.queue != NULL && !in->ivr &&
	    !hub_queue_full(company, c.queue);
	row = db_call_insert(db, &c);
	free(sk);
	free(cd);
	if (row == NULL && db->err == DB_UNIQUE && in->key != NULL) {
		ivr_flow_rows_free(fl);
		if ((row = db_call_find_key(db, company, in->key)) == NULL)
			return op_fail_db(out, db);
		if (row->n == 0) {
			call_rows_free(row);
			return op_fail_db(out, db);
		}
		return replay(db, row, out);
	}
	if (row == NULL) {
		ivr_flow_rows_free(fl);
		return op_fail_db(out, db);
	}
	if (row->n == 0) {
		/* The queue is not the company's (op_refs() left it to us). */
		ivr_flow_rows_free(fl);
		call_rows_free(row);
		out->field = "queue_id";
		return op_fail(out, 422, "validation_failed", "no such queue");
	}
	events_publish(company, "call.created", call_row_json(&row->v[0]));
	if (in->ivr && fl == NULL) {	/* kept, but refused: failed */
		refuse(db, &row->v[0], in, &refused, out);
		call_rows_free(row);
		return;
	}
	if (in->ivr) {
		op_ivr_start(db, &row->v[0], fl, out);
		call_rows_free(row);
		return;
	}
	enqueue(db, row, out);
}

/* The tags as a PostgreSQL array literal. Caller frees. */
static char *
tags_array(json_t *tags)
{
	char	*tg = xstrdup("{"), *next;
	json_t	*t;
	size_t	 i;

	json_array_foreach(tags, i, t) {
		char *esc = xstrdup(json_string_value(t));

		for (char *q = esc; *q != '\0'; q++) {
			if (*q == '"' || *q == '\\' || *q == '{' ||
			    *q == '}' || *q == ',')
				*q = '_';
		}
		next = xasprintf("%s%s\"%s\"", tg, i ? "," : "", esc);
		free(tg);
		free(esc);
		tg = next;
	}
	next = xasprintf("%s}", tg);
	free(tg);
	return next;
}

void
op_call_update(struct db *db, const struct actor *a, const char *company,
    const char *me, const struct op_in *in, struct op_out *out)
{
	char			 prio[16], *tg = NULL, *cd = NULL;
	struct call_rows	*res;
	int			 agent = a->kind == ACTOR_USER &&
				    a->role == ROLE_AGENT;

	if (in->has_priority && agent) {
		out->field = "priority";
		return op_fail(out, 422, "validation_failed", "only managers"
		    " change it");
	}
	if ((res = db_call_find(db, company, in->call)) == NULL)
		return op_fail_db(out, db);
	if (agent && (me == NULL || res->n == 0 || res->v[0].agent == NULL ||
	    strcmp(me, res->v[0].agent) != 0)) {
		call_rows_free(res);
		return op_fail(out, 404, "not_found", "no such call");
	}
	call_rows_free(res);
	if (in->has_priority)
		snprintf(prio, sizeof prio, "%d", in->priority);
	if (in->tags != NULL)
		tg = tags_array(in->tags);
	if (in->data != NULL)
		cd = json_dumps(in->data, JSON_COMPACT);
	res = db_call_update(db, company, in->call, in->notes, tg,
	    in->disposition, cd, in->has_priority ? prio : NULL,
	    a->kind == ACTOR_USER ? a->user : NULL);
	free(tg);
	free(cd);
	if (res == NULL)
		return op_fail_db(out, db);
	if (res->n == 0) {	/* gone since op_company() saw it */
		call_rows_free(res);
		return op_fail(out, 404, "not_found", "no such call");
	}
	/* A waiting call takes its new place in the queue at once. */
	if (in->has_priority && res->n == 1)
		hub_call_priority(db, company, in->call);
	out->status = 200;
	op_call_out(out, &res->v[0]);
	call_rows_free(res);
}
