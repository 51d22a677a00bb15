/*
 * HTTP client on libcurl: one easy handle per client (connections are kept
 * alive and reused), JSON bodies through jansson, and a clear line between
 * "the daemon is not there" and "the daemon said no".
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client.h"
#include "xmalloc.h"

#define CLIENT_CONNECT_TIMEOUT	5L	/* seconds */
#define CLIENT_TIMEOUT		30L	/* seconds, whole exchange */
#define CLIENT_MAX_BODY		(64 * 1024 * 1024)

struct client {
	CURL	*curl;
	char	*host;		/* as given */
	char	*base;		/* URL prefix, no trailing slash */
	char	*socket_path;	/* for unix://, else NULL */
	char	*token;
	char	*cacert;	/* NULL: the system store */
	long	 timeout;	/* seconds, whole exchange */
	char	 errbuf[CURL_ERROR_SIZE];
};

struct client_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
	int	 overflow;
};

static pthread_once_t	client_once = PTHREAD_ONCE_INIT;

static void
client_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct client *
client_new(const char *host, char **cause)
{
	struct client	*c;
	const char	*authority;
	size_t		 n;

	pthread_once(&client_once, client_global_init);

	c = xcalloc(1, sizeof *c);
	c->host = xstrdup(host);
	c->timeout = CLIENT_TIMEOUT;
	if (strncmp(host, "unix://", 7) == 0) {
		if (host[7] != '/') {
			*cause = xasprintf("bad host \"%s\": the socket path must "
			    "be absolute (unix:///path)", host);
			goto fail;
		}
		c->socket_path = xstrdup(host + 7);
		c->base = xstrdup("http://localhost");
	} else if (strncmp(host, "http://", 7) == 0 ||
	    strncmp(host, "https://", 8) == 0) {
		c->base = xstrdup(host);
		authority = strstr(c->base, "://") + 3;
		n = strlen(c->base);
		while (n > (size_t)(authority - c->base) && c->base[n - 1] == '/')
			c->base[--n] = '\0';
		if (*authority == '\0' || *authority == '/' ||
		    strpbrk(authority, "?# \t") != NULL) {
			*cause = xasprintf("bad host \"%s\"", host);
			goto fail;
		}
	} else {
		*cause = xasprintf("bad host \"%s\": use unix:///path or "
		    "http(s)://host:port", host);
		goto fail;
	}
	if ((c->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot initialise libcurl");
		goto fail;
	}
	return c;

fail:
	client_free(c);
	return NULL;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->host);
	free(c->base);
	free(c->socket_path);
	free(c->cacert);
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c);
}

void
client_set_cacert(struct client *c, const char *file)
{
	free(c->cacert);
	c->cacert = file != NULL && *file != '\0' ? xstrdup(file) : NULL;
}

void
client_set_timeout(struct client *c, long seconds)
{
	c->timeout = seconds > 0 ? seconds : CLIENT_TIMEOUT;
}

void
client_set_token(struct client *c, const char *token)
{
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	c->token = (token != NULL && *token != '\0') ? xstrdup(token) : NULL;
}

const char *
client_host(const struct client *c)
{
	return c->host;
}

static size_t
client_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct client_buf	*b = arg;
	size_t			 n = size * nmemb;

	if (b->len + n + 1 > CLIENT_MAX_BODY) {
		b->overflow = 1;
		return 0;
	}
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size ? b->size * 2 : 4096;
		b->data = xrealloc(b->data, b->size);
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Keep the value of header name if line is that header. */
static void
client_header_value(const char *line, size_t len, const char *name,
    char **out)
{
	size_t	 nlen = strlen(name);

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return;
	line += nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	    line[len - 1] == ' '))
		len--;
	free(*out);
	*out = xstrndup(line, len);
}

static size_t
client_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct client_response	*r = arg;
	size_t			 n = size * nmemb;

	client_header_value(ptr, n, "location", &r->location);
	client_header_value(ptr, n, "retry-after", &r->retry_after);
	return n;
}

static int
client_is_json(const char *ctype)
{
	size_t	 n;

	if (ctype == NULL)
		return 0;
	n = strcspn(ctype, "; ");
	if (n == 16 && strncasecmp(ctype, "application/json", n) == 0)
		return 1;
	return n > 5 && strncasecmp(ctype + n - 5, "+json", 5) == 0;
}

/* Describe a transport failure; sets the status that goes with it. */
static enum client_status
client_transport_error(struct client *c, CURLcode rc, char **cause)
{
	long		 oserr = 0;
	curl_off_t	 connect_time = 0;
	const char	*what;
	struct stat	 sb;

	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME_T, &connect_time);
	what = c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		*cause = xasprintf("cannot verify the TLS certificate of \"%s\": "
		    "%s (give its CA with --cacert FILE or CALLDOCKER_CACERT)",
		    c->host, what);
		return CLIENT_TLS;
	case CURLE_SSL_CACERT_BADFILE:
		*cause = xasprintf("cannot use the CA file \"%s\": %s",
		    c->cacert != NULL ? c->cacert : "(system store)", what);
		return CLIENT_TLS;
	case CURLE_SSL_CONNECT_ERROR:
		*cause = xasprintf("TLS handshake with \"%s\" failed: %s "
		    "(does it serve https?)", c->host, what);
		return CLIENT_TLS;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (connect_time == 0)
			break;
		*cause = xasprintf("no answer from \"%s\" within %ld seconds",
		    c->host, c->timeout);
		return CLIENT_FAILED;
	default:
		*cause = xasprintf("request to \"%s\" failed: %s", c->host,
		    what);
		return CLIENT_FAILED;
	}

	if (c->socket_path != NULL && stat(c->socket_path, &sb) != 0)
		*cause = xasprintf("cannot connect to \"%s\": %s", c->host,
		    strerror(errno));
	else if (oserr != 0)
		*cause = xasprintf("cannot connect to \"%s\": %s", c->host,
		    strerror((int)oserr));
	else
		*cause = xasprintf("cannot connect to \"%s\": %s", c->host,
		    what);
	return CLIENT_UNREACHABLE;
}

/* A request body: JSON, or raw bytes of a given type; neither for none. */
struct client_body {
	json_t		*json;
	const char	*raw;
	size_t		 len;
	const char	*type;
};

static enum client_status
client_perform(struct client *c, const char *method, const char *path,
    const struct client_body *body, const char *const *headers,
    struct client_response *resp, char **cause)
{
	struct curl_slist	*hl = NULL;
	struct client_buf	 buf = { 0 };
	char			*url = NULL, *data = NULL, *auth = NULL;
	char			*type = NULL;
	const char		*ctype = NULL;
	enum client_status	 status = CLIENT_FAILED;
	int			 has_body;
	CURLcode		 rc;

	memset(resp, 0, sizeof *resp);
	curl_easy_reset(c->curl);	/* keeps the connection cache */
	c->errbuf[0] = '\0';

	url = xasprintf("%s%s", c->base, path);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (c->socket_path != NULL)
		curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH,
		    c->socket_path);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Verify https:// hosts: the name and the chain, to cacert or the system store. */
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->cacert != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CLIENT_CONNECT_TIMEOUT);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "calldocker");
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, client_write_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &buf);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, client_header_cb);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, resp);

	hl = curl_slist_append(hl, "Accept: application/json");
	hl = curl_slist_append(hl, "Expect:");
	if (c->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", c->token);
		hl = curl_slist_append(hl, auth);
	}
	has_body = body->json != NULL || body->raw != NULL;
	if (body->json != NULL) {
		data = json_dumps(body->json, JSON_COMPACT);
		if (data == NULL) {
			*cause = xstrdup("cannot encode the request body");
			goto out;
		}
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(data));
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, data);
	} else if (body->raw != NULL) {
		type = xasprintf("Content-Type: %s", body->type);
		hl = curl_slist_append(hl, type);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)body->len);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body->raw);
	}
	for (; headers != NULL && *headers != NULL; headers++)
		hl = curl_slist_append(hl, *headers);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);

	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	else {
		if (!has_body && strcmp(method, "POST") == 0) {
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, 0L);
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
		}
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	}

	rc = curl_easy_perform(c->curl);
	if (rc == CURLE_WRITE_ERROR && buf.overflow) {
		*cause = xasprintf("answer from \"%s\" is larger than %d bytes",
		    c->host, CLIENT_MAX_BODY);
		goto out;
	}
	if (rc != CURLE_OK) {
		status = client_transport_error(c, rc, cause);
		goto out;
	}

	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
	resp->body = buf.data != NULL ? buf.data : xstrdup("");
	resp->len = buf.len;
	buf.data = NULL;
	if (resp->len > 0 && client_is_json(ctype))
		resp->json = json_loadb(resp->body, resp->len, 0, NULL);
	status = CLIENT_OK;

out:
	if (status != CLIENT_OK) {
		free(resp->location);
		free(resp->retry_after);
		memset(resp, 0, sizeof *resp);
	}
	curl_slist_free_all(hl);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	if (data != NULL) {
		explicit_bzero(data, strlen(data));
		free(data);
	}
	free(buf.data);
	free(type);
	free(url);
	return status;
}

enum client_status
client_request(struct client *c, const char *method, const char *path,
    json_t *json, const char *const *headers, struct client_response *resp,
    char **cause)
{
	struct client_body	 body = { .json = json };

	return client_perform(c, method, path, &body, headers, resp, cause);
}

enum client_status
client_request_raw(struct client *c, const char *method, const char *path,
    const char *type, const char *raw, size_t len, const char *const *headers,
    struct client_response *resp, char **cause)
{
	struct client_body	 body = { .raw = raw, .len = len, .type = type };

	return client_perform(c, method, path, &body, headers, resp, cause);
}

void
client_response_free(struct client_response *r)
{
	json_decref(r->json);
	free(r->body);
	free(r->location);
	free(r->retry_after);
	memset(r, 0, sizeof *r);
}

/* Append s to the stream with control characters made harmless. */
static void
client_put_clean(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char	ch = (unsigned char)s[i];

		fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, f);
	}
}

char *
client_problem(const struct client_response *r)
{
	const char	*detail = NULL, *field, *msg;
	json_t		*errors, *e;
	size_t		 i, n = 0, size = 0;
	char		*out = NULL;
	FILE		*f;

	if ((f = open_memstream(&out, &size)) == NULL)
		return xasprintf("HTTP %ld", r->status);

	if (json_is_object(r->json)) {
		detail = json_string_value(json_object_get(r->json, "detail"));
		if (detail == NULL || *detail == '\0')
			detail = json_string_value(json_object_get(r->json,
			    "title"));
	}
	if (detail != NULL && *detail != '\0')
		client_put_clean(f, detail, 1024);
	else if (r->body != NULL && r->body[0] != '\0' && r->json == NULL) {
		fprintf(f, "HTTP %ld: ", r->status);
		client_put_clean(f, r->body, 200);
	} else
		fprintf(f, "HTTP %ld", r->status);

	errors = json_is_object(r->json) ?
	    json_object_get(r->json, "errors") : NULL;
	json_array_foreach(errors, i, e) {
		field = json_string_value(json_object_get(e, "field"));
		msg = json_string_value(json_object_get(e, "message"));
		if (msg == NULL)
			continue;
		fputs(n++ == 0 ? ": " : "; ", f);
		if (field != NULL && *field != '\0') {
			client_put_clean(f, field, 128);
			fputs(": ", f);
		}
		client_put_clean(f, msg, 512);
	}
	if (r->retry_after != NULL) {
		fputs(" (retry after ", f);
		client_put_clean(f, r->retry_after, 32);
		fputs(" s)", f);
	}
	fclose(f);
	return out;
}

char *
client_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*out, *p;

	p = out = xmalloc(strlen(s) * 3 + 1);
	for (; *s != '\0'; s++) {
		unsigned char	ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			*p++ = (char)ch;
		else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 0xf];
		}
	}
	*p = '\0';
	return out;
}
