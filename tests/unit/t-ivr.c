/*
 * Unit tests of the IVR parser and validator (the corpus under tests/ivr:
 * valid flows have no diagnostics, each invalid flow has exactly the
 * diagnostics of its .expected file), of limits and single values,
 * and of time zones against glibc. The engine's are in t-ivr-engine.c.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivr-engine.h"
#include "ivr-int.h"
#include "unit.h"
#include "xmalloc.h"


static const char *corpus = "tests/ivr";

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* The diagnostics of file as validate prints them, with the basename. */
static char *
diagnose(const char *dir, const char *name, int *ok)
{
	struct ivr_options	 opt;
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	char			*path, *buf, *out, *qs, **queues = NULL;
	char			*s, *tok;
	size_t			 len, size, n = 0;
	FILE			*f;

	memset(&opt, 0, sizeof opt);
	path = xasprintf("%s/%.*s.queues", dir, (int)(strlen(name) - 5), name);
	if ((qs = slurp(path, &len)) != NULL) {
		s = qs;
		queues = xcalloc(16, sizeof *queues);
		while ((tok = strsep(&s, ",\n")) != NULL && n < 15) {
			if (*tok != '\0')
				queues[n++] = tok;
		}
		opt.queues = (const char *const *)queues;
	}
	free(path);
	path = xasprintf("%s/%s", dir, name);
	buf = slurp(path, &len);
	free(path);
	ivr_diags_init(&d);
	flow = ivr_flow_parse(buf != NULL ? buf : "", buf != NULL ? len : 0,
	    &opt, &d);
	*ok = flow != NULL;
	f = open_memstream(&out, &size);
	ivr_diags_print(f, name, &d);
	fclose(f);
	ivr_flow_free(flow);
	ivr_diags_free(&d);
	free(buf);
	free(queues);
	free(qs);
	return out;
}

static int
yaml_name(const struct dirent *de)
{
	size_t	 n = strlen(de->d_name);

	return n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0;
}

static void
test_corpus(void)
{
	struct dirent	**list;
	char		 *dir, *out, *path, *want;
	size_t		  len;
	int		  i, n, ok;

	dir = xasprintf("%s/valid", corpus);
	n = scandir(dir, &list, yaml_name, alphasort);
	ok(n >= 5, "the valid corpus has flows (%d)", n);
	for (i = 0; i < n; i++) {
		out = diagnose(dir, list[i]->d_name, &ok);
		ok(ok && *out == '\0', "valid/%s: no diagnostics", list[i]->d_name);
		if (*out != '\0')
			printf("# %s", out);
		free(out);
		free(list[i]);
	}
	free(list);
	free(dir);

	dir = xasprintf("%s/invalid", corpus);
	n = scandir(dir, &list, yaml_name, alphasort);
	ok(n >= 20, "the invalid corpus has flows (%d)", n);
	for (i = 0; i < n; i++) {
		out = diagnose(dir, list[i]->d_name, &ok);
		path = xasprintf("%s/%.*s.expected", dir,
		    (int)(strlen(list[i]->d_name) - 5), list[i]->d_name);
		want = slurp(path, &len);
		is_str(out, want != NULL ? want : "(no .expected file)",
		    "invalid/%s: the expected diagnostics", list[i]->d_name);
		free(path);
		free(want);
		free(out);
		free(list[i]);
	}
	free(list);
	free(dir);
}

/* A flow of n say nodes in a chain, ending in a hangup. */
static char *
chain(int n)
{
	char	*s, *t;

	s = xstrdup("name: chain\nstart: n0\nnodes:\n");
	for (int i = 0; i < n; i++) {
		t = xasprintf("%s  n%d: {type: say, text: hi, next: n%d}\n", s,
		    i, i + 1);
		free(s);
		s = t;
	}
	t = xasprintf("%s  n%d: {type: hangup}\n", s, n);
	free(s);
	return t;
}

static void
test_limits(void)
{
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	char			*s, *big;

	ivr_diags_init(&d);
	s = chain(IVR_MAX_NODES - 1);
	flow = ivr_flow_parse(s, strlen(s), NULL, &d);
	ok(flow != NULL && flow->nnodes == IVR_MAX_NODES,
	    "a flow of %d nodes is fine", IVR_MAX_NODES);
	is_int(ivr_flow_find(flow, "n5000"), 5000, "nodes are found by id");
	is_int(ivr_flow_find(flow, "n50000"), -1, "and unknown ids are not");
	ivr_flow_free(flow);
	free(s);
	ivr_diags_free(&d);

	s = chain(IVR_MAX_NODES);
	flow = ivr_flow_parse(s, strlen(s), NULL, &d);
	ok(flow == NULL && d.n == 1 && strcmp(d.v[0].message,
	    "more than 10000 nodes") == 0 && d.v[0].line == 10004,
	    "a flow of %d nodes is refused at the first extra node",
	    IVR_MAX_NODES + 1);
	free(s);
	ivr_diags_free(&d);

	big = xmalloc(IVR_MAX_INPUT + 2);
	memset(big, '#', IVR_MAX_INPUT + 1);
	big[IVR_MAX_INPUT + 1] = '\0';
	flow = ivr_flow_parse(big, IVR_MAX_INPUT + 1, NULL, &d);
	ok(flow == NULL && d.n == 1 && d.v[0].line == 0,
	    "input over 1 MiB is refused");
	free(big);
	ivr_diags_free(&d);

	s = xstrdup("name: x\nstart: a\nnodes: {a: {type: hangup}}\n");
	for (int i = 0; i < 150; i++) {
		big = xasprintf("%sbad%d: 1\n", s, i);
		free(s);
		s = big;
	}
	flow = ivr_flow_parse(s, strlen(s), NULL, &d);
	ok(flow == NULL && d.n == IVR_MAX_DIAGS && d.truncated &&
	    d.errors == 150, "diagnostics stop at %d, counting the rest",
	    IVR_MAX_DIAGS);
	free(s);
	ivr_diags_free(&d);

	s = xstrdup("name: \"a\\0b\"\nstart: a\nnodes: {a: {type: hangup}}\n");
	flow = ivr_flow_parse(s, strlen(s), NULL, &d);
	ok(flow == NULL && d.n == 1 &&
	    strcmp(d.v[0].message, "value contains a NUL byte") == 0,
	    "NUL bytes in values are refused");
	free(s);
	ivr_diags_free(&d);
}

static void
test_values(void)
{
	struct ivr_span	 sp;
	unsigned	 mask;
	long		 v;
	char		*why;
	int		 date;
	regex_t		*re;

	ok(ivr_parse_duration("90", &v) == 0 && v == 90, "90 is 90 s");
	ok(ivr_parse_duration("10s", &v) == 0 && v == 10, "10s");
	ok(ivr_parse_duration("2m", &v) == 0 && v == 120, "2m");
	ok(ivr_parse_duration("1h", &v) == 0 && v == 3600, "1h");
	ok(ivr_parse_duration("1m30s", &v) != 0 &&
	    ivr_parse_duration("-1", &v) != 0 &&
	    ivr_parse_duration("", &v) != 0 &&
	    ivr_parse_duration("5 s", &v) != 0 &&
	    ivr_parse_duration("9999999", &v) != 0, "bad durations");

	ok(ivr_parse_span("09:00-17:30", &sp, &why) == 0 && sp.start == 540 &&
	    sp.end == 1050, "a range in minutes");
	ok(ivr_parse_span(" 00:00-24:00 ", &sp, &why) == 0 && sp.end == 1440,
	    "24:00 ends a day");
	ok(ivr_parse_span("24:00-24:00", &sp, &why) != 0, "but starts none");
	free(why);
	ok(ivr_parse_span("12:00-12:00", &sp, &why) != 0, "empty ranges");
	free(why);
	ok(ivr_parse_span("9:00-17:00", &sp, &why) != 0, "HH:MM only");
	free(why);

	ok(ivr_parse_date("2024-02-29", &date) == 0 && date == 20240229,
	    "a leap day");
	ok(ivr_parse_date("2100-02-29", &date) != 0, "2100 is no leap year");
	ok(ivr_parse_date("2000-02-29", &date) == 0, "2000 is one");
	ok(ivr_parse_date("2025-04-31", &date) != 0, "April has 30 days");

	ok(ivr_parse_weekdays("mon-fri", &mask) == 0 && mask == 0x3e,
	    "mon-fri");
	ok(ivr_parse_weekdays("fri-mon", &mask) == 0 && mask == 0x63,
	    "fri-mon wraps");
	ok(ivr_parse_weekdays("Sunday", &mask) == 0 && mask == 1,
	    "full names, any case");
	ok(ivr_parse_weekdays("mon-", &mask) != 0, "a range needs two days");

	ok(ivr_check_text("a ${b} ${caller.c} $$ $5", &why) == 0,
	    "text with variables");
	ok(ivr_check_text("${caller.}", &why) != 0, "an empty caller field");
	free(why);
	ok(ivr_check_json_path("$.a[0].b-c", &why) == 0, "a JSON path");
	ok(ivr_check_json_path("$", &why) == 0, "the root is a path");
	ok(ivr_check_json_path("$..a", &why) != 0, "no recursive descent");
	free(why);

	re = ivr_regex("[0-9]{3}-[0-9]{4}", 1, &why);
	ok(re != NULL && regexec(re, "555-0100", 0, NULL, 0) == 0 &&
	    regexec(re, "x555-0100", 0, NULL, 0) != 0,
	    "patterns are anchored");
	ivr_regex_free(re);
	re = ivr_regex("a|b", 1, &why);
	ok(re != NULL && regexec(re, "ab", 0, NULL, 0) != 0,
	    "alternatives stay inside the anchors");
	ivr_regex_free(re);
	ok(ivr_regex("((a{10}){10}){11}", 0, &why) == NULL,
	    "nested bounds past 1000 are refused");
	free(why);
	ok(ivr_regex("a++++++++++", 0, &why) == NULL,
	    "stacked \"+\" (each a copy in regcomp) is refused");
	free(why);
	ok(ivr_regex("((((((((((a+)+)+)+)+)+)+)+)+)+)", 0, &why) == NULL,
	    "nested \"+\" likewise");
	free(why);
	re = ivr_regex("(((((((((a+)+)+)+)+)+)+)+)+)", 0, &why);
	ok(re != NULL, "up to 1000 expanded steps is fine");
	ivr_regex_free(re);
	re = ivr_regex("((a*)*)*[0-9]?+x{0,5}(b|c+|d{3})*", 0, &why);
	ok(re != NULL, "\"*\" and \"?\" make no copies");
	ivr_regex_free(re);
	ok(ivr_regex("a{600,}b{500}", 0, &why) == NULL,
	    "an open bound counts one copy more than its minimum");
	free(why);
	ok(ivr_regex("a{99999999999999999999,}", 0, &why) == NULL,
	    "huge bounds are refused, without overflow");
	free(why);
	re = ivr_regex("[\\1]", 0, &why);
	ok(re != NULL, "\\1 in brackets is no back-reference");
	ivr_regex_free(re);
}

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return ivr_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60;
}

/* The offset glibc gives for zone at t (TZ set in this test only). */
static long
libc_offset(const char *zone, time_t t)
{
	struct tm	 tm;

	setenv("TZ", zone, 1);
	tzset();
	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

static void
test_tz(void)
{
	static const char *const zones[] = { "Europe/Paris",
	    "America/New_York", "Australia/Sydney", "Asia/Kolkata",
	    "America/Sao_Paulo", "Pacific/Chatham", "Europe/Dublin",
	    "Africa/Casablanca", "America/St_Johns", "Antarctica/Troll" };
	struct ivr_tz	*tz;
	char		*why;
	int64_t		 t;
	uint64_t	 seed = 42;
	int		 bad, i, z;

	tz = ivr_tz_load(NULL, "Europe/Paris", &why);
	ok(tz != NULL, "Europe/Paris loads");
	is_int(ivr_tz_offset(tz, utc(2025, 3, 30, 0, 59)), 3600,
	    "Paris: CET before the spring change");
	is_int(ivr_tz_offset(tz, utc(2025, 3, 30, 1, 0)), 7200,
	    "Paris: CEST from 01:00 UTC");
	is_int(ivr_tz_offset(tz, utc(2025, 10, 26, 0, 59)), 7200,
	    "Paris: CEST before the autumn change");
	is_int(ivr_tz_offset(tz, utc(2025, 10, 26, 1, 0)), 3600,
	    "Paris: CET from 01:00 UTC");
	is_int(ivr_tz_offset(tz, utc(2150, 7, 1, 12, 0)), 7200,
	    "Paris in 2150: the footer rule");
	is_int(ivr_tz_offset(tz, utc(1880, 1, 1, 0, 0)), 561,
	    "Paris in 1880: local mean time");
	ivr_tz_free(tz);

	ok(ivr_tz_load(NULL, "../etc/passwd", &why) == NULL,
	    "zone names cannot climb out");
	free(why);
	ok(ivr_tz_load(NULL, "Europe/Nowhere", &why) == NULL,
	    "unknown zones fail");
	free(why);
	ok(ivr_tz_load(NULL, "/etc/localtime", &why) == NULL,
	    "absolute paths fail");
	free(why);
	tz = ivr_tz_load("/nonexistent", "UTC", &why);
	ok(tz != NULL && ivr_tz_offset(tz, 0) == 0,
	    "UTC needs no zone file");
	ivr_tz_free(tz);

	for (z = 0; z < (int)IVR_NITEMS(zones); z++) {
		if ((tz = ivr_tz_load(NULL, zones[z], &why)) == NULL) {
			ok(0, "%s loads", zones[z]);
			free(why);
			continue;
		}
		for (bad = 0, i = 0; i < 3000; i++) {
			seed = seed * 6364136223846793005ULL + 1;
			/* 1901 to 2200 */
			t = (int64_t)(seed >> 33) % (int64_t)(299LL * 31556952)
			    - 2177452800LL;
			if (ivr_tz_offset(tz, t) != libc_offset(zones[z],
			    (time_t)t) && bad++ == 0)
				printf("# %s at %lld: %ld, libc %ld\n",
				    zones[z], (long long)t,
				    ivr_tz_offset(tz, t),
				    libc_offset(zones[z], (time_t)t));
		}
		is_int(bad, 0, "%s agrees with glibc at 3000 instants",
		    zones[z]);
		ivr_tz_free(tz);
	}
	unsetenv("TZ");
	tzset();
}

int
main(int argc, char **argv)
{
	if (getenv("IVR_CORPUS") != NULL)
		corpus = getenv("IVR_CORPUS");
	test_corpus();
	test_limits();
	test_values();
	test_tz();
	return unit_done();
}
