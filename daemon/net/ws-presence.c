/*
 * Agents' sockets over the nodes (docs/cluster.md, "Agents' sockets over
 * the nodes"; docs/ws.md, "When a socket goes"). An agent's last socket
 * is her last over every node: in a cluster each node writes, for each
 * agent, how many sockets it has open of hers (agent_presence, in this
 * node's order: a sequence number of the loop's), and when its count of
 * her falls to 0 asks the company's owner to act (agent.disconnected),
 * who acts only if her counts on the live nodes add up to 0. The owner
 * acts too for the sockets of a node that died (net/cluster.c). A node of
 * no cluster writes nothing: its own count is the whole answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "db-presence.h"
#include "owner.h"
#include "op.h"
#include "cluster.h"
#include "ws.h"
#include "ws-int.h"

static long long	 seq;		/* loop: this node's writes, in order */
static int		 resync;	/* atomic: write every agent's count */

/*
 * agent.disconnected answered 503 (the company moving between nodes, its
 * owner frozen or gone): asked again at the next sweeps, while she has no
 * socket here, until an owner answers. The owner checks every node's
 * counts, so asking again is never acting twice.
 */
#define RETRY_MAX	256
#define RETRY_TRIES	30		/* sweeps, about a second apart */
static struct retry {
	char	 company[UUID_LEN + 1];
	char	 user[UUID_LEN + 1];
	char	 agent[UUID_LEN + 1];
	int	 tries;
}			 retries[RETRY_MAX];
static int		 nretries;
#define J_AGAIN		2		/* put_run(): j->failed, ask again */

/* The agent's open, signed-in sockets here, but gone. */
static int
count(const char *agent, const struct conn *gone)
{
	int	 n = 0;

	for (struct sub *s = ws_index_first(IX_AGENT, 0, agent); s != NULL;
	    s = s->next) {
		struct conn *c = s->c;

		if (c != gone && c->state == C_AUTHED && !c->caller &&
		    c->close_code == 0 && strcmp(c->agent, agent) == 0)
			n++;
	}
	return n;
}

static void
put_run(struct db *db, struct wsjob *j)
{
	json_t		*agents = json_object_get(j->in, "agents");
	json_t		*counts = json_object_get(j->in, "counts");
	size_t		 n = json_array_size(agents);
	char		(*ids)[UUID_LEN + 1];
	int		*cs;
	struct actor	 a = { .kind = ACTOR_SYSTEM, .company = j->company,
			    .user = j->user[0] != '\0' ? j->user : NULL };
	struct op_in	 in = { .agent = j->agent };
	struct op_out	 out;

	if (n > 0 || json_is_true(json_object_get(j->in, "all"))) {
		ids = xcalloc(n + 1, sizeof *ids);
		cs = xcalloc(n + 1, sizeof *cs);
		for (size_t i = 0; i < n; i++) {
			strlcpy_(ids[i], json_string_value(json_array_get(
			    agents, i)), sizeof ids[i]);
			cs[i] = (int)json_integer_value(json_array_get(counts,
			    i));
		}
		if (db_presence_put(db, cluster_node_id(), (int)n, ids, cs,
		    json_integer_value(json_object_get(j->in, "seq")),
		    json_is_true(json_object_get(j->in, "all"))) != 0) {
			/* Written again, all of them, at the next sweep. */
			__atomic_store_n(&resync, 1, __ATOMIC_RELEASE);
			j->failed = 1;
		}
		free(ids);
		free(cs);
	}
	if (j->agent[0] == '\0')
		return;
	/* Her last socket here: the owner acts if it was her last anywhere. */
	op_run(db, OP_AGENT_DISCONNECTED, &a, &in, &out);
	if (out.status == 503)
		j->failed = J_AGAIN;
	else if (out.status >= 400 && out.code != NULL &&
	    strcmp(out.code, "not_found") != 0)
		log_warn("ws: agent %s's last socket went: %s", j->agent,
		    out.detail);
	op_out_free(&out);
}

/* Loop: remember an agent.disconnected to ask again (tries so far). */
static void
retry_add(const struct wsjob *j, int tries)
{
	struct retry	*r;

	if (tries >= RETRY_TRIES || nretries == RETRY_MAX) {
		log_warn("ws: agent %s's last socket went; no owner of company"
		    " %s answered: not asked again", j->agent, j->company);
		return;
	}
	r = &retries[nretries++];
	strlcpy_(r->company, j->company, sizeof r->company);
	strlcpy_(r->user, j->user, sizeof r->user);
	strlcpy_(r->agent, j->agent, sizeof r->agent);
	r->tries = tries;
}

static void
put_done(struct wsjob *j)
{
	if (j->failed == J_AGAIN) {
		retry_add(j, j->tries);
		return;
	}
	if (j->failed)
		log_warn("ws: agents' sockets could not be recorded; again"
		    " shortly");
}

/*
 * Write the agent's count here (clustered) and, gone set, when none is
 * left, ask for agent.disconnected.
 */
static void
submit(const struct conn *c, int n, int gone)
{
	struct wsjob	*j = ws_job_new(put_run, put_done);

	strlcpy_(j->company, c->company, sizeof j->company);
	strlcpy_(j->user, c->user, sizeof j->user);
	if (gone && n == 0)
		strlcpy_(j->agent, c->agent, sizeof j->agent);
	if (owner_clustered())
		j->in = json_pack("{s:[s],s:[i],s:I,s:b}", "agents", c->agent,
		    "counts", n, "seq", (json_int_t)++seq, "all", 0);
	ws_job_submit(NULL, j);
}

void
ws_presence_opened(struct conn *c)
{
	if (c->caller || c->agent[0] == '\0' || !owner_clustered())
		return;
	submit(c, count(c->agent, NULL), 0);
}

void
ws_presence_closed(struct conn *c, int shutdown)
{
	int	 n;

	if (c->state != C_AUTHED || c->caller || c->agent[0] == '\0')
		return;
	/*
	 * A shutdown ends nothing: calls outlive the daemon, and its rows go
	 * with its registration (cluster_stop()).
	 */
	if (shutdown)
		return;
	n = count(c->agent, c);
	if (n == 0 || owner_clustered())
		submit(c, n, 1);
}

void
ws_presence_resync(void)
{
	__atomic_store_n(&resync, 1, __ATOMIC_RELEASE);
}

/* The agent.disconnected still to ask for, unless she came back here. */
static void
retry_run(void)
{
	struct retry	 r[RETRY_MAX];
	struct wsjob	*j;
	int		 n = nretries;

	memcpy(r, retries, (size_t)n * sizeof r[0]);
	nretries = 0;
	for (int i = 0; i < n; i++) {
		if (count(r[i].agent, NULL) > 0)
			continue;
		j = ws_job_new(put_run, put_done);
		strlcpy_(j->company, r[i].company, sizeof j->company);
		strlcpy_(j->user, r[i].user, sizeof j->user);
		strlcpy_(j->agent, r[i].agent, sizeof j->agent);
		j->tries = r[i].tries + 1;
		ws_job_submit(NULL, j);
	}
}

/* From the sweep: after a resync was asked for, every agent's count. */
void
ws_presence_tick(void)
{
	struct wsjob	*j;
	json_t		*agents, *counts;
	struct sub	*s;

	if (nretries > 0)
		retry_run();
	if (!__atomic_exchange_n(&resync, 0, __ATOMIC_ACQ_REL) ||
	    !owner_clustered())
		return;
	agents = json_array();
	counts = json_array();
	for (struct conn *c = ws_conns; c != NULL; c = c->next) {
		if (c->state != C_AUTHED || c->caller || c->agent[0] == '\0' ||
		    c->close_code != 0)
			continue;
		/* Once an agent: at her first open socket in her list. */
		for (s = ws_index_first(IX_AGENT, 0, c->agent); s != NULL;
		    s = s->next) {
			if (s->c->state == C_AUTHED && !s->c->caller &&
			    s->c->close_code == 0 &&
			    strcmp(s->c->agent, c->agent) == 0)
				break;
		}
		if (s == NULL || s->c != c)
			continue;
		json_array_append_new(agents, json_string(c->agent));
		json_array_append_new(counts, json_integer(count(c->agent,
		    NULL)));
	}
	j = ws_job_new(put_run, put_done);
	j->in = json_pack("{s:o,s:o,s:I,s:b}", "agents", agents, "counts",
	    counts, "seq", (json_int_t)++seq, "all", 1);
	ws_job_submit(NULL, j);
}
