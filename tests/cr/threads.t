#!/bin/bash
# A multi-threaded program: restored with the same thread ids and names,
# and every thread's count goes on from where it was.
. "$(dirname "$0")/lib.sh"
plan 6

"$PROGS/threads" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 10
tids=$(ls /proc/$pid/task | sort -n | tr '\n' ' ')
names() { for t in $(ls /proc/$pid/task | sort -n); do cat /proc/$pid/task/$t/comm; done | tr '\n' ' '; }
before=$(names)
ok "checkpoint a process with 4 threads" crdump $pid "$T/img"
wait $pid 2>/dev/null
read -r -a last < <(tail -n 1 "$T/out")
lines=$(wc -l <"$T/out")
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored with the same pid"
track $pid
wait_lines "$T/out" $((lines + 20))
is "$(ls /proc/$pid/task | sort -n | tr '\n' ' ')" "$tids" "the same thread ids"
is "$(names)" "$before" "the same thread names ($before)"
read -r -a first < <(sed -n "$((lines + 1))p" "$T/out")
ok "no count went back (${last[*]:7} -> ${first[*]:7})" \
	test "${first[7]}" -ge "${last[7]}" -a "${first[8]}" -ge "${last[8]}" -a "${first[9]}" -ge "${last[9]}"
read -r -a now < <(tail -n 1 "$T/out")
ok "every thread runs after restore (${now[*]:7})" \
	test "${now[7]}" -gt "${last[7]}" -a "${now[8]}" -gt "${last[8]}" -a "${now[9]}" -gt "${last[9]}"
