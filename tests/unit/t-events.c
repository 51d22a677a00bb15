/*
 * Unit test for the event bus's reach (daemon/live/events.c) and the
 * receiving side of cross-node events (daemon/net/cluster-events.c): a
 * subscriber that acts on events (EVENTS_LOCAL, like the Twilio REST
 * client) hears this node's events only, one that shows them
 * (EVENTS_CLUSTER, like the WebSocket hub) hears the other nodes' too, in
 * the order of their sequence numbers, each once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster-events.h"
#include "events.h"
#include "unit.h"

struct heard {
	int	 n;
	char	 log[1024];
};

static void
on_event(const char *company, const char *type, const json_t *data,
    void *arg)
{
	struct heard	*h = arg;
	size_t		 len = strlen(h->log);

	h->n++;
	snprintf(h->log + len, sizeof h->log - len, "%s%s/%s/%s",
	    len ? " " : "", company != NULL ? company : "-", type,
	    json_string_value(json_object_get(data, "id")));
}

#define PEER	"11111111-2222-3333-4444-555555555555"
#define CO	"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

int
main(void)
{
	struct heard	 once = { 0 }, shown = { 0 };

	events_subscribe(on_event, &once, EVENTS_LOCAL);
	events_subscribe(on_event, &shown, EVENTS_CLUSTER);

	events_publish(CO, "call.created", json_pack("{s:s}", "id", "c1"));
	is_int(once.n, 1, "a local event reaches the EVENTS_LOCAL subscriber");
	is_int(shown.n, 1, "and the EVENTS_CLUSTER one");

	events_deliver_remote(CO, "call.queued", json_pack("{s:s}", "id", "c1"));
	is_int(once.n, 1, "a remote event does not reach EVENTS_LOCAL");
	is_int(shown.n, 2, "it reaches EVENTS_CLUSTER");
	is_int(events_count(), 1, "remote events are not counted as published");

	once = (struct heard){ 0 };
	shown = (struct heard){ 0 };
	cluster_events_received(NULL, PEER "\n"
	    "1 0 " CO " call.created {\"id\":\"c2\"}\n"
	    "2 0 " CO " call.queued {\"id\":\"c2\"}\n"
	    "3 0 - agent.deleted {\"id\":\"a1\"}");
	is_int(once.n, 0, "a peer's payload: nothing to EVENTS_LOCAL");
	is_str(shown.log, CO "/call.created/c2 " CO "/call.queued/c2 -/agent.deleted/a1",
	    "every event of a payload, in order");

	shown = (struct heard){ 0 };
	cluster_events_received(NULL, PEER "\n"
	    "3 0 " CO " call.queued {\"id\":\"c2\"}\n"
	    "4 0 " CO " call.offered {\"id\":\"c2\"}\n");
	is_str(shown.log, CO "/call.offered/c2",
	    "a batch sent again: what was delivered is skipped");

	shown = (struct heard){ 0 };
	cluster_events_received(NULL, PEER "\n"
	    "5 0 " CO " call.answered not json\n"
	    "6 0 " CO " call.ended {\"id\":\"c2\"}\n");
	is_str(shown.log, CO "/call.ended/c2", "an unreadable event is skipped");

	shown = (struct heard){ 0 };
	cluster_events_received(NULL, "not a node\n1 0 - x.y {}\n");
	is_int(shown.n, 0, "a payload without an origin is ignored");
	return unit_done();
}
