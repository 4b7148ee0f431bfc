# shellcheck shell=bash
# Helpers shared by the engine compatibility tests (containerd, podman).
# Source after tests/lib/tap.sh.
#
# The runtime under test is $COMPAT_RUNTIME (default: $BERTH).  Engines call it
# through a small wrapper that appends each command line to a log, so a failing
# test can show exactly what the engine asked the runtime to do.

COMPAT_RUNTIME=${COMPAT_RUNTIME:-$BERTH}

# compat_wrapper DIR — writes DIR/runtime (execs $COMPAT_RUNTIME after logging
# its argv, one line per call, to DIR/runtime.argv) and prints its path.
compat_wrapper() {
	local dir=$1
	cat > "$dir/runtime" <<-EOF
	#!/bin/sh
	printf '%s' "\$(date +%T.%N)" >> '$dir/runtime.argv'
	for a in "\$@"; do printf ' %s' "\$a"; done >> '$dir/runtime.argv'
	echo >> '$dir/runtime.argv'
	exec '$COMPAT_RUNTIME' "\$@"
	EOF
	chmod 0755 "$dir/runtime"
	echo "$dir/runtime"
}

# compat_show_argv DIR — the runtime command lines logged so far, as TAP diag.
compat_show_argv() {
	[ -s "$1/runtime.argv" ] || return 0
	diag "runtime calls:"
	sed 's/^/#   /' "$1/runtime.argv"
}

# compat_rootfs DIR — the busybox root filesystem (tests/lib/rootfs.sh).
compat_rootfs() {
	"$BERTH_TOP/tests/lib/rootfs.sh" "$1" > /dev/null
}

# compat_docker_archive ROOTFS OUT NAME — a one-layer docker-archive image
# (`docker save` format) of ROOTFS, tagged NAME, written to OUT.
compat_docker_archive() {
	local rootfs=$1 out=$2 name=$3 d diff arch
	d=$(mktemp -d "$out.XXXXXX") || return 1
	tar -C "$rootfs" --numeric-owner -cf "$d/layer.tar" . || return 1
	diff=sha256:$(sha256sum < "$d/layer.tar" | cut -d' ' -f1)
	arch=$(dpkg --print-architecture)
	jq -n --arg diff "$diff" --arg arch "$arch" '{
		architecture: $arch, os: "linux",
		config: {Cmd: ["sh"], Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], WorkingDir: "/"},
		rootfs: {type: "layers", diff_ids: [$diff]}
	}' > "$d/config.json" || return 1
	jq -n --arg name "$name" \
		'[{Config: "config.json", RepoTags: [$name], Layers: ["layer.tar"]}]' \
		> "$d/manifest.json" || return 1
	tar -C "$d" -cf "$out" manifest.json config.json layer.tar || return 1
	rm -rf "$d"
}

# compat_mounts PATTERN — mountinfo lines whose mount point matches PATTERN.
compat_mounts() {
	awk -v p="$1" '$5 ~ p' /proc/self/mountinfo
}

# compat_cgroups PATTERN — cgroup directories (v1 and v2) named PATTERN.
compat_cgroups() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$1" 2>/dev/null
}

# compat_procs PATTERN — processes whose command line matches PATTERN.
compat_procs() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		tr '\0' ' ' 2> /dev/null < "$p/cmdline" | grep -E -q -- "$1" &&
			echo "${p#/proc/}: $(tr '\0' ' ' 2> /dev/null < "$p/cmdline")"
	done
	return 0
}

# compat_wait_gone PID [TENTHS] — wait until PID has exited (default 10 s).
compat_wait_gone() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		kill -0 "$1" 2> /dev/null || return 0
		sleep 0.1
	done
	return 1
}
