/* Call states, the table of legal moves and the transition. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "call.h"
#include "db-call.h"

static const char *state_names[CALL_STATE_COUNT] = {
	[CALL_NEW] = "new",
	[CALL_IVR] = "ivr",
	[CALL_QUEUED] = "queued",
	[CALL_OFFERING] = "offering",
	[CALL_CONNECTED] = "connected",
	[CALL_ON_HOLD] = "on_hold",
	[CALL_WRAP_UP] = "wrap_up",
	[CALL_COMPLETED] = "completed",
	[CALL_ABANDONED] = "abandoned",
	[CALL_MISSED] = "missed",
	[CALL_FAILED] = "failed",
	[CALL_TRANSFERRED] = "transferred",
};

#define B(s)	(1u << (s))
#define FINAL	(B(CALL_COMPLETED) | B(CALL_ABANDONED) | B(CALL_MISSED) | \
		 B(CALL_FAILED) | B(CALL_TRANSFERRED))

/* moves[from] is the set of states a call may go to from there. */
static const unsigned moves[CALL_STATE_COUNT] = {
	[CALL_NEW] = B(CALL_IVR) | B(CALL_QUEUED) | B(CALL_OFFERING) |
	    B(CALL_CONNECTED) | B(CALL_FAILED) | B(CALL_ABANDONED),
	[CALL_IVR] = B(CALL_QUEUED) | B(CALL_COMPLETED) | B(CALL_ABANDONED) |
	    B(CALL_FAILED) | B(CALL_TRANSFERRED),
	/* queued -> queued: overflow or transfer into another queue */
	[CALL_QUEUED] = B(CALL_QUEUED) | B(CALL_OFFERING) | B(CALL_ABANDONED) |
	    B(CALL_MISSED) | B(CALL_FAILED) | B(CALL_TRANSFERRED),
	/* offering -> queued: the offer was missed, rejected or withdrawn */
	[CALL_OFFERING] = B(CALL_CONNECTED) | B(CALL_QUEUED) |
	    B(CALL_ABANDONED) | B(CALL_MISSED) | B(CALL_OFFERING),
	[CALL_CONNECTED] = B(CALL_ON_HOLD) | B(CALL_WRAP_UP) |
	    B(CALL_COMPLETED) | B(CALL_TRANSFERRED) | B(CALL_QUEUED) |
	    B(CALL_OFFERING),
	[CALL_ON_HOLD] = B(CALL_CONNECTED) | B(CALL_WRAP_UP) |
	    B(CALL_COMPLETED) | B(CALL_ABANDONED) | B(CALL_QUEUED) |
	    B(CALL_OFFERING),
	[CALL_WRAP_UP] = B(CALL_COMPLETED),
};

static const char *const sup_names[SUP__COUNT] = {
	[SUP_OFF] = "off",
	[SUP_MONITOR] = "monitor",
	[SUP_WHISPER] = "whisper",
	[SUP_BARGE] = "barge",
};

const char *
sup_mode_name(enum sup_mode m)
{
	return m < SUP__COUNT ? sup_names[m] : "?";
}

int
sup_mode_parse(const char *s, enum sup_mode *out)
{
	for (int i = 0; i < SUP__COUNT; i++) {
		if (strcmp(s, sup_names[i]) == 0) {
			*out = (enum sup_mode)i;
			return 0;
		}
	}
	return -1;
}

const char *
call_state_name(enum call_state s)
{
	return s < CALL_STATE_COUNT ? state_names[s] : "?";
}

int
call_state_parse(const char *s, enum call_state *out)
{
	for (int i = 0; i < CALL_STATE_COUNT; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum call_state)i;
			return 0;
		}
	}
	return -1;
}

int
call_can_move(enum call_state from, enum call_state to)
{
	return from < CALL_STATE_COUNT && to < CALL_STATE_COUNT &&
	    (moves[from] & B(to)) != 0;
}

int
call_is_final(enum call_state s)
{
	return (FINAL & B(s)) != 0;
}

/*
 * $1 call, $2 company, $3 from, $4 to, $5 agent, $6 queue, $7 clear agent,
 * $8 event, $9 actor, $10 data, $11 to is final, $12 the event's agent.
 */
static struct db_stmt st_move = { .sql =
	"WITH c AS (UPDATE calls SET state = $4::call_state,"
	" agent_id = CASE WHEN $7::bool THEN NULL"
	"  ELSE coalesce($5::uuid, agent_id) END,"
	" queue_id = coalesce($6::uuid, queue_id),"
	" enqueued_at = CASE WHEN $4::call_state = 'queued' AND"
	"  (enqueued_at IS NULL OR $6::uuid IS NOT NULL) THEN now()"
	"  ELSE enqueued_at END,"
	" answered_at = CASE WHEN $4::call_state = 'connected'"
	"  THEN coalesce(answered_at, now()) ELSE answered_at END,"
	" wait_seconds = CASE WHEN wait_seconds IS NULL AND"
	"  ($4::call_state = 'connected' OR $11::bool)"
	"  THEN extract(epoch FROM now() - coalesce(enqueued_at, created_at))"
	"  ELSE wait_seconds END,"
	" talk_seconds = CASE WHEN answered_at IS NOT NULL AND"
	"  talk_seconds IS NULL AND ($4::call_state = 'wrap_up' OR $11::bool)"
	"  THEN extract(epoch FROM now() - answered_at) ELSE talk_seconds END,"
	" ended_at = CASE WHEN $4::call_state = 'wrap_up' OR $11::bool"
	"  THEN coalesce(ended_at, now()) ELSE ended_at END,"
	" updated_at = now()"
	" FROM (SELECT agent_id AS old_agent FROM calls WHERE id = $1) o"
	" WHERE id = $1 AND ($2::uuid IS NULL OR company_id = $2)"
	" AND state = $3::call_state"
	" RETURNING calls.*, o.old_agent),"
	" e AS (INSERT INTO call_events (call_id, company_id, type, actor_id,"
	"  agent_id, from_state, to_state, data)"
	"  SELECT id, company_id, $8, $9,"
	"  coalesce($12::uuid, agent_id, old_agent),"
	"  $3::call_state,"
	"  $4::call_state, coalesce($10::jsonb, '{}') FROM c)"
	" SELECT " CALL_COLS " FROM c" };

static enum call_move_result
call_move(struct db *db, const struct call_move *m, PGresult **row)
{
	char		*data = m->data ? json_dumps(m->data, JSON_COMPACT) : NULL;
	const char	*p[12] = {
		m->call, m->company, call_state_name(m->from),
		call_state_name(m->to), m->agent, m->queue,
		m->clear_agent ? "true" : "false", m->event, m->actor, data,
		call_is_final(m->to) ? "true" : "false", m->event_agent,
	};
	PGresult	*res;

	*row = NULL;
	if (!call_can_move(m->from, m->to)) {
		free(data);
		return MOVE_ILLEGAL;
	}
	res = db_run(db, &st_move, 12, p);
	free(data);
	if (res == NULL)
		return MOVE_DB;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return MOVE_STALE;
	}
	*row = res;
	return MOVE_OK;
}

enum call_move_result
call_transition(struct db *db, const struct call_move *m,
    struct call_rows **rows)
{
	enum call_move_result	 r;
	PGresult		*res;

	r = call_move(db, m, &res);
	*rows = r == MOVE_OK ? call_rows_take(res) : NULL;
	return r;
}
