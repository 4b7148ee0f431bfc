#!/bin/bash
# SCMP_ACT_NOTIFY end to end: berth hands the listener fd and the
# containerProcessState to the agent at linux.seccomp.listenerPath, the
# agent's answers become the results of the container's syscalls; without an
# agent `run` fails with one line and leaves nothing behind.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
security_setup notify
agent=$BUILD/tests/security/progs/seccomp-listener
[ -x "$agent" ] || skip_all "needs $agent (make all)"
plan 21

sock=$tmp/agent.sock
id=bt-security-notify-1

security_bundle "$tmp/b" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	listenerPath: "'"$sock"'", listenerMetadata: "bt-security-meta",
	syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' \
	'mkdir /made 2>&1; test -e /made || echo absent; echo done' || exit 1

# The agent answers every notification with EXDEV (18).
"$agent" "$sock" "$tmp/state.json" 18 &
agent_pid=$!
defer "kill $agent_pid"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
defer "'$BERTH' --root '$root' delete --force $id"
out=$(cd "$tmp/b" && "$BERTH" --root "$root" run "$id" 2>&1)
rc=$?
is "$rc" 0 "container with a NOTIFY rule runs"
like "$out" "mkdir: can't create directory '/made': Invalid cross-device link" \
	"mkdir gets the agent's answer (EXDEV)"
like "$out" 'absent' "and nothing was created"
# The agent exits by itself once the filter is gone; give it a moment, never hang.
for _ in $(seq 100); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.05; done
kill "$agent_pid" 2>/dev/null
wait "$agent_pid"
is "$?" 0 "the agent saw the filter go away when the container exited"
st=$(cat "$tmp/state.json" 2>/dev/null)
is "$(jq -r '.ociVersion | test("^1\\.")' <<<"$st")" true "state: ociVersion"
is "$(jq -c '.fds' <<<"$st")" '["seccompFd"]' "state: fds"
is "$(jq -r '.metadata' <<<"$st")" bt-security-meta "state: listenerMetadata"
is "$(jq -r '.pid > 1' <<<"$st")" true "state: pid of the container process"
is "$(jq -r '[.state.id, .state.status, (.state.pid == .pid)] | join(" ")' <<<"$st")" \
	"$id creating true" "state: the container's state, creating"
like "$(cat "$tmp/state.json.log")" "notified (83|258) pid-set 1" "the agent was asked about mkdir/mkdirat"

# No agent listening: one line naming the listener, and no container left.
id2=bt-security-notify-2
defer "'$BERTH' --root '$root' delete --force $id2"
out=$(cd "$tmp/b" && "$BERTH" --root "$root" run "$id2" 2>&1)
like "$out" "^berth: .*seccomp listener \"$sock\": connect: No such file or directory$" \
	"without an agent run fails naming the listener"
is "$("$BERTH" --root "$root" list -q | grep -c "^$id2\$")" 0 "and leaves no container"

# noNewPrivileges false: the filter is loaded before the runtime drops the
# capabilities and changes the user, so the runtime's own capset(2) passes
# through it.  With a NOTIFY rule on capset that only works when the
# listener fd reaches the agent right after the filter is loaded (else
# capset waits for an agent that has no fd: the run would hang, here
# bounded by timeout).  The agent lets capset through and fails mkdir.
id3=bt-security-notify-3
# mkdir and the runtime's own capset go to the agent (runs 3 and 4).
notify_capset='.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: "'"$sock"'",
	syscalls: [{names: ["mkdir", "mkdirat", "capset"], action: "SCMP_ACT_NOTIFY"}]}'
defer "'$BERTH' --root '$root' delete --force $id3"
security_bundle "$tmp/b3" '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000} |
	.process.capabilities = {bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL"],
	permitted: ["CAP_KILL"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"]} |
	'"$notify_capset" \
	'mkdir /made 2>&1; grep -E "^Cap(Eff|Bnd):" /proc/self/status | tr -d "\t"; grep NoNewPrivs /proc/self/status | tr -d "\t"' || exit 1
"$agent" "$sock" "$tmp/state3.json" 18 &
agent3=$!
defer "kill $agent3"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
# (output to a file: a container stuck in capset would keep a pipe open)
(cd "$tmp/b3" && exec timeout -s KILL 30 "$BERTH" --root "$root" run "$id3" >"$tmp/out3" 2>&1)
is "$?" 0 "noNewPrivileges false with a NOTIFY rule on capset: the container runs"
out=$(cat "$tmp/out3")
like "$out" "mkdir: can't create directory '/made': Invalid cross-device link" \
	"mkdir gets the agent's answer"
like "$(tr "\n" " " <<<"$out")" "CapEff:0000000000000020 CapBnd:0000000000000021" \
	"capset went through the agent: uid 1000 keeps the ambient CAP_KILL"
like "$out" "NoNewPrivs:0" "no_new_privs stays off"
for _ in $(seq 100); do kill -0 "$agent3" 2>/dev/null || break; sleep 0.05; done
like "$(cat "$tmp/state3.json.log" 2>/dev/null)" "notified 126 pid-set 1" \
	"the agent was asked about the runtime's capset (126)"

# The same through exec: the exec'd process loads its own filter and passes
# its listener fd as soon as it is loaded, to a second agent.
id4=bt-security-notify-4
defer "'$BERTH' --root '$root' delete --force $id4"
security_bundle "$tmp/b4" '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000} |
	.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"],
	inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"]} |
	'"$notify_capset" \
	'sleep 1000' || exit 1
"$agent" "$sock" "$tmp/state4.json" 18 &
agent4=$!
defer "kill $agent4"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
(cd "$tmp/b4" && exec timeout -s KILL 30 "$BERTH" --root "$root" run -d "$id4" </dev/null >/dev/null 2>&1)
is "$?" 0 "run -d: noNewPrivileges false, NOTIFY on capset"
for _ in $(seq 100); do [ -S "$sock" ] || break; sleep 0.05; done
"$agent" "$sock" "$tmp/state5.json" 18 &
agent5=$!
defer "kill $agent5"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
timeout -s KILL 30 "$BERTH" --root "$root" exec "$id4" sh -c 'mkdir /made 2>&1; grep CapEff /proc/self/status | tr -d "\t"' \
	</dev/null >"$tmp/out5" 2>&1
is "$?" 0 "exec with NOTIFY on capset runs"
is "$(cat "$tmp/out5")" "mkdir: can't create directory '/made': Invalid cross-device link
CapEff:0000000000000020" "the exec'd process: mkdir answered by the second agent, capset went through"
like "$(cat "$tmp/state5.json.log" 2>/dev/null)" "notified 126 pid-set 1" \
	"the second agent was asked about the exec's capset"
