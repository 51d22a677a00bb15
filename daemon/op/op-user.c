/*
 * Users: user.create, user.update and user.delete (op.h, OPTX_ADMIN).
 * Admins manage everyone; managers the managers and agents of their own
 * company. A new password or role, or a deletion, revokes the user's
 * sessions in the same transaction; applied() makes this node refuse them
 * once it committed. Passwords never reach the audit log: each entry sets
 * its detail.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-user.h"
#include "db-agent.h"
#include "db-session.h"
#include "validate.h"
#include "password.h"
#include "revoke.h"
#include "hub.h"
#include "events.h"
#include "op.h"
#include "op-int.h"

struct user_input {
	char		 email[256];
	const char	*name;
	const char	*role;
	const char	*company;
	const char	*password;
	int		 has_email;
};

static const char *const user_fields[] = {
	"email", "name", "role", "company_id", "password", NULL,
};

/* The body of a create (all required) or an update into in: 0, or -1 with
 * out a 422 naming every field at fault. */
static int
user_input(json_t *b, int create, struct user_input *in, struct op_out *out)
{
	struct fields	 f;
	const char	*email;
	enum role	 role;

	memset(in, 0, sizeof *in);
	fields_init(&f);
	fields_only(b, user_fields, &f);
	if (field_string(b, "email", create, 254, &f, &email) == 1 &&
	    field_email(email, in->email, sizeof in->email, &f) == 0)
		in->has_email = 1;
	field_string(b, "name", 0, 100, &f, &in->name);
	if (field_string(b, "role", create, 16, &f, &in->role) == 1 &&
	    role_parse(in->role, &role) != 0)
		fields_add(&f, "role", "must be one of admin, manager, agent");
	if (field_string(b, "company_id", 0, 36, &f, &in->company) == 1 &&
	    !is_uuid(in->company))
		fields_add(&f, "company_id", "must be a UUID");
	if (field_string(b, "password", create, 1024, &f, &in->password) == 1)
		password_policy(in->password, in->has_email ? in->email : NULL,
		    &f);
	if (fields_any(&f)) {
		op_fail_fields(out, &f);
		return -1;
	}
	fields_free(&f);
	return 0;
}

/* A write the database refused. */
static void
user_conflict(struct db *db, struct op_out *out)
{
	if (db->err == DB_UNIQUE)
		op_fail(out, 409, "email_taken",
		    "a user with this e-mail address already exists");
	else if (db->err == DB_FOREIGN) {
		out->field = "company_id";
		op_fail(out, 422, "validation_failed", "no such company");
	} else
		op_fail_db(out, db);
}

/* The user as the API shows it, its id and company for the audit row. */
static void
user_out(const struct user_row *u, int status, struct op_out *out)
{
	strlcpy_(out->id, u->id, sizeof out->id);
	strlcpy_(out->company, u->company, sizeof out->company);
	out->obj = user_json(u);
	out->status = status;
}

void
op_user_create(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct user_input	 u;
	struct user_rows	*res;
	const char		*company, *name;
	char			*local = NULL, *hash;
	int			 admin;

	(void)a;
	if (user_input(in->body, 1, &u, out) != 0)
		return;
	admin = strcmp(u.role, "admin") == 0;
	if (scope != NULL) {
		if (admin)
			return op_fail(out, 403, "forbidden",
			    "only admins create admins");
		if (u.company != NULL && strcmp(u.company, scope) != 0)
			return op_fail(out, 404, "not_found",
			    "no such company");
		company = scope;
	} else
		company = u.company;
	if (admin != (company == NULL)) {
		out->field = "company_id";
		return op_fail(out, 422, "validation_failed", admin ?
		    "admins belong to no company" :
		    "is required for managers and agents");
	}
	if ((name = u.name) == NULL)
		name = local = xstrndup(u.email, strcspn(u.email, "@"));
	if ((hash = password_hash(u.password)) == NULL) {
		free(local);
		return op_fail(out, 500, "internal",
		    "cannot hash the password");
	}
	if ((res = db_user_create(db, company, u.email, name, u.role,
	    hash)) == NULL)
		user_conflict(db, out);
	else {
		user_out(&res->v[0], 201, out);
		/* The detail: no password. */
		out->audit = json_pack("{s:s,s:s}", "email", u.email, "role",
		    u.role);
	}
	user_rows_free(res);
	free(hash);
	free(local);
}

void
op_user_update(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct user_input	 u;
	struct user_rows	*res;
	char			*hash = NULL;
	int			 was_admin;

	(void)a;
	if (user_input(in->body, 0, &u, out) != 0)
		return;
	if (u.company != NULL) {
		out->field = "company_id";
		return op_fail(out, 422, "validation_failed",
		    "users cannot move between companies");
	}
	if ((res = db_user_get(db, scope, in->id)) == NULL)
		return op_fail_db(out, db);
	if (res->n == 0) {
		user_rows_free(res);
		return op_fail(out, 404, "not_found", "no such user");
	}
	was_admin = strcmp(res->v[0].role, "admin") == 0;
	user_rows_free(res);
	if (u.role != NULL && (strcmp(u.role, "admin") == 0) != was_admin)
		return op_fail(out, 409, "conflict", "a user cannot become or"
		    " stop being an admin; create a new user instead");
	if (u.password != NULL && (hash = password_hash(u.password)) == NULL)
		return op_fail(out, 500, "internal",
		    "cannot hash the password");
	res = db_user_update(db, scope, in->id, u.has_email ? u.email : NULL,
	    u.name, u.role, hash);
	free(hash);
	if (res == NULL)
		return user_conflict(db, out);
	if (res->n == 0) {
		user_rows_free(res);
		return op_fail(out, 404, "not_found", "no such user");
	}
	user_out(&res->v[0], 200, out);
	user_rows_free(res);
	/* A new password or role ends the user's sessions. */
	if ((u.password != NULL || u.role != NULL) &&
	    (out->revoked = revoke_user_sessions_tx(db, out->id)) == NULL) {
		op_out_free(out);
		return op_fail_db(out, db);
	}
	/* The detail: the body without the password. */
	out->audit = json_copy(in->body);
	json_object_del(out->audit, "password");
}

void
op_user_delete(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct user_rows	*res;
	struct agent_rows	*ag;
	int			 admins;

	(void)a;
	if ((admins = db_user_lock_admins(db)) < 0 ||
	    (res = db_user_get(db, scope, in->id)) == NULL)
		return op_fail_db(out, db);
	if (res->n == 0) {
		user_rows_free(res);
		return op_fail(out, 404, "not_found", "no such user");
	}
	if (strcmp(res->v[0].role, "admin") == 0 && admins <= 1) {
		user_rows_free(res);
		return op_fail(out, 409, "last_admin",
		    "the last admin cannot be deleted");
	}
	user_rows_free(res);
	strlcpy_(out->id, in->id, sizeof out->id);
	/* Its agent record goes with it: out of the engine first, as
	 * agent.delete does (op_user_deleted() puts it back if the delete
	 * does not commit), and never while on a call. */
	if ((ag = db_agent_by_user(db, in->id)) == NULL)
		return op_fail_db(out, db);
	if (ag->n == 1)
		strlcpy_(out->related, ag->v[0].id, sizeof out->related);
	agent_rows_free(ag);
	if (out->related[0] != '\0' && hub_agent_drop(out->related) != 0)
		return op_fail(out, 409, "conflict", "the user is an agent on a"
		    " call; end it first");
	/* Revoke first: the sessions go with the user row. */
	if ((out->revoked = revoke_user_sessions_tx(db, in->id)) == NULL ||
	    (res = db_user_delete(db, scope, in->id)) == NULL)
		return op_fail_db(out, db);
	if (res->n == 0) {
		user_rows_free(res);
		return op_fail(out, 404, "not_found", "no such user");
	}
	strlcpy_(out->id, res->v[0].id, sizeof out->id);
	strlcpy_(out->company, res->v[0].company, sizeof out->company);
	out->audit = json_pack("{s:s}", "email", res->v[0].email);
	out->status = 204;
	user_rows_free(res);
}

void
op_revoked_applied(struct db *db, const struct op_out *out)
{
	(void)db;
	if (out->status < 400)
		revoke_committed(out->revoked);
}

void
op_user_deleted(struct db *db, const struct op_out *out)
{
	op_revoked_applied(db, out);
	if (out->related[0] == '\0')
		return;
	if (out->status < 400)
		events_publish(out->company, "agent.deleted",
		    json_pack("{s:s}", "agent_id", out->related));
	else
		hub_agent_sync(db, out->related);
}
