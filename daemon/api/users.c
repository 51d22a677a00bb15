/*
 * /api/users. Admins manage everyone; managers the managers and agents of
 * their own company; agents see only themselves. The router has already
 * set req->scope; every query takes it.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-user.h"
#include "validate.h"
#include "password.h"
#include "revoke.h"
#include "audit.h"

struct user_input {
	char		 email[256];
	const char	*name;
	const char	*role;
	const char	*company;
	const char	*password;
	char		*hash;		/* malloc'd */
	int		 has_email;
};

static const char *const user_fields[] = {
	"email", "name", "role", "company_id", "password", NULL,
};

/* Parse and validate a create (all required) or update body. */
static int
user_input(struct hctx *h, int create, struct user_input *in)
{
	json_t		*b = h->req->body;
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
		password_policy(in->password, in->has_email ? in->email : NULL, &f);
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	return 0;
}

static int
user_conflict(struct hctx *h)
{
	if (h->db->err == DB_UNIQUE)
		return resp_problem(h->resp, 409, "email_taken",
		    "a user with this e-mail address already exists");
	if (h->db->err == DB_FOREIGN) {
		struct fields f;

		fields_init(&f);
		fields_add(&f, "company_id", "no such company");
		return resp_invalid(h->resp, &f);
	}
	return db_fail(h->db, h->resp);
}

/* The roles a user can have, most powerful last. */
static const char *
role_label(int i)
{
	return role_name((enum role)(ROLE_AGENT + i));
}

static int
user_list(struct hctx *h, const char *scope, struct user_filter *uf)
{
	struct page		 pg;
	struct user_rows	*rows;
	const struct user_row	*last;
	json_t			*items;
	char			*q = query_get(h->req->query, "q"), *qe = NULL;
	int			 r, rc = -1;

	if (query_enum(h->req, h->resp, "role", role_label, ROLE_ADMIN,
	    &r) < 0 || page_parse(h->req, h->resp, &pg) != 0)
		goto out;
	uf->role = r < 0 ? NULL : role_label(r);
	uf->q = q;
	/* The address part of the search folds as addresses are stored. */
	if (q != NULL) {
		qe = xmalloc(strlen(q) * 2 + 1);
		if (email_normalize(q, qe, strlen(q) * 2 + 1) != 0)
			strlcpy_(qe, q, strlen(q) * 2 + 1);
		uf->q_email = qe;
	}
	if ((rows = db_user_list(h->db, scope, uf, &pg)) == NULL) {
		db_fail(h->db, h->resp);
		goto out;
	}
	items = json_array();
	for (r = 0; r < rows->n && r < pg.limit; r++)
		json_array_append_new(items, user_json(&rows->v[r]));
	last = rows->n > pg.limit ? &rows->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	user_rows_free(rows);
	rc = 0;
out:
	free(q);
	free(qe);
	return rc;
}

int
users_list(struct hctx *h)
{
	struct user_filter	 uf = { 0 };
	char			*company = query_get(h->req->query, "company_id");
	int			 rc;

	if (company != NULL && !is_uuid(company)) {
		free(company);
		return resp_problem(h->resp, 400, "bad_request",
		    "company_id must be a UUID");
	}
	uf.company = company;
	if (h->req->who.role == ROLE_AGENT)
		uf.self = h->req->who.user_id;
	rc = user_list(h, h->req->scope, &uf);
	free(company);
	return rc;
}

int
users_list_company(struct hctx *h)
{
	struct user_filter	 uf = { 0 };

	return user_list(h, h->req->params[0], &uf);
}

int
users_get(struct hctx *h)
{
	const char		*id = h->req->params[0];
	struct user_rows	*u;

	if (h->req->who.role == ROLE_AGENT && strcmp(id, h->req->who.user_id) != 0)
		return resp_problem(h->resp, 404, "not_found", "no such user");
	if ((u = db_user_get(h->db, h->req->scope, id)) == NULL)
		return db_fail(h->db, h->resp);
	if (u->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such user");
	else
		resp_json(h->resp, 200, user_json(&u->v[0]));
	user_rows_free(u);
	return 0;
}

int
users_create(struct hctx *h)
{
	struct user_input	 in;
	const char		*company, *name;
	struct user_rows	*u = NULL;
	char			*local = NULL;
	int			 admin;

	if (user_input(h, 1, &in) != 0)
		return -1;
	admin = strcmp(in.role, "admin") == 0;
	if (h->req->scope != NULL) {
		if (admin)
			return resp_problem(h->resp, 403, "forbidden",
			    "only admins create admins");
		if (in.company != NULL && strcmp(in.company, h->req->scope) != 0)
			return resp_problem(h->resp, 404, "not_found",
			    "no such company");
		company = h->req->scope;
	} else
		company = in.company;
	if (admin != (company == NULL)) {
		struct fields f;

		fields_init(&f);
		fields_add(&f, "company_id", admin ? "admins belong to no"
		    " company" : "is required for managers and agents");
		return resp_invalid(h->resp, &f);
	}
	if ((name = in.name) == NULL)
		name = local = xstrndup(in.email, strcspn(in.email, "@"));
	if ((in.hash = password_hash(in.password)) == NULL) {
		free(local);
		return resp_problem(h->resp, 500, "internal",
		    "cannot hash the password");
	}
	if (db_begin(h->db) != 0)
		goto fail;
	if ((u = db_user_create(h->db, company, in.email, name, in.role,
	    in.hash)) == NULL)
		goto fail;
	if (audit(h->db, h->req, company, "create", "user", u->v[0].id,
	    json_pack("{s:s,s:s}", "email", in.email, "role", in.role)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	resp_json(h->resp, 201, user_json(&u->v[0]));
	h->resp->location = xasprintf("/api/users/%s", u->v[0].id);
	user_rows_free(u);
	free(in.hash);
	free(local);
	return 0;
fail:
	user_rows_free(u);
	db_rollback(h->db);
	free(in.hash);
	free(local);
	return user_conflict(h);
}

int
users_update(struct hctx *h)
{
	struct user_input	 in;
	const char		*id = h->req->params[0];
	struct user_rows	*u = NULL, *cur;
	int			 was_admin;

	if (user_input(h, 0, &in) != 0)
		return -1;
	if (in.company != NULL) {
		struct fields f;

		fields_init(&f);
		fields_add(&f, "company_id", "users cannot move between"
		    " companies");
		return resp_invalid(h->resp, &f);
	}
	if ((cur = db_user_get(h->db, h->req->scope, id)) == NULL)
		return db_fail(h->db, h->resp);
	if (cur->n == 0) {
		user_rows_free(cur);
		return resp_problem(h->resp, 404, "not_found", "no such user");
	}
	was_admin = strcmp(cur->v[0].role, "admin") == 0;
	user_rows_free(cur);
	if (in.role != NULL && (strcmp(in.role, "admin") == 0) != was_admin)
		return resp_problem(h->resp, 409, "conflict", "a user cannot"
		    " become or stop being an admin; create a new user instead");
	if (in.password != NULL && (in.hash = password_hash(in.password)) == NULL)
		return resp_problem(h->resp, 500, "internal",
		    "cannot hash the password");
	if (db_begin(h->db) != 0)
		goto fail;
	u = db_user_update(h->db, h->req->scope, id,
	    in.has_email ? in.email : NULL, in.name, in.role, in.hash);
	if (u == NULL)
		goto fail;
	if (u->n == 0) {
		user_rows_free(u);
		db_rollback(h->db);
		free(in.hash);
		return resp_problem(h->resp, 404, "not_found", "no such user");
	}
	/* A new password or role ends the user's sessions. */
	if ((in.hash != NULL || in.role != NULL) &&
	    revoke_user_sessions(h->db, id, NULL) != 0)
		goto fail;
	json_object_del(h->req->body, "password");
	if (audit(h->db, h->req, u->v[0].company[0] ? u->v[0].company : NULL,
	    "update", "user", id, json_deep_copy(h->req->body)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	resp_json(h->resp, 200, user_json(&u->v[0]));
	user_rows_free(u);
	free(in.hash);
	return 0;
fail:
	user_rows_free(u);
	db_rollback(h->db);
	free(in.hash);
	return user_conflict(h);
}

int
users_delete(struct hctx *h)
{
	const char		*id = h->req->params[0];
	struct user_rows	*u = NULL;
	int			 admins;

	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((admins = db_user_lock_admins(h->db)) < 0 ||
	    (u = db_user_get(h->db, h->req->scope, id)) == NULL)
		goto fail;
	if (u->n == 0) {
		user_rows_free(u);
		db_rollback(h->db);
		return resp_problem(h->resp, 404, "not_found", "no such user");
	}
	if (strcmp(u->v[0].role, "admin") == 0 && admins <= 1) {
		user_rows_free(u);
		db_rollback(h->db);
		return resp_problem(h->resp, 409, "last_admin",
		    "the last admin cannot be deleted");
	}
	user_rows_free(u);
	u = NULL;
	/* Revoke first: the sessions go with the user row. */
	if (revoke_user_sessions(h->db, id, NULL) != 0 ||
	    (u = db_user_delete(h->db, h->req->scope, id)) == NULL)
		goto fail;
	if (audit(h->db, h->req, u->v[0].company[0] ? u->v[0].company : NULL,
	    "delete", "user", id, json_pack("{s:s}", "email",
	    u->v[0].email)) != 0 || db_commit(h->db) != 0)
		goto fail;
	user_rows_free(u);
	resp_empty(h->resp);
	return 0;
fail:
	user_rows_free(u);
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}
