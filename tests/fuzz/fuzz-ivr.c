/*
 * libFuzzer target: arbitrary bytes through the IVR parser and validator,
 * and, when they make a flow, through the engine: the start, then events
 * chosen by the input's last bytes, and the session's JSON round trip.
 * Built and run by "make fuzz".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ivr-engine.h"
#include "ivr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fuzz_digits[] = { "1", "2", "0", "#", "*", "9",
	"1234#", "", "55557", "123456789012345678901234567890" };
static const char *const fuzz_bodies[] = { "{\"tier\":\"gold\"}",
	"{\"customer\":{\"tier\":1.5,\"name\":[1,2]}}", "nope", "[]" };

/* Drive the engine with events picked by the bytes of the tail. */
static void
fuzz_engine(const struct ivr_flow *flow, const uint8_t *tail, size_t n)
{
	struct ivr_session	 s, s2;
	struct ivr_actions	 out;
	struct ivr_event	 ev;
	json_t			*j;
	char			*cause = NULL;
	size_t			 i;

	ivr_session_init(&s);
	ivr_actions_init(&out);
	ivr_vars_set(&s.caller, "number", "+15550100");
	memset(&ev, 0, sizeof ev);
	ev.type = IVR_EV_START;
	ivr_step(flow, &s, &ev, (time_t)1741615200 + (n > 0 ? tail[0] *
	    3600 : 0), &out);
	for (i = 1; i < n && i < 16; i++) {
		memset(&ev, 0, sizeof ev);
		ev.type = (enum ivr_event_type)(tail[i] % IVR_EV_COUNT);
		ev.digits = fuzz_digits[(tail[i] >> 3) % 10];
		ev.status = (tail[i] & 0x80) ? 200 : 500;
		ev.body = fuzz_bodies[(tail[i] >> 4) % 4];
		ev.body_len = strlen(ev.body);
		ev.queue = (enum ivr_queue_result)((tail[i] >> 5) %
		    IVR_QUEUE_COUNT);
		ev.recording = "rec";
		if (ev.type == IVR_EV_START)
			ev.type = IVR_EV_DIGITS;
		ivr_step(flow, &s, &ev, (time_t)1741615200, &out);
		for (size_t k = 0; k < out.n; k++)
			json_decref(ivr_action_to_json(flow, &out.v[k]));
	}
	j = ivr_session_to_json(flow, &s);
	if (ivr_session_from_json(flow, j, &s2, &cause) != 0)
		abort();	/* what we write we must read */
	ivr_session_free(&s2);
	json_decref(j);
	ivr_actions_free(&out);
	ivr_session_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const queues[] = { "sales", "support", "vip",
	    NULL };
	struct ivr_options	 opt = { .queues = queues };
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	json_t			*a;
	FILE			*f;

	ivr_diags_init(&d);
	flow = ivr_flow_parse((const char *)data, size, size % 2 ? &opt : NULL,
	    &d);
	if ((flow == NULL) != (d.errors > 0))
		abort();	/* a flow exactly when there is no error */
	if ((f = fopen("/dev/null", "w")) != NULL) {
		ivr_diags_print(f, "fuzz.yaml", &d);
		fclose(f);
	}
	a = json_array();
	ivr_diags_json(a, "fuzz.yaml", &d);
	if (json_array_size(a) != d.n + (d.truncated ? 1 : 0))
		abort();	/* every message is valid UTF-8 for JSON */
	json_decref(a);
	if (flow != NULL)
		fuzz_engine(flow, data + size - (size < 16 ? size : 16),
		    size < 16 ? size : 16);
	ivr_flow_free(flow);
	ivr_diags_free(&d);
	return 0;
}
