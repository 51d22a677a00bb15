/*
 * The WebSocket client's pure helpers: SHA-1 and base64 for the
 * Sec-WebSocket-Accept check (RFC 6455 4.1; SHA-1 as in RFC 3174) and
 * UTF-8 validation of text messages.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wsc.h"

#define WSC_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct sha1 {
	uint32_t	h[5];
	uint64_t	n;
	uint8_t		buf[64];
};

static uint32_t
rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void
sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t	 w[80], a, b, c, d, e, f, k, t;
	int		 i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3]; e = s->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d; d = c; c = rol(b, 30); b = a; a = t;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d; s->h[4] += e;
}

static void
sha1(const void *data, size_t len, uint8_t out[20])
{
	struct sha1	 s = { { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
			    0xc3d2e1f0 }, 0, { 0 } };
	const uint8_t	*p = data;
	size_t		 fill = 0, i;
	uint64_t	 bits = (uint64_t)len * 8;

	for (; len >= 64; p += 64, len -= 64)
		sha1_block(&s, p);
	memcpy(s.buf, p, len);
	fill = len;
	s.buf[fill++] = 0x80;
	if (fill > 56) {
		memset(s.buf + fill, 0, 64 - fill);
		sha1_block(&s, s.buf);
		fill = 0;
	}
	memset(s.buf + fill, 0, 56 - fill);
	for (i = 0; i < 8; i++)
		s.buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_block(&s, s.buf);
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(s.h[i / 4] >> (24 - 8 * (i % 4)));
}

void
wsc_base64(const uint8_t *in, size_t len, char *out)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i;
	uint32_t		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63];
		*out++ = tab[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

void
wsc_accept_key(const char *key, char out[29])
{
	char	 cat[128];
	uint8_t	 d[20];

	snprintf(cat, sizeof cat, "%s%s", key, WSC_GUID);
	sha1(cat, strlen(cat), d);
	wsc_base64(d, sizeof d, out);
}

int
wsc_utf8_valid(const uint8_t *s, size_t len)
{
	size_t		 i = 0, n, j;
	uint32_t	 c;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			c = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			c = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			c = s[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (j = 1; j <= n; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + j] & 0x3f);
		}
		if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += n + 1;
	}
	return 1;
}
