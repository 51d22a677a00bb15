/* Signed requests between the nodes of a cluster; see peer.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "hmac.h"
#include "peer.h"

#define PEER_LABEL	"calldocker forward v1"
#define PEER_MAX_BODY	(4u << 20)

static pthread_once_t	 key_once = PTHREAD_ONCE_INIT;
static unsigned char	 key[EVP_MAX_MD_SIZE];
static unsigned int	 keylen;
static pthread_key_t	 handle_key;

static void
handle_free(void *c)
{
	curl_easy_cleanup(c);
}

/* The forwarding key: HMAC(signing key, label), so that the token signing
 * key itself signs nothing but tokens. */
static void
peer_init(void)
{
	if (HMAC(EVP_sha256(), tkey.key, (int)tkey.len,
	    (const unsigned char *)PEER_LABEL, strlen(PEER_LABEL), key,
	    &keylen) == NULL)
		fatal("peer: HMAC failed");
	if (pthread_key_create(&handle_key, handle_free) != 0)
		fatal("peer: no thread key");
}

/* Hex of HMAC(key, date "\n" body) into hex (65 bytes). */
static void
peer_sign(const char *date, const char *body, size_t len, char hex[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 dlen = strlen(date);
	char		*msg = xmalloc(dlen + len + 2);

	pthread_once(&key_once, peer_init);
	memcpy(msg, date, dlen);
	msg[dlen] = '\n';
	if (len > 0)
		memcpy(msg + dlen + 1, body, len);
	if (HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)msg,
	    dlen + 1 + len, md, &mdlen) == NULL)
		fatal("peer: HMAC failed");
	free(msg);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int
peer_verify(const char *date, const char *sig, const char *body, size_t len,
    time_t now, const char **why)
{
	char		 want[65] = "", *end;
	long long	 t;

	if (date == NULL || sig == NULL) {
		*why = "the request is not signed";
		return -1;
	}
	t = strtoll(date, &end, 10);
	if (*date == '\0' || *end != '\0' || t < (long long)now - PEER_SKEW ||
	    t > (long long)now + PEER_SKEW) {
		*why = "the request's date is missing or too far from ours";
		return -1;
	}
	peer_sign(date, body, len, want);
	if (!hmac_equal(want, sig)) {
		*why = "the request's signature does not match";
		return -1;
	}
	return 0;
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	struct peer_result	*r = arg;
	size_t			 len = size * n;

	if (r->len + len > PEER_MAX_BODY)
		return 0;
	r->body = xrealloc(r->body, r->len + len + 1);
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* This thread's handle: its connections stay open between requests. */
static CURL *
handle(void)
{
	CURL	*c;

	pthread_once(&key_once, peer_init);
	if ((c = pthread_getspecific(handle_key)) != NULL) {
		curl_easy_reset(c);
		return c;
	}
	if ((c = curl_easy_init()) != NULL)
		pthread_setspecific(handle_key, c);
	return c;
}

int
peer_post(const char *url, const char *self, const char *body, size_t len,
    struct peer_result *r)
{
	CURL			*c;
	struct curl_slist	*list = NULL;
	CURLcode		 e;
	char			 date[24], sig[65] = "", *line;

	memset(r, 0, sizeof *r);
	if ((c = handle()) == NULL) {
		r->err = PEER_CONNECT;
		snprintf(r->error, sizeof r->error, "cannot start a request");
		return -1;
	}
	snprintf(date, sizeof date, "%lld", (long long)time(NULL));
	peer_sign(date, body, len, sig);
	list = curl_slist_append(list, "Content-Type: application/json");
	list = curl_slist_append(list, "Expect:");
	line = xasprintf("%s: %s", PEER_NODE_HEADER, self);
	list = curl_slist_append(list, line);
	free(line);
	line = xasprintf("%s: %s", PEER_DATE_HEADER, date);
	list = curl_slist_append(list, line);
	free(line);
	line = xasprintf("%s: %s", PEER_SIG_HEADER, sig);
	list = curl_slist_append(list, line);
	free(line);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "calldockerd");
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	e = curl_easy_perform(c);
	if (e == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else {
		r->err = e == CURLE_COULDNT_CONNECT ||
		    e == CURLE_COULDNT_RESOLVE_HOST ? PEER_CONNECT : PEER_FAILED;
		snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(e));
	}
	curl_slist_free_all(list);
	if (r->body == NULL)
		r->body = xstrdup("");
	return e == CURLE_OK ? 0 : -1;
}
