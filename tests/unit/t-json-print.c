/* Unit tests for common/json-print.c: the same bytes as jansson's dump. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "json-print.h"
#include "unit.h"

static void
same(json_t *v, const char *what)
{
	char	*mine, *theirs;
	size_t	 len = 0;

	mine = json_print(v, &len);
	theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	ok(mine != NULL && theirs != NULL && strcmp(mine, theirs) == 0 &&
	    len == strlen(theirs), "%s: \"%s\" = \"%s\"", what,
	    mine != NULL ? mine : "(null)", theirs != NULL ? theirs : "(null)");
	free(mine);
	free(theirs);
	json_decref(v);
}

static void
test_texts(void)
{
	static const char *docs[] = {
		"{}", "[]", "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		"[\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r\"]",
		"[\"\\b\\f\\u0001\\u001f\\u007f \\u00e9 \\u20ac \\ud83d\\ude00\"]",
		"[\"a\\u0000b\"]", "{\"key\":\"\\u2028\"}",
		"[0,-1,9223372036854775807,-9223372036854775808]",
		"[0.0,-0.0,1.5,0.1,1e300,1e-300,123456789012345680000.0,1e22,"
		"2.5e-5,3.0e5,1.7976931348623157e308,4.9e-324,100.0]",
		"[[[[[[[[[[{}]]]]]]]]]]",
		"{\"z\":1,\"a\":2,\"m\":3}",
	};
	json_error_t	 err;
	json_t		*v;

	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		ok(v != NULL, "parses %s", docs[i]);
		if (v != NULL)
			same(v, docs[i]);
	}
}

static void
test_built(void)
{
	json_t	*o = json_object();

	/* Insertion order, as jansson keeps it. */
	json_object_set_new(o, "zeta", json_real(1e5));
	json_object_set_new(o, "alpha", json_real(-2.25e-7));
	json_object_set_new(o, "mid", json_stringn("x\0y", 3));
	json_object_set_new(o, "n", json_integer(42));
	json_object_del(o, "alpha");
	json_object_set_new(o, "alpha", json_real(1.0 / 3));
	same(o, "built object");
	same(json_string("root string"), "a string at the root");
	same(json_real(M_PI * 1e-10), "a real at the root");
}

static void
test_depth(void)
{
	json_t	*v = json_array(), *in = v;

	for (int i = 0; i < JSON_PRINT_DEPTH + 5; i++) {
		json_t *a = json_array();

		json_array_append_new(in, a);
		in = a;
	}
	ok(json_print(v, NULL) == NULL, "deeper than JSON_PRINT_DEPTH: NULL");
	json_decref(v);
}

int
main(void)
{
	test_texts();
	test_built();
	test_depth();
	return unit_done();
}
