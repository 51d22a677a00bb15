/*
 * Live operations handed to the company's owner (docs/cluster.md,
 * "Forwarding to the owner"). In a cluster a company's live state is owned
 * by one node (owner.h); an operation that needs it, asked of another node,
 * is sent whole to the owner's POST /internal/op and its answer given as if
 * it had run here. The live reads (a waiting call's position, a queue's
 * live figures) are asked of the owner the same way (/internal/read).
 */
#ifndef OP_FORWARD_H
#define OP_FORWARD_H

#include <jansson.h>

#include "acd.h"
#include "hub.h"
#include "op.h"

struct db;
struct call_row;

/*
 * The dispatcher, after the role check: should entry d, acting in company
 * (NULL: find the company of the admin entry's object), run elsewhere? 1:
 * out is the answer (the owner's, or a refusal), 0: run it here.
 */
int	op_forward(struct db *, const struct op_def *d, const struct actor *,
	    const char *company, const struct op_in *, struct op_out *);

/*
 * POST /internal/op: body is a forwarded operation (signed, checked by the
 * caller); run it here, never forwarding again. Returns the HTTP status and
 * the JSON to answer (*answer, the caller's): the operation's status and
 * what it answered.
 */
int	op_forward_serve(struct db *, json_t *body, json_t **answer);
/* POST /internal/read: a live read of this node's engine. */
int	op_forward_read(json_t *body, json_t **answer);

/* The live positions of n calls (out[i].known 0: none), each asked of its
 * company's owner. */
void	op_positions(const struct call_row *const *rows, size_t n,
	    struct hub_position *out);
/* One waiting call's position and estimated wait (-1: unknown) from its
 * company's owner: 0, -1 none. */
int	op_position(const char *company, const char *call, int *position,
	    int *ewt);
/* A queue's live figures from its company's owner: 0, -1 none. */
int	op_queue_stats(const char *company, const char *queue,
	    struct acd_queue_stats *);

#endif
