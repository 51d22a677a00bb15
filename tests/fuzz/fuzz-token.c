/* libFuzzer: access-token verification on arbitrary bytes (network input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct token_key	 key;
	static int		 ready;
	struct token_claims	 c;
	char			*tok;

	if (!ready) {
		const char *k = "fuzz-secret-fuzz-secret-fuzz-secret-0123";

		if (token_key_init(&key, (const unsigned char *)k, strlen(k),
		    "calldocker", "calldocker-api") != 0)
			abort();
		ready = 1;
	}
	if ((tok = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	/* Nothing but a token we signed may verify. */
	if (token_verify(&key, tok, 1800000000, 30, &c) == TOKEN_OK &&
	    strncmp(tok, "eyJ", 3) != 0)
		abort();
	free(tok);
	return 0;
}
