/*
 * File storage, the S3 backend: path-style requests to
 * s3_endpoint/s3_bucket/ID signed with AWS Signature Version 4 by libcurl
 * (CURLOPT_AWS_SIGV4). libcurl 7.88 does not send x-amz-content-sha256,
 * which S3 requires: we send the payload's hash ourselves, and curl signs
 * it. No "Expect:" override: curl 7.88 would sign that header without
 * sending it. The secret key goes to curl only, never to a log line.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "storage.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char	*sigv4;		/* "aws:amz:REGION:s3" */

/*
 * A response body: kept (bounded by max), or with fn set handed to fn as
 * it comes when the status is 200 (an error's body is kept instead).
 */
struct sink {
	char		*buf;
	size_t		 len, cap, max;
	int		 too_big;
	storage_fn	 fn;
	void		*arg;
	CURL		*c;
	int		 stopped;	/* fn said stop */
};

int
s3_init(char **cause)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*cause = xstrdup("cannot initialise libcurl");
		return -1;
	}
	free(sigv4);
	sigv4 = xasprintf("aws:amz:%s:s3", cfg.s3_region);
	log_info("storage: s3 bucket \"%s\" at %s", cfg.s3_bucket,
	    cfg.s3_endpoint);
	return 0;
}

static size_t
sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;
	long		 code = 0;

	n *= size;
	if (s->fn != NULL) {
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200) {
			if (s->fn(s->arg, p, n) != 0) {
				s->stopped = 1;
				return 0;
			}
			return n;
		}
	}
	if (s->len + n > s->max) {
		s->too_big = 1;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		if (s->cap > s->max + 1)
			s->cap = s->max + 1;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return n;
}

/*
 * One signed request for object id; the status in *code. body/len for a
 * PUT, sink for a GET's answer (else the answer is discarded, bounded).
 */
static int
s3_request(const char *method, const char *id, const void *body, size_t len,
    const char *sha256hex, const char *ctype, struct sink *sink, long *code)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	struct sink		 discard = { .max = 65536 };
	const char		*end = cfg.s3_endpoint;
	char			*url, *hdr, err[CURL_ERROR_SIZE];
	CURLcode		 rc;
	size_t			 elen = strlen(end);

	while (elen > 0 && end[elen - 1] == '/')
		elen--;
	url = xasprintf("%.*s/%s/%s", (int)elen, end, cfg.s3_bucket, id);
	if ((c = curl_easy_init()) == NULL) {
		free(url);
		return -1;
	}
	hdr = xasprintf("x-amz-content-sha256: %s", sha256hex ? sha256hex :
	    EMPTY_SHA256);
	h = curl_slist_append(h, hdr);
	free(hdr);
	if (ctype != NULL) {
		hdr = xasprintf("Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
		free(hdr);
	}
	err[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, cfg.s3_access_key);
	curl_easy_setopt(c, CURLOPT_PASSWORD, cfg.s3_secret_key);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (sink != NULL)
		sink->c = c;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink ? sink : &discard);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "DELETE") == 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	rc = curl_easy_perform(c);
	*code = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	else if (!(sink != NULL && (sink->too_big || sink->stopped)))
		log_error("storage: s3 %s %s: %s", method, id,
		    err[0] ? err : curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(discard.buf);
	free(url);
	return rc == CURLE_OK ? 0 : -1;
}

enum storage_result
s3_put(const char *id, const void *data, size_t len, const char *sha256hex,
    const char *ctype)
{
	long	 code;

	if (s3_request("PUT", id, data, len, sha256hex, ctype, NULL,
	    &code) != 0)
		return STORAGE_ERROR;
	if (code != 200) {
		log_error("storage: s3 PUT %s: HTTP %ld", id, code);
		return STORAGE_ERROR;
	}
	return STORAGE_OK;
}

enum storage_result
s3_read(const char *id, storage_fn fn, void *arg)
{
	struct sink	 s = { .max = 65536, .fn = fn, .arg = arg };
	long		 code = 0;
	int		 rc;

	rc = s3_request("GET", id, NULL, 0, NULL, NULL, &s, &code);
	free(s.buf);
	if (s.stopped)
		return STORAGE_STOPPED;
	if (rc != 0)
		return STORAGE_ERROR;
	if (code == 404)
		return STORAGE_MISSING;
	if (code != 200) {
		log_error("storage: s3 GET %s: HTTP %ld", id, code);
		return STORAGE_ERROR;
	}
	return STORAGE_OK;
}

enum storage_result
s3_delete(const char *id)
{
	long	 code;

	if (s3_request("DELETE", id, NULL, 0, NULL, NULL, NULL, &code) != 0)
		return STORAGE_ERROR;
	if (code != 204 && code != 200 && code != 404) {
		log_error("storage: s3 DELETE %s: HTTP %ld", id, code);
		return STORAGE_ERROR;
	}
	return STORAGE_OK;
}
