/* application/x-www-form-urlencoded bodies; see form.h. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "form.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..len) into a new string; NULL on a bad escape or a NUL. */
static char *
form_decode(const char *s, size_t len)
{
	char	*out = xmalloc(len + 1), *o = out;
	int	 hi, lo;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= len)
				goto fail;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				goto fail;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0')
			goto fail;
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

int
form_parse(const char *buf, size_t len, struct form *f, char **cause)
{
	size_t	 i = 0, end, eq;

	f->v = NULL;
	f->n = 0;
	while (i < len) {
		for (end = i; end < len && buf[end] != '&'; end++)
			;
		if (end > i) {
			struct form_pair *p;

			if (f->n == FORM_MAX_PAIRS) {
				*cause = xasprintf("more than %d form fields",
				    FORM_MAX_PAIRS);
				goto fail;
			}
			for (eq = i; eq < end && buf[eq] != '='; eq++)
				;
			f->v = xrealloc(f->v, (f->n + 1) * sizeof *f->v);
			p = &f->v[f->n];
			p->name = form_decode(buf + i, eq - i);
			p->value = eq < end ? form_decode(buf + eq + 1,
			    end - eq - 1) : xstrdup("");
			if (p->name == NULL || p->value == NULL) {
				free(p->name);
				free(p->value);
				*cause = xasprintf("malformed form field %zu",
				    f->n + 1);
				goto fail;
			}
			f->n++;
		}
		i = end + 1;
	}
	return 0;
fail:
	form_free(f);
	return -1;
}

const char *
form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	}
	return NULL;
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct form_pair	*x = a, *y = b;
	int			 c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

void
form_sort(struct form *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof *f->v, pair_cmp);
}

void
form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
