/*
 * application/x-www-form-urlencoded bodies (the WHATWG URL standard's
 * parser): "a=1&b=x+y&c=%2F" into name/value pairs, in order, with '+' as
 * a space and %XX decoded. Malformed escapes, NUL bytes and too many
 * pairs are refused rather than guessed at: the bodies come from outside.
 */
#ifndef FORM_H
#define FORM_H

#include <stddef.h>

#define FORM_MAX_PAIRS	256

struct form_pair {
	char		*name;
	char		*value;
};

struct form {
	struct form_pair	*v;
	size_t			 n;
};

/* Parse len bytes; -1 with *cause (caller frees) on malformed input. */
int		 form_parse(const char *, size_t, struct form *, char **cause);
/* The first value of name, or NULL. */
const char	*form_get(const struct form *, const char *name);
/* Sort the pairs by name, then value (bytewise), as signatures need. */
void		 form_sort(struct form *);
void		 form_free(struct form *);

#endif
