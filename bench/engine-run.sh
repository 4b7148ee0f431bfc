#!/bin/bash
# bench/engine-run.sh [N] — N (default 50) sequential `run --rm IMAGE true`
# with berthctl (berth-shim + berth) and with podman (conmon + runc) in one
# run, both with --network none (engine and supervisor cost, not CNI), plus
# berthctl with its default CNI network (a berth-bridge + berth-ipam network in
# 198.19.210.0/24).  berthctl runs the runtime through libberth inside the
# shim (--runtime builtin, its default).  BASE_BERTHCTL=PATH (e.g. a build of
# an older commit) is timed in the same run for a before/after comparison.
# Prints the median and mean per run and the ratio podman/berthctl.  Needs root.
#
# podman here: --runtime runc (crun 1.8 refuses hybrid cgroups),
# --cgroup-manager cgroupfs (no systemd), --ulimit nofile=1024:1024 (its
# default asks for more than the hard limit of this machine).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-${N:-50}}
BUILD=${O:-$top/build}
BERTHCTL=${BERTHCTL:-$BUILD/bin/berthctl}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
T=$(mktemp -d /tmp/berth-bench.XXXXXX)
BR=bt-eng-bn$((RANDOM % 10000))
cleanup() {
	for c in $(B ps -aq 2>/dev/null); do B rm -f "$c" >/dev/null 2>&1; done
	P rm -af >/dev/null 2>&1
	P rmi -af >/dev/null 2>&1
	ip link del "$BR" 2>/dev/null
	grep -o "$T[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/cni"
cat > "$T/cni/10-berth.conflist" <<J
{"cniVersion": "1.0.0", "name": "berth", "plugins": [
 {"type": "berth-bridge", "bridge": "$BR", "isGateway": true, "ipMasq": false,
  "ipam": {"type": "berth-ipam", "ranges": [[{"subnet": "198.19.210.0/24"}]], "dataDir": "$T/ipam"}}]}
J
B() { "$BERTHCTL" --root "$T/root" --runroot "$T/run" --cni-config-dir "$T/cni" "$@"; }
P() {
	podman --root "$T/proot" --runroot "$T/prun" --storage-driver overlay --cgroup-manager cgroupfs \
		--events-backend file --runtime "$RUNC" --tmpdir "$T/ptmp" "$@"
}

# the same busybox tree for both
"$top/tests/lib/rootfs.sh" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . | P import - localhost/bt-busybox >/dev/null || { echo "podman import failed" >&2; exit 1; }
B run --rm --network none busybox true || { echo "berthctl run failed" >&2; exit 1; }

# timed NAME CMD... — N runs; prints "median_ms mean_ms"
timed() {
	local name=$1; shift
	local i t0 t1 f=$T/times-$name
	: > "$f"
	"$@" >/dev/null 2>&1 # warm-up
	for ((i = 0; i < N; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>>"$T/err-$name" || { echo "$name: run $i failed: $(tail -1 "$T/err-$name")" >&2; exit 1; }
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >> "$f"
	done
	sort -n "$f" | awk '{a[NR] = $1; s += $1} END {printf "%.1f %.1f\n", a[int((NR + 1) / 2)] / 1000, s / NR / 1000}'
}

read -r bm bmean < <(timed berthctl B run --rm --network none busybox true)
read -r bnm bnmean < <(timed berthctl-net B run --rm busybox true)
if [ -n "${BASE_BERTHCTL:-}" ]; then
	read -r bbm bbmean < <(timed base "$BASE_BERTHCTL" --root "$T/root" --runroot "$T/run" \
		--cni-config-dir "$T/cni" run --rm --network none busybox true)
	read -r bbnm bbnmean < <(timed base-net "$BASE_BERTHCTL" --root "$T/root" --runroot "$T/run" \
		--cni-config-dir "$T/cni" run --rm busybox true)
fi
read -r pm pmean < <(timed podman P run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 localhost/bt-busybox true)

printf '%-36s %10s %10s\n' "run --rm IMAGE true (x$N)" "median ms" "mean ms"
printf '%-36s %10s %10s\n' "berthctl (shim+berth), --network none" "$bm" "$bmean"
printf '%-36s %10s %10s\n' "berthctl, default CNI network" "$bnm" "$bnmean"
if [ -n "${BASE_BERTHCTL:-}" ]; then
	printf '%-36s %10s %10s\n' "BASE_BERTHCTL, --network none" "$bbm" "$bbmean"
	printf '%-36s %10s %10s\n' "BASE_BERTHCTL, default CNI network" "$bbnm" "$bbnmean"
fi
printf '%-36s %10s %10s\n' "podman (conmon+runc), --network none" "$pm" "$pmean"
awk -v p="$pm" -v b="$bm" 'BEGIN {printf "ratio podman/berthctl (median): %.2fx\n", p / b}'
if [ -n "${BASE_BERTHCTL:-}" ]; then
	awk -v a="$bbm" -v b="$bm" 'BEGIN {printf "ratio BASE/berthctl, --network none (median): %.2fx\n", a / b}'
	awk -v a="$bbnm" -v b="$bnm" 'BEGIN {printf "ratio BASE/berthctl, CNI network (median): %.2fx\n", a / b}'
fi
