#!/bin/bash
# bench/cr.sh [MIB] — checkpoint/restore throughput of berth's engine:
#  1. a process with MIB (default 1024) MiB of touched anonymous memory is
#     checkpointed into a tmpfs and restored from it (3 rounds; GB/s of
#     page data each way, best and median, and the whole command's wall time);
#  2. the frozen time of `--leave-running` for a 256 MiB process (median of 5);
#  3. `berth checkpoint` and `berth restore -d` of a small container (the
#     counter as its init; whole commands, median of 5).
# The peer, CRIU, does not start on this kernel (6.18: its vDSO handling
# fails), so there is no ratio; the target is >= 2 GB/s each way.
# Needs root.  Runs inside a private pid namespace so saved pids are free.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${O:-$top/build}
PROGS=$BUILD/tests/cr/progs
MIB=${1:-1024}
ROUNDS=${ROUNDS:-3}

if [ "${1:-}" != --inner ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/cr.sh: needs root" >&2; exit 1; }
	for p in crtool memhog counter-static; do
		[ -x "$PROGS/$p" ] || { echo "bench/cr.sh: build first (make): missing $PROGS/$p" >&2; exit 1; }
	done
	tmp=$(mktemp -d /tmp/berth-test.XXXXXX)
	trap 'umount "$tmp/fs" 2>/dev/null; rm -rf "$tmp"' EXIT
	mkdir "$tmp/fs"
	mount -t tmpfs -o size=$((MIB * 2 + 512))m bt-cr-bench "$tmp/fs" || exit 1
	unshare --pid --fork --mount-proc -- "$0" --inner "$tmp/fs" "$MIB" "$ROUNDS"
	exit $?
fi

fs=$2 mib=$3 rounds=$4
now() { date +%s%N; }
# The programs' output files are created before the program starts (a
# background job's redirection happens in the child, after the parent has
# gone on to poll the file).
ready() { for ((i = 0; i < 3000; i++)); do grep -qs ready "$1" && return 0; sleep 0.01; done; return 1; }
# verdict GBS: how a throughput compares with the target of 2 GB/s.
verdict() { awk -v v="$1" 'BEGIN { print (v >= 2 ? "meets" : "below") " the target of 2 GB/s" }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
gbs() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.2f\n", b / ms / 1e6 }'; }

echo "# $mib MiB of anonymous memory, image in tmpfs, $rounds rounds"
printf '%-6s %12s %10s %10s %12s %10s %10s\n' round dump_ms dump_GB/s dump_wall restore_ms rest_GB/s rest_wall
: >"$fs/d" && : >"$fs/r"
for ((r = 1; r <= rounds; r++)); do
	rm -rf "$fs/img" && : >"$fs/out"
	"$PROGS/memhog" "$mib" >"$fs/out" &
	pid=$!
	disown $pid # killed by the checkpoint; no job report
	ready "$fs/out" || { echo "memhog did not start" >&2; kill -9 $pid; exit 1; }
	t0=$(now)
	line=$("$PROGS/crtool" dump $pid "$fs/img") || { kill -9 $pid; exit 1; }
	t1=$(now)
	while kill -0 $pid 2>/dev/null; do sleep 0.01; done
	bytes=$(echo "$line" | awk '{print $8}')
	dms=$(echo "$line" | awk '{print $10}')
	t2=$(now)
	rline=$("$PROGS/crtool" restore "$fs/img" 2>&1 >/dev/null) || { echo "$rline" >&2; exit 1; }
	t3=$(now)
	rms=$(echo "$rline" | awk '{print $4}')
	kill -USR1 $pid
	for ((i = 0; i < 3000; i++)); do grep -q -e verified -e BAD "$fs/out" && break; sleep 0.01; done
	grep -q verified "$fs/out" || { echo "restored memory does not verify: $(tail -1 "$fs/out")" >&2; kill -9 $pid; exit 1; }
	{ kill -9 $pid && wait $pid; } 2>/dev/null
	while kill -0 $pid 2>/dev/null; do sleep 0.01; done
	printf '%-6s %12s %10s %10s %12s %10s %10s\n' $r "$dms" "$(gbs "$bytes" "$dms")" \
		"$(((t1 - t0) / 1000000))ms" "$rms" "$(gbs "$bytes" "$rms")" "$(((t3 - t2) / 1000000))ms"
	gbs "$bytes" "$dms" >>"$fs/d"
	gbs "$bytes" "$rms" >>"$fs/r"
done
dmed=$(median <"$fs/d") rmed=$(median <"$fs/r")
echo "dump:    best $(sort -n "$fs/d" | tail -1) GB/s, median $dmed GB/s (target 2)"
echo "restore: best $(sort -n "$fs/r" | tail -1) GB/s, median $rmed GB/s (target 2)"

# Frozen time of --leave-running, 256 MiB.
rm -rf "$fs/img" && : >"$fs/out" && : >"$fs/f"
"$PROGS/memhog" 256 >"$fs/out" &
pid=$!
ready "$fs/out" || exit 1
for ((r = 1; r <= 5; r++)); do
	rm -rf "$fs/img"
	"$PROGS/crtool" dump $pid "$fs/img" --leave-running | awk '{print $12}' >>"$fs/f"
done
kill -USR1 $pid
for ((i = 0; i < 3000; i++)); do grep -q -e verified -e BAD "$fs/out" && break; sleep 0.01; done
fmed=$(median <"$fs/f")
echo "--leave-running, 256 MiB: frozen $fmed ms (median of 5; all: $(tr '\n' ' ' <"$fs/f")); original $(tail -1 "$fs/out")"
{ kill -9 $pid && wait $pid; } 2>/dev/null
# A container: checkpoint (removes it) and restore under the same ID.
BERTH=$BUILD/bin/berth
R=$fs/root
mkdir -p "$fs/b"
if [ ! -x "$BUILD/rootfs/bin/busybox" ]; then
	"$top/tests/lib/rootfs.sh" "$BUILD/rootfs.tmp" >/dev/null && mv "$BUILD/rootfs.tmp" "$BUILD/rootfs"
fi
cp -a "$BUILD/rootfs" "$fs/b/rootfs" && cp "$PROGS/counter-static" "$fs/b/rootfs/counter"
(cd "$fs/b" && "$BERTH" spec && jq '.process.args = ["/counter"] | .process.terminal = false' \
	config.json >c.json && mv c.json config.json) || exit 1
(cd "$fs/b" && "$BERTH" --root "$R" run -d bt-cr-bench </dev/null >"$fs/log" 2>&1) || exit 1
: >"$fs/c" && : >"$fs/rr"
for ((r = 1; r <= 5; r++)); do
	sleep 0.1
	rm -rf "$fs/cimg"
	t0=$(now)
	"$BERTH" --root "$R" checkpoint --image-path "$fs/cimg" bt-cr-bench || exit 1
	t1=$(now)
	"$BERTH" --root "$R" restore -d --image-path "$fs/cimg" bt-cr-bench || exit 1
	t2=$(now)
	echo $(((t1 - t0) / 1000)) >>"$fs/c"
	echo $(((t2 - t1) / 1000)) >>"$fs/rr"
done
last=$(tail -n 1 "$fs/log")
"$BERTH" --root "$R" delete -f bt-cr-bench
echo "container (counter as init): berth checkpoint $(median <"$fs/c") us, berth restore -d $(median <"$fs/rr") us (median of 5); after 5 restores: $last"
echo "peer: criu — does not start on this kernel, no ratio"
echo
echo "== summary (medians; page data of $mib MiB through tmpfs) =="
printf '%-34s %8s GB/s  (%s)\n' "checkpoint (dump)" "$dmed" "$(verdict "$dmed")"
printf '%-34s %8s GB/s  (%s)\n' "restore" "$rmed" "$(verdict "$rmed")"
printf '%-34s %8s ms\n' "--leave-running 256 MiB, frozen" "$fmed"
