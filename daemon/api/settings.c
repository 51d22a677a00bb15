/*
 * /api/settings: system settings (admins), company settings (any member
 * reads, managers write), the signed-in user's preferences, and the lists
 * of themes and languages. The keys, their checks and their JSON are
 * op/op-settings.c's; the system's and a company's changes are entries of
 * the operations table (system_settings.update, company_settings.update).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-settings.h"
#include "validate.h"
#include "audit.h"
#include "op.h"
#include "op-settings.h"
#include "settings.h"

int
settings_registration_open(struct db *db)
{
	struct settings_row	 row;
	json_t			*sys;
	int			 open;

	if (db_settings_system(db, &row) < 0)
		return -1;
	sys = op_settings_system_json(&row);
	open = json_is_true(json_object_get(sys, "registration_open"));
	json_decref(sys);
	settings_row_free(&row);
	return open;
}

/* First of a, b, c that is a string. */
static json_t *
first_string(json_t *a, json_t *b, json_t *c)
{
	return json_is_string(a) ? a : json_is_string(b) ? b : c;
}

json_t *
settings_effective(const struct settings_row *row)
{
	json_t		*prefs, *sys, *co, *out, *tz = NULL;

	/* Three values: no document of every key is built. */
	prefs = op_settings_stored(row->own);
	sys = op_settings_stored(row->system);
	co = op_settings_stored(row->company);
	if (row->timezone != NULL)
		tz = json_string(row->timezone);
	out = json_pack("{s:O,s:O,s:O}",
	    "language", first_string(
	    op_settings_value(SETTINGS_USER, prefs, "language"),
	    json_object_get(co, "language"),
	    op_settings_value(SETTINGS_SYSTEM, sys, "default_language")),
	    "timezone", first_string(
	    op_settings_value(SETTINGS_USER, prefs, "timezone"), tz,
	    op_settings_value(SETTINGS_SYSTEM, sys, "default_timezone")),
	    "theme", op_settings_value(SETTINGS_USER, prefs, "theme"));
	json_decref(prefs);
	json_decref(sys);
	json_decref(co);
	json_decref(tz);
	return out;
}

int
settings_system_get(struct hctx *h)
{
	struct settings_row	 row;

	if (db_settings_system(h->db, &row) < 0)
		return db_fail(h->db, h->resp);
	resp_json(h->resp, 200, op_settings_system_json(&row));
	settings_row_free(&row);
	return 0;
}

/* The system's and a company's changes are entries (op/op-settings.c). */
int
settings_system_put(struct hctx *h)
{
	return rest_admin(h, OP_SYSTEM_SETTINGS_UPDATE);
}

int
settings_company_get(struct hctx *h)
{
	struct settings_row	 row;

	switch (db_settings_company(h->db, h->req->params[0], &row)) {
	case -1:
		return db_fail(h->db, h->resp);
	case 0:
		resp_problem(h->resp, 404, "not_found", "no such company");
		break;
	default:
		resp_json(h->resp, 200, op_settings_company_json(&row));
	}
	settings_row_free(&row);
	return 0;
}

int
settings_company_put(struct hctx *h)
{
	return rest_admin(h, OP_COMPANY_SETTINGS_UPDATE);
}

static int
no_preferences(struct hctx *h)
{
	return resp_problem(h->resp, 409, "conflict",
	    "the local administrator has no preferences; sign in as a user");
}

int
settings_prefs_get(struct hctx *h)
{
	struct settings_row	 row;

	if (h->req->who.local)
		return no_preferences(h);
	switch (db_settings_user(h->db, h->req->who.user_id, &row)) {
	case -1:
		return db_fail(h->db, h->resp);
	case 0:
		resp_problem(h->resp, 401, "unauthorized", "the user is gone");
		break;
	default:
		resp_json(h->resp, 200, op_settings_user_json(&row));
	}
	settings_row_free(&row);
	return 0;
}

/* A user's own preferences: their update and its audit row together. */
int
settings_prefs_put(struct hctx *h)
{
	struct settings_row	 row = { 0 };
	struct fields		 f;
	json_t			*set, *unset;
	char			*s1 = NULL, *s2 = NULL;
	const char		*me = h->req->who.user_id;
	int			 found;

	if (h->req->who.local)
		return no_preferences(h);
	fields_init(&f);
	if (op_settings_patch(SETTINGS_USER, h->req->body, &set, &unset,
	    &f) != 0)
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	s1 = json_dumps(set, JSON_COMPACT);
	s2 = json_dumps(unset, JSON_COMPACT);
	if (db_begin(h->db) != 0)
		goto fail;
	if ((found = db_settings_user_put(h->db, me, s1, s2, &row)) < 0)
		goto fail;
	if (found == 0) {
		db_rollback(h->db);
		resp_problem(h->resp, 401, "unauthorized", "the user is gone");
		goto out;
	}
	if (audit(h->db, h->req, h->req->scope, "update", "preferences", me,
	    json_deep_copy(h->req->body)) != 0 || db_commit(h->db) != 0)
		goto fail;
	resp_json(h->resp, 200, op_settings_user_json(&row));
	goto out;
fail:
	db_rollback(h->db);
	db_fail(h->db, h->resp);
out:
	settings_row_free(&row);
	json_decref(set);
	json_decref(unset);
	free(s1);
	free(s2);
	return 0;
}

int
settings_themes(struct hctx *h)
{
	resp_json(h->resp, 200, op_settings_themes_json());
	return 0;
}

int
settings_languages(struct hctx *h)
{
	resp_json(h->resp, 200, op_settings_languages_json());
	return 0;
}
