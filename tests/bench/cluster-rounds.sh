#!/bin/bash
# The cost of a company round's ranking (docs/cluster.md, "Capacity plan"):
# the statement of db/db-owner.c that picks the companies hashing to one
# node among the live nodes (rendezvous hashing, hashtext, in SQL), timed
# by EXPLAIN ANALYZE (the median of three) on a private PostgreSQL, with N
# live nodes and C companies in tables shaped like cluster_nodes and
# companies (the columns it reads). Every node runs it every
# company_renew (0.4 s).
#
#   tests/bench/cluster-rounds.sh ["NODES..." ["COMPANIES..."]]
#	(default "3 10 100" "100 1000 10000")
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
nodes=${1:-3 10 100}
comps=${2:-100 1000 10000}
tmp=$(mktemp -d /tmp/cdround.XXXXXX)
chmod 0711 "$tmp"
cleanup() {
	"$top/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
"$top/scripts/pg.sh" start "$tmp/pg" --fast >/dev/null
"$top/scripts/pg.sh" createdb "$tmp/pg" rounds >/dev/null
url=$("$top/scripts/pg.sh" url "$tmp/pg" rounds)
q() { psql -qAtX -v ON_ERROR_STOP=1 "$url" "$@"; }
q -c "CREATE TABLE cluster_nodes (id uuid PRIMARY KEY, cluster text,
	expires_at timestamptz, heartbeat_at timestamptz);
	CREATE TABLE companies (id uuid PRIMARY KEY)"
# db/db-owner.c's st_want, word for word
want="WITH live AS (SELECT id FROM cluster_nodes WHERE cluster = \$2
  AND expires_at > now()
  AND heartbeat_at > now() - make_interval(secs => \$3::float8))
 SELECT 'company:' || c.id FROM companies c
 WHERE (SELECT l.id FROM live l ORDER BY
  hashtext(l.id::text || c.id::text) DESC, l.id LIMIT 1) = \$1::uuid
 ORDER BY 1"
printf '%-10s' nodes
for c in $comps; do printf '%18s' "$c companies"; done
echo
for n in $nodes; do
	printf '%-10s' "$n"
	for c in $comps; do
		q -c "TRUNCATE cluster_nodes, companies" \
			-c "INSERT INTO cluster_nodes SELECT gen_random_uuid(), 'b',
				now() + interval '1 hour', now() + interval '1 hour'
				FROM generate_series(1, $n)" \
			-c "INSERT INTO companies SELECT gen_random_uuid() FROM generate_series(1, $c)" \
			-c "ANALYZE" >/dev/null
		node=$(q -c "SELECT id FROM cluster_nodes LIMIT 1")
		ms=$(q -c "PREPARE w(uuid, text, float8) AS $want" \
			-c "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE w('$node', 'b', 1.2)" \
			-c "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE w('$node', 'b', 1.2)" \
			-c "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE w('$node', 'b', 1.2)" |
			jq -s 'map(.[0]["Execution Time"]) | sort | .[1]')
		printf '%15.1f ms' "$ms"
	done
	echo
done
echo "(one node's ranking, each round; the cluster runs nodes x 2.5 a second)"
