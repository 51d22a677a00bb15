/*
 * The conference bridge's rows (sql/027): the caller's leg in
 * twilio_calls (moved into the call's conference, the conference's sid,
 * held, the recording in progress) and the legs the daemon created into
 * the conference (twilio_legs: an agent's, a supervisor's).
 */
#ifndef DB_TWILIO_H
#define DB_TWILIO_H

#include <stddef.h>

#include "db.h"

enum twilio_leg_role {
	TWILIO_LEG_AGENT,
	TWILIO_LEG_SUPERVISOR,
};

/* A call's bridge, as twilio-rest.c needs it. */
struct twilio_bridge {
	char	 caller[72];		/* the caller's CallSid */
	int	 ended;			/* Twilio ended the caller's call */
	int	 conference;		/* the caller was moved into it */
	int	 held;			/* the caller is held there */
	char	 conference_sid[40];	/* "": not known yet */
	char	 recording_sid[40];	/* "": none in progress */
	char	 agent_leg[72];		/* the current agent leg; "": none */
	char	 supervisor_leg[72];	/* the current supervisor's; "": none */
};

/* The bridge of a call: 1, 0 not a Twilio call, -1 database error. */
int	db_twilio_bridge(struct db *, const char *company, const char *call,
	    struct twilio_bridge *);
/* The caller's leg was moved into the call's conference (or not). */
int	db_twilio_set_conference(struct db *, const char *company,
	    const char *call, int in);
/* The conference's sid, from Twilio's status callback or a look-up. */
int	db_twilio_set_conference_sid(struct db *, const char *company,
	    const char *call, const char *conference_sid);
/* The caller is held in the conference (or not). */
int	db_twilio_set_held(struct db *, const char *company, const char *call,
	    int held);
/* The recording in progress (NULL: none). */
int	db_twilio_set_recording(struct db *, const char *company,
	    const char *call, const char *recording_sid);
/*
 * A new current leg of a role (agent: its id, else NULL); the role's
 * previous current leg is retired. 0, or -1 database error.
 */
int	db_twilio_leg_add(struct db *, const char *company, const char *call,
	    enum twilio_leg_role, const char *sid, const char *agent);
/* The role's current leg is retired: 1 there was one, 0 none, -1 error. */
int	db_twilio_leg_retire(struct db *, const char *company,
	    const char *call, enum twilio_leg_role);
/*
 * A leg by its CallSid: 1 with its call, role and whether it is current
 * (and, retire set, retired now if it was), 0 unknown, -1 error.
 */
int	db_twilio_leg(struct db *, const char *company, const char *sid,
	    int retire, char call[UUID_LEN + 1], enum twilio_leg_role *,
	    int *current);

#endif
