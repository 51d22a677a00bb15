/* Unit tests for daemon/ice.c and config_ice_urls(): TURN REST credentials. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "ice.h"
#include "unit.h"
#include "xmalloc.h"

static int
urls(const char *list, int turn)
{
	char	*u[CONFIG_ICE_MAX], *cause = NULL;
	int	 n;

	n = config_ice_urls(list, turn, u, CONFIG_ICE_MAX, &cause);
	for (int i = 0; i < n; i++)
		free(u[i]);
	free(cause);
	return n;
}

int
main(void)
{
	char	 cred[ICE_CREDENTIAL_LEN + 1];
	json_t	*o;
	char	*s;

	/* RFC 2202 test case 2, in base64. */
	ice_credential("Jefe", "what do ya want for nothing?", cred);
	is_str(cred, "7/zfauXrL6LSdBbV8YTfnCWafHk=", "HMAC-SHA1 in base64");

	is_int(urls(NULL, 0), 0, "no list, no URLs");
	is_int(urls(" , ", 0), 0, "separators only, no URLs");
	is_int(urls("stun:a.test,stuns:b.test:5349  stun:[::1]:3478", 0), 3,
	    "commas and blanks separate");
	is_int(urls("turn:a.test?transport=tcp", 0), -1, "turn: is not STUN");
	is_int(urls("stun:a.test", 1), -1, "stun: is not TURN");
	is_int(urls("turns:", 1), -1, "a URL needs a host");
	is_int(urls("stun:a,stun:b,stun:c,stun:d,stun:e,stun:f,stun:g,stun:h,"
	    "stun:i,stun:j,stun:k,stun:l,stun:m,stun:n,stun:o,stun:p,stun:q",
	    0), -1, "at most CONFIG_ICE_MAX URLs");

	config_defaults(&cfg);
	o = ice_servers(NULL, "u1", 1000);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"iceServers\":[],\"ttl\":86400}", "nothing configured");
	free(s);
	json_decref(o);

	cfg.stun_urls = xstrdup("stun:s.test");
	cfg.turn_urls = xstrdup("turn:t.test");
	cfg.turn_secret = xstrdup("0123456789abcdef");
	cfg.turn_ttl = 60;
	o = ice_servers(NULL, "u1", 1000);
	is_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(o, "iceServers"), 1), "username")), "1060:u1",
	    "username is EXPIRY:USER");
	ice_credential("0123456789abcdef", "1060:u1", cred);
	is_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(o, "iceServers"), 1), "credential")), cred,
	    "credential of that username");
	json_decref(o);
	config_free(&cfg);
	return unit_done();
}
