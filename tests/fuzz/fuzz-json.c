/*
 * libFuzzer: json_print() against jansson's json_dumps() on whatever JSON
 * jansson reads from the input (json-print.h promises the same bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-print.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t	*v;
	char	*mine, *theirs;
	size_t	 len;

	v = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v == NULL)
		return 0;
	mine = json_print(v, &len);
	theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (mine == NULL || theirs == NULL || strcmp(mine, theirs) != 0 ||
	    len != strlen(theirs))
		abort();
	free(mine);
	free(theirs);
	json_decref(v);
	return 0;
}
