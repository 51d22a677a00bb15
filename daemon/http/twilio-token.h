/*
 * Twilio Access Tokens (twilio-token.c): the JWTs Twilio's Voice
 * JavaScript SDK registers with, signed by the daemon with a company's
 * API key.
 */
#ifndef TWILIO_TOKEN_H
#define TWILIO_TOKEN_H

#include <stddef.h>
#include <time.h>

#define TWILIO_TOKEN_TTL	3600	/* seconds a token is good for */
#define TWILIO_IDENTITY_LEN	38	/* "agent_" and 32 hex digits */
#define TWILIO_USER_PREFIX	"user_"	/* a user's (supervisor's) identity */

/* What a token grants: a voice grant for one identity. */
struct twilio_grant {
	const char	*account;	/* AC...: the token's sub */
	const char	*key_sid;	/* SK...: iss, and jti's prefix */
	const char	*key_secret;	/* the HS256 key */
	const char	*identity;	/* grants.identity */
	const char	*app_sid;	/* AP...: grants.voice.outgoing; NULL */
};

/* The Client identity of an agent (its id without dashes, prefixed). */
void	 twilio_identity(const char *agent_id,
	    char out[TWILIO_IDENTITY_LEN + 1]);
/* The Client identity of a user (a supervisor's browser): "user_" ... */
void	 twilio_user_identity(const char *user_id,
	    char out[TWILIO_IDENTITY_LEN + 1]);
/* The signed token, valid from now for ttl seconds. Caller frees. */
char	*twilio_token(const struct twilio_grant *, time_t now, long ttl);

#endif
