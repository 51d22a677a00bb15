/*
 * Queues' configuration: queue.create, queue.update and queue.delete
 * (op.h, OPTX_ADMIN). The input type and its limits live here once; the
 * dispatcher holds the transaction and writes the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-queue.h"
#include "db-ref.h"
#include "validate.h"
#include "hub.h"
#include "op.h"
#include "op-int.h"

static const char *const queue_keys[] = {
	"name", "strategy", "sl_threshold", "wrap_up", "ring_timeout",
	"max_wait", "overflow", "overflow_queue_id", "max_length",
	"miss_limit", "widen", "members", "company_id", "hold_music_url",
	"hold_music_file_id", "announce_position", "announce_interval",
	"callback_attempts", "callback_retry_delay", "recording", NULL,
};

/* The integer fields: key, range, where their text goes. */
static const struct {
	const char	*key;
	long long	 min, max;
	size_t		 slot;
} queue_ints[] = {
	{ "sl_threshold", 1, 3600, 0 },
	{ "wrap_up", 0, 3600, 1 },
	{ "ring_timeout", 1, 600, 2 },
	{ "max_wait", 0, 86400, 3 },
	{ "max_length", 0, 100000, 4 },
	{ "miss_limit", 0, 100, 5 },
	{ "announce_interval", 10, 3600, 6 },
	{ "callback_attempts", 1, 10, 7 },
	{ "callback_retry_delay", 0, 86400, 8 },
};
#define NINTS (sizeof queue_ints / sizeof queue_ints[0])

struct queue_input {
	struct queue_fields	 f;
	char			 ints[NINTS][24];
	const char		*company;	/* for a new queue */
	char			*widen;		/* JSON, malloc'd */
	char			*members;	/* JSON, malloc'd, or NULL */
};

static void
queue_input_free(struct queue_input *in)
{
	free(in->widen);
	free(in->members);
}

static int
check_widen(json_t *v, struct fields *f)
{
	size_t	 i;
	json_t	*w;

	if (!json_is_array(v) || json_array_size(v) > 8)
		goto bad;
	json_array_foreach(v, i, w) {
		json_t *a = json_object_get(w, "after");
		json_t *d = json_object_get(w, "level_drop");

		if (!json_is_object(w) || json_object_size(w) != 2 ||
		    !json_is_integer(a) || json_integer_value(a) < 1 ||
		    json_integer_value(a) > 86400 || !json_is_integer(d) ||
		    json_integer_value(d) < 1 || json_integer_value(d) > 10)
			goto bad;
	}
	return 0;
bad:
	fields_add(f, "widen", "must be at most 8 of {\"after\": seconds,"
	    " \"level_drop\": 1-10}");
	return -1;
}

static int
check_members(json_t *v, struct fields *f)
{
	size_t	 i;
	json_t	*m, *p;

	if (!json_is_array(v) || json_array_size(v) > 1000)
		goto bad;
	json_array_foreach(v, i, m) {
		const char *id = json_string_value(json_object_get(m, "agent_id"));

		p = json_object_get(m, "penalty");
		if (!json_is_object(m) || id == NULL || !is_uuid(id) ||
		    (p != NULL && (!json_is_integer(p) ||
		    json_integer_value(p) < 0 || json_integer_value(p) > 100)))
			goto bad;
	}
	return 0;
bad:
	fields_add(f, "members", "must be a list of {\"agent_id\": UUID,"
	    " \"penalty\": 0-100}");
	return -1;
}

/* An http(s) URL of printable ASCII without spaces. */
static int
is_media_url(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return 0;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '<' || *s == '>')
			return 0;
	}
	return 1;
}

/*
 * hold_music_url or hold_music_file_id (null: no hold music): either one
 * given sets both, the other to "" (none).
 */
static void
hold_music(json_t *b, struct queue_input *in, struct fields *f)
{
	json_t	*u = json_object_get(b, "hold_music_url");
	json_t	*id = json_object_get(b, "hold_music_file_id");
	const char *s;

	if (u == NULL && id == NULL)
		return;
	in->f.hold_url = in->f.hold_file = "";
	if (field_string(b, "hold_music_url", 0, 2048, f, &s) == 1) {
		if (!is_media_url(s))
			fields_add(f, "hold_music_url", "must be an http or"
			    " https URL without spaces");
		in->f.hold_url = s;
	}
	if (field_string(b, "hold_music_file_id", 0, 36, f, &s) == 1) {
		if (!is_uuid(s))
			fields_add(f, "hold_music_file_id", "must be a UUID");
		else if (json_is_string(u))
			fields_add(f, "hold_music_file_id", "give"
			    " hold_music_url or hold_music_file_id, not both");
		in->f.hold_file = s;
	}
}

/* The body into in: 0, or -1 with out a 422 naming every field at fault. */
static int
queue_input(json_t *b, const char *scope, int create, struct queue_input *in,
    struct op_out *out)
{
	json_t		*v;
	struct fields	 f;
	const char	*s, **slots[NINTS];
	enum acd_strategy strat;
	long long	 n;

	memset(in, 0, sizeof *in);
	slots[0] = &in->f.sl_threshold;
	slots[1] = &in->f.wrap_up;
	slots[2] = &in->f.ring_timeout;
	slots[3] = &in->f.max_wait;
	slots[4] = &in->f.max_length;
	slots[5] = &in->f.miss_limit;
	slots[6] = &in->f.announce_interval;
	slots[7] = &in->f.callback_attempts;
	slots[8] = &in->f.callback_retry_delay;
	fields_init(&f);
	fields_only(b, queue_keys, &f);
	field_string(b, "name", create, 100, &f, &in->f.name);
	if (create)
		in->company = field_company(scope, b, &f);
	else if (json_object_get(b, "company_id") != NULL)
		fields_add(&f, "company_id", "cannot change");
	if (field_string(b, "strategy", 0, 32, &f, &s) == 1) {
		if (acd_strategy_parse(s, &strat) != 0)
			fields_add(&f, "strategy", "must be one of longest_idle,"
			    " round_robin, fewest_calls, least_talk_time, random,"
			    " ring_all, linear");
		in->f.strategy = s;
	}
	for (size_t i = 0; i < NINTS; i++) {
		if (field_int(b, queue_ints[i].key, queue_ints[i].min,
		    queue_ints[i].max, &f, &n) == 1) {
			snprintf(in->ints[i], sizeof in->ints[i], "%lld", n);
			*slots[queue_ints[i].slot] = in->ints[i];
		}
	}
	if (field_string(b, "overflow", 0, 16, &f, &s) == 1) {
		if (strcmp(s, "none") && strcmp(s, "queue") &&
		    strcmp(s, "voicemail") && strcmp(s, "hangup"))
			fields_add(&f, "overflow", "must be none, queue,"
			    " voicemail or hangup");
		in->f.overflow = s;
	}
	if (field_string(b, "overflow_queue_id", 0, 36, &f,
	    &in->f.overflow_queue) == 1 && !is_uuid(in->f.overflow_queue))
		fields_add(&f, "overflow_queue_id", "must be a UUID");
	hold_music(b, in, &f);
	if ((v = json_object_get(b, "announce_position")) != NULL) {
		if (!json_is_boolean(v))
			fields_add(&f, "announce_position", "must be true or false");
		in->f.announce = json_is_true(v) ? "t" : "f";
	}
	/* null: the company's recording setting. */
	if ((v = json_object_get(b, "recording")) != NULL) {
		s = json_string_value(v);
		if (!json_is_null(v) && (s == NULL || (strcmp(s, "off") &&
		    strcmp(s, "on") && strcmp(s, "on-demand"))))
			fields_add(&f, "recording", "must be off, on, on-demand"
			    " or null (the company's setting)");
		in->f.recording = s != NULL ? s : "";
	}
	if ((v = json_object_get(b, "widen")) != NULL && check_widen(v, &f) == 0)
		in->f.widen = in->widen = json_dumps(v, JSON_COMPACT);
	if ((v = json_object_get(b, "members")) != NULL &&
	    check_members(v, &f) == 0)
		in->members = json_dumps(v, JSON_COMPACT);
	if (fields_any(&f)) {
		queue_input_free(in);
		op_fail_fields(out, &f);
		return -1;
	}
	fields_free(&f);
	return 0;
}

/*
 * The queue's references (its members, its overflow queue) are the
 * company's: 1, 0 with out a 422, -1 on a database error.
 */
static int
queue_refs(struct db *db, json_t *b, const char *company,
    const struct queue_input *in, struct op_out *out)
{
	json_t		*members = json_object_get(b, "members"), *m;
	const char	**ids;
	size_t		 i, n = in->members != NULL ?
			    json_array_size(members) : 0;
	int		 rc, bad;

	if (in->f.hold_file != NULL && in->f.hold_file[0] != '\0' &&
	    (rc = db_ref_one(db, company, REF_FILE, in->f.hold_file)) != 1) {
		if (rc == 0) {
			out->field = "hold_music_file_id";
			op_fail(out, 422, "validation_failed", "no such file");
		}
		return rc;
	}
	if (in->f.overflow_queue != NULL && (rc = db_ref_one(db, company,
	    REF_QUEUE, in->f.overflow_queue)) != 1) {
		if (rc == 0) {
			out->field = "overflow_queue_id";
			op_fail(out, 422, "validation_failed", "no such queue");
		}
		return rc;
	}
	ids = xcalloc(n + 1, sizeof *ids);
	json_array_foreach(members, i, m) {
		if (i < n)
			ids[i] = json_string_value(json_object_get(m,
			    "agent_id"));
	}
	rc = db_ref_check(db, company, REF_AGENT, ids, (int)n, &bad);
	free(ids);
	if (rc != 0)
		return rc;
	out->field = "members";
	op_fail(out, 422, "validation_failed", "no such agent: %s",
	    json_string_value(json_object_get(json_array_get(members, bad),
	    "agent_id")));
	return 0;
}

/* The queue as the API shows it, read in the change's transaction. */
static void
queue_out(struct db *db, const char *scope, const char *id, int status,
    struct op_out *out)
{
	struct queue_rows	*res;

	if ((res = db_queue_get(db, scope, id)) == NULL)
		return op_fail_db(out, db);
	if (res->n == 0)
		op_fail(out, 404, "not_found", "no such queue");
	else {
		out->status = status;
		out->obj = queue_json(&res->v[0]);
	}
	queue_rows_free(res);
}

void
op_queue_write(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct queue_input	 q;
	struct queue_rows	*res;
	int			 create = in->id == NULL, refs;

	(void)a;
	if (queue_input(in->body, scope, create, &q, out) != 0)
		return;
	res = create ? db_queue_create(db, q.company, &q.f) :
	    db_queue_update(db, scope, in->id, &q.f);
	if (res == NULL) {
		if (db->err == DB_UNIQUE)
			op_fail(out, 409, "name_taken",
			    "a queue with this name already exists");
		else
			op_fail_db(out, db);
		goto out;
	}
	if (res->n == 0) {
		op_fail(out, 404, "not_found", "no such queue");
		goto out;
	}
	strlcpy_(out->id, res->v[0].id, sizeof out->id);
	strlcpy_(out->company, res->v[0].company, sizeof out->company);
	if ((refs = queue_refs(db, in->body, out->company, &q, out)) <= 0) {
		if (refs < 0)
			op_fail_db(out, db);
		goto out;
	}
	if (q.members != NULL && db_queue_set_members(db, out->company,
	    out->id, q.members) < 0) {
		op_fail_db(out, db);
		goto out;
	}
	queue_out(db, scope, out->id, create ? 201 : 200, out);
out:
	queue_rows_free(res);
	queue_input_free(&q);
}

void
op_queue_delete(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct queue_rows	*res;

	(void)a;
	if ((res = db_queue_get(db, scope, in->id)) == NULL)
		return op_fail_db(out, db);
	if (res->n == 0) {
		queue_rows_free(res);
		return op_fail(out, 404, "not_found", "no such queue");
	}
	strlcpy_(out->id, res->v[0].id, sizeof out->id);
	strlcpy_(out->company, res->v[0].company, sizeof out->company);
	queue_rows_free(res);
	/* Out of the engine first, so that no call enters it meanwhile;
	 * op_queue_applied() puts it back if the delete does not commit. */
	if (hub_queue_drop(out->id) != 0)
		return op_fail(out, 409, "conflict",
		    "calls are waiting in this queue");
	if (db_queue_delete(db, scope, out->id) < 0)
		return op_fail_db(out, db);
	out->status = 204;
}

void
op_queue_applied(struct db *db, const struct op_out *out)
{
	/* The engine mirrors the row, or drops nothing when it is gone. */
	hub_queue_sync(db, out->id);
}
