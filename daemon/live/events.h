/*
 * In-process events (call.created, call.queued, agent.state_changed, ...),
 * published after the change they describe is committed. Subscribers (the
 * WebSocket hub, the Twilio REST client, the cluster's publisher) register
 * a callback; it runs on the publishing thread and must not block. Events
 * reach subscribers in the order they are published: whoever publishes one
 * object's events serialises them (the hub publishes under its lock).
 *
 * In a cluster the other nodes' events arrive too (net/cluster-events.c,
 * docs/cluster.md "Cross-node events"); only the subscribers that show
 * events hear them. A subscriber that acts on an event (calls Twilio)
 * hears its own node's events only, so the action runs once.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <jansson.h>

typedef void (*event_fn)(const char *company, const char *type,
    const json_t *data, void *arg);

/* Which events a subscriber hears. */
enum events_reach {
	EVENTS_LOCAL,		/* this node's only: it acts on them */
	EVENTS_CLUSTER		/* this node's and every other node's */
};

/* At start-up, before any thread publishes. */
void	events_subscribe(event_fn, void *arg, enum events_reach);
/* Publish an event of this node; steals data. */
void	events_publish(const char *company, const char *type, json_t *data);
/* An event another node published, to the EVENTS_CLUSTER subscribers;
 * steals data. */
void	events_deliver_remote(const char *company, const char *type,
	    json_t *data);
/* Events published here since start, for metrics and tests. */
unsigned long events_count(void);

#endif
