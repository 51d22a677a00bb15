/* Request-body field access and validation with per-field errors. */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stddef.h>
#include <jansson.h>

#include "db.h"

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
/*
 * The one normal form of an e-mail address, used wherever one is stored,
 * compared, looked up or counted: Unicode lower case (utf8_lower()), so
 * "ÅSA@x" and "åsa@x" are one account. -1 if not UTF-8 or out is short.
 */
int	email_normalize(const char *, char *out, size_t);
/* Check an e-mail address and normalise it into out. 0 or -1 with error. */
int	field_email(const char *, char *out, size_t, struct fields *);
/* An IANA time-zone name present in the system's zoneinfo. */
int	valid_timezone(const char *);
/* An E.164 number: + and 2-15 digits, the first not 0. */
int	is_e164(const char *);
/* A SIP URI Twilio's <Sip> takes: sip:user@host (or sips:), printable, no
 * quotes or angle brackets. */
int	is_sip_uri(const char *);

/*
 * An enumerated query parameter whose values are label(0..count-1): 1 and
 * *out the index when present and known, 0 when absent (*out -1), -1 with
 * a 400 listing the allowed values.
 */
int	query_enum(const struct request *, struct response *, const char *name,
	    const char *(*label)(int), int count, int *out);

/* Keyset pagination from ?limit= and ?cursor=. */
int	page_parse(const struct request *, struct response *, struct page *);
/*
 * {"items": [...], "next_cursor": ...}: items (taken) are the rows shown,
 * at most the limit; key and id those of the last one shown when more rows
 * followed, else NULL.
 */
json_t	*page_json(json_t *items, const char *key, const char *id);

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
const char	*field_company(const char *scope, json_t *, struct fields *);
