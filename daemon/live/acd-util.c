/*
 * The ACD engine's plumbing: an open-addressed id -> object map, the timer
 * heap behind acd_next_deadline(), the seeded PRNG and array growth.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acd-int.h"
#include "xmalloc.h"

#define MAP_MIN_CAP	16

/* splitmix64's finaliser: spreads every input bit over the output. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* FNV-1a, then mixed: ids are short and the table takes the low bits. */
uint64_t
acd_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}

static size_t
map_find(const struct acd_map *m, const char *key, uint64_t h)
{
	size_t	i, mask = m->cap - 1;

	for (i = h & mask; m->ent[i].key != NULL; i = (i + 1) & mask) {
		if (m->ent[i].hash == h && strcmp(m->ent[i].key, key) == 0)
			return i;
	}
	return ACD_NONE;
}

void *
acd_map_get(const struct acd_map *m, const char *key)
{
	size_t	i;

	if (m->n == 0)
		return NULL;
	i = map_find(m, key, acd_hash(key));
	return i == ACD_NONE ? NULL : m->ent[i].val;
}

static void
map_insert(struct acd_map *m, uint64_t h, const char *key, void *val)
{
	size_t	i, mask = m->cap - 1;

	for (i = h & mask; m->ent[i].key != NULL; i = (i + 1) & mask)
		;
	m->ent[i].hash = h;
	m->ent[i].key = key;
	m->ent[i].val = val;
	m->n++;
}

static void
map_resize(struct acd_map *m, size_t cap)
{
	struct acd_map_ent	*old = m->ent;
	size_t			 i, oldcap = m->cap;

	m->ent = xcalloc(cap, sizeof *m->ent);
	m->cap = cap;
	m->n = 0;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key != NULL)
			map_insert(m, old[i].hash, old[i].key, old[i].val);
	}
	free(old);
}

/* Insert or replace; key must stay valid while it is in the map. */
void
acd_map_put(struct acd_map *m, const char *key, void *val)
{
	uint64_t	h = acd_hash(key);
	size_t		i;

	if (m->cap != 0 && (i = map_find(m, key, h)) != ACD_NONE) {
		m->ent[i].key = key;
		m->ent[i].val = val;
		return;
	}
	if ((m->n + 1) * 10 > m->cap * 7)
		map_resize(m, m->cap == 0 ? MAP_MIN_CAP : m->cap * 2);
	map_insert(m, h, key, val);
}

/* Remove with backward shift, so lookups never meet tombstones. */
void
acd_map_del(struct acd_map *m, const char *key)
{
	size_t	i, j, home, mask;

	if (m->n == 0 || (i = map_find(m, key, acd_hash(key))) == ACD_NONE)
		return;
	mask = m->cap - 1;
	for (j = (i + 1) & mask; m->ent[j].key != NULL; j = (j + 1) & mask) {
		home = m->ent[j].hash & mask;
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->ent[i] = m->ent[j];
			i = j;
		}
	}
	memset(&m->ent[i], 0, sizeof m->ent[i]);
	m->n--;
}

void
acd_map_free(struct acd_map *m)
{
	free(m->ent);
	memset(m, 0, sizeof *m);
}

static int
timer_less(const struct acd_timer *a, const struct acd_timer *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	return a->seq < b->seq;
}

static void
heap_place(struct acd_heap *h, size_t i, struct acd_timer *t)
{
	h->t[i] = t;
	t->idx = i;
}

static void
heap_up(struct acd_heap *h, size_t i)
{
	struct acd_timer	*t = h->t[i];
	size_t			 parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!timer_less(t, h->t[parent]))
			break;
		heap_place(h, i, h->t[parent]);
		i = parent;
	}
	heap_place(h, i, t);
}

static void
heap_down(struct acd_heap *h, size_t i)
{
	struct acd_timer	*t = h->t[i];
	size_t			 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && timer_less(h->t[c + 1], h->t[c]))
			c++;
		if (!timer_less(h->t[c], t))
			break;
		heap_place(h, i, h->t[c]);
		i = c;
	}
	heap_place(h, i, t);
}

void
acd_timer_init(struct acd_timer *t, enum acd_timer_kind kind)
{
	memset(t, 0, sizeof *t);
	t->idx = ACD_NONE;
	t->kind = kind;
}

void
acd_timer_stop(struct acd *acd, struct acd_timer *t)
{
	struct acd_heap		*h = &acd->timers;
	struct acd_timer	*last;
	size_t			 i = t->idx;

	if (i == ACD_NONE)
		return;
	t->idx = ACD_NONE;
	last = h->t[--h->n];
	if (i == h->n)
		return;
	heap_place(h, i, last);
	heap_up(h, i);
	heap_down(h, last->idx);
}

/* (Re)arm t to fire at "at". */
void
acd_timer_set(struct acd *acd, struct acd_timer *t, double at)
{
	struct acd_heap	*h = &acd->timers;

	acd_timer_stop(acd, t);
	t->at = at;
	t->seq = acd->timer_seq++;
	h->t = acd_grow(h->t, &h->cap, h->n + 1, sizeof *h->t);
	heap_place(h, h->n, t);
	h->n++;
	heap_up(h, t->idx);
}

/* Pop the earliest timer due at now, or NULL. */
struct acd_timer *
acd_timer_due(struct acd *acd, double now)
{
	struct acd_timer	*t;

	if (acd->timers.n == 0 || acd->timers.t[0]->at > now)
		return NULL;
	t = acd->timers.t[0];
	acd_timer_stop(acd, t);
	return t;
}

/* splitmix64: deterministic for a seed, good enough to pick an agent. */
uint64_t
acd_random(struct acd *acd)
{
	acd->rng += 0x9e3779b97f4a7c15ULL;
	return mix64(acd->rng);
}

/* Make room for need elements of size in an array of *cap; returns it. */
void *
acd_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t	n = *cap;

	if (need <= n)
		return p;
	while (n < need)
		n = n < 8 ? 8 : n * 2;
	p = xrealloc(p, n * size);
	*cap = n;
	return p;
}
