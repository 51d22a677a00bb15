/*
 * /api/settings: system settings (admins), company settings (any member
 * reads, managers write), the signed-in user's preferences, and the lists
 * of themes and languages. Each scope has one table of known keys; a GET
 * answers every key with its effective value, a PUT is a JSON merge patch
 * (RFC 7396): keys given are set, null resets a key to its default, keys
 * not given are kept. Unknown keys and bad values are 422 naming the key.
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
#include "settings.h"

enum setting_type {
	SETTING_BOOL,
	SETTING_INT,
	SETTING_CHOICE,
	SETTING_TIMEZONE,
	SETTING_LANGUAGE,
};

struct setting_key {
	const char		*name;
	enum setting_type	 type;
	long long		 min, max;
	const char *const	*choices;
	const char		*dflt;	/* JSON text; NULL: inherited */
};

static const struct {
	const char	*code, *name, *native;
} languages[] = {
	{ "ar", "Arabic", "العربية" },
	{ "da", "Danish", "Dansk" },
	{ "de", "German", "Deutsch" },
	{ "en", "English", "English" },
	{ "es", "Spanish", "Español" },
	{ "fi", "Finnish", "Suomi" },
	{ "fr", "French", "Français" },
	{ "it", "Italian", "Italiano" },
	{ "ja", "Japanese", "日本語" },
	{ "nb", "Norwegian Bokmål", "Norsk bokmål" },
	{ "nl", "Dutch", "Nederlands" },
	{ "pl", "Polish", "Polski" },
	{ "pt", "Portuguese", "Português" },
	{ "sv", "Swedish", "Svenska" },
	{ "tr", "Turkish", "Türkçe" },
	{ "zh", "Chinese", "中文" },
};

static const struct {
	const char	*id, *name;
} themes[] = {
	{ "system", "Follow the operating system" },
	{ "light", "Light" },
	{ "dark", "Dark" },
	{ "high_contrast", "High contrast" },
};
static const char *const theme_ids[] = { "system", "light", "dark",
	"high_contrast", NULL };

static const struct setting_key system_keys[] = {
	{ "registration_open", SETTING_BOOL, 0, 0, NULL, "true" },
	{ "default_language", SETTING_LANGUAGE, 0, 0, NULL, "\"en\"" },
	{ "default_timezone", SETTING_TIMEZONE, 0, 0, NULL, "\"UTC\"" },
};
static const struct setting_key company_keys[] = {
	{ "timezone", SETTING_TIMEZONE, 0, 0, NULL, NULL },
	{ "language", SETTING_LANGUAGE, 0, 0, NULL, NULL },
	{ "sl_threshold", SETTING_INT, 1, 3600, NULL, "20" },
	{ "sl_target", SETTING_INT, 1, 100, NULL, "80" },
	{ "wrap_up", SETTING_INT, 0, 3600, NULL, "10" },
	{ "ring_timeout", SETTING_INT, 1, 600, NULL, "15" },
};
static const struct setting_key user_keys[] = {
	{ "language", SETTING_LANGUAGE, 0, 0, NULL, "null" },
	{ "timezone", SETTING_TIMEZONE, 0, 0, NULL, "null" },
	{ "theme", SETTING_CHOICE, 0, 0, theme_ids, "\"system\"" },
	{ "notifications", SETTING_BOOL, 0, 0, NULL, "true" },
};
#define NKEYS(a)	(sizeof (a) / sizeof (a)[0])

static int
language_known(const char *code)
{
	for (size_t i = 0; i < NKEYS(languages); i++) {
		if (strcmp(languages[i].code, code) == 0)
			return 1;
	}
	return 0;
}

/* Add an error for key k unless v is a valid value. */
static int
setting_check(const struct setting_key *k, json_t *v, struct fields *f)
{
	const char	*s = json_string_value(v);
	char		 choices[256] = "";
	json_int_t	 n;

	for (size_t i = 0, len = 0; k->choices != NULL &&
	    k->choices[i] != NULL && len < sizeof choices; i++) {
		snprintf(choices + len, sizeof choices - len, "%s%s",
		    i > 0 ? ", " : "", k->choices[i]);
		len = strlen(choices);
	}
	switch (k->type) {
	case SETTING_BOOL:
		if (json_is_boolean(v))
			return 0;
		fields_add(f, k->name, "must be true or false");
		return -1;
	case SETTING_INT:
		n = json_integer_value(v);
		if (json_is_integer(v) && n >= k->min && n <= k->max)
			return 0;
		fields_add(f, k->name, "must be an integer from %lld to %lld",
		    k->min, k->max);
		return -1;
	case SETTING_CHOICE:
		for (size_t i = 0; s != NULL && k->choices[i] != NULL; i++) {
			if (strcmp(s, k->choices[i]) == 0)
				return 0;
		}
		fields_add(f, k->name, "must be one of %s", choices);
		return -1;
	case SETTING_TIMEZONE:
		if (s != NULL && valid_timezone(s))
			return 0;
		fields_add(f, k->name, "must be an IANA time zone such as"
		    " \"Europe/Berlin\"");
		return -1;
	case SETTING_LANGUAGE:
		if (s != NULL && language_known(s))
			return 0;
		fields_add(f, k->name, "must be a language code listed by"
		    " GET /api/settings/languages");
		return -1;
	}
	return -1;
}

/*
 * Split the request body into *set (an object) and *unset (an array of
 * keys given as null). -1 with a 422 on unknown keys or bad values.
 */
static int
settings_patch(struct hctx *h, const struct setting_key *keys, size_t n,
    json_t **set, json_t **unset)
{
	struct fields	 f;
	const char	*name;
	json_t		*v;
	size_t		 i;

	*set = json_object();
	*unset = json_array();
	fields_init(&f);
	json_object_foreach(h->req->body, name, v) {
		for (i = 0; i < n && strcmp(keys[i].name, name) != 0; i++)
			;
		if (i == n)
			fields_add(&f, name, "is not a known setting");
		else if (json_is_null(v))
			json_array_append_new(*unset, json_string(name));
		else if (setting_check(&keys[i], v, &f) == 0)
			json_object_set(*set, name, v);
	}
	if (fields_any(&f)) {
		json_decref(*set);
		json_decref(*unset);
		*set = *unset = NULL;
		return resp_invalid(h->resp, &f);
	}
	fields_free(&f);
	return 0;
}

/* A stored settings object (JSON text, NULL: none): {} unless an object. */
static json_t *
stored(const char *text)
{
	json_t	*o = NULL;

	if (text != NULL)
		o = json_loads(text, 0, NULL);
	return json_is_object(o) ? o : (json_decref(o), json_object());
}

/* Every key with its stored value, else its default, else inherit's. */
static json_t *
effective(const struct setting_key *keys, size_t n, json_t *have,
    json_t *inherit)
{
	json_t	*out = json_object(), *v;

	for (size_t i = 0; i < n; i++) {
		if ((v = json_object_get(have, keys[i].name)) != NULL)
			json_object_set(out, keys[i].name, v);
		else if (keys[i].dflt != NULL)
			json_object_set_new(out, keys[i].name,
			    json_loads(keys[i].dflt, JSON_DECODE_ANY, NULL));
		else if ((v = json_object_get(inherit, keys[i].name)) != NULL)
			json_object_set(out, keys[i].name, v);
		else
			json_object_set_new(out, keys[i].name, json_null());
	}
	return out;
}

static json_t *
system_json(const struct settings_row *row)
{
	json_t	*have = stored(row->system), *out;

	out = effective(system_keys, NKEYS(system_keys), have, NULL);
	json_decref(have);
	return out;
}

/* A company's settings from its row. */
static json_t *
company_json(const struct settings_row *row)
{
	json_t	*sys = system_json(row), *have, *inherit, *out;

	have = stored(row->own);
	inherit = json_pack("{s:O}", "language",
	    json_object_get(sys, "default_language"));
	out = effective(company_keys, NKEYS(company_keys), have, inherit);
	json_object_set_new(out, "timezone",
	    json_string(row->timezone != NULL ? row->timezone : ""));
	json_decref(sys);
	json_decref(have);
	json_decref(inherit);
	return out;
}

static json_t *
user_json_prefs(const struct settings_row *row)
{
	json_t	*have = stored(row->own), *out;

	out = effective(user_keys, NKEYS(user_keys), have, NULL);
	json_decref(have);
	return out;
}

int
settings_registration_open(struct db *db)
{
	struct settings_row	 row;
	json_t			*sys;
	int			 open;

	if (db_settings_system(db, &row) < 0)
		return -1;
	sys = system_json(&row);
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
settings_user_effective(struct db *db, const char *user)
{
	struct settings_row	 row;
	json_t			*prefs, *sys, *co = NULL, *out, *tz = NULL;

	if (db_settings_user(db, user, &row) <= 0)
		return NULL;
	prefs = user_json_prefs(&row);
	sys = system_json(&row);
	co = stored(row.company);
	if (row.timezone != NULL)
		tz = json_string(row.timezone);
	out = json_pack("{s:O,s:O,s:O}",
	    "language", first_string(json_object_get(prefs, "language"),
	    json_object_get(co, "language"),
	    json_object_get(sys, "default_language")),
	    "timezone", first_string(json_object_get(prefs, "timezone"), tz,
	    json_object_get(sys, "default_timezone")),
	    "theme", json_object_get(prefs, "theme"));
	json_decref(prefs);
	json_decref(sys);
	json_decref(co);
	json_decref(tz);
	settings_row_free(&row);
	return out;
}

int
settings_system_get(struct hctx *h)
{
	struct settings_row	 row;

	if (db_settings_system(h->db, &row) < 0)
		return db_fail(h->db, h->resp);
	resp_json(h->resp, 200, system_json(&row));
	settings_row_free(&row);
	return 0;
}

/* Run an update and its audit record in one transaction. */
#define PUT_BEGIN(h)	if (db_begin((h)->db) != 0) goto fail
#define PUT_END(h, company, what, id)					\
	if (audit((h)->db, (h)->req, company, "update", what, id,	\
	    json_deep_copy((h)->req->body)) != 0 || db_commit((h)->db) != 0) \
		goto fail

int
settings_system_put(struct hctx *h)
{
	struct settings_row	 row = { 0 };
	json_t			*set, *unset;
	char			*s1 = NULL, *s2 = NULL;

	if (settings_patch(h, system_keys, NKEYS(system_keys), &set, &unset) != 0)
		return -1;
	s1 = json_dumps(set, JSON_COMPACT);
	s2 = json_dumps(unset, JSON_COMPACT);
	PUT_BEGIN(h);
	if (db_settings_system_put(h->db, s1, s2, &row) < 0)
		goto fail;
	PUT_END(h, NULL, "system_settings", NULL);
	resp_json(h->resp, 200, system_json(&row));
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
		resp_json(h->resp, 200, company_json(&row));
	}
	settings_row_free(&row);
	return 0;
}

int
settings_company_put(struct hctx *h)
{
	struct settings_row	 row = { 0 };
	json_t			*set, *unset;
	char			*s1 = NULL, *s2 = NULL, *tz = NULL;
	const char		*co = h->req->params[0];
	int			 found;

	if (settings_patch(h, company_keys, NKEYS(company_keys), &set,
	    &unset) != 0)
		return -1;
	/* The time zone lives in its column, not in the settings object. */
	if (json_object_get(set, "timezone") != NULL) {
		tz = xstrdup(json_string_value(json_object_get(set, "timezone")));
		json_object_del(set, "timezone");
	}
	s1 = json_dumps(set, JSON_COMPACT);
	s2 = json_dumps(unset, JSON_COMPACT);
	PUT_BEGIN(h);
	if ((found = db_settings_company_put(h->db, co, s1, s2, tz, &row)) < 0)
		goto fail;
	if (found == 0) {
		db_rollback(h->db);
		resp_problem(h->resp, 404, "not_found", "no such company");
		goto out;
	}
	PUT_END(h, co, "company_settings", co);
	resp_json(h->resp, 200, company_json(&row));
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
	free(tz);
	return 0;
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
		resp_json(h->resp, 200, user_json_prefs(&row));
	}
	settings_row_free(&row);
	return 0;
}

int
settings_prefs_put(struct hctx *h)
{
	struct settings_row	 row = { 0 };
	json_t			*set, *unset;
	char			*s1 = NULL, *s2 = NULL;
	const char		*me = h->req->who.user_id;
	int			 found;

	if (h->req->who.local)
		return no_preferences(h);
	if (settings_patch(h, user_keys, NKEYS(user_keys), &set, &unset) != 0)
		return -1;
	s1 = json_dumps(set, JSON_COMPACT);
	s2 = json_dumps(unset, JSON_COMPACT);
	PUT_BEGIN(h);
	if ((found = db_settings_user_put(h->db, me, s1, s2, &row)) < 0)
		goto fail;
	if (found == 0) {
		db_rollback(h->db);
		resp_problem(h->resp, 401, "unauthorized", "the user is gone");
		goto out;
	}
	PUT_END(h, h->req->scope, "preferences", me);
	resp_json(h->resp, 200, user_json_prefs(&row));
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
	json_t	*items = json_array();

	for (size_t i = 0; i < NKEYS(themes); i++)
		json_array_append_new(items, json_pack("{s:s,s:s}", "id",
		    themes[i].id, "name", themes[i].name));
	resp_json(h->resp, 200, json_pack("{s:o,s:n}", "items", items,
	    "next_cursor"));
	return 0;
}

int
settings_languages(struct hctx *h)
{
	json_t	*items = json_array();

	for (size_t i = 0; i < NKEYS(languages); i++)
		json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "code",
		    languages[i].code, "name", languages[i].name, "native_name",
		    languages[i].native));
	resp_json(h->resp, 200, json_pack("{s:o,s:n}", "items", items,
	    "next_cursor"));
	return 0;
}
