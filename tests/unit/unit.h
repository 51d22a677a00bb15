/*
 * A tiny TAP producer for C unit tests: each check prints "ok N - what" or
 * "not ok N - what" (with the file and line of a failure as a # comment);
 * unit_done() prints the plan "1..N" and returns the exit status.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	unit_run;
static int	unit_failed;

static inline int
unit_check(int pass, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline int
unit_check(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	unit_run++;
	printf("%sok %d - ", pass ? "" : "not ", unit_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass) {
		unit_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

/* ok(condition, "description", ...) */
#define ok(c, ...)	unit_check(!!(c), __FILE__, __LINE__, __VA_ARGS__)

/* is_int(got, expected, "description", ...) */
#define is_int(g, e, ...) do {						\
	long long g_ = (long long)(g), e_ = (long long)(e);		\
	if (!unit_check(g_ == e_, __FILE__, __LINE__, __VA_ARGS__))	\
		printf("#   got %lld, expected %lld\n", g_, e_);		\
} while (0)

/* is_str(got, expected, "description", ...); NULL compares as NULL. */
#define is_str(g, e, ...) do {						\
	const char *g_ = (g), *e_ = (e);				\
	int p_ = (g_ == NULL || e_ == NULL) ? g_ == e_ : strcmp(g_, e_) == 0; \
	if (!unit_check(p_, __FILE__, __LINE__, __VA_ARGS__))		\
		printf("#   got \"%s\"\n#   expected \"%s\"\n",		\
		    g_ ? g_ : "(null)", e_ ? e_ : "(null)");		\
} while (0)

/* Print the plan; return the exit status for main(). */
static inline int
unit_done(void)
{
	printf("1..%d\n", unit_run);
	if (unit_failed > 0)
		printf("# %d of %d failed\n", unit_failed, unit_run);
	return unit_failed > 0 ? 1 : 0;
}

#endif
