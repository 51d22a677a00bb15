/* Password hashing with yescrypt and the password policy. */
#include <crypt.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"
#include "log.h"
#include "http.h"
#include "password.h"

#define MIN_LEN	10
#define MAX_LEN	128

/* A real hash of a random password: unknown users cost the same time. */
static char	*dummy_hash;

void
password_init(void)
{
	char	 pw[33];

	for (size_t i = 0; i < sizeof pw - 1; i++)
		pw[i] = (char)('a' + arc4random_uniform(26));
	pw[sizeof pw - 1] = '\0';
	if ((dummy_hash = password_hash(pw)) == NULL)
		fatal("password: yescrypt is not available");
}

char *
password_hash(const char *pw)
{
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data	*cd;
	char			*out = NULL, *h;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt) == NULL)
		return NULL;
	cd = xcalloc(1, sizeof *cd);
	h = crypt_r(pw, salt, cd);
	if (h != NULL && h[0] == '$')
		out = xstrdup(h);
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return out;
}

int
password_verify(const char *pw, const char *hash)
{
	struct crypt_data	*cd = xcalloc(1, sizeof *cd);
	const char		*use = hash != NULL ? hash : dummy_hash;
	char			*h;
	size_t			 len = strlen(use);
	unsigned char		 diff = 1;

	h = crypt_r(pw, use, cd);
	if (h != NULL && strlen(h) == len) {
		diff = 0;
		for (size_t i = 0; i < len; i++)
			diff |= (unsigned char)(h[i] ^ use[i]);
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return hash != NULL && diff == 0;
}

void
password_policy(const char *pw, const char *email, struct fields *f)
{
	size_t	 len = strlen(pw), local;
	int	 lower = 0, upper = 0, digit = 0, other = 0;

	if (len < MIN_LEN) {
		fields_add(f, "password", "must be at least %d characters", MIN_LEN);
		return;
	}
	if (len > MAX_LEN) {
		fields_add(f, "password", "must be at most %d characters", MAX_LEN);
		return;
	}
	for (const char *p = pw; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (islower(c))
			lower = 1;
		else if (isupper(c))
			upper = 1;
		else if (isdigit(c))
			digit = 1;
		else
			other = 1;
	}
	if (lower + upper + digit + other < 2) {
		fields_add(f, "password", "must mix at least two of lower-case,"
		    " upper-case, digits and other characters");
		return;
	}
	if (email != NULL && (local = strcspn(email, "@")) >= 3) {
		char	*l = xstrndup(email, local), folded[2048];

		/* email is normalised already: fold pw the same way. */
		if (utf8_lower(pw, folded, sizeof folded) == 0 ?
		    strstr(folded, l) != NULL : strcasestr(pw, l) != NULL)
			fields_add(f, "password", "must not contain the e-mail"
			    " address");
		free(l);
	}
}
