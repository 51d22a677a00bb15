/*
 * Unit tests for the pure parts of the incoming and Twilio webhooks: form bodies
 * (common/form.c), signatures (daemon/hmac.c) and TwiML (daemon/twiml.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "form.h"
#include "hmac.h"
#include "twiml.h"
#include "twilio-token.h"
#include "unit.h"

static void
test_form(void)
{
	struct form	 f;
	char		*cause = NULL;
	const char	*body = "b=2&a=x+y%2Bz&&c&a=%41";

	ok(form_parse(body, strlen(body), &f, &cause) == 0, "form parses");
	ok(f.n == 4, "four fields, empty segments skipped (got %zu)", f.n);
	ok(strcmp(form_get(&f, "a"), "x y+z") == 0, "+ is a space, %%2B a plus");
	ok(strcmp(form_get(&f, "c"), "") == 0, "a name alone has an empty value");
	ok(form_get(&f, "d") == NULL, "absent fields are NULL");
	form_sort(&f);
	ok(strcmp(f.v[0].name, "a") == 0 && strcmp(f.v[0].value, "A") == 0 &&
	    strcmp(f.v[1].value, "x y+z") == 0 && strcmp(f.v[2].name, "b") == 0,
	    "sorted by name, then value");
	form_free(&f);

	ok(form_parse("a=%4", 4, &f, &cause) == -1 && cause != NULL,
	    "a cut escape is refused");
	free(cause);
	cause = NULL;
	ok(form_parse("a=%zz", 5, &f, &cause) == -1, "a bad escape is refused");
	free(cause);
	cause = NULL;
	ok(form_parse("a=%00", 5, &f, &cause) == -1, "NUL is refused");
	free(cause);
	cause = NULL;
	ok(form_parse("a=1\0b", 5, &f, &cause) == -1, "a raw NUL is refused");
	free(cause);
	cause = NULL;
	ok(form_parse("", 0, &f, &cause) == 0 && f.n == 0, "an empty form");
	form_free(&f);
}

static void
test_form_limit(void)
{
	struct form	 f;
	char		*cause = NULL, *body = malloc(4 * (FORM_MAX_PAIRS + 1));
	size_t		 len = 0;

	for (int i = 0; i <= FORM_MAX_PAIRS; i++)
		len += (size_t)sprintf(body + len, "%sa=", i ? "&" : "");
	ok(form_parse(body, len, &f, &cause) == -1, "too many fields refused");
	free(cause);
	free(body);
}

static void
test_hmac(void)
{
	const char	*msg = "what do ya want for nothing?";
	char		*s, *secret;
	unsigned char	*key;
	size_t		 len;

	/* RFC 2202 and RFC 4231, test case 2. */
	s = hmac_b64(HMAC_SHA1, "Jefe", 4, msg, strlen(msg));
	ok(strcmp(s, "7/zfauXrL6LSdBbV8YTfnCWafHk=") == 0, "HMAC-SHA1 (%s)", s);
	free(s);
	s = hmac_b64(HMAC_SHA256, "Jefe", 4, msg, strlen(msg));
	ok(strcmp(s, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=") == 0,
	    "HMAC-SHA256 (%s)", s);
	free(s);
	ok(hmac_equal("abc", "abc") && !hmac_equal("abc", "abd") &&
	    !hmac_equal("abc", "abcd") && !hmac_equal("", "a") &&
	    hmac_equal("", ""), "hmac_equal");
	secret = hmac_secret_new();
	ok(strncmp(secret, "whsec_", 6) == 0, "a new secret is whsec_...");
	ok(hmac_secret_key(secret, &key, &len) == 0 && len == 32,
	    "its key is 32 bytes");
	free(key);
	free(secret);
	ok(hmac_secret_key("whsec_SmVmZQ==", &key, &len) == 0 && len == 4 &&
	    memcmp(key, "Jefe", 4) == 0, "padding is not key material");
	free(key);
	ok(hmac_secret_key("Jefe", &key, &len) == -1, "no prefix, no key");
	ok(hmac_secret_key("whsec_abc", &key, &len) == -1, "bad base64");
	ok(hmac_secret_key("whsec_====", &key, &len) == -1, "padding alone");
}

static char *
render(const char *actions)
{
	json_t	*a = json_loads(actions, 0, NULL);
	char	*x = twiml_actions(a, "https://h/x?call=1", NULL);

	json_decref(a);
	return x;
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"

/* The token's parts decode to what Twilio expects (the signature is
 * checked by Twilio's own library, tests/t0526-twilio-voice.bats). */
static void
test_token(void)
{
	struct twilio_grant	 g = { .account = "AC0123456789abcdef0123456789abcdef",
				    .key_sid = "SK0123456789abcdef0123456789abcdef",
				    .key_secret = "0123456789abcdef0123456789abcdef",
				    .identity = NULL, .app_sid = NULL };
	char			 id[TWILIO_IDENTITY_LEN + 1], *tok, *dot;

	twilio_identity("6f1c2a3b-0000-4000-8000-00000000abcd", id);
	ok(strcmp(id, "agent_6f1c2a3b000040008000" "00000000abcd") == 0,
	    "identity: agent_ and the id's hex digits: %s", id);
	g.identity = id;
	tok = twilio_token(&g, 1795600000, 3600);
	/* {"typ":"JWT","alg":"HS256","cty":"twilio-fpa;v=1"} */
#define HEADER "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiIsImN0eSI6InR3aWxpby1" \
	    "mcGE7dj0xIn0."
	ok(strncmp(tok, HEADER, strlen(HEADER)) == 0, "the header: %.72s", tok);
	ok((dot = strrchr(tok, '.')) != NULL && strlen(dot + 1) == 43 &&
	    strpbrk(tok, "+/=") == NULL, "base64url, a 32-byte HMAC: %s", tok);
	free(tok);
}

static void
test_twiml(void)
{
	char	*x;

	x = render("[{\"type\":\"say\",\"node\":\"w\",\"text\":\"Hi <&>\"},"
	    "{\"type\":\"say\",\"node\":\"m\",\"text\":\"Press 1\","
	    "\"language\":\"de-DE\"},"
	    "{\"type\":\"collect\",\"node\":\"m\",\"min_digits\":1,"
	    "\"max_digits\":4,\"timeout\":7,\"terminator\":\"#\"}]");
	ok(strcmp(x, HEAD "<Say>Hi &lt;&amp;&gt;</Say><Gather input=\"dtmf\""
	    " action=\"https://h/x?call=1&amp;event=digits\" method=\"POST\""
	    " numDigits=\"4\" timeout=\"7\" finishOnKey=\"#\""
	    " actionOnEmptyResult=\"true\"><Say language=\"de-DE\">Press 1"
	    "</Say></Gather></Response>") == 0, "say, then a menu: %s", x);
	free(x);
	x = render("[{\"type\":\"collect\",\"node\":\"g\",\"max_digits\":2,"
	    "\"timeout\":0}]");
	ok(strstr(x, "timeout=\"5\" finishOnKey=\"\"") != NULL &&
	    strstr(x, "></Gather>") != NULL, "a bare collect: %s", x);
	free(x);
	x = render("[{\"type\":\"play\",\"node\":\"p\",\"url\":\"https://a/b.mp3?x=1&y=2\"},"
	    "{\"type\":\"enqueue\",\"node\":\"q\",\"queue\":\"Sales & Co\"},"
	    "{\"type\":\"end\"}]");
	ok(strcmp(x, HEAD "<Play>https://a/b.mp3?x=1&amp;y=2</Play>"
	    "<Enqueue>Sales &amp; Co</Enqueue></Response>") == 0,
	    "play and enqueue: %s", x);
	free(x);
	x = render("[{\"type\":\"transfer\",\"to\":\"number\",\"target\":\"+49\"},"
	    "{\"type\":\"transfer\",\"to\":\"agent\",\"target\":\"ann\"},"
	    "{\"type\":\"transfer\",\"to\":\"queue\",\"target\":\"S\"},"
	    "{\"type\":\"transfer\",\"to\":\"flow\",\"target\":\"F\"}]");
	ok(strcmp(x, HEAD "<Dial>+49</Dial><Dial><Client>ann</Client></Dial>"
	    "<Enqueue>S</Enqueue><Hangup/></Response>") == 0,
	    "transfers: %s", x);
	free(x);
	x = render("[{\"type\":\"voicemail\",\"max_length\":60},"
	    "{\"type\":\"hangup\"},{\"type\":\"http\",\"url\":\"http://x\"}]");
	ok(strcmp(x, HEAD "<Record action=\"https://h/x?call=1&amp;event=recorded\""
	    " method=\"POST\" maxLength=\"60\"/><Hangup/></Response>") == 0,
	    "voicemail, hangup; http never reaches Twilio: %s", x);
	free(x);
	x = render("[{\"type\":\"say\",\"text\":\"a\\u0001b\\\"'\"}]");
	ok(strcmp(x, HEAD "<Say>a b&quot;&apos;</Say></Response>") == 0,
	    "control characters and quotes: %s", x);
	free(x);
	x = twiml_say_hangup(NULL);
	ok(strcmp(x, HEAD "<Hangup/></Response>") == 0, "hang up: %s", x);
	free(x);
	x = twiml_conference(&(struct twiml_conference){ .name = "call-1",
	    .caller = 1, .wait = "https://h/x?call=1&event=wait",
	    .callback = "https://h/x?call=1&event=conference",
	    .say = "Calls are <recorded>." });
	ok(strcmp(x, "<Response><Say>Calls are &lt;recorded&gt;.</Say><Dial>"
	    "<Conference beep=\"false\" startConferenceOnEnter=\"false\""
	    " endConferenceOnExit=\"true\""
	    " waitUrl=\"https://h/x?call=1&amp;event=wait\" waitMethod=\"POST\""
	    " statusCallback=\"https://h/x?call=1&amp;event=conference\""
	    " statusCallbackMethod=\"POST\""
	    " statusCallbackEvent=\"start end join leave\">call-1</Conference>"
	    "</Dial></Response>") == 0, "the caller into its conference: %s", x);
	free(x);
	x = twiml_conference(&(struct twiml_conference){ .name = "call-<1>" });
	ok(strcmp(x, "<Response><Dial><Conference beep=\"false\""
	    " startConferenceOnEnter=\"true\" endConferenceOnExit=\"false\">"
	    "call-&lt;1&gt;</Conference></Dial></Response>") == 0,
	    "an agent's leg, escaped: %s", x);
	free(x);
	x = twiml_enqueue("Sales", "https://h/x?call=1&event=wait");
	ok(strcmp(x, HEAD "<Enqueue waitUrl=\"https://h/x?call=1&amp;event=wait\""
	    " waitUrlMethod=\"POST\">Sales</Enqueue></Response>") == 0,
	    "a queue with its own hold music: %s", x);
	free(x);
	x = twiml_wait("You are next in line.", "https://m/a.mp3?x=1&y=2", 1, 60);
	ok(strcmp(x, HEAD "<Say>You are next in line.</Say><Play loop=\"1\">"
	    "https://m/a.mp3?x=1&amp;y=2</Play></Response>") == 0,
	    "an announcement, then the music once: %s", x);
	free(x);
	x = twiml_wait(NULL, "https://m/a.mp3", 0, 60);
	ok(strcmp(x, HEAD "<Play loop=\"0\">https://m/a.mp3</Play></Response>")
	    == 0, "music for ever: %s", x);
	free(x);
	x = twiml_wait("Hi", NULL, 1, 45);
	ok(strcmp(x, HEAD "<Say>Hi</Say><Pause length=\"45\"/></Response>") == 0,
	    "no music: quiet until the next announcement: %s", x);
	free(x);
	x = twiml_enqueue("Sales & Co", NULL);
	ok(strcmp(x, HEAD "<Enqueue>Sales &amp; Co</Enqueue></Response>") == 0,
	    "back into the queue: %s", x);
	free(x);
}

int
main(void)
{
	test_form();
	test_form_limit();
	test_hmac();
	test_twiml();
	test_token();
	return unit_done();
}
