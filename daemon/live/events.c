/* The event bus: a fixed list of subscribers, called in order. */
#include <pthread.h>

#include "log.h"
#include "events.h"

#define MAX_SUBSCRIBERS	8

static struct {
	event_fn		 fn;
	void			*arg;
	enum events_reach	 reach;
} subs[MAX_SUBSCRIBERS];
static int		 nsubs;
static unsigned long	 published;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;

void
events_subscribe(event_fn fn, void *arg, enum events_reach reach)
{
	if (nsubs == MAX_SUBSCRIBERS)
		fatal("events: too many subscribers");
	subs[nsubs].fn = fn;
	subs[nsubs].arg = arg;
	subs[nsubs].reach = reach;
	nsubs++;
}

void
events_publish(const char *company, const char *type, json_t *data)
{
	pthread_mutex_lock(&lock);
	published++;
	pthread_mutex_unlock(&lock);
	log_debug("event %s company %s", type, company);
	for (int i = 0; i < nsubs; i++)
		subs[i].fn(company, type, data, subs[i].arg);
	json_decref(data);
}

void
events_deliver_remote(const char *company, const char *type, json_t *data)
{
	for (int i = 0; i < nsubs; i++)
		if (subs[i].reach == EVENTS_CLUSTER)
			subs[i].fn(company, type, data, subs[i].arg);
	json_decref(data);
}

unsigned long
events_count(void)
{
	unsigned long	 n;

	pthread_mutex_lock(&lock);
	n = published;
	pthread_mutex_unlock(&lock);
	return n;
}
