#!/bin/bash
# Unix socketpairs: a stream pair between a parent and its child with data
# in flight, and a datagram pair with three datagrams queued.  After restore
# the stream goes on without a gap and the datagrams arrive in order, whole.
. "$(dirname "$0")/lib.sh"
plan 7

"$PROGS/usock" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 3
child=$(tr -d ' ' </proc/$pid/task/$pid/children)
track $child
ok "checkpoint parent and child with their socketpairs" crdump $pid "$T/img"
wait $pid 2>/dev/null
reap $child
last=$(tail -n 1 "$T/out" | awk '{print $6}')
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
is "$(tr -d ' ' </proc/$pid/task/$pid/children)" "$child" "child restored under its parent"
n=$(wc -l <"$T/out")
wait_lines "$T/out" $((n + 4))
ok "the child reads on past $last" \
	awk -v l="$last" '$1 == "child" && $6 > l + 100 { f = 1 } END { exit !f }' "$T/out"
ok "no number lost or repeated on the stream" bash -c "! grep -q GAP '$T/out'"
kill -USR1 $pid
for ((i = 0; i < 1000; i++)); do grep -q "dgram three" "$T/out" && break; sleep 0.02; done
is "$(grep dgram "$T/out" | tr '\n' ' ')" "dgram one dgram two dgram three " "the queued datagrams, whole and in order"

# A socketpair whose other end is outside the tree cannot be restored.
"$PROGS/usock" >"$T/out2" &
pid2=$!
track $pid2
wait_lines "$T/out2" 2
child2=$(tr -d ' ' </proc/$pid2/task/$pid2/children)
track $child2
like "$("$CRTOOL" dump $child2 "$T/img2" 2>&1)" \
	"unix socket\\): unsupported resource: its peer is outside the checkpointed tree$" \
	"a peer outside the tree is a named error"
