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

# shellcheck source=wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"
crdump() { "$CRTOOL" dump "$@" >/dev/null; }
# Kill (by pid) at exit; also waits, so the pid is free again.
track() { defer "kill -9 $1 2>/dev/null; wait $1 2>/dev/null"; }
# Wait for a restored pid (a child of pid 1 now) to be gone.
reap() { while kill -0 "$1" 2>/dev/null; do kill -9 "$1" 2>/dev/null; sleep 0.01; done; }
