/*
 * Unit tests for the CLI's JSON writer (cmd/output-json.c): the layout is
 * jansson's own (indented and compact), and reals are the fewest digits
 * that read back as the same double.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"
#include "cmd.h"

static void
test_layout(void)
{
	const char	*doc = "{\"id\": \"a\\\"b\\u0001/\\u00e9\", \"n\": 42,"
	    " \"t\": true, \"f\": false, \"z\": null, \"e\": {}, \"ea\": [],"
	    " \"list\": [1, {\"k\": [2, 3]}, \"x\"], \"o\": {\"p\": {\"q\": 1}}}";
	json_t		*v = json_loads(doc, 0, NULL);
	char		*want, *got;

	want = json_dumps(v, JSON_INDENT(2));
	got = output_json_text(v, 2);
	is_str(got, want, "indented: the same text as jansson's");
	free(want);
	free(got);
	want = json_dumps(v, JSON_COMPACT);
	got = output_json_text(v, 0);
	is_str(got, want, "compact: the same text as jansson's");
	free(want);
	free(got);
	got = output_json_text(json_object_get(v, "id"), 0);
	is_str(got, "\"a\\\"b\\u0001/\u00e9\"", "a string alone, escaped");
	free(got);
	json_decref(v);
}

static void
test_reals(void)
{
	static const struct {
		double		 d;
		const char	*s;
	} cases[] = {
		{ 0.4, "0.4" }, { 0.467849, "0.467849" }, { 0.95, "0.95" },
		{ 2.0 / 3.0, "0.6666666666666666" }, { 0.1 + 0.2,
		"0.30000000000000004" }, { 100.0, "100.0" }, { 0.0, "0.0" },
		{ -0.5, "-0.5" }, { 1e20, "1e20" }, { 1e-5, "1e-5" },
		{ 0.000892, "0.000892" }, { 123456789012.5, "123456789012.5" },
		{ 5e-324, "5e-324" }, { 1.7976931348623157e308,
		"1.7976931348623157e308" }, { 28.75, "28.75" },
	};
	char	 buf[64];
	json_t	*v;
	char	*s;
	double	 d;
	int	 bad = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		output_real(buf, sizeof buf, cases[i].d);
		is_str(buf, cases[i].s, "real number %zu of the table", i);
	}
	/* Any double reads back exactly, and never takes more digits than
	 * jansson's 17 would. */
	srand(42);
	for (int i = 0; i < 100000; i++) {
		d = ((double)rand() / RAND_MAX - 0.5) *
		    pow(10, rand() % 40 - 20);
		output_real(buf, sizeof buf, d);
		if (strtod(buf, NULL) != d || strlen(buf) > 25)
			bad++;
	}
	is_int(bad, 0, "100000 random doubles read back exactly");
	v = json_pack("{s:f,s:[f]}", "rate", 0.4, "list", 2.0 / 3.0);
	s = output_json_text(v, 2);
	is_str(s, "{\n  \"rate\": 0.4,\n  \"list\": [\n    0.6666666666666666\n  ]\n}",
	    "reals inside a document");
	free(s);
	json_decref(v);
}

int
main(void)
{
	test_layout();
	test_reals();
	return unit_done();
}
