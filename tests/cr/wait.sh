# shellcheck shell=bash
# Waiting on the logs of the checkpoint/restore test programs; damaging images.
# Wait until FILE has at least N lines (up to 20 s: CI machines can be loaded).
wait_lines() {
	local i
	for ((i = 0; i < 2000; i++)); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.01
	done
	return 1
}
# The last "count N" of a counter log.
last_count() { tail -n 1 "$1" | sed -n 's/.* count \([0-9]*\)$/\1/p'; }
# Wait (up to 10 s) for a line matching an extended regexp in FILE, a terminal's
# output: carriage returns are dropped.
wait_out() {
	local i
	for ((i = 0; i < 1000; i++)); do
		tr -d '\r' <"$1" | grep -Eq "$2" && return 0
		sleep 0.01
	done
	diag "no \`$2\` in $1:" "$(tr -d '\r' <"$1" | tail -n 5)"
	return 1
}
# The lines of a terminal's output FILE matching an extended regexp.
out() { tr -d '\r' <"$1" | grep -E "$2"; }
# flip_byte FILE OFFSET: invert the bits of one byte.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
