/*
 * The pure part of webhooks: Standard Webhooks signatures and each
 * format's request body (which event types exist: db-webhook.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "xmalloc.h"
#include "hmac.h"
#include "webhook.h"

int
webhook_sign(const char *secret, const char *id, long long ts,
    const char *body, size_t bodylen, char *out, size_t size)
{
	unsigned char	*key;
	size_t		 keylen;
	char		 stamp[24], *sig;
	int		 rc = 0;

	if (hmac_secret_key(secret, &key, &keylen) != 0)
		return -1;
	snprintf(stamp, sizeof stamp, "%lld", ts);
	sig = hmac_webhook_sig(key, keylen, id, stamp, body, bodylen);
	OPENSSL_cleanse(key, keylen);
	free(key);
	if (strlcpy_(out, sig, size) >= size)
		rc = -1;
	free(sig);
	return rc;
}

/* Slack's mrkdwn wants &, < and > escaped. Caller frees. */
static char *
slack_escape(const char *s)
{
	size_t	 n = 0;
	char	*o, *p;

	for (const char *q = s; *q; q++)
		n += *q == '&' ? 5 : (*q == '<' || *q == '>') ? 4 : 1;
	p = o = xmalloc(n + 1);
	for (; *s; s++) {
		if (*s == '&')
			p = stpcpy(p, "&amp;");
		else if (*s == '<')
			p = stpcpy(p, "&lt;");
		else if (*s == '>')
			p = stpcpy(p, "&gt;");
		else
			*p++ = *s;
	}
	*p = '\0';
	return o;
}

static const char *
str(const json_t *o, const char *path1, const char *path2, const char *dflt)
{
	const json_t	*v = json_object_get(o, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_is_string(v) && json_string_length(v) > 0 ?
	    json_string_value(v) : dflt;
}

static double
num(const json_t *o, const char *path1, const char *path2)
{
	const json_t	*v = json_object_get(o, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* A title and one sentence for people, from the event. Caller frees both. */
static void
summary(const json_t *payload, char **title, char **text)
{
	const char	*type = str(payload, "type", NULL, "event");
	const json_t	*d = json_object_get(payload, "data");
	const char	*caller = str(d, "call", "caller_number",
			    str(d, "call", "caller_name", "an unknown caller"));
	const char	*queue = str(d, "queue", "name", "no queue");
	const char	*agent = str(d, "agent", "name", "An agent");

	if (strcmp(type, "queue.sla_breached") == 0) {
		*title = xasprintf("Service level breached in %s", queue);
		*text = xasprintf("A call from %s was %s after %.0f s, over the"
		    " %.0f s threshold of queue %s. Service level today: %.0f%%.",
		    caller, str(d, "outcome", NULL, "handled"),
		    num(d, "wait_seconds", NULL), num(d, "sl_threshold", NULL),
		    queue, 100 * num(d, "service_level_today", NULL));
	} else if (strcmp(type, "call.abandoned") == 0) {
		*title = xasprintf("Call abandoned in %s", queue);
		*text = xasprintf("The caller %s hung up after waiting %.0f s in"
		    " queue %s.", caller, num(d, "call", "wait_seconds"), queue);
	} else if (strcmp(type, "call.offer_missed") == 0) {
		*title = xasprintf("Missed offer: %s", agent);
		*text = xasprintf("%s did not answer a call from %s in queue %s.",
		    agent, caller, queue);
	} else if (strcmp(type, "agent.state_changed") == 0) {
		const char *reason = str(d, "reason", NULL, NULL);

		agent = str(d, "agent", "name", "An agent");
		*title = xasprintf("%s is %s", agent, str(d, "state", NULL, "?"));
		*text = xasprintf("%s is now %s%s%s%s (was %s).", agent,
		    str(d, "state", NULL, "?"), reason ? " (" : "",
		    reason ? reason : "", reason ? ")" : "",
		    str(d, "prev_state", NULL, "unknown"));
	} else if (strcmp(type, "agent.deleted") == 0) {
		agent = str(d, "agent", "name", "An agent");
		*title = xasprintf("%s was removed", agent);
		*text = xasprintf("%s is no longer an agent.", agent);
	} else if (strcmp(type, "webhook.test") == 0) {
		*title = xstrdup("CallDocker test message");
		*text = xstrdup("This channel receives CallDocker notifications.");
	} else if (strncmp(type, "call.", 5) == 0) {
		*title = xasprintf("Call %s", type + 5);
		*text = xasprintf("The call from %s is %s (queue %s).", caller,
		    str(d, "call", "state", "?"), queue);
	} else {
		*title = xstrdup(type);
		*text = xasprintf("CallDocker event %s.", type);
	}
}

char *
webhook_render(const char *format, const json_t *payload)
{
	json_t		*doc;
	char		*title, *text, *out, *esc;
	const char	*type = str(payload, "type", NULL, "event");
	const char	*when = str(payload, "timestamp", NULL, "");

	if (strcmp(format, "slack") != 0 && strcmp(format, "teams") != 0)
		return json_dumps(payload, JSON_COMPACT);
	summary(payload, &title, &text);
	if (strcmp(format, "slack") == 0) {
		char *t = slack_escape(title), *x = slack_escape(text);

		esc = xasprintf("*%s*\n%s", t, x);
		doc = json_pack("{s:s++,s:[{s:s,s:{s:s,s:s}},{s:s,s:[{s:s,s:s+++}]}]}",
		    "text", t, ": ", x,
		    "blocks",
		    "type", "section", "text", "type", "mrkdwn", "text", esc,
		    "type", "context", "elements", "type", "mrkdwn",
		    "text", "`", type, "` ", when);
		free(t);
		free(x);
		free(esc);
	} else {
		doc = json_pack("{s:s,s:[{s:s,s:n,s:{s:s,s:s,s:s,s:["
		    "{s:s,s:s,s:s,s:s,s:b},{s:s,s:s,s:b},"
		    "{s:s,s:[{s:s,s:s},{s:s,s:s}]}]}}]}",
		    "type", "message", "attachments",
		    "contentType", "application/vnd.microsoft.card.adaptive",
		    "contentUrl", "content",
		    "$schema", "http://adaptivecards.io/schemas/adaptive-card.json",
		    "type", "AdaptiveCard", "version", "1.4", "body",
		    "type", "TextBlock", "text", title, "weight", "Bolder",
		    "size", "Medium", "wrap", 1,
		    "type", "TextBlock", "text", text, "wrap", 1,
		    "type", "FactSet", "facts", "title", "Event", "value", type,
		    "title", "Time", "value", when);
	}
	free(title);
	free(text);
	out = doc ? json_dumps(doc, JSON_COMPACT) : xstrdup("{}");
	json_decref(doc);
	return out;
}
