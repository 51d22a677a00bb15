/*
 * What the other nodes of a cluster ask (docs/cluster.md, "Forwarding to
 * the owner"): POST /internal/op runs an operation forwarded by the node
 * that was asked for it, POST /internal/read answers a live read of this
 * node's engine. Only over TCP (server.c), only signed (peer.h): the actor
 * in the body is trusted, the sender authenticated it.
 */
#include <time.h>

#include "log.h"
#include "router.h"
#include "handlers.h"
#include "peer.h"
#include "op-forward.h"

/* Is the request signed by a node of this cluster? */
static int
signed_by_node(struct hctx *h)
{
	const char	*why;

	if (peer_verify(h->req->hook_timestamp, h->req->hook_signature,
	    h->req->raw, h->req->rawlen, time(NULL), &why) == 0)
		return 1;
	log_warn("internal: %s refused: %s", h->req->path, why);
	resp_problem(h->resp, 401, "unauthorized", "%s", why);
	return 0;
}

/* answer, with a 503's Retry-After. */
static int
answer(struct hctx *h, int status, json_t *o)
{
	if (status == 503)
		h->resp->retry_after = 1;
	resp_json(h->resp, status, o);
	return 0;
}

int
internal_op(struct hctx *h)
{
	json_t	*o;
	int	 status;

	if (!signed_by_node(h))
		return -1;
	status = op_forward_serve(h->db, h->req->body, &o);
	return answer(h, status, o);
}

int
internal_read(struct hctx *h)
{
	json_t	*o;
	int	 status;

	if (!signed_by_node(h))
		return -1;
	status = op_forward_read(h->req->body, &o);
	return answer(h, status, o);
}
