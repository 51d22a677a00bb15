/* Pure checks of signaling input (ws-check.h). */
#include <ctype.h>
#include <string.h>

#include "ws-check.h"

int
ws_check_origin(const char *s)
{
	const char	*p;

	if (strncmp(s, "https://", 8) == 0)
		p = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else
		return 0;
	if (*p == '\0' || *p == ':' || strlen(s) > 255)
		return 0;
	for (; *p != '\0'; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '.' || *p == '-' || *p == ':' || *p == '[' ||
		    *p == ']'))
			return 0;
	}
	return 1;
}

int
ws_check_media(const json_t *m)
{
	static const char *const kinds[] = { "voice", "video", "screen_share" };
	unsigned	 seen = 0;
	size_t		 i, k;
	json_t		*v;

	if (!json_is_array(m) || json_array_size(m) == 0)
		return 0;
	json_array_foreach(m, i, v) {
		for (k = 0; k < 3; k++) {
			if (json_is_string(v) && strcmp(json_string_value(v),
			    kinds[k]) == 0)
				break;
		}
		if (k == 3 || (seen & (1u << k)))
			return 0;
		seen |= 1u << k;
	}
	return 1;
}

const char *
ws_check_relay(const char *type, const json_t *msg)
{
	const json_t	*sdp = json_object_get(msg, "sdp");
	const json_t	*cand = json_object_get(msg, "candidate");
	const json_t	*media = json_object_get(msg, "media");

	int		 sv = strncmp(type, "supervise.", 10) == 0;

	if (media != NULL && (sv || strcmp(type, "ice.candidate") == 0))
		return "\"media\" goes with sdp.offer and sdp.answer";
	if (strcmp(type, "ice.candidate") == 0 ||
	    strcmp(type, "supervise.ice") == 0) {
		if (cand == NULL || !(json_is_object(cand) ||
		    json_is_string(cand) || json_is_null(cand)))
			return "\"candidate\" must be an object, a string or null";
		return NULL;
	}
	if (!json_is_string(sdp) || json_string_length(sdp) > WS_MAX_SDP)
		return "\"sdp\" must be a string of at most 60000 characters";
	if (media != NULL && !ws_check_media(media))
		return "\"media\" lists voice, video and screen_share, each at"
		    " most once";
	return NULL;
}
