/*
 * The ownership directory (owner.h): a sorted array of the company leases
 * the node thread last read, replaced as a whole under one lock. Readers
 * copy what they need out; nobody holds the lock across I/O. Below it,
 * the ranking that tells the node thread which companies to take.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "owner.h"

static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* the directory changed */
	char			 self[UUID_LEN + 1];
	int			 clustered;
	double			 wait;
	void			(*poke)(void);
	struct owner_lease	*v;
	int			 n;
} dir = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static double
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(((const struct owner_lease *)a)->company,
	    ((const struct owner_lease *)b)->company);
}

void
owner_init(const char *self, int clustered, double wait, void (*poke)(void))
{
	pthread_mutex_lock(&dir.lock);
	strlcpy_(dir.self, self != NULL ? self : "", sizeof dir.self);
	dir.wait = wait;
	dir.poke = poke;
	__atomic_store_n(&dir.clustered, clustered, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&dir.lock);
}

double
owner_wait_secs(void)
{
	return dir.wait;
}

int
owner_clustered(void)
{
	return __atomic_load_n(&dir.clustered, __ATOMIC_RELAXED);
}

const char *
owner_self(void)
{
	return dir.self;
}

/* The lease of company; dir.lock held. */
static struct owner_lease *
find(const char *company)
{
	struct owner_lease	key;

	if (dir.n == 0 || strlen(company) > UUID_LEN)
		return NULL;
	strlcpy_(key.company, company, sizeof key.company);
	return bsearch(&key, dir.v, (size_t)dir.n, sizeof *dir.v, cmp);
}

/* dir.lock held. */
static enum owner_kind
lookup(const char *company, struct owner_peer *peer)
{
	struct owner_lease	*l;

	if (!dir.clustered) {
		if (peer != NULL) {
			strlcpy_(peer->node, dir.self, sizeof peer->node);
			peer->url[0] = '\0';
			peer->epoch = 1;
		}
		return OWNER_SELF;
	}
	if ((l = find(company)) == NULL || l->node[0] == '\0' ||
	    l->until <= mono())
		return OWNER_NONE;
	if (peer != NULL) {
		strlcpy_(peer->node, l->node, sizeof peer->node);
		strlcpy_(peer->url, l->url, sizeof peer->url);
		peer->epoch = l->epoch;
	}
	if (strcmp(l->node, dir.self) == 0)
		return OWNER_SELF;
	return l->url[0] != '\0' ? OWNER_PEER : OWNER_NONE;
}

enum owner_kind
owner_of(const char *company, struct owner_peer *peer)
{
	enum owner_kind	k;

	pthread_mutex_lock(&dir.lock);
	k = lookup(company, peer);
	pthread_mutex_unlock(&dir.lock);
	return k;
}

long long
owner_epoch(const char *company)
{
	struct owner_peer	p;

	return owner_of(company, &p) == OWNER_SELF ? p.epoch : 0;
}

enum owner_kind
owner_wait(const char *company, double secs, struct owner_peer *peer)
{
	struct timespec	 ts;
	enum owner_kind	 k;
	double		 t;

	if ((k = owner_of(company, peer)) != OWNER_NONE)
		return k;
	/* A company made a moment ago has no lease yet: a round now. */
	if (dir.poke != NULL)
		dir.poke();
	clock_gettime(CLOCK_REALTIME, &ts);
	t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + secs;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&dir.lock);
	while ((k = lookup(company, peer)) == OWNER_NONE &&
	    pthread_cond_timedwait(&dir.cond, &dir.lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&dir.lock);
	return k;
}

void
owner_update(const struct owner_lease *v, int n)
{
	struct owner_lease	*copy = NULL, *old;

	if (n > 0) {
		copy = xcalloc((size_t)n, sizeof *copy);
		memcpy(copy, v, (size_t)n * sizeof *copy);
		qsort(copy, (size_t)n, sizeof *copy, cmp);
	}
	pthread_mutex_lock(&dir.lock);
	old = dir.v;
	dir.v = copy;
	dir.n = n;
	pthread_cond_broadcast(&dir.cond);
	pthread_mutex_unlock(&dir.lock);
	free(old);
}

void
owner_forget(const char *company)
{
	struct owner_lease	*l;

	pthread_mutex_lock(&dir.lock);
	if ((l = find(company)) != NULL && strcmp(l->node, dir.self) == 0)
		l->until = 0;
	pthread_mutex_unlock(&dir.lock);
}

/*
 * Rendezvous hashing: a company goes to the live node with the highest
 * FNV-1a hash of node id and company id (the lower id on a tie). Every node
 * computes it from the same rows, so all agree; owner_want() computes it
 * again only when the live nodes or the companies changed.
 */
static uint64_t
fnv(const char *a, const char *b)
{
	uint64_t	h = 14695981039346656037ull;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	for (; *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return h;
}

/* The companies that hash to self among nodes. */
static struct db_ids *
pick(const char *self, const struct db_ids *nodes, const struct db_ids *cos)
{
	struct db_ids	*want = xcalloc(1, sizeof *want);
	const char	*best;
	uint64_t	 h, top;

	want->v = xcalloc(cos->n > 0 ? (size_t)cos->n : 1, sizeof *want->v);
	for (int i = 0; i < cos->n; i++) {
		best = NULL;
		top = 0;
		for (int j = 0; j < nodes->n; j++) {
			h = fnv(nodes->v[j], cos->v[i]);
			if (best == NULL || h > top ||
			    (h == top && strcmp(nodes->v[j], best) < 0)) {
				best = nodes->v[j];
				top = h;
			}
		}
		if (best != NULL && strcmp(best, self) == 0)
			memcpy(want->v[want->n++], cos->v[i], sizeof want->v[0]);
	}
	return want;
}

/* Live nodes besides this one, as the last ranking saw them. */
static int	 npeers;

int
owner_peers(void)
{
	return __atomic_load_n(&npeers, __ATOMIC_RELAXED);
}

/* The node thread's last ranking: what it was made from, and its answer. */
static struct {
	struct db_ids	*nodes;
	char		 print[64];
	struct db_ids	*want;
} rank;

static int
same_ids(const struct db_ids *a, const struct db_ids *b)
{
	return a != NULL && b != NULL && a->n == b->n && (a->n == 0 ||
	    memcmp(a->v, b->v, (size_t)a->n * sizeof a->v[0]) == 0);
}

const struct db_ids *
owner_want(struct db *db, const char *self, const char *cluster,
    double window)
{
	struct db_ids	*nodes, *cos;
	char		 print[64];

	if ((nodes = db_owner_nodes(db, cluster, window)) == NULL)
		return NULL;
	if (db_owner_print(db, print, sizeof print) != 0) {
		db_ids_free(nodes);
		return NULL;
	}
	if (rank.want != NULL && same_ids(nodes, rank.nodes) &&
	    strcmp(print, rank.print) == 0) {
		db_ids_free(nodes);
		return rank.want;
	}
	if ((cos = db_owner_companies(db)) == NULL) {
		db_ids_free(nodes);
		return NULL;
	}
	db_ids_free(rank.want);
	db_ids_free(rank.nodes);
	__atomic_store_n(&npeers, nodes->n > 0 ? nodes->n - 1 : 0,
	    __ATOMIC_RELAXED);
	rank.want = pick(self, nodes, cos);
	rank.nodes = nodes;
	strlcpy_(rank.print, print, sizeof rank.print);
	db_ids_free(cos);
	return rank.want;
}
