#!/usr/bin/env bats
# calldocker wallboard driven under tmux against a live daemon: what the
# REST API changes shows on screen within the refresh interval, the keys
# (filter, sort, help, quit), a resize, and the terminal restored on q and
# on SIGTERM. The wallboard runs as a manager (--token) over the socket.

load lib/common

# tmux on a private socket, without the user's configuration.
tm() {
	tmux -S "$CD_TMP/tmux.sock" -f "$CD_TMP/tmux.conf" "$@"
}

# wb_start WIDTH HEIGHT [WALLBOARD-FLAGS...]: a fresh session "wb".
wb_start() {
	local w=$1 h=$2
	shift 2
	tm kill-server 2>/dev/null || true
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

# wait_screen REGEX [SECONDS]: until the pane shows a line matching REGEX.
wait_screen() {
	local re=$1 secs=${2:-3} end
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
	local re=$1 secs=${2:-3} end
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
	export CO MGR A1 A2 T2
}

teardown() {
	tm kill-server 2>/dev/null || true
}

teardown_file() {
	tm kill-server 2>/dev/null || true
	cd_teardown
}

@test "wallboard: a new queue and a waiting call show within 3 s" {
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
	wait_screen 'Zed \+15550123 +Sales +queued'
	# The queue counts it as waiting (WAIT column).
	wait_screen '^ ?Sales +1 '
	[[ $(screen | wc -l) -le 24 ]]
}

@test "wallboard: an agent's state change shows" {
	wb_start 80 24
	wait_screen 'Bob Ray +offline'
	api PUT "/api/agents/$A2/availability" '{"state": "away", "reason": "lunch"}' "$T2" >/dev/null
	assert_status 200
	wait_screen 'Bob Ray +away .*lunch'
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
	wait_screen 'QUEUE +WAIT +LONGEST +SL% +ANS +ABN% +ASA +AHT +AVL +CALL +WRAP +AWAY +OFF'
	wait_screen 'AGENT +STATE +TIME +CALLS .*CALLER +QUEUE +STATE +TIME +AGENT'
	[[ $(screen | wc -l) -eq 50 ]]
	tm resize-window -t wb -x 80 -y 24
	wait_screen '^ ?Calls \(|^.* 3 Calls \('
	wait_gone 'Agents \(2\).*Calls'
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
