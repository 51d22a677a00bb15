/*
 * Decoders of the IVR fields that are mappings or lists: prompts, menu
 * options, branch conditions, opening hours, holidays, skills, and the
 * name-to-value mappings of variables, headers and response maps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ivr-int.h"
#include "xmalloc.h"

#define ANY		(~0u)
#define C(m)		offsetof(struct ivr_cond, m)
#define P(m)		offsetof(struct ivr_prompt, m)
#define IVR_MAX_SKILLS	8	/* the ACD's ACD_MAX_NEED */
#define IVR_MAX_HEADERS	32
#define IVR_MAX_HOLIDAYS 1000

static const struct ivr_field ivr_prompt_fields[] = {
	{ "text", IVR_F_TEXT, P(text), ANY, 0, 1, 0 },
	{ "language", IVR_F_STRING, P(language), ANY, 0, 1, 35 },
	{ "voice", IVR_F_STRING, P(voice), ANY, 0, 1, 100 },
	{ "file", IVR_F_STRING, P(file), ANY, 0, 1, 1024 },
	{ "url", IVR_F_URL, P(url), ANY, 0, 0, 0 },
};

/* Subject first, then the operators in the order of enum ivr_cmp. */
static const struct ivr_field ivr_cond_fields[] = {
	{ "variable", IVR_F_NAME, C(subject), ANY, 0, 0, 0 },
	{ "caller", IVR_F_NAME, C(subject), ANY, 0, 0, 0 },
	{ "equals", IVR_F_TEXT, C(value), ANY, 0, 0, 0 },
	{ "in", IVR_F_LIST, 0, ANY, 0, 0, 0 },
	{ "matches", IVR_F_REGEX, 0, ANY, 0, 0, 0 },
	{ "greater", IVR_F_NUMBER, C(number), ANY, 0, 0, 0 },
	{ "less", IVR_F_NUMBER, C(number), ANY, 0, 0, 0 },
	{ "next", IVR_F_REF, C(next), ANY, ANY, 0, 0 },
};
#define IVR_COND_OPS	(0x7cULL)	/* equals to less */

static const struct ivr_field ivr_option_field =
	{ "options", IVR_F_REF, 0, ANY, 0, 0, 0 };

void
ivr_do_list(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	struct ivr_cond	*c = p->cond;

	if (y->n > IVR_MAX_ITEMS) {
		IVR_ERR(p, y->pos, "\"in\" has more than %d items",
		    IVR_MAX_ITEMS);
		return;
	}
	c->list = xcalloc(y->n + 1, sizeof *c->list);
	for (size_t i = 0; i < y->n; i++) {
		if (y->v[i].type != IVR_Y_SCALAR) {
			IVR_ERR(p, y->v[i].pos, "items of \"in\" must be "
			    "strings");
			continue;
		}
		c->list[c->nlist++] = ivr_take(&y->v[i]);
	}
}

void
ivr_do_prompt(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	struct ivr_prompt	*pr = dst;
	uint64_t		 seen;
	int			 n;

	if (y->type == IVR_Y_SCALAR) {
		ivr_do_text(p, &ivr_prompt_fields[0], y, &pr->text);
		return;
	}
	seen = ivr_decode_map(p, y, ivr_prompt_fields,
	    IVR_NITEMS(ivr_prompt_fields), ANY, pr, "the prompt");
	n = (seen & 1) + ((seen >> 3) & 1) + ((seen >> 4) & 1);
	if (n != 1)
		IVR_ERR(p, y->kpos, "the prompt needs %s \"text\", \"file\" "
		    "or \"url\"", n == 0 ? "one of" : "only one of");
}

void
ivr_do_options(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	struct ivr_y	*m;
	char		 q[64];
	int		 k;

	if (y->n == 0)
		IVR_ERR(p, y->kpos, "\"options\" is empty");
	for (size_t i = 0; i < y->n; i++) {
		m = &y->v[i];
		if (strlen(m->key) != 1 || (k = ivr_digit_index(*m->key)) < 0) {
			IVR_ERR(p, m->kpos, "bad menu key \"%s\": use one of "
			    "0-9, \"*\" or \"#\"",
			    ivr_excerpt(q, sizeof q, m->key));
			continue;
		}
		if (ivr_y_null(m))
			IVR_ERR(p, m->kpos, "no node for key \"%s\"", m->key);
		else if (m->type != IVR_Y_SCALAR)
			IVR_ERR(p, m->pos, "the node for key \"%s\" must be a "
			    "node id", m->key);
		else
			ivr_do_ref(p, &ivr_option_field, m,
			    &p->node->u.menu.options[k]);
	}
}

void
ivr_do_conditions(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	struct ivr_node	*n = p->node;
	struct ivr_cond	*c;
	uint64_t	 seen, ops;
	int		 k;

	if (y->n == 0 || y->n > IVR_MAX_ITEMS) {
		IVR_ERR(p, y->pos, "\"conditions\" must have 1 to %d items",
		    IVR_MAX_ITEMS);
		return;
	}
	n->u.branch.conds = xcalloc(y->n, sizeof *n->u.branch.conds);
	for (size_t i = 0; i < y->n; i++) {
		if (y->v[i].type != IVR_Y_MAP) {
			IVR_ERR(p, y->v[i].pos, "a condition must be a "
			    "mapping");
			continue;
		}
		c = p->cond = &n->u.branch.conds[n->u.branch.nconds++];
		c->pos = y->v[i].pos;
		c->next.node = -1;
		seen = ivr_decode_map(p, &y->v[i], ivr_cond_fields,
		    IVR_NITEMS(ivr_cond_fields), ANY, c, "the condition");
		p->cond = NULL;
		c->caller = (seen & 2) != 0;
		if ((seen & 3) == 0 || (seen & 3) == 3)
			IVR_ERR(p, c->pos, "the condition needs %s \"variable\" "
			    "or \"caller\"", seen & 3 ? "only one of" : "one of");
		ops = seen & IVR_COND_OPS;
		if (ops == 0 || (ops & (ops - 1)) != 0) {
			IVR_ERR(p, c->pos, "the condition needs %s \"equals\", "
			    "\"in\", \"matches\", \"greater\" or \"less\"",
			    ops != 0 ? "only one of" : "one of");
			continue;
		}
		for (k = 0; !(ops & ((uint64_t)4 << k)); k++)
			;
		c->op = (enum ivr_cmp)k;
	}
}

/* One range, or ranges separated by commas, for the days in mask. */
static void
ivr_do_spans(struct ivr_parse *p, struct ivr_hours *h, unsigned mask,
    struct ivr_y *y)
{
	struct ivr_span	 sp;
	char		*s, *dup, *tok, *why, q[64];
	int		 d;

	if (y->type != IVR_Y_SCALAR) {
		IVR_ERR(p, y->pos, "opening hours must be a range like "
		    "09:00-17:00");
		return;
	}
	if (strcmp(y->s, "closed") == 0)
		return;
	s = dup = xstrdup(y->s);
	while ((tok = strsep(&s, ",")) != NULL) {
		if (ivr_parse_span(tok, &sp, &why) != 0) {
			IVR_ERR(p, y->pos, "bad opening hours \"%s\": %s",
			    ivr_excerpt(q, sizeof q, tok), why);
			free(why);
			break;
		}
		for (d = 0; d < 7; d++) {
			if (!(mask & (1u << d)))
				continue;
			if (h->nspans[d] == IVR_MAX_SPANS) {
				IVR_ERR(p, y->pos, "more than %d ranges a day",
				    IVR_MAX_SPANS);
				free(dup);
				return;
			}
			h->spans[d][h->nspans[d]++] = sp;
		}
	}
	free(dup);
}

void
ivr_do_days(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	struct ivr_hours	*h = p->node->u.hours.hours;
	struct ivr_y		*m;
	unsigned		 mask, all = 0;
	char			 q[64];

	for (size_t i = 0; i < y->n; i++) {
		m = &y->v[i];
		if (ivr_parse_weekdays(m->key, &mask) != 0) {
			IVR_ERR(p, m->kpos, "unknown weekday \"%s\": use mon to "
			    "sun, or a range like mon-fri",
			    ivr_excerpt(q, sizeof q, m->key));
			continue;
		}
		if (mask & all) {
			IVR_ERR(p, m->kpos, "\"%s\" names a day given before",
			    ivr_excerpt(q, sizeof q, m->key));
			continue;
		}
		all |= mask;
		if (ivr_y_null(m))
			IVR_ERR(p, m->kpos, "no hours for \"%s\": use closed "
			    "for none", ivr_excerpt(q, sizeof q, m->key));
		else if (m->type == IVR_Y_SEQ) {
			for (size_t j = 0; j < m->n; j++)
				ivr_do_spans(p, h, mask, &m->v[j]);
		} else
			ivr_do_spans(p, h, mask, m);
	}
}

static int
ivr_int_cmp(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

void
ivr_do_holidays(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	struct ivr_hours	*h = p->node->u.hours.hours;
	char			 q[64];
	int			 v;

	if (y->n > IVR_MAX_HOLIDAYS) {
		IVR_ERR(p, y->pos, "more than %d holidays", IVR_MAX_HOLIDAYS);
		return;
	}
	h->holidays = xcalloc(y->n + 1, sizeof *h->holidays);
	for (size_t i = 0; i < y->n; i++) {
		if (y->v[i].type != IVR_Y_SCALAR ||
		    ivr_parse_date(y->v[i].s, &v) != 0)
			IVR_ERR(p, y->v[i].pos, "bad date \"%s\": use "
			    "YYYY-MM-DD", y->v[i].type == IVR_Y_SCALAR ?
			    ivr_excerpt(q, sizeof q, y->v[i].s) : "");
		else
			h->holidays[h->nholidays++] = v;
	}
	qsort(h->holidays, h->nholidays, sizeof *h->holidays, ivr_int_cmp);
}

void
ivr_do_skills(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	struct ivr_node	*n = p->node;
	struct ivr_y	*m;
	size_t		 len;
	long		 v;
	char		 q[64];

	if (y->n > IVR_MAX_SKILLS) {
		IVR_ERR(p, y->pos, "more than %d skills", IVR_MAX_SKILLS);
		return;
	}
	n->u.queue.skills = xcalloc(y->n + 1, sizeof *n->u.queue.skills);
	for (size_t i = 0; i < y->n; i++) {
		m = &y->v[i];
		len = strlen(m->key);
		if (len == 0 || len > 31 || strspn(m->key,
		    "abcdefghijklmnopqrstuvwxyz0123456789_-") != len) {
			IVR_ERR(p, m->kpos, "bad skill name \"%s\": use 1 to 31 "
			    "of a-z, 0-9, \"_\" and \"-\"",
			    ivr_excerpt(q, sizeof q, m->key));
			continue;
		}
		if (m->type != IVR_Y_SCALAR ||
		    ivr_parse_int(m->s, 1, 10, &v) != 0) {
			IVR_ERR(p, m->pos, "the level of skill \"%s\" must be a "
			    "whole number from 1 to 10", m->key);
			continue;
		}
		n->u.queue.skills[n->u.queue.nskills].name = xstrdup(m->key);
		n->u.queue.skills[n->u.queue.nskills++].level = (int)v;
	}
}

/* A mapping of names to strings; check says what a value must be. */
static void
ivr_do_pairs(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, struct ivr_pair **out, size_t *nout, size_t max)
{
	struct ivr_pair	*v;
	struct ivr_y	*m;
	char		*why, q[64];
	size_t		 len;

	if (y->n > max) {
		IVR_ERR(p, y->pos, "\"%s\" has more than %zu entries", f->name,
		    max);
		return;
	}
	*out = xcalloc(y->n + 1, sizeof **out);
	for (size_t i = 0; i < y->n; i++) {
		m = &y->v[i];
		if (f->type == IVR_F_HEADERS) {
			len = strlen(m->key);
			if (len == 0 || len > IVR_MAX_ID || strspn(m->key,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789!#$%&'*+-.^_`|~") != len) {
				IVR_ERR(p, m->kpos, "bad header name \"%s\"",
				    ivr_excerpt(q, sizeof q, m->key));
				continue;
			}
		} else if (ivr_check_var(p, m->key, m->kpos) != 0)
			continue;
		if (m->type != IVR_Y_SCALAR) {
			IVR_ERR(p, m->pos, "the value of \"%s\" must be a "
			    "string", ivr_excerpt(q, sizeof q, m->key));
			continue;
		}
		if (ivr_y_null(m))
			m->s[0] = '\0';
		if (strlen(m->s) > IVR_MAX_STRING) {
			IVR_ERR(p, m->pos, "the value of \"%s\" is longer than "
			    "%d bytes", m->key, IVR_MAX_STRING);
			continue;
		}
		why = NULL;
		if (f->type == IVR_F_MAP && ivr_check_json_path(m->s, &why) != 0)
			IVR_ERR(p, m->pos, "bad JSON path \"%s\": %s",
			    ivr_excerpt(q, sizeof q, m->s), why);
		else if (f->type != IVR_F_DEFAULTS && f->type != IVR_F_MAP &&
		    ivr_check_text(m->s, &why) != 0)
			IVR_ERR(p, m->pos, "bad value of \"%s\": %s", m->key,
			    why);
		else if (f->type == IVR_F_HEADERS && ivr_has_control(m->s))
			IVR_ERR(p, m->pos, "header \"%s\" must be one line",
			    m->key);
		else {
			v = &(*out)[(*nout)++];
			v->name = xstrdup(m->key);
			v->value = ivr_take(m);
			v->pos = m->kpos;
		}
		free(why);
	}
}

void
ivr_do_map_of(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	struct ivr_node	*n = p->node;

	switch (f->type) {
	case IVR_F_DEFAULTS:
		ivr_do_pairs(p, f, y, &p->flow->vars, &p->flow->nvars,
		    IVR_MAX_VARS);
		break;
	case IVR_F_ASSIGN:
		ivr_do_pairs(p, f, y, &n->u.set.vars, &n->u.set.nvars,
		    IVR_MAX_ITEMS);
		if (y->n == 0)
			IVR_ERR(p, y->kpos, "\"variables\" is empty");
		break;
	case IVR_F_HEADERS:
		ivr_do_pairs(p, f, y, &n->u.http.headers, &n->u.http.nheaders,
		    IVR_MAX_HEADERS);
		break;
	default:
		ivr_do_pairs(p, f, y, &n->u.http.map, &n->u.http.nmap,
		    IVR_MAX_ITEMS);
		break;
	}
}
