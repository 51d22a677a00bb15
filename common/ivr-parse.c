/*
 * An IVR flow from YAML: tables of the fields of the flow and of each
 * node type drive the decoding of the tree that ivr-yaml.c builds; the
 * values themselves are decoded in ivr-field.c and the flow as a whole is
 * checked in ivr-validate.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ivr-int.h"
#include "xmalloc.h"

#define M(t)		(1u << IVR_##t)
#define ANY		(~0u)
#define INPUT		(M(MENU) | M(GATHER) | M(CALLBACK))
#define QUEUES		(M(QUEUE) | M(CALLBACK))
#define N(m)		offsetof(struct ivr_node, m)
#define F(m)		offsetof(struct ivr_flow, m)

static const char *const ivr_type_names[IVR_NTYPES] = {
	[IVR_SAY] = "say", [IVR_PLAY] = "play", [IVR_MENU] = "menu",
	[IVR_GATHER] = "gather", [IVR_BRANCH] = "branch",
	[IVR_HOURS] = "hours", [IVR_QUEUE] = "queue",
	[IVR_TRANSFER] = "transfer", [IVR_VOICEMAIL] = "voicemail",
	[IVR_SET] = "set", [IVR_GOTO] = "goto", [IVR_HTTP] = "http",
	[IVR_HANGUP] = "hangup", [IVR_CALLBACK] = "callback",
};

const char *const ivr_transfer_names[] = {
	[IVR_TO_AGENT] = "agent", [IVR_TO_QUEUE] = "queue",
	[IVR_TO_NUMBER] = "number", [IVR_TO_FLOW] = "flow", NULL
};

const char *const ivr_method_names[] = {
	[IVR_GET] = "GET", [IVR_POST] = "POST", [IVR_PUT] = "PUT",
	[IVR_PATCH] = "PATCH", [IVR_DELETE] = "DELETE", NULL
};

static const struct ivr_field ivr_flow_fields[] = {
	{ "name", IVR_F_STRING, F(name), ANY, ANY, 1, 100 },
	{ "description", IVR_F_STRING, F(description), ANY, 0, 0, 0 },
	{ "timezone", IVR_F_TIMEZONE, F(timezone), ANY, 0, 0, 0 },
	{ "language", IVR_F_STRING, F(language), ANY, 0, 1, 35 },
	{ "voice", IVR_F_STRING, F(voice), ANY, 0, 1, 100 },
	{ "start", IVR_F_REF, F(start), ANY, ANY, 0, 0 },
	{ "variables", IVR_F_DEFAULTS, 0, ANY, 0, 0, 0 },
	{ "nodes", IVR_F_NODES, 0, ANY, ANY, 0, 0 },
};

/* A field may appear twice for different node types and meanings. */
static const struct ivr_field ivr_node_fields[] = {
	{ "type", IVR_F_TYPE, 0, ANY, 0, 0, 0 },
	{ "text", IVR_F_TEXT, N(prompt.text), M(SAY), M(SAY), 1, 0 },
	{ "language", IVR_F_STRING, N(prompt.language), M(SAY), 0, 1, 35 },
	{ "voice", IVR_F_STRING, N(prompt.voice), M(SAY), 0, 1, 100 },
	{ "file", IVR_F_STRING, N(prompt.file), M(PLAY), 0, 1, 0 },
	{ "url", IVR_F_URL, N(prompt.url), M(PLAY), 0, 0, 0 },
	{ "prompt", IVR_F_PROMPT, N(prompt), INPUT | M(VOICEMAIL), INPUT,
	  0, 0 },
	{ "options", IVR_F_OPTIONS, 0, M(MENU), M(MENU), 0, 0 },
	{ "timeout", IVR_F_DURATION, N(timeout), INPUT, 0, 1, 60 },
	{ "timeout", IVR_F_DURATION, N(timeout), M(HTTP), 0, 1, 30 },
	{ "retries", IVR_F_INT, N(retries), INPUT, 0, 0, 10 },
	{ "on_timeout", IVR_F_REF, N(on_timeout), INPUT | M(QUEUE), 0, 0, 0 },
	{ "on_invalid", IVR_F_REF, N(on_invalid), INPUT, 0, 0, 0 },
	{ "on_error", IVR_F_REF, N(on_error), QUEUES | M(HTTP), 0, 0, 0 },
	{ "variable", IVR_F_NAME, N(u.gather.variable), M(GATHER), M(GATHER),
	  0, 0 },
	{ "min_length", IVR_F_INT, N(u.gather.min_length), M(GATHER), 0,
	  0, 64 },
	{ "max_length", IVR_F_INT, N(u.gather.max_length), M(GATHER), 0,
	  1, 64 },
	{ "terminator", IVR_F_TERMINATOR, N(u.gather.terminator), M(GATHER),
	  0, 0, 0 },
	{ "pattern", IVR_F_PATTERN, 0, M(GATHER), 0, 0, 0 },
	{ "conditions", IVR_F_CONDITIONS, 0, M(BRANCH), M(BRANCH), 0, 0 },
	{ "else", IVR_F_REF, N(u.branch.otherwise), M(BRANCH), M(BRANCH),
	  0, 0 },
	{ "days", IVR_F_DAYS, 0, M(HOURS), M(HOURS), 0, 0 },
	{ "holidays", IVR_F_HOLIDAYS, 0, M(HOURS), 0, 0, 0 },
	{ "open", IVR_F_REF, N(u.hours.open), M(HOURS), M(HOURS), 0, 0 },
	{ "closed", IVR_F_REF, N(u.hours.closed), M(HOURS), M(HOURS), 0, 0 },
	{ "queue", IVR_F_QUEUE, N(u.queue.name), QUEUES, QUEUES, 1, 100 },
	{ "priority", IVR_F_INT, N(u.queue.priority), QUEUES, 0,
	  -1000, 1000 },
	{ "skills", IVR_F_SKILLS, 0, QUEUES, 0, 0, 0 },
	{ "max_wait", IVR_F_DURATION, N(u.queue.max_wait), M(QUEUE), 0,
	  0, 86400 },
	{ "to", IVR_F_TO, N(u.transfer.to), M(TRANSFER), M(TRANSFER), 0, 0 },
	{ "target", IVR_F_TARGET, N(u.transfer.target), M(TRANSFER),
	  M(TRANSFER), 1, 100 },
	{ "max_length", IVR_F_DURATION, N(u.voicemail.max_length),
	  M(VOICEMAIL), 0, 1, 3600 },
	{ "variable", IVR_F_NAME, N(u.voicemail.variable), M(VOICEMAIL), 0,
	  0, 0 },
	{ "variables", IVR_F_ASSIGN, 0, M(SET), M(SET), 0, 0 },
	{ "node", IVR_F_REF, N(u.jump.node), M(GOTO), 0, 0, 0 },
	{ "flow", IVR_F_FLOW, N(u.jump.flow), M(GOTO), 0, 1, 100 },
	{ "method", IVR_F_METHOD, N(u.http.method), M(HTTP), 0, 0, 0 },
	{ "url", IVR_F_URL, N(u.http.url), M(HTTP), M(HTTP), 0, 0 },
	{ "headers", IVR_F_HEADERS, 0, M(HTTP), 0, 0, 0 },
	{ "body", IVR_F_TEXT, N(u.http.body), M(HTTP), 0, 0, 0 },
	{ "map", IVR_F_MAP, 0, M(HTTP), 0, 0, 0 },
	{ "next", IVR_F_REF, N(next), M(SAY) | M(PLAY) | M(GATHER) |
	  M(VOICEMAIL) | M(SET) | M(HTTP), M(GATHER) | M(SET) | M(HTTP),
	  0, 0 },
};

/* ivr_decode_map() keeps the fields it saw as bits of a uint64_t. */
_Static_assert(IVR_NITEMS(ivr_node_fields) <= 64, "too many node fields");
_Static_assert(IVR_NITEMS(ivr_flow_fields) <= 64, "too many flow fields");

const char *
ivr_node_type_name(enum ivr_node_type t)
{
	return t < IVR_NTYPES ? ivr_type_names[t] : "unknown";
}

const char *
ivr_transfer_name(enum ivr_transfer_to to)
{
	return to <= IVR_TO_FLOW ? ivr_transfer_names[to] : "unknown";
}

const char *
ivr_method_name(enum ivr_method m)
{
	return m <= IVR_DELETE ? ivr_method_names[m] : "unknown";
}

static const struct ivr_field *
ivr_field_find(const struct ivr_field *tab, size_t n, const char *name,
    unsigned mask, int *elsewhere)
{
	*elsewhere = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tab[i].name, name) != 0)
			continue;
		if (tab[i].allowed & mask)
			return &tab[i];
		*elsewhere = 1;
	}
	return NULL;
}

/*
 * Fill base from the members of map with the fields of tab that belong
 * to mask; owner names what is filled in messages ("the flow"). Keys
 * starting with "x-" are left to other tools. Returns the fields seen,
 * a bit each.
 */
uint64_t
ivr_decode_map(struct ivr_parse *p, struct ivr_y *map,
    const struct ivr_field *tab, size_t ntab, unsigned mask, void *base,
    const char *owner)
{
	const struct ivr_field	*f;
	struct ivr_y		*m;
	uint64_t		 seen = 0, bit;
	char			 q[64];
	int			 elsewhere;
	size_t			 i;

	for (i = 0; i < map->n; i++) {
		m = &map->v[i];
		if (strncmp(m->key, "x-", 2) == 0)
			continue;
		f = ivr_field_find(tab, ntab, m->key, mask, &elsewhere);
		if (f == NULL) {
			IVR_ERR(p, m->kpos, elsewhere ?
			    "field \"%s\" does not apply to %s" :
			    "unknown field \"%s\" in %s",
			    ivr_excerpt(q, sizeof q, m->key), owner);
			continue;
		}
		bit = (uint64_t)1 << (f - tab);
		seen |= bit;
		if (f->type == IVR_F_TYPE)
			continue;
		if (ivr_y_null(m) && f->type == IVR_F_TERMINATOR)
			IVR_ERR(p, m->kpos, "no value for \"%s\": quote \"#\" "
			    "and \"*\" in YAML, or use none", f->name);
		else if (ivr_y_null(m) && (f->required & mask))
			IVR_ERR(p, m->kpos, "no value for \"%s\"", f->name);
		else if (!ivr_y_null(m))
			ivr_decode_field(p, f, m, (char *)base + f->off);
	}
	for (i = 0; i < ntab; i++) {
		if ((tab[i].required & mask) && !(seen & ((uint64_t)1 << i)))
			IVR_ERR(p, map->key != NULL ? map->kpos : map->pos,
			    "%s has no \"%s\"", owner, tab[i].name);
	}
	return seen;
}

/* Was the field called name seen? */
static int
ivr_seen(uint64_t seen, const struct ivr_field *tab, size_t n,
    const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if ((seen & ((uint64_t)1 << i)) && strcmp(tab[i].name, name) == 0)
			return 1;
	}
	return 0;
}

static void
ivr_node_defaults(struct ivr_node *n)
{
	n->timeout = 5;
	n->retries = 2;
	switch (n->type) {
	case IVR_GATHER:
		n->u.gather.min_length = 1;
		n->u.gather.max_length = 20;
		n->u.gather.terminator = '#';
		break;
	case IVR_HOURS:
		n->u.hours.hours = xcalloc(1, sizeof *n->u.hours.hours);
		break;
	case IVR_VOICEMAIL:
		n->u.voicemail.max_length = 120;
		break;
	default:
		break;
	}
}

/* The target of a transfer, now that "to" is known too. */
static void
ivr_transfer_check(struct ivr_parse *p, struct ivr_node *n)
{
	const char	*t = n->u.transfer.target;
	char		 q[64];
	size_t		 len;

	if (t == NULL || strstr(t, "${") != NULL)
		return;
	switch (n->u.transfer.to) {
	case IVR_TO_NUMBER:
		len = strlen(t) - (*t == '+');
		if (len == 0 || len > 32 || strspn(t + (*t == '+'),
		    "0123456789*#") != len)
			IVR_ERR(p, n->u.transfer.pos, "bad number \"%s\": use "
			    "up to 32 digits, \"*\" and \"#\", after an optional "
			    "\"+\"", ivr_excerpt(q, sizeof q, t));
		break;
	case IVR_TO_QUEUE:
		if (!ivr_known(p->opt->queues, t))
			IVR_ERR(p, n->u.transfer.pos, "unknown queue \"%s\"",
			    ivr_excerpt(q, sizeof q, t));
		break;
	case IVR_TO_FLOW:
		if (!ivr_known(p->opt->flows, t))
			IVR_ERR(p, n->u.transfer.pos, "unknown flow \"%s\"",
			    ivr_excerpt(q, sizeof q, t));
		break;
	default:
		break;
	}
}

/* Rules across the fields of one node. */
static void
ivr_node_check(struct ivr_parse *p, struct ivr_node *n, uint64_t seen,
    const char *owner, int clean)
{
	const struct ivr_field	*t = ivr_node_fields;
	size_t			 nt = IVR_NITEMS(ivr_node_fields), i;
	int			 k;

#define SEEN(name)	ivr_seen(seen, t, nt, name)
	switch (n->type) {
	case IVR_PLAY:
		if (SEEN("file") == SEEN("url"))
			IVR_ERR(p, n->pos, "%s needs %s \"file\" or \"url\"",
			    owner, SEEN("file") ? "only one of" : "one of");
		break;
	case IVR_GOTO:
		if (SEEN("node") == SEEN("flow"))
			IVR_ERR(p, n->pos, "%s needs %s \"node\" or \"flow\"",
			    owner, SEEN("node") ? "only one of" : "one of");
		break;
	case IVR_GATHER:
		if (n->u.gather.min_length > n->u.gather.max_length)
			IVR_ERR(p, n->pos, "%s has \"min_length\" %d above "
			    "\"max_length\" %d", owner, n->u.gather.min_length,
			    n->u.gather.max_length);
		break;
	case IVR_TRANSFER:
		ivr_transfer_check(p, n);
		break;
	case IVR_HOURS:
		for (i = 0, k = 0; i < 7; i++)
			k += n->u.hours.hours->nspans[i];
		if (k == 0 && SEEN("days") && clean)
			IVR_WARN(p, n->pos, "%s is never open", owner);
		break;
	default:
		break;
	}
#undef SEEN
}

static void
ivr_decode_node(struct ivr_parse *p, struct ivr_y *m, struct ivr_node *n)
{
	struct ivr_y	*ty = NULL;
	char		 q[64], *owner;
	size_t		 i, errors;
	uint64_t	 seen;

	n->id = xstrdup(m->key);
	n->pos = m->kpos;
	n->type = IVR_NTYPES;
	if (ivr_check_id(n->id) != 0)
		IVR_ERR(p, n->pos, "bad node id \"%s\": use up to %d letters, "
		    "digits, \"_\", \"-\" and \".\"",
		    ivr_excerpt(q, sizeof q, n->id), IVR_MAX_ID);
	if (m->type != IVR_Y_MAP) {
		IVR_ERR(p, m->pos, "node \"%s\" must be a mapping",
		    ivr_excerpt(q, sizeof q, n->id));
		return;
	}
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, "type") == 0)
			ty = &m->v[i];
	}
	if (ty == NULL || ivr_y_null(ty)) {
		IVR_ERR(p, n->pos, "node \"%s\" has no \"type\"",
		    ivr_excerpt(q, sizeof q, n->id));
		return;
	}
	if (ty->type == IVR_Y_SCALAR) {
		for (i = 0; i < IVR_NTYPES; i++) {
			if (strcmp(ty->s, ivr_type_names[i]) == 0)
				n->type = (enum ivr_node_type)i;
		}
	}
	if (ty->type != IVR_Y_SCALAR) {
		IVR_ERR(p, ty->pos, "\"type\" must be a string");
		return;
	}
	if (n->type == IVR_NTYPES) {
		IVR_ERR(p, ty->pos, "unknown node type \"%s\"",
		    ivr_excerpt(q, sizeof q, ty->s));
		return;
	}
	ivr_node_defaults(n);
	owner = xasprintf("%s node \"%s\"", ivr_type_names[n->type],
	    ivr_excerpt(q, sizeof q, n->id));
	p->node = n;
	errors = p->d->errors;
	seen = ivr_decode_map(p, m, ivr_node_fields,
	    IVR_NITEMS(ivr_node_fields), 1u << n->type, n, owner);
	ivr_node_check(p, n, seen, owner, p->d->errors == errors);
	p->node = NULL;
	free(owner);
}

void
ivr_decode_nodes(struct ivr_parse *p, struct ivr_y *y)
{
	struct ivr_flow	*flow = p->flow;

	if (y->type != IVR_Y_MAP) {
		IVR_ERR(p, y->pos, "\"nodes\" must be a mapping of node ids to "
		    "nodes");
		return;
	}
	if (y->n == 0) {
		IVR_ERR(p, y->kpos, "the flow has no nodes");
		return;
	}
	if (y->n > IVR_MAX_NODES) {
		IVR_ERR(p, y->v[IVR_MAX_NODES].kpos, "more than %d nodes",
		    IVR_MAX_NODES);
		return;
	}
	flow->nodes = xcalloc(y->n, sizeof *flow->nodes);
	for (size_t i = 0; i < y->n; i++) {
		flow->nnodes++;
		ivr_decode_node(p, &y->v[i], &flow->nodes[i]);
	}
}

static void
ivr_ref_clear(struct ivr_ref *r)
{
	free(r->id);
}

static void
ivr_pairs_free(struct ivr_pair *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static void
ivr_node_clear(struct ivr_node *n)
{
	size_t	 i, j;

	free(n->prompt.text);
	free(n->prompt.language);
	free(n->prompt.voice);
	free(n->prompt.file);
	free(n->prompt.url);
	ivr_ref_clear(&n->next);
	ivr_ref_clear(&n->on_timeout);
	ivr_ref_clear(&n->on_invalid);
	ivr_ref_clear(&n->on_error);
	switch (n->type) {
	case IVR_MENU:
		for (i = 0; i < IVR_NDIGITS; i++)
			ivr_ref_clear(&n->u.menu.options[i]);
		break;
	case IVR_GATHER:
		free(n->u.gather.variable);
		free(n->u.gather.pattern);
		ivr_regex_free(n->u.gather.re);
		break;
	case IVR_BRANCH:
		for (i = 0; i < n->u.branch.nconds; i++) {
			free(n->u.branch.conds[i].subject);
			free(n->u.branch.conds[i].value);
			for (j = 0; j < n->u.branch.conds[i].nlist; j++)
				free(n->u.branch.conds[i].list[j]);
			free(n->u.branch.conds[i].list);
			ivr_regex_free(n->u.branch.conds[i].re);
			ivr_ref_clear(&n->u.branch.conds[i].next);
		}
		free(n->u.branch.conds);
		ivr_ref_clear(&n->u.branch.otherwise);
		break;
	case IVR_HOURS:
		if (n->u.hours.hours != NULL)
			free(n->u.hours.hours->holidays);
		free(n->u.hours.hours);
		ivr_ref_clear(&n->u.hours.open);
		ivr_ref_clear(&n->u.hours.closed);
		break;
	case IVR_QUEUE:
	case IVR_CALLBACK:
		free(n->u.queue.name);
		for (i = 0; i < n->u.queue.nskills; i++)
			free(n->u.queue.skills[i].name);
		free(n->u.queue.skills);
		break;
	case IVR_TRANSFER:
		free(n->u.transfer.target);
		break;
	case IVR_VOICEMAIL:
		free(n->u.voicemail.variable);
		break;
	case IVR_SET:
		ivr_pairs_free(n->u.set.vars, n->u.set.nvars);
		break;
	case IVR_GOTO:
		ivr_ref_clear(&n->u.jump.node);
		free(n->u.jump.flow);
		break;
	case IVR_HTTP:
		free(n->u.http.url);
		free(n->u.http.body);
		ivr_pairs_free(n->u.http.headers, n->u.http.nheaders);
		ivr_pairs_free(n->u.http.map, n->u.http.nmap);
		break;
	default:
		break;
	}
	free(n->id);
}

void
ivr_flow_free(struct ivr_flow *flow)
{
	if (flow == NULL)
		return;
	for (size_t i = 0; i < flow->nnodes; i++)
		ivr_node_clear(&flow->nodes[i]);
	free(flow->nodes);
	ivr_pairs_free(flow->vars, flow->nvars);
	ivr_ref_clear(&flow->start);
	free(flow->name);
	free(flow->description);
	free(flow->timezone);
	free(flow->language);
	free(flow->voice);
	ivr_tz_free(flow->tz);
	free(flow->index);
	free(flow);
}

int
ivr_flow_find(const struct ivr_flow *flow, const char *id)
{
	size_t	 lo = 0, hi = flow->index != NULL ? flow->nnodes : 0, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(id, flow->nodes[flow->index[mid]].id);
		if (c == 0)
			return flow->index[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

struct ivr_flow *
ivr_flow_parse(const char *buf, size_t len, const struct ivr_options *opt,
    struct ivr_diags *d)
{
	static const struct ivr_options	 none;
	struct ivr_parse		 p;
	struct ivr_diags		 mine;
	struct ivr_y			*root;
	size_t				 errors = d->errors, first = d->n;

	memset(&p, 0, sizeof p);
	p.d = d;
	p.opt = opt != NULL ? opt : &none;
	if (len > IVR_MAX_INPUT) {
		IVR_ERR(&p, ((struct ivr_pos){ 0, 0 }), "larger than %d bytes",
		    IVR_MAX_INPUT);
		return NULL;
	}
	if ((root = ivr_yaml_load(buf != NULL ? buf : "", buf != NULL ? len :
	    0, d)) == NULL)
		goto out;
	if (root->type != IVR_Y_MAP) {
		IVR_ERR(&p, root->pos, "expected a mapping with the flow's "
		    "name, start and nodes");
		goto out;
	}
	p.flow = xcalloc(1, sizeof *p.flow);
	p.flow->start.node = -1;
	ivr_decode_map(&p, root, ivr_flow_fields, IVR_NITEMS(ivr_flow_fields),
	    ANY, p.flow, "the flow");
	ivr_flow_check(&p);
out:
	ivr_yaml_free(root);
	if (d->n > first) {
		mine = *d;	/* sort only this flow's diagnostics */
		mine.v += first;
		mine.n -= first;
		ivr_diags_sort(&mine);
	}
	if (d->errors != errors) {
		ivr_flow_free(p.flow);
		return NULL;
	}
	return p.flow;
}
