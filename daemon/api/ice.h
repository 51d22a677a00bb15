/*
 * ICE servers for WebRTC clients: the configured STUN URLs and TURN
 * credentials in the TURN REST scheme that coturn's use-auth-secret
 * checks (username "EXPIRY:USER", credential base64(HMAC-SHA1(secret,
 * username))).
 */
#ifndef ICE_H
#define ICE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#define ICE_CREDENTIAL_LEN	28	/* base64 of a 20-byte HMAC-SHA1 */

/*
 * The RTCConfiguration members {"iceServers": [...], "ttl": SECONDS} for
 * user (a user id, or any other stable name of the caller, e.g. a widget
 * session) of company (unused today: one configuration for every
 * company). TURN entries only when turn_urls is set. NULL if the
 * configuration does not parse (config_check refuses that at start-up).
 */
json_t	*ice_servers(const char *company, const char *user, time_t now);

/* credential = base64(HMAC-SHA1(secret, username)), NUL-terminated. */
void	 ice_credential(const char *secret, const char *username,
	    char out[ICE_CREDENTIAL_LEN + 1]);

#endif
