/*
 * JSON text of results, laid out as jansson's own dump (JSON_INDENT(2), or
 * compact), except for reals: jansson writes them with 17 significant
 * digits (0.46784900000000001), these are the shortest text that reads
 * back as the same double (0.467849). The tree is still built with
 * jansson; only the writing is here.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "xmalloc.h"

struct output_buf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

static void
output_put(struct output_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		b->size = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->size);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
output_puts(struct output_buf *b, const char *s)
{
	output_put(b, s, strlen(s));
}

/*
 * d as the fewest significant digits (1 to 17) that strtod() reads back
 * exactly, with a '.' or an exponent so that it stays a real, and the
 * exponent without '+' or leading zeros, as jansson writes it.
 */
void
output_real(char *buf, size_t size, double d)
{
	const char	*dp = localeconv()->decimal_point;
	char		*p, *e, pos[64];
	long		 x;
	int		 prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(buf, size, "%.17g", d);
	/* 100.0, not 1e+02: whole digits positional up to 17 of them. */
	if ((e = strchr(buf, 'e')) != NULL && (x = strtol(e + 1, NULL, 10)) >= 0 &&
	    x < 17) {
		snprintf(pos, sizeof pos, "%.*g", (int)x + 1, d);
		if (strtod(pos, NULL) == d && strlen(pos) < size)
			strcpy(buf, pos);
	}
	/* A locale's decimal comma (LC_NUMERIC is "C" here, but still). */
	if (dp != NULL && dp[0] != '.' && dp[0] != '\0' && dp[1] == '\0' &&
	    (p = strchr(buf, dp[0])) != NULL)
		*p = '.';
	if ((e = strchr(buf, 'e')) != NULL) {
		p = e + 1;
		if (*p == '+')
			memmove(p, p + 1, strlen(p + 1) + 1);
		else if (*p == '-')
			p++;
		while (p[0] == '0' && p[1] != '\0')
			memmove(p, p + 1, strlen(p + 1) + 1);
	} else if (strchr(buf, '.') == NULL && strlen(buf) + 3 <= size)
		strcat(buf, ".0");
}

/* A newline and the indent of depth, when indenting. */
static void
output_indent(struct output_buf *b, int indent, int depth)
{
	if (indent == 0)
		return;
	output_put(b, "\n", 1);
	for (int i = 0; i < indent * depth; i++)
		output_put(b, " ", 1);
}

static void
output_scalar(struct output_buf *b, json_t *v)
{
	char	 num[64], *s;

	if (json_is_real(v)) {
		output_real(num, sizeof num, json_real_value(v));
		output_puts(b, num);
		return;
	}
	if ((s = json_dumps(v, JSON_ENCODE_ANY)) != NULL)
		output_puts(b, s);
	free(s);
}

static void
output_key(struct output_buf *b, const char *key)
{
	json_t	*k = json_string(key);

	if (k == NULL)		/* not UTF-8: cannot be, jansson checked */
		k = json_string("");
	output_scalar(b, k);
	json_decref(k);
}

static void
output_node(struct output_buf *b, json_t *v, int indent, int depth)
{
	const char	*key;
	json_t		*child;
	size_t		 i;
	int		 first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			output_puts(b, "{}");
			return;
		}
		output_puts(b, "{");
		json_object_foreach(v, key, child) {
			if (!first)
				output_puts(b, ",");
			first = 0;
			output_indent(b, indent, depth + 1);
			output_key(b, key);
			output_puts(b, indent ? ": " : ":");
			output_node(b, child, indent, depth + 1);
		}
		output_indent(b, indent, depth);
		output_puts(b, "}");
		return;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			output_puts(b, "[]");
			return;
		}
		output_puts(b, "[");
		json_array_foreach(v, i, child) {
			if (i > 0)
				output_puts(b, ",");
			output_indent(b, indent, depth + 1);
			output_node(b, child, indent, depth + 1);
		}
		output_indent(b, indent, depth);
		output_puts(b, "]");
		return;
	default:
		output_scalar(b, v);
	}
}

/* v (any value) as JSON text: compact with indent 0. Caller frees. */
char *
output_json_text(json_t *v, int indent)
{
	struct output_buf	 b = { 0 };

	output_put(&b, "", 0);
	output_node(&b, v, indent, 0);
	return b.s;
}

/* v as indented JSON and a newline. */
void
output_json(FILE *f, json_t *v)
{
	char	*s = output_json_text(v, 2);

	fputs(s, f);
	fputc('\n', f);
	free(s);
}
