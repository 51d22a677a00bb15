/* libFuzzer: x-www-form-urlencoded bodies (Twilio webhooks, network input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form	 f;
	char		*cause = NULL;

	if (form_parse((const char *)data, size, &f, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	if (f.n > FORM_MAX_PAIRS)
		abort();
	for (size_t i = 0; i < f.n; i++) {
		/* Decoding never grows a field, and names stay findable. */
		if (strlen(f.v[i].name) + strlen(f.v[i].value) > size ||
		    form_get(&f, f.v[i].name) == NULL)
			abort();
	}
	form_sort(&f);
	for (size_t i = 1; i < f.n; i++) {
		if (strcmp(f.v[i - 1].name, f.v[i].name) > 0)
			abort();
	}
	form_free(&f);
	return 0;
}
