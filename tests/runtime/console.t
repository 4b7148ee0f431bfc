#!/bin/bash
# process.terminal: the pty master goes to --console-socket (SCM_RIGHTS), the
# container gets the slave as its controlling terminal, of consoleSize.
. "$(dirname "$0")/../lib/tap.sh"
need_root
command -v python3 >/dev/null || skip_all "needs python3"
. "$(dirname "$0")/rt.sh"
plan 17

recv() { # SOCK OUT [INPUT]: start the receiver, wait until it listens
	python3 "$BERTH_TOP/tests/runtime/console-recv.py" "$@" &
	RECV_PID=$!
	defer "kill $RECV_PID"
	for _ in $(seq 100); do [ -e "$2.ready" ] && return 0; sleep 0.05; done
	return 1
}

bun=$(rt_bundle tty sh -c 'tty; stty size; test -t 0 && echo stdin-is-tty; ps -o pid,tty,comm; read line; echo "got: $line"')
rt_jq "$bun" '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 111}'
id=bt-rt-tty

ok "receiver listens" recv "$RT_TMP/sock" "$RT_TMP/out" $'typed-input\n'
ok "run -d with --console-socket" b run -d --console-socket "$RT_TMP/sock" -b "$bun" $id
wait "$RECV_PID"
is "$?" 0 "the receiver got the pty master and read until the container closed it"
out=$(tr -d '\r' < "$RT_TMP/out")
has_line "$out" "/dev/pts/0" "the container's stdio is its own pty (devpts newinstance)"
has_line "$out" "33 111" "consoleSize applied"
has_line "$out" "stdin-is-tty" "stdin is the terminal"
has_line "$out" "got: typed-input" "input written to the master reaches the container"
has_re "$out" "^ +1 +136,0 +" "the pty is the controlling terminal of PID 1"
like "$(cat "$RT_TMP/out.name")" "^/dev/pts/" "the message names the pty"
for _ in $(seq 50); do [ "$(b state $id | jq -r .status)" = stopped ] && break; sleep 0.1; done
ok "delete" b delete $id
ok "nothing left" rt_nothing_left $id

rt_err b run -d --console-socket "$RT_TMP/nonexistent.sock" -b "$bun" $id
like "$RT_ERR" "^berth: create \`$id\`: connect to console socket \`$RT_TMP/nonexistent.sock\`: No such file or directory$" "missing console socket: clear error"

# exec --tty into a running container
bun2=$(rt_bundle plain sleep 1000)
ok "run a plain container" b run -d -b "$bun2" bt-rt-tty2
ok "receiver for exec" recv "$RT_TMP/sock2" "$RT_TMP/out2"
ok "exec --tty --console-socket" b exec -t --console-socket "$RT_TMP/sock2" bt-rt-tty2 sh -c 'tty; test -t 1 && echo out-is-tty'
wait "$RECV_PID"
out=$(tr -d '\r' < "$RT_TMP/out2")
has_line "$out" "out-is-tty" "the exec'd process writes to its pty"
ok "delete" b delete -f bt-rt-tty2
