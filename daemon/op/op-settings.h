/*
 * Settings at three scopes (system, company, user preferences): one table
 * of known keys per scope with type, range or choices and default, and
 * the JSON every route shows of them (op-settings.c). The system's and a
 * company's changes are entries (system_settings.update,
 * company_settings.update); the reads and a user's own preferences are
 * api/settings.c's.
 */
#ifndef OP_SETTINGS_H
#define OP_SETTINGS_H

#include <jansson.h>

struct settings_row;
struct fields;

enum settings_scope {
	SETTINGS_SYSTEM,
	SETTINGS_COMPANY,
	SETTINGS_USER,
};

/*
 * Split a merge patch (RFC 7396) into *set (an object) and *unset (an
 * array of the keys given as null). -1 with f naming every unknown key
 * and bad value, and *set, *unset NULL.
 */
int	 op_settings_patch(enum settings_scope, json_t *body, json_t **set,
	    json_t **unset, struct fields *f);
/*
 * A stored settings object (JSON text, NULL: none): {} unless an object.
 * Shared with other requests: read it, never change it.
 */
json_t	*op_settings_stored(const char *text);
/* One key of a scope: have's (a stored object), else its default, else
 * null. Borrowed. */
json_t	*op_settings_value(enum settings_scope, json_t *have, const char *name);
/* Every key of the scope with its effective value, from a stored row. */
json_t	*op_settings_system_json(const struct settings_row *);
json_t	*op_settings_company_json(const struct settings_row *);
json_t	*op_settings_user_json(const struct settings_row *);
/* GET /api/settings/themes and /languages: {"items", "next_cursor"}. */
json_t	*op_settings_themes_json(void);
json_t	*op_settings_languages_json(void);

#endif
