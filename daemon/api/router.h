/*
 * The route table: method, path pattern, least role, flags, handler.
 * Authentication, role checks and company scoping happen here, once,
 * before any handler runs.
 */
#ifndef ROUTER_H
#define ROUTER_H

#include "http.h"

struct db;

struct hctx {
	struct request	*req;
	struct response	*resp;
	struct db	*db;
};

typedef int (*handler_fn)(struct hctx *);

enum route_flags {
	ROUTE_BODY = 0x1,		/* expects a JSON body */
	ROUTE_COMPANY_PARAM = 0x2,	/* first param names a company */
	ROUTE_INLINE = 0x4,		/* answered on the loop, no database */
	ROUTE_NO_RATELIMIT = 0x8,	/* operational endpoints */
	ROUTE_SLOW = 0x10,		/* hashes passwords or does file
					   I/O: the slow pool */
	ROUTE_READ = 0x20,		/* single statements, no transaction:
					   may run pipelined (batch.h) */
	ROUTE_BODY_OPT = 0x40,		/* a JSON body is allowed, not needed */
	ROUTE_YAML = 0x80,		/* or application/yaml, kept raw */
	ROUTE_RAW = 0x100,		/* a body of any type up to
					   max_upload_bytes, kept raw */
	ROUTE_FORM = 0x200,		/* application/x-www-form-urlencoded
					   instead of JSON: req->form */
	ROUTE_SIGNED = 0x400,		/* a webhook: keep the raw body and
					   the signature headers */
	ROUTE_STREAM = 0x800,		/* may stream its body: req->stream
					   (stream.h) */
	ROUTE_INTERNAL = 0x1000,	/* between the nodes of a cluster:
					   TCP only, signed by the node
					   (peer.h; with ROUTE_SIGNED) */
	ROUTE_RAW_EMPTY = 0x2000,	/* with ROUTE_RAW: the body may be
					   empty (a resumable upload's
					   creation or last request) */
};

struct route {
	enum http_method	 method;
	const char		*pattern;
	enum role		 min_role;
	int			 flags;
	handler_fn		 handler;
};

extern const struct route	routes[];
extern const size_t		nroutes;

enum route_match {
	MATCH_OK,
	MATCH_NOT_FOUND,
	MATCH_BAD_METHOD,
};

/* Match method and path; fill req->route and params, or allow for 405. */
enum route_match router_match(struct request *, char *allow, size_t);
/* Index of a route in routes[], for metrics. */
size_t		 router_index(const struct route *);

/*
 * Run the route's handler on a worker: first make sure a token's session
 * still exists (a deleted user, a forged session id: 401).
 */
void		 router_run(struct hctx *);

/*
 * Authenticate (token already verified into who), check role and company
 * scope. Returns 0 to go on, or -1 with resp filled.
 */
int		 router_authorize(struct request *, struct response *);

/*
 * A route that is an operation (op.h): the request's body into its typed
 * input (in may carry ids from the path), run as the signed-in user, the
 * outcome answered. Returns -1 when the answer is an error.
 */
struct op_in;
int		 rest_op(struct hctx *, int op, struct op_in *in);
/*
 * A configuration entry (OPTX_ADMIN) as a REST route: the object from the
 * path's first parameter (none for a create), the body; 201s get a
 * Location.
 */
int		 rest_admin(struct hctx *, int op);
/*
 * The same in two steps, for an adapter with more to say (a raw body,
 * options in the query, a second parameter, a header of the answer): run
 * with in as the adapter filled it (the path's first parameter and the
 * body where it did not), then answer out (and free it).
 */
struct op_out;
void		 rest_admin_run(struct hctx *, int op, struct op_in *,
		    struct op_out *);
int		 rest_answer(struct hctx *, struct op_out *);
/*
 * The same for a route with a peculiarity (a second parameter, a company
 * in the path): in filled by the caller, nothing taken from the path; a
 * 201's Location is location/<the new object's id> (none when location is
 * NULL).
 */
int		 rest_admin_in(struct hctx *, int op, struct op_in *in,
		    const char *location);
/* The same for another actor (a verified webhook) and body. */
struct actor;
int		 rest_op_as(struct hctx *, int op, const struct actor *,
		    struct op_in *in, json_t *body);

/* Answer a failed database call: 503, 409 or 500. Returns -1. */
int		 db_fail(struct db *, struct response *);

#endif
