/* Unit tests for the route table: matching, 405s, roles and scoping. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "xmalloc.h"
#include "router.h"

#define A	"11111111-1111-4111-8111-111111111111"
#define B	"22222222-2222-4222-8222-222222222222"

static struct request *
req_new(enum http_method m, const char *path)
{
	struct request	*r = xcalloc(1, sizeof *r);

	r->method = m;
	r->path = xstrdup(path);
	return r;
}

static enum route_match
match(enum http_method m, const char *path, const char **pattern,
    char *allow)
{
	struct request	*r = req_new(m, path);
	char		 buf[64];
	enum route_match rm = router_match(r, allow ? allow : buf, sizeof buf);

	*pattern = rm == MATCH_OK ? r->route->pattern : NULL;
	request_free(r);
	return rm;
}

static void
test_match(void)
{
	const char	*pat;
	char		 allow[64];
	struct request	*r;

	is_int(match(HTTP_GET, "/health", &pat, NULL), MATCH_OK, "GET /health");
	is_int(match(HTTP_GET, "/api/users/" A, &pat, NULL), MATCH_OK,
	    "GET /api/users/:id");
	is_str(pat, "/api/users/:id", "... names its pattern");
	is_int(match(HTTP_GET, "/api/users/company/" A, &pat, NULL), MATCH_OK,
	    "GET /api/users/company/:companyId");
	is_str(pat, "/api/users/company/:companyId", "... not /api/users/:id");
	is_int(match(HTTP_GET, "/api/users/", &pat, NULL), MATCH_OK,
	    "a trailing slash is accepted");
	is_int(match(HTTP_GET, "/api/users/nope", &pat, NULL), MATCH_NOT_FOUND,
	    "a parameter must be a UUID");
	is_int(match(HTTP_GET, "/api/users/" A "x", &pat, NULL),
	    MATCH_NOT_FOUND, "a UUID with trailing junk is not one");
	is_int(match(HTTP_GET, "/api/users/" A "/more", &pat, NULL),
	    MATCH_NOT_FOUND, "extra segments do not match");
	is_int(match(HTTP_GET, "/api", &pat, NULL), MATCH_NOT_FOUND,
	    "a prefix does not match");
	is_int(match(HTTP_GET, "", &pat, NULL), MATCH_NOT_FOUND, "empty path");
	is_int(match(HTTP_PATCH, "/api/companies/" A, &pat, allow),
	    MATCH_BAD_METHOD, "PATCH on a company is 405");
	is_str(allow, "GET, PUT, DELETE", "... with the allowed methods");
	is_int(match(HTTP_HEAD, "/health", &pat, NULL), MATCH_OK,
	    "HEAD is served by the GET route");

	r = req_new(HTTP_PUT, "/api/companies/" B);
	router_match(r, allow, sizeof allow);
	is_int(r->nparams, 1, "one parameter captured");
	is_str(r->params[0], B, "... the company id");
	request_free(r);
}

/* Authorize a request as role in company (NULL for none). */
static int
authorize(enum http_method m, const char *path, enum role role,
    const char *company, const char **scope)
{
	struct request	*r = req_new(m, path);
	struct response	 resp;
	char		 allow[64];
	int		 rc, status;

	memset(&resp, 0, sizeof resp);
	if (router_match(r, allow, sizeof allow) != MATCH_OK) {
		request_free(r);
		return -1;
	}
	r->who.role = role;
	if (company != NULL)
		strcpy(r->who.company_id, company);
	rc = router_authorize(r, &resp);
	status = rc == 0 ? 0 : resp.status;
	if (scope != NULL)
		*scope = r->scope == NULL ? NULL :
		    r->scope == r->who.company_id ? "own" : "other";
	response_reset(&resp);
	request_free(r);
	return status;
}

static void
test_authorize(void)
{
	const char	*scope;

	is_int(authorize(HTTP_POST, "/api/auth/login", ROLE_NONE, NULL, NULL),
	    0, "login needs no token");
	is_int(authorize(HTTP_GET, "/api/auth/profile", ROLE_NONE, NULL, NULL),
	    401, "profile without a token is 401");
	is_int(authorize(HTTP_GET, "/api/auth/profile", ROLE_AGENT, A, &scope),
	    0, "an agent reads its profile");
	is_str(scope, "own", "... scoped to its company");
	is_int(authorize(HTTP_POST, "/api/users", ROLE_AGENT, A, NULL), 403,
	    "an agent cannot create users");
	is_int(authorize(HTTP_DELETE, "/api/users/" B, ROLE_AGENT, A, NULL), 403,
	    "an agent cannot delete users");
	is_int(authorize(HTTP_POST, "/api/users", ROLE_MANAGER, A, &scope), 0,
	    "a manager creates users");
	is_str(scope, "own", "... in its own company");
	is_int(authorize(HTTP_POST, "/api/companies", ROLE_MANAGER, A, NULL),
	    403, "a manager cannot create companies");
	is_int(authorize(HTTP_GET, "/api/companies/" A, ROLE_MANAGER, A, NULL),
	    0, "a manager reads its company");
	is_int(authorize(HTTP_GET, "/api/companies/" B, ROLE_MANAGER, A, NULL),
	    404, "another company is 404, not 403");
	is_int(authorize(HTTP_PUT, "/api/companies/" B, ROLE_MANAGER, A, NULL),
	    404, "... also for updates");
	is_int(authorize(HTTP_GET, "/api/users/company/" B, ROLE_MANAGER, A,
	    NULL), 404, "another company's users are 404");
	is_int(authorize(HTTP_DELETE, "/api/companies/" A, ROLE_MANAGER, A,
	    NULL), 403, "a manager cannot delete its company");
	is_int(authorize(HTTP_GET, "/api/users/company/" B, ROLE_ADMIN, NULL,
	    &scope), 0, "an admin reads any company");
	is_str(scope, NULL, "... unscoped");
	is_int(authorize(HTTP_DELETE, "/api/companies/" B, ROLE_ADMIN, NULL,
	    NULL), 0, "an admin deletes companies");
}

static void
test_table(void)
{
	for (size_t i = 0; i < nroutes; i++) {
		ok(routes[i].pattern[0] == '/' && routes[i].handler != NULL,
		    "route %s %s is well formed",
		    http_method_name(routes[i].method), routes[i].pattern);
		ok(!(routes[i].flags & ROUTE_COMPANY_PARAM) ||
		    strchr(routes[i].pattern, ':') != NULL,
		    "route %s names the company it is scoped by",
		    routes[i].pattern);
		for (size_t j = 0; j < i; j++) {
			if (routes[i].method == routes[j].method &&
			    strcmp(routes[i].pattern, routes[j].pattern) == 0)
				ok(0, "route %s %s is declared twice",
				    http_method_name(routes[i].method),
				    routes[i].pattern);
		}
	}
}

int
main(void)
{
	test_match();
	test_authorize();
	test_table();
	return unit_done();
}
