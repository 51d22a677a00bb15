/*
 * Who may hear what, so an event touches only the sockets that may receive
 * it (loop thread only). Lists of connections under a key: a company and a
 * topic (managers, supervisors, agents' queues, admins: "" for every
 * company), an agent and a topic (agents' own agents and calls), an agent
 * (every socket of the agent, for offers and relays) or a call (agents
 * that heard of it lately, to hear of its release). A connection is in at
 * most one list per slot; the lists are candidates, the senders still
 * check everything they checked before.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "ws-int.h"

#define IX_BUCKETS	4096

struct slist {
	int		 kind;
	unsigned	 topic;
	char		 key[UUID_LEN + 1];
	struct sub	*head;
	struct slist	*next;
};

static struct slist	*table[IX_BUCKETS];

static unsigned
ix_hash(int kind, unsigned topic, const char *key)
{
	uint32_t	 h = 2166136261u ^ (uint32_t)(kind * 16 + (int)topic);

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % IX_BUCKETS;
}

static struct slist *
ix_find(int kind, unsigned topic, const char *key, unsigned *b)
{
	struct slist	*l;

	*b = ix_hash(kind, topic, key);
	for (l = table[*b]; l != NULL; l = l->next) {
		if (l->kind == kind && l->topic == topic &&
		    strcmp(l->key, key) == 0)
			return l;
	}
	return NULL;
}

void
ws_index_add(struct sub *s, struct conn *c, int kind, unsigned topic,
    const char *key)
{
	struct slist	*l;
	unsigned	 b;

	ws_index_del(s);
	if ((l = ix_find(kind, topic, key, &b)) == NULL) {
		l = xcalloc(1, sizeof *l);
		l->kind = kind;
		l->topic = topic;
		strlcpy_(l->key, key, sizeof l->key);
		l->next = table[b];
		table[b] = l;
	}
	s->l = l;
	s->c = c;
	s->prev = NULL;
	if ((s->next = l->head) != NULL)
		l->head->prev = s;
	l->head = s;
}

void
ws_index_del(struct sub *s)
{
	struct slist	*l = s->l, **pp;
	unsigned	 b;

	if (l == NULL)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->l = NULL;
	s->prev = s->next = NULL;
	if (l->head != NULL)
		return;
	b = ix_hash(l->kind, l->topic, l->key);
	for (pp = &table[b]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	free(l);
}

struct sub *
ws_index_first(int kind, unsigned topic, const char *key)
{
	struct slist	*l;
	unsigned	 b;

	if (key == NULL || (key[0] == '\0' && kind != IX_COMPANY))
		return NULL;
	l = ix_find(kind, topic, key, &b);
	return l != NULL ? l->head : NULL;
}
