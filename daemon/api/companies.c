/* /api/companies: admins see every company, everyone else their own;
 * changes are operations (op/op-company.c). */
#include <stdlib.h>

#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-company.h"
#include "validate.h"
#include "op.h"

int
companies_list(struct hctx *h)
{
	struct page			 pg;
	struct company_rows		*rows;
	const struct company_row	*last;
	json_t				*items;
	char				*q = query_get(h->req->query, "q");

	if (page_parse(h->req, h->resp, &pg) != 0) {
		free(q);
		return -1;
	}
	rows = db_company_list(h->db, h->req->scope, q, &pg);
	free(q);
	if (rows == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int i = 0; i < rows->n && i < pg.limit; i++)
		json_array_append_new(items, company_json(&rows->v[i]));
	last = rows->n > pg.limit ? &rows->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	company_rows_free(rows);
	return 0;
}

int
companies_get(struct hctx *h)
{
	struct company_rows	*c;

	if ((c = db_company_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (c->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such company");
	else
		resp_json(h->resp, 200, company_json(&c->v[0]));
	company_rows_free(c);
	return 0;
}

/* Creates, updates and deletes are entries of the operations table
 * (op/op-company.c). */
int
companies_create(struct hctx *h)
{
	return rest_admin(h, OP_COMPANY_CREATE);
}

int
companies_update(struct hctx *h)
{
	return rest_admin(h, OP_COMPANY_UPDATE);
}

int
companies_delete(struct hctx *h)
{
	return rest_admin(h, OP_COMPANY_DELETE);
}
