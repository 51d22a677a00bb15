/* Unit tests for webhook signatures, event patterns and message formats. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "webhook.h"

static json_t *
render(const char *format, const char *payload)
{
	json_t	*p = json_loads(payload, 0, NULL), *out;
	char	*s = webhook_render(format, p);

	out = json_loads(s, 0, NULL);
	free(s);
	json_decref(p);
	return out;
}

static const char *
at(json_t *doc, const char *path)
{
	json_t	*v = doc;
	char	*copy = strdup(path), *tok, *save = NULL;

	for (tok = strtok_r(copy, ".", &save); tok && v;
	    tok = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok)) :
		    json_object_get(v, tok);
	free(copy);
	return json_string_value(v);
}

int
main(void)
{
	char	 sig[WEBHOOK_SIG_MAX];
	json_t	*d;
	const char *abandoned = "{\"type\":\"call.abandoned\","
	    "\"timestamp\":\"2026-01-02T03:04:05Z\",\"data\":{\"call\":"
	    "{\"caller_number\":\"+1555<0>&\",\"wait_seconds\":95.4},"
	    "\"queue\":{\"name\":\"Sales\"}}}";

	/* The Standard Webhooks reference vector. */
	ok(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	    "{\"test\": 2432232314}", 20, sig, sizeof sig) == 0 &&
	    strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == 0,
	    "the spec's example signs to its signature (%s)", sig);
	ok(webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}", 2,
	    sig, sizeof sig) == -1, "a secret without whsec_ is refused");
	ok(webhook_sign("whsec_a!b", "m", 1, "{}", 2, sig, sizeof sig) == -1,
	    "a secret that is not base64 is refused");

	ok(webhook_pattern_valid("*"), "* is a pattern");
	ok(webhook_pattern_valid("call.*"), "call.* is a pattern");
	ok(webhook_pattern_valid("agent.state_changed"), "an exact type");
	ok(webhook_pattern_valid("queue.sla_breached"), "queue.sla_breached");
	ok(!webhook_pattern_valid("call.exploded"), "unknown types are refused");
	ok(!webhook_pattern_valid("c*"), "only prefix.* wildcards");
	ok(!webhook_pattern_valid("nothing.*"), "unknown prefixes are refused");
	ok(!webhook_pattern_valid(""), "empty is refused");

	d = render("standard", abandoned);
	ok(d && strcmp(at(d, "type"), "call.abandoned") == 0,
	    "standard is the payload itself");
	json_decref(d);

	d = render("slack", abandoned);
	ok(d && strncmp(at(d, "text"), "Call abandoned in Sales", 23) == 0,
	    "slack: text summarises (%s)", d ? at(d, "text") : "?");
	ok(d && strcmp(at(d, "blocks.0.type"), "section") == 0 &&
	    strcmp(at(d, "blocks.0.text.type"), "mrkdwn") == 0,
	    "slack: a mrkdwn section block");
	ok(d && strstr(at(d, "blocks.0.text.text"), "+1555&lt;0&gt;&amp;") != NULL,
	    "slack: mrkdwn is escaped (%s)", d ? at(d, "blocks.0.text.text") : "?");
	ok(d && strstr(at(d, "blocks.0.text.text"), "95 s") != NULL,
	    "slack: the wait in seconds");
	json_decref(d);

	d = render("teams", abandoned);
	ok(d && strcmp(at(d, "type"), "message") == 0 &&
	    strcmp(at(d, "attachments.0.contentType"),
	    "application/vnd.microsoft.card.adaptive") == 0,
	    "teams: a message with an Adaptive Card attachment");
	ok(d && strcmp(at(d, "attachments.0.content.type"), "AdaptiveCard") == 0 &&
	    strcmp(at(d, "attachments.0.content.body.0.text"),
	    "Call abandoned in Sales") == 0, "teams: the title first");
	ok(d && strcmp(at(d, "attachments.0.content.body.2.facts.0.value"),
	    "call.abandoned") == 0, "teams: the event type as a fact");
	json_decref(d);

	d = render("slack", "{\"type\":\"ivr.node\",\"data\":null}");
	ok(d && at(d, "text") != NULL, "slack: any event renders");
	json_decref(d);
	return unit_done();
}
