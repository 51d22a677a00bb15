/*
 * libFuzzer: the WebSocket client's parsing of what a server sends (network
 * input): the answer to the upgrade, then frames, fed in chunks of varying
 * size so that every partial state is reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wsc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsc	*ws;
	enum wsc_status	 st = WSC_AGAIN;
	char		*msg;
	size_t		 len, chunk, n;

	if (size < 2)
		return 0;
	/* Byte 0: start open or at the upgrade; byte 1: the chunk size. */
	ws = wsc_new_detached(data[0] & 1, "dGhlIHNhbXBsZSBub25jZQ==");
	wsc_set_max_message(ws, 4096);
	chunk = (size_t)data[1] + 1;
	data += 2;
	size -= 2;
	while (size > 0 && st != WSC_CLOSED) {
		n = size < chunk ? size : chunk;
		if (wsc_feed(ws, data, n) != 0)
			break;
		data += n;
		size -= n;
		while ((st = wsc_read(ws, &msg, &len)) == WSC_MESSAGE) {
			if (strlen(msg) > len || !wsc_utf8_valid((uint8_t *)msg,
			    len))
				abort();
			/* Sending from inside the loop must be safe too. */
			wsc_send_text(ws, msg, len < 16 ? len : 16);
		}
	}
	wsc_close(ws, 1000, "bye");
	return 0;
}
