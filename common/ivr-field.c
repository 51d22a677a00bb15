/*
 * The value of one field of an IVR flow, from its YAML tree into the flow:
 * one decoder per field type, chosen from a table after the YAML shape
 * (string, mapping or list) has been checked. The decoders of mappings
 * and lists are in ivr-field-map.c.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ivr-int.h"
#include "xmalloc.h"

#define ANY		(~0u)


/* Take the scalar's string, leaving NULL in the tree. */
char *
ivr_take(struct ivr_y *y)
{
	char	*s = y->s;

	y->s = NULL;
	return s;
}

static void
ivr_put(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

int
ivr_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if (iscntrl((unsigned char)*s))
			return 1;
	}
	return 0;
}

/* Length and, for short strings (names), control characters. */
static int
ivr_check_string(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y)
{
	size_t	 len = strlen(y->s);
	long	 max = f->max > 0 ? f->max : IVR_MAX_STRING;

	if (len < (size_t)f->min) {
		IVR_ERR(p, y->pos, "\"%s\" is empty", f->name);
		return -1;
	}
	if (len > (size_t)max) {
		IVR_ERR(p, y->pos, "\"%s\" is longer than %ld bytes", f->name,
		    max);
		return -1;
	}
	if (f->max > 0 && f->max <= 1024 && ivr_has_control(y->s)) {
		IVR_ERR(p, y->pos, "\"%s\" must be one line without control "
		    "characters", f->name);
		return -1;
	}
	return 0;
}

static void
ivr_do_string(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	if (ivr_check_string(p, f, y) == 0)
		ivr_put(dst, ivr_take(y));
}

static int
ivr_check_template(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y)
{
	char	*why;

	if (ivr_check_string(p, f, y) != 0)
		return -1;
	if (ivr_check_text(y->s, &why) == 0)
		return 0;
	IVR_ERR(p, y->pos, "bad \"%s\": %s", f->name, why);
	free(why);
	return -1;
}

void
ivr_do_text(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	if (ivr_check_template(p, f, y) == 0)
		ivr_put(dst, ivr_take(y));
}

int
ivr_check_var(struct ivr_parse *p, const char *s, struct ivr_pos pos)
{
	char	 q[64];

	if (ivr_check_name(s) == 0)
		return 0;
	IVR_ERR(p, pos, "bad variable name \"%s\": use letters, digits and "
	    "\"_\", not starting with a digit", ivr_excerpt(q, sizeof q, s));
	return -1;
}

static void
ivr_do_name(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	if (ivr_check_var(p, y->s, y->pos) == 0)
		ivr_put(dst, ivr_take(y));
}

void
ivr_do_ref(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	struct ivr_ref	*r = dst;
	char		 q[64];

	if (ivr_check_id(y->s) != 0) {
		IVR_ERR(p, y->pos, "bad node id \"%s\" in \"%s\"",
		    ivr_excerpt(q, sizeof q, y->s), f->name);
		return;
	}
	ivr_put(&r->id, ivr_take(y));
	r->pos = y->pos;
	r->node = -1;
}

static void
ivr_do_duration(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	long	 v;
	char	 q[64];

	if (ivr_parse_duration(y->s, &v) != 0)
		IVR_ERR(p, y->pos, "bad duration \"%s\" for \"%s\": use "
		    "seconds, or a number and s, m or h, like 30s or 2m",
		    ivr_excerpt(q, sizeof q, y->s), f->name);
	else if (v < f->min || v > f->max)
		IVR_ERR(p, y->pos, "\"%s\" must be from %ld to %ld seconds",
		    f->name, f->min, f->max);
	else
		*(int *)dst = (int)v;
}

static void
ivr_do_int(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	long	 v;

	if (ivr_parse_int(y->s, f->min, f->max, &v) != 0)
		IVR_ERR(p, y->pos, "\"%s\" must be a whole number from %ld "
		    "to %ld", f->name, f->min, f->max);
	else
		*(int *)dst = (int)v;
}

static void
ivr_do_number(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	if (ivr_parse_number(y->s, dst) != 0)
		IVR_ERR(p, y->pos, "\"%s\" must be a number", f->name);
}

static void
ivr_do_terminator(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	char	 q[64];

	if (strcmp(y->s, "none") == 0 || *y->s == '\0')
		*(char *)dst = '\0';
	else if (strlen(y->s) == 1 && ivr_digit_index(*y->s) >= 0)
		*(char *)dst = *y->s;
	else
		IVR_ERR(p, y->pos, "bad terminator \"%s\": use one of 0-9, "
		    "\"*\" or \"#\", or none", ivr_excerpt(q, sizeof q, y->s));
}

static regex_t *
ivr_compile(struct ivr_parse *p, struct ivr_y *y, int anchored)
{
	regex_t	*re;
	char	*why, q[64];

	if ((re = ivr_regex(y->s, anchored, &why)) != NULL)
		return re;
	IVR_ERR(p, y->pos, "bad pattern \"%s\": %s",
	    ivr_excerpt(q, sizeof q, y->s), why);
	free(why);
	return NULL;
}

static void
ivr_do_pattern(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	regex_t	*re;

	if ((re = ivr_compile(p, y, 1)) == NULL)
		return;
	ivr_regex_free(p->node->u.gather.re);
	p->node->u.gather.re = re;
	ivr_put(&p->node->u.gather.pattern, ivr_take(y));
}

static void
ivr_do_regex(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	regex_t	*re;

	if ((re = ivr_compile(p, y, 0)) == NULL)
		return;
	ivr_regex_free(p->cond->re);
	p->cond->re = re;
	ivr_put(&p->cond->value, ivr_take(y));
}

static void
ivr_do_word(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	const char *const	*w;
	char			 q[64];

	w = f->type == IVR_F_METHOD ? ivr_method_names : ivr_transfer_names;
	for (int i = 0; w[i] != NULL; i++) {
		if (strcasecmp(y->s, w[i]) == 0) {
			*(int *)dst = i;
			return;
		}
	}
	if (f->type == IVR_F_METHOD)
		IVR_ERR(p, y->pos, "bad method \"%s\": use GET, POST, PUT, "
		    "PATCH or DELETE", ivr_excerpt(q, sizeof q, y->s));
	else
		IVR_ERR(p, y->pos, "bad transfer kind \"%s\": use agent, "
		    "queue, number or flow", ivr_excerpt(q, sizeof q, y->s));
}

static void
ivr_do_url(struct ivr_parse *p, const struct ivr_field *f, struct ivr_y *y,
    void *dst)
{
	if (ivr_check_template(p, f, y) != 0)
		return;
	if (strncasecmp(y->s, "http://", 7) != 0 &&
	    strncasecmp(y->s, "https://", 8) != 0) {
		IVR_ERR(p, y->pos, "\"%s\" must start with http:// or https://",
		    f->name);
		return;
	}
	if (ivr_has_control(y->s) || strchr(y->s, ' ') != NULL) {
		IVR_ERR(p, y->pos, "\"%s\" must not contain spaces or control "
		    "characters", f->name);
		return;
	}
	ivr_put(dst, ivr_take(y));
}

static void
ivr_do_timezone(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	char	*why, q[64];

	p->tz_given = 1;
	ivr_tz_free(p->flow->tz);
	if ((p->flow->tz = ivr_tz_load(p->opt->zoneinfo, y->s, &why)) == NULL) {
		IVR_ERR(p, y->pos, "unknown timezone \"%s\"",
		    ivr_excerpt(q, sizeof q, y->s));
		free(why);
		return;
	}
	ivr_put(dst, ivr_take(y));
}

/* Is name among the known names? Yes if there is no list. */
int
ivr_known(const char *const *names, const char *name)
{
	if (names == NULL)
		return 1;
	for (; *names != NULL; names++) {
		if (strcasecmp(*names, name) == 0)
			return 1;
	}
	return 0;
}

static void
ivr_do_known(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	const char *const	*names;
	char			 q[64];

	if (ivr_check_string(p, f, y) != 0)
		return;
	names = f->type == IVR_F_QUEUE ? p->opt->queues : p->opt->flows;
	if (!ivr_known(names, y->s)) {
		IVR_ERR(p, y->pos, "unknown %s \"%s\"", f->type == IVR_F_QUEUE ?
		    "queue" : "flow", ivr_excerpt(q, sizeof q, y->s));
		return;
	}
	ivr_put(dst, ivr_take(y));
}

static void
ivr_do_target(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	if (ivr_check_template(p, f, y) != 0)
		return;
	p->node->u.transfer.pos = y->pos;
	ivr_put(dst, ivr_take(y));
}

static void
ivr_do_nodes(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	ivr_decode_nodes(p, y);
}

/* Each type's decoder and the YAML shape it takes (-1: several). */
static const struct {
	ivr_decoder	 fn;
	int		 shape;
	const char	*what;
} ivr_decoders[IVR_F_COUNT] = {
	[IVR_F_TYPE] = { NULL, IVR_Y_SCALAR, "a string" },
	[IVR_F_STRING] = { ivr_do_string, IVR_Y_SCALAR, "a string" },
	[IVR_F_TEXT] = { ivr_do_text, IVR_Y_SCALAR, "a string" },
	[IVR_F_NAME] = { ivr_do_name, IVR_Y_SCALAR, "a variable name" },
	[IVR_F_REF] = { ivr_do_ref, IVR_Y_SCALAR, "a node id" },
	[IVR_F_DURATION] = { ivr_do_duration, IVR_Y_SCALAR, "a duration" },
	[IVR_F_INT] = { ivr_do_int, IVR_Y_SCALAR, "a whole number" },
	[IVR_F_NUMBER] = { ivr_do_number, IVR_Y_SCALAR, "a number" },
	[IVR_F_TERMINATOR] = { ivr_do_terminator, IVR_Y_SCALAR, "a key" },
	[IVR_F_PATTERN] = { ivr_do_pattern, IVR_Y_SCALAR,
	    "a regular expression" },
	[IVR_F_REGEX] = { ivr_do_regex, IVR_Y_SCALAR,
	    "a regular expression" },
	[IVR_F_LIST] = { ivr_do_list, IVR_Y_SEQ, "a list" },
	[IVR_F_PROMPT] = { ivr_do_prompt, -1, "a string or a mapping" },
	[IVR_F_OPTIONS] = { ivr_do_options, IVR_Y_MAP,
	    "a mapping of keys to node ids" },
	[IVR_F_CONDITIONS] = { ivr_do_conditions, IVR_Y_SEQ, "a list" },
	[IVR_F_DAYS] = { ivr_do_days, IVR_Y_MAP,
	    "a mapping of weekdays to hours" },
	[IVR_F_HOLIDAYS] = { ivr_do_holidays, IVR_Y_SEQ, "a list of dates" },
	[IVR_F_SKILLS] = { ivr_do_skills, IVR_Y_MAP,
	    "a mapping of skills to levels" },
	[IVR_F_DEFAULTS] = { ivr_do_map_of, IVR_Y_MAP, "a mapping" },
	[IVR_F_ASSIGN] = { ivr_do_map_of, IVR_Y_MAP, "a mapping" },
	[IVR_F_HEADERS] = { ivr_do_map_of, IVR_Y_MAP, "a mapping" },
	[IVR_F_MAP] = { ivr_do_map_of, IVR_Y_MAP,
	    "a mapping of variables to JSON paths" },
	[IVR_F_METHOD] = { ivr_do_word, IVR_Y_SCALAR, "a string" },
	[IVR_F_TO] = { ivr_do_word, IVR_Y_SCALAR, "a string" },
	[IVR_F_URL] = { ivr_do_url, IVR_Y_SCALAR, "a string" },
	[IVR_F_TIMEZONE] = { ivr_do_timezone, IVR_Y_SCALAR, "a string" },
	[IVR_F_NODES] = { ivr_do_nodes, IVR_Y_MAP, "a mapping" },
	[IVR_F_QUEUE] = { ivr_do_known, IVR_Y_SCALAR, "a string" },
	[IVR_F_FLOW] = { ivr_do_known, IVR_Y_SCALAR, "a string" },
	[IVR_F_TARGET] = { ivr_do_target, IVR_Y_SCALAR, "a string" },
};

/* Decode y, the value of field f, into dst; a diagnostic if it is bad. */
int
ivr_decode_field(struct ivr_parse *p, const struct ivr_field *f,
    struct ivr_y *y, void *dst)
{
	size_t	 errors = p->d->errors;
	int	 shape = ivr_decoders[f->type].shape;

	if (shape == -1 ? y->type == IVR_Y_SEQ : (int)y->type != shape) {
		IVR_ERR(p, y->pos, "\"%s\" must be %s", f->name,
		    ivr_decoders[f->type].what);
		return -1;
	}
	ivr_decoders[f->type].fn(p, f, y, dst);
	return p->d->errors == errors ? 0 : -1;
}
