/*
 * Settings (op-settings.h): each scope's table of known keys, the merge
 * patch a PUT is (RFC 7396: keys given are set, null resets a key to its
 * default, keys not given are kept; unknown keys and bad values are 422
 * naming the key), the JSON of every key's effective value, and the
 * entries system_settings.update and company_settings.update (OPTX_ADMIN:
 * the dispatcher holds the transaction and writes the audit log).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-settings.h"
#include "validate.h"
#include "op.h"
#include "op-int.h"
#include "op-settings.h"

enum setting_type {
	SETTING_BOOL,
	SETTING_INT,
	SETTING_CHOICE,
	SETTING_TIMEZONE,
	SETTING_LANGUAGE,
	SETTING_TEXT,		/* a string of min to max characters */
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

static const char *const recording_modes[] = { "off", "on", "on-demand",
	NULL };

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
	{ "recording", SETTING_CHOICE, 0, 0, recording_modes, "\"off\"" },
	{ "recording_announcement", SETTING_TEXT, 1, 500, NULL, "null" },
	{ "recording_retention_days", SETTING_INT, 1, 36500, NULL, "null" },
	{ "supervision_announce", SETTING_BOOL, 0, 0, NULL, "false" },
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
	case SETTING_TEXT:
		if (s != NULL && strlen(s) >= (size_t)k->min &&
		    strlen(s) <= (size_t)k->max)
			return 0;
		fields_add(f, k->name, "must be text of %lld to %lld"
		    " bytes", k->min, k->max);
		return -1;
	}
	return -1;
}

static const struct {
	const struct setting_key	*keys;
	size_t				 n;
} scopes[] = {
	[SETTINGS_SYSTEM] = { system_keys, NKEYS(system_keys) },
	[SETTINGS_COMPANY] = { company_keys, NKEYS(company_keys) },
	[SETTINGS_USER] = { user_keys, NKEYS(user_keys) },
};

int
op_settings_patch(enum settings_scope scope, json_t *body, json_t **set,
    json_t **unset, struct fields *f)
{
	const struct setting_key	*keys = scopes[scope].keys;
	size_t				 n = scopes[scope].n, i;
	const char			*name;
	json_t				*v;

	*set = json_object();
	*unset = json_array();
	json_object_foreach(body, name, v) {
		for (i = 0; i < n && strcmp(keys[i].name, name) != 0; i++)
			;
		if (i == n)
			fields_add(f, name, "is not a known setting");
		else if (json_is_null(v))
			json_array_append_new(*unset, json_string(name));
		else if (setting_check(&keys[i], v, f) == 0)
			json_object_set(*set, name, v);
	}
	if (fields_any(f)) {
		json_decref(*set);
		json_decref(*unset);
		*set = *unset = NULL;
		return -1;
	}
	return 0;
}

/* A stored settings object (JSON text, NULL: none): {} unless an object. */
json_t *
op_settings_stored(const char *text)
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

json_t *
op_settings_system_json(const struct settings_row *row)
{
	json_t	*have = op_settings_stored(row->system), *out;

	out = effective(system_keys, NKEYS(system_keys), have, NULL);
	json_decref(have);
	return out;
}

/* A company's settings from its row. */
json_t *
op_settings_company_json(const struct settings_row *row)
{
	json_t	*sys = op_settings_system_json(row), *have, *inherit, *out;

	have = op_settings_stored(row->own);
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

json_t *
op_settings_user_json(const struct settings_row *row)
{
	json_t	*have = op_settings_stored(row->own), *out;

	out = effective(user_keys, NKEYS(user_keys), have, NULL);
	json_decref(have);
	return out;
}

json_t *
op_settings_themes_json(void)
{
	json_t	*items = json_array();

	for (size_t i = 0; i < NKEYS(themes); i++)
		json_array_append_new(items, json_pack("{s:s,s:s}", "id",
		    themes[i].id, "name", themes[i].name));
	return json_pack("{s:o,s:n}", "items", items, "next_cursor");
}

json_t *
op_settings_languages_json(void)
{
	json_t	*items = json_array();

	for (size_t i = 0; i < NKEYS(languages); i++)
		json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "code",
		    languages[i].code, "name", languages[i].name, "native_name",
		    languages[i].native));
	return json_pack("{s:o,s:n}", "items", items, "next_cursor");
}

/* The body as a patch of scope: 0, or -1 with out a 422. */
static int
patch_of(enum settings_scope scope, json_t *body, json_t **set,
    json_t **unset, struct op_out *out)
{
	struct fields	 f;

	fields_init(&f);
	if (op_settings_patch(scope, body, set, unset, &f) != 0) {
		op_fail_fields(out, &f);
		fields_free(&f);
		return -1;
	}
	fields_free(&f);
	return 0;
}

/* PUT /api/settings/system (admins: the route's least role). */
void
op_settings_system_put(struct db *db, const struct actor *a,
    const char *scope, const struct op_in *in, struct op_out *out)
{
	struct settings_row	 row = { 0 };
	json_t			*set, *unset;
	char			*s1, *s2;

	(void)a;
	(void)scope;
	if (patch_of(SETTINGS_SYSTEM, in->body, &set, &unset, out) != 0)
		return;
	s1 = json_dumps(set, JSON_COMPACT);
	s2 = json_dumps(unset, JSON_COMPACT);
	if (db_settings_system_put(db, s1, s2, &row) < 0)
		op_fail_db(out, db);
	else {
		out->status = 200;
		out->obj = op_settings_system_json(&row);
	}
	settings_row_free(&row);
	json_decref(set);
	json_decref(unset);
	free(s1);
	free(s2);
}

/* PUT /api/settings/company/:companyId, in the actor's own company. */
void
op_settings_company_put(struct db *db, const struct actor *a,
    const char *scope, const struct op_in *in, struct op_out *out)
{
	struct settings_row	 row = { 0 };
	json_t			*set, *unset;
	char			*s1, *s2, *tz = NULL;

	(void)a;
	if (scope != NULL && strcmp(scope, in->id) != 0)
		return op_fail(out, 404, "not_found", "no such company");
	if (patch_of(SETTINGS_COMPANY, in->body, &set, &unset, out) != 0)
		return;
	/* The time zone lives in its column, not in the settings object. */
	if (json_object_get(set, "timezone") != NULL) {
		tz = xstrdup(json_string_value(json_object_get(set, "timezone")));
		json_object_del(set, "timezone");
	}
	s1 = json_dumps(set, JSON_COMPACT);
	s2 = json_dumps(unset, JSON_COMPACT);
	switch (db_settings_company_put(db, in->id, s1, s2, tz, &row)) {
	case -1:
		op_fail_db(out, db);
		break;
	case 0:
		op_fail(out, 404, "not_found", "no such company");
		break;
	default:
		strlcpy_(out->id, in->id, sizeof out->id);
		strlcpy_(out->company, in->id, sizeof out->company);
		out->status = 200;
		out->obj = op_settings_company_json(&row);
	}
	settings_row_free(&row);
	json_decref(set);
	json_decref(unset);
	free(s1);
	free(s2);
	free(tz);
}
