/*
 * TwiML from IVR actions: say -> Say, play -> Play, collect -> Gather
 * (with the node's prompts nested, so a caller may key ahead, and
 * actionOnEmptyResult so a timeout comes back too), enqueue -> Enqueue
 * (with the queue's waitUrl when it has hold music or announcements;
 * a callback's enqueue -> Hangup: the daemon calls back),
 * transfer -> Dial (a number, or an agent's Client) or Enqueue (a queue),
 * voicemail -> Record, hangup -> Hangup. http actions are the daemon's
 * own business and never reach Twilio. Also the conference bridge's legs
 * (twiml_conference()) and what a waiting or held caller hears.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "twiml.h"

#define TWIML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
#define TWIML_TAIL "</Response>"

static void
put(char **buf, size_t *len, const char *s)
{
	size_t	 n = strlen(s);

	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

void
twiml_escape(char **buf, size_t *len, const char *s)
{
	char	 one[2] = { 0, 0 };

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			put(buf, len, "&amp;");
			break;
		case '<':
			put(buf, len, "&lt;");
			break;
		case '>':
			put(buf, len, "&gt;");
			break;
		case '"':
			put(buf, len, "&quot;");
			break;
		case '\'':
			put(buf, len, "&apos;");
			break;
		default:
			/* XML 1.0 has no place for other control characters. */
			one[0] = (unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n' && *s != '\r' ? ' ' : *s;
			put(buf, len, one);
			break;
		}
	}
}

/* name="value", escaped, with a leading space; nothing for NULL. */
static void
attr(char **buf, size_t *len, const char *name, const char *value)
{
	if (value == NULL)
		return;
	put(buf, len, " ");
	put(buf, len, name);
	put(buf, len, "=\"");
	twiml_escape(buf, len, value);
	put(buf, len, "\"");
}

static void
attr_int(char **buf, size_t *len, const char *name, json_int_t v)
{
	char	 num[32];

	snprintf(num, sizeof num, "%lld", (long long)v);
	attr(buf, len, name, num);
}

/* <Verb attrs>text</Verb> */
static void
element(char **buf, size_t *len, const char *verb, const char *text)
{
	put(buf, len, "<");
	put(buf, len, verb);
	put(buf, len, ">");
	twiml_escape(buf, len, text);
	put(buf, len, "</");
	put(buf, len, verb);
	put(buf, len, ">");
}

static const char *
str(const json_t *a, const char *key)
{
	return json_string_value(json_object_get(a, key));
}

static json_int_t
num(const json_t *a, const char *key)
{
	return json_integer_value(json_object_get(a, key));
}

static void
say_or_play(char **buf, size_t *len, const json_t *a)
{
	const char	*type = str(a, "type");

	if (strcmp(type, "say") == 0) {
		put(buf, len, "<Say");
		attr(buf, len, "language", str(a, "language"));
		attr(buf, len, "voice", str(a, "voice"));
		put(buf, len, ">");
		twiml_escape(buf, len, str(a, "text") ? str(a, "text") : "");
		put(buf, len, "</Say>");
	} else {
		element(buf, len, "Play", str(a, "url") ? str(a, "url") :
		    str(a, "file") ? str(a, "file") : "");
	}
}

static int
is_type(const json_t *a, const char *type)
{
	const char	*t = str(a, "type");

	return t != NULL && strcmp(t, type) == 0;
}

static int
is_prompt(const json_t *a)
{
	return is_type(a, "say") || is_type(a, "play");
}

static int
same_node(const json_t *a, const json_t *b)
{
	const char	*x = str(a, "node"), *y = str(b, "node");

	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

static char *
callback_url(const char *callback, const char *event)
{
	return xasprintf("%s%cevent=%s", callback,
	    strchr(callback, '?') != NULL ? '&' : '?', event);
}

/* <Gather> for collect a, with actions[from..to) (prompts) inside. */
static void
gather(char **buf, size_t *len, const json_t *a, const json_t *actions,
    size_t from, size_t to, const char *callback)
{
	char	*url = callback_url(callback, "digits");

	put(buf, len, "<Gather input=\"dtmf\"");
	attr(buf, len, "action", url);
	put(buf, len, " method=\"POST\"");
	attr_int(buf, len, "numDigits", num(a, "max_digits"));
	attr_int(buf, len, "timeout", num(a, "timeout") > 0 ?
	    num(a, "timeout") : 5);
	attr(buf, len, "finishOnKey", str(a, "terminator") ?
	    str(a, "terminator") : "");
	put(buf, len, " actionOnEmptyResult=\"true\">");
	for (size_t k = from; k < to; k++)
		say_or_play(buf, len, json_array_get(actions, k));
	put(buf, len, "</Gather>");
	free(url);
}

static void
transfer(char **buf, size_t *len, const json_t *a)
{
	const char	*to = str(a, "to");
	const char	*target = str(a, "target") ? str(a, "target") : "";

	if (to != NULL && strcmp(to, "queue") == 0)
		element(buf, len, "Enqueue", target);
	else if (to != NULL && strcmp(to, "number") == 0)
		element(buf, len, "Dial", target);
	else if (to != NULL && strcmp(to, "agent") == 0) {
		put(buf, len, "<Dial>");
		element(buf, len, "Client", target);
		put(buf, len, "</Dial>");
	} else
		put(buf, len, "<Hangup/>");	/* another flow: not on Twilio */
}

/* <Enqueue waitUrl=...>queue</Enqueue> */
static void
enqueue(char **buf, size_t *len, const char *queue, const char *wait)
{
	put(buf, len, "<Enqueue");
	if (wait != NULL) {
		attr(buf, len, "waitUrl", wait);
		put(buf, len, " waitUrlMethod=\"POST\"");
	}
	put(buf, len, ">");
	twiml_escape(buf, len, queue);
	put(buf, len, "</Enqueue>");
}

char *
twiml_actions(const json_t *actions, const char *callback, const char *wait)
{
	size_t		 n = json_array_size(actions), len = 0, j;
	char		*buf = NULL, *url;
	const char	*type;
	const json_t	*a;

	put(&buf, &len, TWIML_HEAD);
	for (size_t i = 0; i < n; i++) {
		a = json_array_get(actions, i);
		if ((type = str(a, "type")) == NULL)
			continue;
		if (is_prompt(a)) {
			/* The prompts of a collect's own node go inside it. */
			for (j = i; j < n && is_prompt(json_array_get(actions, j)); j++)
				;
			if (j < n && is_type(json_array_get(actions, j),
			    "collect") && same_node(a, json_array_get(actions, j))) {
				gather(&buf, &len, json_array_get(actions, j),
				    actions, i, j, callback);
				i = j;
			} else
				say_or_play(&buf, &len, a);
		} else if (strcmp(type, "collect") == 0)
			gather(&buf, &len, a, actions, i, i, callback);
		else if (strcmp(type, "enqueue") == 0 && str(a, "callback"))
			/* A callback waits without the caller on the line. */
			put(&buf, &len, "<Hangup/>");
		else if (strcmp(type, "enqueue") == 0)
			enqueue(&buf, &len, str(a, "queue") ? str(a, "queue") :
			    "", wait);
		else if (strcmp(type, "transfer") == 0)
			transfer(&buf, &len, a);
		else if (strcmp(type, "voicemail") == 0) {
			url = callback_url(callback, "recorded");
			put(&buf, &len, "<Record");
			attr(&buf, &len, "action", url);
			put(&buf, &len, " method=\"POST\"");
			attr_int(&buf, &len, "maxLength", num(a, "max_length"));
			put(&buf, &len, "/>");
			free(url);
		} else if (strcmp(type, "hangup") == 0)
			put(&buf, &len, "<Hangup/>");
	}
	put(&buf, &len, TWIML_TAIL);
	return buf;
}

char *
twiml_say_hangup(const char *text)
{
	char	*buf = NULL;
	size_t	 len = 0;

	put(&buf, &len, TWIML_HEAD);
	if (text != NULL)
		element(&buf, &len, "Say", text);
	put(&buf, &len, "<Hangup/>" TWIML_TAIL);
	return buf;
}

char *
twiml_say(const char *text)
{
	char	*buf = NULL;
	size_t	 len = 0;

	put(&buf, &len, TWIML_HEAD);
	element(&buf, &len, "Say", text);
	put(&buf, &len, TWIML_TAIL);
	return buf;
}

char *
twiml_redirect(const char *url)
{
	char	*buf = NULL;
	size_t	 len = 0;

	put(&buf, &len, TWIML_HEAD "<Pause length=\"1\"/>"
	    "<Redirect method=\"POST\">");
	twiml_escape(&buf, &len, url);
	put(&buf, &len, "</Redirect>" TWIML_TAIL);
	return buf;
}

/*
 * One leg into a call's conference: the caller's (waits hearing waitUrl
 * until an agent starts it; its leaving ends it) or an agent's (starts
 * it; may leave, as at a transfer). beep off: a join is not announced.
 */
char *
twiml_conference(const struct twiml_conference *c)
{
	char	*buf = NULL;
	size_t	 len = 0;

	put(&buf, &len, "<Response>");
	if (c->say != NULL)
		element(&buf, &len, "Say", c->say);
	put(&buf, &len, "<Dial><Conference beep=\"false\"");
	put(&buf, &len, c->caller ? " startConferenceOnEnter=\"false\""
	    " endConferenceOnExit=\"true\"" : " startConferenceOnEnter=\"true\""
	    " endConferenceOnExit=\"false\"");
	if (c->wait != NULL) {
		attr(&buf, &len, "waitUrl", c->wait);
		put(&buf, &len, " waitMethod=\"POST\"");
	}
	attr(&buf, &len, "statusCallback", c->callback);
	if (c->callback != NULL)
		put(&buf, &len, " statusCallbackMethod=\"POST\""
		    " statusCallbackEvent=\"start end join leave\"");
	put(&buf, &len, ">");
	twiml_escape(&buf, &len, c->name);
	put(&buf, &len, "</Conference></Dial>" TWIML_TAIL);
	return buf;
}

char *
twiml_enqueue(const char *queue, const char *wait)
{
	char	*buf = NULL;
	size_t	 len = 0;

	put(&buf, &len, TWIML_HEAD);
	enqueue(&buf, &len, queue, wait);
	put(&buf, &len, TWIML_TAIL);
	return buf;
}

char *
twiml_wait(const char *say, const char *music, int loop, int pause)
{
	char	*buf = NULL;
	size_t	 len = 0;

	put(&buf, &len, TWIML_HEAD);
	if (say != NULL)
		element(&buf, &len, "Say", say);
	if (music != NULL) {
		put(&buf, &len, "<Play");
		attr_int(&buf, &len, "loop", loop);
		put(&buf, &len, ">");
		twiml_escape(&buf, &len, music);
		put(&buf, &len, "</Play>");
	} else {
		put(&buf, &len, "<Pause");
		attr_int(&buf, &len, "length", pause);
		put(&buf, &len, "/>");
	}
	put(&buf, &len, TWIML_TAIL);
	return buf;
}
