/* The agents table. scope is NULL for every company, else one id. */
#ifndef DB_AGENT_H
#define DB_AGENT_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;
struct page;

enum agent_col {
	AGENT_C_ID, AGENT_C_COMPANY, AGENT_C_USER, AGENT_C_NAME,
	AGENT_C_EXTENSION, AGENT_C_SKILLS, AGENT_C_MAX_CALLS, AGENT_C_STATE,
	AGENT_C_SINCE, AGENT_C_REASON, AGENT_C_HANDLED, AGENT_C_TALK,
	AGENT_C_MISSED, AGENT_C_CREATED, AGENT_C_UPDATED, AGENT_C_KEY,
	AGENT_C_LAST_END,	/* epoch seconds or NULL */
	AGENT_C_PENDING,	/* away or offline once busy/wrap-up ends */
};

json_t		*agent_json(const PGresult *, int row);

PGresult	*db_agent_list(struct db *, const char *scope, const char *state,
		    const struct page *);
PGresult	*db_agent_get(struct db *, const char *scope, const char *id);
PGresult	*db_agent_by_user(struct db *, const char *user);
/* The ids of a company's agents. */
PGresult	*db_agent_ids(struct db *, const char *company);
/* Every agent, for rebuilding the hub. */
PGresult	*db_agent_all(struct db *);
PGresult	*db_agent_create(struct db *, const char *company,
		    const char *user, const char *name, const char *extension,
		    const char *skills, const char *max_calls);
PGresult	*db_agent_update(struct db *, const char *scope, const char *id,
		    const char *name, const char *extension, const char *skills,
		    const char *max_calls);
PGresult	*db_agent_delete(struct db *, const char *scope, const char *id);
/* Live state, persisted by the hub; pending NULL for none. keep_reason
 * leaves the stored reason as it is. */
PGresult	*db_agent_state(struct db *, const char *id, const char *state,
		    const char *reason, const char *pending, int keep_reason);
int		 db_agent_call_done(struct db *, const char *id, double talk);
int		 db_agent_missed(struct db *, const char *id);
/* agent_id, calls answered today, their talk seconds: one row per agent. */
PGresult	*db_agent_today(struct db *, const char *scope);

#endif
