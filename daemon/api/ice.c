/*
 * GET /api/webrtc/ice-servers. TURN credentials are never stored: coturn
 * (static-auth-secret with use-auth-secret) recomputes them from the
 * shared secret and refuses them once the expiry in the username passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "daemon.h"
#include "router.h"
#include "handlers.h"
#include "hmac.h"
#include "ice.h"

void
ice_credential(const char *secret, const char *username,
    char out[ICE_CREDENTIAL_LEN + 1])
{
	char	*mac = hmac_b64(HMAC_SHA1, secret, strlen(secret), username,
		    strlen(username));

	strlcpy_(out, mac, ICE_CREDENTIAL_LEN + 1);
	explicit_bzero(mac, strlen(mac));
	free(mac);
}

/* {"urls": [...]} from a stun_urls or turn_urls value; NULL if empty. */
static json_t *
ice_entry(const char *list, int turn, int *bad)
{
	char	*urls[CONFIG_ICE_MAX], *cause = NULL;
	json_t	*a;
	int	 n;

	if ((n = config_ice_urls(list, turn, urls, CONFIG_ICE_MAX,
	    &cause)) < 0) {
		free(cause);
		*bad = 1;
		return NULL;
	}
	if (n == 0)
		return NULL;
	a = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(a, json_string(urls[i]));
		free(urls[i]);
	}
	return json_pack("{s:o}", "urls", a);
}

json_t *
ice_servers(const char *company, const char *user, time_t now)
{
	json_t	*servers = json_array(), *e;
	char	 cred[ICE_CREDENTIAL_LEN + 1], *name;
	int	 bad = 0;

	if ((e = ice_entry(cfg.stun_urls, 0, &bad)) != NULL)
		json_array_append_new(servers, e);
	if ((e = ice_entry(cfg.turn_urls, 1, &bad)) != NULL) {
		name = xasprintf("%lld:%s", (long long)now + cfg.turn_ttl,
		    user);
		ice_credential(cfg.turn_secret, name, cred);
		json_object_set_new(e, "username", json_string(name));
		json_object_set_new(e, "credential", json_string(cred));
		explicit_bzero(cred, sizeof cred);
		free(name);
		json_array_append_new(servers, e);
	}
	if (bad) {
		json_decref(servers);
		return NULL;
	}
	return json_pack("{s:o,s:i}", "iceServers", servers, "ttl",
	    cfg.turn_ttl);
}

int
ice_servers_get(struct hctx *h)
{
	const struct principal	*who = &h->req->who;
	json_t			*o;

	/* The Unix socket's local admin has no user id. */
	o = ice_servers(who->company_id, who->user_id[0] != '\0' ?
	    who->user_id : "local", time(NULL));
	if (o == NULL)
		return resp_problem(h->resp, 500, "internal",
		    "the ICE server configuration is invalid");
	resp_json(h->resp, 200, o);
	return 0;
}
