/*
 * Diagnostics of the IVR parser and validator: a list of errors and
 * warnings with their places, printed the way gcc prints them or as JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ivr.h"
#include "xmalloc.h"

static const char *const ivr_severity_names[] = {
	[IVR_ERROR] = "error",
	[IVR_WARNING] = "warning",
};

void
ivr_diags_init(struct ivr_diags *d)
{
	memset(d, 0, sizeof *d);
}

void
ivr_diags_free(struct ivr_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].message);
	free(d->v);
	memset(d, 0, sizeof *d);
}

/* Length of the valid UTF-8 sequence at s, 0 if there is none. */
static size_t
ivr_diag_utf8(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

/* Control characters and broken UTF-8 as '?', so JSON can carry it. */
static void
ivr_diag_clean(char *msg)
{
	unsigned char	*s = (unsigned char *)msg;
	size_t		 n;

	while (*s != '\0') {
		if (*s < 0x20 || *s == 0x7f) {
			*s++ = '?';
			continue;
		}
		if ((n = ivr_diag_utf8(s)) == 0) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

void
ivr_diag_add(struct ivr_diags *d, enum ivr_severity sev, struct ivr_pos pos,
    const char *fmt, ...)
{
	struct ivr_diag	*g;
	va_list		 ap;

	if (sev == IVR_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n == IVR_MAX_DIAGS) {
		d->truncated = 1;
		return;
	}
	if (d->n == d->size) {
		d->size = d->size == 0 ? 8 : d->size * 2;
		d->v = xrealloc(d->v, d->size * sizeof *d->v);
	}
	g = &d->v[d->n++];
	g->severity = sev;
	g->line = pos.line;
	g->column = pos.column;
	va_start(ap, fmt);
	g->message = xvasprintf(fmt, ap);
	va_end(ap);
	ivr_diag_clean(g->message);
}

/* Insertion sort: stable, and the list is short and nearly sorted. */
void
ivr_diags_sort(struct ivr_diags *d)
{
	struct ivr_diag	 t;
	size_t		 i, j;

	for (i = 1; i < d->n; i++) {
		t = d->v[i];
		for (j = i; j > 0; j--) {
			if (d->v[j - 1].line < t.line ||
			    (d->v[j - 1].line == t.line &&
			    d->v[j - 1].column <= t.column))
				break;
			d->v[j] = d->v[j - 1];
		}
		d->v[j] = t;
	}
}

void
ivr_diags_print(FILE *f, const char *file, const struct ivr_diags *d)
{
	const struct ivr_diag	*g;

	for (size_t i = 0; i < d->n; i++) {
		g = &d->v[i];
		if (g->line == 0)
			fprintf(f, "%s: %s: %s\n", file,
			    ivr_severity_names[g->severity], g->message);
		else
			fprintf(f, "%s:%u:%u: %s: %s\n", file, g->line,
			    g->column, ivr_severity_names[g->severity],
			    g->message);
	}
	if (d->truncated)
		fprintf(f, "%s: error: too many problems, %zu not shown\n",
		    file, d->errors + d->warnings - d->n);
}

void
ivr_diags_json(json_t *a, const char *file, const struct ivr_diags *d)
{
	const struct ivr_diag	*g;

	for (size_t i = 0; i < d->n; i++) {
		g = &d->v[i];
		json_array_append_new(a, json_pack("{s:s?,s:i,s:i,s:s,s:s}",
		    "file", file, "line", (int)g->line, "column",
		    (int)g->column, "severity",
		    ivr_severity_names[g->severity], "message", g->message));
	}
	if (d->truncated)
		json_array_append_new(a, json_pack("{s:s?,s:i,s:i,s:s,s:o}",
		    "file", file, "line", 0, "column", 0, "severity", "error",
		    "message", json_sprintf("too many problems, %zu not shown",
		    d->errors + d->warnings - d->n)));
}
