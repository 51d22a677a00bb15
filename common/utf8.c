/*
 * UTF-8 well-formedness and lower-casing. The decoder is strict (RFC 3629);
 * case comes from glibc's C.UTF-8 tables through towlower_l() on a locale
 * object of our own, so neither setlocale() nor the environment matters.
 */
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <wctype.h>

#include "utf8.h"

static pthread_once_t	 utf8_once = PTHREAD_ONCE_INIT;
static locale_t		 utf8_loc = (locale_t)0;

static void
utf8_load(void)
{
	static const char *const names[] = { "C.UTF-8", "C.utf8", "en_US.UTF-8" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if ((utf8_loc = newlocale(LC_CTYPE_MASK, names[i],
		    (locale_t)0)) != (locale_t)0)
			return;
	}
}

int
utf8_init(void)
{
	pthread_once(&utf8_once, utf8_load);
	return utf8_loc == (locale_t)0 ? -1 : 0;
}

/* Decode one code point at s (n bytes left): its length, or -1. */
static int
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	 c = s[0], min;
	int		 len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	if ((size_t)len > n)
		return -1;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

/* Encode cp into out (4 bytes room): its length. */
static int
utf8_encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	int			 n;

	while (len > 0) {
		if ((n = utf8_decode(p, len, &cp)) < 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

int
utf8_lower(const char *in, char *out, size_t size)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 left = strlen(in), o = 0;
	unsigned char		 enc[4];
	uint32_t		 cp;
	wint_t			 lc;
	int			 n, m;

	if (utf8_init() != 0 || size == 0)
		return -1;
	while (left > 0) {
		if ((n = utf8_decode(p, left, &cp)) < 0)
			return -1;
		lc = towlower_l((wint_t)cp, utf8_loc);
		/* Never let the tables turn text into something unencodable. */
		if (lc > 0x10ffff || (lc >= 0xd800 && lc <= 0xdfff) || lc == 0)
			lc = cp;
		m = utf8_encode((uint32_t)lc, enc);
		if (o + (size_t)m >= size)
			return -1;
		memcpy(out + o, enc, (size_t)m);
		o += (size_t)m;
		p += n;
		left -= (size_t)n;
	}
	out[o] = '\0';
	return 0;
}
