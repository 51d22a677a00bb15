/*
 * Twilio Access Tokens for Twilio's Voice JavaScript SDK (twilio-token.h),
 * minted per request with the company's API key, never stored:
 * GET /api/agents/me/twilio-token for a browser agent's page (it takes
 * phone callers) and GET /api/users/me/twilio-token for a manager's page
 * (it supervises Twilio calls, docs/api.md "Supervision of Twilio calls").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-agent.h"
#include "db-integration.h"
#include "twilio-token.h"
#include "validate.h"

/* Answer the token of identity under the company's API key (or 409). */
static int
voice_token_answer(struct hctx *h, const char *company, const char *identity)
{
	struct integration	 in;
	struct twilio_grant	 g;
	char			*tok, exp[32];
	time_t			 now = time(NULL), until = now + TWILIO_TOKEN_TTL;
	struct tm		 tm;

	switch (db_integration_get(h->db, company, "twilio", &in)) {
	case -1:
		return db_fail(h->db, h->resp);
	case 1:
		if (in.key_sid != NULL && in.account != NULL)
			break;
		/* FALLTHROUGH */
	default:
		integration_clear(&in);
		return resp_problem(h->resp, 409, "not_configured", "the"
		    " company's Twilio integration has no API key");
	}
	g = (struct twilio_grant){ .account = in.account, .key_sid = in.key_sid,
	    .key_secret = in.key_secret, .identity = identity,
	    .app_sid = in.app_sid };
	tok = twilio_token(&g, now, TWILIO_TOKEN_TTL);
	gmtime_r(&until, &tm);
	strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	resp_json(h->resp, 200, json_pack("{s:s,s:s,s:s,s:i,s:s}", "token", tok,
	    "identity", identity, "account_sid", in.account, "ttl",
	    TWILIO_TOKEN_TTL, "expires_at", exp));
	OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	integration_clear(&in);
	return 0;
}

/*
 * GET /api/agents/me/twilio-token: for the calling agent's browser page,
 * identity "agent_<agent id>"; a phone agent gets none (409).
 */
int
agents_twilio_token(struct hctx *h)
{
	const struct principal	*who = &h->req->who;
	struct agent_rows	*a;
	char			 identity[TWILIO_IDENTITY_LEN + 1];
	int			 rc;

	if (who->user_id[0] == '\0')
		return resp_problem(h->resp, 404, "not_found", "the local"
		    " admin is not an agent");
	if ((a = db_agent_by_user(h->db, who->user_id)) == NULL)
		return db_fail(h->db, h->resp);
	if (a->n == 0) {
		agent_rows_free(a);
		return resp_problem(h->resp, 404, "not_found", "you are not"
		    " an agent");
	}
	if (strcmp(a->v[0].endpoint, "browser") != 0) {
		agent_rows_free(a);
		return resp_problem(h->resp, 409, "conflict", "your endpoint"
		    " is a phone: Twilio calls it, not your browser");
	}
	twilio_identity(a->v[0].id, identity);
	rc = voice_token_answer(h, a->v[0].company, identity);
	agent_rows_free(a);
	return rc;
}

/*
 * GET /api/users/me/twilio-token[?company_id=]: for a manager's page,
 * identity "user_<user id>", the Client a supervisor's browser registers
 * as; a manager's own company, or for an admin (who has none) the one
 * named by company_id (422 without it). Not for the local admin (404).
 */
int
users_twilio_token(struct hctx *h)
{
	const struct principal	*who = &h->req->who;
	char			 identity[TWILIO_IDENTITY_LEN + 1];
	char			*company;
	int			 rc;

	if (who->user_id[0] == '\0')
		return resp_problem(h->resp, 404, "not_found", "the local"
		    " admin has no browser identity: sign in as a user");
	if (who->company_id[0] != '\0')
		company = xstrdup(who->company_id);
	else if ((company = query_get(h->req->query, "company_id")) == NULL ||
	    !is_uuid(company)) {
		free(company);
		return resp_problem(h->resp, 422, "validation_failed", "an"
		    " admin names the company: ?company_id=");
	}
	twilio_user_identity(who->user_id, identity);
	rc = voice_token_answer(h, company, identity);
	free(company);
	return rc;
}
