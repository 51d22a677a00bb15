/* Direct-mapped cache of verified tokens; loop thread only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "tcache.h"

#define SLOTS	4096

struct slot {
	char			*token;
	struct token_claims	 claims;
};

static struct slot	 slots[SLOTS];

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

enum token_error
tcache_verify(const struct token_key *key, const char *tok, time_t now,
    int leeway, struct token_claims *out)
{
	struct slot	*s = &slots[hash(tok) % SLOTS];
	enum token_error e;

	if (s->token != NULL && strcmp(s->token, tok) == 0) {
		if (now > s->claims.exp + leeway)
			return TOKEN_EXPIRED;
		*out = s->claims;
		return TOKEN_OK;
	}
	if ((e = token_verify(key, tok, now, leeway, out)) != TOKEN_OK)
		return e;
	free(s->token);
	s->token = xstrdup(tok);
	s->claims = *out;
	return TOKEN_OK;
}
