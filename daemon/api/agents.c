/*
 * /api/agents. Everyone in a company sees its agents; managers create and
 * change them; an agent sets its own availability, a manager anyone's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-agent.h"
#include "db-user.h"
#include "validate.h"
#include "events.h"
#include "hub.h"
#include "op.h"
#include "audit.h"

static const char *const agent_fields[] = {
	"user_id", "name", "extension", "skills", "max_calls", "endpoint",
	"endpoint_address", NULL,
};

/* Where an agent takes calls (the agent_endpoint type of sql/017). */
static const char *const endpoints[] = { "browser", "phone", NULL };

struct agent_input {
	const char	*user, *name, *extension;
	char		*skills;	/* JSON text, malloc'd */
	char		 max_calls[16];
	int		 has_max;
	const char	*endpoint;	/* browser, phone; NULL: unchanged */
	const char	*address;	/* endpoint_address; NULL: unchanged */
};

/* An E.164 number: + and 2-15 digits, the first not 0. */
static int
is_e164(const char *s)
{
	size_t	 n;

	if (s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (n = 1; s[n] != '\0'; n++) {
		if (s[n] < '0' || s[n] > '9')
			return 0;
	}
	return n >= 3 && n <= 16;
}

/* A SIP URI Twilio's <Sip> takes: sip:user@host, printable, no quotes or
 * angle brackets (it goes into TwiML escaped, but never needs them). */
static int
is_sip_uri(const char *s)
{
	const char	*at;

	if (strncmp(s, "sip:", 4) != 0 && strncmp(s, "sips:", 5) != 0)
		return 0;
	if ((at = strchr(s, '@')) == NULL || at == strchr(s, ':') + 1 ||
	    at[1] == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s <= ' ' || *s == 0x7f || strchr("<>\"'", *s) != NULL)
			return 0;
	}
	return 1;
}

/* endpoint and endpoint_address of a body into in; errors into f. */
static void
endpoint_input(json_t *b, struct fields *f, struct agent_input *in)
{
	size_t	 i;

	if (field_string(b, "endpoint", 0, 16, f, &in->endpoint) == 1) {
		for (i = 0; endpoints[i] != NULL; i++) {
			if (strcmp(in->endpoint, endpoints[i]) == 0)
				break;
		}
		if (endpoints[i] == NULL)
			fields_add(f, "endpoint", "must be browser or phone");
	}
	if (field_string(b, "endpoint_address", 0, 256, f, &in->address) != 1)
		return;
	if (!is_e164(in->address) && !is_sip_uri(in->address))
		fields_add(f, "endpoint_address", "must be an E.164 number"
		    " (+15551234567) or a sip: URI (sip:user@host)");
	else if (in->endpoint != NULL && strcmp(in->endpoint, "browser") == 0)
		fields_add(f, "endpoint_address", "only a phone endpoint has"
		    " an address");
}

static int
agent_input(struct hctx *h, int create, struct agent_input *in)
{
	json_t		*b = h->req->body, *skills;
	struct fields	 f;
	long long	 max;

	memset(in, 0, sizeof *in);
	fields_init(&f);
	fields_only(b, agent_fields, &f);
	if (create) {
		if (field_string(b, "user_id", 1, 36, &f, &in->user) == 1 &&
		    !is_uuid(in->user))
			fields_add(&f, "user_id", "must be a UUID");
	} else if (json_object_get(b, "user_id") != NULL)
		fields_add(&f, "user_id", "cannot change");
	field_string(b, "name", 0, 100, &f, &in->name);
	field_string(b, "extension", 0, 32, &f, &in->extension);
	if (field_skills(b, "skills", &f, &skills) == 1)
		in->skills = json_dumps(skills, JSON_COMPACT);
	if (field_int(b, "max_calls", 1, 10, &f, &max) == 1) {
		snprintf(in->max_calls, sizeof in->max_calls, "%lld", max);
		in->has_max = 1;
	}
	endpoint_input(b, &f, in);
	if (create && in->endpoint != NULL && strcmp(in->endpoint, "phone") == 0 &&
	    in->address == NULL)
		fields_add(&f, "endpoint_address", "is required for a phone"
		    " endpoint");
	if (fields_any(&f)) {
		free(in->skills);
		return resp_invalid(h->resp, &f);
	}
	fields_free(&f);
	return 0;
}

/* Answer with the agent in a (freed here), 404 without one. */
static int
answer_row(struct hctx *h, struct agent_rows *a, int status)
{
	if (a == NULL)
		return db_fail(h->db, h->resp);
	if (a->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such agent");
	else
		resp_json(h->resp, status, agent_json(&a->v[0]));
	agent_rows_free(a);
	return 0;
}

static const char *
state_label(int i)
{
	return agent_state_name((enum agent_state)i);
}

static int
agent_list(struct hctx *h, const char *scope)
{
	struct page		 pg;
	struct agent_rows	*rows;
	const struct agent_row	*last;
	json_t			*items;
	int			 st;

	if (query_enum(h->req, h->resp, "state", state_label,
	    AGENT_STATE_COUNT, &st) < 0 || page_parse(h->req, h->resp, &pg) != 0)
		return -1;
	rows = db_agent_list(h->db, scope, st < 0 ? NULL : state_label(st), &pg);
	if (rows == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int i = 0; i < rows->n && i < pg.limit; i++)
		json_array_append_new(items, agent_json(&rows->v[i]));
	last = rows->n > pg.limit ? &rows->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	agent_rows_free(rows);
	return 0;
}

int
agents_list(struct hctx *h)
{
	return agent_list(h, h->req->scope);
}

int
agents_list_company(struct hctx *h)
{
	return agent_list(h, h->req->params[0]);
}

int
agents_get(struct hctx *h)
{
	return answer_row(h, db_agent_get(h->db, h->req->scope,
	    h->req->params[0]), 200);
}

int
agents_create(struct hctx *h)
{
	struct agent_input	 in;
	struct agent_rows	*a = NULL;
	struct user_rows	*u;
	char			*company = NULL;
	struct fields		 f;

	if (agent_input(h, 1, &in) != 0)
		return -1;
	if (h->req->scope != NULL)
		company = xstrdup(h->req->scope);
	else if ((u = db_user_get(h->db, NULL, in.user)) != NULL) {
		/* An admin: the agent joins the user's company. */
		if (u->n == 1 && u->v[0].company[0] != '\0')
			company = xstrdup(u->v[0].company);
		user_rows_free(u);
	} else {
		free(in.skills);
		return db_fail(h->db, h->resp);
	}
	if (company != NULL && (a = db_agent_create(h->db, company, in.user,
	    in.name, in.extension, in.skills, in.has_max ? in.max_calls :
	    NULL, in.endpoint, in.address)) == NULL) {
		free(company);
		free(in.skills);
		if (h->db->err == DB_UNIQUE)
			return resp_problem(h->resp, 409, "conflict",
			    "this user is already an agent");
		return db_fail(h->db, h->resp);
	}
	free(company);
	free(in.skills);
	if (a == NULL || a->n == 0) {
		agent_rows_free(a);
		fields_init(&f);
		fields_add(&f, "user_id", "no agent or manager with this id in"
		    " the company");
		return resp_invalid(h->resp, &f);
	}
	hub_agent_sync(h->db, a->v[0].id);
	audit(h->db, h->req, a->v[0].company, "create", "agent", a->v[0].id,
	    NULL);
	h->resp->location = xasprintf("/api/agents/%s", a->v[0].id);
	return answer_row(h, a, 201);
}

int
agents_update(struct hctx *h)
{
	struct agent_input	 in;
	struct agent_rows	*a;
	struct fields		 f;

	if (agent_input(h, 0, &in) != 0)
		return -1;
	/* A phone endpoint needs an address: given now or stored before. */
	if (in.endpoint != NULL && strcmp(in.endpoint, "phone") == 0 &&
	    in.address == NULL) {
		if ((a = db_agent_get(h->db, h->req->scope,
		    h->req->params[0])) == NULL) {
			free(in.skills);
			return db_fail(h->db, h->resp);
		}
		if (a->n == 1 && a->v[0].address == NULL) {
			agent_rows_free(a);
			free(in.skills);
			fields_init(&f);
			fields_add(&f, "endpoint_address", "is required for a"
			    " phone endpoint");
			return resp_invalid(h->resp, &f);
		}
		agent_rows_free(a);
	}
	a = db_agent_update(h->db, h->req->scope, h->req->params[0],
	    in.name, in.extension, in.skills, in.has_max ? in.max_calls : NULL,
	    in.endpoint, in.address);
	free(in.skills);
	if (a != NULL && a->n == 1) {
		hub_agent_sync(h->db, h->req->params[0]);
		audit(h->db, h->req, a->v[0].company, "update", "agent",
		    h->req->params[0], json_deep_copy(h->req->body));
	}
	return answer_row(h, a, 200);
}

int
agents_delete(struct hctx *h)
{
	struct agent_rows	*a;

	if ((a = db_agent_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (a->n == 0) {
		agent_rows_free(a);
		return resp_problem(h->resp, 404, "not_found", "no such agent");
	}
	agent_rows_free(a);
	if (hub_agent_drop(h->req->params[0]) != 0)
		return resp_problem(h->resp, 409, "conflict",
		    "the agent is on a call; end it first");
	if ((a = db_agent_delete(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	audit(h->db, h->req, a->n ? a->v[0].company : NULL, "delete", "agent",
	    h->req->params[0], NULL);
	if (a->n == 1)
		events_publish(a->v[0].company, "agent.deleted",
		    json_pack("{s:s}", "agent_id", h->req->params[0]));
	agent_rows_free(a);
	resp_empty(h->resp);
	return 0;
}

int
agents_availability(struct hctx *h)
{
	struct op_in	 in = { .agent = h->req->params[0] };

	return rest_op(h, OP_AGENT_STATE, &in);
}

/* GET /api/agents/today: calls each agent answered today (the wallboard). */
int
agents_today(struct hctx *h)
{
	struct agent_today_rows	*t;
	json_t			*items;

	if ((t = db_agent_today(h->db, h->req->scope)) == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int r = 0; r < t->n; r++)
		json_array_append_new(items, json_pack("{s:s,s:i,s:f}",
		    "agent_id", t->v[r].agent, "handled", t->v[r].handled,
		    "talk_seconds", t->v[r].talk));
	agent_today_free(t);
	resp_json(h->resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}
