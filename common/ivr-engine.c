/*
 * The IVR engine's step function: one handler per node type says what the
 * node asks of the runtime and where the flow goes next; one handler per
 * waiting state takes the event that ends the wait. See ivr-engine.h.
 */
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ivr-engine.h"
#include "ivr-int.h"
#include "xmalloc.h"

#define IVR_WAIT	(-1)	/* the session waits, or is over */
#define IVR_FAIL	(-2)

/* One ivr_step(). */
struct ivr_run {
	const struct ivr_flow	*flow;
	struct ivr_session	*s;
	struct ivr_actions	*out;
	time_t			 now;
	int			 count;		/* nodes passed */
	int			 again;		/* re-entering: keep retries */
};

typedef int	(*ivr_node_fn)(struct ivr_run *, const struct ivr_node *);
typedef int	(*ivr_input_fn)(struct ivr_run *, const struct ivr_node *,
		    const struct ivr_event *);

void
ivr_actions_init(struct ivr_actions *out)
{
	memset(out, 0, sizeof *out);
}

void
ivr_actions_reset(struct ivr_actions *out)
{
	struct ivr_action	*a;
	size_t			 i, j;

	for (i = 0; i < out->n; i++) {
		a = &out->v[i];
		free(a->text);
		free(a->url);
		free(a->target);
		free(a->body);
		free(a->callback);
		for (j = 0; j < a->nheaders; j++) {
			free(a->headers[j].name);
			free(a->headers[j].value);
		}
		free(a->headers);
	}
	out->n = 0;
	out->nvisits = 0;
	free(out->error);
	out->error = NULL;
}

void
ivr_actions_free(struct ivr_actions *out)
{
	ivr_actions_reset(out);
	free(out->v);
	free(out->visits);
	memset(out, 0, sizeof *out);
}

static struct ivr_action *
ivr_act(struct ivr_run *r, enum ivr_action_type type, int node)
{
	struct ivr_actions	*out = r->out;
	struct ivr_action	*a;

	if (out->n == out->size) {
		out->size = out->size == 0 ? 8 : out->size * 2;
		out->v = xrealloc(out->v, out->size * sizeof *out->v);
	}
	a = &out->v[out->n++];
	memset(a, 0, sizeof *a);
	a->type = type;
	a->node = node;
	return a;
}

static int
ivr_node_index(const struct ivr_run *r, const struct ivr_node *n)
{
	return (int)(n - r->flow->nodes);
}

/* Hang up (unless the caller did) and end the session. */
static int
ivr_end(struct ivr_run *r, const struct ivr_node *n, int hangup)
{
	int	 node = n != NULL ? ivr_node_index(r, n) : -1;

	if (hangup)
		ivr_act(r, IVR_ACT_HANGUP, node);
	ivr_act(r, IVR_ACT_END, node);
	r->s->state = IVR_STATE_DONE;
	return IVR_WAIT;
}

static int
ivr_fail(struct ivr_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
ivr_fail(struct ivr_run *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	free(r->out->error);
	r->out->error = xvasprintf(fmt, ap);
	va_end(ap);
	free(r->s->error);
	r->s->error = xstrdup(r->out->error);
	ivr_act(r, IVR_ACT_HANGUP, r->s->node);
	ivr_act(r, IVR_ACT_END, r->s->node);
	r->s->state = IVR_STATE_FAILED;
	return IVR_FAIL;
}

/* Go to ref, or hang up if it is not set. */
static int
ivr_go(struct ivr_run *r, const struct ivr_node *n, const struct ivr_ref *ref)
{
	return ref->node >= 0 ? ref->node : ivr_end(r, n, 1);
}

/* Speak or play a prompt, if there is one. */
static void
ivr_prompt(struct ivr_run *r, const struct ivr_node *n)
{
	const struct ivr_prompt	*p = &n->prompt;
	struct ivr_action	*a;
	int			 node = ivr_node_index(r, n);

	if (p->text != NULL) {
		a = ivr_act(r, IVR_ACT_SAY, node);
		a->text = ivr_interpolate(r->s, p->text);
		a->language = p->language != NULL ? p->language :
		    r->flow->language;
		a->voice = p->voice != NULL ? p->voice : r->flow->voice;
	} else if (p->file != NULL || p->url != NULL) {
		a = ivr_act(r, IVR_ACT_PLAY, node);
		a->file = p->file;
		if (p->url != NULL)
			a->url = ivr_interpolate(r->s, p->url);
	}
}

static int
ivr_say(struct ivr_run *r, const struct ivr_node *n)
{
	ivr_prompt(r, n);
	return ivr_go(r, n, &n->next);
}

static int
ivr_collect(struct ivr_run *r, const struct ivr_node *n, int min, int max,
    char terminator)
{
	struct ivr_action	*a;

	ivr_prompt(r, n);
	a = ivr_act(r, IVR_ACT_COLLECT, ivr_node_index(r, n));
	a->min_digits = min;
	a->max_digits = max;
	a->terminator = terminator;
	a->timeout = n->timeout;
	r->s->state = IVR_STATE_DIGITS;
	return IVR_WAIT;
}

static int
ivr_menu(struct ivr_run *r, const struct ivr_node *n)
{
	return ivr_collect(r, n, 1, 1, '\0');
}

static int
ivr_gather(struct ivr_run *r, const struct ivr_node *n)
{
	return ivr_collect(r, n, n->u.gather.min_length,
	    n->u.gather.max_length, n->u.gather.terminator);
}

static int
ivr_cond_true(struct ivr_run *r, const struct ivr_cond *c)
{
	const char	*v;
	char		*want;
	double		 d;
	size_t		 i;
	int		 yes;

	v = ivr_vars_get(c->caller ? &r->s->caller : &r->s->vars, c->subject);
	if (v == NULL)
		v = "";
	switch (c->op) {
	case IVR_EQUALS:
		if (strchr(c->value, '$') == NULL)
			return strcmp(v, c->value) == 0;
		want = ivr_interpolate(r->s, c->value);
		yes = strcmp(v, want) == 0;
		free(want);
		return yes;
	case IVR_IN:
		for (i = 0; i < c->nlist; i++) {
			if (strcmp(v, c->list[i]) == 0)
				return 1;
		}
		return 0;
	case IVR_MATCHES:
		return regexec(c->re, v, 0, NULL, 0) == 0;
	case IVR_GREATER:
		return ivr_parse_number(v, &d) == 0 && d > c->number;
	case IVR_LESS:
		return ivr_parse_number(v, &d) == 0 && d < c->number;
	}
	return 0;
}

static int
ivr_branch(struct ivr_run *r, const struct ivr_node *n)
{
	for (size_t i = 0; i < n->u.branch.nconds; i++) {
		if (ivr_cond_true(r, &n->u.branch.conds[i]))
			return ivr_go(r, n, &n->u.branch.conds[i].next);
	}
	return ivr_go(r, n, &n->u.branch.otherwise);
}

static int
ivr_hours(struct ivr_run *r, const struct ivr_node *n)
{
	if (ivr_hours_open(r->flow, n, r->now))
		return ivr_go(r, n, &n->u.hours.open);
	return ivr_go(r, n, &n->u.hours.closed);
}

static int
ivr_queue(struct ivr_run *r, const struct ivr_node *n)
{
	struct ivr_action	*a;

	a = ivr_act(r, IVR_ACT_ENQUEUE, ivr_node_index(r, n));
	a->queue = n->u.queue.name;
	a->priority = n->u.queue.priority;
	a->skills = n->u.queue.skills;
	a->nskills = n->u.queue.nskills;
	a->max_wait = n->u.queue.max_wait;
	r->s->state = IVR_STATE_QUEUE;
	return IVR_WAIT;
}

static int	ivr_retry(struct ivr_run *, const struct ivr_node *,
		    const struct ivr_ref *);

/* Ask for the number to call back: 1 for the caller's own, or another. */
static int
ivr_callback(struct ivr_run *r, const struct ivr_node *n)
{
	return ivr_collect(r, n, 1, IVR_CALLBACK_DIGITS + 1, '#');
}

/* The number keyed: "1" is the caller's own (if E.164), else the digits
 * of an international number without its "+". NULL: neither. Caller
 * frees. */
static char *
ivr_callback_number(struct ivr_run *r, const char *d, size_t len)
{
	const char	*own = ivr_vars_get(&r->s->caller, "number");
	size_t		 n;

	if (len == 1 && d[0] == '1') {
		if (own == NULL || own[0] != '+' || own[1] < '1' || own[1] > '9')
			return NULL;
		n = strlen(own + 1);
		if (n < 2 || n > IVR_CALLBACK_DIGITS ||
		    strspn(own + 1, "0123456789") != n)
			return NULL;
		return xstrdup(own);
	}
	if (len < 3 || len > IVR_CALLBACK_DIGITS || d[0] == '0' ||
	    strspn(d, "0123456789") < len)
		return NULL;
	return xasprintf("+%.*s", (int)len, d);
}

static int
ivr_in_callback(struct ivr_run *r, const struct ivr_node *n,
    const struct ivr_event *ev)
{
	const char		*d = ev->digits != NULL ? ev->digits : "";
	size_t			 len = strlen(d);
	struct ivr_action	*a;
	char			*number;

	if (len > 0 && d[len - 1] == '#')
		len--;
	if ((number = ivr_callback_number(r, d, len)) == NULL)
		return ivr_retry(r, n, &n->on_invalid);
	ivr_vars_set(&r->s->vars, "callback_number", number);
	a = ivr_act(r, IVR_ACT_ENQUEUE, ivr_node_index(r, n));
	a->queue = n->u.queue.name;
	a->priority = n->u.queue.priority;
	a->skills = n->u.queue.skills;
	a->nskills = n->u.queue.nskills;
	a->callback = number;
	r->s->state = IVR_STATE_QUEUE;
	return IVR_WAIT;
}

static int
ivr_transfer_to(struct ivr_run *r, const struct ivr_node *n,
    enum ivr_transfer_to to, const char *target)
{
	struct ivr_action	*a;

	a = ivr_act(r, IVR_ACT_TRANSFER, ivr_node_index(r, n));
	a->to = to;
	a->target = ivr_interpolate(r->s, target);
	return ivr_end(r, n, 0);
}

static int
ivr_transfer(struct ivr_run *r, const struct ivr_node *n)
{
	return ivr_transfer_to(r, n, n->u.transfer.to, n->u.transfer.target);
}

static int
ivr_voicemail(struct ivr_run *r, const struct ivr_node *n)
{
	struct ivr_action	*a;

	ivr_prompt(r, n);
	a = ivr_act(r, IVR_ACT_VOICEMAIL, ivr_node_index(r, n));
	a->max_length = n->u.voicemail.max_length;
	r->s->state = IVR_STATE_RECORDING;
	return IVR_WAIT;
}

static int
ivr_set(struct ivr_run *r, const struct ivr_node *n)
{
	char	*v;

	for (size_t i = 0; i < n->u.set.nvars; i++) {
		v = ivr_interpolate(r->s, n->u.set.vars[i].value);
		ivr_vars_set(&r->s->vars, n->u.set.vars[i].name, v);
		free(v);
	}
	return ivr_go(r, n, &n->next);
}

static int
ivr_goto(struct ivr_run *r, const struct ivr_node *n)
{
	if (n->u.jump.flow != NULL)
		return ivr_transfer_to(r, n, IVR_TO_FLOW, n->u.jump.flow);
	return ivr_go(r, n, &n->u.jump.node);
}

/* An interpolated value without control characters, for a header. */
static char *
ivr_header_value(const struct ivr_session *s, const char *t)
{
	char	*v = ivr_interpolate(s, t);

	for (char *p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return v;
}

static int
ivr_http(struct ivr_run *r, const struct ivr_node *n)
{
	struct ivr_action	*a;
	size_t			 i;

	a = ivr_act(r, IVR_ACT_HTTP, ivr_node_index(r, n));
	a->method = n->u.http.method;
	a->url = ivr_interpolate(r->s, n->u.http.url);
	a->timeout = n->timeout;
	if (n->u.http.body != NULL)
		a->body = ivr_interpolate(r->s, n->u.http.body);
	if (n->u.http.nheaders > 0) {
		a->headers = xcalloc(n->u.http.nheaders, sizeof *a->headers);
		for (i = 0; i < n->u.http.nheaders; i++) {
			a->headers[i].name = xstrdup(n->u.http.headers[i].name);
			a->headers[i].value = ivr_header_value(r->s,
			    n->u.http.headers[i].value);
		}
		a->nheaders = n->u.http.nheaders;
	}
	r->s->state = IVR_STATE_HTTP;
	return IVR_WAIT;
}

static int
ivr_hangup(struct ivr_run *r, const struct ivr_node *n)
{
	return ivr_end(r, n, 1);
}

static const ivr_node_fn ivr_nodes[IVR_NTYPES] = {
	[IVR_SAY] = ivr_say, [IVR_PLAY] = ivr_say, [IVR_MENU] = ivr_menu,
	[IVR_GATHER] = ivr_gather, [IVR_BRANCH] = ivr_branch,
	[IVR_HOURS] = ivr_hours, [IVR_QUEUE] = ivr_queue,
	[IVR_TRANSFER] = ivr_transfer, [IVR_VOICEMAIL] = ivr_voicemail,
	[IVR_SET] = ivr_set, [IVR_GOTO] = ivr_goto, [IVR_HTTP] = ivr_http,
	[IVR_HANGUP] = ivr_hangup, [IVR_CALLBACK] = ivr_callback,
};

/* Enter node and go on until the session waits or ends. */
static int
ivr_run(struct ivr_run *r, int node)
{
	const struct ivr_flow	*flow = r->flow;
	struct ivr_actions	*out = r->out;
	const struct ivr_node	*n;

	while (node >= 0) {
		if (++r->count > IVR_MAX_RUN) {
			ivr_fail(r, "passed %d nodes without waiting for the "
			    "caller", IVR_MAX_RUN);
			return -1;
		}
		if ((size_t)node >= flow->nnodes ||
		    flow->nodes[node].type >= IVR_NTYPES) {
			ivr_fail(r, "no node %d in the flow", node);
			return -1;
		}
		n = &flow->nodes[node];
		if (!r->again)
			r->s->retries = 0;
		r->again = 0;
		r->s->node = node;
		r->s->steps++;
		if (out->nvisits == out->vsize) {
			out->vsize = out->vsize == 0 ? 8 : out->vsize * 2;
			out->visits = xrealloc(out->visits,
			    out->vsize * sizeof *out->visits);
		}
		out->visits[out->nvisits].node = node;
		out->visits[out->nvisits++].action = out->n;
		node = ivr_nodes[n->type](r, n);
	}
	return node == IVR_FAIL ? -1 : 0;
}

/* Prompt again if retries are left, else go to fallback or hang up. */
static int
ivr_retry(struct ivr_run *r, const struct ivr_node *n,
    const struct ivr_ref *fallback)
{
	if (r->s->retries < n->retries) {
		r->s->retries++;
		r->again = 1;
		return ivr_node_index(r, n);
	}
	return ivr_go(r, n, fallback);
}

static int
ivr_in_digits(struct ivr_run *r, const struct ivr_node *n,
    const struct ivr_event *ev)
{
	const char	*d = ev->digits != NULL ? ev->digits : "";
	char		*v;
	size_t		 len = strlen(d);
	int		 k, ok;

	if (ev->type == IVR_EV_TIMEOUT)
		return ivr_retry(r, n, &n->on_timeout);
	if (n->type == IVR_CALLBACK)
		return ivr_in_callback(r, n, ev);
	if (n->type == IVR_MENU) {
		k = len == 1 ? ivr_digit_index(*d) : -1;
		if (k >= 0 && n->u.menu.options[k].node >= 0)
			return n->u.menu.options[k].node;
		return ivr_retry(r, n, &n->on_invalid);
	}
	if (len > 0 && n->u.gather.terminator != '\0' &&
	    d[len - 1] == n->u.gather.terminator)
		len--;
	v = xstrndup(d, len);
	ok = strspn(v, ivr_digits) == len &&
	    (n->u.gather.terminator == '\0' ||
	    strchr(v, n->u.gather.terminator) == NULL) &&
	    len >= (size_t)n->u.gather.min_length &&
	    len <= (size_t)n->u.gather.max_length &&
	    (n->u.gather.re == NULL ||
	    regexec(n->u.gather.re, v, 0, NULL, 0) == 0);
	if (ok)
		ivr_vars_set(&r->s->vars, n->u.gather.variable, v);
	free(v);
	if (!ok)
		return ivr_retry(r, n, &n->on_invalid);
	return ivr_go(r, n, &n->next);
}

static int
ivr_in_http(struct ivr_run *r, const struct ivr_node *n,
    const struct ivr_event *ev)
{
	json_t		*root = NULL;
	char		 status[16], *v;
	size_t		 i;
	int		 ok = ev->status >= 200 && ev->status <= 299;

	snprintf(status, sizeof status, "%d", ev->status);
	ivr_vars_set(&r->s->vars, "http_status", status);
	if (ok && n->u.http.nmap > 0) {
		if (ev->body == NULL || ev->body_len > IVR_MAX_BODY ||
		    (root = json_loadb(ev->body, ev->body_len,
		    JSON_DECODE_ANY, NULL)) == NULL)
			ok = 0;
		for (i = 0; ok && i < n->u.http.nmap; i++) {
			v = ivr_json_path(root, n->u.http.map[i].value);
			if (v != NULL)
				ivr_vars_set(&r->s->vars, n->u.http.map[i].name,
				    v);
			free(v);
		}
		json_decref(root);
	}
	if (!ok && n->on_error.node >= 0)
		return n->on_error.node;
	return ivr_go(r, n, &n->next);
}

static int
ivr_in_queue(struct ivr_run *r, const struct ivr_node *n,
    const struct ivr_event *ev)
{
	switch (ev->queue) {
	case IVR_QUEUE_ANSWERED:
		return ivr_end(r, n, 0);
	case IVR_QUEUE_TIMEOUT:
		return ivr_go(r, n, &n->on_timeout);
	default:
		return ivr_go(r, n, n->on_error.node >= 0 ? &n->on_error :
		    &n->on_timeout);
	}
}

static int
ivr_in_recorded(struct ivr_run *r, const struct ivr_node *n,
    const struct ivr_event *ev)
{
	if (n->u.voicemail.variable != NULL)
		ivr_vars_set(&r->s->vars, n->u.voicemail.variable,
		    ev->recording != NULL ? ev->recording : "");
	return ivr_go(r, n, &n->next);
}

/* The event each state waits for, the node types it waits in, and who
 * takes the event. */
static const struct {
	enum ivr_event_type	 event;
	enum ivr_event_type	 also;
	unsigned		 types;
	ivr_input_fn		 fn;
} ivr_waits[IVR_STATE_COUNT] = {
	[IVR_STATE_NEW] = { IVR_EV_START, IVR_EV_START, 0, NULL },
	[IVR_STATE_DIGITS] = { IVR_EV_DIGITS, IVR_EV_TIMEOUT,
	    1u << IVR_MENU | 1u << IVR_GATHER | 1u << IVR_CALLBACK,
	    ivr_in_digits },
	[IVR_STATE_HTTP] = { IVR_EV_HTTP, IVR_EV_HTTP, 1u << IVR_HTTP,
	    ivr_in_http },
	[IVR_STATE_QUEUE] = { IVR_EV_QUEUE, IVR_EV_QUEUE,
	    1u << IVR_QUEUE | 1u << IVR_CALLBACK,
	    ivr_in_queue },
	[IVR_STATE_RECORDING] = { IVR_EV_RECORDED, IVR_EV_RECORDED,
	    1u << IVR_VOICEMAIL, ivr_in_recorded },
	[IVR_STATE_DONE] = { IVR_EV_COUNT, IVR_EV_COUNT, 0, NULL },
	[IVR_STATE_FAILED] = { IVR_EV_COUNT, IVR_EV_COUNT, 0, NULL },
};

static void
ivr_start(struct ivr_run *r)
{
	const struct ivr_flow	*flow = r->flow;

	for (size_t i = 0; i < flow->nvars; i++) {
		if (ivr_vars_get(&r->s->vars, flow->vars[i].name) == NULL)
			ivr_vars_set(&r->s->vars, flow->vars[i].name,
			    flow->vars[i].value);
	}
}

int
ivr_step(const struct ivr_flow *flow, struct ivr_session *s,
    const struct ivr_event *ev, time_t now, struct ivr_actions *out)
{
	struct ivr_run		 r;
	const struct ivr_node	*n = NULL;
	enum ivr_state		 st = s->state;
	int			 next;

	ivr_actions_reset(out);
	memset(&r, 0, sizeof r);
	r.flow = flow;
	r.s = s;
	r.out = out;
	r.now = now;
	if ((unsigned)st >= IVR_STATE_COUNT || ev->type >= IVR_EV_COUNT) {
		out->error = xstrdup("bad session state or event");
		return -1;
	}
	if (ev->type == IVR_EV_HANGUP && st < IVR_STATE_DONE) {
		ivr_end(&r, NULL, 0);
		return 0;
	}
	if (ev->type != ivr_waits[st].event && ev->type != ivr_waits[st].also) {
		out->error = xasprintf("event \"%s\" does not fit session "
		    "state \"%s\"", ivr_event_name(ev->type), ivr_state_name(st));
		return -1;
	}
	if (st != IVR_STATE_NEW) {
		if (s->node < 0 || (size_t)s->node >= flow->nnodes ||
		    flow->nodes[s->node].type >= IVR_NTYPES ||
		    !(ivr_waits[st].types &
		    (1u << flow->nodes[s->node].type))) {
			out->error = xstrdup("the session's node does not "
			    "fit its state");
			return -1;
		}
		n = &flow->nodes[s->node];
		next = ivr_waits[st].fn(&r, n, ev);
	} else {
		ivr_start(&r);
		next = flow->start.node;
		if (next < 0) {
			ivr_fail(&r, "the flow has no start");
			return -1;
		}
	}
	if (next == IVR_FAIL)
		return -1;
	return ivr_run(&r, next);
}
