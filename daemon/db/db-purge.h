/*
 * A caller's personal data (docs/api.md, "Purging a caller's personal
 * data"): every row of a company that holds a caller number's data,
 * anonymised in the caller's transaction, the recordings deleted and their
 * contents put in the storage trash (db-file.h).
 */
#ifndef DB_PURGE_H
#define DB_PURGE_H

struct db;

struct purge_counts {
	int	live;		/* calls of the number not ended yet */
	int	calls;		/* calls anonymised */
	int	recordings;	/* recordings deleted */
};

/*
 * In an open transaction: lock the calls of number in company (its
 * caller_number or callback_number); when none is live, anonymise them
 * with their events, IVR sessions, webhook deliveries and Twilio rows, and
 * delete their recordings and pending recording fetches. Nothing is
 * changed when some are live (c->live > 0). 0, or -1 with db->err set.
 */
int	db_purge_caller(struct db *, const char *company, const char *number,
	    struct purge_counts *c);

#endif
