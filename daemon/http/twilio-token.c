/*
 * Twilio Access Tokens, as Twilio's helper libraries make them
 * (twilio-node's jwt/AccessToken.js): a JWT signed HS256 with an API key's
 * secret, header {"typ": "JWT", "alg": "HS256", "cty": "twilio-fpa;v=1"},
 * claims jti "<key sid>-<now>", iss the key sid, sub the account sid,
 * iat, nbf, exp, and grants {"identity", "voice": {"incoming": {"allow":
 * true}, "outgoing": {"application_sid"}?}}. libjwt 1.10 cannot set the
 * cty header, so the token is built here: jansson, HMAC, base64url.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "xmalloc.h"
#include "log.h"
#include "twilio-token.h"

/* base64url without padding of len bytes, appended to buf at *at. */
static void
b64url(char *buf, size_t *at, const unsigned char *in, size_t len)
{
	char	*out = buf + *at;
	int	 n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	for (int i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	*at += (size_t)n;
	buf[*at] = '\0';
}

/* prefix and id without its dashes into out. */
static void
identity(const char *prefix, const char *id, char out[TWILIO_IDENTITY_LEN + 1])
{
	size_t	 n = strlen(prefix);

	memcpy(out, prefix, n);
	for (; *id != '\0' && n < TWILIO_IDENTITY_LEN; id++) {
		if (*id != '-')
			out[n++] = *id;
	}
	out[n] = '\0';
}

void
twilio_identity(const char *agent_id, char out[TWILIO_IDENTITY_LEN + 1])
{
	identity("agent_", agent_id, out);
}

void
twilio_user_identity(const char *user_id, char out[TWILIO_IDENTITY_LEN + 1])
{
	identity(TWILIO_USER_PREFIX, user_id, out);
}

char *
twilio_token(const struct twilio_grant *g, time_t now, long ttl)
{
	json_t		*voice, *claims;
	char		*head, *body, *jti, *tok;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	size_t		 hl, bl, at = 0;

	voice = json_pack("{s:{s:b}}", "incoming", "allow", 1);
	if (g->app_sid != NULL)
		json_object_set_new(voice, "outgoing", json_pack("{s:s}",
		    "application_sid", g->app_sid));
	jti = xasprintf("%s-%lld", g->key_sid, (long long)now);
	claims = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:{s:s,s:o}}",
	    "jti", jti, "iss", g->key_sid, "sub", g->account,
	    "iat", (json_int_t)now, "nbf", (json_int_t)now,
	    "exp", (json_int_t)(now + ttl),
	    "grants", "identity", g->identity, "voice", voice);
	free(jti);
	head = xstrdup("{\"typ\":\"JWT\",\"alg\":\"HS256\","
	    "\"cty\":\"twilio-fpa;v=1\"}");
	if ((body = json_dumps(claims, JSON_COMPACT)) == NULL)
		fatal("twilio token: cannot encode the claims");
	json_decref(claims);
	hl = strlen(head);
	bl = strlen(body);
	/* Each part's base64 is at most 4/3 of it, plus 4. */
	tok = xmalloc((hl + bl + EVP_MAX_MD_SIZE) * 4 / 3 + 16);
	b64url(tok, &at, (unsigned char *)head, hl);
	tok[at++] = '.';
	b64url(tok, &at, (unsigned char *)body, bl);
	if (HMAC(EVP_sha256(), g->key_secret, (int)strlen(g->key_secret),
	    (unsigned char *)tok, at, mac, &maclen) == NULL)
		fatal("twilio token: HMAC failed");
	tok[at++] = '.';
	b64url(tok, &at, mac, maclen);
	OPENSSL_cleanse(mac, sizeof mac);
	free(head);
	free(body);
	return tok;
}
