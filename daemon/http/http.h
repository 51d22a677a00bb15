/*
 * Requests and responses as handlers see them, independent of
 * libwebsockets: a handler reads a struct request and fills a struct
 * response; server.c moves them to and from the wire.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "db.h"		/* UUID_LEN */

enum http_method {
	HTTP_GET,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_HEAD,
	HTTP_METHOD_COUNT
};

enum role {
	ROLE_NONE,		/* anonymous */
	ROLE_AGENT,
	ROLE_MANAGER,
	ROLE_ADMIN,
};

#define ROUTE_MAX_PARAMS 4

struct principal {
	enum role	 role;
	char		 user_id[UUID_LEN + 1];
	char		 company_id[UUID_LEN + 1];	/* "" for admins */
	char		 sid[UUID_LEN + 1];		/* "" for the local admin */
	char		 jti[UUID_LEN + 1];
	int		 local;		/* trusted Unix-socket peer, no token */
};

struct route;

struct request {
	enum http_method	 method;
	char			*path;
	char			*query;		/* after '?', or NULL */
	const struct route	*route;
	char			*params[ROUTE_MAX_PARAMS];
	int			 nparams;
	struct principal	 who;
	/*
	 * NULL for an admin (every company), else the principal's company;
	 * an admin's GET with ?company_id= is scoped to that company.
	 */
	const char		*scope;
	char			 scope_buf[UUID_LEN + 1];
	json_t			*body;		/* parsed JSON body or NULL */
	char			*raw;		/* a YAML body (ROUTE_YAML), the
						   bytes of a ROUTE_SIGNED or
						   ROUTE_FORM body, or NULL */
	size_t			 rawlen;
	struct form		*form;		/* ROUTE_FORM: the fields */
	/* ROUTE_SIGNED: the headers a webhook's signature travels in. */
	char			*hook_id;	/* webhook-id; X-Calldocker-Node,
					   -Date, -Signature of a node
					   (ROUTE_INTERNAL) below */
	char			*hook_timestamp;	/* webhook-timestamp */
	char			*hook_signature;	/* webhook-signature */
	char			*twilio_signature;	/* x-twilio-signature */
	char			 client_ip[64];
	char			*user_agent;
	char			*idempotency_key;
	char			*content_type;	/* of a raw body (ROUTE_RAW) */
	char			*if_none_match;	/* for ROUTE_RAW downloads */
	/* ROUTE_RAW: a resumable upload's headers (docs/api.md, "Browser
	 * recordings"), or NULL when absent. */
	char			*upload_offset;		/* Upload-Offset */
	char			*upload_complete;	/* Upload-Complete */
	char			*rec_duration;		/* Recording-Duration */
	char			*rec_channels;		/* Recording-Channels */
	struct stream		*stream;	/* ROUTE_STREAM: stream.h */
};

struct response {
	int		 status;
	char		*body;		/* malloc'd */
	size_t		 len;
	const char	*content_type;
	char		*location;	/* malloc'd, for 201 */
	int		 retry_after;	/* seconds, 0 for none */
	char		 allow[64];	/* for 405 */
	char		*etag;		/* malloc'd, quoted, or NULL */
	int		 sized;		/* a stream of len bytes, not chunked */
	/* A resumable upload's state: Upload-Offset when has_offset, and
	 * Upload-Complete ("?0", "?1") when not NULL. */
	int		 has_offset;
	long long	 upload_offset;
	const char	*upload_complete;
};

const char	*http_method_name(enum http_method);
/* The title of a status ("Not found"), "Error" for one not listed. */
const char	*http_status_title(int status);
int		 http_method_parse(const char *, enum http_method *);
const char	*role_name(enum role);
int		 role_parse(const char *, enum role *);

void	request_free(struct request *);
void	response_reset(struct response *);

/* Fill resp with a JSON document; steals the reference. */
void	resp_json(struct response *, int status, json_t *);
/* 204 No Content. */
void	resp_empty(struct response *);
/*
 * RFC 9457 problem details. code is the stable machine word; detail a
 * lowercase sentence. Returns -1 so handlers can "return resp_problem()".
 */
int	resp_problem(struct response *, int status, const char *code,
	    const char *detail, ...) __attribute__((format(printf, 4, 5)));
/* The same with more members (steals extra). */
int	resp_problem_with(struct response *, int status, const char *code,
	    json_t *extra, const char *detail, ...)
	    __attribute__((format(printf, 5, 6)));
/* 422 with per-field errors from a struct fields. */
struct fields;
int	resp_invalid(struct response *, struct fields *);

/* Per-field validation errors, collected then answered once. */
struct fields {
	json_t	*errors;	/* array of {field, message} */
};
void	fields_init(struct fields *);
void	fields_add(struct fields *, const char *field, const char *msg, ...)
	    __attribute__((format(printf, 3, 4)));
int	fields_any(const struct fields *);
void	fields_free(struct fields *);

/* Query string parameter, percent-decoded. Caller frees. NULL if absent. */
char	*query_get(const char *query, const char *name);
/* ?limit= parsed within 1..500, default 50; -1 and a 400 on bad input. */
int	query_limit(const struct request *, struct response *);

int	is_uuid(const char *);
/* Does an If-None-Match header's list name etag (quoted), or "*"? */
int	etag_match(const char *list, const char *etag);

#endif
