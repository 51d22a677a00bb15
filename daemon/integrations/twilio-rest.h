/*
 * The Twilio REST client (twilio-rest.c): bridges a live Twilio call
 * through a conference to the agent who answers it (its phone or its
 * browser page), holds the caller there and back, adds a supervisor, and
 * ends it when the call ends on our side. Its own thread and database
 * connection.
 */
#ifndef TWILIO_REST_H
#define TWILIO_REST_H

/* Start before any thread publishes events (it subscribes). */
int		 twilio_rest_start(const char *dburl, char **cause);
/* Jobs not yet sent are dropped (logged). */
void		 twilio_rest_stop(void);
/* Requests Twilio took (2xx), for metrics and tests. */
unsigned long	 twilio_rest_sent(void);

/*
 * Fetch a finished recording of a call (Twilio's recording sid) into the
 * file storage, on the REST thread, retried like every request.
 */
void		 twilio_rest_fetch(const char *company, const char *call,
		    const char *recording, int channels, int duration);

/* Create the agent's leg of a call whose caller is on the line (a
 * callback's caller answered). */
void		 twilio_rest_bridge(const char *company, const char *call,
		    const char *agent);
/* Twilio says a leg (its CallSid) joined the call's conference. */
void		 twilio_rest_joined(const char *company, const char *call,
		    const char *leg);

struct db;
/*
 * twilio.c: the waitUrl of a call waiting in queue (an id; NULL: none)
 * when the queue has hold music or announcements, else NULL. Caller frees.
 */
char		*twilio_wait_url(struct db *, const char *company,
		    const char *call, const char *queue);

#endif
