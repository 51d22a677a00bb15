/*
 * libFuzzer: what the daemon parses from requests before a handler trusts
 * it: query strings, UUIDs, JSON bodies and their field checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "validate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "limit", "cursor", "q", "role",
	    "company_id", "state", "" };
	struct request	 req;
	struct response	 resp;
	struct fields	 f;
	struct page	 pg;
	char		*s, *v, out[256];
	json_t		*body, *skills;
	long long	 n;
	const char	*str;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.query = s;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		v = query_get(s, names[i]);
		free(v);
	}
	(void)is_uuid(s);
	(void)page_parse(&req, &resp, &pg);
	response_reset(&resp);

	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(body)) {
		fields_init(&f);
		if (field_string(body, "email", 0, 254, &f, &str) == 1)
			field_email(str, out, sizeof out, &f);
		field_skills(body, "skills", &f, &skills);
		field_int(body, "priority", -1000, 1000, &f, &n);
		if (field_string(body, "timezone", 0, 64, &f, &str) == 1)
			(void)valid_timezone(str);
		if (fields_any(&f))
			resp_invalid(&resp, &f);
		fields_free(&f);
		response_reset(&resp);
	}
	json_decref(body);
	free(s);
	return 0;
}
