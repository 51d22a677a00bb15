/* The agents table. scope is NULL for every company, else one id. */
#ifndef DB_AGENT_H
#define DB_AGENT_H

#include <jansson.h>

#include "db.h"

/* One agent. Strings are the row's own; agent_rows_free() frees them. */
struct agent_row {
	char	 id[UUID_LEN + 1];
	char	 company[UUID_LEN + 1];
	char	 user[UUID_LEN + 1];
	char	*name;
	char	*extension;		/* NULL: none */
	char	*skills;		/* a JSON object of names to levels */
	int	 max_calls;
	char	 state[16];		/* an agent_state name */
	char	 since[32];		/* RFC 3339 */
	char	*reason;		/* the pause reason, NULL: none */
	char	 pending[16];		/* away or offline once busy or
					   wrap-up ends, "": none */
	int	 handled;
	double	 talk;
	int	 missed;
	char	 created[32];
	char	 updated[32];
	char	 key[24];		/* keyset pagination key */
	double	 last_end;		/* epoch seconds, 0: no call yet */
	char	 endpoint[8];		/* browser or phone */
	char	*address;		/* phone: E.164 or sip: URI; NULL */
};

struct agent_rows {
	int			 n;
	struct agent_row	*v;
};

void		 agent_rows_free(struct agent_rows *);
/* An agent to the API's Agent object. */
json_t		*agent_json(const struct agent_row *);

/*
 * Each returns the rows (none when nothing matched), or NULL on a database
 * error with db->err set. Caller frees with agent_rows_free().
 */
struct agent_rows *db_agent_list(struct db *, const char *scope,
		    const char *state, const struct page *);
struct agent_rows *db_agent_get(struct db *, const char *scope,
		    const char *id);
struct agent_rows *db_agent_by_user(struct db *, const char *user);
/* Every agent, for rebuilding the hub. */
/* Every agent, or company's (NULL: every company's). */
struct agent_rows *db_agent_all(struct db *, const char *company);
struct agent_rows *db_agent_create(struct db *, const char *company,
		    const char *user, const char *name, const char *extension,
		    const char *skills, const char *max_calls,
		    const char *endpoint, const char *address);
struct agent_rows *db_agent_update(struct db *, const char *scope,
		    const char *id, const char *name, const char *extension,
		    const char *skills, const char *max_calls,
		    const char *endpoint, const char *address);
struct agent_rows *db_agent_delete(struct db *, const char *scope,
		    const char *id);
/* Live state, persisted by the hub; pending NULL for none. keep_reason
 * leaves the stored reason as it is. */
struct agent_rows *db_agent_state(struct db *, const char *id,
		    const char *state, const char *reason, const char *pending,
		    int keep_reason);
/* The ids of a company's agents; NULL on error. Caller db_ids_free()s. */
struct db_ids	*db_agent_ids(struct db *, const char *company);
int		 db_agent_call_done(struct db *, const char *id, double talk);
int		 db_agent_missed(struct db *, const char *id);

/* The calls an agent answered today and their talk seconds. */
struct agent_today {
	char	 agent[UUID_LEN + 1];
	int	 handled;
	double	 talk;
};

struct agent_today_rows {
	int			 n;
	struct agent_today	*v;
};

/* One row per agent that answered a call today; NULL on error. Caller
 * frees with agent_today_free(). */
struct agent_today_rows *db_agent_today(struct db *, const char *scope);
void		 agent_today_free(struct agent_today_rows *);

#endif
