/*
 * An IVR session's data: variables and caller fields, ${var} text, and the
 * JSON forms the daemon stores and sends: sessions, actions and events.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ivr-engine.h"
#include "ivr-int.h"
#include "xmalloc.h"

#define IVR_MAX_TEXT	(64 * 1024)	/* bytes of interpolated text */

static const char *const ivr_state_names[IVR_STATE_COUNT] = {
	[IVR_STATE_NEW] = "new",
	[IVR_STATE_DIGITS] = "digits",
	[IVR_STATE_HTTP] = "http",
	[IVR_STATE_QUEUE] = "queue",
	[IVR_STATE_RECORDING] = "recording",
	[IVR_STATE_DONE] = "done",
	[IVR_STATE_FAILED] = "failed",
};

static const char *const ivr_event_names[IVR_EV_COUNT] = {
	[IVR_EV_START] = "start", [IVR_EV_DIGITS] = "digits",
	[IVR_EV_TIMEOUT] = "timeout", [IVR_EV_HTTP] = "http",
	[IVR_EV_QUEUE] = "queue", [IVR_EV_RECORDED] = "recorded",
	[IVR_EV_HANGUP] = "hangup",
};

static const char *const ivr_action_names[IVR_ACT_COUNT] = {
	[IVR_ACT_SAY] = "say", [IVR_ACT_PLAY] = "play",
	[IVR_ACT_COLLECT] = "collect", [IVR_ACT_ENQUEUE] = "enqueue",
	[IVR_ACT_TRANSFER] = "transfer", [IVR_ACT_HTTP] = "http",
	[IVR_ACT_VOICEMAIL] = "voicemail", [IVR_ACT_HANGUP] = "hangup",
	[IVR_ACT_END] = "end",
};

static const char *const ivr_queue_names[IVR_QUEUE_COUNT] = {
	[IVR_QUEUE_ANSWERED] = "answered", [IVR_QUEUE_TIMEOUT] = "timeout",
	[IVR_QUEUE_FAILED] = "failed",
};

const char *
ivr_state_name(enum ivr_state st)
{
	return (unsigned)st < IVR_STATE_COUNT ? ivr_state_names[st] : "unknown";
}

const char *
ivr_event_name(enum ivr_event_type t)
{
	return (unsigned)t < IVR_EV_COUNT ? ivr_event_names[t] : "unknown";
}

const char *
ivr_action_name(enum ivr_action_type t)
{
	return (unsigned)t < IVR_ACT_COUNT ? ivr_action_names[t] : "unknown";
}

const char *
ivr_queue_result_name(enum ivr_queue_result q)
{
	return (unsigned)q < IVR_QUEUE_COUNT ? ivr_queue_names[q] : "unknown";
}

static int
ivr_word(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return i;
	}
	return -1;
}

int
ivr_queue_result_parse(const char *s, enum ivr_queue_result *out)
{
	int	 i = ivr_word(ivr_queue_names, IVR_QUEUE_COUNT, s);

	if (i < 0)
		return -1;
	*out = (enum ivr_queue_result)i;
	return 0;
}

void
ivr_session_init(struct ivr_session *s)
{
	memset(s, 0, sizeof *s);
	s->state = IVR_STATE_NEW;
	s->node = -1;
}

void
ivr_vars_free(struct ivr_vars *vars)
{
	for (size_t i = 0; i < vars->n; i++) {
		free(vars->v[i].name);
		free(vars->v[i].value);
	}
	free(vars->v);
	memset(vars, 0, sizeof *vars);
}

void
ivr_session_free(struct ivr_session *s)
{
	ivr_vars_free(&s->vars);
	ivr_vars_free(&s->caller);
	free(s->error);
	ivr_session_init(s);
}

void
ivr_session_restart(struct ivr_session *s)
{
	free(s->error);
	s->error = NULL;
	s->state = IVR_STATE_NEW;
	s->node = -1;
	s->retries = 0;
}

const char *
ivr_vars_get(const struct ivr_vars *vars, const char *name)
{
	for (size_t i = 0; i < vars->n; i++) {
		if (strcmp(vars->v[i].name, name) == 0)
			return vars->v[i].value;
	}
	return NULL;
}

/*
 * A copy of at most max bytes of s that is valid UTF-8: broken sequences
 * become '?', and a cut never splits a character.
 */
static char *
ivr_utf8_copy(const char *s, size_t max)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			*out, *o;
	size_t			 n, i, len = strlen(s);

	o = out = xmalloc((len < max ? len : max) + 1);
	while (*u != '\0') {
		if (*u < 0x80)
			n = 1;
		else if (*u >= 0xc2 && *u <= 0xdf)
			n = 2;
		else if (*u >= 0xe0 && *u <= 0xef)
			n = 3;
		else if (*u >= 0xf0 && *u <= 0xf4)
			n = 4;
		else
			n = 0;
		for (i = 1; i < n; i++) {
			if ((u[i] & 0xc0) != 0x80)
				n = 0;
		}
		if ((size_t)(o - out) + (n == 0 ? 1 : n) > max)
			break;
		if (n == 0) {
			*o++ = '?';
			u++;
			continue;
		}
		memcpy(o, u, n);
		o += n;
		u += n;
	}
	*o = '\0';
	return out;
}

int
ivr_vars_set(struct ivr_vars *vars, const char *name, const char *value)
{
	struct ivr_var	*v;
	size_t		 i;

	for (i = 0; i < vars->n; i++) {
		if (strcmp(vars->v[i].name, name) == 0) {
			free(vars->v[i].value);
			vars->v[i].value = ivr_utf8_copy(value, IVR_MAX_VALUE);
			return 0;
		}
	}
	if (vars->n >= IVR_MAX_SESSION_VARS || strlen(name) > IVR_MAX_ID)
		return -1;
	if (vars->n == vars->size) {
		vars->size = vars->size == 0 ? 8 : vars->size * 2;
		vars->v = xrealloc(vars->v, vars->size * sizeof *vars->v);
	}
	v = &vars->v[vars->n++];
	v->name = ivr_utf8_copy(name, IVR_MAX_ID);
	v->value = ivr_utf8_copy(value, IVR_MAX_VALUE);
	return 0;
}

struct ivr_buf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

static void
ivr_buf_add(struct ivr_buf *b, const char *s, size_t len)
{
	if (b->len + len > IVR_MAX_TEXT) {
		len = IVR_MAX_TEXT - b->len;
		/* Do not cut a UTF-8 sequence. */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	if (b->len + len + 1 > b->size) {
		while (b->len + len + 1 > b->size)
			b->size = b->size == 0 ? 128 : b->size * 2;
		b->s = xrealloc(b->s, b->size);
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

char *
ivr_interpolate(const struct ivr_session *s, const char *t)
{
	struct ivr_buf	 b = { NULL, 0, 0 };
	const char	*p, *end, *v;
	char		 name[IVR_MAX_ID + 8];
	size_t		 n;

	if (strchr(t, '$') == NULL)
		return xstrdup(t);
	ivr_buf_add(&b, "", 0);
	while ((p = strchr(t, '$')) != NULL) {
		ivr_buf_add(&b, t, (size_t)(p - t));
		if (p[1] == '$') {
			ivr_buf_add(&b, "$", 1);
			t = p + 2;
			continue;
		}
		if (p[1] != '{' || (end = strchr(p + 2, '}')) == NULL ||
		    (n = (size_t)(end - p - 2)) >= sizeof name) {
			ivr_buf_add(&b, "$", 1);
			t = p + 1;
			continue;
		}
		memcpy(name, p + 2, n);
		name[n] = '\0';
		if (strncmp(name, "caller.", 7) == 0)
			v = ivr_vars_get(&s->caller, name + 7);
		else
			v = ivr_vars_get(&s->vars, name);
		if (v != NULL)
			ivr_buf_add(&b, v, strlen(v));
		t = end + 1;
	}
	ivr_buf_add(&b, t, strlen(t));
	return b.s;
}

static json_t *
ivr_vars_json(const struct ivr_vars *vars)
{
	json_t	*o = json_object();

	for (size_t i = 0; i < vars->n; i++)
		json_object_set_new(o, vars->v[i].name,
		    json_string(vars->v[i].value));
	return o;
}

json_t *
ivr_session_to_json(const struct ivr_flow *flow, const struct ivr_session *s)
{
	const char	*node = NULL;

	if (s->node >= 0 && (size_t)s->node < flow->nnodes)
		node = flow->nodes[s->node].id;
	return json_pack("{s:i,s:s,s:s*,s:i,s:I,s:o,s:o,s:s*}",
	    "version", 1,
	    "state", ivr_state_names[s->state],
	    "node", node,
	    "retries", s->retries,
	    "steps", (json_int_t)s->steps,
	    "variables", ivr_vars_json(&s->vars),
	    "caller", ivr_vars_json(&s->caller),
	    "error", s->error);
}

/* Strings, numbers and booleans as text; anything else is an error. */
static int
ivr_vars_from_json(json_t *o, struct ivr_vars *vars, const char *what,
    char **cause)
{
	const char	*k;
	json_t		*v;
	char		*text;

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o) || json_object_size(o) > IVR_MAX_SESSION_VARS) {
		*cause = xasprintf("\"%s\" must be an object of at most %d "
		    "strings", what, IVR_MAX_SESSION_VARS);
		return -1;
	}
	json_object_foreach(o, k, v) {
		if (json_is_string(v))
			text = xstrdup(json_string_value(v));
		else if (json_is_number(v) || json_is_boolean(v))
			text = json_dumps(v, JSON_ENCODE_ANY);
		else {
			*cause = xasprintf("\"%s\" of \"%s\" must be a string",
			    k, what);
			return -1;
		}
		if (*k == '\0' || ivr_vars_set(vars, k, text) != 0) {
			free(text);
			*cause = xasprintf("bad name in \"%s\"", what);
			return -1;
		}
		free(text);
	}
	return 0;
}

/* An optional string member: absent, null or a string. */
static int
ivr_session_string(json_t *o, const char *key, const char **out,
    char **cause)
{
	json_t	*v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*cause = xasprintf("bad session: \"%s\" must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
ivr_session_from_json(const struct ivr_flow *flow, const json_t *j,
    struct ivr_session *s, char **cause)
{
	json_t		*o = (json_t *)j;
	const char	*state = NULL, *node = NULL, *error = NULL;
	json_int_t	 steps = 0;
	int		 retries = 0, st;
	json_error_t	 e;

	ivr_session_init(s);
	if (json_unpack_ex(o, &e, 0, "{s:s,s?i,s?I}", "state", &state,
	    "retries", &retries, "steps", &steps) != 0) {
		*cause = xasprintf("bad session: %s", e.text);
		return -1;
	}
	if (ivr_session_string(o, "node", &node, cause) != 0 ||
	    ivr_session_string(o, "error", &error, cause) != 0)
		return -1;
	if ((st = ivr_word(ivr_state_names, IVR_STATE_COUNT, state)) < 0) {
		*cause = xasprintf("bad session state \"%.32s\"", state);
		return -1;
	}
	s->state = (enum ivr_state)st;
	if (node != NULL && (s->node = ivr_flow_find(flow, node)) < 0) {
		*cause = xasprintf("no node \"%.64s\" in the flow", node);
		return -1;
	}
	if (s->node < 0 && st != IVR_STATE_NEW && st < IVR_STATE_DONE) {
		*cause = xstrdup("a waiting session needs a node");
		return -1;
	}
	if (retries < 0 || retries > 100 || steps < 0) {
		*cause = xstrdup("bad session counters");
		return -1;
	}
	s->retries = retries;
	s->steps = (unsigned long)steps;
	if (error != NULL)
		s->error = xstrdup(error);
	if (ivr_vars_from_json(json_object_get(o, "variables"), &s->vars,
	    "variables", cause) != 0 ||
	    ivr_vars_from_json(json_object_get(o, "caller"), &s->caller,
	    "caller", cause) != 0) {
		ivr_session_free(s);
		return -1;
	}
	return 0;
}

/* The value at a JSON path ("$.a.b[0]") as text; NULL if none or null. */
char *
ivr_json_path(json_t *root, const char *path)
{
	json_t	*v = root;
	char	*name;
	size_t	 n;

	for (path++; *path != '\0' && v != NULL; path += n) {
		if (*path == '.') {
			n = 1 + strcspn(path + 1, ".[");
			name = xstrndup(path + 1, n - 1);
			v = json_object_get(v, name);
			free(name);
		} else {
			n = 1 + strcspn(path, "]");
			v = json_array_get(v, strtoul(path + 1, NULL, 10));
		}
	}
	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
	    JSON_REAL_PRECISION(15));
}

/* Add the members of x to o and drop x. */
static void
ivr_merge(json_t *o, json_t *x)
{
	json_object_update(o, x);
	json_decref(x);
}

json_t *
ivr_action_to_json(const struct ivr_flow *flow, const struct ivr_action *a)
{
	json_t	*o, *sk, *h;
	char	 term[2] = { a->terminator, '\0' };
	size_t	 i;

	o = json_pack("{s:s,s:s*}", "type", ivr_action_names[a->type],
	    "node", a->node >= 0 && (size_t)a->node < flow->nnodes ?
	    flow->nodes[a->node].id : NULL);
	switch (a->type) {
	case IVR_ACT_SAY:
		ivr_merge(o, json_pack("{s:s,s:s*,s:s*}", "text",
		    a->text, "language", a->language, "voice", a->voice));
		break;
	case IVR_ACT_PLAY:
		ivr_merge(o, json_pack("{s:s*,s:s*}", "file", a->file,
		    "url", a->url));
		break;
	case IVR_ACT_COLLECT:
		ivr_merge(o, json_pack("{s:i,s:i,s:i,s:s*}",
		    "min_digits", a->min_digits, "max_digits", a->max_digits,
		    "timeout", a->timeout, "terminator",
		    a->terminator != '\0' ? term : NULL));
		break;
	case IVR_ACT_ENQUEUE:
		sk = json_object();
		for (i = 0; i < a->nskills; i++)
			json_object_set_new(sk, a->skills[i].name,
			    json_integer(a->skills[i].level));
		ivr_merge(o, json_pack("{s:s,s:i,s:o,s:i}", "queue",
		    a->queue, "priority", a->priority, "skills", sk,
		    "max_wait", a->max_wait));
		if (a->callback != NULL)
			json_object_set_new(o, "callback",
			    json_string(a->callback));
		break;
	case IVR_ACT_TRANSFER:
		ivr_merge(o, json_pack("{s:s,s:s}", "to",
		    ivr_transfer_name(a->to), "target", a->target));
		break;
	case IVR_ACT_HTTP:
		h = json_object();
		for (i = 0; i < a->nheaders; i++)
			json_object_set_new(h, a->headers[i].name,
			    json_string(a->headers[i].value));
		ivr_merge(o, json_pack("{s:s,s:s,s:o,s:s*,s:i}",
		    "method", ivr_method_name(a->method), "url", a->url,
		    "headers", h, "body", a->body, "timeout", a->timeout));
		break;
	case IVR_ACT_VOICEMAIL:
		ivr_merge(o, json_pack("{s:i}", "max_length",
		    a->max_length));
		break;
	default:
		break;
	}
	return o;
}

int
ivr_event_from_json(const json_t *j, struct ivr_event *ev, char **cause)
{
	json_t		*o = (json_t *)j;
	const char	*type = NULL, *result = NULL;
	size_t		 len = 0;
	json_error_t	 e;
	int		 t;

	memset(ev, 0, sizeof *ev);
	if (json_unpack_ex(o, &e, 0, "{s:s,s?s,s?i,s?s%,s?s,s?s}", "type",
	    &type, "digits", &ev->digits, "status", &ev->status, "body",
	    &ev->body, &len, "result", &result, "recording",
	    &ev->recording) != 0) {
		*cause = xasprintf("bad event: %s", e.text);
		return -1;
	}
	ev->body_len = len;
	if ((t = ivr_word(ivr_event_names, IVR_EV_COUNT, type)) < 0) {
		*cause = xasprintf("unknown event \"%.32s\"", type);
		return -1;
	}
	ev->type = (enum ivr_event_type)t;
	if (ev->type == IVR_EV_DIGITS && (ev->digits == NULL ||
	    strspn(ev->digits, ivr_digits) != strlen(ev->digits) ||
	    strlen(ev->digits) > 64)) {
		*cause = xstrdup("\"digits\" must be up to 64 of 0-9, * and #");
		return -1;
	}
	if (ev->type == IVR_EV_QUEUE && (result == NULL ||
	    ivr_queue_result_parse(result, &ev->queue) != 0)) {
		*cause = xstrdup("\"result\" must be answered, timeout or "
		    "failed");
		return -1;
	}
	return 0;
}
