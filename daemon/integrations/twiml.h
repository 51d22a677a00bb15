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
/* Post the same webhook again after a second. Caller frees. */
char	*twiml_redirect(const char *url);
/*
 * A bridge that records: the Dial records both legs from the answer
 * (record-from-answer-dual) and Twilio posts the finished recording to
 * callback; announcement (NULL: none) is said to the caller first.
 */
struct twiml_record {
	const char	*callback;
	const char	*announcement;
};
/*
 * The TwiML the REST client moves a call to when its agent's endpoint is
 * a phone: <Dial answerOnBridge="true" action=...> to the <Number> (E.164)
 * or <Sip> (a sip: URI); no XML declaration; rec (NULL: none) records it.
 * Caller frees.
 */
char	*twiml_dial(const char *address, const char *action,
	    const struct twiml_record *rec);
/*
 * The same for a browser agent: <Client> with the agent's <Identity>
 * (its Voice SDK registration) and a <Parameter name="call_id"> the
 * agent's page reads. Caller frees.
 */
char	*twiml_dial_client(const char *identity, const char *call,
	    const char *action, const struct twiml_record *rec);
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
