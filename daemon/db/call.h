/*
 * The call state machine: one table of legal moves and one transition
 * function that checks the move, persists the call and appends its event
 * in the caller's transaction. Events are published after commit.
 */
#ifndef CALL_H
#define CALL_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"

struct db;

enum call_state {
	CALL_NEW,
	CALL_IVR,
	CALL_QUEUED,
	CALL_OFFERING,
	CALL_CONNECTED,
	CALL_ON_HOLD,
	CALL_WRAP_UP,
	CALL_COMPLETED,
	CALL_ABANDONED,
	CALL_MISSED,
	CALL_FAILED,
	CALL_TRANSFERRED,
	CALL_STATE_COUNT
};

const char	*call_state_name(enum call_state);
int		 call_state_parse(const char *, enum call_state *);
int		 call_can_move(enum call_state from, enum call_state to);
int		 call_is_final(enum call_state);

struct call_move {
	const char	*call;
	const char	*company;	/* the scope, NULL for the system */
	enum call_state	 from;		/* the state it must be in */
	enum call_state	 to;
	const char	*event;		/* "call.answered" */
	const char	*actor;		/* user id, NULL for the system */
	const char	*agent;		/* new agent, NULL to keep */
	int		 clear_agent;
	/* The agent the event is about when it is not the call's (an offer
	 * of a ring-all call missed or rejected), NULL: the call's */
	const char	*event_agent;
	const char	*queue;		/* new queue, NULL to keep */
	json_t		*data;		/* event data, borrowed, may be NULL */
};

enum call_move_result {
	MOVE_OK,
	MOVE_ILLEGAL,	/* not in the state table: 409 */
	MOVE_STALE,	/* the call is not in "from" (any more): 409 */
	MOVE_DB,	/* database error: db->err */
};

struct call_rows;

/*
 * Apply a move in the caller's transaction. On MOVE_OK *rows is the
 * updated call (db-call.h), caller call_rows_free()s.
 */
enum call_move_result	call_transition(struct db *, const struct call_move *,
			    struct call_rows **rows);

/* Call rows: the columns every call query selects, and their JSON. */
enum call_col {
	CALL_C_ID, CALL_C_COMPANY, CALL_C_QUEUE, CALL_C_AGENT, CALL_C_STATE,
	CALL_C_DIRECTION, CALL_C_MEDIA, CALL_C_NUMBER, CALL_C_NAME,
	CALL_C_DATA, CALL_C_PRIORITY, CALL_C_SKILLS, CALL_C_NOTES,
	CALL_C_TAGS, CALL_C_DISPOSITION, CALL_C_ENQUEUED, CALL_C_ANSWERED,
	CALL_C_ENDED, CALL_C_WAIT, CALL_C_TALK, CALL_C_CREATED,
	CALL_C_UPDATED, CALL_C_KEY, CALL_C_ENQUEUED_EPOCH, CALL_C_MEDIA_USED,
	CALL_C_CB_NUMBER, CALL_C_CB_STATE, CALL_C_CB_ATTEMPTS,
	CALL_C_CB_REQUESTED, CALL_C_CB_ANSWERED, CALL_C_CB_RETRY,
	CALL_C_CB_RETRY_EPOCH, CALL_C_SUP_USER, CALL_C_SUP_MODE, CALL_C_SUP_VIA,
	CALL_C_SUP_PHONE, CALL_C_SUP_STARTED,
	CALL_C__COUNT		/* a query's own columns follow */
};
#define CALL_COLS "id, company_id, queue_id, agent_id, state, direction," \
	" media, caller_number, caller_name, caller_data, priority, skills," \
	" notes, array_to_json(tags), disposition, " SQL_TIME("enqueued_at") \
	", " SQL_TIME("answered_at") ", " SQL_TIME("ended_at") \
	", wait_seconds, talk_seconds, " SQL_TIME("created_at") ", " \
	SQL_TIME("updated_at") ", " SQL_KEY("created_at") \
	", extract(epoch FROM enqueued_at), array_to_json(media_used)," \
	" callback_number, callback_state, callback_attempts, " \
	SQL_TIME("callback_requested_at") ", " SQL_TIME("callback_answered_at") \
	", " SQL_TIME("callback_retry_at") ", extract(epoch FROM callback_retry_at)" \
	", supervisor_id, supervision_mode, supervision_via, supervision_phone, " \
	SQL_TIME("supervision_started_at")

/*
 * Supervision of a connected call (sql/023_supervision.sql): how a
 * manager takes part. SUP_OFF: nobody supervises.
 */
enum sup_mode {
	SUP_OFF,
	SUP_MONITOR,	/* hears both; nobody hears the supervisor */
	SUP_WHISPER,	/* hears both; only the agent hears the supervisor */
	SUP_BARGE,	/* all three hear each other */
	SUP__COUNT
};

const char	*sup_mode_name(enum sup_mode);
int		 sup_mode_parse(const char *, enum sup_mode *);

#endif
