/*
 * /api/users. Admins see everyone; managers the managers and agents of
 * their own company; agents only themselves. The router has already set
 * req->scope; every query takes it. Changes are operations (op/op-user.c).
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-user.h"
#include "validate.h"
#include "op.h"

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

/* Creates, updates and deletes are entries of the operations table
 * (op/op-user.c). */
int
users_create(struct hctx *h)
{
	return rest_admin(h, OP_USER_CREATE);
}

int
users_update(struct hctx *h)
{
	return rest_admin(h, OP_USER_UPDATE);
}

int
users_delete(struct hctx *h)
{
	return rest_admin(h, OP_USER_DELETE);
}
