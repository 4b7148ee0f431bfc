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

# compat_podman_setup — podman isolated in a scratch directory: sets tmp, rt
# (the logging runtime wrapper), rtroot (the runtime's state root), img,
# cgparent, run_opts and the function p (podman with the test's options), and
# registers the cleanups.  Call at the top level of the test (defer).
compat_podman_setup() {
	tmp=$(mktemp -d /tmp/berth-test.XXXXXX)
	defer "rm -rf '$tmp'"
	rt=$(compat_wrapper "$tmp")
	# podman passes no --root (and its cleanup would drop --runtime-flag): the
	# runtime keeps its state in its default root.
	case ${COMPAT_RUNTIME##*/} in
	runc) rtroot=/run/runc ;;
	crun) rtroot=/run/crun ;;
	*) rtroot=/run/berth ;;
	esac
	img=localhost/bt-compat/busybox:latest
	cgparent=/bt-compat-podman
	defer "compat_procs '$tmp' | cut -d: -f1 | xargs -r kill -9"
	defer "compat_mounts '^$tmp/' | awk '{print \$5}' | sort -r | xargs -r -n1 umount -l"
	defer "find /sys/fs/cgroup/*$cgparent -depth -type d -exec rmdir {} +"
	mkdir -p "$tmp/tmp"
	cat > "$tmp/containers.conf" <<-EOF
	[containers]
	ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	events_logfile_path = "$tmp/events.log"
	lock_type = "file"
	tmp_dir = "$tmp/tmp"
	static_dir = "$tmp/storage/libpod"
	volume_path = "$tmp/storage/volumes"
	EOF
	cat > "$tmp/storage.conf" <<-EOF
	[storage]
	driver = "overlay"
	graphroot = "$tmp/storage"
	runroot = "$tmp/run"
	EOF
	export CONTAINERS_CONF=$tmp/containers.conf CONTAINERS_STORAGE_CONF=$tmp/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$tmp/registries.conf
	: > "$tmp/registries.conf"
	# podman raises nofile/nproc beyond the hard limits here by default (EPERM
	# without CAP_SYS_RESOURCE): ask for limits the runtime can set.
	run_opts=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
		--cgroup-parent "$cgparent")
	defer "p rm -f -a -t 0"
}
p() {
	timeout 60 podman --root "$tmp/storage" --runroot "$tmp/run" --tmpdir "$tmp/tmp" \
		--runtime "$rt" --cgroup-manager cgroupfs --events-backend file "$@"
}

# compat_settle ID — wait (up to 20 s) until conmon's exit command for the
# container (`podman container cleanup ID`) has finished.  podman 4.3 races that
# cleanup against a concurrent `podman rm`: the cleanup's umount of the shm dir
# fails with EBUSY while rm walks the directory, and rm then fails.
compat_settle() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -z "$(compat_procs " cleanup ${1:-none}")" ] && return 0
		sleep 0.1
	done
	return 1
}

# compat_alive PID — PID is a number above 0 and names a live process
# (`kill -0 0` would test the process group instead).
compat_alive() {
	[ "${1:-0}" -gt 0 ] 2> /dev/null && kill -0 "$1" 2> /dev/null
}
