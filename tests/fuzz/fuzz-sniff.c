/*
 * libFuzzer: what uploads and downloads read from outside: the magic-byte
 * sniffer on a body, the declared Content-Type, an If-None-Match list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "sniff.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*t;
	char		*s;

	t = sniff_audio(data, size);
	/* Whatever the content is called, a declared type maps onto it. */
	if (t != NULL && sniff_declared(t) != t)
		abort();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	t = sniff_declared(s);
	if (t != NULL && strncmp(t, "audio/", 6) != 0)
		abort();
	etag_match(s, "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"");
	etag_match(s, "\"\"");
	free(s);
	return 0;
}
