#!/bin/bash
# bench/engine-run.sh [N] — N (default 50) sequential `run --rm IMAGE true`
# with berthctl (berth-shim + berth) and with podman (conmon + runc) in one
# run, both with --network none (engine and supervisor cost, not CNI), plus
# berthctl with its default CNI network (a berth-bridge + berth-ipam network in
# 198.19.210.0/24), and two floors: a fork+exec of /bin/true and `berth run`
# of the same busybox tree as a prepared bundle (the runtime alone).  berthctl
# runs the runtime through libberth inside the shim (--runtime builtin, its
# default).  BASE_BERTHCTL=PATH (e.g. a build of
# an older commit) is timed in the same run for a before/after comparison.
# All are timed in one run, in blocks that take turns (see BLOCK below).  Prints the median and mean per
# run, the ratio podman/berthctl and berthctl's cost above the floor.  Needs root.
#
# podman here: --runtime runc (crun 1.8 refuses hybrid cgroups: "cgroups in
# hybrid mode not supported"; RUNC=/usr/bin/crun on a cgroup v2 host),
# --cgroup-manager cgroupfs (no systemd), --ulimit nofile=1024:1024 (its
# default asks for more than the hard limit of this machine).
#
# The run-time state of both (berthctl --runroot, podman --runroot and
# --tmpdir) is on a tmpfs, as /run is on any ordinary host; on a VM whose /run
# is a directory of the root filesystem, RUNROOT_ON_DISK=1 keeps it there
# (for berthctl that adds two directories per run on the disk, each removal a
# wait for the device when the filesystem is mounted with `discard`).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-${N:-50}}
BUILD=${O:-$top/build}
BERTHCTL=${BERTHCTL:-$BUILD/bin/berthctl}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
T=$(mktemp -d /tmp/berth-bench.XXXXXX)
BR=bt-eng-bn$((RANDOM % 10000))
R=$T
if [ -z "${RUNROOT_ON_DISK:-}" ]; then
	mkdir -p "$T/tmpfs" && mount -t tmpfs -o size=256m,mode=0700 bench-run "$T/tmpfs" && R=$T/tmpfs
fi
cleanup() {
	for c in $(B ps -aq 2>/dev/null); do B rm -f "$c" >/dev/null 2>&1; done
	P rm -af >/dev/null 2>&1
	P rmi -af >/dev/null 2>&1
	ip link del "$BR" 2>/dev/null
	grep -o "${T}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/cni"
cat > "$T/cni/10-berth.conflist" <<J
{"cniVersion": "1.0.0", "name": "berth", "plugins": [
 {"type": "berth-bridge", "bridge": "$BR", "isGateway": true, "ipMasq": false,
  "ipam": {"type": "berth-ipam", "ranges": [[{"subnet": "198.19.210.0/24"}]], "dataDir": "$T/ipam"}}]}
J
B() { "$BERTHCTL" --root "$T/root" --runroot "$R/run" --cni-config-dir "$T/cni" "$@"; }
P() {
	podman --root "$T/proot" --runroot "$R/prun" --storage-driver overlay --cgroup-manager cgroupfs \
		--events-backend file --runtime "$RUNC" --tmpdir "$R/ptmp" "$@"
}

# the same busybox tree for both
"$top/tests/lib/rootfs.sh" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . | P import - localhost/bt-busybox >/dev/null || { echo "podman import failed" >&2; exit 1; }
B run --rm --network none busybox true || { echo "berthctl run failed" >&2; exit 1; }

# the floor: the same busybox tree as an OCI bundle for `berth run`
mkdir -p "$T/bundle"
cp -a "$T/rootfs" "$T/bundle/rootfs"
(cd "$T/bundle" && "$BUILD/bin/berth" spec) || { echo "berth spec failed" >&2; exit 1; }
jq '.process.args = ["true"] | .process.terminal = false' "$T/bundle/config.json" > "$T/config.json" &&
	mv "$T/config.json" "$T/bundle/config.json"

# The configurations.
names=() cmds=()
add() { names+=("$1"); shift; cmds+=("$(printf '%q ' "$@")"); }
add true /bin/true
add berth-run "$BUILD/bin/berth" --root "$R/rt" run --bundle "$T/bundle" bench-floor
add berthctl B run --rm --network none busybox true
add berthctl-net B run --rm busybox true
if [ -n "${BASE_BERTHCTL:-}" ]; then
	add base "$BASE_BERTHCTL" --root "$T/root" --runroot "$R/run" --cni-config-dir "$T/cni" \
		run --rm --network none busybox true
	add base-net "$BASE_BERTHCTL" --root "$T/root" --runroot "$R/run" --cni-config-dir "$T/cni" \
		run --rm busybox true
fi
add podman P run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 localhost/bt-busybox true

# EPOCHREALTIME, not $(date): no process of its own inside the timed interval
once() { # IDX — one timed run of configuration IDX, appended to its file (µs)
	local t0 t1
	t0=${EPOCHREALTIME/[.,]/}
	eval "${cmds[$1]}" >/dev/null 2>>"$T/err-${names[$1]}" ||
		{ echo "${names[$1]}: failed: $(tail -1 "$T/err-${names[$1]}")" >&2; exit 1; }
	t1=${EPOCHREALTIME/[.,]/}
	echo $((t1 - t0)) >> "$T/times-${names[$1]}"
}
# The N runs of a configuration go in blocks of BLOCK (default 10) back to
# back, as a loop of `run --rm` would; the blocks of the configurations take
# turns, so a machine whose speed drifts (this one is shared) weighs on all
# alike.  Between blocks SETTLE seconds (default 0.5) let what a block left
# working (podman's cleanup processes, deferred kernel work) finish.
BLOCK=${BLOCK:-10}
SETTLE=${SETTLE:-0.5}
for i in "${!names[@]}"; do eval "${cmds[$i]}" >/dev/null 2>&1; : > "$T/times-${names[$i]}"; done # warm-up
for ((r = 0; r * BLOCK < N; r++)); do
	if ((r % 2 == 0)); then order=("${!names[@]}"); else mapfile -t order < <(printf '%s\n' "${!names[@]}" | tac); fi
	for i in "${order[@]}"; do
		sleep "$SETTLE"
		for ((k = r * BLOCK; k < N && k < (r + 1) * BLOCK; k++)); do once "$i"; done
	done
done
declare -A med mean
for i in "${!names[@]}"; do
	read -r "med[${names[$i]}]" "mean[${names[$i]}]" < <(sort -n "$T/times-${names[$i]}" |
		awk '{a[NR] = $1; s += $1} END {printf "%.1f %.1f\n", a[int((NR + 1) / 2)] / 1000, s / NR / 1000}')
done

label() {
	case $1 in
	true) echo "floor: fork+exec of /bin/true" ;;
	berth-run) echo "floor: berth run of a bundle" ;;
	berthctl) echo "berthctl, --network none" ;;
	berthctl-net) echo "berthctl, default CNI network" ;;
	base) echo "BASE_BERTHCTL, --network none" ;;
	base-net) echo "BASE_BERTHCTL, default CNI network" ;;
	podman) echo "podman ($(basename "$RUNC")), --network none" ;;
	esac
}
printf '%-38s %10s %10s\n' "run --rm IMAGE true (x$N, blocks of $BLOCK)" "median ms" "mean ms"
for n in "${names[@]}"; do printf '%-38s %10s %10s\n' "$(label "$n")" "${med[$n]}" "${mean[$n]}"; done
awk -v p="${med[podman]}" -v b="${med[berthctl]}" 'BEGIN {printf "ratio podman/berthctl (median): %.2fx\n", p / b}'
awk -v f="${med[berth-run]}" -v b="${med[berthctl]}" 'BEGIN {printf "berthctl above the berth-run floor: %.1f ms\n", b - f}'
if [ -n "${BASE_BERTHCTL:-}" ]; then
	awk -v a="${med[base]}" -v b="${med[berthctl]}" 'BEGIN {printf "ratio BASE/berthctl, --network none (median): %.2fx\n", a / b}'
	awk -v a="${med[base-net]}" -v b="${med[berthctl-net]}" 'BEGIN {printf "ratio BASE/berthctl, CNI network (median): %.2fx\n", a / b}'
fi
echo "run-time state on $( [ "$R" = "$T" ] && echo "the disk (RUNROOT_ON_DISK)" || echo "a tmpfs")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
