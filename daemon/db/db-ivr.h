/* The ivr_flows, ivr_versions and ivr_sessions tables. */
#ifndef DB_IVR_H
#define DB_IVR_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"

/*
 * One flow. Strings point into the rows' own result; ivr_flow_rows_free()
 * frees it. Versions count from 1: 0 is none.
 */
struct ivr_flow_row {
	const char	*id, *company, *name;
	const char	*description;	/* NULL: none */
	int		 active;	/* the active version */
	int		 latest;	/* the latest version */
	int		 entry;		/* the company's entry flow */
	const char	*created, *updated;
	const char	*key;		/* keyset pagination key */
};

struct ivr_flow_rows {
	int			 n;
	struct ivr_flow_row	*v;
	void			*res;
};

void		 ivr_flow_rows_free(struct ivr_flow_rows *);
/* A flow to the API's IVR flow object. */
json_t		*ivr_flow_json(const struct ivr_flow_row *);

/*
 * Each returns the flows (none when nothing matched), or NULL on a
 * database error with db->err set. Caller frees with ivr_flow_rows_free().
 */
struct ivr_flow_rows *db_ivr_list(struct db *, const char *scope,
		    const struct page *);
struct ivr_flow_rows *db_ivr_get(struct db *, const char *scope,
		    const char *id);
/* Locked, by name (case-insensitive), in a transaction. */
struct ivr_flow_rows *db_ivr_by_name(struct db *, const char *company,
		    const char *name);
/* The same without a lock: the flow a running call chains into. */
struct ivr_flow_rows *db_ivr_find(struct db *, const char *company,
		    const char *name);
struct ivr_flow_rows *db_ivr_create(struct db *, const char *company,
		    const char *name, const char *description);
/*
 * Set the active version (0: the latest); entry makes it the company's
 * entry flow. No rows if the flow or the version does not exist.
 */
struct ivr_flow_rows *db_ivr_activate(struct db *, const char *scope,
		    const char *id, int version, int entry);

/*
 * Add content as the next version unless it equals the latest one (by
 * SHA-256): 0 with the version it is under and whether it was added, -1
 * on error (db->err). In a transaction.
 */
int		 db_ivr_add_version(struct db *, const char *flow,
		    const char *content, const char *author, int *version,
		    int *added);
/* The version before the active one, for a roll back: 0 if none, -1. */
int		 db_ivr_previous(struct db *, const char *id);
/* 1 when the flow was deleted, 0 when there is no such flow, -1. */
int		 db_ivr_delete(struct db *, const char *scope, const char *id);

/* One version of a flow; strings point into the rows' own result. */
struct ivr_version_row {
	int		 version;
	const char	*hash;		/* SHA-256 of the content, hex */
	const char	*author;	/* NULL: none */
	const char	*created;
	const char	*content;	/* the YAML */
	const char	*language;	/* db_ivr_version(): the company's */
};

struct ivr_version_rows {
	int			 n;
	struct ivr_version_row	*v;
	void			*res;
};

void		 ivr_version_rows_free(struct ivr_version_rows *);
/* Every version, oldest first; NULL on error (db->err). */
struct ivr_version_rows *db_ivr_versions(struct db *, const char *id);
/* One version (no rows if none), with its company's language. */
struct ivr_version_rows *db_ivr_version(struct db *, const char *id,
		    int version);

/* The names of a company's queues, for validation. */
struct ivr_names {
	int		  n;
	const char	**v;		/* NULL-terminated */
	void		 *res;
};

struct ivr_names *db_ivr_queue_names(struct db *, const char *company);
void		 ivr_names_free(struct ivr_names *);

/* A call's session: the flow and version it is in, its state as JSON. */
struct ivr_session_row {
	char	 flow[UUID_LEN + 1];
	int	 version;
	char	*state;
};

/*
 * Lock the call's session (in a transaction) into *out: 1, 0 when the
 * call has none, -1 on error (db->err). Caller frees out->state.
 */
int		 db_ivr_session_get(struct db *, const char *call,
		    struct ivr_session_row *out);
int		 db_ivr_session_put(struct db *, const char *call,
		    const char *flow, int version, const char *state);

/* The flow a new call enters: by id, else the company's entry flow. */
struct ivr_flow_rows *db_ivr_start_flow(struct db *, const char *company,
		    const char *id);

#endif
