/* The call_recordings table: recordings of calls, their content a file. */
#ifndef DB_RECORDING_H
#define DB_RECORDING_H

#include <jansson.h>

#include "db.h"

/*
 * The recording mode of a call (its queue's, else its company's: "off",
 * "on" or "on-demand") into mode, and the company's announcement into
 * *announcement (NULL: none; caller frees): 1, 0 no such call, -1 error.
 */
int	db_recording_mode(struct db *, const char *company, const char *call,
	    char *mode, size_t modelen, char **announcement);
/* 1 when the company already has the recording source_id, 0, -1. */
int	db_recording_known(struct db *, const char *company,
	    const char *source_id);
/* A recording stored as file_id (a files row of kind recording). */
struct recording_new {
	const char	*company, *call, *file_id, *content_type, *size;
	const char	*sha256, *source, *source_id, *channels, *duration;
};
/*
 * Its files row and call_recordings row: 1, 0 known already (or the
 * call's caller was purged), -1 error.
 */
int	db_recording_add(struct db *, const struct recording_new *);
/* A call's recordings as the API shows them; NULL on error. */
json_t	*db_recording_list(struct db *, const char *company, const char *call);
/* A recording's file id into file: 1, 0 no such recording, -1 error. */
int	db_recording_file(struct db *, const char *company, const char *call,
	    const char *id, char file[UUID_LEN + 1]);
/* 1 when file is a call's recording (call_recordings), 0 not, -1 error. */
int	db_recording_is_file(struct db *, const char *file);
/*
 * Up to n recordings older than their company's recording_retention_days
 * (ids into the list; caller frees with db_ids_free()); NULL on error.
 */
struct db_ids *db_recording_expired(struct db *, const char *n);
/*
 * Delete a recording and its files row, its content into the storage
 * trash (one statement; the content goes after, storage_delete() and
 * db_file_trash_done()): its file and company into file and company.
 * 1, 0 gone already, -1 on error.
 */
int	db_recording_drop(struct db *, const char *id, char file[UUID_LEN + 1],
	    char company[UUID_LEN + 1]);

/*
 * Recordings Twilio has ready that are still to fetch (recording_fetches,
 * sql/025_purge.sql), so that a failed fetch or a restart loses none.
 * A fetch is claimed for an hour while a thread works on it.
 */
struct recording_fetch {
	char	company[UUID_LEN + 1];
	char	call[UUID_LEN + 1];
	char	source_id[65];
	int	channels, duration;
};
/*
 * A new fetch, claimed by the caller: 0 (also when known, and nothing for
 * a call whose caller was purged), -1 on error.
 */
int	db_recording_fetch_add(struct db *, const char *company,
	    const char *call, const char *source_id, int channels,
	    int duration);
/* 1 while the fetch is pending (not purged, not done elsewhere), 0, -1. */
int	db_recording_fetch_pending(struct db *, const char *company,
	    const char *source_id);
/* Stored (or known already): the fetch is done. 0 or -1. */
int	db_recording_fetch_done(struct db *, const char *company,
	    const char *source_id);
/*
 * A round of tries failed (error: why): tried again after base seconds,
 * doubled each round (at most a day), or failed for good at the
 * max_attempts-th round. 1 failed for good, 0 to retry, -1 on error.
 */
int	db_recording_fetch_failed(struct db *, const char *company,
	    const char *source_id, int max_attempts, int base,
	    const char *error);
/*
 * Claim up to max pending fetches that are due (every pending one when
 * all is set: at start-up, the claims of a stopped process are void) into
 * v: how many, or -1 on error.
 */
int	db_recording_fetch_claim(struct db *, int all, struct recording_fetch *v,
	    int max);

#endif
