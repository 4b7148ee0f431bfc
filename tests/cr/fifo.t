#!/bin/bash
# A named FIFO between a parent and its child with data in flight: the
# parent writes numbered lines in bursts, the child reads them slowly.
# After restore both have the FIFO open by its path again and the child
# reads on without a gap (the bytes that waited in the pipe buffer are back).
. "$(dirname "$0")/lib.sh"
plan 8

mkdir "$T/d"
"$PROGS/fdx" fifo "$T/d/fifo" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 3
child=$(tr -d ' ' </proc/$pid/task/$pid/children)
track $child
ok "checkpoint writer and reader of the FIFO" crdump $pid "$T/img"
wait $pid 2>/dev/null
reap $child
last=$(tail -n 1 "$T/out" | awk '{print $6}')
# The child printed $last: $last + 50 was not read yet, and the writer is ahead of it.
ok "the image holds the bytes waiting in the FIFO" grep -qa "^$((last + 50))\$" "$T/img/files.img"
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
is "$(tr -d ' ' </proc/$pid/task/$pid/children)" "$child" "child restored under its parent"
is "$(readlink /proc/$child/fd/3)" "$T/d/fifo" "the reader has the FIFO open by its path again"
n=$(wc -l <"$T/out")
wait_lines "$T/out" $((n + 4))
ok "the child reads on past $last" \
	awk -v l="$last" '$1 == "child" && $6 > l + 100 { f = 1 } END { exit !f }' "$T/out"
ok "no number lost or repeated" bash -c "! grep -q GAP '$T/out'"
# The writer's fd: the same FIFO (one pipe buffer for both).
is "$(stat -L -c %i /proc/$pid/fd/3)" "$(stat -c %i "$T/d/fifo")" "the writer has the same FIFO"
