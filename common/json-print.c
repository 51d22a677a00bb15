/*
 * Compact JSON printing (json-print.h). The output must equal jansson's
 * (tests/unit/t-json-print.c and fuzz-json compare them): strings escape
 * '"', '\\' and the control characters (\b \f \n \r \t by name, the rest
 * as \u00XX in capitals) and nothing else; reals print as jansson's
 * jsonp_dtostr() does ("%.17g", ".0" added to a whole number, the
 * exponent without '+' or leading zeros).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-print.h"
#include "xmalloc.h"

struct out {
	char	*p;
	size_t	 len, size;
};

static void
grow(struct out *o, size_t more)
{
	if (o->len + more <= o->size)
		return;
	while (o->len + more > o->size)
		o->size *= 2;
	o->p = xrealloc(o->p, o->size);
}

static void
put(struct out *o, const char *s, size_t n)
{
	grow(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
putc_(struct out *o, char c)
{
	grow(o, 1);
	o->p[o->len++] = c;
}

/* Which bytes need an escape: 0 none, 'u' as \u00XX, else its letter. */
static const char escapes[256] = {
	['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	['"'] = '"', ['\\'] = '\\',
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
	[0x05] = 'u', [0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u',
	[0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',
	[0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u',
	[0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
	[0x1e] = 'u', [0x1f] = 'u',
};

static void
string(struct out *o, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, run = 0;
	char			 e;

	grow(o, n + 2);
	o->p[o->len++] = '"';
	for (i = 0; i < n; i++) {
		if ((e = escapes[u[i]]) == 0)
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		if (e == 'u') {
			char seq[6] = { '\\', 'u', '0', '0', hex[u[i] >> 4],
			    hex[u[i] & 15] };

			put(o, seq, sizeof seq);
		} else {
			char seq[2] = { '\\', e };

			put(o, seq, sizeof seq);
		}
	}
	put(o, s + run, n - run);
	putc_(o, '"');
}

/* jansson's jsonp_dtostr() with its default precision, 17. */
static void
real(struct out *o, double v)
{
	char	 buf[64], *p, *e;
	int	 n;

	n = snprintf(buf, sizeof buf, "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof buf - 3)
		n = (int)strlen(buf);
	/* A locale's decimal comma. */
	if ((p = strchr(buf, ',')) != NULL)
		*p = '.';
	if (strpbrk(buf, ".eE") == NULL) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(buf, 'e')) != NULL) {
		/* "1e+05" becomes "1e5", "1e-05" "1e-5". */
		p = e + 1;
		if (*p == '-')
			p++;
		else if (*p == '+')
			memmove(p, p + 1, strlen(p + 1) + 1);
		while (*p == '0' && p[1] != '\0')
			memmove(p, p + 1, strlen(p + 1) + 1);
		n = (int)strlen(buf);
	}
	put(o, buf, (size_t)n);
}

static int
value(struct out *o, const json_t *v, int depth)
{
	char		 buf[32];
	const char	*key;
	json_t		*item;
	void		*it;
	size_t		 i, n;
	int		 len;

	if (depth > JSON_PRINT_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		putc_(o, '{');
		for (it = json_object_iter((json_t *)v), i = 0; it != NULL;
		    it = json_object_iter_next((json_t *)v, it), i++) {
			if (i > 0)
				putc_(o, ',');
			key = json_object_iter_key(it);
			string(o, key, json_object_iter_key_len(it));
			putc_(o, ':');
			if (value(o, json_object_iter_value(it), depth + 1) != 0)
				return -1;
		}
		putc_(o, '}');
		return 0;
	case JSON_ARRAY:
		putc_(o, '[');
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				putc_(o, ',');
			item = json_array_get(v, i);
			if (value(o, item, depth + 1) != 0)
				return -1;
		}
		putc_(o, ']');
		return 0;
	case JSON_STRING:
		string(o, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		len = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		put(o, buf, (size_t)len);
		return 0;
	case JSON_REAL:
		real(o, json_real_value(v));
		return 0;
	case JSON_TRUE:
		put(o, "true", 4);
		return 0;
	case JSON_FALSE:
		put(o, "false", 5);
		return 0;
	case JSON_NULL:
		put(o, "null", 4);
		return 0;
	}
	return -1;
}

char *
json_print(const json_t *v, size_t *len)
{
	struct out	 o = { .size = 256 };

	if (v == NULL)
		return NULL;
	o.p = xmalloc(o.size);
	if (value(&o, v, 0) != 0) {
		free(o.p);
		return NULL;
	}
	putc_(&o, '\0');
	if (len != NULL)
		*len = o.len - 1;
	return o.p;
}
