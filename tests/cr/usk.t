#!/bin/bash
# Unix sockets with names: a server listening on a path (mode 0640) and on
# an abstract name, with its child connected through the listener and
# talking to it, and a bound datagram socket with three datagrams from the
# child waiting in it.  After restore the child's connection goes on (its
# peer still named), the socket file is back with its mode, clients from
# outside reach the restored server on both names, and the datagrams are
# there.  A datagram socket
# connected to a socket outside the tree is a named error without
# --ext-unix-sk and is connected to the same path again with it.
. "$(dirname "$0")/lib.sh"
plan 20

mkdir "$T/d"
"$PROGS/fdx" usk "$T/d" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 3
child=$(tr -d ' ' </proc/$pid/task/$pid/children)
track $child
is "$("$PROGS/fdx" ask "$T/d/sock" one)" "pid $pid conn 2: one" "the server answers an outside client"
ok "checkpoint server and child" crdump $pid "$T/img"
wait $pid 2>/dev/null
reap $child
ok "nobody listens after checkpoint" bash -c "! '$PROGS/fdx' ask '$T/d/sock' none"
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
is "$(tr -d ' ' </proc/$pid/task/$pid/children)" "$child" "child restored under its parent"
n=$(wc -l <"$T/out")
wait_lines "$T/out" $((n + 5))
line=$(tail -n 1 "$T/out")
like "$line" "^child got: pid $pid conn [0-9]+: ping [0-9]+ peer $T/d/sock$" \
	"the child's connection through the listener goes on, its peer named"
ok "no ping lost or repeated across the restore" \
	bash -c "grep '^child got' '$T/out' | awk '{ if (\$8 != NR) exit 1 }'"
is "$(stat -c '%F %a' "$T/d/sock")" "socket 640" "the socket file is back, mode 0640"
is "$("$PROGS/fdx" ask "$T/d/sock" two)" "pid $pid conn 3: two" "an outside client reaches the restored listener"
is "$("$PROGS/fdx" ask "@berth-fdx:$T/d" three)" "pid $pid conn 4: three" "and the abstract one"
kill -USR1 $pid
for ((i = 0; i < 500; i++)); do grep -q "dgram three" "$T/out" && break; sleep 0.02; done
is "$(grep '^dgram' "$T/out" | tr '\n' ' ')" "dgram one dgram two dgram three " \
	"the datagrams queued at the bound datagram socket, whole and in order"

# A datagram socket connected to a receiver outside the tree.
"$PROGS/fdx" dgram-recv "$T/d/log" >"$T/log" &
recv=$!
track $recv
wait_lines "$T/log" 1
"$PROGS/fdx" dgram-send "$T/d/log" >"$T/send" &
send=$!
track $send
wait_lines "$T/send" 3
msg=$("$CRTOOL" dump $send "$T/img2" 2>&1 >/dev/null)
like "$msg" "^crtool: checkpoint process $send: process $send: fd 3 \\(socket:\\[[0-9]+\\], unix datagram socket connected to \`$T/d/log\`\\): unsupported resource: its peer is outside the checkpointed tree \\(see --ext-unix-sk\\)$" \
	"without --ext-unix-sk: named error"
n=$(wc -l <"$T/send")
wait_lines "$T/send" $((n + 3))
ok "the sender runs on, untouched" awk -v p=$send '{ if ($4 != NR || $2 != p) exit 1 }' "$T/send"
ok "checkpoint with --ext-unix-sk" crdump $send "$T/img3" --ext-unix-sk
wait $send 2>/dev/null
last=$(tail -n 1 "$T/send" | awk '{print $4}')
is "$("$CRTOOL" restore "$T/img3" 2>/dev/null)" "$send" "restored"
track $send
wait_lines "$T/log" $((last + 4))
ok "the receiver gets the restored sender's datagrams again" \
	awk -v p=$send -v l=$last '$2 == p && $4 > l { f = 1 } END { exit !f }' "$T/log"

# The child alone: its stream connection goes to a listener outside the tree.
# With --ext-unix-sk it is connected to the listener's path again at restore
# (a new connection: the server counts one more).
like "$("$CRTOOL" dump $child "$T/img4" 2>&1)" \
	"^crtool: checkpoint process $child: process $child: fd [0-9]+ \\(socket:\\[[0-9]+\\], unix stream socket connected to \`$T/d/sock\`\\): unsupported resource: its peer is outside the checkpointed tree \\(see --ext-unix-sk\\)$" \
	"a connection to an outside listener without --ext-unix-sk: named error"
ok "checkpoint the child alone with --ext-unix-sk" crdump $child "$T/img4" --ext-unix-sk
reap $child
is "$("$CRTOOL" restore "$T/img4" 2>/dev/null)" "$child" "child restored"
n=$(wc -l <"$T/out")
wait_lines "$T/out" $((n + 3))
like "$(tail -n 1 "$T/out")" "^child got: pid $pid conn 5: ping [0-9]+ peer $T/d/sock$" \
	"the restored child talks to the server again on a new connection"
