/* Outgoing HTTP with libcurl and the SSRF guard. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "xmalloc.h"
#include "daemon.h"
#include "fetch.h"

struct sink {
	struct fetch_result	*r;
	size_t			 max;
	size_t			 cap;
	int			 too_big;
};

/* IPv4 ranges the guard refuses: address, prefix length. */
static const struct {
	const char	*net;
	int		 bits;
} refused4[] = {
	{ "0.0.0.0", 8 }, { "10.0.0.0", 8 }, { "100.64.0.0", 10 },
	{ "127.0.0.0", 8 }, { "169.254.0.0", 16 }, { "172.16.0.0", 12 },
	{ "192.0.0.0", 24 }, { "192.168.0.0", 16 }, { "198.18.0.0", 15 },
	{ "224.0.0.0", 4 }, { "240.0.0.0", 4 },
};

static int
refused_v4(uint32_t a)
{
	for (size_t i = 0; i < sizeof refused4 / sizeof refused4[0]; i++) {
		struct in_addr	 net;
		uint32_t	 mask = refused4[i].bits == 0 ? 0 :
			    0xffffffffu << (32 - refused4[i].bits);

		inet_pton(AF_INET, refused4[i].net, &net);
		if ((a & mask) == (ntohl(net.s_addr) & mask))
			return 1;
	}
	return 0;
}

int
fetch_address_refused(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return refused_v4(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6	*in6 = (const struct sockaddr_in6 *)sa;
		const unsigned char		*b = in6->sin6_addr.s6_addr;
		uint32_t			 v4;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(&v4, b + 12, 4);
			return refused_v4(ntohl(v4));
		}
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ||
		    IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) ||
		    IN6_IS_ADDR_MULTICAST(&in6->sin6_addr) ||
		    (b[0] & 0xfe) == 0xfc;		/* fc00::/7 */
	}
	return 1;
}

/* libcurl asks before connecting: refuse guarded addresses here, so the
 * address checked is the one used (no DNS rebinding between the two). */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	int	*refused = arg;

	if (!cfg.outbound_allow_private && fetch_address_refused(&a->addr)) {
		*refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static size_t
sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;
	size_t		 len = size * n;

	if (s->r->len + len > s->max) {
		s->too_big = 1;
		return 0;
	}
	if (s->r->len + len + 1 > s->cap) {
		s->cap = (s->r->len + len + 1) * 2;
		s->r->body = xrealloc(s->r->body, s->cap);
	}
	memcpy(s->r->body + s->r->len, p, len);
	s->r->len += len;
	s->r->body[s->r->len] = '\0';
	return len;
}

int
fetch(const char *method, const char *url, const struct fetch_header *h,
    size_t nh, const char *body, int timeout, size_t max_body,
    struct fetch_result *r)
{
	CURL			*c;
	struct curl_slist	*list = NULL;
	struct sink		 s = { r, max_body, 0, 0 };
	CURLcode		 e;
	int			 refused = 0;
	char			*line;

	memset(r, 0, sizeof *r);
	if ((c = curl_easy_init()) == NULL) {
		snprintf(r->error, sizeof r->error, "cannot start a request");
		return -1;
	}
	for (size_t i = 0; i < nh; i++) {
		line = xasprintf("%s: %s", h[i].name, h[i].value);
		list = curl_slist_append(list, line);
		free(line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout > 0 ? timeout : 5));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "calldockerd");
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &refused);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	e = curl_easy_perform(c);
	if (e == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else if (refused)
		snprintf(r->error, sizeof r->error, "the address is not allowed"
		    " (outbound_allow_private)");
	else if (s.too_big)
		snprintf(r->error, sizeof r->error, "the answer is larger than"
		    " %zu bytes", max_body);
	else
		snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(e));
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	if (r->body == NULL)
		r->body = xstrdup("");
	return e == CURLE_OK ? 0 : -1;
}
