#!/bin/bash
# A single-threaded program counting in memory: checkpoint (kills it),
# restore, and it goes on from its last value with the same pid; restore
# twice from one image; --leave-running leaves it running and unchanged.
. "$(dirname "$0")/lib.sh"
plan 10

"$PROGS/counter" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 5
ok "checkpoint a running counter" crdump $pid "$T/img"
wait $pid 2>/dev/null
ok "the original is gone after checkpoint" test ! -d /proc/$pid
n=$(last_count "$T/out")
lines=$(wc -l <"$T/out")
got=$("$CRTOOL" restore "$T/img")
is "$got" "$pid" "restored with the same pid"
wait_lines "$T/out" $((lines + 5))
is "$(sed -n "$((lines + 1))p" "$T/out")" "pid $pid count $((n + 1))" \
	"the restored counter continues at the next value"
ok "the restored process keeps writing to its stdout file" grep -q "count $((n + 5))$" "$T/out"
is "$(readlink /proc/$pid/exe)" "$PROGS/counter" "restored exe link"
kill -9 $pid
reap $pid

# Restore a second time from the same image: starts again from the same value.
# stdout is not O_APPEND: the copy writes at the saved offset of its file.
pos=$(head -n "$lines" "$T/out" | wc -c)
: >"$T/out"
got=$("$CRTOOL" restore "$T/img")
is "$got" "$pid" "second restore from the same image"
for ((i = 0; i < 2000; i++)); do [ "$(stat -c %s "$T/out")" -gt $((pos + 40)) ] && break; sleep 0.01; done
is "$(tail -c +$((pos + 1)) "$T/out" | head -n 1)" "pid $pid count $((n + 1))" \
	"second restore continues from the saved value, at the saved file offset"
kill -9 $pid
reap $pid

# --leave-running: the original goes on, the counter is not reset.
"$PROGS/counter" >"$T/out2" &
pid2=$!
track $pid2
wait_lines "$T/out2" 5
ok "checkpoint with --leave-running" crdump $pid2 "$T/img2" --leave-running
before=$(wc -l <"$T/out2")
wait_lines "$T/out2" $((before + 5))
ok "the original keeps counting without a gap" \
	awk -v p=$pid2 '{ if ($4 != NR) exit 1; if ($2 != p) exit 1 }' "$T/out2"
