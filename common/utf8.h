/* UTF-8 checks and lower-casing that do not depend on the process locale. */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/*
 * Load the C.UTF-8 character tables utf8_lower() uses. 0, or -1 when the
 * system has no UTF-8 locale (call once at start-up and refuse to run).
 */
int	utf8_init(void);
/*
 * Is s[0..len) well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF)? NUL bytes are well-formed; callers that refuse
 * them check separately.
 */
int	utf8_valid(const char *s, size_t len);
/*
 * Lower-case the NUL-terminated UTF-8 string in into out (size bytes),
 * code point by code point with towlower() of C.UTF-8, the same tables
 * PostgreSQL's lower() uses in a glibc UTF-8 database. The result may be
 * longer in bytes than the input. -1 when in is not UTF-8, the result does
 * not fit, or utf8_init() failed.
 */
int	utf8_lower(const char *in, char *out, size_t size);

#endif
