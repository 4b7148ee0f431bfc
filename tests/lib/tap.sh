# shellcheck shell=bash
# TAP helpers for berth's shell tests.  Source this file, call `plan N`, then
# ok/is/like/... ; register cleanups with `defer CMD...` — they run in reverse
# order on exit, also when a test fails or the script is killed.
#
# Paths: $BERTH_TOP (repo), $BUILD (build dir), $BERTH (runtime binary).

BERTH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${O:-$BERTH_TOP/build}
case $BUILD in /*) ;; *) BUILD=$BERTH_TOP/$BUILD ;; esac
BERTH=${BERTH:-$BUILD/bin/berth}
export BERTH_TOP BUILD BERTH
_tap_n=0
_tap_failed=0
_tap_deferred=()

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

_tap_result() { # status description
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

# ok DESCRIPTION CMD...   — passes when CMD exits 0
ok() { local d=$1; shift; if "$@"; then _tap_result 0 "$d"; else _tap_result 1 "$d"; fi; }
# fails DESCRIPTION CMD... — passes when CMD exits non-zero
fails() { local d=$1; shift; if "$@"; then _tap_result 1 "$d"; else _tap_result 0 "$d"; fi; }
# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then _tap_result 0 "$3"; else
		_tap_result 1 "$3"; diag "got:  '$1'"; diag "want: '$2'"; fi
}
isnt() {
	if [ "$1" != "$2" ]; then _tap_result 0 "$3"; else
		_tap_result 1 "$3"; diag "got '$1', wanted anything else"; fi
}
# like GOT REGEX DESCRIPTION (extended regex)
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then _tap_result 0 "$3"; else
		_tap_result 1 "$3"; diag "got:  '$1'"; diag "want match: '$2'"; fi
}
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		_tap_result 1 "$3"; diag "got:  '$1'"; diag "must not match: '$2'"; else _tap_result 0 "$3"; fi
}
diag() { echo "# $*" | sed '2,$s/^/# /'; }

defer() { _tap_deferred+=("$*"); }
# Where tap_tmpdir notes its directories: $$ and the pid namespace, as tests
# re-run in a pid namespace of their own are all pid 1 there.
_tap_dirs() { local ns; ns=$(readlink /proc/self/ns/pid); echo "/tmp/berth-test.$$.${ns//[^0-9]/}.dirs"; }
_tap_cleanup() {
	local i dirs
	for ((i = ${#_tap_deferred[@]} - 1; i >= 0; i--)); do
		eval "${_tap_deferred[$i]}" >/dev/null 2>&1 || true
	done
	dirs=$(_tap_dirs)
	if [ -f "$dirs" ]; then
		while read -r i; do rm -rf "$i"; done < "$dirs"
		rm -f "$dirs"
	fi
}
_tap_exit() {
	local rc=$?
	_tap_cleanup
	[ "$_tap_failed" -gt 0 ] && exit 1
	exit $rc
}
trap _tap_exit EXIT
trap 'exit 130' INT TERM

# A scratch directory removed at exit (after the other cleanups registered later).
tap_tmpdir() {
	local d
	d=$(mktemp -d /tmp/berth-test.XXXXXX)
	defer "rm -rf '$d'"
	# As d=$(tap_tmpdir) the defer above dies with the subshell; $$ is still the
	# script's PID there, so note the directory where the script's cleanup finds it.
	echo "$d" >> "$(_tap_dirs)"
	echo "$d"
}

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
