#!/bin/bash
# bench/vxlan-iperf.sh [SECONDS] — ROUNDS (default 3) alternating runs of TCP throughput (iperf3 from Debian) between
# two containers on different "hosts" over berth-vxlan, against two containers
# on the same bridge, in one run; prints both and the ratio overlay/bridge.
# Hosts are network namespaces joined by an underlay bridge (198.18.0.0/24),
# containers get overlay addresses (198.19.0.0/16) from berth-ipam.  Needs root.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
T=${1:-${T:-5}}
BIN=${BIN:-$top/build/bin}
tmp=$(mktemp -d /tmp/berth-test.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in bt-bench-c1 bt-bench-c1b bt-bench-c2 bt-bench-h1 bt-bench-h2; do ip netns del $n 2>/dev/null; done
	ip link del bt-bench-u1 2>/dev/null; ip link del bt-bench-u2 2>/dev/null; ip link del bt-bench-ul 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
command -v iperf3 >/dev/null || { echo "iperf3 missing (ci/deps all)" >&2; exit 1; }

ip link add bt-bench-ul type bridge && ip link set bt-bench-ul up
for h in 1 2; do
	ip netns add bt-bench-h$h
	ip link add bt-bench-u$h type veth peer name ul0 netns bt-bench-h$h
	ip link set bt-bench-u$h master bt-bench-ul up
	ip -n bt-bench-h$h addr add 198.18.0.2$h/24 dev ul0
	ip -n bt-bench-h$h link set ul0 up
	ip -n bt-bench-h$h link set lo up
done
echo '{"vteps":["198.18.0.21","198.18.0.22"],"endpoints":[]}' > "$tmp/peers.json"

# plugin HOST PLUGIN CONF ID -> result
plugin() {
	ip netns exec bt-bench-h$1 env CNI_COMMAND=ADD CNI_CONTAINERID=$4 CNI_NETNS=/run/netns/$4 \
		CNI_IFNAME=eth0 CNI_PATH="$BIN" "$BIN/$2" <<<"$3"
}
attach() { # HOST CONTAINER
	local bconf vconf res
	ip netns add "$2"
	bconf='{"cniVersion":"1.0.0","name":"bt-bench-ov","type":"berth-bridge","bridge":"bt-bench-br","mtu":1450,
	 "ipam":{"type":"berth-ipam","dataDir":"'$tmp'/ipam'$1'","ranges":[[{"subnet":"198.19.0.0/16",
	 "rangeStart":"198.19.'$1'.2","rangeEnd":"198.19.'$1'.254"}]]}}'
	res=$(plugin "$1" berth-bridge "$bconf" "$2") || { echo "$res" >&2; exit 1; }
	vconf=$(jq -c --argjson p "$res" '{cniVersion:"1.0.0",name:"bt-bench-ov",type:"berth-vxlan",
	 bridge:"bt-bench-br",vni:77,local:"198.18.0.2'$1'",mtu:1450,peerFile:"'$tmp'/peers.json",prevResult:$p}' <<<'{}')
	plugin "$1" berth-vxlan "$vconf" "$2" >/dev/null || exit 1
	jq -c --arg v 198.18.0.2$1 '{ip: (.ips[0].address | split("/")[0]), mac: .interfaces[2].mac, vtep: $v}' <<<"$res"
	echo "$vconf" > "$tmp/vxlan$1.conf"
}
e1=$(attach 1 bt-bench-c1); e1b=$(attach 1 bt-bench-c1b); e2=$(attach 2 bt-bench-c2)
ip1=$(jq -r .ip <<<"$e1") ip1b=$(jq -r .ip <<<"$e1b") ip2=$(jq -r .ip <<<"$e2")
# The peer file now lists every container; each host applies it.
jq -n --argjson a "$e1" --argjson b "$e1b" --argjson c "$e2" \
	'{vteps: ["198.18.0.21", "198.18.0.22"], endpoints: [$a, $b, $c]}' > "$tmp/peers.json"
for h in 1 2; do ip netns exec bt-bench-h$h "$BIN/berth-vxlan" sync "$tmp/vxlan$h.conf" >/dev/null || exit 1; done

gbps() { # SERVER_NS CLIENT_NS SERVER_IP
	ip netns exec "$1" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	pids+=($!)
	sleep 0.5
	ip netns exec "$2" iperf3 -c "$3" -p 5201 -t "$T" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e9'
}
# Alternate the two ROUNDS times so that a change of the machine's load hits both; medians.
ROUNDS=${ROUNDS:-3}
bs=() os=()
for _ in $(seq "$ROUNDS"); do
	bs+=("$(gbps bt-bench-c1b bt-bench-c1 "$ip1b")")
	os+=("$(gbps bt-bench-c2 bt-bench-c1 "$ip2")")
done
median() { printf '%s\n' "$@" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
echo "rounds: bridge ${bs[*]}; overlay ${os[*]} (Gbit/s)"
bridge=$(median "${bs[@]}") overlay=$(median "${os[@]}")
[ -n "$bridge" ] && [ -n "$overlay" ] || { echo "iperf3 failed (bridge: ${bridge:-none}, overlay: ${overlay:-none})" >&2; exit 1; }
printf 'same bridge   (%s -> %s): %6.2f Gbit/s (median)\n' "$ip1" "$ip1b" "$bridge"
printf 'VXLAN overlay (%s -> %s): %6.2f Gbit/s (median)\n' "$ip1" "$ip2" "$overlay"
awk -v o="$overlay" -v b="$bridge" 'BEGIN { printf "ratio overlay/bridge: %.2f\n", o/b }'
uptime | sed 's/^/# load while measuring:/'
