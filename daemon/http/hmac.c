/* Webhook signatures with OpenSSL's libcrypto; see hmac.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "xmalloc.h"
#include "log.h"
#include "hmac.h"

#define SECRET_PREFIX	"whsec_"
#define SECRET_BYTES	32

static char *
b64(const unsigned char *in, size_t len)
{
	char	*out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

char *
hmac_b64(enum hmac_alg alg, const void *key, size_t keylen, const void *msg,
    size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (HMAC(alg == HMAC_SHA1 ? EVP_sha1() : EVP_sha256(), key,
	    (int)keylen, msg, len, md, &mdlen) == NULL)
		fatal("hmac: HMAC failed");
	return b64(md, mdlen);
}

char *
hmac_webhook_sig(const void *key, size_t keylen, const char *id,
    const char *timestamp, const void *body, size_t len)
{
	size_t	 idlen = strlen(id), tslen = strlen(timestamp);
	char	*msg = xmalloc(idlen + tslen + len + 2), *p = msg, *mac, *sig;

	p = mempcpy(p, id, idlen);
	*p++ = '.';
	p = mempcpy(p, timestamp, tslen);
	*p++ = '.';
	if (len > 0)
		p = mempcpy(p, body, len);
	mac = hmac_b64(HMAC_SHA256, key, keylen, msg, (size_t)(p - msg));
	sig = xasprintf("v1,%s", mac);
	free(mac);
	free(msg);
	return sig;
}

int
hmac_equal(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	/* Compare something of a's length either way. */
	if (la != lb)
		return CRYPTO_memcmp(a, a, la) != 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

char *
hmac_secret_new(void)
{
	unsigned char	 raw[SECRET_BYTES];
	char		*enc, *s;

	if (RAND_bytes(raw, sizeof raw) != 1)
		fatal("hmac: no random bytes");
	enc = b64(raw, sizeof raw);
	s = xasprintf(SECRET_PREFIX "%s", enc);
	OPENSSL_cleanse(raw, sizeof raw);
	free(enc);
	return s;
}

int
hmac_secret_key(const char *secret, unsigned char **key, size_t *len)
{
	const char	*enc;
	size_t		 elen, pad = 0;
	unsigned char	*out;
	int		 n;

	if (strncmp(secret, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0)
		return -1;
	enc = secret + strlen(SECRET_PREFIX);
	elen = strlen(enc);
	if (elen == 0 || elen % 4 != 0)
		return -1;
	/* Base64 characters, then at most two '=' of padding. */
	while (pad < 2 && enc[elen - 1 - pad] == '=')
		pad++;
	if (strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/") != elen - pad || elen == pad)
		return -1;
	out = xmalloc(elen / 4 * 3 + 1);
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)enc,
	    (int)elen)) < 0) {
		free(out);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as bytes. */
	*key = out;
	*len = (size_t)n - pad;
	return 0;
}
