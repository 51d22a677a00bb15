/* Unit tests for common/token.c: round trip and every way to forge a token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>

#include "token.h"
#include "unit.h"

#define SECRET	"0123456789abcdef0123456789abcdef-test-secret"
#define NOW	1700000000

static struct token_key	 key;

static struct token_claims
claims(void)
{
	struct token_claims	 c;

	memset(&c, 0, sizeof c);
	strcpy(c.sub, "6b1d3c2e-0d1f-4f5e-9a8b-123456789abc");
	strcpy(c.jti, "jti-1");
	strcpy(c.sid, "sid-1");
	strcpy(c.role, "manager");
	strcpy(c.company, "c0ffee00-0000-4000-8000-000000000001");
	c.iat = NOW;
	c.exp = NOW + 900;
	return c;
}

static char *
b64url(const char *s)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t		 len = strlen(s), i, o = 0;
	char		*out = malloc(len * 4 / 3 + 4);
	unsigned	 v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned char)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)s[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = abc[(v >> 6) & 63];
		if (i + 2 < len)
			out[o++] = abc[v & 63];
	}
	out[o] = '\0';
	return out;
}

/* Part n (0, 1, 2) of a token. Caller frees. */
static char *
part(const char *tok, int n)
{
	const char	*p = tok, *end;

	while (n-- > 0)
		p = strchr(p, '.') + 1;
	end = strchr(p, '.');
	return end ? strndup(p, (size_t)(end - p)) : strdup(p);
}

/* header JSON + part 1 and 2 of tok. Caller frees. */
static char *
with_header(const char *header, const char *tok, int keep_sig)
{
	char	*h = b64url(header), *p = part(tok, 1), *s = part(tok, 2);
	char	*out = malloc(strlen(h) + strlen(p) + strlen(s) + 3);

	sprintf(out, "%s.%s.%s", h, p, keep_sig ? s : "");
	free(h);
	free(p);
	free(s);
	return out;
}

/* Sign an arbitrary payload with libjwt. Caller frees. */
static char *
sign(const char *payload, jwt_alg_t alg, const char *secret)
{
	jwt_t	*j;
	char	*out = NULL;

	if (jwt_new(&j) == 0 && jwt_add_grants_json(j, payload) == 0 &&
	    jwt_set_alg(j, alg, (const unsigned char *)secret,
	    (int)strlen(secret)) == 0)
		out = jwt_encode_str(j);
	jwt_free(j);
	if (out == NULL) {
		printf("Bail out! cannot sign %s\n", payload);
		exit(1);
	}
	return out;
}

static enum token_error
verify(const char *tok)
{
	struct token_claims	 c;

	return token_verify(&key, tok, NOW, 0, &c);
}

static void
test_round_trip(void)
{
	struct token_claims	 in = claims(), out;
	char			*tok, *tok2;
	jwt_t			*j;

	tok = token_issue(&key, &in);
	ok(tok != NULL, "issue");
	is_int(token_verify(&key, tok, NOW + 10, 0, &out), TOKEN_OK, "verify");
	is_str(out.sub, in.sub, "sub");
	is_str(out.jti, in.jti, "jti");
	is_str(out.sid, in.sid, "sid");
	is_str(out.role, in.role, "role");
	is_str(out.company, in.company, "company from cid");
	is_int(out.iat, NOW, "iat");
	is_int(out.exp, NOW + 900, "exp");

	ok(jwt_decode(&j, tok, key.key, (int)key.len) == 0, "libjwt decodes");
	is_str(jwt_get_grant(j, "iss"), "calldocker", "iss claim");
	is_str(jwt_get_grant(j, "aud"), "calldocker-api", "aud claim");
	is_int(jwt_get_grant_int(j, "nbf"), NOW, "nbf = iat");
	is_str(jwt_get_header(j, "alg"), "HS256", "alg header HS256");
	jwt_free(j);

	in.company[0] = '\0';
	strcpy(in.role, "agent");
	tok2 = token_issue(&key, &in);
	jwt_decode(&j, tok2, key.key, (int)key.len);
	ok(jwt_get_grant(j, "cid") == NULL, "cid omitted when empty");
	jwt_free(j);
	is_int(token_verify(&key, tok2, NOW, 0, &out), TOKEN_OK, "verify without cid");
	is_str(out.company, "", "company empty");
	ok(token_verify(&key, tok2, NOW, 0, NULL) == TOKEN_OK, "claims may be NULL");
	free(tok);
	free(tok2);

	in = claims();
	strcpy(in.role, "root");
	ok(token_issue(&key, &in) == NULL, "issue refuses an unknown role");
	in = claims();
	in.sub[0] = '\0';
	ok(token_issue(&key, &in) == NULL, "issue refuses an empty sub");
	in = claims();
	memset(in.jti, 'x', sizeof in.jti);
	ok(token_issue(&key, &in) == NULL, "issue refuses an unterminated jti");
	in = claims();
	in.exp = in.iat - 1;
	ok(token_issue(&key, &in) == NULL, "issue refuses exp before iat");
}

static void
test_time(void)
{
	struct token_claims	 in = claims(), out;
	char			*tok = token_issue(&key, &in);

	is_int(token_verify(&key, tok, NOW + 900, 0, &out), TOKEN_OK,
	    "valid at exactly exp");
	is_int(token_verify(&key, tok, NOW + 901, 0, &out), TOKEN_EXPIRED,
	    "expired one second after exp");
	ok(out.sub[0] == '\0', "claims cleared on failure");
	is_int(token_verify(&key, tok, NOW + 930, 30, &out), TOKEN_OK,
	    "leeway covers 30 s after exp");
	is_int(token_verify(&key, tok, NOW + 931, 30, &out), TOKEN_EXPIRED,
	    "but not 31 s");
	is_int(token_verify(&key, tok, NOW - 1, 0, &out), TOKEN_NOT_YET_VALID,
	    "nbf in the future");
	is_int(token_verify(&key, tok, NOW - 60, 60, &out), TOKEN_OK,
	    "leeway covers nbf 60 s ahead");
	is_int(token_verify(&key, tok, NOW - 61, 60, &out), TOKEN_NOT_YET_VALID,
	    "but not 61 s");
	is_int(token_verify(&key, tok, NOW + 901, -5, &out), TOKEN_EXPIRED,
	    "negative leeway taken as 0");
	free(tok);
}

static void
test_iss_aud(void)
{
	struct token_key	 other;
	struct token_claims	 in = claims(), out;
	char			*tok = token_issue(&key, &in), *t;
	const char		*base = "\"sub\":\"u\",\"jti\":\"j\",\"sid\":\"s\","
	    "\"role\":\"admin\",\"iat\":1700000000,\"exp\":1700000900";
	char			 buf[512];

	token_key_init(&other, (const unsigned char *)SECRET, strlen(SECRET),
	    "someone-else", "calldocker-api");
	is_int(token_verify(&other, tok, NOW, 0, &out), TOKEN_BAD_ISSUER,
	    "wrong issuer");
	token_key_free(&other);
	token_key_init(&other, (const unsigned char *)SECRET, strlen(SECRET),
	    "calldocker", "other-api");
	is_int(token_verify(&other, tok, NOW, 0, &out), TOKEN_BAD_AUDIENCE,
	    "wrong audience");
	token_key_free(&other);
	free(tok);

	snprintf(buf, sizeof buf, "{%s,\"iss\":\"calldocker\","
	    "\"aud\":[\"x\",\"calldocker-api\"]}", base);
	t = sign(buf, JWT_ALG_HS256, SECRET);
	is_int(verify(t), TOKEN_OK, "aud array containing ours");
	free(t);
	snprintf(buf, sizeof buf, "{%s,\"iss\":\"calldocker\","
	    "\"aud\":[\"x\",\"y\"]}", base);
	t = sign(buf, JWT_ALG_HS256, SECRET);
	is_int(verify(t), TOKEN_BAD_AUDIENCE, "aud array without ours");
	free(t);
	snprintf(buf, sizeof buf, "{%s,\"iss\":\"calldocker\"}", base);
	t = sign(buf, JWT_ALG_HS256, SECRET);
	is_int(verify(t), TOKEN_BAD_AUDIENCE, "aud missing");
	free(t);
	snprintf(buf, sizeof buf, "{%s,\"aud\":\"calldocker-api\"}", base);
	t = sign(buf, JWT_ALG_HS256, SECRET);
	is_int(verify(t), TOKEN_BAD_ISSUER, "iss missing");
	free(t);
}

/* Signed with our key, but the claims are wrong. */
static void
test_bad_claims(void)
{
	static const struct {
		const char	*claims;
		const char	*what;
	} cases[] = {
		{ "\"jti\":\"j\",\"sid\":\"s\",\"role\":\"admin\"", "no sub" },
		{ "\"sub\":\"u\",\"sid\":\"s\",\"role\":\"admin\"", "no jti" },
		{ "\"sub\":\"u\",\"jti\":\"j\",\"role\":\"admin\"", "no sid" },
		{ "\"sub\":\"u\",\"jti\":\"j\",\"sid\":\"s\"", "no role" },
		{ "\"sub\":\"u\",\"jti\":\"j\",\"sid\":\"s\",\"role\":\"root\"",
		    "unknown role" },
		{ "\"sub\":\"\",\"jti\":\"j\",\"sid\":\"s\",\"role\":\"agent\"",
		    "empty sub" },
		{ "\"sub\":5,\"jti\":\"j\",\"sid\":\"s\",\"role\":\"agent\"",
		    "numeric sub" },
		{ "\"sub\":\"0123456789012345678901234567890123456789\","
		    "\"jti\":\"j\",\"sid\":\"s\",\"role\":\"agent\"",
		    "sub of 40 bytes does not fit" },
		{ "\"sub\":\"u\",\"jti\":\"j\",\"sid\":\"s\",\"role\":\"agent\","
		    "\"cid\":[]", "cid not a string" },
	};
	const char	*times = "\"iss\":\"calldocker\",\"aud\":\"calldocker-api\","
	    "\"iat\":1700000000,\"exp\":1700000900";
	const char	*ids = "\"iss\":\"calldocker\",\"aud\":\"calldocker-api\","
	    "\"sub\":\"u\",\"jti\":\"j\",\"sid\":\"s\",\"role\":\"agent\"";
	static const char *bad_times[] = {
		"\"iat\":1700000000",
		"\"exp\":1700000900",
		"\"iat\":\"1700000000\",\"exp\":1700000900",
		"\"iat\":1700000000,\"exp\":1700000900.5",
		"\"iat\":1700000000,\"exp\":99999999999999",
		"\"iat\":-1,\"exp\":1700000900",
		"\"iat\":1700000000,\"exp\":1700000900,\"nbf\":true",
	};
	char		 buf[512], *t;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(buf, sizeof buf, "{%s,%s}", cases[i].claims, times);
		t = sign(buf, JWT_ALG_HS256, SECRET);
		is_int(verify(t), TOKEN_MALFORMED, "claims: %s", cases[i].what);
		free(t);
	}
	for (i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
		snprintf(buf, sizeof buf, "{%s,%s}", ids, bad_times[i]);
		t = sign(buf, JWT_ALG_HS256, SECRET);
		is_int(verify(t), TOKEN_MALFORMED, "times: %s", bad_times[i]);
		free(t);
	}
}

static void
test_forgery(void)
{
	struct token_claims	 in = claims();
	char			*tok = token_issue(&key, &in), *t, *admin, *h, *p, *s;
	char			 buf[1024];
	size_t			 len;

	/* Tampered payload: role admin spliced into our header and signature. */
	strcpy(in.role, "admin");
	admin = token_issue(&key, &in);
	h = part(tok, 0);
	p = part(admin, 1);
	s = part(tok, 2);
	snprintf(buf, sizeof buf, "%s.%s.%s", h, p, s);
	is_int(verify(buf), TOKEN_MALFORMED, "tampered payload");
	free(h);
	free(p);
	free(s);
	free(admin);

	/* Tampered signature: first and last characters. */
	snprintf(buf, sizeof buf, "%s", tok);
	len = strlen(buf);
	buf[len - 43] = buf[len - 43] == 'A' ? 'B' : 'A';
	is_int(verify(buf), TOKEN_MALFORMED, "tampered signature (first char)");
	snprintf(buf, sizeof buf, "%s", tok);
	buf[len - 1] = buf[len - 1] == 'A' ? 'B' : 'A';
	is_int(verify(buf), TOKEN_MALFORMED, "tampered signature (last char)");
	buf[len - 1] = '\0';
	is_int(verify(buf), TOKEN_MALFORMED, "truncated signature");

	t = with_header("{\"alg\":\"none\"}", tok, 0);
	is_int(verify(t), TOKEN_BAD_ALG, "alg none, empty signature");
	free(t);
	t = with_header("{\"alg\":\"none\",\"typ\":\"JWT\"}", tok, 1);
	is_int(verify(t), TOKEN_BAD_ALG, "alg none, signature kept");
	free(t);
	t = with_header("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", tok, 1);
	is_int(verify(t), TOKEN_BAD_ALG, "RS256 header");
	free(t);
	t = with_header("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", tok, 1);
	is_int(verify(t), TOKEN_BAD_ALG, "alg hs256 (wrong case)");
	free(t);
	t = with_header("{\"alg\":\"HS256\\u0000\",\"typ\":\"JWT\"}", tok, 1);
	is_int(verify(t), TOKEN_MALFORMED, "alg HS256 with a NUL");
	free(t);
	t = with_header("{\"alg\":\"HS256\",\"alg\":\"none\"}", tok, 1);
	is_int(verify(t), TOKEN_MALFORMED, "duplicate alg in header");
	free(t);
	t = with_header("{\"typ\":\"JWT\"}", tok, 1);
	is_int(verify(t), TOKEN_MALFORMED, "no alg");
	free(t);
	t = with_header("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", tok, 1);
	is_int(verify(t), TOKEN_MALFORMED, "crit header");
	free(t);
	t = with_header("[\"HS256\"]", tok, 1);
	is_int(verify(t), TOKEN_MALFORMED, "header not an object");
	free(t);

	/* Algorithm confusion: same claims, same secret, HS512. */
	snprintf(buf, sizeof buf, "{\"iss\":\"calldocker\",\"aud\":"
	    "\"calldocker-api\",\"sub\":\"u\",\"jti\":\"j\",\"sid\":\"s\","
	    "\"role\":\"admin\",\"iat\":%d,\"exp\":%d}", NOW, NOW + 900);
	t = sign(buf, JWT_ALG_HS512, SECRET);
	is_int(verify(t), TOKEN_BAD_ALG, "HS512 signed with our secret");
	free(t);
	t = sign(buf, JWT_ALG_HS384, SECRET);
	is_int(verify(t), TOKEN_BAD_ALG, "HS384 signed with our secret");
	free(t);
	t = sign(buf, JWT_ALG_HS256, SECRET "x");
	is_int(verify(t), TOKEN_MALFORMED, "HS256 signed with another secret");
	free(t);
	t = sign(buf, JWT_ALG_HS256, SECRET);
	is_int(verify(t), TOKEN_OK, "the same claims signed properly pass");
	free(t);
	free(tok);
}

static void
test_garbage(void)
{
	static const char *bad[] = {
		"", ".", "..", "...", "a", "a.b", "a.b.c.d", ".b.c", "a..c",
		"Bearer abc.def.ghi", "abc.def.ghi", "abc.def.ghi ",
		"eyJhbGciOiJIUzI1NiJ9.e30=.sig", "eyJhbGciOiJIUzI1NiJ9.e+/.x",
		"\xff\xfe.\x01.\x02", "eyJhbGciOiJIUzI1NiJ9",
		"eyJhbGciOiJIUzI1NiJ9.e30.", "eyJhbGciOiJIUzI1NiJ9.e30.abc",
		"eyJhbGciOiJIUzI1NiJ9.eyJ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	struct token_key	 none;
	struct token_claims	 c;
	char			*big;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(verify(bad[i]), TOKEN_MALFORMED, "garbage %zu", i);
	is_int(verify(NULL), TOKEN_MALFORMED, "NULL token");

	big = malloc(100001);
	memset(big, 'A', 100000);
	big[100000] = '\0';
	big[10] = big[20] = '.';
	is_int(verify(big), TOKEN_MALFORMED, "100 kB token");
	free(big);

	memset(&none, 0, sizeof none);
	is_int(token_verify(&none, "a.b.c", NOW, 0, &c), TOKEN_MALFORMED,
	    "zeroed key refuses everything");
}

static void
test_keys(void)
{
	struct token_key	 k;
	unsigned char		 raw[64];

	memset(raw, 'k', sizeof raw);
	ok(token_key_init(&k, raw, 31, "i", "a") == -1, "31-byte key refused");
	ok(k.key == NULL, "refused key leaves nothing allocated");
	ok(token_key_init(&k, raw, 0, "i", "a") == -1, "empty key refused");
	ok(token_key_init(&k, NULL, 32, "i", "a") == -1, "NULL key refused");
	ok(token_key_init(&k, raw, 32, "", "a") == -1, "empty issuer refused");
	ok(token_key_init(&k, raw, 32, "i", "a") == 0, "32-byte key accepted");
	token_key_free(&k);
	ok(k.key == NULL, "token_key_free clears");

	is_str(token_strerror(TOKEN_EXPIRED), "token expired", "strerror expired");
	is_str(token_strerror(TOKEN_BAD_ALG), "token algorithm not allowed",
	    "strerror bad alg");
	is_str(token_strerror((enum token_error)99), "unknown token error",
	    "strerror out of range");
}

int
main(void)
{
	if (token_key_init(&key, (const unsigned char *)SECRET, strlen(SECRET),
	    "calldocker", "calldocker-api") != 0) {
		puts("Bail out! token_key_init");
		return 1;
	}
	test_round_trip();
	test_time();
	test_iss_aud();
	test_bad_claims();
	test_forgery();
	test_garbage();
	test_keys();
	token_key_free(&key);
	return unit_done();
}
