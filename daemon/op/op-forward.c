/*
 * Forwarding live operations and reads to the company's owner; see
 * op-forward.h. The wire format is JSON between nodes of one version.
 */
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "db-agent.h"
#include "db-queue.h"
#include "owner.h"
#include "peer.h"
#include "op.h"
#include "op-int.h"
#include "op-forward.h"

/* Set while this thread runs a forwarded operation: it is not sent on. */
static __thread int	 serving;

/* The strings of struct op_in a forwarded operation carries. */
static const struct {
	const char	*name;
	size_t		 off;
} in_strs[] = {
	{ "call", offsetof(struct op_in, call) },
	{ "agent", offsetof(struct op_in, agent) },
	{ "queue", offsetof(struct op_in, queue) },
	{ "reason", offsetof(struct op_in, reason) },
	{ "disposition", offsetof(struct op_in, disposition) },
	{ "notes", offsetof(struct op_in, notes) },
	{ "company", offsetof(struct op_in, company) },
	{ "flow", offsetof(struct op_in, flow) },
	{ "number", offsetof(struct op_in, number) },
	{ "name", offsetof(struct op_in, name) },
	{ "media", offsetof(struct op_in, media) },
	{ "key", offsetof(struct op_in, key) },
	{ "queue_ref", offsetof(struct op_in, queue_ref) },
	{ "id", offsetof(struct op_in, id) },
	{ "sub", offsetof(struct op_in, sub) },
	{ "mode", offsetof(struct op_in, mode) },
	{ "phone", offsetof(struct op_in, phone) },
	{ "input_digits", offsetof(struct op_in, input.digits) },
	{ "input_body", offsetof(struct op_in, input.body) },
	{ "input_recording", offsetof(struct op_in, input.recording) },
};

/* ... its integers (enums as their numbers: nodes run one version). */
static const struct {
	const char	*name;
	size_t		 off;
} in_ints[] = {
	{ "state", offsetof(struct op_in, state) },
	{ "ivr", offsetof(struct op_in, ivr) },
	{ "has_priority", offsetof(struct op_in, has_priority) },
	{ "priority", offsetof(struct op_in, priority) },
	{ "keep_refused", offsetof(struct op_in, keep_refused) },
	{ "input_type", offsetof(struct op_in, input.type) },
	{ "input_status", offsetof(struct op_in, input.status) },
	{ "input_queue", offsetof(struct op_in, input.queue) },
};

/* ... and its JSON values. */
static const struct {
	const char	*name;
	size_t		 off;
} in_jsons[] = {
	{ "data", offsetof(struct op_in, data) },
	{ "skills", offsetof(struct op_in, skills) },
	{ "tags", offsetof(struct op_in, tags) },
	{ "body", offsetof(struct op_in, body) },
};

#define N(a)	(sizeof (a) / sizeof (a)[0])
#define AT(p, off, type)	((type *)(void *)((char *)(p) + (off)))

static const char *const actor_kinds[] = { "user", "caller", "system" };

/*
 * An answer's code, field and state point at strings that live as long as
 * the process: the few distinct ones the peers send are kept here.
 */
static pthread_mutex_t	 words_lock = PTHREAD_MUTEX_INITIALIZER;
static char		*words[256];
static size_t		 nwords;

static const char *
word(const char *s, const char *dflt)
{
	const char	*w = dflt;

	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&words_lock);
	for (size_t i = 0; i < nwords; i++) {
		if (strcmp(words[i], s) == 0) {
			w = words[i];
			goto out;
		}
	}
	if (nwords < N(words))
		w = words[nwords++] = xstrdup(s);
out:
	pthread_mutex_unlock(&words_lock);
	return w;
}

static void
moving(struct op_out *out)
{
	op_fail(out, 503, "unavailable", "the company's live state is moving"
	    " between nodes; try again shortly");
}

/* ---- the sender ---------------------------------------------------------- */

static json_t *
request_json(const struct op_def *d, const struct actor *a,
    const char *company, const struct op_in *in)
{
	json_t	*act, *i = json_object();

	act = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?}",
	    "kind", actor_kinds[a->kind], "role", role_name(a->role),
	    "user", a->user, "company", a->company, "call", a->call,
	    "ip", a->ip);
	for (size_t k = 0; k < N(in_strs); k++) {
		const char *s = *AT(in, in_strs[k].off, const char *const);

		if (s != NULL)
			json_object_set_new(i, in_strs[k].name, json_string(s));
	}
	if (in->input.body != NULL)
		json_object_set_new(i, "input_body", json_stringn(in->input.body,
		    in->input.body_len));
	for (size_t k = 0; k < N(in_ints); k++) {
		int v = *AT(in, in_ints[k].off, const int);

		if (v != 0)
			json_object_set_new(i, in_ints[k].name, json_integer(v));
	}
	for (size_t k = 0; k < N(in_jsons); k++) {
		json_t *v = *AT(in, in_jsons[k].off, json_t *const);

		if (v != NULL)
			json_object_set(i, in_jsons[k].name, v);
	}
	return json_pack("{s:s,s:o,s:s,s:o}", "op", d->name, "actor", act,
	    "company", company, "in", i);
}

/* The owner's answer into out; -1 if it is not one. */
static int
answer_out(const char *body, struct op_out *out)
{
	json_t		*o, *v;
	const char	*s;

	if ((o = json_loads(body, 0, NULL)) == NULL || !json_is_object(o) ||
	    !json_is_integer(json_object_get(o, "status"))) {
		json_decref(o);
		return -1;
	}
	out->status = (int)json_integer_value(json_object_get(o, "status"));
	out->code = word(json_string_value(json_object_get(o, "code")),
	    "internal");
	if ((s = json_string_value(json_object_get(o, "detail"))) != NULL)
		strlcpy_(out->detail, s, sizeof out->detail);
	out->field = word(json_string_value(json_object_get(o, "field")),
	    NULL);
	out->state = word(json_string_value(json_object_get(o, "state")),
	    NULL);
	if ((v = json_object_get(o, "errors")) != NULL && !json_is_null(v))
		out->errors = json_incref(v);
	if ((v = json_object_get(o, "obj")) != NULL && !json_is_null(v))
		out->obj = json_incref(v);
	if ((s = json_string_value(json_object_get(o, "id"))) != NULL)
		strlcpy_(out->id, s, sizeof out->id);
	if ((s = json_string_value(json_object_get(o, "company"))) != NULL)
		strlcpy_(out->company, s, sizeof out->company);
	json_decref(o);
	return 0;
}

/* POST path with body to peer p: 0 with an answer (r), -1 none. */
static int
post(const struct owner_peer *p, const char *path, json_t *body,
    struct peer_result *r)
{
	char	*s = json_dumps(body, JSON_COMPACT), *url;
	int	 rc;

	url = xasprintf("%s%s", p->url, path);
	rc = peer_post(url, owner_self(), s, strlen(s), r);
	if (rc != 0)
		log_warn("op: %s%s: %s", p->url, path, r->error);
	free(url);
	free(s);
	return rc;
}

/* Send the operation to p: 0 answered into out, 1 worth one retry (not
 * sent, or the owner answered 503), -1 failed with out filled. */
static int
send_op(const struct owner_peer *p, json_t *req, struct op_out *out)
{
	struct peer_result	 r;
	int			 rc = 0;

	if (post(p, "/internal/op", req, &r) != 0) {
		if (r.err == PEER_CONNECT)
			rc = 1;
		else
			rc = -1;
		op_fail(out, 503, "unavailable", "the company's owner did not"
		    " answer; try again shortly");
		goto out;
	}
	if (answer_out(r.body, out) != 0) {
		log_warn("op: %s/internal/op answered %ld without an answer",
		    p->url, r.status);
		op_fail(out, 503, "unavailable", "the company's owner did not"
		    " answer; try again shortly");
		rc = -1;
		goto out;
	}
	if (out->status == 503)
		rc = 1;
out:
	free(r.body);
	return rc;
}

/* The company whose owner must run admin entry d (its object's), or
 * "": none (run here: the entry answers 404 or needs no owner). */
static void
admin_company(struct db *db, const struct op_def *d, const struct actor *a,
    const struct op_in *in, char company[UUID_LEN + 1])
{
	struct queue_rows	*q;
	struct agent_rows	*ag = NULL;

	company[0] = '\0';
	if (in->id == NULL)
		return;
	switch (d->owner) {
	case OWN_QUEUE:
		if ((q = db_queue_get(db, a->company, in->id)) != NULL &&
		    q->n == 1)
			strlcpy_(company, q->v[0].company, UUID_LEN + 1);
		queue_rows_free(q);
		return;
	case OWN_AGENT:
		ag = db_agent_get(db, a->company, in->id);
		break;
	case OWN_USER:
		ag = db_agent_by_user(db, in->id);
		break;
	default:
		return;
	}
	if (ag != NULL && ag->n == 1 && (a->company == NULL ||
	    strcmp(a->company, ag->v[0].company) == 0))
		strlcpy_(company, ag->v[0].company, UUID_LEN + 1);
	agent_rows_free(ag);
}

int
op_forward(struct db *db, const struct op_def *d, const struct actor *a,
    const char *company, const struct op_in *in, struct op_out *out)
{
	struct owner_peer	 p, tried;
	enum owner_kind		 k;
	char			 co[UUID_LEN + 1];
	json_t			*req;
	int			 rc;

	if (!owner_clustered())
		return 0;
	if (company == NULL) {
		admin_company(db, d, a, in, co);
		if (co[0] == '\0')
			return 0;
		company = co;
	}
	if ((k = owner_of(company, &p)) == OWNER_NONE)
		k = owner_wait(company, owner_wait_secs(), &p);
	if (k == OWNER_SELF)
		return 0;
	if (k == OWNER_NONE || serving)
		return moving(out), 1;
	req = request_json(d, a, company, in);
	for (int tries = 0; ; tries++) {
		if ((rc = send_op(&p, req, out)) <= 0 || tries == 1)
			break;
		/* Not sent, or the owner was no longer it: once more, to
		 * whoever owns the company now. */
		tried = p;
		if ((k = owner_wait(company, owner_wait_secs(), &p)) ==
		    OWNER_SELF) {
			op_out_free(out);
			memset(out, 0, sizeof *out);
			json_decref(req);
			return 0;
		}
		if (k != OWNER_PEER || strcmp(p.node, tried.node) == 0)
			break;
		op_out_free(out);
		memset(out, 0, sizeof *out);
	}
	json_decref(req);
	return 1;
}

/* ---- the owner ----------------------------------------------------------- */

static json_t *
out_json(const struct op_out *out)
{
	json_t	*o = json_pack("{s:i}", "status", out->status);

	if (out->status >= 400) {
		json_object_set_new(o, "code", json_string(out->code != NULL ?
		    out->code : "internal"));
		json_object_set_new(o, "detail", json_string(out->detail));
	}
	if (out->field != NULL)
		json_object_set_new(o, "field", json_string(out->field));
	if (out->state != NULL)
		json_object_set_new(o, "state", json_string(out->state));
	if (out->errors != NULL)
		json_object_set(o, "errors", out->errors);
	if (out->obj != NULL)
		json_object_set(o, "obj", out->obj);
	if (out->id[0] != '\0')
		json_object_set_new(o, "id", json_string(out->id));
	if (out->company[0] != '\0')
		json_object_set_new(o, "company", json_string(out->company));
	return o;
}

static int
bad(json_t **answer, const char *detail)
{
	*answer = json_pack("{s:i,s:s,s:s}", "status", 400, "code",
	    "bad_request", "detail", detail);
	return 400;
}

int
op_forward_serve(struct db *db, json_t *body, json_t **answer)
{
	const struct op_def	*d = NULL;
	struct actor		 a = { 0 };
	struct op_in		 in = { 0 };
	struct op_out		 out;
	json_t			*act, *i, *v;
	const char		*name, *kind, *role, *company;
	size_t			 k;
	int			 status;

	name = json_string_value(json_object_get(body, "op"));
	company = json_string_value(json_object_get(body, "company"));
	act = json_object_get(body, "actor");
	i = json_object_get(body, "in");
	for (k = 0; name != NULL && k < OP__COUNT; k++) {
		if (strcmp(ops[k].name, name) == 0)
			d = &ops[k];
	}
	if (d == NULL || company == NULL || !json_is_object(act) ||
	    !json_is_object(i))
		return bad(answer, "not a forwarded operation");
	kind = json_string_value(json_object_get(act, "kind"));
	role = json_string_value(json_object_get(act, "role"));
	for (k = 0; kind != NULL && k < N(actor_kinds); k++) {
		if (strcmp(actor_kinds[k], kind) == 0)
			break;
	}
	/* A caller or the daemon has no role: "none" (role_name()). */
	if (kind == NULL || k == N(actor_kinds) || role == NULL)
		return bad(answer, "the actor is not one");
	if (strcmp(role, role_name(ROLE_NONE)) == 0)
		a.role = ROLE_NONE;
	else if (role_parse(role, &a.role) != 0)
		return bad(answer, "the actor is not one");
	a.kind = (enum actor_kind)k;
	a.user = json_string_value(json_object_get(act, "user"));
	a.company = json_string_value(json_object_get(act, "company"));
	a.call = json_string_value(json_object_get(act, "call"));
	a.ip = json_string_value(json_object_get(act, "ip"));
	for (k = 0; k < N(in_strs); k++)
		*AT(&in, in_strs[k].off, const char *) =
		    json_string_value(json_object_get(i, in_strs[k].name));
	if (in.input.body != NULL)
		in.input.body_len = json_string_length(json_object_get(i,
		    "input_body"));
	for (k = 0; k < N(in_ints); k++)
		*AT(&in, in_ints[k].off, int) = (int)json_integer_value(
		    json_object_get(i, in_ints[k].name));
	for (k = 0; k < N(in_jsons); k++) {
		v = json_object_get(i, in_jsons[k].name);
		*AT(&in, in_jsons[k].off, json_t *) = v;
	}
	/* The sender checked the owner a moment ago: not here, no work. */
	if (owner_of(company, NULL) == OWNER_PEER) {
		memset(&out, 0, sizeof out);
		moving(&out);
	} else {
		serving = 1;
		op_run(db, d->id, &a, &in, &out);
		serving = 0;
	}
	*answer = out_json(&out);
	status = out.status >= 400 ? out.status : 200;
	op_out_free(&out);
	return status;
}

/* ---- live reads ---------------------------------------------------------- */

static int
is_waiting(const struct call_row *c)
{
	return c->state == CALL_QUEUED || c->state == CALL_OFFERING;
}

/* Ask p for the positions of the n calls of company in idx. */
static void
positions_of(const struct owner_peer *p, const char *company,
    const struct call_row *const *rows, const size_t *idx, size_t n,
    struct hub_position *out)
{
	struct peer_result	 r;
	json_t			*calls = json_array(), *req, *res = NULL, *v;
	size_t			 i;

	for (i = 0; i < n; i++)
		json_array_append_new(calls, json_string(rows[idx[i]]->id));
	req = json_pack("{s:s,s:s,s:o}", "kind", "positions", "company",
	    company, "calls", calls);
	if (post(p, "/internal/read", req, &r) == 0 && r.status == 200)
		res = json_loads(r.body, 0, NULL);
	json_array_foreach(json_object_get(res, "positions"), i, v) {
		if (i >= n || !json_is_true(json_object_get(v, "known")))
			continue;
		out[idx[i]].known = 1;
		out[idx[i]].position = (int)json_integer_value(
		    json_object_get(v, "position"));
		out[idx[i]].ewt = (int)json_integer_value(
		    json_object_get(v, "ewt"));
	}
	json_decref(res);
	json_decref(req);
	free(r.body);
}

void
op_positions(const struct call_row *const *rows, size_t n,
    struct hub_position *out)
{
	const char		**cos = xcalloc(n + 1, sizeof *cos);
	const char		**ids = xcalloc(n + 1, sizeof *ids);
	size_t			*idx = xcalloc(n + 1, sizeof *idx), m;
	unsigned char		*done = xcalloc(n + 1, 1);
	struct owner_peer	 p;

	for (size_t i = 0; i < n; i++) {
		cos[i] = rows[i]->company;
		ids[i] = rows[i]->id;
	}
	hub_positions(cos, ids, n, out);
	/* What this node does not know of calls that wait: their owner's,
	 * one request per company. */
	for (size_t i = 0; i < n && owner_clustered() && !serving; i++) {
		if (done[i] || out[i].known || !is_waiting(rows[i]) ||
		    owner_of(rows[i]->company, &p) != OWNER_PEER)
			continue;
		m = 0;
		for (size_t j = i; j < n; j++) {
			if (!done[j] && !out[j].known && is_waiting(rows[j]) &&
			    strcmp(rows[j]->company, rows[i]->company) == 0) {
				idx[m++] = j;
				done[j] = 1;
			}
		}
		positions_of(&p, rows[i]->company, rows, idx, m, out);
	}
	free(cos);
	free(ids);
	free(idx);
	free(done);
}

int
op_position(const char *company, const char *call, int *position, int *ewt)
{
	struct call_row		 row = { .id = call, .company = company,
				    .state = CALL_QUEUED };
	const struct call_row	*rows[1] = { &row };
	struct hub_position	 p = { 0 };

	op_positions(rows, 1, &p);
	if (!p.known)
		return -1;
	*position = p.position;
	*ewt = p.ewt;
	return 0;
}

int
op_queue_stats(const char *company, const char *queue,
    struct acd_queue_stats *st)
{
	struct owner_peer	 p;
	struct peer_result	 r;
	json_t			*req, *res = NULL, *v;
	size_t			 i;
	int			 rc = -1;

	if (!owner_clustered() || serving ||
	    owner_of(company, &p) != OWNER_PEER)
		return hub_queue_stats(company, queue, st);
	req = json_pack("{s:s,s:s,s:s}", "kind", "queue_stats", "company",
	    company, "queue", queue);
	if (post(&p, "/internal/read", req, &r) == 0 && r.status == 200)
		res = json_loads(r.body, 0, NULL);
	if (json_is_true(json_object_get(res, "known"))) {
		st->waiting = (int)json_integer_value(json_object_get(res,
		    "waiting"));
		st->offering = (int)json_integer_value(json_object_get(res,
		    "offering"));
		st->longest_wait = json_number_value(json_object_get(res,
		    "longest_wait"));
		json_array_foreach(json_object_get(res, "agents"), i, v) {
			if (i < AGENT_STATE_COUNT)
				st->agents[i] = (int)json_integer_value(v);
		}
		rc = 0;
	}
	json_decref(res);
	json_decref(req);
	free(r.body);
	return rc;
}

int
op_forward_read(json_t *body, json_t **answer)
{
	const char		*kind, *company, *queue;
	const char		**cos, **ids;
	struct hub_position	*pos;
	struct acd_queue_stats	 st;
	json_t			*calls, *list, *agents;
	size_t			 n;

	kind = json_string_value(json_object_get(body, "kind"));
	company = json_string_value(json_object_get(body, "company"));
	if (kind != NULL && company != NULL && strcmp(kind, "positions") == 0 &&
	    json_is_array(calls = json_object_get(body, "calls"))) {
		n = json_array_size(calls);
		cos = xcalloc(n + 1, sizeof *cos);
		ids = xcalloc(n + 1, sizeof *ids);
		pos = xcalloc(n + 1, sizeof *pos);
		for (size_t i = 0; i < n; i++) {
			cos[i] = company;
			ids[i] = json_string_value(json_array_get(calls, i));
			if (ids[i] == NULL)
				ids[i] = "";
		}
		hub_positions(cos, ids, n, pos);
		list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, json_pack("{s:b,s:i,s:i}",
			    "known", pos[i].known, "position", pos[i].position,
			    "ewt", pos[i].ewt));
		free(cos);
		free(ids);
		free(pos);
		*answer = json_pack("{s:o}", "positions", list);
		return 200;
	}
	queue = json_string_value(json_object_get(body, "queue"));
	if (kind != NULL && company != NULL && queue != NULL &&
	    strcmp(kind, "queue_stats") == 0) {
		memset(&st, 0, sizeof st);
		if (hub_queue_stats(company, queue, &st) != 0) {
			*answer = json_pack("{s:b}", "known", 0);
			return 200;
		}
		agents = json_array();
		for (int i = 0; i < AGENT_STATE_COUNT; i++)
			json_array_append_new(agents, json_integer(st.agents[i]));
		*answer = json_pack("{s:b,s:i,s:i,s:f,s:o}", "known", 1,
		    "waiting", st.waiting, "offering", st.offering,
		    "longest_wait", st.longest_wait, "agents", agents);
		return 200;
	}
	return bad(answer, "not a live read");
}
