#!/bin/bash
# eventfd, signalfd, timerfd and epoll across checkpoint/restore, with a
# pending signal: the state in /proc/PID/fdinfo is the same and the program
# goes on (timer ticks grow, the pending SIGUSR1 is still readable).
. "$(dirname "$0")/lib.sh"
plan 9

# fdinfo without the lines that differ between two equal files (ids, inodes, timing).
state() {
	local fd
	for fd in 3 4 5 6; do
		echo "fd $fd $(readlink /proc/$1/fd/$fd)"
		grep -v -e '^pos' -e '^mnt_id' -e '^ino' -e '^eventfd-id' -e '^it_value' -e '^ticks' \
			/proc/$1/fdinfo/$fd | sed 's/ ino:.*//' | sort
	done
}

"$PROGS/anon" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 3
kill -USR1 $pid
wait_lines "$T/out" 6
before=$(state $pid)
ok "checkpoint" crdump $pid "$T/img"
wait $pid 2>/dev/null
last=$(tail -n 1 "$T/out" | awk '{print $4}')
like "$(tail -n 1 "$T/out")" "efd 1 sig 1$" "before: eventfd and signalfd readable"
lines=$(wc -l <"$T/out")
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
track $pid
wait_lines "$T/out" $((lines + 5))
is "$(state $pid)" "$before" "the same fds with the same state (fdinfo)"
like "$(grep ShdPnd /proc/$pid/status)" "0000000000000200$" "SIGUSR1 still pending"
like "$(tail -n 1 "$T/out")" "efd 1 sig 1$" "after: eventfd and signalfd readable"
now=$(tail -n 1 "$T/out" | awk '{print $4}')
# Five lines more are five reads of at least one tick each (a timer left
# disarmed by the restore would give one tick, then none).
ok "timer ticks go on ($last -> $now)" test "$now" -ge $((last + 5))
like "$(grep it_interval /proc/$pid/fdinfo/5)" "\\(0, 50000000\\)" "timer interval"
like "$(grep tfd /proc/$pid/fdinfo/6 | awk '{print $2, $6}' | sort | tr '\n' ' ')" "^3 1 4 2 5 3 $" \
	"epoll watches the three fds with their data"
