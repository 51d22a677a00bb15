/* The ivr_flows, ivr_versions and ivr_sessions tables. */
#ifndef DB_IVR_H
#define DB_IVR_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;
struct page;

enum ivr_col {
	IVR_C_ID, IVR_C_COMPANY, IVR_C_NAME, IVR_C_DESCRIPTION, IVR_C_ACTIVE,
	IVR_C_ENTRY, IVR_C_CREATED, IVR_C_UPDATED, IVR_C_KEY, IVR_C_LATEST,
};

json_t		*ivr_flow_json(const PGresult *, int row);

PGresult	*db_ivr_list(struct db *, const char *scope, const struct page *);
PGresult	*db_ivr_get(struct db *, const char *scope, const char *id);
PGresult	*db_ivr_by_name(struct db *, const char *company, const char *name);
/* The same without a lock: the flow a running call chains into. */
PGresult	*db_ivr_find(struct db *, const char *company, const char *name);
PGresult	*db_ivr_entry(struct db *, const char *company);
PGresult	*db_ivr_create(struct db *, const char *company, const char *name,
		    const char *description);
/*
 * Add content as the next version unless it equals the latest one (by
 * SHA-256). Returns (version, created boolean); in a transaction.
 */
PGresult	*db_ivr_add_version(struct db *, const char *flow,
		    const char *content, const char *author);
/* Set the active version (NULL: the latest); entry "true" makes it the
 * company's entry flow. No rows if the version does not exist. */
PGresult	*db_ivr_activate(struct db *, const char *scope, const char *id,
		    const char *version, const char *entry);
/* The version before the active one, for a roll back; no rows if none. */
PGresult	*db_ivr_previous(struct db *, const char *id);
/* version, content_hash, author_id, created_at, content */
PGresult	*db_ivr_versions(struct db *, const char *id);
/* The same columns, then the flow's company's language. */
PGresult	*db_ivr_version(struct db *, const char *id, const char *version);
PGresult	*db_ivr_delete(struct db *, const char *scope, const char *id);
/* The names of a company's queues, for validation. */
PGresult	*db_ivr_queue_names(struct db *, const char *company);

/* The id of the company's queue of that name (case-insensitive). */
PGresult	*db_ivr_queue_id(struct db *, const char *company, const char *name);

/* Sessions of calls in a flow; get locks the row (in a transaction). */
PGresult	*db_ivr_session_get(struct db *, const char *call);
int		 db_ivr_session_put(struct db *, const char *call,
		    const char *flow, const char *version, const char *state);

#endif
