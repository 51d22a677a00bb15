/*
 * Pure checks of what callers and parties send (docs/ws.md): no state, no
 * I/O, so that tests/fuzz/fuzz-ws.c runs them on arbitrary input.
 */
#ifndef WS_CHECK_H
#define WS_CHECK_H

#include <jansson.h>

#define WS_MAX_SDP	60000

/* An origin as browsers send it: https://host[:port], lower case. */
int		 ws_check_origin(const char *);
/* A "media" list: voice, video, screen_share, each at most once. */
int		 ws_check_media(const json_t *);
/*
 * The payload of sdp.offer, sdp.answer, ice.candidate or their
 * supervise.offer, supervise.answer, supervise.ice (type; these carry no
 * "media"): NULL if fine, else what is wrong (a static string).
 */
const char	*ws_check_relay(const char *type, const json_t *msg);

#endif
