/*
 * agent.disconnected: an agent's last socket went, over every node of the
 * cluster (docs/ws.md, "When a socket goes"; docs/cluster.md, "Agents'
 * sockets over the nodes"). Run on the company's owner, asked by the node
 * whose socket closed or by the owner itself for the sockets of a node
 * that died: if she has a socket on a live node still, nothing; else she
 * is set away when an offer rings for her (which takes it back), and her
 * connected and held calls end.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "db.h"
#include "call.h"
#include "db-agent.h"
#include "db-call.h"
#include "db-presence.h"
#include "hub.h"
#include "owner.h"
#include "op.h"
#include "op-int.h"

#define MAX_LIVE	16	/* her connected and held calls, at most */

void
op_agent_disconnected(struct db *db, const struct actor *a,
    const char *company, const struct op_in *in, struct op_out *out)
{
	static const char *const live_states[] = { "connected", "on_hold" };
	struct hub_result	 r;
	struct op_out		 o;
	struct page		 pg;
	struct call_rows	*calls;
	int			 n;

	/* A socket of hers opened elsewhere meanwhile (or is still open). */
	if (owner_clustered()) {
		if ((n = db_presence_live(db, in->agent)) < 0)
			return op_fail_db(out, db);
		if (n > 0) {
			log_info("agent %s: a socket of hers went; %d still"
			    " open on live nodes", in->agent, n);
			out->status = 204;
			return;
		}
	}
	log_info("agent %s: her last socket went", in->agent);
	hub_agent_disconnected(db, company, in->agent, &r);
	agent_rows_free(r.agent);
	if (r.status >= 400)
		return op_fail(out, r.status, r.code, "%s", r.detail);
	out->status = 204;
	/*
	 * Her calls as the database has them: the events that would tell a
	 * node's socket table of a call (an answer acked just before the
	 * close) may not have reached it yet.
	 */
	for (size_t s = 0; s < 2; s++) {
		struct call_filter f = { .state = live_states[s],
		    .agent = in->agent };

		memset(&pg, 0, sizeof pg);
		pg.limit = MAX_LIVE;
		snprintf(pg.limit_str, sizeof pg.limit_str, "%d", MAX_LIVE);
		if ((calls = db_call_list(db, company, &f, &pg)) == NULL)
			return op_fail_db(out, db);
		for (int i = 0; i < calls->n; i++) {
			struct op_in h = { .call = calls->v[i].id,
			    .reason = "agent_disconnected" };

			/* One that ended meanwhile is an illegal move: fine. */
			op_run(db, OP_CALL_HANGUP, a, &h, &o);
			op_out_free(&o);
		}
		call_rows_free(calls);
	}
}
