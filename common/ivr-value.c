/*
 * Checks of single values of an IVR flow: durations, numbers, ids and
 * names, ${var} text, JSON paths, opening-hours ranges, dates, weekdays
 * and regular expressions. Nothing here knows about YAML or places.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ivr-int.h"
#include "xmalloc.h"

#define IVR_MAX_EXPAND	1000	/* atoms of a pattern with repetitions expanded */

const char ivr_digits[IVR_NDIGITS + 1] = "0123456789*#";

static const struct {
	const char	*name;
	const char	*full;
} ivr_weekdays[7] = {
	{ "sun", "sunday" }, { "mon", "monday" }, { "tue", "tuesday" },
	{ "wed", "wednesday" }, { "thu", "thursday" }, { "fri", "friday" },
	{ "sat", "saturday" },
};

static const struct {
	char	 unit;
	long	 mult;
} ivr_units[] = {
	{ '\0', 1 }, { 's', 1 }, { 'm', 60 }, { 'h', 3600 },
};

const char *
ivr_excerpt(char *buf, size_t size, const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i < 40 && i + 4 < size; i++)
		buf[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	if (s[i] != '\0') {
		/* Do not cut a UTF-8 sequence. */
		while (i > 0 && ((unsigned char)buf[i] & 0xc0) == 0x80 &&
		    ((unsigned char)s[i] & 0xc0) == 0x80)
			i--;
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* "5", "10s", "2m" or "1h": seconds. */
int
ivr_parse_duration(const char *s, long *out)
{
	long	 v = 0;
	size_t	 n, i;

	for (n = 0; isdigit((unsigned char)s[n]); n++) {
		if (n == 6)
			return -1;
		v = v * 10 + (s[n] - '0');
	}
	if (n == 0)
		return -1;
	for (i = 0; i < IVR_NITEMS(ivr_units); i++) {
		if (s[n] == ivr_units[i].unit &&
		    (s[n] == '\0' || s[n + 1] == '\0')) {
			*out = v * ivr_units[i].mult;
			return 0;
		}
	}
	return -1;
}

int
ivr_parse_int(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (!isdigit((unsigned char)*s) && !(*s == '-' &&
	    isdigit((unsigned char)s[1])))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A decimal number: digits, an optional fraction and exponent. */
int
ivr_parse_number(const char *s, double *out)
{
	char	*end;
	double	 v;

	if (*s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int
ivr_digit_index(int c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(ivr_digits, c)) == NULL)
		return -1;
	return (int)(p - ivr_digits);
}

/* A node id: letters, digits, "_", "-" and ".", not starting with . or -. */
int
ivr_check_id(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > IVR_MAX_ID || *s == '.' || *s == '-')
		return -1;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.") == n ? 0 : -1;
}

/* A variable or caller field name: a C identifier. */
int
ivr_check_name(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > IVR_MAX_ID || isdigit((unsigned char)*s))
		return -1;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_") == n ? 0 : -1;
}

/* Text with ${name} or ${caller.field}; "$$" is a "$". */
int
ivr_check_text(const char *s, char **why)
{
	const char	*end;
	char		*name;
	int		 bad;

	for (; (s = strchr(s, '$')) != NULL; s++) {
		if (s[1] == '$') {
			s++;
			continue;
		}
		if (s[1] != '{')
			continue;
		if ((end = strchr(s + 2, '}')) == NULL) {
			*why = xstrdup("\"${\" without \"}\": write \"$$\" for "
			    "a \"$\"");
			return -1;
		}
		name = xstrndup(s + 2, (size_t)(end - s - 2));
		if (strncmp(name, "caller.", 7) == 0)
			bad = ivr_check_name(name + 7);
		else
			bad = ivr_check_name(name);
		if (bad) {
			*why = xstrdup("\"${...}\" must hold a variable name "
			    "or \"caller.\" and a field name");
			free(name);
			return -1;
		}
		free(name);
		s = end;
	}
	return 0;
}

/* "$", then ".name" or "[N]" up to 16 times: $.customer.tier, $.a[0]. */
int
ivr_check_json_path(const char *s, char **why)
{
	size_t	 n;
	int	 parts = 0;

	if (*s++ != '$')
		goto bad;
	while (*s != '\0') {
		if (++parts > 16) {
			*why = xstrdup("more than 16 steps");
			return -1;
		}
		if (*s == '.') {
			n = strspn(s + 1, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
			if (n == 0)
				goto bad;
			s += 1 + n;
		} else if (*s == '[') {
			n = strspn(s + 1, "0123456789");
			if (n == 0 || n > 6 || s[1 + n] != ']')
				goto bad;
			s += 2 + n;
		} else
			goto bad;
	}
	return 0;
bad:
	*why = xstrdup("use \"$\" followed by \".name\" or \"[index]\" steps, "
	    "like \"$.customer.tier\"");
	return -1;
}

/* "HH:MM": minutes after midnight; 24:00 only as an end. */
static int
ivr_parse_hhmm(const char *s, int end)
{
	int	 h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end)))
		return -1;
	return h * 60 + m;
}

/* "09:00-17:00", spaces around the parts allowed. */
int
ivr_parse_span(const char *s, struct ivr_span *sp, char **why)
{
	int	 a, b;

	s += strspn(s, " ");
	if (strlen(s) < 11 || s[5] != '-' ||
	    (a = ivr_parse_hhmm(s, 0)) < 0 ||
	    (b = ivr_parse_hhmm(s + 6, 1)) < 0 ||
	    s[11 + strspn(s + 11, " ")] != '\0') {
		*why = xstrdup("use HH:MM-HH:MM, like 09:00-17:30");
		return -1;
	}
	if (a >= b) {
		*why = xstrdup("it ends before it starts: split a range "
		    "across midnight into two days");
		return -1;
	}
	sp->start = (unsigned short)a;
	sp->end = (unsigned short)b;
	return 0;
}

/* "YYYY-MM-DD", a real date from 1970 to 9999, as YYYYMMDD. */
int
ivr_parse_date(const char *s, int *out)
{
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int			 y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	}
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return -1;
	*out = y * 10000 + m * 100 + d;
	return 0;
}

static int
ivr_weekday(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++) {
		if ((strlen(ivr_weekdays[i].name) == len &&
		    strncasecmp(s, ivr_weekdays[i].name, len) == 0) ||
		    (strlen(ivr_weekdays[i].full) == len &&
		    strncasecmp(s, ivr_weekdays[i].full, len) == 0))
			return i;
	}
	return -1;
}

/* "mon", "monday" or a range "mon-fri" (which may wrap): a bit a day. */
int
ivr_parse_weekdays(const char *s, unsigned *mask)
{
	const char	*dash = strchr(s, '-');
	int		 a, b;

	if (dash == NULL) {
		if ((a = ivr_weekday(s, strlen(s))) < 0)
			return -1;
		*mask = 1u << a;
		return 0;
	}
	if ((a = ivr_weekday(s, (size_t)(dash - s))) < 0 ||
	    (b = ivr_weekday(dash + 1, strlen(dash + 1))) < 0)
		return -1;
	*mask = 0;
	for (;;) {
		*mask |= 1u << a;
		if (a == b)
			break;
		a = (a + 1) % 7;
	}
	return 0;
}

/* Saturating arithmetic for the size of an expanded pattern. */
static long
ivr_regex_cap(long v)
{
	return v > IVR_MAX_EXPAND ? IVR_MAX_EXPAND + 1 : v;
}

/*
 * What regcomp() accepts but a flow must not: back-references (which can
 * take exponential time), and repetitions that glibc's regcomp() expands
 * into copies ("x+" is "xx*", "x{2,5}" five copies of x), which nested or
 * stacked make automata of exponential size. Counts the atoms of the
 * pattern after expansion, group by group, and refuses more than
 * IVR_MAX_EXPAND.
 */
static int
ivr_regex_check(const char *p, char **why)
{
	long	 stack[2 * IVR_MAX_PATTERN], cur = 0, last = 0, f, n, m;
	char	*end;
	int	 depth = 0;

	for (; *p != '\0'; p++) {
		f = 1;
		switch (*p) {
		case '(':
			stack[depth++] = cur;
			stack[depth++] = last;
			cur = last = 0;
			continue;
		case ')':
			if (depth == 0)
				break;	/* regcomp() will say */
			last = cur;
			depth -= 2;
			cur = ivr_regex_cap(stack[depth] + last);
			continue;
		case '|':
			last = 0;
			continue;
		case '*':
		case '?':
			continue;
		case '+':
			f = 2;
			break;
		case '{':
			n = ivr_regex_cap(strtol(p + 1, &end, 10));
			m = n;
			if (*end == ',') {
				end++;
				m = isdigit((unsigned char)*end) ?
				    ivr_regex_cap(strtol(end, &end, 10)) : n + 1;
			}
			if (*end != '}' || n < 0 || m < 0)
				break;	/* regcomp() will say */
			f = m > n ? m : n;
			p = end;
			break;
		case '[':
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++;
			while (p[1] != '\0' && p[1] != ']')
				p++;
			if (p[1] == ']')
				p++;
			last = 1;
			cur = ivr_regex_cap(cur + 1);
			continue;
		case '\\':
			if (p[1] >= '1' && p[1] <= '9') {
				*why = xstrdup("back-references are not "
				    "allowed");
				return -1;
			}
			if (p[1] != '\0')
				p++;
			/* FALLTHROUGH */
		default:
			last = 1;
			cur = ivr_regex_cap(cur + 1);
			continue;
		}
		/* A repetition: the last item now counts f times. */
		if (f > IVR_MAX_EXPAND)
			f = IVR_MAX_EXPAND + 1;
		cur = ivr_regex_cap(cur + last * (f - 1));
		last = ivr_regex_cap(last * f);
		if (cur > IVR_MAX_EXPAND)
			break;
	}
	if (cur > IVR_MAX_EXPAND) {
		*why = xasprintf("it repeats too much: more than %d steps "
		    "once \"+\" and {n,m} are expanded", IVR_MAX_EXPAND);
		return -1;
	}
	return 0;
}

/* A POSIX extended regex; anchored matches the whole string. */
regex_t *
ivr_regex(const char *pattern, int anchored, char **why)
{
	regex_t	*re;
	char	*p, buf[256];
	int	 rc;

	if (strlen(pattern) > IVR_MAX_PATTERN) {
		*why = xasprintf("longer than %d bytes", IVR_MAX_PATTERN);
		return NULL;
	}
	if (ivr_regex_check(pattern, why) != 0)
		return NULL;
	p = anchored ? xasprintf("^(%s)$", pattern) : xstrdup(pattern);
	re = xmalloc(sizeof *re);
	rc = regcomp(re, p, REG_EXTENDED | REG_NOSUB);
	free(p);
	if (rc != 0) {
		regerror(rc, re, buf, sizeof buf);
		*why = xstrdup(buf);
		for (p = *why; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		free(re);
		return NULL;
	}
	return re;
}

void
ivr_regex_free(regex_t *re)
{
	if (re != NULL) {
		regfree(re);
		free(re);
	}
}
