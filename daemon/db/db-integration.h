/*
 * The company_integrations, webhook_deliveries and twilio_calls tables:
 * per-company webhook secrets, recently seen delivery ids, and the calls
 * that Twilio call sids map to; and the call a webhook names.
 */
#ifndef DB_INTEGRATION_H
#define DB_INTEGRATION_H

#include <jansson.h>

#include "db.h"
#include "call.h"

/* A company's integration. Strings are its own: integration_clear(). */
struct integration {
	char	*account;		/* Twilio's account sid; NULL: none */
	char	*secret;		/* the auth token or whsec_ secret */
	char	*key_sid;		/* twilio: the API key's SID, NULL */
	char	*key_secret;		/* and its secret (never shown) */
	char	*app_sid;		/* twilio: a TwiML App's SID, NULL */
	char	 created[32];		/* RFC 3339 */
	char	 updated[32];
	int	 is_new;		/* db_integration_put(): was not set */
};

/*
 * What db_integration_put() writes (borrowed strings, NULL: none); but
 * keep_key keeps a stored API key and keep_app a stored TwiML App when
 * the account stays the same.
 */
struct integration_in {
	const char	*account, *secret;
	const char	*key_sid, *key_secret, *app_sid;
	int		 keep_key, keep_app;
};

/* Frees the strings, the secret wiped first. */
void		 integration_clear(struct integration *);
/* The integration of a kind as the API shows it (never its secret); in
 * NULL: none configured. */
json_t		*integration_json(const char *kind, const struct integration *);

/*
 * kind is "twilio" or "incoming". Get and delete: 1 and *out filled, 0
 * none, -1 database error (db->err). Put sets or replaces (struct
 * integration_in): 0, or -1 (DB_FOREIGN: no such company).
 */
int		 db_integration_get(struct db *, const char *company,
		    const char *kind, struct integration *out);
int		 db_integration_put(struct db *, const char *company,
		    const char *kind, const struct integration_in *in,
		    struct integration *out);
int		 db_integration_delete(struct db *, const char *company,
		    const char *kind);

/* Claim a delivery id: 1 new, 0 seen within the window, -1 error. */
int		 db_delivery_claim(struct db *, const char *company,
		     const char *id);
/* Give an id back (its delivery failed and may be retried). */
int		 db_delivery_forget(struct db *, const char *company,
		     const char *id);

/* What a Twilio call sid maps to. twiml is its own (free()). */
struct twilio_call {
	char	 call[UUID_LEN + 1];
	char	*twiml;			/* answered last; NULL: none yet */
};

/* The call of a sid: 1, 0 unknown, -1 database error. */
int		 db_twilio_call(struct db *, const char *company, const char *sid,
		     struct twilio_call *);
/* Map a sid to a call (first time) and remember the TwiML answered. */
int		 db_twilio_put(struct db *, const char *company, const char *sid,
		     const char *call, const char *twiml);

/* The call is now Twilio's sid (a callback's outbound call): the sid the
 * call had is forgotten. 0, or -1 database error. */
int		 db_twilio_remap(struct db *, const char *company,
		     const char *sid, const char *call);
/* Twilio ended the call of sid itself: 0, or -1 database error. */
int		 db_twilio_ended(struct db *, const char *company,
		     const char *sid);
/* The sid of a call (into sid) and whether Twilio ended it: 1, 0 not a
 * Twilio call, -1 database error. */
int		 db_twilio_of_call(struct db *, const char *company,
		     const char *call, char *sid, size_t sidlen, int *ended);

/*
 * A waiting caller is due an announcement (none yet, or the last one
 * interval seconds ago, a second's slack): 1, and now is recorded as the
 * last; 0 not yet; -1 database error.
 */
int		 db_twilio_announce_due(struct db *, const char *company,
		     const char *sid, int interval);

/* A call a webhook names. obj is its own: hook_call_clear(). */
struct hook_call {
	char		 id[UUID_LEN + 1];
	enum call_state	 state;
	json_t		*obj;		/* the call as the API shows it */
};

void		 hook_call_clear(struct hook_call *);
/*
 * The company's call by its id, or (id NULL) by its idempotency key: 1,
 * 0 none, -1 database error.
 */
int		 db_hook_call(struct db *, const char *company, const char *id,
		     const char *key, struct hook_call *);

#endif
