/* Field checks shared by every handler, and keyset pagination. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utf8.h"
#include "xmalloc.h"
#include "http.h"
#include "validate.h"

int
field_string(json_t *body, const char *key, int required, size_t maxlen,
    struct fields *f, const char **out)
{
	json_t	*v = json_object_get(body, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			fields_add(f, key, "is required");
		return required ? -1 : 0;
	}
	if (!json_is_string(v)) {
		fields_add(f, key, "must be a string");
		return -1;
	}
	if (json_string_length(v) == 0) {
		fields_add(f, key, "must not be empty");
		return -1;
	}
	if (json_string_length(v) > maxlen) {
		fields_add(f, key, "must be at most %zu bytes", maxlen);
		return -1;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		fields_add(f, key, "must not contain NUL characters");
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

void
fields_only(json_t *body, const char *const *allowed, struct fields *f)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(body, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(key, allowed[i]) == 0)
				break;
		}
		if (allowed[i] == NULL)
			fields_add(f, key, "is not a known field");
	}
}

int
email_normalize(const char *in, char *out, size_t size)
{
	return utf8_lower(in, out, size);
}

int
field_email(const char *in, char *out, size_t size, struct fields *f)
{
	const char	*at = strchr(in, '@');
	size_t		 len = strlen(in);

	if (len > 254 || at == NULL || at == in ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL ||
	    at[1] == '.' || in[len - 1] == '.')
		goto bad;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' ||
		    c == '\\' || c == ',' || c == ';')
			goto bad;
	}
	if (email_normalize(in, out, size) != 0)
		goto bad;
	return 0;
bad:
	fields_add(f, "email", "must be an e-mail address");
	return -1;
}

int
valid_timezone(const char *tz)
{
	char	 path[256];

	if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL ||
	    strlen(tz) > 64)
		return 0;
	for (const char *p = tz; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return 0;
	}
	if (strcmp(tz, "UTC") == 0)
		return 1;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	return access(path, R_OK) == 0;
}

int
page_parse(const struct request *req, struct response *resp, struct page *pg)
{
	char	*c, *sep;

	memset(pg, 0, sizeof *pg);
	if ((pg->limit = query_limit(req, resp)) < 0)
		return -1;
	snprintf(pg->limit_str, sizeof pg->limit_str, "%d", pg->limit + 1);
	if ((c = query_get(req->query, "cursor")) == NULL || c[0] == '\0') {
		free(c);
		return 0;
	}
	sep = strchr(c, '_');
	if (sep == NULL || sep == c || (size_t)(sep - c) >= sizeof pg->after_key ||
	    strspn(c, "0123456789") != (size_t)(sep - c) || !is_uuid(sep + 1)) {
		free(c);
		return resp_problem(resp, 400, "bad_request",
		    "cursor is not one this server gave out");
	}
	memcpy(pg->after_key, c, (size_t)(sep - c));
	strlcpy_(pg->after_id, sep + 1, sizeof pg->after_id);
	free(c);
	return 0;
}

json_t *
page_json(json_t *items, const char *key, const char *id)
{
	return json_pack("{s:o,s:o}", "items", items, "next_cursor",
	    key != NULL ? json_sprintf("%s_%s", key, id) : json_null());
}

int
field_skills(json_t *body, const char *key, struct fields *f, json_t **out)
{
	json_t		*v = json_object_get(body, key), *lvl;
	const char	*name;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v) || json_object_size(v) > 32) {
		fields_add(f, key, "must be an object of at most 32 skill"
		    " names to levels 1-10");
		return -1;
	}
	json_object_foreach(v, name, lvl) {
		size_t n = strlen(name);

		if (n == 0 || n > 31 || strspn(name,
		    "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
			fields_add(f, key, "skill names are 1-31 of a-z, 0-9,"
			    " _ and -");
			return -1;
		}
		if (!json_is_integer(lvl) || json_integer_value(lvl) < 1 ||
		    json_integer_value(lvl) > 10) {
			fields_add(f, key, "the level of \"%s\" must be an"
			    " integer from 1 to 10", name);
			return -1;
		}
	}
	*out = v;
	return 1;
}

int
field_int(json_t *body, const char *key, long long min, long long max,
    struct fields *f, long long *out)
{
	json_t	*v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		fields_add(f, key, "must be an integer from %lld to %lld",
		    min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

const char *
field_company(const char *scope, json_t *body, struct fields *f)
{
	const char	*id = NULL;
	int		 has;

	has = field_string(body, "company_id", scope == NULL, 36, f, &id);
	if (has == 1 && !is_uuid(id)) {
		fields_add(f, "company_id", "must be a UUID");
		return NULL;
	}
	if (scope == NULL)
		return has == 1 ? id : NULL;
	if (has == 1 && strcmp(id, scope) != 0) {
		fields_add(f, "company_id", "no such company");
		return NULL;
	}
	return scope;
}

int
query_enum(const struct request *req, struct response *resp,
    const char *name, const char *(*label)(int), int count, int *out)
{
	char	*v = query_get(req->query, name), *list = NULL, *tmp;
	int	 i;

	*out = -1;
	if (v == NULL)
		return 0;
	for (i = 0; i < count; i++) {
		if (strcmp(v, label(i)) == 0) {
			free(v);
			*out = i;
			return 1;
		}
	}
	free(v);
	for (i = 0; i < count; i++) {
		tmp = xasprintf("%s%s%s", list ? list : "", list ? ", " : "",
		    label(i));
		free(list);
		list = tmp;
	}
	resp_problem(resp, 400, "bad_request", "%s must be one of %s", name,
	    list ? list : "");
	free(list);
	return -1;
}

int
is_e164(const char *s)
{
	size_t	 n;

	if (s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (n = 1; s[n] != '\0'; n++) {
		if (s[n] < '0' || s[n] > '9')
			return 0;
	}
	return n >= 3 && n <= 16;
}

int
is_sip_uri(const char *s)
{
	const char	*at;

	if (strncmp(s, "sip:", 4) != 0 && strncmp(s, "sips:", 5) != 0)
		return 0;
	if ((at = strchr(s, '@')) == NULL || at == strchr(s, ':') + 1 ||
	    at[1] == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s <= ' ' || *s == 0x7f || strchr("<>\"'", *s) != NULL)
			return 0;
	}
	return 1;
}
