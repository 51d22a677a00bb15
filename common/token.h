/*
 * Access tokens: HS256 JWTs issued and verified with every check libjwt
 * leaves to its caller (PITFALLS.md): algorithm pinned, exp/nbf/iss/aud
 * checked, keys shorter than 32 bytes refused.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <time.h>

#define TOKEN_MIN_KEY	32

struct token_claims {
	char	sub[40];	/* user id (UUID) */
	char	jti[40];	/* token id, for revocation */
	char	sid[40];	/* session (refresh family) id */
	char	role[16];	/* admin | manager | agent */
	char	company[40];	/* company id, "" for none */
	time_t	iat;
	time_t	exp;
};

enum token_error {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,	/* not a JWT, bad signature, bad claims */
	TOKEN_BAD_ALG,		/* not HS256 */
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,
	TOKEN_BAD_ISSUER,
	TOKEN_BAD_AUDIENCE,
};

struct token_key {
	unsigned char	*key;
	size_t		 len;
	char		*issuer;
	char		*audience;
};

/* Fails for a key under TOKEN_MIN_KEY bytes. */
int		 token_key_init(struct token_key *, const unsigned char *, size_t,
		     const char *issuer, const char *audience);
void		 token_key_free(struct token_key *);
/* Sign claims (iat/exp set by caller). Caller frees. NULL on failure. */
char		*token_issue(const struct token_key *, const struct token_claims *);
/* Verify at time now, allowing leeway seconds of clock skew. */
enum token_error token_verify(const struct token_key *, const char *,
		     time_t now, int leeway, struct token_claims *);
const char	*token_strerror(enum token_error);

#endif
