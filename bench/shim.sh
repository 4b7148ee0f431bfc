#!/bin/bash
# bench/shim.sh — berth-shim vs conmon, side by side in one run:
#   1. RSS of an idle supervisor (container running `sleep`), median of 5;
#   2. log throughput: a container `cat`s a file of 1 GiB (LOG_MB) of
#      100-byte lines (made on the host, bind-mounted read-only) through the
#      supervisor into its log file (berth-shim: CRI format; conmon: k8s-file,
#      the same format); wall time from start to exit.  cat writes big chunks,
#      so the supervisors, not the producer, set the pace.
# Both supervise runc here, so only the supervisors differ.  Prints the
# numbers and the ratios.  Needs root, podman, conmon and runc.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${O:-$top/build}
BERTHCTL=${BERTHCTL:-$BUILD/bin/berthctl}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
LOG_MB=${LOG_MB:-1024}
T=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
	for c in $(B ps -aq 2>/dev/null); do B rm -f "$c" >/dev/null 2>&1; done
	P rm -af >/dev/null 2>&1
	P rmi -af >/dev/null 2>&1
	grep -o "$T[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
B() { "$BERTHCTL" --root "$T/root" --runroot "$T/run" --runtime "$RUNC" "$@"; }
P() {
	podman --root "$T/proot" --runroot "$T/prun" --storage-driver overlay --cgroup-manager cgroupfs \
		--events-backend file --runtime "$RUNC" --tmpdir "$T/ptmp" "$@"
}
PRUN=(--network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
"$top/tests/lib/rootfs.sh" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . | P import - localhost/bt-busybox >/dev/null || { echo "podman import failed" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# --- 1. idle RSS
for i in 1 2 3 4 5; do
	id=$(B run -d --network none busybox sleep 1000)
	sleep 0.3
	rss_kb "$(B inspect "$id" | jq -r '.[0].state_dir' | xargs -I{} cat {}/shim.pid)" >> "$T/rss-shim"
	B rm -f "$id" >/dev/null
	pid=$(P run -d "${PRUN[@]}" localhost/bt-busybox sleep 1000)
	sleep 0.3
	cpid=$(pgrep -f "conmon.*${pid:0:12}" | head -1)
	rss_kb "$cpid" >> "$T/rss-conmon"
	P rm -f "$pid" >/dev/null 2>&1
done
rs=$(median < "$T/rss-shim")
rc=$(median < "$T/rss-conmon")

# --- 2. 1 GiB of output into the log
bytes=$((LOG_MB * 1024 * 1024))
mkdir -p "$T/data"
yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 |
	head -c $bytes > "$T/data/lines"
gen="cat /data/lines"
t0=$(date +%s%N)
id=$(B run -d --network none -v "$T/data:/data:ro" busybox sh -c "$gen")
B wait "$id" >/dev/null
t1=$(date +%s%N)
B rm -f "$id" >/dev/null
t2=$(date +%s%N)
pid=$(P run -d "${PRUN[@]}" -v "$T/data:/data:ro" --log-driver k8s-file --log-opt path="$T/conmon.log" \
	localhost/bt-busybox sh -c "$gen")
P wait "$pid" >/dev/null
t3=$(date +%s%N)
P rm -f "$pid" >/dev/null 2>&1
ms_s=$(((t1 - t0) / 1000000))
ms_c=$(((t3 - t2) / 1000000))

printf '%-44s %12s %12s %8s\n' "" "berth-shim" "conmon" "ratio"
awk -v s="$rs" -v c="$rc" 'BEGIN {printf "%-44s %9d kB %9d kB %7.2fx\n", "idle RSS (median of 5)", s, c, c / s}'
awk -v s="$ms_s" -v c="$ms_c" -v mb="$LOG_MB" 'BEGIN {
	printf "%-44s %9d ms %9d ms %7.2fx\n", "write " mb " MiB through the log (wall)", s, c, c / s
	printf "%-44s %8.0f MB/s %7.0f MB/s\n", "log throughput", mb / (s / 1000), mb / (c / 1000) }'
