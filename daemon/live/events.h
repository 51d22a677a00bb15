/*
 * In-process events (call.created, call.queued, agent.state_changed, ...),
 * published after the change they describe is committed. Subscribers (the
 * WebSocket hub, webhooks) register a callback; it runs on the publishing
 * thread and must not block. Events reach subscribers in the order they
 * are published: whoever publishes one object's events serialises them
 * (the hub publishes under its lock).
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <jansson.h>

typedef void (*event_fn)(const char *company, const char *type,
    const json_t *data, void *arg);

void	events_subscribe(event_fn, void *arg);
/* Publish; steals data. */
void	events_publish(const char *company, const char *type, json_t *data);
/* Events published since start, for metrics and tests. */
unsigned long events_count(void);

#endif
