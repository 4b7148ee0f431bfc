#!/bin/bash
# A TCP server's listening socket across checkpoint/restore: clients
# connecting after the restore reach the same process (same pid, its
# connection count goes on).  An established connection is a named error.
. "$(dirname "$0")/lib.sh"
plan 7

port=$((20000 + RANDOM % 20000))
ask() { # LINE — one connection to the server, prints its answer
	local line
	exec 5<>/dev/tcp/127.0.0.1/$port || return 1
	echo "$1" >&5
	read -r line <&5
	exec 5>&-
	echo "$line"
}

"$PROGS/tcpsrv" $port >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 1
is "$(ask one)" "pid $pid conn 1: one" "the server answers"
ok "checkpoint the server" crdump $pid "$T/img"
wait $pid 2>/dev/null
fails "nobody listens after checkpoint" ask nobody 2>/dev/null
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
track $pid
is "$(ask two)" "pid $pid conn 2: two" "the restored server answers, its count goes on"
like "$(ss -Htln "sport = :$port" | wc -l)" "^1$" "one listening socket on the port"

# A connection held open (not yet accepted: in the accept queue) is a named error.
exec 6<>/dev/tcp/127.0.0.1/$port
sleep 0.1
exec 7<>/dev/tcp/127.0.0.1/$port
like "$("$CRTOOL" dump $pid "$T/img2" 2>&1)" \
	"process $pid: fd [0-9]+ \\(socket:\\[[0-9]+\\], (inet6? stream socket, not listening|listening TCP socket)\\): unsupported resource" \
	"an established connection or a waiting one: named error"
exec 6>&- 7>&-
