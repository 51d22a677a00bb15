/*
 * /api/auth: register, login, refresh, profile, logout. Access tokens are
 * short-lived JWTs; refresh tokens are opaque, stored hashed and rotated on
 * every use; reuse of a rotated one revokes its whole session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-user.h"
#include "db-settings.h"
#include "db-company.h"
#include "db-session.h"
#include "validate.h"
#include "password.h"
#include "revoke.h"
#include "audit.h"
#include "settings.h"
#include "throttle.h"

static void
random_uuid(char out[UUID_LEN + 1])
{
	unsigned char	 b[16];

	arc4random_buf(b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
}

/* 32 random bytes, base64url without padding, prefixed "cdr_". */
static void
random_refresh(char out[64])
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char		 b[33];
	size_t			 o = 4;

	arc4random_buf(b, sizeof b);
	memcpy(out, "cdr_", 4);
	for (size_t i = 0; i < sizeof b; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

/*
 * Issue an access token and a refresh token for user, in session sid (a
 * new one when NULL). Inside the caller's transaction. Returns the token
 * pair object, or NULL on a db error.
 */
static json_t *
issue_pair(struct hctx *h, const struct user_row *user, const char *sid)
{
	struct token_claims	 c;
	char			 refresh[64], *access;
	json_t			*pair;

	memset(&c, 0, sizeof c);
	if (sid == NULL) {
		if (db_session_create(h->db, user->id, h->req->client_ip,
		    h->req->user_agent ? h->req->user_agent : "",
		    cfg.refresh_ttl, c.sid) != 0)
			return NULL;
	} else
		strlcpy_(c.sid, sid, sizeof c.sid);
	random_refresh(refresh);
	if (db_refresh_store(h->db, refresh, c.sid, cfg.refresh_ttl) != 0)
		return NULL;
	strlcpy_(c.sub, user->id, sizeof c.sub);
	random_uuid(c.jti);
	strlcpy_(c.role, user->role, sizeof c.role);
	strlcpy_(c.company, user->company, sizeof c.company);
	c.iat = time(NULL);
	c.exp = c.iat + cfg.access_ttl;
	if ((access = token_issue(&tkey, &c)) == NULL)
		fatal("auth: cannot sign a token");
	pair = json_pack("{s:s,s:s,s:s,s:i,s:o}", "access_token", access,
	    "refresh_token", refresh, "token_type", "Bearer",
	    "expires_in", cfg.access_ttl, "user", user_json(user));
	explicit_bzero(access, strlen(access));
	free(access);
	explicit_bzero(refresh, sizeof refresh);
	return pair;
}

/* 429 for a password check that the throttle holds back. */
static int
throttled(struct hctx *h, const char *email)
{
	int	 ra;

	if (throttle_password_begin(email, h->req->client_ip, &ra) == 0)
		return 0;
	h->resp->retry_after = ra;
	return resp_problem(h->resp, 429, "rate_limited", "too many wrong"
	    " passwords; retry in %d seconds", ra);
}

int
auth_login(struct hctx *h)
{
	static const char *const allowed[] = { "email", "password", NULL };
	struct fields	 f;
	const char	*email, *pw;
	char			 lower[256];
	struct user_rows	*user;
	json_t			*pair;

	fields_init(&f);
	fields_only(h->req->body, allowed, &f);
	if (field_string(h->req->body, "email", 1, 254, &f, &email) == 1)
		field_email(email, lower, sizeof lower, &f);
	field_string(h->req->body, "password", 1, 1024, &f, &pw);
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	if (throttled(h, lower) != 0)
		return -1;
	if ((user = db_user_auth_email(h->db, lower)) == NULL) {
		/* No password was checked: the slot does not count. */
		throttle_password_undo(lower, h->req->client_ip);
		return db_fail(h->db, h->resp);
	}
	if (!password_verify(pw, user->n == 1 ? user->v[0].hash : NULL)) {
		user_rows_free(user);
		log_info("auth: failed sign-in from %s", h->req->client_ip);
		return resp_problem(h->resp, 401, "invalid_credentials",
		    "the e-mail address or the password is wrong");
	}
	throttle_password_ok(lower, h->req->client_ip);
	if (db_begin(h->db) != 0 ||
	    (pair = issue_pair(h, &user->v[0], NULL)) == NULL)
		goto fail;
	if (db_user_touch_login(h->db, user->v[0].id) != 0 ||
	    db_commit(h->db) != 0) {
		json_decref(pair);
		goto fail;
	}
	user_rows_free(user);
	resp_json(h->resp, 200, pair);
	return 0;
fail:
	user_rows_free(user);
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

int
auth_register(struct hctx *h)
{
	static const char *const allowed[] = { "email", "password", "name",
	    "company_name", "timezone", NULL };
	struct fields	 f;
	const char	*email, *pw, *name, *cname, *tz;
	char			 lower[256], *hash = NULL, *local = NULL;
	struct company_rows	*company = NULL;
	struct user_rows	*user = NULL;
	json_t			*pair;
	int			 ra;

	if (!cfg.allow_register)
		return resp_problem(h->resp, 403, "forbidden",
		    "self-sign-up is disabled on this server");
	switch (settings_registration_open(h->db)) {
	case 0:
		return resp_problem(h->resp, 403, "registration_closed",
		    "self-sign-up is closed; ask an administrator for an account");
	case -1:
		return db_fail(h->db, h->resp);
	}
	fields_init(&f);
	fields_only(h->req->body, allowed, &f);
	lower[0] = '\0';
	if (field_string(h->req->body, "email", 1, 254, &f, &email) == 1)
		field_email(email, lower, sizeof lower, &f);
	if (field_string(h->req->body, "password", 1, 1024, &f, &pw) == 1)
		password_policy(pw, lower, &f);
	field_string(h->req->body, "name", 0, 100, &f, &name);
	field_string(h->req->body, "company_name", 1, 100, &f, &cname);
	if (field_string(h->req->body, "timezone", 0, 64, &f, &tz) == 1 &&
	    !valid_timezone(tz))
		fields_add(&f, "timezone", "must be an IANA time zone");
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	/* Trusted local peers are not limited, as for the API rate limits. */
	if (!h->req->who.local &&
	    throttle_signup_begin(h->req->client_ip, &ra) != 0) {
		h->resp->retry_after = ra;
		return resp_problem(h->resp, 429, "rate_limited", "too many"
		    " sign-ups; retry in %d seconds", ra);
	}
	if (name == NULL)
		name = local = xstrndup(lower, strcspn(lower, "@"));
	if ((hash = password_hash(pw)) == NULL) {
		free(local);
		if (!h->req->who.local)
			throttle_signup_undo(h->req->client_ip);
		return resp_problem(h->resp, 500, "internal",
		    "cannot hash the password");
	}
	if (db_begin(h->db) != 0 ||
	    (company = db_company_create(h->db, cname, tz)) == NULL ||
	    (user = db_user_create(h->db, company->v[0].id, lower,
	    name, "manager", hash)) == NULL ||
	    (pair = issue_pair(h, &user->v[0], NULL)) == NULL)
		goto fail;
	if (audit(h->db, h->req, company->v[0].id, "register", "user",
	    user->v[0].id, json_pack("{s:s,s:s}", "email", lower, "company",
	    cname)) != 0 || db_commit(h->db) != 0) {
		json_decref(pair);
		goto fail;
	}
	resp_json(h->resp, 201, pair);
	h->resp->location = xstrdup("/api/auth/profile");
	company_rows_free(company);
	user_rows_free(user);
	free(hash);
	free(local);
	return 0;
fail:
	db_rollback(h->db);
	company_rows_free(company);
	user_rows_free(user);
	free(hash);
	free(local);
	/* Nothing was created: the sign-up does not count. */
	if (!h->req->who.local)
		throttle_signup_undo(h->req->client_ip);
	if (h->db->err == DB_UNIQUE && strcmp(h->db->constraint,
	    "companies_name_key") == 0)
		return resp_problem(h->resp, 409, "name_taken",
		    "a company with this name already exists");
	if (h->db->err == DB_UNIQUE)
		return resp_problem(h->resp, 409, "email_taken",
		    "a user with this e-mail address already exists");
	return db_fail(h->db, h->resp);
}

int
auth_refresh(struct hctx *h)
{
	static const char *const allowed[] = { "refresh_token", NULL };
	struct fields	 f;
	const char		*tok;
	struct refresh_row	 rt;
	struct user_rows	*user = NULL;
	json_t			*pair;
	int			 found;

	fields_init(&f);
	fields_only(h->req->body, allowed, &f);
	field_string(h->req->body, "refresh_token", 1, 4096, &f, &tok);
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	if (db_begin(h->db) != 0 ||
	    (found = db_refresh_find(h->db, tok, &rt)) < 0)
		goto fail;
	if (found == 0 || rt.expired || rt.revoked) {
		db_rollback(h->db);
		return resp_problem(h->resp, 401, "unauthorized",
		    "the refresh token is unknown, expired or revoked");
	}
	if (rt.used) {
		/* Someone replayed a rotated token: end the whole session. */
		if (revoke_session(h->db, rt.session) != 0 ||
		    db_commit(h->db) != 0)
			goto fail;
		log_warn("auth: refresh token reuse; session %s revoked",
		    rt.session);
		return resp_problem(h->resp, 401, "unauthorized",
		    "the refresh token was already used; the session is revoked");
	}
	if (db_refresh_use(h->db, tok) != 0 ||
	    (user = db_user_auth_id(h->db, rt.user)) == NULL ||
	    user->n != 1 ||
	    (pair = issue_pair(h, &user->v[0], rt.session)) == NULL ||
	    db_commit(h->db) != 0)
		goto fail;
	user_rows_free(user);
	resp_json(h->resp, 200, pair);
	return 0;
fail:
	user_rows_free(user);
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

int
auth_profile_get(struct hctx *h)
{
	struct user_rows	*u;
	struct settings_row	 set;
	json_t			*eff, *doc;

	if (h->req->who.local) {
		resp_json(h->resp, 200, json_pack("{s:n,s:n,s:s,s:s,s:n,s:b}",
		    "id", "email", "name", "local administrator", "role",
		    "admin", "company_id", "local", 1));
		return 0;
	}
	/* One statement: the user and their settings (one round trip). */
	if ((u = db_user_profile(h->db, h->req->who.user_id, &set)) == NULL)
		return db_fail(h->db, h->resp);
	if (u->n == 0)
		resp_problem(h->resp, 401, "unauthorized", "the user is gone");
	else {
		/* Language, time zone and theme in effect for this user. */
		doc = user_json(&u->v[0]);
		eff = settings_effective(&set);
		json_object_update(doc, eff);
		json_decref(eff);
		resp_json(h->resp, 200, doc);
	}
	settings_row_free(&set);
	user_rows_free(u);
	return 0;
}

int
auth_profile_put(struct hctx *h)
{
	static const char *const allowed[] = { "name", "email", "password",
	    "current_password", NULL };
	struct fields	 f;
	const char	*name, *email, *pw, *cur;
	char			 lower[256], *hash = NULL;
	struct user_rows	*me = NULL, *u = NULL;

	if (h->req->who.local)
		return resp_problem(h->resp, 409, "conflict",
		    "the local administrator has no profile");
	fields_init(&f);
	fields_only(h->req->body, allowed, &f);
	field_string(h->req->body, "name", 0, 100, &f, &name);
	if (field_string(h->req->body, "email", 0, 254, &f, &email) == 1)
		field_email(email, lower, sizeof lower, &f);
	if (field_string(h->req->body, "password", 0, 1024, &f, &pw) == 1)
		password_policy(pw, email ? lower : NULL, &f);
	field_string(h->req->body, "current_password", pw != NULL, 1024, &f, &cur);
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	if ((me = db_user_auth_id(h->db, h->req->who.user_id)) == NULL) {
		fields_free(&f);
		return db_fail(h->db, h->resp);
	}
	if (me->n == 0) {
		fields_free(&f);
		user_rows_free(me);
		return resp_problem(h->resp, 401, "unauthorized", "the user is gone");
	}
	if (pw != NULL) {
		/* A guess here counts like a sign-in to the same account. */
		if (throttled(h, me->v[0].email) != 0) {
			user_rows_free(me);
			fields_free(&f);
			return -1;
		}
		if (!password_verify(cur, me->v[0].hash)) {
			user_rows_free(me);
			log_info("auth: wrong current password from %s",
			    h->req->client_ip);
			fields_add(&f, "current_password", "is wrong");
			return resp_invalid(h->resp, &f);
		}
		throttle_password_ok(me->v[0].email, h->req->client_ip);
		if ((hash = password_hash(pw)) == NULL) {
			user_rows_free(me);
			fields_free(&f);
			return resp_problem(h->resp, 500, "internal",
			    "cannot hash the password");
		}
	}
	fields_free(&f);
	user_rows_free(me);
	if (db_begin(h->db) != 0 ||
	    (u = db_user_update(h->db, NULL, h->req->who.user_id,
	    email ? lower : NULL, name, NULL, hash)) == NULL)
		goto fail;
	/* A new password ends every other session of the user. */
	if ((hash != NULL && revoke_user_sessions(h->db, h->req->who.user_id,
	    h->req->who.sid) != 0) ||
	    audit(h->db, h->req, u->v[0].company[0] ? u->v[0].company : NULL,
	    "update",
	    "profile", h->req->who.user_id, json_pack("{s:b,s:b,s:b}", "name",
	    name != NULL, "email", email != NULL, "password", pw != NULL)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	resp_json(h->resp, 200, user_json(&u->v[0]));
	user_rows_free(u);
	free(hash);
	return 0;
fail:
	user_rows_free(u);
	free(hash);
	db_rollback(h->db);
	if (h->db->err == DB_UNIQUE)
		return resp_problem(h->resp, 409, "email_taken",
		    "a user with this e-mail address already exists");
	return db_fail(h->db, h->resp);
}

int
auth_logout(struct hctx *h)
{
	if (h->req->who.sid[0] != '\0') {
		if (revoke_session(h->db, h->req->who.sid) != 0)
			return db_fail(h->db, h->resp);
	}
	resp_empty(h->resp);
	return 0;
}
