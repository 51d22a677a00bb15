/*
 * The company_integrations, webhook_deliveries and twilio_calls tables:
 * per-company webhook secrets, recently seen delivery ids, and the calls
 * that Twilio call sids map to.
 */
#ifndef DB_INTEGRATION_H
#define DB_INTEGRATION_H

#include <libpq-fe.h>

struct db;

enum integration_col {
	INTEG_C_ACCOUNT, INTEG_C_SECRET, INTEG_C_CREATED, INTEG_C_UPDATED,
};

/* One row (INTEG_C_*) or none. kind is "twilio" or "incoming". */
PGresult	*db_integration_get(struct db *, const char *company,
		    const char *kind);
/* Set or replace; one row: INTEG_C_* and a "t"/"f" created column. */
PGresult	*db_integration_put(struct db *, const char *company,
		    const char *kind, const char *account, const char *secret);
/* One row if there was one. */
PGresult	*db_integration_delete(struct db *, const char *company,
		    const char *kind);

/* Claim a delivery id: 1 new, 0 seen within the window, -1 error. */
int		 db_delivery_claim(struct db *, const char *company,
		     const char *id);
/* Give an id back (its delivery failed and may be retried). */
int		 db_delivery_forget(struct db *, const char *company,
		     const char *id);

/* call_id, twiml of a call sid; no rows if unknown. */
PGresult	*db_twilio_call(struct db *, const char *company, const char *sid);
/* The call sid of a call; no rows if none. */
PGresult	*db_twilio_sid(struct db *, const char *company, const char *call);
/* Map a sid to a call (first time) and remember the TwiML answered. */
int		 db_twilio_put(struct db *, const char *company, const char *sid,
		     const char *call, const char *twiml);

#endif
