#!/usr/bin/env bats
# calldocker agent, the agents' console, driven under tmux against a live
# daemon: the state in the prompt, offers printed while a half-typed line
# stays intact, the call's life (accept, hold, resume, hangup, wrap) with
# the daemon's state checked through the API at each step, pause with a
# reason, completion, history, a bad command; a supervisor's moves said when
# announced; then the same flow scripted
# through a pipe, exit statuses, and a reconnect after a daemon restart.
#
# CALLDOCKER_TEST_CAPTURE=DIR keeps the screens at 80x24 and 200x50 there.

load lib/common

tm() {
	tmux -S "$CD_TMP/tmux.sock" -f "$CD_TMP/tmux.conf" "$@"
}

# ag_start WIDTH HEIGHT: a fresh session "ag" with Ann's console (on the
# daemon's socket, or AG_HOST).
ag_start() {
	tm kill-server 2>/dev/null || true
	tm new-session -d -s ag -x "$1" -y "$2" \
		sh -c '"$@"; echo "agent exited $?"; stty -a | tr " " "\n" |
			grep -E "^-?icanon$"; exec sleep 60' sh \
		env HOME="$CD_TMP/home" XDG_STATE_HOME="$CD_TMP/state" \
		XDG_CONFIG_HOME="$CD_TMP/xdg" TERM=xterm "$CD_CLI" \
		--host "${AG_HOST:-unix://$CD_SOCK}" --token "$TA" agent
	wait_screen '\] Ann Lee>'
}

# -J: a line the terminal wrapped is one line again.
screen() { tm capture-pane -p -J -t ag; }
keys() { tm send-keys -t ag "$@"; }

# The last non-blank line of the pane: where the prompt is.
last_line() { screen | sed 's/ *$//; /^$/d' | tail -n 1; }

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

# wait_prompt REGEX: the line with the cursor matches REGEX.
wait_prompt() {
	local end=$((SECONDS + 5))
	while ((SECONDS <= end)); do
		[[ $(last_line) =~ $1 ]] && return 0
		sleep 0.1
	done
	echo "prompt line \"$(last_line)\" does not match /$1/; screen:" >&2
	screen >&2
	return 1
}

capture() { # NAME: keep the screen for the release note
	[[ -n ${CALLDOCKER_TEST_CAPTURE:-} ]] || return 0
	mkdir -p "$CALLDOCKER_TEST_CAPTURE"
	screen >"$CALLDOCKER_TEST_CAPTURE/$1.txt"
}

mkagent() { # EMAIL NAME -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" --arg n "$2" \
		'{user_id: $u, name: $n}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

newcall() { # CALLER NUMBER [QUEUE] -> call id
	api POST /api/calls "$(jq -nc --arg q "${3:-$Q}" --arg n "$1" --arg p "$2" \
		'{queue_id: $q, caller_name: $n, caller_number: $p}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "newcall: $status $output" >&2; return 1; }
	jget .id
}

call_is() { # ID STATE: the daemon has the call in STATE
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	[[ $(jget .state) == "$2" ]] || { echo "call $1 is $(jget .state), not $2" >&2; return 1; }
}

agent_is() { # STATE [REASON]: the daemon has Ann in STATE
	api GET "/api/agents/$A1" "" "$MGR" >/dev/null
	[[ $(jget .state) == "$1" ]] || { echo "Ann is $(jget .state), not $1" >&2; return 1; }
	[[ -z ${2-} || $(jget .pause_reason) == "$2" ]] ||
		{ echo "Ann's reason is $(jget .pause_reason), not $2" >&2; return 1; }
}

setup_file() {
	command -v tmux >/dev/null || skip "no tmux"
	cd_setup
	printf 'set -g status off\n' >"$CD_TMP/tmux.conf"
	mkdir -p "$CD_TMP/home"
	CO=$(mkcompany "Agent Co")
	mkuser boss@agent.test manager "$CO" >/dev/null
	MGR=$(login boss@agent.test)
	A1=$(mkagent ann@agent.test "Ann Lee")
	A2=$(mkagent bob@agent.test "Bob Ray")
	TA=$(login ann@agent.test)
	TB=$(login bob@agent.test)
	# Wrap-up is long: the agent stays in wrap_up until "wrap".
	api POST /api/queues "$(jq -nc --arg a "$A1" --arg b "$A2" \
		'{name: "Sales", wrap_up: 600, ring_timeout: 600,
		  members: [{agent_id: $a}, {agent_id: $b}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	# Who transfers a call away goes through its queue's wrap-up: none here.
	api POST /api/queues "$(jq -nc --arg a "$A1" --arg b "$A2" \
		'{name: "Support", wrap_up: 0, ring_timeout: 600,
		  members: [{agent_id: $a}, {agent_id: $b}]}')" "$MGR" >/dev/null
	Q2=$(jget .id)
	export CO MGR A1 A2 TA TB Q Q2
}

teardown() {
	tm kill-server 2>/dev/null || true
}

teardown_file() {
	tm kill-server 2>/dev/null || true
	cd_teardown
}

@test "agent console: state in the prompt, an offer while typing, the call's life" {
	ag_start 80 24
	wait_prompt '^\[offline\] Ann Lee> ?$'
	keys ready Enter
	wait_screen '^ready: you are available$'
	wait_prompt '^\[available\] Ann Lee> ?$'
	agent_is available

	# A half-typed line survives an offer printed above it.
	keys -l 'status half-typ'
	wait_prompt 'status half-typ$'
	c=$(newcall Zed +15550123)
	wait_screen '^[0-9:]{8} offered: Zed \+15550123 \(Sales\): type accept or reject$'
	wait_prompt '^\[offering\] Ann Lee> status half-typ$'
	capture agent-offer-80x24
	call_is "$c" offering
	keys C-u

	keys accept Enter
	wait_screen '^connected: Zed \+15550123 \(Sales\)$'
	wait_prompt '^\[busy\] Ann Lee> ?$'
	call_is "$c" connected
	agent_is busy

	keys hold Enter
	wait_screen '^on hold: Zed'
	call_is "$c" on_hold
	keys resume Enter
	wait_screen '^resumed: Zed'
	call_is "$c" connected

	keys hangup Enter
	wait_screen '^call ended: Zed'
	wait_prompt '^\[wrap_up\] Ann Lee> ?$'
	call_is "$c" wrap_up
	agent_is wrap_up
	keys 'disposition sale' Enter
	wait_screen '^disposition: sale$'
	keys 'wrap customer wants a callback' Enter
	wait_screen '^wrapped up: Zed'
	wait_prompt '^\[available\] Ann Lee> ?$'
	call_is "$c" completed
	[[ $(jget .notes) == 'customer wants a callback' ]]
	[[ $(jget .disposition) == sale ]]
	agent_is available

	keys 'pause lunch' Enter
	wait_screen '^pause: you are away \(lunch\)$'
	wait_prompt '^\[away: lunch\] Ann Lee> ?$'
	agent_is away lunch

	keys frobnicate Enter
	wait_screen '^error: unknown command "frobnicate" \(try help\)$'
	keys hold Enter
	wait_screen '^error: hold: you have no connected call$'
	capture agent-80x24
	[[ $(screen | wc -l) -le 24 ]]

	keys quit Enter
	wait_screen '^agent exited 0$'
	wait_screen '^icanon$'		# the terminal is as it was
	# The commands are in the history file, private.
	grep -qx 'pause lunch' "$CD_TMP/state/calldocker/agent_history"
	[[ $(stat -c %a "$CD_TMP/state/calldocker") == 700 ]]
}

@test "agent console: changes made elsewhere show: state, a caller who hangs up" {
	ag_start 80 24
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "meeting"}' "$MGR" >/dev/null
	assert_status 200
	wait_prompt '^\[away: meeting\] Ann Lee> ?$'
	api PUT "/api/agents/$A1/availability" '{"state": "available"}' "$MGR" >/dev/null
	wait_prompt '^\[available\] Ann Lee> ?$'
	c=$(newcall Wes +15550177)
	wait_screen 'offered: Wes \+15550177'
	api POST "/api/calls/$c/hangup" '' "$MGR" >/dev/null
	assert_status 200
	wait_screen '^[0-9:]{8} caller hung up: Wes \+15550177 \(Sales\)$'
	wait_prompt '^\[available\] Ann Lee> ?$'
	# A call the manager ends while it is connected goes to wrap-up.
	c=$(newcall Val +15550178)
	wait_screen 'offered: Val'
	keys accept Enter
	wait_screen '^connected: Val'
	api POST "/api/calls/$c/hangup" '' "$MGR" >/dev/null
	wait_screen "^[0-9:]{8} call ended: Val \\+15550178 \\(Sales\\): wrap up with 'wrap \\[notes\\]'$"
	wait_prompt '^\[wrap_up\] Ann Lee> ?$'
	keys wrap Enter
	wait_prompt '^\[available\] Ann Lee> ?$'
	api PUT "/api/agents/$A1/availability" '{"state": "offline"}' "$MGR" >/dev/null
	wait_prompt '^\[offline\] Ann Lee> ?$'
	# SIGTERM: exit 143, the terminal restored.
	kill -TERM "$(pgrep -P "$(tm display-message -p -t ag '#{pane_pid}')")"
	wait_screen '^agent exited 143$'
	wait_screen '^icanon$'
}

@test "agent console: a callback is offered as one" {
	ag_start 80 24
	wait_prompt '^\[offline\] Ann Lee> ?$'
	c=$(newcall Uma +15550179)
	api POST "/api/calls/$c/callback" '{}' "$MGR" >/dev/null
	assert_status 200
	api PUT "/api/agents/$A1/availability" '{"state": "available"}' "$MGR" >/dev/null
	wait_screen '^[0-9:]{8} offered: Uma \+15550179 \(Sales\): a callback to \+15550179: type accept or reject$'
	keys accept Enter
	wait_screen '^connected: Uma'
	api POST "/api/calls/$c/hangup" '' "$MGR" >/dev/null
	keys wrap Enter
	wait_prompt '^\[available\] Ann Lee> ?$'
	api PUT "/api/agents/$A1/availability" '{"state": "offline"}' "$MGR" >/dev/null
	wait_prompt '^\[offline\] Ann Lee> ?$'
}

@test "agent console: a supervisor's monitor, whisper, barge and leave are said when the company announces them" {
	api PUT "/api/settings/company/$CO" '{"supervision_announce": true}' "$MGR" >/dev/null
	assert_status 200
	ag_start 80 24
	wait_prompt '^\[offline\] Ann Lee> ?$'
	c=$(newcall Vera +15550177 "$Q2")
	keys ready Enter
	wait_screen '^[0-9:]{8} offered: Vera \+15550177 \(Support\): type accept or reject$'
	keys accept Enter
	wait_screen '^connected: Vera'
	api POST "/api/calls/$c/supervise" '{"mode": "monitor"}' "$MGR" >/dev/null
	assert_status 200
	wait_screen '^[0-9:]{8} a supervisor is listening to: Vera \+15550177 \(Support\)$'
	api POST "/api/calls/$c/supervise" '{"mode": "whisper"}' "$MGR" >/dev/null
	wait_screen 'a supervisor is speaking to you \(the caller does not hear\) on: Vera'
	api POST "/api/calls/$c/supervise" '{"mode": "barge"}' "$MGR" >/dev/null
	wait_screen 'a supervisor has joined: Vera'
	api POST "/api/calls/$c/supervise" '{"mode": "off"}' "$MGR" >/dev/null
	wait_screen 'the supervisor has left: Vera'
	wait_prompt '^\[busy\] Ann Lee> ?$'
	# Not announced: the console says nothing (the hold after it shows
	# that the monitor's event has come and gone).
	api PUT "/api/settings/company/$CO" '{"supervision_announce": false}' "$MGR" >/dev/null
	api POST "/api/calls/$c/supervise" '{"mode": "monitor"}' "$MGR" >/dev/null
	assert_status 200
	keys hold Enter
	wait_screen '^on hold: Vera'
	[[ $(screen | grep -c 'a supervisor is listening') == 1 ]]
	keys hangup Enter
	wait_screen '^call ended: Vera'
	keys wrap Enter
	wait_screen '^wrapped up: Vera'
	# The call's end ended the supervision: nothing said either.
	[[ $(screen | grep -c 'the supervisor has left') == 1 ]]
	call_is "$c" completed
	keys offline Enter
	wait_prompt '^\[offline\] Ann Lee> ?$'
}

@test "agent console: over TCP too" {
	AG_HOST="http://127.0.0.1:$CD_PORT" ag_start 80 24
	wait_prompt '^\[offline\] Ann Lee> ?$'
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "tcp"}' "$MGR" >/dev/null
	wait_prompt '^\[away: tcp\] Ann Lee> ?$'
	keys offline Enter
	wait_screen '^offline: you are offline$'
	run screen
	refute_output --partial 'live events'
}

@test "agent console: tab completes commands and transfer targets; history recalls" {
	ag_start 80 24
	keys -l 'tra'
	keys Tab
	wait_prompt '> transfer ?$'
	keys -l 'Bo'
	keys Tab
	wait_prompt '> transfer Bob Ray ?$'
	keys C-u
	keys -l 'pa'
	keys Tab
	wait_prompt '> pause ?$'
	keys -l 'lu'
	keys Tab
	wait_prompt '> pause lunch ?$'
	keys C-u
	# Up recalls the last session's lines.
	keys Up
	wait_prompt '> offline$'	# the last line of the test before
	keys C-u
}

@test "agent console: transfer to an agent by name" {
	api PUT "/api/agents/$A2/availability" '{"state": "away"}' "$TB" >/dev/null
	ag_start 200 50
	keys ready Enter
	wait_prompt '^\[available\] Ann Lee> ?$'
	c=$(newcall Yara +15550199 "$Q2")
	wait_screen 'offered: Yara'
	keys accept Enter
	wait_screen '^connected: Yara'
	api PUT "/api/agents/$A2/availability" '{"state": "available"}' "$TB" >/dev/null
	assert_status 200
	keys 'transfer bob ray' Enter
	wait_screen '^transferred to Bob Ray: Yara'
	wait_prompt '^\[available\] Ann Lee> ?$'
	call_is "$c" offering
	[[ $(jget .agent_id) == "$A2" ]]
	keys calls Enter
	wait_screen '^no calls$'
	keys status Enter
	wait_screen '^agent Ann Lee: '
	wait_screen 'events live$'
	capture agent-200x50
	# The call's older news (it entered its queue) never undoes the offer.
	run screen
	refute_output --partial 'queued:'
	# Bob takes it and ends it; Ann is left in wrap-up by the transfer.
	api POST "/api/calls/$c/answer" '' "$TB" >/dev/null
	assert_status 200
	api POST "/api/calls/$c/hangup" '' "$TB" >/dev/null
	api POST "/api/calls/$c/wrap" '' "$TB" >/dev/null
	api PUT "/api/agents/$A2/availability" '{"state": "offline"}' "$TB" >/dev/null
	keys 'pause lunch' Enter
	wait_prompt '^\[away: lunch\] Ann Lee> ?$'
}

@test "agent console: scripted through a pipe, the same flow" {
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "lunch"}' "$TA" >/dev/null
	c=$(newcall Xavi +15550142)
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" HOME="$CD_TMP/home" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent <<-'EOF'
		# a comment
		ready
		wait offering
		accept
		hold
		resume
		hangup
		disposition sale
		wrap scripted notes
		pause lunch
		EOF
	echo "stderr: $stderr"
	[[ -z ${CALLDOCKER_TEST_CAPTURE:-} ]] ||
		printf '%s\n' "$output" >"$CALLDOCKER_TEST_CAPTURE/agent-script.txt"
	assert_success
	assert_line 'ready: you are available'
	assert_line 'wait: you are offering'
	assert_line 'connected: Xavi +15550142 (Sales)'
	assert_line 'on hold: Xavi +15550142 (Sales)'
	assert_line 'resumed: Xavi +15550142 (Sales)'
	assert_line 'call ended: Xavi +15550142 (Sales)'
	assert_line 'wrapped up: Xavi +15550142 (Sales)'
	assert_line 'pause: you are away (lunch)'
	# Results come in the order of the commands.
	[[ $(grep -nx 'connected: Xavi.*' <<<"$output" | cut -d: -f1) -lt \
	   $(grep -nx 'wrapped up: Xavi.*' <<<"$output" | cut -d: -f1) ]]
	call_is "$c" completed
	[[ $(jget .notes) == 'scripted notes' && $(jget .disposition) == sale ]]
	agent_is away lunch
	# No history is written for scripts, nor prompts printed.
	refute_output --partial 'Ann Lee>'
}

@test "agent console: a script stops at the first failed command with its status" {
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent <<-'EOF'
		hold
		ready
		EOF
	[[ $status == 1 ]]
	[[ $stderr == 'error: hold: you have no connected call' ]]
	refute_output --partial 'ready:'
	agent_is away lunch

	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent <<<'frobnicate'
	[[ $status == 2 ]]
	[[ $stderr == 'error: unknown command "frobnicate" (try help)' ]]

	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent <<<'transfer nobody'
	[[ $status == 3 ]]
	[[ $stderr == 'error: transfer: no agent or queue named "nobody"' ]]

	# --keep-going runs the rest and exits with the last failure's status.
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent -k <<-'EOF'
		hold
		ready
		pause lunch
		EOF
	[[ $status == 1 ]]
	assert_line 'ready: you are available'
	agent_is away lunch
}

# agent_bg NAME COMMAND...: Ann's console in the background reading the
# output of COMMAND; its pid, stdout, stderr and exit status land in
# $CD_TMP/NAME.pid, .out, .err and .rc.
agent_bg() {
	local name=$1
	shift
	rm -f "$CD_TMP/$name".*
	(
		"$@" | env XDG_CONFIG_HOME="$CD_TMP/xdg" "$CD_CLI" \
			--host "unix://$CD_SOCK" --token "$TA" agent \
			>"$CD_TMP/$name.out" 2>"$CD_TMP/$name.err" &
		echo $! >"$CD_TMP/$name.pid"	# the console's
		rc=0
		wait $! || rc=$?
		echo $rc >"$CD_TMP/$name.rc"
	) 3>&- &
}

STAYING='calldocker agent: input ended with a call in hand; staying connected until it ends (SIGINT/SIGTERM to leave)'

@test "agent console: a script's input ends with a call in hand: it stays until the call ends" {
	c=$(newcall Yara +15550190)
	# The example of the README and calldocker-agent(1), as it stands.
	agent_bg stay printf '%s\n' ready 'wait offering' accept
	wait_for 10 grep -qsF "$STAYING" "$CD_TMP/stay.err" ||
		{ cat "$CD_TMP/stay.out" "$CD_TMP/stay.err" >&2; false; }
	[[ $(<"$CD_TMP/stay.err") == "$STAYING" ]]
	grep -qx 'connected: Yara +15550190 (Sales)' "$CD_TMP/stay.out"
	# Input is over, the console is still there and so is the call.
	[[ ! -f $CD_TMP/stay.rc ]]
	call_is "$c" connected
	# The caller hangs up: the call ends, then the console, with status 0.
	api POST "/api/calls/$c/hangup" '' "$MGR" >/dev/null
	assert_status 200
	wait_for 10 test -f "$CD_TMP/stay.rc"
	[[ $(<"$CD_TMP/stay.rc") == 0 ]]
	grep -Eq "^[0-9:]{8} call ended: Yara \+15550190 \(Sales\)" "$CD_TMP/stay.out"
	call_is "$c" wrap_up
	[[ $(jget '[.events[] | select(.data.reason? == "agent_disconnected")] | length') == 0 ]]

	# A signal still ends it (and the call, as the daemon does for a
	# console that leaves): 128 + 15.
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent <<<'wrap'
	assert_success
	c=$(newcall Zoe +15550191)
	agent_bg sig printf '%s\n' 'wait offering' accept
	wait_for 10 grep -qsF "$STAYING" "$CD_TMP/sig.err" ||
		{ cat "$CD_TMP/sig.out" "$CD_TMP/sig.err" >&2; false; }
	kill -TERM "$(<"$CD_TMP/sig.pid")"
	wait_for 10 test -f "$CD_TMP/sig.rc"
	[[ $(<"$CD_TMP/sig.rc") == 143 ]]
	wait_for 10 call_is "$c" wrap_up 2>/dev/null
	# Back as the suites after this one expect Ann.
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent <<-'EOF'
		wrap
		pause lunch
		EOF
	assert_success
	agent_is away lunch
}

@test "agent console: no token, or a user who is not an agent" {
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" agent </dev/null
	[[ $status == 4 ]]
	[[ $stderr == *"needs a user's token"* ]]
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$MGR" agent </dev/null
	[[ $status == 3 ]]
	[[ $stderr == *'"boss@agent.test" is not set up as an agent'* ]]
}

@test "agent console: control characters from outside never reach the terminal" {
	c=$(newcall $'Eve\e[2J\xc2\x9b31m' +15550166)
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "unix://$CD_SOCK" --token "$TA" agent <<-'EOF'
		ready
		wait offering
		reject
		EOF
	assert_success
	assert_line 'rejected: Eve [2J  31m +15550166 (Sales)'
	[[ $output != *$'\e'* && $output != *$'\xc2\x9b'* ]]
	api POST "/api/calls/$c/hangup" '' "$MGR" >/dev/null
	assert_status 200
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "lunch"}' "$TA" >/dev/null
	assert_status 200
}

@test "agent console: says so when the daemon goes away, and reconnects" {
	ag_start 80 24
	wait_prompt '^\[away: lunch\] Ann Lee> ?$'
	keys -l 'half'
	daemon_stop main
	wait_screen '^live events lost: .*; reconnecting in [0-9]+ s$'
	wait_prompt '^\[away: lunch, reconnecting\] Ann Lee> half$'
	daemon_start main
	wait_screen '^live events: reconnected$' 20
	wait_prompt '^\[away: lunch\] Ann Lee> half$'
	api PUT "/api/agents/$A1/availability" '{"state": "available"}' "$MGR" >/dev/null
	wait_prompt '^\[available\] Ann Lee> half$'
	api PUT "/api/agents/$A1/availability" '{"state": "offline"}' "$MGR" >/dev/null
}

@test "agent console: renews a saved login's access token on the open socket" {
	# Access tokens of 30 s; the console signs in from a saved login.
	daemon_stop main
	daemon_start main CALLDOCKER_ACCESS_TOKEN_TTL=30
	XDG_CONFIG_HOME="$CD_TMP/xdg-ann" "$CD_CLI" --host "unix://$CD_SOCK" \
		login --email ann@agent.test --password-stdin <<<"$PW"
	tm kill-server 2>/dev/null || true
	tm new-session -d -s ag -x 80 -y 24 \
		sh -c '"$@"; echo "agent exited $?"; exec sleep 60' sh \
		env HOME="$CD_TMP/home" XDG_STATE_HOME="$CD_TMP/state" \
		XDG_CONFIG_HOME="$CD_TMP/xdg-ann" TERM=xterm "$CD_CLI" \
		--host "unix://$CD_SOCK" agent
	wait_prompt '^\[offline\] Ann Lee> ?$'
	# Past the first token's expiry (the daemon closes a socket whose
	# token expired with 4002 unless it got a new one).
	sleep 35
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "renewed"}' "$MGR" >/dev/null
	wait_prompt '^\[away: renewed\] Ann Lee> ?$'
	run screen
	refute_output --partial 'live events'
	refute_output --partial 'error'
	keys offline Enter
	wait_screen '^offline: you are offline$'
}
