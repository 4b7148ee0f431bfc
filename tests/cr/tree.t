#!/bin/bash
# A process tree: a parent writing into a pipe its child reads slowly, so
# data is in flight at checkpoint.  Restored with the same pids and
# parentage, the child goes on reading the sequence without a gap.
. "$(dirname "$0")/lib.sh"
plan 8

"$PROGS/tree" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 3
child=$(cat /proc/$pid/task/$pid/children | tr -d ' ')
track $child
ok "checkpoint a parent and its child" crdump $pid "$T/img"
wait $pid 2>/dev/null
ok "the image holds data that was in the pipe" \
	test "$(grep -ac '^[0-9][0-9]*$' "$T/img/files.img")" -gt 5
ok "both are gone" test ! -d /proc/$pid -a ! -d /proc/$child
reap $child
last=$(tail -n 1 "$T/out" | awk '{print $6}')
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "parent restored with its pid"
is "$(cat /proc/$pid/task/$pid/children | tr -d ' ')" "$child" "child restored with its pid, under its parent"
before=$(wc -l <"$T/out")
wait_lines "$T/out" $((before + 6))
ok "the child reads on past $last" \
	awk -v l="$last" '$1 == "child" && $6 > l + 200 { f = 1 } END { exit !f }' "$T/out"
ok "no number lost or repeated across the restore" bash -c "! grep -q GAP '$T/out'"
is "$(awk '$1 == "child" { print $2 " " $4 }' "$T/out" | sort -u)" "$child $pid" \
	"every line came from the same child pid and parent pid"
