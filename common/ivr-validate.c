/*
 * Checks of an IVR flow as a whole, once every node is read: references
 * resolve to nodes, every node can be reached from the start (a warning),
 * and no loop runs forever without waiting for the caller.
 */
#include <stdlib.h>
#include <string.h>

#include "ivr-int.h"
#include "xmalloc.h"

#define IVR_CYCLE_SHOWN	8	/* nodes named in a loop's message */

struct ivr_id {
	const char	*id;
	int		 node;
};

/* Edges of the flow as arrays: node i's are edge[first[i]..first[i+1]). */
struct ivr_graph {
	int		*first;
	int		*edge;
	size_t		 nedges;
};

struct ivr_resolve {
	struct ivr_parse	*p;
	struct ivr_graph	*g;
	int			 count;		/* only count the edges */
};

/* Every reference slot of a node, set or not. */
void
ivr_node_refs(struct ivr_node *n, ivr_ref_fn fn, void *arg)
{
	size_t	 i;

	fn(&n->next, arg);
	fn(&n->on_timeout, arg);
	fn(&n->on_invalid, arg);
	fn(&n->on_error, arg);
	switch (n->type) {
	case IVR_MENU:
		for (i = 0; i < IVR_NDIGITS; i++)
			fn(&n->u.menu.options[i], arg);
		break;
	case IVR_BRANCH:
		for (i = 0; i < n->u.branch.nconds; i++)
			fn(&n->u.branch.conds[i].next, arg);
		fn(&n->u.branch.otherwise, arg);
		break;
	case IVR_HOURS:
		fn(&n->u.hours.open, arg);
		fn(&n->u.hours.closed, arg);
		break;
	case IVR_GOTO:
		fn(&n->u.jump.node, arg);
		break;
	default:
		break;
	}
}

static int
ivr_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ivr_id *)a)->id,
	    ((const struct ivr_id *)b)->id);
}

static void
ivr_index(struct ivr_flow *flow)
{
	struct ivr_id	*ids;
	size_t		 i;

	ids = xcalloc(flow->nnodes + 1, sizeof *ids);
	for (i = 0; i < flow->nnodes; i++) {
		ids[i].id = flow->nodes[i].id;
		ids[i].node = (int)i;
	}
	qsort(ids, flow->nnodes, sizeof *ids, ivr_id_cmp);
	flow->index = xcalloc(flow->nnodes + 1, sizeof *flow->index);
	for (i = 0; i < flow->nnodes; i++)
		flow->index[i] = ids[i].node;
	free(ids);
}

static void
ivr_resolve_ref(struct ivr_ref *r, void *arg)
{
	struct ivr_resolve	*rs = arg;
	char			 q[64];

	if (r->id == NULL) {
		r->node = -1;
		return;
	}
	if (rs->count) {
		rs->g->nedges++;
		return;
	}
	if ((r->node = ivr_flow_find(rs->p->flow, r->id)) == -1)
		IVR_ERR(rs->p, r->pos, "unknown node \"%s\"",
		    ivr_excerpt(q, sizeof q, r->id));
	else
		rs->g->edge[rs->g->nedges++] = r->node;
}

/* Resolve every reference and collect the edges. */
static void
ivr_graph(struct ivr_parse *p, struct ivr_graph *g)
{
	struct ivr_flow		*flow = p->flow;
	struct ivr_resolve	 rs = { p, g, 1 };
	size_t			 i;

	for (i = 0; i < flow->nnodes; i++)
		ivr_node_refs(&flow->nodes[i], ivr_resolve_ref, &rs);
	g->edge = xcalloc(g->nedges + 1, sizeof *g->edge);
	g->first = xcalloc(flow->nnodes + 1, sizeof *g->first);
	g->nedges = 0;
	rs.count = 0;
	for (i = 0; i < flow->nnodes; i++) {
		g->first[i] = (int)g->nedges;
		ivr_node_refs(&flow->nodes[i], ivr_resolve_ref, &rs);
	}
	g->first[flow->nnodes] = (int)g->nedges;
	ivr_resolve_ref(&flow->start, &rs);
}

static void
ivr_reachable(struct ivr_parse *p, const struct ivr_graph *g)
{
	struct ivr_flow	*flow = p->flow;
	char		*seen, q[64];
	int		*todo, n = 0, u, e;
	size_t		 i;

	if (flow->start.node < 0)
		return;
	seen = xcalloc(flow->nnodes, 1);
	todo = xcalloc(flow->nnodes, sizeof *todo);
	seen[flow->start.node] = 1;
	todo[n++] = flow->start.node;
	while (n > 0) {
		u = todo[--n];
		for (e = g->first[u]; e < g->first[u + 1]; e++) {
			if (!seen[g->edge[e]]) {
				seen[g->edge[e]] = 1;
				todo[n++] = g->edge[e];
			}
		}
	}
	for (i = 0; i < flow->nnodes; i++) {
		if (!seen[i] && flow->nodes[i].type < IVR_NTYPES)
			IVR_WARN(p, flow->nodes[i].pos, "node \"%s\" is never "
			    "reached from the start",
			    ivr_excerpt(q, sizeof q, flow->nodes[i].id));
	}
	free(todo);
	free(seen);
}

/* Does the node wait for the caller (or a queue) before moving on? */
static int
ivr_waits(const struct ivr_node *n)
{
	static const int waits[IVR_NTYPES] = {
		[IVR_MENU] = 1, [IVR_GATHER] = 1, [IVR_VOICEMAIL] = 1,
		[IVR_QUEUE] = 1, [IVR_TRANSFER] = 1, [IVR_HANGUP] = 1,
		[IVR_CALLBACK] = 1,
	};

	return n->type >= IVR_NTYPES || waits[n->type];
}

/* Report the loop on the stack from the node at index from. */
static void
ivr_cycle_report(struct ivr_parse *p, const int *stack, int from, int top)
{
	struct ivr_flow	*flow = p->flow;
	const char	*first = flow->nodes[stack[from]].id;
	char		*list, *s, q[64];
	int		 i;

	if (from == top - 1) {
		IVR_ERR(p, flow->nodes[stack[from]].pos, "node \"%s\" leads to "
		    "itself without waiting for the caller",
		    ivr_excerpt(q, sizeof q, first));
		return;
	}
	list = xstrdup("");
	for (i = from; i < top && i - from < IVR_CYCLE_SHOWN; i++) {
		s = xasprintf("%s\"%s\" -> ", list, ivr_excerpt(q, sizeof q,
		    flow->nodes[stack[i]].id));
		free(list);
		list = s;
	}
	IVR_ERR(p, flow->nodes[stack[from]].pos, "nodes %s%s\"%s\" loop "
	    "without waiting for the caller", list, i < top ? "... -> " : "",
	    ivr_excerpt(q, sizeof q, first));
	free(list);
}

/*
 * Loops through nodes that do not wait for the caller: a depth-first
 * search (iterative: a flow has up to 10,000 nodes) over the edges
 * between such nodes; each edge back to a node on the stack is a loop.
 */
static void
ivr_cycles(struct ivr_parse *p, const struct ivr_graph *g)
{
	struct ivr_flow	*flow = p->flow;
	char		*color, *reported;
	int		*stack, *at, *where, top, u, v;
	size_t		 i;

	color = xcalloc(flow->nnodes, 1);
	stack = xcalloc(flow->nnodes, sizeof *stack);
	at = xcalloc(flow->nnodes, sizeof *at);
	where = xcalloc(flow->nnodes, sizeof *where);
	reported = xcalloc(flow->nnodes, 1);
	for (i = 0; i < flow->nnodes; i++) {
		if (color[i] != 0 || ivr_waits(&flow->nodes[i]))
			continue;
		color[i] = 1;
		at[i] = g->first[i];
		where[i] = 0;
		stack[0] = (int)i;
		top = 1;
		while (top > 0) {
			u = stack[top - 1];
			if (at[u] == g->first[u + 1]) {
				color[u] = 2;
				top--;
				continue;
			}
			v = g->edge[at[u]++];
			if (ivr_waits(&flow->nodes[v]))
				continue;
			if (color[v] == 1 && !reported[v]) {
				reported[v] = 1;
				ivr_cycle_report(p, stack, where[v], top);
			}
			if (color[v] != 0)
				continue;
			color[v] = 1;
			at[v] = g->first[v];
			where[v] = top;
			stack[top++] = v;
		}
	}
	free(reported);
	free(where);
	free(at);
	free(stack);
	free(color);
}

void
ivr_flow_check(struct ivr_parse *p)
{
	struct ivr_flow		*flow = p->flow;
	struct ivr_graph	 g;
	char			 q[64];
	size_t			 i;

	memset(&g, 0, sizeof g);
	if (flow->nodes == NULL)
		return;
	ivr_index(flow);
	ivr_graph(p, &g);
	ivr_reachable(p, &g);
	ivr_cycles(p, &g);
	for (i = 0; i < flow->nnodes && !p->tz_given; i++) {
		if (flow->nodes[i].type == IVR_HOURS) {
			IVR_ERR(p, flow->nodes[i].pos, "hours node \"%s\" needs "
			    "the flow's \"timezone\"",
			    ivr_excerpt(q, sizeof q, flow->nodes[i].id));
			break;
		}
	}
	free(g.first);
	free(g.edge);
}
