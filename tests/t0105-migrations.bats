#!/usr/bin/env bats
# Schema migrations: a database upgraded with data in it ends up with the
# same schema as a fresh one; a database that disagrees with the build (a
# migration changed after it was applied, one the build does not have) is
# refused at start with one line naming the file; rows from before
# checksums were kept get theirs; daemons starting together apply each
# migration once.

load lib/common

# The upgrade test's first daemon applies the migrations up to this number
# only (CALLDOCKER_MIGRATE_UNTIL, for tests only) and stops; the data of
# that time is then written in SQL (this build's daemon reads this build's
# schema), and the next start applies the rest. The first daemon must still
# start on that schema with no rows: it reads agents.pending_state (012).
OLD=012

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

# schema CONNINFO FILE: pg_dump --schema-only without comments, blank lines
# and the \restrict key pg_dump draws anew for every dump.
schema() {
	pg_dump --schema-only -d "$1" >"$2.raw"
	grep -v -e '^--' -e '^$' -e '^\\restrict ' -e '^\\unrestrict ' "$2.raw" >"$2"
	grep -q '^CREATE TABLE public\.calls ' "$2"
}

# start_once [VAR=VALUE...]: calldockerd on $CD_DBURL in the foreground, for
# a start that must fail; sets status, output and stderr.
start_once() {
	mkdir -p "$CD_TMP/once"
	chmod 0700 "$CD_TMP/once"
	run --separate-stderr env CALLDOCKER_JWT_SECRET="$CD_SECRET" \
		CALLDOCKER_DATABASE_URL="$CD_DBURL" "$@" \
		timeout 60 "$CD_DAEMON" --socket "$CD_TMP/once/d.sock" --listen "" \
		--data-dir "$CD_TMP/once" 3>&-
}

# A database with every migration applied by a daemon that then stopped.
migrated_db() {
	db_create "$1"
	daemon_start "$1"
	daemon_stop "$1"
}

setup_file() { cd_init; }
teardown_file() { cd_teardown; }

@test "upgrade: data written on an older schema, the rest applied at start: same schema as a fresh database" {
	local later fresh co mgr user agent q call
	later=$(ls "$TOP/sql" | awk -v old="$OLD" '$0 + 0 > old + 0' | wc -l)
	((later > 0)) || { echo "no migration after $OLD: the upgrade would apply nothing" >&2; return 1; }

	migrated_db t_t0105_fresh
	fresh=$CD_DBURL

	db_create t_t0105_upgraded
	daemon_start old CALLDOCKER_MIGRATE_UNTIL=$OLD
	run sql "SELECT count(*) FROM schema_migrations
		WHERE substring(version FROM '^[0-9]+')::int > $((10#$OLD))"
	assert_output 0
	daemon_stop old
	# Data as a daemon of that time left it, written in SQL: today's
	# daemon reads today's schema, so it cannot stand in for an old one.
	co=$(sql "INSERT INTO companies (name) VALUES ('Upgrade Co') RETURNING id")
	user=$(sql "INSERT INTO users (email, name, role, password_hash, company_id)
		VALUES ('ann@upgrade.test', 'Ann', 'agent', 'x', '$co') RETURNING id")
	agent=$(sql "INSERT INTO agents (company_id, user_id, name)
		VALUES ('$co', '$user', 'Ann') RETURNING id")
	q=$(sql "INSERT INTO queues (company_id, name) VALUES ('$co', 'Sales') RETURNING id")
	sql "INSERT INTO queue_members (queue_id, agent_id) VALUES ('$q', '$agent')"
	call=$(sql "INSERT INTO calls (company_id, queue_id, state, caller_number, enqueued_at)
		VALUES ('$co', '$q', 'queued', '+15550100', now()) RETURNING id")

	daemon_start new
	run grep -c 'applied migration' "$CD_LOG"
	assert_output "$later"
	mkuser boss@upgrade.test manager "$co" >/dev/null
	mgr=$(login boss@upgrade.test)
	api GET "/api/calls/$call" "" "$mgr" >/dev/null
	assert_status 200
	assert_json .queue_id "$q"
	daemon_stop new

	schema "$fresh" "$CD_TMP/fresh.sql"
	schema "$CD_DBURL" "$CD_TMP/upgraded.sql"
	diff -u "$CD_TMP/fresh.sql" "$CD_TMP/upgraded.sql"
	CD_DBURL=$fresh sql "SELECT version, checksum FROM schema_migrations ORDER BY 1" \
		>"$CD_TMP/fresh.applied"
	sql "SELECT version, checksum FROM schema_migrations ORDER BY 1" >"$CD_TMP/upgraded.applied"
	diff -u "$CD_TMP/fresh.applied" "$CD_TMP/upgraded.applied"
}

@test "each applied migration is recorded with the SHA-256 of its file" {
	local f v
	migrated_db t_t0105_sums
	for f in "$TOP"/sql/*.sql; do
		v=$(basename "$f" .sql)
		run sql "SELECT checksum FROM schema_migrations WHERE version = '$v'"
		assert_output "$(sha256sum "$f" | cut -c1-64)"
	done
}

@test "a migration changed after it was applied is refused at start, naming the file" {
	local sum zeros
	migrated_db t_t0105_changed
	sum=$(sha256sum "$TOP/sql/003_ivr.sql" | cut -c1-64)
	zeros=$(printf '0%.0s' {1..64})
	sql "UPDATE schema_migrations SET checksum = '$zeros' WHERE version = '003_ivr'"
	start_once
	assert_equal "$status" 1
	assert_equal "$(grep -c . <<<"$stderr")" 1
	assert_regex "$stderr" "error +database: migration 003_ivr\.sql was changed after it was applied \(checksum $zeros in the database, $sum in this build\); add a new migration instead$"
}

@test "a migration the build does not have (a newer daemon's) is refused at start" {
	migrated_db t_t0105_newer
	sql "INSERT INTO schema_migrations (version, checksum) VALUES ('999_from_a_newer_build', repeat('a', 64))"
	start_once
	assert_equal "$status" 1
	assert_equal "$(grep -c . <<<"$stderr")" 1
	assert_regex "$stderr" "error +database: migration 999_from_a_newer_build\.sql is applied but this build does not have it"
}

@test "migrations applied before checksums were kept get the current files' at the next start" {
	local f v
	migrated_db t_t0105_legacy
	# As the runner left the table before it kept checksums.
	sql "ALTER TABLE schema_migrations DROP COLUMN checksum"
	daemon_start legacy
	run grep -c 'recorded the checksum of migration' "$CD_LOG"
	assert_output "$(ls "$TOP"/sql/*.sql | wc -l)"
	daemon_stop legacy
	for f in "$TOP"/sql/*.sql; do
		v=$(basename "$f" .sql)
		run sql "SELECT checksum FROM schema_migrations WHERE version = '$v'"
		assert_output "$(sha256sum "$f" | cut -c1-64)"
	done
}

@test "two daemons starting together on a new database apply each migration once" {
	local pid
	db_create t_t0105_race
	daemon_start race1 &
	pid=$!
	daemon_start race2
	wait "$pid"
	run grep -h -c 'applied migration' "$CD_TMP/race1/log" "$CD_TMP/race2/log"
	assert_equal "$(($(head -n1 <<<"$output") + $(tail -n1 <<<"$output")))" \
		"$(ls "$TOP"/sql/*.sql | wc -l)"
	run sql "SELECT count(*) FROM schema_migrations"
	assert_output "$(ls "$TOP"/sql/*.sql | wc -l)"
	daemon_stop race1
	daemon_stop race2
}

@test "CALLDOCKER_MIGRATE_UNTIL that is not a number is refused" {
	db_create t_t0105_until
	start_once CALLDOCKER_MIGRATE_UNTIL=latest
	assert_equal "$status" 1
	assert_regex "$stderr" 'error +database: CALLDOCKER_MIGRATE_UNTIL=latest is not a migration number$'
}
