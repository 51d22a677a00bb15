/*
 * The YAML of an IVR flow as a tree, built from libyaml's events so that
 * every key and value keeps its line and column. Hostile input is bounded:
 * the caller caps the size, and here depth, the number of values and the
 * length of a scalar; aliases are refused and duplicate keys reported.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ivr-int.h"
#include "xmalloc.h"

#define IVR_MAX_SCALAR	65536

struct ivr_yload {
	yaml_parser_t	 parser;
	const char	*buf;
	size_t		 len;
	struct ivr_diags *d;
	size_t		 values;
};

static int	ivr_yaml_value(struct ivr_yload *, yaml_event_t *,
		    struct ivr_y *, int);

static const char *const ivr_yaml_nulls[] = { "", "~", "null", "Null",
	"NULL" };

static struct ivr_pos
ivr_yaml_pos(yaml_mark_t m)
{
	struct ivr_pos	 pos;

	pos.line = (unsigned)m.line + 1;
	pos.column = (unsigned)m.column + 1;
	return pos;
}

int
ivr_y_null(const struct ivr_y *y)
{
	if (y == NULL)
		return 1;
	if (y->type != IVR_Y_SCALAR || !y->plain)
		return 0;
	for (size_t i = 0; i < IVR_NITEMS(ivr_yaml_nulls); i++) {
		if (strcmp(y->s, ivr_yaml_nulls[i]) == 0)
			return 1;
	}
	return 0;
}

static void
ivr_yaml_clear(struct ivr_y *y)
{
	for (size_t i = 0; i < y->n; i++)
		ivr_yaml_clear(&y->v[i]);
	free(y->v);
	free(y->s);
	free(y->key);
}

void
ivr_yaml_free(struct ivr_y *y)
{
	if (y == NULL)
		return;
	ivr_yaml_clear(y);
	free(y);
}

/* Next event, or -1 after a diagnostic with libyaml's problem. */
static int
ivr_yaml_next(struct ivr_yload *yl, yaml_event_t *ev)
{
	yaml_parser_t	*p = &yl->parser;
	yaml_mark_t	 mark;
	size_t		 i;

	if (yaml_parser_parse(p, ev))
		return 0;
	mark = p->problem_mark;
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		memset(&mark, 0, sizeof mark);
		for (i = 0; i < p->problem_offset && i < yl->len; i++) {
			if (yl->buf[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else if (((unsigned char)yl->buf[i] & 0xc0) != 0x80)
				mark.column++;
		}
	}
	if (p->error == YAML_MEMORY_ERROR)
		ivr_diag_add(yl->d, IVR_ERROR, ivr_yaml_pos(mark),
		    "out of memory reading yaml");
	else if (p->context != NULL && p->context_mark.line != mark.line)
		ivr_diag_add(yl->d, IVR_ERROR, ivr_yaml_pos(mark), "%s %s "
		    "(from line %zu)", p->problem != NULL ? p->problem :
		    "invalid yaml", p->context, p->context_mark.line + 1);
	else
		ivr_diag_add(yl->d, IVR_ERROR, ivr_yaml_pos(mark), "%s%s%s",
		    p->problem != NULL ? p->problem : "invalid yaml",
		    p->context != NULL ? " " : "",
		    p->context != NULL ? p->context : "");
	return -1;
}

/* Report keys given twice and keep only the first of each. */
struct ivr_yaml_key {
	const char	*key;
	size_t		 i;
};

static int
ivr_yaml_key_cmp(const void *a, const void *b)
{
	const struct ivr_yaml_key	*ka = a, *kb = b;
	int				 c;

	if ((c = strcmp(ka->key, kb->key)) != 0)
		return c;
	return ka->i < kb->i ? -1 : ka->i > kb->i;
}

static void
ivr_yaml_dups(struct ivr_yload *yl, struct ivr_y *map)
{
	struct ivr_yaml_key	*keys;
	char			*drop, q[64];
	size_t			 i, j, first = 0, n = 0;

	if (map->n < 2)
		return;
	keys = xcalloc(map->n, sizeof *keys);
	drop = xcalloc(map->n, 1);
	for (i = 0; i < map->n; i++) {
		keys[i].key = map->v[i].key;
		keys[i].i = i;
	}
	qsort(keys, map->n, sizeof *keys, ivr_yaml_key_cmp);
	for (i = 0; i < map->n; i++) {
		if (i == 0 || strcmp(keys[i].key, keys[i - 1].key) != 0) {
			first = keys[i].i;
			continue;
		}
		drop[keys[i].i] = 1;
		ivr_diag_add(yl->d, IVR_ERROR, map->v[keys[i].i].kpos,
		    "duplicate key \"%s\" (first on line %u)",
		    ivr_excerpt(q, sizeof q, keys[i].key),
		    map->v[first].kpos.line);
	}
	for (i = j = 0; i < map->n; i++) {
		if (drop[i]) {
			ivr_yaml_clear(&map->v[i]);
			n++;
		} else
			map->v[j++] = map->v[i];
	}
	map->n -= n;
	free(keys);
	free(drop);
}

static struct ivr_y *
ivr_yaml_push(struct ivr_y *parent)
{
	if (parent->n == parent->size) {
		parent->size = parent->size == 0 ? 4 : parent->size * 2;
		parent->v = xrealloc(parent->v, parent->size * sizeof *parent->v);
	}
	return &parent->v[parent->n++];
}

static int
ivr_yaml_scalar(struct ivr_yload *yl, yaml_event_t *ev, struct ivr_y *y)
{
	const char	*s = (const char *)ev->data.scalar.value;
	size_t		 len = ev->data.scalar.length;

	if (len > IVR_MAX_SCALAR) {
		ivr_diag_add(yl->d, IVR_ERROR, y->pos, "value longer than %d "
		    "bytes", IVR_MAX_SCALAR);
		return -1;
	}
	if (strlen(s) != len) {
		ivr_diag_add(yl->d, IVR_ERROR, y->pos, "value contains a NUL "
		    "byte");
		return -1;
	}
	y->type = IVR_Y_SCALAR;
	y->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	y->s = xstrndup(s, len);
	return 0;
}

/* The members of a mapping or a list, up to its end event. */
static int
ivr_yaml_members(struct ivr_yload *yl, struct ivr_y *y, int depth)
{
	yaml_event_type_t	 end;
	yaml_event_t		 ev, kev;
	struct ivr_y		*m, key;
	int			 rc;

	end = y->type == IVR_Y_MAP ? YAML_MAPPING_END_EVENT :
	    YAML_SEQUENCE_END_EVENT;
	for (;;) {
		if (ivr_yaml_next(yl, &ev) != 0)
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		if (y->type == IVR_Y_SEQ) {
			if (ivr_yaml_value(yl, &ev, ivr_yaml_push(y),
			    depth + 1) != 0)
				return -1;
			continue;
		}
		kev = ev;
		memset(&key, 0, sizeof key);
		key.pos = ivr_yaml_pos(kev.start_mark);
		if (kev.type != YAML_SCALAR_EVENT) {
			ivr_diag_add(yl->d, IVR_ERROR, key.pos,
			    kev.type == YAML_ALIAS_EVENT ?
			    "aliases are not supported" :
			    "a key must be a string");
			yaml_event_delete(&kev);
			return -1;
		}
		rc = ivr_yaml_scalar(yl, &kev, &key);
		yaml_event_delete(&kev);
		if (rc != 0)
			return -1;
		if (ivr_yaml_next(yl, &ev) != 0) {
			free(key.s);
			return -1;
		}
		m = ivr_yaml_push(y);
		rc = ivr_yaml_value(yl, &ev, m, depth + 1);
		m->key = key.s;
		m->kpos = key.pos;
		if (rc != 0)
			return -1;
	}
	if (y->type == IVR_Y_MAP)
		ivr_yaml_dups(yl, y);
	return 0;
}

/* The value that starts with ev, which this consumes. */
static int
ivr_yaml_value(struct ivr_yload *yl, yaml_event_t *ev, struct ivr_y *y,
    int depth)
{
	int	 rc = -1;

	memset(y, 0, sizeof *y);
	y->pos = ivr_yaml_pos(ev->start_mark);
	if (++yl->values > IVR_MAX_VALUES) {
		ivr_diag_add(yl->d, IVR_ERROR, y->pos, "more than %d values",
		    IVR_MAX_VALUES);
		goto out;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		rc = ivr_yaml_scalar(yl, ev, y);
		break;
	case YAML_ALIAS_EVENT:
		ivr_diag_add(yl->d, IVR_ERROR, y->pos,
		    "aliases are not supported");
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (depth >= IVR_MAX_DEPTH) {
			ivr_diag_add(yl->d, IVR_ERROR, y->pos,
			    "nested deeper than %d levels", IVR_MAX_DEPTH);
			break;
		}
		y->type = ev->type == YAML_MAPPING_START_EVENT ? IVR_Y_MAP :
		    IVR_Y_SEQ;
		yaml_event_delete(ev);
		return ivr_yaml_members(yl, y, depth);
	default:
		ivr_diag_add(yl->d, IVR_ERROR, y->pos, "unexpected yaml event");
		break;
	}
out:
	yaml_event_delete(ev);
	return rc;
}

static struct ivr_y *
ivr_yaml_stream(struct ivr_yload *yl)
{
	struct ivr_y	*root = NULL;
	yaml_event_t	 ev;
	int		 docs = 0;

	for (;;) {
		if (ivr_yaml_next(yl, &ev) != 0)
			goto fail;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			if (root == NULL)
				ivr_diag_add(yl->d, IVR_ERROR,
				    (struct ivr_pos){ 1, 1 },
				    "empty file: expected a flow");
			yaml_event_delete(&ev);
			return root;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0) {
				ivr_diag_add(yl->d, IVR_ERROR,
				    ivr_yaml_pos(ev.start_mark),
				    "only one document is allowed");
				yaml_event_delete(&ev);
				goto fail;
			}
			break;
		default:
			root = xcalloc(1, sizeof *root);
			if (ivr_yaml_value(yl, &ev, root, 0) != 0)
				goto fail;
			continue;
		}
		yaml_event_delete(&ev);
	}
fail:
	ivr_yaml_free(root);
	return NULL;
}

struct ivr_y *
ivr_yaml_load(const char *buf, size_t len, struct ivr_diags *d)
{
	struct ivr_yload	 yl;
	struct ivr_y		*root;

	memset(&yl, 0, sizeof yl);
	yl.buf = buf;
	yl.len = len;
	yl.d = d;
	if (!yaml_parser_initialize(&yl.parser)) {
		ivr_diag_add(d, IVR_ERROR, (struct ivr_pos){ 0, 0 },
		    "out of memory reading yaml");
		return NULL;
	}
	yaml_parser_set_input_string(&yl.parser, (const unsigned char *)buf,
	    len);
	root = ivr_yaml_stream(&yl);
	yaml_parser_delete(&yl.parser);
	return root;
}
