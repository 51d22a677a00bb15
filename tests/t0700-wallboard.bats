#!/usr/bin/env bats
# calldocker wallboard driven under tmux against a live daemon: what the
# REST API changes shows on screen within the refresh interval, the keys
# (filter, sort, help, details, quit), supervisor actions (monitor, whisper,
# barge included) and --readonly
# (checked through the API), a resize, the stale indicator while the daemon
# is down, and the terminal restored on q and on SIGTERM. The wallboard
# runs as a manager (--token) over the socket.

load lib/common

# tmux on a private socket, without the user's configuration.
tm() {
	tmux -S "$CD_TMP/tmux.sock" -f "$CD_TMP/tmux.conf" "$@"
}

# No tmux server left: a new one must not meet the old one going away.
tm_reset() {
	local i
	tm kill-server 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		[[ -S $CD_TMP/tmux.sock ]] || return 0
		sleep 0.1
	done
}

# wb_start WIDTH HEIGHT [WALLBOARD-FLAGS...]: a fresh session "wb".
wb_start() {
	local w=$1 h=$2
	shift 2
	tm_reset
	# A shell stays in the pane after the wallboard, so that the state
	# of the terminal it leaves behind can be checked.
	tm new-session -d -s wb -x "$w" -y "$h" \
		sh -c '"$@"; echo "wallboard exited $?"; exec sleep 60' sh \
		env XDG_CONFIG_HOME="$CD_TMP/xdg" "$CD_CLI" \
		--host "unix://$CD_SOCK" --token "$MGR" wallboard -d 1 "$@"
	wait_screen 'live'
}

# wait_exit STATUS: the wallboard ended with STATUS and left the terminal
# as it found it: main screen, cursor shown.
wait_exit() {
	wait_screen "^wallboard exited [0-9]+"
	run screen
	assert_output --partial "wallboard exited $1"
	refute_output --partial 'Queues'
	[[ $(pane '#{alternate_on}') == 0 ]]
	[[ $(pane '#{cursor_flag}') == 1 ]]
}

screen() { tm capture-pane -p -t wb; }
pane() { tm display-message -p -t wb "$1"; }

# wait_screen REGEX [SECONDS]: until the pane shows a line matching REGEX
# (5 s by default; the two checks the issue times say 2).
wait_screen() {
	local re=$1 secs=${2:-5} end
	end=$((SECONDS + secs))
	while ((SECONDS <= end)); do
		screen 2>/dev/null | grep -Eq -- "$re" && return 0
		sleep 0.1
	done
	echo "no line matching /$re/ within ${secs}s; screen:" >&2
	screen >&2 || true
	return 1
}

# wait_gone REGEX [SECONDS]: until no line of the pane matches REGEX.
wait_gone() {
	local re=$1 secs=${2:-5} end
	end=$((SECONDS + secs))
	while ((SECONDS <= end)); do
		screen 2>/dev/null | grep -Eq -- "$re" || return 0
		sleep 0.1
	done
	echo "a line still matches /$re/ after ${secs}s; screen:" >&2
	screen >&2 || true
	return 1
}

mkagent() { # EMAIL NAME -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" --arg n "$2" \
		'{user_id: $u, name: $n}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

setup_file() {
	command -v tmux >/dev/null || skip "no tmux"
	cd_setup
	printf 'set -g status off\n' >"$CD_TMP/tmux.conf"
	CO=$(mkcompany "Wall Co")
	mkuser boss@wall.test manager "$CO" >/dev/null
	MGR=$(login boss@wall.test)
	A1=$(mkagent ann@wall.test "Ann Lee")
	A2=$(mkagent bob@wall.test "Bob Ray")
	T2=$(login bob@wall.test)
	api PUT "/api/agents/$A2" '{"endpoint":"phone","endpoint_address":"+15550199"}' "$MGR" >/dev/null
	export CO MGR A1 A2 T2
	ANY_TIME='[0-9]+:[0-9]{2}'
	export ANY_TIME
}

teardown() {
	tm kill-server 2>/dev/null || true
	kill -CONT "$CD_PID" 2>/dev/null || true	# after a failed SIGSTOP test
}

teardown_file() {
	tm kill-server 2>/dev/null || true
	cd_teardown
}

@test "wallboard: a new queue and a waiting call show within 2 s" {
	wb_start 80 24
	wait_screen '1 Queues \(0\)'
	wait_screen 'Wall Co'
	api POST /api/queues "$(jq -nc --arg a "$A1" --arg b "$A2" \
		'{name: "Sales", members: [{agent_id: $a}, {agent_id: $b}]}')" "$MGR" >/dev/null
	assert_status 201
	wait_screen '^ ?Sales +[0-9]'
	q=$(jget .id)
	api POST /api/calls "$(jq -nc --arg q "$q" \
		'{queue_id: $q, caller_name: "Zed", caller_number: "+15550123"}')" "$MGR" >/dev/null
	assert_status 201
	wait_screen 'Zed \+15550123 +Sales +queued' 2
	# The queue counts it as waiting (WAIT column); nothing is answered
	# or abandoned yet: no service level, abandon rate 0, no ASA or AHT.
	wait_screen '^ ?Sales +1 +[0-9:]+ +- +0 +0 +- +- ' 2
	[[ $(screen | wc -l) -le 24 ]]
}

@test "wallboard: an agent's state change shows" {
	wb_start 80 24
	wait_screen 'Bob Ray +offline'
	api PUT "/api/agents/$A2/availability" '{"state": "away", "reason": "lunch"}' "$T2" >/dev/null
	assert_status 200
	wait_screen 'Bob Ray +away .*lunch' 2
}

@test "wallboard: a deleted agent leaves the board at once" {
	id=$(mkagent zed@wall.test "Zed Temp")
	wb_start 80 24
	wait_screen 'Zed Temp +offline'
	api DELETE "/api/agents/$id" "" "$MGR"
	assert_status 204
	wait_gone 'Zed Temp' 2
}

@test "wallboard: / filters the agents, Esc clears; s sorts; ? helps" {
	wb_start 80 24
	wait_screen 'Agents \(2\)'
	tm send-keys -t wb / A n n Enter
	wait_screen 'Agents \(1 of 2\)'
	wait_screen 'filter: Ann'
	screen | grep -q 'Ann Lee'
	run screen
	refute_output --partial 'Bob Ray'
	tm send-keys -t wb Escape
	wait_screen 'Agents \(2\)'
	wait_screen 'Bob Ray'
	# Focus the agents panel, cycle its sort column.
	tm send-keys -t wb 2 s
	wait_screen '2 Agents \(2\)  sort: state'
	tm send-keys -t wb '?'
	wait_screen 'this help'
	tm send-keys -t wb x
	wait_gone 'this help'
	wait_screen 'live'
}

@test "wallboard: a resize to 200x50 keeps the layout" {
	wb_start 80 24
	wait_screen 'QUEUE +WAIT'
	tm resize-window -t wb -x 200 -y 50
	# Wide: agents and calls side by side, every queue column shown.
	wait_screen 'Agents \(2\).*Calls'
	wait_screen 'QUEUE +WAIT +LONGEST +SL% +ANS +ABN% +ASA +AHT +AVL +CALL +WRAP +AWAY +OFF +NEED'
	wait_screen 'AGENT +STATE +TIME +CALLS .*CALLER +QUEUE +STATE +TIME +AGENT'
	[[ $(screen | wc -l) -eq 50 ]]
	tm resize-window -t wb -x 80 -y 24
	wait_screen '^ ?Calls \(|^.* 3 Calls \('
	wait_gone 'Agents \(2\).*Calls'
	# Header on the first line, keys on the last, nothing wider than 80.
	wait_screen '^ CallDocker  Wall Co .* live  [0-9:]+$'
	[[ $(screen | wc -l) -eq 24 ]]
	[[ $(screen | sed -n 24p) == *'? help  q quit'* ]]
	(( $(screen | LC_ALL=C.UTF-8 wc -L) <= 80 ))
}

# colours SESSION: the pane's escape sequences set a foreground or
# background colour (SGR 30-37, 40-47), not just the defaults 39/49.
colours() {
	tm capture-pane -e -p -t "$1" | grep -Eq $'\e\\[([0-9]+;)*(3[0-7]|4[0-7])(;[0-9]+)*m'
}

@test "wallboard: colours; monochrome with -C and with NO_COLOR" {
	# The suite runs with NO_COLOR=1 (tests/lib/common.bash): unset it.
	tm kill-server 2>/dev/null || true
	for s in colour mono nocolor; do
		flags=()
		envs=(-u NO_COLOR)
		[[ $s == mono ]] && flags=(-C)
		[[ $s == nocolor ]] && envs=(NO_COLOR=1)
		tm new-session -d -s "$s" -x 80 -y 24 env "${envs[@]}" \
			XDG_CONFIG_HOME="$CD_TMP/xdg" "$CD_CLI" --host "unix://$CD_SOCK" \
			--token "$MGR" wallboard -d 1 "${flags[@]}"
	done
	for s in colour mono nocolor; do
		wait_for 5 eval "tm capture-pane -p -t $s | grep -q 'live  '"
	done
	colours colour
	! colours mono
	! colours nocolor
	# Monochrome still marks the header and the focused panel.
	tm capture-pane -e -p -t mono | grep -q $'\e\\[[0-9;]*7m'
}

@test "wallboard: the system admin names the company with --company" {
	O=$(mkcompany "Third Co")
	mkuser boss@third.test manager "$O" >/dev/null
	TO=$(login boss@third.test)
	api POST /api/queues '{"name": "Elsewhere"}' "$TO" >/dev/null
	assert_status 201
	api POST /api/calls "$(jq -nc --arg q "$(jget .id)" \
		'{queue_id: $q, caller_name: "Quinn"}')" "$TO" >/dev/null
	assert_status 201
	# Root on the socket is the admin (no token).
	tm kill-server 2>/dev/null || true
	tm new-session -d -s wb -x 80 -y 24 env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --company "$CO" wallboard -d 1
	wait_screen 'CallDocker  Wall Co'
	wait_screen '^ ?Sales +[0-9]'
	wait_screen 'Zed \+15550123'
	run screen
	refute_output --partial 'Elsewhere'
	refute_output --partial 'Quinn'
}

@test "wallboard: events show at once, whatever the interval; --poll reads REST" {
	Q=$(api GET /api/queues "" "$MGR" | jq -r '.items[] | select(.name == "Sales") | .id')
	# REST only every 30 s: what shows within 2 s came as an event.
	wb_start 80 24 -d 30
	wait_screen 'Bob Ray +(away|offline)'
	api PUT "/api/agents/$A2/availability" '{"state": "away", "reason": "training"}' "$T2" >/dev/null
	assert_status 200
	wait_screen 'Bob Ray +away .*training' 2
	C=$(mkcall "$Q" Uma)
	wait_screen 'Uma \+15550199 +Sales +queued' 2
	api POST "/api/calls/$C/hangup" '{}' "$MGR" >/dev/null
	wait_gone 'Uma \+15550199' 2
	# The same through the REST API alone.
	wb_start 80 24 --poll
	api PUT "/api/agents/$A2/availability" '{"state": "away", "reason": "lunch"}' "$T2" >/dev/null
	wait_screen 'Bob Ray +away .*lunch' 2
	C=$(mkcall "$Q" Ugo)
	wait_screen 'Ugo \+15550199 +Sales +queued' 2
	api POST "/api/calls/$C/hangup" '{}' "$MGR" >/dev/null
}

@test "wallboard: q quits and restores the terminal" {
	wb_start 80 24 --readonly -C
	wait_screen '\[read-only\]'
	[[ $(pane '#{alternate_on}') == 1 ]]
	tm send-keys -t wb q
	wait_exit 0
}

@test "wallboard: SIGTERM restores the terminal" {
	wb_start 80 24
	# The wallboard is the only child of the pane's shell.
	pid=$(pgrep -P "$(pane '#{pane_pid}')")
	kill -TERM "$pid"
	wait_exit 143
}

@test "wallboard: without a daemon it says so and keeps retrying" {
	tm kill-server 2>/dev/null || true
	tm new-session -d -s wb -x 80 -y 24 \
		env XDG_CONFIG_HOME="$CD_TMP/xdg" "$CD_CLI" \
		--host "unix://$CD_TMP/nobody.sock" --token "$MGR" wallboard -d 1
	wait_screen 'connecting, retry in [0-9]+s'
	wait_screen 'cannot connect to .*nobody\.sock'
	wait_screen '1 Queues \(0\)'
}

@test "wallboard: refuses to start without a terminal or with a bad interval" {
	run -2 cli wallboard </dev/null
	assert_output --partial 'needs a terminal'
	run -2 cli wallboard -d 0
	assert_output --partial 'bad interval'
}

# agent_is ID JQ-FILTER: the agent as the API has it satisfies the filter.
agent_is() {
	api GET "/api/agents/$1" "" "$MGR" >/dev/null
	[[ $status == 200 ]] && jq -e "$2" <<<"$output" >/dev/null
}

call_is() {
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	[[ $status == 200 ]] && jq -e "$2" <<<"$output" >/dev/null
}

# mkcall QUEUE-ID NAME -> call id
mkcall() {
	api POST /api/calls "$(jq -nc --arg q "$1" --arg n "$2" \
		'{queue_id: $q, caller_name: $n, caller_number: "+15550199"}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkcall $2: $status $output" >&2; return 1; }
	jget .id
}

# mkqueue NAME [AGENT-ID...] -> queue id
mkqueue() {
	local name=$1
	shift
	api POST /api/queues "$(jq -nc --arg n "$name" '{name: $n, sl_threshold: 20,
		members: [$ARGS.positional[] | {agent_id: .}]}' --args "$@")" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkqueue $name: $status $output" >&2; return 1; }
	jget .id
}

@test "wallboard: a handled call counts for today; GET /api/agents/today" {
	D=$(mkagent dee@wall.test "Dee Fox")
	TD=$(login dee@wall.test)
	QC=$(mkqueue Care "$D")
	wb_start 80 24
	api PUT "/api/agents/$D/availability" '{"state": "available"}' "$TD" >/dev/null
	assert_status 200
	C=$(mkcall "$QC" Wes)
	wait_for 5 call_is "$C" '.state == "offering"'
	wait_screen "Dee Fox +offering +$ANY_TIME +0 +Wes" 5
	api POST "/api/calls/$C/answer" '' "$TD" >/dev/null
	assert_status 200
	wait_screen "Dee Fox +busy +$ANY_TIME +1 +Wes" 5
	wait_screen "Wes \+15550199 +Care +connected +$ANY_TIME +Dee Fox" 5
	api POST "/api/calls/$C/hangup" '' "$TD" >/dev/null
	assert_status 200
	api POST "/api/calls/$C/wrap" '{"disposition": "resolved"}' "$TD" >/dev/null
	assert_status 200
	call_is "$C" '.state == "completed"'
	wait_screen "Dee Fox +available +$ANY_TIME +1( |\$)" 5
	# Care: nothing waits, 100% within the threshold, one answered, none
	# abandoned, ASA and AHT measured.
	wait_screen "^ ?Care +0 +0:00 +100 +1 +0 +$ANY_TIME +$ANY_TIME "
	# The figure the wallboard reads: per agent, today.
	api GET /api/agents/today "" "$MGR" >/dev/null
	assert_status 200
	jq -e --arg d "$D" '.items | map(select(.agent_id == $d)) |
		.[0].handled == 1 and (.[0].talk_seconds >= 0)' <<<"$output"
	jq -e --arg b "$A2" '.items | map(select(.agent_id == $b)) | length == 0' <<<"$output"
	# An agent sees it too; another company sees none of it.
	api GET /api/agents/today "" "$TD" >/dev/null
	assert_status 200
	O=$(mkcompany "Other Co")
	mkuser boss@other.test manager "$O" >/dev/null
	api GET /api/agents/today "" "$(login boss@other.test)" >/dev/null
	assert_status 200
	assert_json '.items' '[]'
	api PUT "/api/agents/$D/availability" '{"state": "offline"}' "$TD" >/dev/null
}

@test "wallboard: Enter shows the details of a queue, an agent, a call" {
	wb_start 80 24
	wait_screen 'Agents \(3\)'
	# The queues panel has the focus: Sales is the last by name? Filter it.
	tm send-keys -t wb / S a l e s Enter
	wait_screen 'Queues \(1 of [0-9]+\)'
	tm send-keys -t wb Enter
	wait_screen '─ Queue ─'
	wait_screen '│ Queue +Sales'
	wait_screen 'Service level +(- \(no call answered or abandoned today; threshold 20s\)|[0-9]+% answered within 20s today)'
	wait_screen 'Callbacks +0 waiting; today 0 requested, 0 completed, 0 failed'
	wait_screen 'Members +2: (Ann Lee, Bob Ray|Bob Ray, Ann Lee)'
	wait_screen 'Esc close'
	tm send-keys -t wb Escape
	wait_gone 'Esc close'
	tm send-keys -t wb Escape
	# An agent.
	tm send-keys -t wb 2 / B o b Enter
	wait_screen 'Agents \(1 of 3\)'
	tm send-keys -t wb Enter
	wait_screen '│ Agent +Bob Ray'
	wait_screen "State +[a-z_]+ for $ANY_TIME \(since"
	wait_screen 'Calls today +0'
	wait_screen 'Endpoint +phone \+15550199'
	wait_screen 'Queues +Sales'
	wait_screen 'a avail  w away  o offline'
	tm send-keys -t wb q
	wait_gone 'Esc close'
	wait_screen 'live'
	tm send-keys -t wb Escape
	# A call.
	tm send-keys -t wb 3 / Z e d Enter
	wait_screen 'Calls \((1 of [0-9]+|1)\)'
	tm send-keys -t wb Enter
	wait_screen '│ Caller +Zed \+15550123'
	wait_screen 'Queue +Sales'
	wait_screen 'Enqueued +[0-9:]+, answered'
	# Its history, from GET /api/calls/:id.
	wait_screen 'Events +[0-9:]+ call\.(created|queued)'
	wait_screen 't transfer  x hang up'
	[[ $(screen | wc -l) -le 24 ]]
}

@test "wallboard: NEED shows the forecast's agents needed; the details its half hours" {
	# 200 calls in the last hour at 170 s talk and 10 s wrap-up: 10
	# erlangs, 14 agents needed (docs/api.md, "Staffing forecast"); no
	# member, so none signed in; no past weeks, so every half hour alike.
	api POST /api/queues '{"name": "Zforecast", "sl_threshold": 20, "wrap_up": 10}' "$MGR" >/dev/null
	[[ $status == 201 ]]
	local q
	q=$(jget .id)
	psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "INSERT INTO calls
		(company_id, queue_id, state, created_at, enqueued_at, answered_at,
		 ended_at, wait_seconds, talk_seconds)
	     SELECT '$CO', '$q', 'completed', t, t, t + interval '5 seconds',
		t + interval '175 seconds', 5, 170
	     FROM (SELECT now() - interval '50 minutes' + g * interval '1 second'
		AS t FROM generate_series(0, 199) g) x"
	wb_start 120 30
	tm send-keys -t wb / Z f o r e c a s t Enter
	wait_screen 'Queues \(1 of [0-9]+\)'
	wait_screen 'QUEUE +WAIT.* NEED'
	wait_screen 'Zforecast .* 14 *$'
	tm send-keys -t wb Enter
	wait_screen 'Forecast +need 14 now; 0 signed in: 0% within 20s, overloaded; per half hour: 14 14 14 14'
	tm send-keys -t wb Escape '?'
	wait_screen 'NEED \(agents needed now, forecast; managers\)'
}

@test "wallboard: a supervisor sets an agent away, then available" {
	# Fay is in no queue: nothing is offered to her when she is available.
	F=$(mkagent fay@wall.test "Fay Lin")
	wb_start 80 24
	tm send-keys -t wb 2 / F a y Enter
	wait_screen 'Fay Lin +offline'
	tm send-keys -t wb w
	wait_screen 'away reason for Fay Lin:'
	tm send-keys -t wb -l 'coaching'
	tm send-keys -t wb Enter
	wait_screen 'Fay Lin is now away \(coaching\)'
	wait_for 5 agent_is "$F" '.state == "away" and .pause_reason == "coaching"'
	wait_screen 'Fay Lin +away .*coaching' 5
	# Esc cancels a question; nothing changes.
	tm send-keys -t wb w
	wait_screen 'away reason for Fay Lin:'
	tm send-keys -t wb Escape
	wait_screen 'cancelled'
	agent_is "$F" '.pause_reason == "coaching"'
	# Offline asks first; n keeps the agent as it is.
	tm send-keys -t wb o
	wait_screen 'set Fay Lin offline\? y/n'
	tm send-keys -t wb n
	wait_screen 'set Fay Lin offline: cancelled'
	agent_is "$F" '.state == "away"'
	tm send-keys -t wb o
	wait_screen 'set Fay Lin offline\? y/n'
	tm send-keys -t wb y
	wait_for 5 agent_is "$F" '.state == "offline"'
	wait_screen 'Fay Lin is now offline'
	wait_screen 'Fay Lin +offline' 5
	# And back: a makes the agent available at once.
	tm send-keys -t wb a
	wait_for 5 agent_is "$F" '.state == "available"'
	wait_screen 'Fay Lin is now available'
	wait_screen 'Fay Lin +available' 5
	api PUT "/api/agents/$F/availability" '{"state": "offline"}' "$MGR" >/dev/null
}

@test "wallboard: a supervisor hangs up a waiting call after y" {
	Q=$(api GET /api/queues "" "$MGR" | jq -r '.items[] | select(.name == "Sales") | .id')
	C=$(mkcall "$Q" Yan)
	wb_start 80 24
	tm send-keys -t wb 3 / Y a n Enter
	wait_screen 'Yan \+15550199 +Sales +queued'
	tm send-keys -t wb x
	wait_screen 'hang up Yan \+15550199 \(queued, -\)\? y/n'
	tm send-keys -t wb n
	wait_screen 'cancelled'
	call_is "$C" '.state == "queued"'
	tm send-keys -t wb x
	wait_screen '\? y/n'
	tm send-keys -t wb y
	wait_for 5 call_is "$C" '.state == "abandoned"'
	wait_screen 'Yan \+15550199: hung up'
	wait_screen 'Calls \(0 of [0-9]+\)' 5
}

@test "wallboard: a supervisor assigns a waiting call to an agent" {
	E=$(mkagent eve@wall.test "Eve Moss")
	api PUT "/api/agents/$E/availability" '{"state": "available"}' "$MGR" >/dev/null
	assert_status 200
	# Eve is in no queue and Billing has no members: the call waits.
	QB=$(mkqueue Billing)
	C=$(mkcall "$QB" Xia)
	wb_start 80 24
	tm send-keys -t wb 3 / X i a Enter
	wait_screen 'Xia \+15550199 +Billing +queued'
	tm send-keys -t wb t
	wait_screen 'assign Xia \+15550199 to'
	wait_screen 'Eve Moss +available'
	tm send-keys -t wb E v e
	wait_screen 'type to filter: Eve'
	tm send-keys -t wb Enter
	wait_for 5 call_is "$C" '.state == "offering"'
	call_is "$C" ".agent_id == \"$E\""
	wait_screen 'Xia \+15550199: assigned to Eve Moss'
	wait_screen "Xia \+15550199 +Billing +offering +$ANY_TIME +Eve Moss" 5
	api POST "/api/calls/$C/hangup" '' "$MGR" >/dev/null
	api PUT "/api/agents/$E/availability" '{"state": "offline"}' "$MGR" >/dev/null
}

@test "wallboard: a callback is marked in the calls and its details" {
	QV=$(mkqueue Vhold)
	C=$(mkcall "$QV" Vic)
	api POST "/api/calls/$C/callback" '{}' "$MGR" >/dev/null
	assert_status 200
	wb_start 80 24
	tm send-keys -t wb 3 / V i c Enter
	wait_screen '\(cb\) Vic \+15550199 +Vhold +queued'
	tm send-keys -t wb Enter
	wait_screen 'Callback +\+15550199, waiting, 0 dialed'
	tm send-keys -t wb Escape
	api POST "/api/calls/$C/hangup" '' "$MGR" >/dev/null
	assert_status 200
}

@test "wallboard: a supervisor monitors a connected call, whispers, barges in and leaves" {
	S=$(mkagent sid@wall.test "Sid Park")
	TS=$(login sid@wall.test)
	QC=$(mkqueue Coach "$S")
	MGR_ID=$(jwt_claims "$MGR" | jq -r .sub)
	api PUT "/api/agents/$S/availability" '{"state": "available"}' "$TS" >/dev/null
	C=$(mkcall "$QC" Sam)
	wait_for 5 call_is "$C" '.state == "offering"'
	api POST "/api/calls/$C/answer" '{}' "$TS" >/dev/null
	assert_status 200
	wb_start 100 30
	tm send-keys -t wb 3 / S a m Enter
	wait_screen "Sam \+15550199 +Coach +connected +$ANY_TIME +Sid Park *$"
	tm send-keys -t wb m
	wait_screen 'Sam \+15550199: monitoring'
	wait_for 5 call_is "$C" ".supervision.mode == \"monitor\" and .supervision.supervisor_id == \"$MGR_ID\" and .supervision.via == \"browser\""
	wait_screen "Sam \+15550199 +Coach +connected +$ANY_TIME +Sid Park \[monitor\]"
	tm send-keys -t wb w
	wait_for 5 call_is "$C" '.supervision.mode == "whisper"'
	wait_screen 'Sid Park \[whisper\]'
	tm send-keys -t wb b
	wait_for 5 call_is "$C" '.supervision.mode == "barge"'
	wait_screen 'Sid Park \[barge\]'
	# The details say who supervises, how and since when.
	tm send-keys -t wb Enter
	wait_screen "Supervised +barge, browser, since [0-9:]+, by $MGR_ID"
	wait_screen '[0-9:]+ call\.supervised  Sid Park  whisper'
	tm send-keys -t wb Escape
	wait_gone 'Esc close'
	tm send-keys -t wb u
	wait_for 5 call_is "$C" '.supervision == null'
	wait_screen 'Sam \+15550199: left the call'
	wait_screen "Sid Park *$"
	# A refusal is the footer's.
	tm send-keys -t wb u
	wait_screen 'supervise Sam \+15550199: nobody supervises this call'
	tm send-keys -t wb '?'
	wait_screen 'm monitor: listen, unheard by both'
	wait_screen 'u leave the call you supervise'
	tm send-keys -t wb x
	api POST "/api/calls/$C/hangup" '' "$MGR" >/dev/null
	api PUT "/api/agents/$S/availability" '{"state": "offline"}' "$TS" >/dev/null
}

@test "wallboard: --readonly refuses actions and changes nothing" {
	api PUT "/api/agents/$A2/availability" '{"state": "away", "reason": "lunch"}' "$MGR" >/dev/null
	Q=$(api GET /api/queues "" "$MGR" | jq -r '.items[] | select(.name == "Sales") | .id')
	C=$(mkcall "$Q" Vic)
	wb_start 80 24 --readonly
	wait_screen '\[read-only\]'
	tm send-keys -t wb 2 / B o b Enter
	wait_screen 'Bob Ray +away'
	wait_screen '^(filter: Bob \(Esc clears\)  )?\[read-only\]  \? help'
	for k in a o w; do
		tm send-keys -t wb $k
		wait_screen 'read-only: supervisor actions are off'
		run screen
		refute_output --partial 'y/n'
		refute_output --partial 'reason for'
	done
	tm send-keys -t wb Escape 3 / V i c Enter
	wait_screen 'Vic \+15550199 +Sales +queued'
	tm send-keys -t wb x t
	wait_screen 'read-only: supervisor actions are off'
	run screen
	refute_output --partial 'y/n'
	refute_output --partial 'assign Vic'
	# The daemon's state is what it was.
	agent_is "$A2" '.state == "away" and .pause_reason == "lunch"'
	call_is "$C" '.state == "queued"'
	api POST "/api/calls/$C/hangup" '' "$MGR" >/dev/null
}

@test "wallboard: stale while the daemon is down, live again when it is back" {
	wb_start 80 24
	wait_screen 'live  [0-9:]+$'
	daemon_stop main
	wait_screen 'STALE since [0-9:]+, retry in [0-9]+s' 5
	# The last picture stays on screen, the footer says why.
	wait_screen 'Sales'
	wait_screen 'cannot (reach|connect)'
	daemon_start main
	wait_screen 'live  [0-9:]+$' 20
	wait_gone 'STALE'
}

@test "wallboard: a daemon that hangs makes it stale, not frozen" {
	daemon_use main		# started again by the test before
	wb_start 80 24
	wait_screen 'live  [0-9:]+$'
	kill -STOP "$CD_PID"
	# Requests give up after 5 s: stale, and the keys still answer.
	wait_screen 'STALE since [0-9:]+, retry in [0-9]+s' 12
	wait_screen '^(no answer from|cannot connect to) '
	kill -CONT "$CD_PID"
	tm send-keys -t wb r
	wait_screen 'live  [0-9:]+$' 20
	tm send-keys -t wb q
	wait_exit 0
}
