/*
 * Local time in a named zone without setenv("TZ") and tzset(), which
 * change the zone of every thread: the zone's TZif file (RFC 8536) is read
 * once when a flow is parsed, and the offset at any instant comes from its
 * transitions, or past the last one from its POSIX TZ footer rule. Pure
 * after loading, so the IVR engine stays deterministic and thread-safe.
 * Opening hours are checked here too.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivr-engine.h"
#include "ivr-int.h"
#include "xmalloc.h"

#define IVR_TZ_MAX_FILE		(256 * 1024)
#define IVR_TZ_DIR		"/usr/share/zoneinfo"

/* A date of a POSIX rule: Jn, n or Mm.w.d, and the time of day. */
struct ivr_tzdate {
	int	 kind;		/* 'J', 'N' or 'M' */
	int	 n;		/* Jn, n */
	int	 m, w, d;	/* Mm.w.d */
	long	 secs;
};

struct ivr_tz {
	int64_t			*times;
	unsigned char		*idx;
	size_t			 ntimes;
	long			*offs;
	size_t			 ntypes;
	int			 has_rule;
	int			 has_dst;
	long			 std_off;	/* seconds east of UTC */
	long			 dst_off;
	struct ivr_tzdate	 start;
	struct ivr_tzdate	 end;
};

int64_t
ivr_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
ivr_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
ivr_tz_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Seconds from the epoch to the rule's date and time in year y, local. */
static int64_t
ivr_tz_when(int64_t y, const struct ivr_tzdate *r)
{
	static const unsigned	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int64_t			 day;
	unsigned		 first, last;
	int			 n;

	switch (r->kind) {
	case 'J':
		n = r->n - 1;
		if (ivr_tz_leap(y) && r->n >= 60)
			n++;
		day = ivr_days_from_civil(y, 1, 1) + n;
		break;
	case 'N':
		day = ivr_days_from_civil(y, 1, 1) + r->n;
		break;
	default:
		day = ivr_days_from_civil(y, (unsigned)r->m, 1);
		first = (unsigned)(((day + 4) % 7 + 7) % 7);
		n = 1 + (r->d - (int)first + 7) % 7 + (r->w - 1) * 7;
		last = mdays[r->m - 1] + (r->m == 2 && ivr_tz_leap(y));
		while (n > (int)last)
			n -= 7;
		day += n - 1;
		break;
	}
	return day * 86400 + r->secs;
}

long
ivr_tz_offset(const struct ivr_tz *tz, int64_t t)
{
	size_t		 lo, hi, mid;
	int64_t		 y, day, start, end;
	unsigned	 m, d;

	if (tz == NULL)
		return 0;
	if (tz->ntimes > 0 && t < tz->times[0])
		return tz->offs[0];
	if (tz->has_rule && (tz->ntimes == 0 ||
	    t >= tz->times[tz->ntimes - 1])) {
		if (!tz->has_dst)
			return tz->std_off;
		day = (t + tz->std_off) / 86400;
		if ((t + tz->std_off) % 86400 < 0)
			day--;
		ivr_civil_from_days(day, &y, &m, &d);
		start = ivr_tz_when(y, &tz->start) - tz->std_off;
		end = ivr_tz_when(y, &tz->end) - tz->dst_off;
		if (start < end)
			return t >= start && t < end ? tz->dst_off :
			    tz->std_off;
		return t >= end && t < start ? tz->std_off : tz->dst_off;
	}
	if (tz->ntimes == 0)
		return tz->offs[0];
	lo = 0;
	hi = tz->ntimes;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tz->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->idx[lo]];
}

static int
ivr_int_cmp(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* Is the hours node n open at now, in the flow's zone? */
int
ivr_hours_open(const struct ivr_flow *flow, const struct ivr_node *n,
    time_t now)
{
	const struct ivr_hours	*h = n->u.hours.hours;
	int64_t			 local, days, y;
	unsigned		 m, d;
	int			 wday, minute, date, i;

	local = (int64_t)now + ivr_tz_offset(flow->tz, (int64_t)now);
	days = local / 86400;
	if (local % 86400 < 0)
		days--;
	minute = (int)((local - days * 86400) / 60);
	wday = (int)(((days + 4) % 7 + 7) % 7);		/* 1970-01-01: Thu */
	ivr_civil_from_days(days, &y, &m, &d);
	date = (int)(y * 10000 + m * 100 + d);
	if (h->nholidays > 0 && bsearch(&date, h->holidays, h->nholidays,
	    sizeof *h->holidays, ivr_int_cmp) != NULL)
		return 0;
	for (i = 0; i < h->nspans[wday]; i++) {
		if (minute >= h->spans[wday][i].start &&
		    minute < h->spans[wday][i].end)
			return 1;
	}
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh at most max; seconds. */
static const char *
ivr_tz_hms(const char *s, int max, long *out)
{
	long	 v[3] = { 0, 0, 0 }, sign = 1;
	int	 i, n;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *s != ':')
			break;
		if (i > 0)
			s++;
		if (!isdigit((unsigned char)*s))
			return NULL;
		for (n = 0; isdigit((unsigned char)*s) && n < 3; n++)
			v[i] = v[i] * 10 + (*s++ - '0');
		if (v[i] > (i == 0 ? max : 59))
			return NULL;
	}
	*out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
	return s;
}

static const char *
ivr_tz_name(const char *s)
{
	const char	*p = s;

	if (*s == '<') {
		for (p = s + 1; isalnum((unsigned char)*p) || *p == '+' ||
		    *p == '-'; p++)
			;
		return *p == '>' && p - s >= 4 ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *
ivr_tz_number(const char *s, int min, int max, int *out)
{
	int	 v = 0, n;

	for (n = 0; isdigit((unsigned char)*s) && n < 4; n++)
		v = v * 10 + (*s++ - '0');
	if (n == 0 || v < min || v > max)
		return NULL;
	*out = v;
	return s;
}

static const char *
ivr_tz_date(const char *s, struct ivr_tzdate *r)
{
	memset(r, 0, sizeof *r);
	r->secs = 7200;
	if (*s == 'J') {
		r->kind = 'J';
		s = ivr_tz_number(s + 1, 1, 365, &r->n);
	} else if (*s == 'M') {
		r->kind = 'M';
		if ((s = ivr_tz_number(s + 1, 1, 12, &r->m)) == NULL ||
		    *s != '.' ||
		    (s = ivr_tz_number(s + 1, 1, 5, &r->w)) == NULL ||
		    *s != '.')
			return NULL;
		s = ivr_tz_number(s + 1, 0, 6, &r->d);
	} else {
		r->kind = 'N';
		s = ivr_tz_number(s, 0, 365, &r->n);
	}
	if (s != NULL && *s == '/')
		s = ivr_tz_hms(s + 1, 167, &r->secs);
	return s;
}

/* Parse a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
int
ivr_tz_rule(struct ivr_tz *tz, const char *s)
{
	long	 off;

	if ((s = ivr_tz_name(s)) == NULL || (s = ivr_tz_hms(s, 24,
	    &off)) == NULL)
		return -1;
	tz->std_off = -off;
	tz->dst_off = tz->std_off + 3600;
	tz->has_dst = 0;
	tz->has_rule = 1;
	if (*s == '\0')
		return 0;
	if ((s = ivr_tz_name(s)) == NULL)
		return -1;
	tz->has_dst = 1;
	if (*s != ',' && *s != '\0') {
		if ((s = ivr_tz_hms(s, 24, &off)) == NULL)
			return -1;
		tz->dst_off = -off;
	}
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if (*s != ',' || (s = ivr_tz_date(s + 1, &tz->start)) == NULL ||
	    *s != ',' || (s = ivr_tz_date(s + 1, &tz->end)) == NULL)
		return -1;
	return *s == '\0' ? 0 : -1;
}

static uint32_t
ivr_tz_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
ivr_tz_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)ivr_tz_be32(p) << 32 | ivr_tz_be32(p + 4));
}

/*
 * One header and data block at *off: version 1 with 32-bit times, 2 and
 * later with 64-bit. Returns -1 if the file is malformed.
 */
static int
ivr_tz_block(struct ivr_tz *tz, const unsigned char *b, size_t len,
    size_t *off, int tsize)
{
	const unsigned char	*h = b + *off, *p;
	uint32_t		 isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t			 need, i;

	if (len - *off < 44 || memcmp(h, "TZif", 4) != 0)
		return -1;
	isut = ivr_tz_be32(h + 20);
	isstd = ivr_tz_be32(h + 24);
	leap = ivr_tz_be32(h + 28);
	timecnt = ivr_tz_be32(h + 32);
	typecnt = ivr_tz_be32(h + 36);
	charcnt = ivr_tz_be32(h + 40);
	if (typecnt == 0 || typecnt > 256 || timecnt > 65536 ||
	    leap > 65536 || charcnt > 65536 || isut > typecnt ||
	    isstd > typecnt)
		return -1;
	need = (size_t)timecnt * (size_t)(tsize + 1) + (size_t)typecnt * 6 +
	    charcnt + (size_t)leap * (size_t)(tsize + 4) + isstd + isut;
	if (len - *off - 44 < need)
		return -1;
	free(tz->times);
	free(tz->idx);
	free(tz->offs);
	tz->ntimes = timecnt;
	tz->ntypes = typecnt;
	tz->times = xcalloc(timecnt + 1, sizeof *tz->times);
	tz->idx = xcalloc(timecnt + 1, 1);
	tz->offs = xcalloc(typecnt, sizeof *tz->offs);
	p = h + 44;
	for (i = 0; i < timecnt; i++, p += tsize) {
		tz->times[i] = tsize == 8 ? ivr_tz_be64(p) :
		    (int32_t)ivr_tz_be32(p);
		if (i > 0 && tz->times[i] <= tz->times[i - 1])
			return -1;
	}
	for (i = 0; i < timecnt; i++, p++) {
		if ((tz->idx[i] = *p) >= typecnt)
			return -1;
	}
	for (i = 0; i < typecnt; i++, p += 6) {
		tz->offs[i] = (int32_t)ivr_tz_be32(p);
		if (tz->offs[i] < -93599 || tz->offs[i] > 93599)
			return -1;
	}
	*off += 44 + need;
	return 0;
}

static int
ivr_tz_parse(struct ivr_tz *tz, const unsigned char *b, size_t len)
{
	size_t	 off = 0, end;
	char	*rule;
	int	 rc;

	if (len < 44 || ivr_tz_block(tz, b, len, &off, 4) != 0)
		return -1;
	if (b[4] == '\0')
		return 0;
	if (ivr_tz_block(tz, b, len, &off, 8) != 0)
		return -1;
	if (off >= len || b[off] != '\n')
		return 0;
	for (end = off + 1; end < len && b[end] != '\n'; end++)
		;
	if (end >= len)
		return -1;
	if (end == off + 1)
		return 0;	/* no rule: the last type stays */
	rule = xstrndup((const char *)b + off + 1, end - off - 1);
	rc = ivr_tz_rule(tz, rule);
	free(rule);
	return rc;
}

/* A zone name: no absolute path, no ".." or hidden component. */
static int
ivr_tz_check_name(const char *name)
{
	const char	*p;
	size_t		 n = strlen(name);

	if (n == 0 || n > 128 || *name == '/' || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/_+-.") != n)
		return -1;
	for (p = name; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (*p == '.' || *p == '/' || *p == '\0')
			return -1;
	}
	return 0;
}

void
ivr_tz_free(struct ivr_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->times);
	free(tz->idx);
	free(tz->offs);
	free(tz);
}

/* Read zone name from dir (NULL: the system's). Caller frees. */
struct ivr_tz *
ivr_tz_load(const char *dir, const char *name, char **cause)
{
	struct ivr_tz	*tz;
	struct stat	 st;
	unsigned char	*buf = NULL;
	char		*path;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	*cause = NULL;
	if (ivr_tz_check_name(name) != 0) {
		*cause = xstrdup("not a zone name");
		return NULL;
	}
	tz = xcalloc(1, sizeof *tz);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		tz->offs = xcalloc(1, sizeof *tz->offs);
		tz->ntypes = 1;
		return tz;
	}
	path = xasprintf("%s/%s", dir != NULL ? dir : IVR_TZ_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	free(path);
	if (fd == -1) {
		*cause = xstrdup(errno == ENOENT || errno == ENOTDIR ?
		    "no such zone" : strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > IVR_TZ_MAX_FILE) {
		*cause = xstrdup("not a zone file");
		goto fail;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (ivr_tz_parse(tz, buf, len) != 0) {
		*cause = xstrdup("not a zone file");
		goto fail;
	}
	close(fd);
	free(buf);
	return tz;
fail:
	if (fd != -1)
		close(fd);
	free(buf);
	ivr_tz_free(tz);
	return NULL;
}
