/* Request-body field access and validation with per-field errors. */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stddef.h>
#include <jansson.h>

struct fields;
struct request;
struct response;

/*
 * A string field: 1 and *out set when present, 0 when absent (an error if
 * required), -1 after adding an error (wrong type, empty, too long).
 */
int	field_string(json_t *, const char *key, int required, size_t maxlen,
	    struct fields *, const char **out);
/* Report keys of body not in the NULL-terminated allowed list. */
void	fields_only(json_t *, const char *const *allowed, struct fields *);
/* Check and lower-case an e-mail address into out. 0 or -1 with error. */
int	field_email(const char *, char *out, size_t, struct fields *);
/* An IANA time-zone name present in the system's zoneinfo. */
int	valid_timezone(const char *);

/* Keyset pagination from ?limit= and ?cursor=. */
struct page {
	int	 limit;
	char	 after_key[24];		/* "" for the first page */
	char	 after_id[40];
	char	 limit_str[16];		/* limit + 1, for SQL */
};
int	page_parse(const struct request *, struct response *, struct page *);
/*
 * Wrap rows into {"items": [...], "next_cursor": ...}. items holds up to
 * limit + 1 objects; keys the matching pagination keys.
 */
json_t	*page_result(const struct page *, json_t *items, const char *last_key,
	    const char *last_id);

#endif

/* An object of skill name ([a-z0-9_-], 1-31) to level 1..10; 1 if present. */
int	field_skills(json_t *, const char *key, struct fields *, json_t **out);
/* An integer within [min, max]; 1 and *out when present. */
int	field_int(json_t *, const char *key, long long min, long long max,
	    struct fields *, long long *out);
/*
 * The company a new object belongs to: the caller's own, or for an admin
 * the body's "company_id" (required then). NULL after adding an error.
 */
const char	*field_company(const struct request *, json_t *, struct fields *);
