/* Unit tests for daemon/ws-check.c: origins, media lists, relay payloads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ws-check.h"
#include "unit.h"

static void
test_origin(void)
{
	ok(ws_check_origin("https://shop.example"), "https host");
	ok(ws_check_origin("http://localhost:8000"), "http host and port");
	ok(ws_check_origin("https://[::1]:8443"), "IPv6 literal");
	ok(!ws_check_origin("https://shop.example/"), "a path is refused");
	ok(!ws_check_origin("https://Shop.example"), "upper case is refused");
	ok(!ws_check_origin("ftp://shop.example"), "other schemes are refused");
	ok(!ws_check_origin("https://"), "no host");
	ok(!ws_check_origin("https://:80"), "a port without a host");
	ok(!ws_check_origin("https://user@shop.example"), "user info is refused");
	ok(!ws_check_origin("null"), "the opaque origin is refused");
	ok(!ws_check_origin(""), "empty");
}

static int
media(const char *text)
{
	json_t	*m = json_loads(text, JSON_DECODE_ANY, NULL);
	int	 r = ws_check_media(m);

	json_decref(m);
	return r;
}

static void
test_media(void)
{
	ok(media("[\"voice\"]"), "voice");
	ok(media("[\"voice\",\"video\",\"screen_share\"]"), "all three");
	ok(!media("[]"), "empty list");
	ok(!media("[\"voice\",\"voice\"]"), "twice");
	ok(!media("[\"hologram\"]"), "unknown kind");
	ok(!media("[1]"), "not a string");
	ok(!media("\"voice\""), "not a list");
}

static const char *
relay(const char *type, const char *text)
{
	json_t		*m = json_loads(text, 0, NULL);
	const char	*why = ws_check_relay(type, m);

	json_decref(m);
	return why;
}

static void
test_relay(void)
{
	char	*big;
	json_t	*m;

	ok(relay("sdp.offer", "{\"sdp\":\"v=0\"}") == NULL, "an offer");
	ok(relay("sdp.answer", "{\"sdp\":\"v=0\",\"media\":[\"voice\"]}") == NULL,
	    "an answer with media");
	ok(relay("sdp.offer", "{}") != NULL, "an offer needs sdp");
	ok(relay("sdp.offer", "{\"sdp\":5}") != NULL, "sdp is a string");
	ok(relay("sdp.offer", "{\"sdp\":\"v=0\",\"media\":[\"x\"]}") != NULL,
	    "bad media");
	ok(relay("ice.candidate", "{\"candidate\":null}") == NULL,
	    "end of candidates");
	ok(relay("ice.candidate", "{\"candidate\":{\"sdpMid\":\"0\"}}") == NULL,
	    "a candidate object");
	ok(relay("ice.candidate", "{}") != NULL, "a candidate is needed");
	ok(relay("ice.candidate", "{\"candidate\":3}") != NULL,
	    "a number is no candidate");
	ok(relay("ice.candidate", "{\"candidate\":\"c\",\"media\":[\"voice\"]}")
	    != NULL, "media goes with SDP only");
	ok(relay("supervise.offer", "{\"sdp\":\"v=0\"}") == NULL,
	    "a supervisor's offer");
	ok(relay("supervise.answer", "{}") != NULL, "a supervisor's answer needs sdp");
	ok(relay("supervise.offer", "{\"sdp\":\"v=0\",\"media\":[\"voice\"]}")
	    != NULL, "no media on a supervisor's offer");
	ok(relay("supervise.ice", "{\"candidate\":null}") == NULL,
	    "a supervisor's end of candidates");
	ok(relay("supervise.ice", "{\"sdp\":\"v=0\"}") != NULL,
	    "a supervisor's candidate is needed");
	big = calloc(1, WS_MAX_SDP + 2);
	memset(big, 'a', WS_MAX_SDP + 1);
	m = json_pack("{s:s}", "sdp", big);
	ok(ws_check_relay("sdp.offer", m) != NULL, "sdp over the limit");
	big[WS_MAX_SDP] = '\0';
	json_object_set_new(m, "sdp", json_string(big));
	ok(ws_check_relay("sdp.offer", m) == NULL, "sdp at the limit");
	ok(ws_check_relay("supervise.answer", m) == NULL,
	    "a supervisor's sdp at the limit");
	json_decref(m);
	free(big);
}

int
main(void)
{
	test_origin();
	test_media();
	test_relay();
	return unit_done();
}
