/*
 * A cache of verified access tokens, owned by the loop thread: a token
 * seen before (byte for byte) skips the JWT decode and HMAC, and only its
 * expiry is checked again. Revocation is checked separately, every time.
 */
#ifndef TCACHE_H
#define TCACHE_H

#include <time.h>

#include "token.h"

enum token_error	tcache_verify(const struct token_key *, const char *,
			    time_t now, int leeway, struct token_claims *);

#endif
