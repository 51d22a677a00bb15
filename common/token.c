/*
 * Access tokens: HS256 JWTs. libjwt signs and checks the signature; the
 * rest is done here, because libjwt 1.10 leaves it to the caller
 * (PITFALLS.md): the header must name exactly HS256 before libjwt sees the
 * token, the key is never NULL, and exp, nbf, iss, aud and our own claims
 * are checked on the payload with strict JSON types.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>

#include "token.h"
#include "xmalloc.h"

#define TOKEN_MAX_LEN	4096		/* whole token */
#define TOKEN_MAX_HEAD	256		/* decoded header */
#define TOKEN_SIG_LEN	43		/* base64url of a 32-byte HMAC-SHA256 */
#define TOKEN_MAX_TIME	253402300799L	/* 9999-12-31T23:59:59Z */

/* The header libjwt writes, {"alg":"HS256","typ":"JWT"}: no need to parse. */
#define TOKEN_HEADER	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

/* The string claims of struct token_claims, for issuing and checking. */
static const struct token_field {
	const char	*name;
	size_t		 off;
	size_t		 size;
	int		 required;
} token_fields[] = {
#define F(n, m, r) { n, offsetof(struct token_claims, m), \
	sizeof ((struct token_claims *)0)->m, r }
	F("sub", sub, 1),
	F("jti", jti, 1),
	F("sid", sid, 1),
	F("role", role, 1),
	F("cid", company, 0),
#undef F
};
#define TOKEN_NFIELDS	(sizeof token_fields / sizeof token_fields[0])

static const char *token_roles[] = { "admin", "manager", "agent" };

static const char *token_errors[] = {
	[TOKEN_OK] = "no error",
	[TOKEN_MALFORMED] = "malformed token",
	[TOKEN_BAD_ALG] = "token algorithm not allowed",
	[TOKEN_EXPIRED] = "token expired",
	[TOKEN_NOT_YET_VALID] = "token not yet valid",
	[TOKEN_BAD_ISSUER] = "wrong token issuer",
	[TOKEN_BAD_AUDIENCE] = "wrong token audience",
};

int
token_key_init(struct token_key *tk, const unsigned char *key, size_t len,
    const char *issuer, const char *audience)
{
	memset(tk, 0, sizeof *tk);
	if (key == NULL || len < TOKEN_MIN_KEY || len > INT_MAX ||
	    issuer == NULL || *issuer == '\0' ||
	    audience == NULL || *audience == '\0')
		return -1;
	tk->key = xmalloc(len);
	memcpy(tk->key, key, len);
	tk->len = len;
	tk->issuer = xstrdup(issuer);
	tk->audience = xstrdup(audience);
	return 0;
}

void
token_key_free(struct token_key *tk)
{
	if (tk->key != NULL)
		explicit_bzero(tk->key, tk->len);
	free(tk->key);
	free(tk->issuer);
	free(tk->audience);
	memset(tk, 0, sizeof *tk);
}

const char *
token_strerror(enum token_error e)
{
	if ((size_t)e >= sizeof token_errors / sizeof token_errors[0])
		return "unknown token error";
	return token_errors[e];
}

static int
token_role_valid(const char *role)
{
	size_t	 i;

	for (i = 0; i < sizeof token_roles / sizeof token_roles[0]; i++) {
		if (strcmp(role, token_roles[i]) == 0)
			return 1;
	}
	return 0;
}

char *
token_issue(const struct token_key *tk, const struct token_claims *c)
{
	const struct token_field *f;
	const char	*v;
	jwt_t		*j = NULL;
	char		*out = NULL;
	size_t		 i;

	if (tk->key == NULL || c->iat < 0 || c->exp < c->iat ||
	    c->exp > TOKEN_MAX_TIME)
		return NULL;
	for (i = 0; i < TOKEN_NFIELDS; i++) {
		f = &token_fields[i];
		v = (const char *)c + f->off;
		if (memchr(v, '\0', f->size) == NULL ||
		    (f->required && *v == '\0'))
			return NULL;
	}
	if (!token_role_valid(c->role))
		return NULL;

	if (jwt_new(&j) != 0)
		return NULL;
	if (jwt_add_grant(j, "iss", tk->issuer) != 0 ||
	    jwt_add_grant(j, "aud", tk->audience) != 0)
		goto out;
	for (i = 0; i < TOKEN_NFIELDS; i++) {
		f = &token_fields[i];
		v = (const char *)c + f->off;
		if (*v != '\0' && jwt_add_grant(j, f->name, v) != 0)
			goto out;
	}
	if (jwt_add_grant_int(j, "iat", (long)c->iat) != 0 ||
	    jwt_add_grant_int(j, "nbf", (long)c->iat) != 0 ||
	    jwt_add_grant_int(j, "exp", (long)c->exp) != 0)
		goto out;
	if (jwt_set_alg(j, JWT_ALG_HS256, tk->key, (int)tk->len) != 0)
		goto out;
	out = jwt_encode_str(j);
out:
	jwt_free(j);
	return out;
}

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decode unpadded base64url; -1 if invalid, not canonical or too long. */
static int
b64url_decode(const char *in, size_t len, unsigned char *out, size_t size,
    size_t *outlen)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 v, bits = 0;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64url_value((unsigned char)in[i])) < 0)
			return -1;
		acc = ((acc << 6) | (uint32_t)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o == size)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* Decode one part into a JSON object; NULL if it is not one. */
static json_t *
token_part_json(const char *in, size_t len, size_t max)
{
	unsigned char	 buf[TOKEN_MAX_LEN];
	size_t		 n;
	json_t		*o;

	if (max > sizeof buf || b64url_decode(in, len, buf, max, &n) != 0)
		return NULL;
	o = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The header must name HS256, exactly, and nothing we do not know. */
static enum token_error
token_check_header(const char *in, size_t len)
{
	json_t		*h, *alg, *typ;
	enum token_error err = TOKEN_MALFORMED;

	if ((h = token_part_json(in, len, TOKEN_MAX_HEAD)) == NULL)
		return TOKEN_MALFORMED;
	alg = json_object_get(h, "alg");
	typ = json_object_get(h, "typ");
	if (!json_is_string(alg))
		goto out;
	if (json_string_length(alg) != 5 ||
	    strcmp(json_string_value(alg), "HS256") != 0) {
		err = TOKEN_BAD_ALG;
		goto out;
	}
	if (typ != NULL && (!json_is_string(typ) ||
	    strcmp(json_string_value(typ), "JWT") != 0))
		goto out;
	if (json_object_get(h, "crit") != NULL)
		goto out;
	err = TOKEN_OK;
out:
	json_decref(h);
	return err;
}

/* A NumericDate we issue: a non-negative integer no later than year 9999. */
static int
token_time(json_t *claims, const char *name, int required, time_t *out)
{
	json_t		*v = json_object_get(claims, name);
	json_int_t	 t;

	if (v == NULL)
		return required ? -1 : 0;
	if (!json_is_integer(v))
		return -1;
	t = json_integer_value(v);
	if (t < 0 || t > TOKEN_MAX_TIME)
		return -1;
	*out = (time_t)t;
	return 0;
}

static int
token_audience_ok(json_t *aud, const char *ours)
{
	json_t	*v;
	size_t	 i;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), ours) == 0;
	if (!json_is_array(aud))
		return 0;
	json_array_foreach(aud, i, v) {
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), ours) == 0)
			return 1;
	}
	return 0;
}

static enum token_error
token_check_claims(const struct token_key *tk, json_t *claims, time_t now,
    int leeway, struct token_claims *c)
{
	const struct token_field *f;
	json_t		*iss, *v;
	time_t		 nbf = 0;
	size_t		 i, len;

	if (token_time(claims, "iat", 1, &c->iat) != 0 ||
	    token_time(claims, "exp", 1, &c->exp) != 0 ||
	    token_time(claims, "nbf", 0, &nbf) != 0)
		return TOKEN_MALFORMED;
	if (now > c->exp + leeway)
		return TOKEN_EXPIRED;
	if (now + leeway < nbf)
		return TOKEN_NOT_YET_VALID;

	iss = json_object_get(claims, "iss");
	if (!json_is_string(iss) || strcmp(json_string_value(iss),
	    tk->issuer) != 0)
		return TOKEN_BAD_ISSUER;
	if (!token_audience_ok(json_object_get(claims, "aud"), tk->audience))
		return TOKEN_BAD_AUDIENCE;

	for (i = 0; i < TOKEN_NFIELDS; i++) {
		f = &token_fields[i];
		if ((v = json_object_get(claims, f->name)) == NULL) {
			if (f->required)
				return TOKEN_MALFORMED;
			continue;
		}
		if (!json_is_string(v))
			return TOKEN_MALFORMED;
		len = json_string_length(v);
		if (len >= f->size || (f->required && len == 0) ||
		    memchr(json_string_value(v), '\0', len) != NULL)
			return TOKEN_MALFORMED;
		memcpy((char *)c + f->off, json_string_value(v), len + 1);
	}
	if (!token_role_valid(c->role))
		return TOKEN_MALFORMED;
	return TOKEN_OK;
}

enum token_error
token_verify(const struct token_key *tk, const char *tok, time_t now,
    int leeway, struct token_claims *out)
{
	struct token_claims	 c;
	const char		*dot1, *dot2;
	size_t			 len, i, dots = 0;
	json_t			*claims = NULL;
	jwt_t			*j = NULL;
	enum token_error	 err;

	memset(&c, 0, sizeof c);
	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (tk == NULL || tk->key == NULL || tk->len < TOKEN_MIN_KEY ||
	    tk->len > INT_MAX || tok == NULL)
		return TOKEN_MALFORMED;
	if (leeway < 0)
		leeway = 0;

	/* Three base64url parts; the signature is checked after the alg. */
	len = strnlen(tok, TOKEN_MAX_LEN + 1);
	if (len > TOKEN_MAX_LEN)
		return TOKEN_MALFORMED;
	for (i = 0; i < len; i++) {
		if (tok[i] == '.')
			dots++;
		else if (b64url_value((unsigned char)tok[i]) < 0)
			return TOKEN_MALFORMED;
	}
	if (dots != 2)
		return TOKEN_MALFORMED;
	dot1 = strchr(tok, '.');
	dot2 = strchr(dot1 + 1, '.');
	if (dot1 == tok || dot2 == dot1 + 1)
		return TOKEN_MALFORMED;

	len = (size_t)(dot1 - tok);
	if ((len != sizeof TOKEN_HEADER - 1 ||
	    memcmp(tok, TOKEN_HEADER, len) != 0) &&
	    (err = token_check_header(tok, len)) != TOKEN_OK)
		return err;
	if (strlen(dot2 + 1) != TOKEN_SIG_LEN)
		return TOKEN_MALFORMED;

	if (jwt_decode(&j, tok, tk->key, (int)tk->len) != 0 || j == NULL)
		return TOKEN_MALFORMED;
	if (jwt_get_alg(j) != JWT_ALG_HS256) {
		err = TOKEN_BAD_ALG;
		goto out;
	}

	/* The signature covers these exact bytes; read the claims strictly. */
	claims = token_part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    TOKEN_MAX_LEN);
	if (claims == NULL) {
		err = TOKEN_MALFORMED;
		goto out;
	}
	err = token_check_claims(tk, claims, now, leeway, &c);
	if (err == TOKEN_OK && out != NULL)
		*out = c;
out:
	json_decref(claims);
	jwt_free(j);
	return err;
}
