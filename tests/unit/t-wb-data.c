/*
 * Unit tests for the wallboard's picture (tui/wb-data.c): building it from
 * the API's objects, the links between calls, queues and agents, applying
 * objects by id as the /ws stream will (insert, replace, remove a call
 * that ended, a queue's live figures), and today's counts per agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "wb.h"

#define A1	"00000000-0000-4000-8000-00000000000a"
#define A2	"00000000-0000-4000-8000-00000000000b"
#define Q1	"00000000-0000-4000-8000-0000000000f1"
#define C1	"00000000-0000-4000-8000-0000000000c1"
#define C2	"00000000-0000-4000-8000-0000000000c2"
#define C3	"00000000-0000-4000-8000-0000000000c3"

static int
put(struct wb_data *d, const char *topic, const char *json)
{
	json_error_t	 e;
	json_t		*v = json_loads(json, 0, &e);
	int		 r;

	if (v == NULL) {
		printf("# bad JSON in the test: %s\n", e.text);
		return -1;
	}
	r = wb_data_put(d, topic, v);
	json_decref(v);
	return r;
}

static void
test_put_and_link(void)
{
	struct wb_data		 d;
	const struct wb_agent	*a;
	const struct wb_call	*c;
	const struct wb_queue	*q;

	memset(&d, 0, sizeof d);
	/* Out of order on purpose: the arrays stay sorted by id. */
	is_int(put(&d, "agents", "{\"id\": \"" A2 "\", \"name\": \"Bob\","
	    " \"state\": \"available\"}"), 1, "an agent is inserted");
	put(&d, "agents", "{\"id\": \"" A1 "\", \"name\": \"Ann\","
	    " \"state\": \"busy\", \"state_since\": \"2026-11-25T08:00:00Z\","
	    " \"calls_handled\": 7}");
	put(&d, "queues", "{\"id\": \"" Q1 "\", \"name\": \"Sales\","
	    " \"sl_threshold\": 20}");
	put(&d, "calls", "{\"id\": \"" C2 "\", \"queue_id\": \"" Q1 "\","
	    " \"state\": \"queued\", \"caller_name\": \"Zed\","
	    " \"enqueued_at\": \"2026-11-25T09:00:00Z\"}");
	put(&d, "calls", "{\"id\": \"" C1 "\", \"queue_id\": \"" Q1 "\","
	    " \"agent_id\": \"" A1 "\", \"state\": \"connected\","
	    " \"caller_number\": \"+4930\","
	    " \"enqueued_at\": \"2026-11-25T09:00:00Z\","
	    " \"answered_at\": \"2026-11-25T09:00:30Z\"}");
	is_int(put(&d, "calls", "{\"id\": \"" C3 "\", \"state\": \"completed\"}"),
	    0, "a call that is not live and not known changes nothing");
	wb_data_link(&d);
	is_int(d.na, 2, "two agents");
	is_str(d.a[0].id, A1, "agents sorted by id");
	is_int(d.nc, 2, "two live calls");
	a = wb_agent_find(&d, A1);
	ok(a != NULL, "found by id");
	is_str(a->call, "+4930", "the agent's current call is its caller");
	is_str(a->call_id, C1, "and its id");
	is_int(a->handled, 7, "handled in all until today's counts come");
	is_int(a->since, 1795593600, "state_since parsed as UTC");
	ok(wb_agent_find(&d, A2)->call == NULL, "a free agent has no call");
	c = wb_call_find(&d, C1);
	is_str(c->queue, "Sales", "a call's queue by name");
	is_str(c->agent, "Ann", "a call's agent by name");
	is_int(c->since, 1795597230, "a talking call counts from its answer");
	c = wb_call_find(&d, C2);
	is_str(c->caller, "Zed", "a caller without a number");
	is_str(c->agent, "-", "a waiting call has no agent");
	is_int(c->sl_threshold, 20, "the queue's threshold");
	is_int(c->since, 1795597200, "a waiting call counts from its entry");

	/* An older version of a call changes nothing. */
	put(&d, "calls", "{\"id\": \"" C2 "\", \"state\": \"queued\","
	    " \"caller_name\": \"Zed\", \"updated_at\": \"2026-11-25T09:00:05Z\"}");
	is_int(put(&d, "calls", "{\"id\": \"" C2 "\", \"state\": \"offering\","
	    " \"updated_at\": \"2026-11-25T09:00:04Z\"}"), 0,
	    "an event older than the shown call is ignored");
	is_str(wb_call_find(&d, C2)->state, "queued", "the call stays queued");
	wb_data_link(&d);

	/* The call ends: removed; the agent goes to wrap-up. */
	is_int(put(&d, "calls", "{\"id\": \"" C1 "\", \"state\": \"wrap_up\"}"),
	    1, "a call that left the live states is removed");
	put(&d, "agents", "{\"id\": \"" A1 "\", \"name\": \"Ann\","
	    " \"state\": \"wrap_up\"}");
	wb_data_link(&d);
	is_int(d.nc, 1, "one call left");
	ok(wb_call_find(&d, C1) == NULL, "the ended call is gone");
	a = wb_agent_find(&d, A1);
	is_str(a->state, "wrap_up", "the agent replaced by id");
	ok(a->call == NULL, "no current call any more");
	is_int(d.na, 2, "still two agents");

	/* A queue event keeps today's figures, takes the live ones. */
	q = wb_queue_find(&d, Q1);
	((struct wb_queue *)q)->have_stats = 1;
	((struct wb_queue *)q)->answered = 12;
	put(&d, "queues", "{\"id\": \"" Q1 "\", \"name\": \"Sales 2\","
	    " \"sl_threshold\": 30, \"live\": {\"waiting\": 3, \"offering\": 1,"
	    " \"longest_wait\": 41.5}}");
	q = wb_queue_find(&d, Q1);
	is_str(q->name, "Sales 2", "the queue renamed");
	is_int(q->sl_threshold, 30, "its new threshold");
	is_int(q->answered, 12, "today's figures kept");
	is_int(q->waiting, 3, "live waiting taken");
	is_int((long)(q->longest * 10), 415, "live longest wait taken");
	wb_data_free(&d);
}

static void
test_today(void)
{
	struct wb_data	 d;
	json_t		*items;

	memset(&d, 0, sizeof d);
	put(&d, "agents", "{\"id\": \"" A1 "\", \"name\": \"Ann\","
	    " \"state\": \"busy\", \"calls_handled\": 7}");
	put(&d, "agents", "{\"id\": \"" A2 "\", \"name\": \"Bob\","
	    " \"state\": \"busy\", \"calls_handled\": 9}");
	wb_data_link(&d);
	items = json_loads("[{\"agent_id\": \"" A2 "\", \"handled\": 2},"
	    " {\"agent_id\": \"nobody\", \"handled\": 5}]", 0, NULL);
	wb_agents_today(&d, items);
	json_decref(items);
	ok(d.handled_today, "today's counts are in");
	is_int(wb_agent_find(&d, A1)->handled, 0, "none today: 0, not 7");
	is_int(wb_agent_find(&d, A2)->handled, 2, "two today");
	wb_data_free(&d);
}

static void
test_helpers(void)
{
	json_t	*v;
	char	*s;

	ok(wb_call_live("on_hold") && wb_call_live("ivr"), "live states");
	ok(!wb_call_live("wrap_up") && !wb_call_live(NULL), "not live");
	v = json_string("2026-11-25 08:00:00");
	is_int(wb_time(v), 1795593600, "a time with a space");
	json_decref(v);
	v = json_string("yesterday");
	is_int(wb_time(v), 0, "not a time: 0");
	json_decref(v);
	v = json_pack("{s:s}", "caller_name", "");
	s = wb_caller(v);
	is_str(s, "(unknown)", "no caller at all");
	free(s);
	json_decref(v);
}

int
main(void)
{
	test_put_and_link();
	test_today();
	test_helpers();
	return unit_done();
}
