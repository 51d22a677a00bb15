/*
 * libFuzzer: a WebSocket message from a caller or a party (network input),
 * through the checks of daemon/ws-check.c: the relay payloads, media lists
 * and, for every string in it, the origin check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ws-check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
strings(const json_t *v, int depth)
{
	const char	*k;
	json_t		*e;
	size_t		 i;

	if (depth > 8)
		return;
	if (json_is_string(v))
		(void)ws_check_origin(json_string_value(v));
	else if (json_is_array(v)) {
		(void)ws_check_media(v);
		json_array_foreach(v, i, e)
			strings(e, depth + 1);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			strings(e, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "sdp.offer", "sdp.answer",
	    "ice.candidate", "supervise.offer", "supervise.answer",
	    "supervise.ice" };
	json_t	*m;

	m = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (m == NULL)
		return 0;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		(void)ws_check_relay(types[i], m);
	strings(m, 0);
	json_decref(m);
	return 0;
}
