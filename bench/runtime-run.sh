#!/bin/bash
# bench/runtime-run.sh [N] — N (default 100) sequential `run` of /bin/true in
# the busybox bundle with berth, crun and runc in one run, plus the floor
# (`unshare -fpnium true`, no runtime at all); then the peak RSS of one `run`
# of each.  Prints per-run wall times, a table and the ratios berth/crun and
# berth/runc.  Needs root.  See bench/README.md for how crun is run on a
# hybrid cgroup host.
#
# Environment: BERTH, CRUN, RUNC (binaries), N (runs), RSS_RUNS (runs measured
# for peak RSS, the median is reported), RUNTIMES (subset and order, default
# "floor crun runc berth"), BERTH0: another berth binary (say, a build of an
# older commit) measured as "berth0" when RUNTIMES names it, for before/after
# numbers from one run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-${N:-100}}
RSS_RUNS=${RSS_RUNS:-5}
BERTH=${BERTH:-$top/build/bin/berth}
CRUN=${CRUN:-$(command -v crun || echo /usr/bin/crun)}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
RUNTIMES=${RUNTIMES:-floor crun runc berth}
id=bt-bench-run

# --- inner mode: one timed loop, run as its own process (crun's inside a
# private mount namespace, see below).  Prints "wall_ns cpu_ms peak_rss_kib"
# (cpu: user+system time of the whole loop's process trees).
if [ "${1:-}" = --inner ]; then
	name=$2 bin=$3 tmp=$4 n=$5 rss_runs=$6
	if [ "$name" = crun ] && [ -n "${BENCH_UMOUNT_UNIFIED:-}" ]; then
		umount /sys/fs/cgroup/unified || exit 1
	fi
	if [ "$name" = floor ]; then
		cmd=(unshare -fpnium true)
	else
		cmd=("$bin" --root "$tmp/state-$name" run --bundle "$tmp/bundle" $id)
	fi
	cpu_ms() { # FILE — the children's user+system time written by `times`, in ms
		tail -1 "$1" | sed 's/m/ /g; s/s//g' |
			awk '{printf "%d\n", ($1 * 60 + $2 + $3 * 60 + $4) * 1000}'
	}
	for ((i = 0; i < 2; i++)); do # warm the page cache and the dentries
		"${cmd[@]}" > /dev/null 2> "$tmp/err-$name" || exit 1
	done
	times > "$tmp/times0-$name" # in this shell: a $(...) subshell has no children
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		"${cmd[@]}" > /dev/null 2> "$tmp/err-$name" || exit 1
	done
	t1=$(date +%s%N)
	times > "$tmp/times1-$name"
	c0=$(cpu_ms "$tmp/times0-$name") c1=$(cpu_ms "$tmp/times1-$name")
	for ((i = 0; i < rss_runs; i++)); do
		"$tmp/runtime-rss" "${cmd[@]}" 2> "$tmp/err-$name" || exit 1
	done > "$tmp/rss-$name"
	rss=0
	[ "$rss_runs" -gt 0 ] && rss=$(sort -n "$tmp/rss-$name" | sed -n "$(((rss_runs + 1) / 2))p")
	echo "$((t1 - t0)) $((c1 - c0)) ${rss:-0}"
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "runtime-run.sh: needs root" >&2; exit 1; }
tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
	local name bin d
	for name in crun runc berth berth0; do
		case $name in crun) bin=$CRUN ;; runc) bin=$RUNC ;; berth) bin=$BERTH ;; berth0) bin=${BERTH0:-} ;; esac
		[ -n "$bin" ] || continue
		[ -d "$tmp/state-$name/$id" ] && "$bin" --root "$tmp/state-$name" delete --force $id
	done > /dev/null 2>&1
	for d in /sys/fs/cgroup/*/$id; do [ -d "$d" ] && rmdir "$d"; done 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -Wall -o "$tmp/runtime-rss" "$top/bench/runtime-rss.c" || exit 1
"$top/tests/lib/rootfs.sh" "$tmp/bundle/rootfs" > /dev/null || exit 1
# One config for all three, from the reference runtime's `spec`.
"$RUNC" spec --bundle "$tmp/bundle" || exit 1
jq --arg cg "/$id" '.process.args = ["/bin/true"] | .process.terminal = false |
	.linux.cgroupsPath = $cg' "$tmp/bundle/config.json" > "$tmp/config.json" &&
	mv "$tmp/config.json" "$tmp/bundle/config.json" || exit 1

# crun 1.8 refuses hybrid hosts (v1 controllers plus a cgroup2 hierarchy with
# controllers, hugetlb here, at /sys/fs/cgroup/unified).  It runs in a private
# mount namespace where that cgroup2 mount is unmounted: crun sees a pure v1
# host.  Nothing changes outside that namespace.
crun_mode=
if grep -q ' /sys/fs/cgroup/unified .* cgroup2 ' /proc/self/mountinfo &&
	[ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2> /dev/null)" ]; then
	crun_mode="private mount namespace without /sys/fs/cgroup/unified (cgroup v1 only)"
fi

declare -A total cpu rss failed
# The runs are spread over ROUNDS rounds, each running every runtime in turn,
# so that a change of load on the machine hits all of them alike.
ROUNDS=${ROUNDS:-5}
per=$(((N + ROUNDS - 1) / ROUNDS))
printf 'bench: %d sequential `run` of /bin/true (busybox bundle) in %d rounds; peak RSS: median of %d runs\n' \
	$((per * ROUNDS)) "$ROUNDS" "$RSS_RUNS"
[ -n "$crun_mode" ] && echo "bench: crun runs in a $crun_mode"
for ((round = 1; round <= ROUNDS; round++)); do
	for name in $RUNTIMES; do
		[ -n "${failed[$name]:-}" ] && continue
		case $name in
		floor) bin=unshare ;; crun) bin=$CRUN ;; runc) bin=$RUNC ;; berth) bin=$BERTH ;;
		berth0) bin=${BERTH0:?BERTH0 is not set} ;;
		*) echo "runtime-run.sh: unknown runtime \`$name'" >&2; exit 2 ;;
		esac
		r=0
		[ $round = $ROUNDS ] && r=$RSS_RUNS
		if [ "$name" = crun ] && [ -n "$crun_mode" ]; then
			out=$(BENCH_UMOUNT_UNIFIED=1 unshare -m --propagation private \
				"$0" --inner "$name" "$bin" "$tmp" "$per" $r)
		else
			out=$("$0" --inner "$name" "$bin" "$tmp" "$per" $r)
		fi
		if [ $? != 0 ] || [ -z "$out" ]; then
			echo "bench: $name FAILED: $(head -c 400 "$tmp/err-$name" 2> /dev/null)"
			failed[$name]=1
			continue
		fi
		read -r w c m <<< "$out"
		total[$name]=$((${total[$name]:-0} + w))
		cpu[$name]=$((${cpu[$name]:-0} + c))
		[ $r != 0 ] && rss[$name]=$m
		printf 'bench: round %d %-6s %4d runs %8.2f ms/run wall %8.2f ms/run cpu\n' $round "$name" \
			$per "$(echo "$w / $per / 1000000" | bc -l)" "$(echo "$c / $per" | bc -l)"
	done
done
N=$((per * ROUNDS))
for name in $RUNTIMES; do
	[ -n "${failed[$name]:-}" ] && unset "total[$name]" "cpu[$name]" "rss[$name]"
done

ratio() { # A B — A/B with 2 decimals, or n/a
	if [ -n "${1:-}" ] && [ -n "${2:-}" ] && [ "$2" != 0 ]; then
		printf '%.2f' "$(echo "$1 / $2" | bc -l)"
	else
		echo n/a
	fi
}
echo
printf '%-8s %10s %10s %10s %14s\n' runtime "total (s)" "wall ms" "cpu ms" "peak RSS (KiB)"
for name in $RUNTIMES; do
	if [ -n "${total[$name]:-}" ]; then
		printf '%-8s %10.3f %10.2f %10.2f %14d\n' "$name" \
			"$(echo "${total[$name]} / 1000000000" | bc -l)" \
			"$(echo "${total[$name]} / $N / 1000000" | bc -l)" \
			"$(echo "${cpu[$name]} / $N" | bc -l)" "${rss[$name]}"
	else
		printf '%-8s %10s %10s %10s %14s\n' "$name" failed - - -
	fi
done
echo "(wall ms and cpu ms per run; cpu: user+system of the runtime's process tree)"
echo
echo "ratio wall berth/crun: $(ratio "${total[berth]:-}" "${total[crun]:-}") (target <= 0.50)"
echo "ratio wall berth/runc: $(ratio "${total[berth]:-}" "${total[runc]:-}")"
[ -n "${total[berth0]:-}" ] &&
	echo "ratio wall berth0/crun: $(ratio "${total[berth0]}" "${total[crun]:-}")  berth/berth0: $(ratio "${total[berth]:-}" "${total[berth0]}")"
echo "ratio cpu  berth/crun: $(ratio "${cpu[berth]:-}" "${cpu[crun]:-}")"
echo "ratio cpu  berth/runc: $(ratio "${cpu[berth]:-}" "${cpu[runc]:-}")"
echo "ratio wall crun/floor: $(ratio "${total[crun]:-}" "${total[floor]:-}")  berth/floor: $(ratio "${total[berth]:-}" "${total[floor]:-}")"
echo "ratio peak RSS berth/crun: $(ratio "${rss[berth]:-}" "${rss[crun]:-}") (target <= 1.00)"
echo "ratio peak RSS berth/runc: $(ratio "${rss[berth]:-}" "${rss[runc]:-}")"
uptime | sed 's/^/bench: load: /'
