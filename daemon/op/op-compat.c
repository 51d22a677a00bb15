/*
 * The PGresult form of op_call_state(), for op-ivr.c until its calls are
 * typed rows (db-call.h); then this file goes.
 */
#include "db-call.h"
#include "op-int.h"

void
op_call_state(struct op_out *out, const PGresult *row)
{
	struct call_row	 c;

	call_row_of(row, 0, &c);
	if (c.state != CALL_STATE_COUNT)
		out->state = call_state_name(c.state);
}
