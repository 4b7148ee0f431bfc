# shellcheck shell=bash
# Helpers for the runtime's shell tests: source after tests/lib/tap.sh.
. "$BERTH_TOP/tests/lib/bundle.sh"

RT_TMP=$(tap_tmpdir)
RT_ROOT=$RT_TMP/state
# b ARGS...: berth with this test's state root
b() { "$BERTH" --root "$RT_ROOT" "$@"; }

# Remove every container of this test on exit, whatever state it is in.
defer "for id in \$(ls '$RT_ROOT' 2>/dev/null); do '$BERTH' --root '$RT_ROOT' delete -f \$id; done"

# rt_bundle NAME ARGS...: a busybox bundle under $RT_TMP/NAME running ARGS
rt_bundle() {
	local name=$1; shift
	make_bundle "$RT_TMP/$name" "$@" >/dev/null
	echo "$RT_TMP/$name"
}

# rt_jq BUNDLE FILTER: edit the bundle's config.json in place
rt_jq() {
	jq "$2" "$1/config.json" > "$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# rt_nothing_left ID: no state, mount, cgroup or process of the container remains
rt_nothing_left() {
	local id=$1 left=""
	[ -e "$RT_ROOT/$id" ] && left="$left state"
	grep -q "$RT_TMP" /proc/self/mountinfo && left="$left mount"
	[ -n "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null)" ] && left="$left cgroup"
	grep -l -E "/$id\$" /proc/[0-9]*/cgroup >/dev/null 2>&1 && left="$left process"
	[ -z "$left" ] || { diag "left behind:$left"; return 1; }
}

# rt_err CMD...: run, capture stderr in $RT_ERR and the status in $RT_RC
rt_err() {
	RT_ERR=$("$@" 2>&1 >/dev/null); RT_RC=$?
}

# rt_gone PID: the process exits (or is a zombie waiting for its parent) within 5 s
rt_gone() {
	local s
	for _ in $(seq 50); do
		s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
		[ "$s" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

# has_line TEXT LINE DESCRIPTION: one line of TEXT is exactly LINE
has_line() {
	if grep -qxF -- "$2" <<<"$1"; then _tap_result 0 "$3"; else
		_tap_result 1 "$3"; diag "no line '$2' in:"; diag "$(head -c 2000 <<<"$1")"; fi
}
# has_re TEXT REGEX DESCRIPTION: one line of TEXT matches REGEX (extended, whole line not required)
has_re() {
	if grep -qE -- "$2" <<<"$1"; then _tap_result 0 "$3"; else
		_tap_result 1 "$3"; diag "no line matching '$2' in:"; diag "$(head -c 2000 <<<"$1")"; fi
}
