/*
 * TwiML, Twilio's XML for a call: rendered from the actions of one IVR
 * step (the "ivr.actions" the REST API answers), everything escaped.
 */
#ifndef TWIML_H
#define TWIML_H

#include <jansson.h>

/*
 * The TwiML for actions; callback is the URL Gather and Record post back
 * to (its query gets "&event=..."); wait (NULL: Twilio's default hold
 * music) the waitUrl of an enqueue's <Enqueue>. Caller frees.
 */
char	*twiml_actions(const json_t *actions, const char *callback,
	    const char *wait);
/* Say text (NULL for none), then hang up. Caller frees. */
char	*twiml_say_hangup(const char *text);
/* Say text, and nothing else. Caller frees. */
char	*twiml_say(const char *text);
/* Post the same webhook again after a second. Caller frees. */
char	*twiml_redirect(const char *url);
/*
 * A leg joining the call's conference, <Dial><Conference>name</Conference>
 * </Dial> (no XML declaration): the caller's (caller set:
 * startConferenceOnEnter false, endConferenceOnExit true, hearing wait
 * until an agent joins; NULL: Twilio's music) or an agent's (the
 * reverse). callback (NULL: none) gets the conference's start, end, join
 * and leave; say (NULL: none) is said to the leg first. Caller frees.
 */
struct twiml_conference {
	const char	*name;
	int		 caller;
	const char	*wait;
	const char	*callback;
	const char	*say;
};
char	*twiml_conference(const struct twiml_conference *);
/* Back to waiting in queue, with a waitUrl (NULL: none). Caller frees. */
char	*twiml_enqueue(const char *queue, const char *wait);
/*
 * What a waiting caller hears next (a waitUrl's answer): say (NULL:
 * nothing), then music played loop times (0: until the call leaves the
 * queue) or, without music, pause seconds of silence. Caller frees.
 */
char	*twiml_wait(const char *say, const char *music, int loop, int pause);
/* Append s to buf[*len], escaped for XML text and attributes. */
void	 twiml_escape(char **buf, size_t *len, const char *s);

#endif
