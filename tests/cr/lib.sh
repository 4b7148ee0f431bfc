# shellcheck shell=bash
# Shared setup for the checkpoint/restore tests: each test runs in a pid
# namespace of its own (so saved pids can be given again, and everything it
# started dies with it), with its own /proc.
# shellcheck source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
need_root
if [ -z "${BT_CR_PIDNS:-}" ]; then
	BT_CR_PIDNS=1 exec unshare --pid --fork --mount-proc -- "$0" "$@"
fi
PROGS=$BUILD/tests/cr/progs
CRTOOL=$PROGS/crtool
T=$(tap_tmpdir)

crdump() { "$CRTOOL" dump "$@" >/dev/null; }
# Kill (by pid) at exit; also waits, so the pid is free again.
track() { defer "kill -9 $1 2>/dev/null; wait $1 2>/dev/null"; }
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
# Wait for a restored pid (a child of pid 1 now) to be gone.
reap() { while kill -0 "$1" 2>/dev/null; do kill -9 "$1" 2>/dev/null; sleep 0.01; done; }
