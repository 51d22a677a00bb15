/*
 * Agents' configuration: agent.create, agent.update and agent.delete
 * (op.h, OPTX_ADMIN). The input type and its limits live here once; the
 * dispatcher holds the transaction and writes the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-agent.h"
#include "db-user.h"
#include "validate.h"
#include "events.h"
#include "hub.h"
#include "op.h"
#include "op-int.h"

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

/* The body into in: 0, or -1 with out a 422 naming every field at fault. */
static int
agent_input(json_t *b, int create, struct agent_input *in, struct op_out *out)
{
	json_t		*skills;
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
		in->skills = NULL;
		op_fail_fields(out, &f);
		return -1;
	}
	fields_free(&f);
	return 0;
}

/* The agent in a (freed here) as the answer, 404 without one. */
static void
agent_out(struct db *db, struct agent_rows *a, int status, struct op_out *out)
{
	if (a == NULL)
		return op_fail_db(out, db);
	if (a->n == 0)
		op_fail(out, 404, "not_found", "no such agent");
	else {
		out->status = status;
		out->obj = agent_json(&a->v[0]);
		strlcpy_(out->id, a->v[0].id, sizeof out->id);
		strlcpy_(out->company, a->v[0].company, sizeof out->company);
	}
	agent_rows_free(a);
}

void
op_agent_create(struct db *db, const struct actor *act, const char *scope,
    const struct op_in *op, struct op_out *out)
{
	struct agent_input	 in;
	struct agent_rows	*a = NULL;
	struct user_rows	*u;
	char			*company = NULL;

	if (agent_input(op->body, 1, &in, out) != 0)
		return;
	if (scope != NULL)
		company = xstrdup(scope);
	else if ((u = db_user_get(db, NULL, in.user)) != NULL) {
		/* An admin: the agent joins the user's company. */
		if (u->n == 1 && u->v[0].company[0] != '\0')
			company = xstrdup(u->v[0].company);
		user_rows_free(u);
	} else {
		free(in.skills);
		return op_fail_db(out, db);
	}
	if (company != NULL && (a = db_agent_create(db, company, in.user,
	    in.name, in.extension, in.skills, in.has_max ? in.max_calls :
	    NULL, in.endpoint, in.address)) == NULL) {
		free(company);
		free(in.skills);
		if (db->err == DB_UNIQUE)
			return op_fail(out, 409, "conflict",
			    "this user is already an agent");
		return op_fail_db(out, db);
	}
	free(company);
	free(in.skills);
	if (a == NULL || a->n == 0) {
		if (a != NULL)
			agent_rows_free(a);
		out->field = "user_id";
		return op_fail(out, 422, "validation_failed", "no agent or"
		    " manager with this id in the company");
	}
	agent_out(db, a, 201, out);
}

void
op_agent_update(struct db *db, const struct actor *act, const char *scope,
    const struct op_in *op, struct op_out *out)
{
	struct agent_input	 in;
	struct agent_rows	*a;

	if (agent_input(op->body, 0, &in, out) != 0)
		return;
	/* A phone endpoint needs an address: given now or stored before. */
	if (in.endpoint != NULL && strcmp(in.endpoint, "phone") == 0 &&
	    in.address == NULL) {
		if ((a = db_agent_get(db, scope, op->id)) == NULL) {
			free(in.skills);
			return op_fail_db(out, db);
		}
		if (a->n == 1 && a->v[0].address == NULL) {
			agent_rows_free(a);
			free(in.skills);
			out->field = "endpoint_address";
			return op_fail(out, 422, "validation_failed", "is required"
			    " for a phone endpoint");
		}
		agent_rows_free(a);
	}
	a = db_agent_update(db, scope, op->id, in.name, in.extension,
	    in.skills, in.has_max ? in.max_calls : NULL, in.endpoint,
	    in.address);
	free(in.skills);
	agent_out(db, a, 200, out);
}

void
op_agent_delete(struct db *db, const struct actor *act, const char *scope,
    const struct op_in *op, struct op_out *out)
{
	struct agent_rows	*a;

	if ((a = db_agent_get(db, scope, op->id)) == NULL)
		return op_fail_db(out, db);
	if (a->n == 0) {
		agent_rows_free(a);
		return op_fail(out, 404, "not_found", "no such agent");
	}
	strlcpy_(out->id, a->v[0].id, sizeof out->id);
	strlcpy_(out->company, a->v[0].company, sizeof out->company);
	agent_rows_free(a);
	/* Out of the engine first, so that no call is offered to it
	 * meanwhile; op_agent_applied() puts it back if the delete does not
	 * commit. */
	if (hub_agent_drop(out->id) != 0)
		return op_fail(out, 409, "conflict",
		    "the agent is on a call; end it first");
	if ((a = db_agent_delete(db, scope, out->id)) == NULL)
		return op_fail_db(out, db);
	agent_rows_free(a);
	out->status = 204;
}

void
op_agent_applied(struct db *db, const struct op_out *out)
{
	/* The engine mirrors the row (none when it is gone). */
	hub_agent_sync(db, out->id);
}

void
op_agent_deleted(struct db *db, const struct op_out *out)
{
	if (out->status < 400)
		events_publish(out->company, "agent.deleted",
		    json_pack("{s:s}", "agent_id", out->id));
	else
		hub_agent_sync(db, out->id);
}
