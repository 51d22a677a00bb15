/*
 * Inside the Twilio REST client: its jobs, and the requests they make.
 * twilio-rest.c has the job queue, the thread and the HTTP requests (signed,
 * retried); twilio-bridge.c what each kind of job asks of Twilio.
 */
#ifndef TWILIO_INT_H
#define TWILIO_INT_H

#include <stddef.h>

#include "db.h"
#include "db-twilio.h"

#define TW_ANSWER_MAX	(64 * 1024)
#define TW_MEDIA_MAX	(512L * 1024 * 1024)	/* a recording's largest */
#define TW_SUPERVISOR	"supervisor"	/* the supervisor participant's label */

enum tw_kind {
	TW_BRIDGE,		/* the caller into the conference, an agent's leg */
	TW_COMPLETE,		/* end the agent's leg and the caller's call */
	TW_CALLBACK,		/* call the caller back into the conference */
	TW_HOLD,		/* the caller held in the conference */
	TW_RESUME,		/* the caller off hold */
	TW_TRANSFER,		/* held, and the agent's leg ended */
	TW_JOINED,		/* an agent's leg joined: off hold, recorded */
	TW_SUPERVISE,		/* the supervisor's participant */
	TW_RECORD_START,	/* on demand: record the caller's leg */
	TW_RECORD_STOP,		/* on demand: stop that */
	TW_FETCH,		/* a recording into the file storage */
	TW__COUNT
};

/* A supervisor's mode, and what it makes of her participant. */
enum tw_mode { TW_OFF, TW_MONITOR, TW_WHISPER, TW_BARGE, TW__MODES };
struct tw_mode_def {
	const char	*name;
	const char	*muted, *coaching;	/* Participant fields */
};
extern const struct tw_mode_def tw_modes[TW__MODES];

struct tw_job {
	struct tw_job	*next;
	enum tw_kind	 kind;
	char		 company[UUID_LEN + 1];
	char		 call[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];	/* TW_BRIDGE */
	char		 queue[UUID_LEN + 1];	/* TW_HOLD, TW_TRANSFER */
	char		 sid[72];		/* TW_FETCH: the recording's;
						   TW_JOINED: the leg's */
	int		 channels, duration;	/* TW_FETCH */
	/* TW_SUPERVISE */
	char		 user[UUID_LEN + 1];
	enum tw_mode	 mode, previous;
	char		 phone[272];		/* "": the browser */
	int		 announce, ended;
};

/* A job at work: the thread's connection, the company's credentials and
 * the call's bridge (when its kind needs it). */
struct tw_ctx {
	const struct tw_job	*j;
	struct db		*db;
	const char		*account, *token;
	struct twilio_bridge	 b;
};

/* An answer's body, up to max bytes. */
struct tw_sink {
	char	*buf;
	size_t	 len, max;
};

/* Each kind: its name (logs), whether it needs the call's Twilio row and
 * our public_url, and what runs it. */
struct tw_kind_def {
	const char	 *name;
	int		  bridge;
	int		  hook;
	void		(*run)(struct tw_ctx *);
};
extern const struct tw_kind_def tw_kinds[TW__COUNT];

/*
 * twilio-rest.c. A request to path under the account: POST form (NULL:
 * GET, or DELETE when method says so), retried; 0 when Twilio took it, its
 * answer in *body when body is not NULL (caller frees).
 */
int	 tw_request(const char *account, const char *token, const char *method,
	    const char *path, const char *form, const struct tw_job *,
	    struct tw_sink *body);
/* The same with the job's credentials: POST form, or GET (NULL). */
int	 tw_post(struct tw_ctx *, const char *path, const char *form,
	    struct tw_sink *body);
/* The string key of Twilio's JSON answer into out: 0, or -1. */
int	 tw_answer_sid(const struct tw_sink *body, const char *key, char *out,
	    size_t len);
/* name=value, URL-encoded, appended to *form ("&" between fields). */
void	 tw_field(char **form, const char *name, const char *value);
/* Our Twilio webhook's URL for a company, with query (NULL: none). Caller
 * frees. */
char	*tw_hook_url(const char *company, const char *query);
/* A round of a TW_FETCH job's tries failed (why): its recording_fetches
 * row waits for a later round, or is given up; nothing while stopping. */
void	 tw_fetch_failed(const struct tw_job *, const char *why);

#endif
