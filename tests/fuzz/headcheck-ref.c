/*
 * The reference for fuzz-head: daemon/http/headcheck.c as it was before
 * its fast paths (commit 3b85aa0), a byte at a time. fuzz-head.c feeds
 * both the same bytes and aborts where their verdicts differ.
 *
 * The raw bytes of each request head, checked as they arrive and before
 * libwebsockets parses them. lws 4.1.6 percent-decodes the target (%2F
 * becomes a path separator, %00 ends the path, dot-segments are resolved)
 * before anyone sees it, closes over-long heads and answers unknown methods
 * with nothing or text/html, and reads a folded header line as a new one
 * (PITFALLS.md). This scanner sees what the client sent and names the
 * answer; conn.c feeds it the bytes of every read. A byte at a time, with
 * no buffer: the request line may be 8 KiB and the connections many.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "headcheck.h"

/* Its own names, so that it links next to headcheck.c. */
#define headcheck_reset	ref_headcheck_reset
#define headcheck_feed	ref_headcheck_feed
void		ref_headcheck_reset(struct headcheck *);
enum hc_result	ref_headcheck_feed(struct headcheck *, const unsigned char *,
		    size_t, size_t *);

enum {
	S_METHOD,
	S_TARGET,
	S_VERSION,
	S_RL_LF,	/* after the request line's CR */
	S_LINE,		/* start of a header line, or the blank line */
	S_NAME,
	S_VALUE,
	S_FIELD_LF,	/* after a field's CR */
	S_END_LF,	/* after the blank line's CR */
};

static const char *const served[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
};

void
headcheck_reset(struct headcheck *hc)
{
	memset(hc, 0, sizeof *hc);
}

static enum hc_result
bad(struct headcheck *hc, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum hc_result
bad(struct headcheck *hc, int status, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	hc->status = status;
	hc->code = code;
	va_start(ap, fmt);
	vsnprintf(hc->detail, sizeof hc->detail, fmt, ap);
	va_end(ap);
	return HC_BAD;
}

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A path segment ended: "." and ".." are refused, raw or encoded. */
static int
segment_end(struct headcheck *hc)
{
	int	 dots = hc->seg_len > 0 && hc->seg_len <= 2 &&
		    hc->seg_dots == hc->seg_len;

	hc->seg_len = hc->seg_dots = 0;
	return dots ? -1 : 0;
}

/* One decoded byte of the path. */
static enum hc_result
path_byte(struct headcheck *hc, unsigned char c, int encoded)
{
	if (encoded && c == '\0')
		return bad(hc, 400, "bad_request",
		    "the path contains an encoded NUL (%s)", "%00");
	if (encoded && c == '/')
		return bad(hc, 400, "bad_request",
		    "the path contains an encoded slash (%s)", "%2F");
	if (!encoded && (c == ';' || c == '&'))
		return bad(hc, 400, "bad_request",
		    "the path contains \"%s\"", c == ';' ? ";" : "&");
	if (!encoded && c == '/') {
		if (segment_end(hc) != 0)
			return bad(hc, 400, "bad_request",
			    "the path contains a dot-segment (%s)", "\".\" or \"..\"");
		return HC_MORE;
	}
	hc->seg_len++;
	if (c == '.')
		hc->seg_dots++;
	return HC_MORE;
}

static enum hc_result
target_byte(struct headcheck *hc, unsigned char c)
{
	int	 v;

	if (++hc->target_len == 1 && c != '/')
		return bad(hc, 400, "bad_request",
		    "the request target must be a path starting with %s", "\"/\"");
	if (c < 0x21 || c == 0x7f)
		return bad(hc, 400, "bad_request",
		    "the request target contains a %s", "control character");
	if (c == '#')
		return bad(hc, 400, "bad_request",
		    "the request target contains %s", "\"#\"");
	if (hc->pct > 0) {
		if ((v = hexval(c)) < 0)
			return bad(hc, 400, "bad_request", "%s",
			    "the request target has a \"%\" not followed by "
			    "two hex digits");
		if (hc->pct++ == 1) {
			hc->pct_hi = (unsigned char)v;
			return HC_MORE;
		}
		hc->pct = 0;
		c = (unsigned char)(hc->pct_hi << 4 | v);
		if (hc->in_query) {
			if (c == '\0')
				return bad(hc, 400, "bad_request",
				    "the query contains an encoded NUL (%s)",
				    "%00");
			return HC_MORE;
		}
		return path_byte(hc, c, 1);
	}
	if (c == '%') {
		hc->pct = 1;
		return HC_MORE;
	}
	if (hc->in_query) {
		if ((c == '&' || c == ';') && ++hc->nparams > HC_MAX_PARAMS)
			return bad(hc, 414, "uri_too_long",
			    "the query has more than %s parameters", "32");
		return HC_MORE;
	}
	if (c == '?') {
		hc->in_query = 1;
		hc->nparams = 1;
		if (segment_end(hc) != 0)
			return bad(hc, 400, "bad_request",
			    "the path contains a dot-segment (%s)", "\".\" or \"..\"");
		return HC_MORE;
	}
	return path_byte(hc, c, 0);
}

static enum hc_result
method_end(struct headcheck *hc)
{
	if (hc->mlen == 0)
		return bad(hc, 400, "bad_request", "%s",
		    "the request line does not start with a method");
	if (hc->mlen >= (int)sizeof hc->method)
		return bad(hc, 501, "not_implemented",
		    "%s is not a method this server implements", "this");
	hc->method[hc->mlen] = '\0';
	for (size_t i = 0; i < sizeof served / sizeof served[0]; i++) {
		if (strcmp(hc->method, served[i]) == 0)
			return HC_MORE;
	}
	return bad(hc, 501, "not_implemented",
	    "%s is not a method this server implements", hc->method);
}

static enum hc_result
version_end(struct headcheck *hc)
{
	hc->ver[hc->vlen] = '\0';
	if (strcmp(hc->ver, "HTTP/1.1") == 0)
		return HC_MORE;
	if (strcmp(hc->ver, "HTTP/1.0") == 0) {
		hc->http10 = 1;
		return HC_MORE;
	}
	if (hc->vlen == 8 && strncmp(hc->ver, "HTTP/", 5) == 0 &&
	    hc->ver[5] >= '0' && hc->ver[5] <= '9' && hc->ver[6] == '.' &&
	    hc->ver[7] >= '0' && hc->ver[7] <= '9')
		return bad(hc, 505, "http_version_not_supported",
		    "%s is not supported; use HTTP/1.1", hc->ver);
	return bad(hc, 400, "bad_request", "%s",
	    "the request line does not end with an HTTP version");
}

/* A header field ended: the few that decide framing are checked. */
static enum hc_result
field_end(struct headcheck *hc)
{
	unsigned long long	 v = 0;

	while (hc->vallen > 0 && (hc->val[hc->vallen - 1] == ' ' ||
	    hc->val[hc->vallen - 1] == '\t'))
		hc->vallen--;
	hc->name[hc->nlen] = '\0';
	hc->val[hc->vallen] = '\0';
	if (strcmp(hc->name, "host") == 0)
		hc->hosts++;
	else if (strcmp(hc->name, "transfer-encoding") == 0)
		hc->te = 1;
	else if (strcmp(hc->name, "upgrade") == 0) {
		/* lws answers any other with nothing or text/html. */
		if (strcasecmp(hc->val, "websocket") != 0)
			return bad(hc, 400, "bad_request", "%s",
			    "the only Upgrade served is \"websocket\"");
		hc->upgrade = 1;
	}
	else if (strcmp(hc->name, "content-length") == 0) {
		if (hc->vallen == 0 || hc->vallen > 15 || hc->val_long)
			return bad(hc, 400, "bad_request",
			    "Content-Length is not a %s", "number");
		for (int i = 0; i < hc->vallen; i++) {
			if (hc->val[i] < '0' || hc->val[i] > '9')
				return bad(hc, 400, "bad_request",
				    "Content-Length is not a %s", "number");
			v = v * 10 + (unsigned)(hc->val[i] - '0');
		}
		if (hc->have_clen && v != hc->clen)
			return bad(hc, 400, "bad_request", "%s",
			    "the request has two different Content-Length fields");
		hc->have_clen = 1;
		hc->clen = v;
	}
	hc->nlen = hc->vallen = hc->val_long = 0;
	hc->state = S_LINE;
	return HC_MORE;
}

static enum hc_result
head_end(struct headcheck *hc)
{
	if (hc->hosts > 1)
		return bad(hc, 400, "bad_request", "%s",
		    "the request has more than one Host field");
	if (hc->hosts == 0 && !hc->http10)
		return bad(hc, 400, "bad_request", "%s",
		    "an HTTP/1.1 request needs a Host field");
	if (hc->te && hc->have_clen)
		return bad(hc, 400, "bad_request", "%s",
		    "the request has both Transfer-Encoding and Content-Length");
	return HC_DONE;
}

static enum hc_result
header_byte(struct headcheck *hc, unsigned char c)
{
	if (++hc->fields_len > HC_MAX_FIELDS_BYTES)
		return bad(hc, 431, "header_fields_too_large",
		    "the header fields are longer than %s bytes", "16384");
	switch (hc->state) {
	case S_LINE:
		if (c == '\r') {
			hc->state = S_END_LF;
			return HC_MORE;
		}
		if (c == '\n')
			return head_end(hc);
		if (c == ' ' || c == '\t')
			return bad(hc, 400, "bad_request", "%s",
			    "a header field is folded onto the next line "
			    "(obs-fold)");
		if (++hc->nfields > HC_MAX_FIELDS)
			return bad(hc, 431, "header_fields_too_large",
			    "the request has more than %s header fields", "50");
		hc->state = S_NAME;
		/* FALLTHROUGH */
	case S_NAME:
		if (c == ':') {
			if (hc->nlen == 0)
				return bad(hc, 400, "bad_request", "%s",
				    "a header field has no name");
			hc->state = S_VALUE;
			return HC_MORE;
		}
		if (!is_tchar(c))
			return bad(hc, 400, "bad_request", "%s",
			    "a header field's name is malformed");
		if (hc->nlen < (int)sizeof hc->name - 1)
			hc->name[hc->nlen++] = (char)(c >= 'A' && c <= 'Z' ?
			    c + 32 : c);
		else
			hc->name[0] = '-';	/* long: none of ours */
		return HC_MORE;
	case S_VALUE:
		if (c == '\r') {
			hc->state = S_FIELD_LF;
			return HC_MORE;
		}
		if (c == '\n')
			return field_end(hc);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return bad(hc, 400, "bad_request",
			    "a header field's value contains a %s",
			    c == '\0' ? "NUL byte" : "control character");
		if (hc->vallen == 0 && (c == ' ' || c == '\t'))
			return HC_MORE;
		if (hc->vallen < (int)sizeof hc->val - 1)
			hc->val[hc->vallen++] = (char)c;
		else
			hc->val_long = 1;
		return HC_MORE;
	case S_FIELD_LF:
		if (c != '\n')
			return bad(hc, 400, "bad_request", "%s",
			    "a header line has a CR without LF");
		return field_end(hc);
	case S_END_LF:
		if (c != '\n')
			return bad(hc, 400, "bad_request", "%s",
			    "the header section ends with a CR without LF");
		return head_end(hc);
	}
	return HC_MORE;
}

static enum hc_result
byte(struct headcheck *hc, unsigned char c)
{
	if (hc->state >= S_LINE)
		return header_byte(hc, c);
	if (hc->seen > HC_MAX_LINE)
		return bad(hc, 414, "uri_too_long",
		    "the request line is longer than %s bytes", "8192");
	switch (hc->state) {
	case S_METHOD:
		if (c == ' ') {
			hc->state = S_TARGET;
			return method_end(hc);
		}
		if (!is_tchar(c))
			return bad(hc, 400, "bad_request", "%s",
			    "the request line is malformed");
		if (hc->mlen < (int)sizeof hc->method)
			hc->method[hc->mlen++] = (char)c;
		return HC_MORE;
	case S_TARGET:
		if (c != ' ')
			return target_byte(hc, c);
		if (hc->target_len == 0)
			return bad(hc, 400, "bad_request", "%s",
			    "the request line is malformed");
		if (hc->pct > 0)
			return bad(hc, 400, "bad_request", "%s",
			    "the request target has a \"%\" not followed by "
			    "two hex digits");
		if (!hc->in_query && segment_end(hc) != 0)
			return bad(hc, 400, "bad_request",
			    "the path contains a dot-segment (%s)", "\".\" or \"..\"");
		hc->state = S_VERSION;
		return HC_MORE;
	case S_VERSION:
		if (c == '\r' || c == '\n') {
			hc->state = c == '\r' ? S_RL_LF : S_LINE;
			return version_end(hc);
		}
		if (hc->vlen >= (int)sizeof hc->ver - 1)
			return bad(hc, 400, "bad_request", "%s",
			    "the request line does not end with an HTTP version");
		hc->ver[hc->vlen++] = (char)c;
		return HC_MORE;
	case S_RL_LF:
		if (c != '\n')
			return bad(hc, 400, "bad_request", "%s",
			    "the request line has a CR without LF");
		hc->state = S_LINE;
		return HC_MORE;
	}
	return HC_MORE;
}

enum hc_result
headcheck_feed(struct headcheck *hc, const unsigned char *buf, size_t len,
    size_t *used)
{
	enum hc_result	 r;

	for (size_t i = 0; i < len; i++) {
		hc->seen++;
		if ((r = byte(hc, buf[i])) != HC_MORE) {
			*used = i + 1;
			return r;
		}
	}
	*used = len;
	return HC_MORE;
}
