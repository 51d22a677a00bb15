/*
 * The PGresult form of hub_enqueue(), for op-ivr.c until its calls are
 * typed rows (db-call.h); then this file goes.
 */
#include "db-call.h"
#include "hub.h"

void
hub_enqueue(struct db *db, const PGresult *call, struct hub_result *r)
{
	struct call_row	 c;

	call_row_of(call, 0, &c);
	hub_enqueue_call(db, &c, r);
}
