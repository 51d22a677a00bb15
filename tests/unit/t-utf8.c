/* Unit tests for common/utf8.c and the e-mail normal form built on it. */
#include <locale.h>
#include <string.h>

#include "utf8.h"
#include "validate.h"
#include "unit.h"

static void
test_valid(void)
{
	static const struct {
		const char	*s;
		int		 ok;
		const char	*what;
	} cases[] = {
		{ "plain ascii", 1, "ASCII" },
		{ "\xc3\x85sa \xe2\x82\xac \xf0\x9f\x98\x80", 1, "2, 3 and 4 bytes" },
		{ "\xff", 0, "0xff" },
		{ "\xc3\x28", 0, "a lead byte without its continuation" },
		{ "\xe2\x82", 0, "cut short" },
		{ "\xc0\xaf", 0, "overlong '/'" },
		{ "\xe0\x80\xaf", 0, "overlong in three bytes" },
		{ "\xed\xa0\x80", 0, "a surrogate" },
		{ "\xf4\x90\x80\x80", 0, "past U+10FFFF" },
		{ "\xf8\x88\x80\x80\x80", 0, "five bytes" },
		{ "\x80", 0, "a lone continuation byte" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		is_int(utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok,
		    "valid: %s", cases[i].what);
	ok(utf8_valid("a\0b", 3), "NUL is well-formed (callers refuse it)");
}

static void
test_lower(void)
{
	char	 out[64], small[4];

	ok(utf8_lower("\xc3\x85SA@Example.TEST", out, sizeof out) == 0 &&
	    strcmp(out, "\xc3\xa5sa@example.test") == 0, "ÅSA -> åsa");
	ok(utf8_lower("J\xc3\x96S\xc3\x89", out, sizeof out) == 0 &&
	    strcmp(out, "j\xc3\xb6s\xc3\xa9") == 0, "JÖSÉ -> jösé");
	ok(utf8_lower("\xce\xa3\xce\x9f\xce\xa6", out, sizeof out) == 0 &&
	    strcmp(out, "\xcf\x83\xce\xbf\xcf\x86") == 0, "Greek ΣΟΦ -> σοφ");
	/* U+023A (2 bytes) lower-cases to U+2C65 (3 bytes). */
	ok(utf8_lower("\xc8\xba", out, sizeof out) == 0 &&
	    strcmp(out, "\xe2\xb1\xa5") == 0, "the result may grow");
	is_int(utf8_lower("\xc8\xba\xc8\xba", small, sizeof small), -1,
	    "a result that does not fit is refused");
	is_int(utf8_lower("a\xff", out, sizeof out), -1, "not UTF-8: refused");
	ok(utf8_lower("", out, sizeof out) == 0 && out[0] == '\0', "empty");
}

/* The process locale (C here, ASCII only) does not change the answer. */
static void
test_locale_independent(void)
{
	char	 out[64];

	setlocale(LC_ALL, "C");
	ok(email_normalize("\xc3\x85SA@x.test", out, sizeof out) == 0 &&
	    strcmp(out, "\xc3\xa5sa@x.test") == 0, "folds under the C locale too");
}

int
main(void)
{
	ok(utf8_init() == 0, "a UTF-8 locale is there");
	test_valid();
	test_lower();
	test_locale_independent();
	return unit_done();
}
