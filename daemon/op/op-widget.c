/*
 * What a company's website widget needs (docs/ws.md): widget_key.create,
 * rotate and delete, widget_origins.update (op.h, OPTX_ADMIN). A key is
 * public (embedded in the company's pages) and answered as any field is;
 * the audit log still never records one. The dispatcher holds the
 * transaction and writes the audit log.
 */
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "db-widget.h"
#include "validate.h"
#include "ws-check.h"
#include "op.h"
#include "op-int.h"

#define MAX_KEYS	20
#define MAX_ORIGINS	50

/* "wk_" and 40 hex digits (160 random bits). */
static void
new_key(char out[44])
{
	unsigned char	 b[20];

	if (getrandom(b, sizeof b, 0) != sizeof b)
		fatal("widget: no random bytes");
	memcpy(out, "wk_", 3);
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", b[i]);
}

/* The company named by the route (in->id), seen from scope: 0, or -1 with
 * out a 404. */
static int
widget_company(const char *scope, const struct op_in *in, struct op_out *out)
{
	if (scope != NULL && strcmp(scope, in->id) != 0) {
		op_fail(out, 404, "not_found", "no such company");
		return -1;
	}
	strlcpy_(out->company, in->id, sizeof out->company);
	return 0;
}

/* The key written (rows, which this frees), answered with status. */
static void
widget_key_out(struct widget_keys *rows, int status, const char *none,
    struct op_out *out)
{
	if (rows->n == 0)
		op_fail(out, 404, "not_found", "%s", none);
	else {
		strlcpy_(out->id, rows->v[0].id, sizeof out->id);
		out->status = status;
		out->obj = widget_key_json(&rows->v[0]);
	}
	widget_keys_free(rows);
}

/* The body is {name?} only, so the audit detail is the body. */
void
op_widget_key_create(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	static const char *const keys[] = { "name", NULL };
	json_t			*b = in->body;
	struct fields		 f;
	const char		*name = NULL;
	char			 key[44];
	struct widget_keys	*rows;
	int			 n;

	(void)a;
	if (widget_company(scope, in, out) != 0)
		return;
	fields_init(&f);
	if (b != NULL) {
		fields_only(b, keys, &f);
		field_string(b, "name", 0, 100, &f, &name);
	}
	if (fields_any(&f))
		return op_fail_fields(out, &f);
	fields_free(&f);
	if ((rows = db_widget_list(db, in->id)) == NULL)
		return op_fail_db(out, db);
	n = rows->n;
	widget_keys_free(rows);
	if (n >= MAX_KEYS)
		return op_fail(out, 409, "conflict", "a company has at most %d"
		    " widget keys; delete or rotate one", MAX_KEYS);
	new_key(key);
	if ((rows = db_widget_create(db, in->id, key, name)) == NULL)
		return op_fail_db(out, db);
	widget_key_out(rows, 201, "no such company", out);
}

/* The key in->sub of the company in->id gets a new value at once. */
void
op_widget_key_rotate(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	char			 key[44];
	struct widget_keys	*rows;

	(void)a;
	if (widget_company(scope, in, out) != 0)
		return;
	new_key(key);
	if ((rows = db_widget_rotate(db, in->id, in->sub, key)) == NULL)
		return op_fail_db(out, db);
	widget_key_out(rows, 200, "no such widget key", out);
	/* Whatever the body held: the key is never recorded. */
	if (out->status < 400)
		out->audit = json_object();
}

void
op_widget_key_delete(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	int	 n;

	(void)a;
	if (widget_company(scope, in, out) != 0)
		return;
	if ((n = db_widget_delete(db, in->id, in->sub)) < 0)
		return op_fail_db(out, db);
	if (n == 0)
		return op_fail(out, 404, "not_found", "no such widget key");
	strlcpy_(out->id, in->sub, sizeof out->id);
	out->status = 204;
}

/* The company's whole list of allowed origins; the audit detail is the
 * body ({origins}). */
void
op_widget_origins_update(struct db *db, const struct actor *a,
    const char *scope, const struct op_in *in, struct op_out *out)
{
	static const char *const keys[] = { "origins", NULL };
	json_t		*b = in->body, *list, *v, *o;
	struct fields	 f;
	size_t		 i;
	char		*text;
	int		 n;

	(void)a;
	if (widget_company(scope, in, out) != 0)
		return;
	fields_init(&f);
	fields_only(b, keys, &f);
	list = json_object_get(b, "origins");
	if (!json_is_array(list) || json_array_size(list) > MAX_ORIGINS)
		fields_add(&f, "origins", "must be a list of at most %d origins",
		    MAX_ORIGINS);
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || !ws_check_origin(json_string_value(v))) {
			fields_add(&f, "origins", "each must be an origin like"
			    " https://www.example.com (lower case, no path)");
			break;
		}
	}
	if (fields_any(&f))
		return op_fail_fields(out, &f);
	fields_free(&f);
	text = json_dumps(list, JSON_COMPACT);
	n = db_widget_origins_set(db, in->id, text, &o);
	free(text);
	if (n < 0)
		return op_fail_db(out, db);
	if (n == 0)
		return op_fail(out, 404, "not_found", "no such company");
	strlcpy_(out->id, in->id, sizeof out->id);
	out->status = 200;
	out->obj = json_pack("{s:o}", "origins", o);
}
