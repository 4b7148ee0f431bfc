#!/bin/bash
# bench/cni-bridge.sh [N] — CNI ADD and DEL of a bridge + IPAM attachment for
# N (default 50) fresh network namespaces, berth-bridge + berth-ipam against
# Debian's reference bridge + host-local, side by side in one run.  Each
# plugin invocation is timed alone (netns creation is not counted).  Prints
# wall-clock mean and median per ADD and per DEL, the CPU time (user+system of
# the plugin processes) per call, which a loaded machine disturbs less, and
# the ratios berth/reference.
# Needs root.  Uses bt-bench-* names and 198.18.30.0/24, 198.18.31.0/24.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-${N:-50}}
BIN=${BIN:-$top/build/bin}
REF=${REF:-/usr/lib/cni}
tmp=$(mktemp -d /tmp/berth-test.XXXXXX)
cleanup() {
	for i in $(seq "$N"); do ip netns del "bt-bench-n$i" 2>/dev/null; done
	ip link del bt-bench-br0 2>/dev/null
	ip link del bt-bench-br1 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

berth_conf='{"cniVersion":"1.0.0","name":"bt-bench-berth","type":"berth-bridge","bridge":"bt-bench-br0",
 "isGateway":true,"ipam":{"type":"berth-ipam","dataDir":"'$tmp'/ipam","ranges":[[{"subnet":"198.18.30.0/24"}]]}}'
ref_conf='{"cniVersion":"1.0.0","name":"bt-bench-ref","type":"bridge","bridge":"bt-bench-br1",
 "isGateway":true,"ipam":{"type":"host-local","dataDir":"'$tmp'/hostlocal","ranges":[[{"subnet":"198.18.31.0/24"}]]}}'

# run PLUGIN_PATH PLUGIN CONF CMD ID -> elapsed microseconds (EPOCHREALTIME: no extra fork)
run() {
	local t0 t1
	t0=$EPOCHREALTIME
	printf '%s' "$3" | CNI_COMMAND=$4 CNI_CONTAINERID=$5 CNI_NETNS=/run/netns/$5 CNI_IFNAME=eth0 \
		CNI_PATH=$1 "$1/$2" >/dev/null 2>"$tmp/err" || { echo "FAILED: $2 $4 $5: $(cat "$tmp/err")" >&2; exit 1; }
	t1=$EPOCHREALTIME
	echo $(( (${t1/./} - ${t0/./}) ))
}

stats() { sort -n | awk '{a[NR]=$1; s+=$1} END {printf "%.2f %.2f", s/NR/1000, a[int((NR+1)/2)]/1000}'; }

# loop PLUGIN_PATH PLUGIN CONF CMD: wall µs of each call, then "cpu <ms of user+sys per call>"
loop() {
	(
		for i in $(seq "$N"); do run "$1" "$2" "$3" "$4" "bt-bench-n$i"; done
		# bash `times`: second line is the children's user and system time.
		times >"$tmp/times.$4" # (a builtin in a pipeline would run in a subshell)
		sed -n 2p "$tmp/times.$4" | awk -v n="$N" '{
			split($1, u, "m"); split($2, s, "m");
			printf "cpu %.3f\n", ((u[1] * 60 + u[2]) + (s[1] * 60 + s[2])) * 1000 / n }'
	)
}

bench() { # NAME PLUGIN_PATH PLUGIN CONF
	local i add del
	for i in $(seq "$N"); do ip netns add "bt-bench-n$i"; done
	add=$(loop "$2" "$3" "$4" ADD) || exit 1
	del=$(loop "$2" "$3" "$4" DEL) || exit 1
	for i in $(seq "$N"); do ip netns del "bt-bench-n$i"; done
	read -r am amed < <(grep -v cpu <<<"$add" | stats)
	read -r dm dmed < <(grep -v cpu <<<"$del" | stats)
	acpu=$(sed -n 's/^cpu //p' <<<"$add") dcpu=$(sed -n 's/^cpu //p' <<<"$del")
	printf '%-32s ADD wall mean %7.2f median %7.2f cpu %6.2f ms | DEL wall mean %7.2f median %7.2f cpu %6.2f ms\n' \
		"$1" "$am" "$amed" "$acpu" "$dm" "$dmed" "$dcpu"
	eval "${1%% *}_add=$amed ${1%% *}_del=$dmed ${1%% *}_acpu=$acpu ${1%% *}_dcpu=$dcpu"
}

echo "CNI bridge+IPAM, $N fresh netns, each plugin call timed alone"
# The floor: the same timed pipeline running /bin/true instead of a plugin
# (fork, exec, stdin) — what any plugin costs on this machine before doing anything.
floor=$(N=$N loop /bin true "$berth_conf" ADD) || exit 1
read -r fm fmed < <(grep -v cpu <<<"$floor" | stats)
printf '%-32s     wall mean %7.2f median %7.2f cpu %6.2f ms\n' "floor (/bin/true)" "$fm" "$fmed" \
	"$(sed -n 's/^cpu //p' <<<"$floor")"
bench "berth (berth-bridge+berth-ipam)" "$BIN" berth-bridge "$berth_conf"
bench "reference (bridge+host-local)" "$REF" bridge "$ref_conf"
awk -v ba="$berth_add" -v bd="$berth_del" -v ra="$reference_add" -v rd="$reference_del" \
	-v bac="$berth_acpu" -v bdc="$berth_dcpu" -v rac="$reference_acpu" -v rdc="$reference_dcpu" 'BEGIN {
	printf "ratio berth/reference, wall median: ADD %.2f  DEL %.2f\n", ba/ra, bd/rd
	printf "ratio berth/reference, cpu per call: ADD %.2f  DEL %.2f\n", bac/rac, bdc/rdc }'
uptime | sed 's/^/# load while measuring:/'
