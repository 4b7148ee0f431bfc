#!/bin/bash
# The multi-host overlay on one machine: three "hosts" (netns) joined by an
# underlay bridge (198.18.0.0/24), containers (netns) on each host attached
# through berth-bridge + berth-ipam + berth-vxlan to the overlay 198.19.0.0/16.
# Containers on different hosts talk over VXLAN; after the peer files change
# (a host removed, a container moved) `berth-vxlan sync` makes traffic follow.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 26
tmp=$(tap_tmpdir)

ip link add bt-net-ul type bridge && defer "ip link del bt-net-ul"
ip link set bt-net-ul up
for h in 1 2 3; do
	new_netns bt-net-h$h
	ip link add bt-net-u$h type veth peer name ul0 netns bt-net-h$h
	defer "ip link del bt-net-u$h"
	ip link set bt-net-u$h master bt-net-ul up
	ip -n bt-net-h$h addr add 198.18.0.1$h/24 dev ul0
	ip -n bt-net-h$h link set ul0 up
done
ok "underlay: host 1 reaches host 3" nsping bt-net-h1 198.18.0.13

# netconf HOST [RANGE_START RANGE_END]
netconf() {
	local h=$1 s=${2:-198.19.$1.2} e=${3:-198.19.$1.254}
	cat <<JSON
{"cniVersion":"1.0.0","name":"bt-net-ov","plugins":[
 {"type":"berth-bridge","bridge":"bt-net-ovbr","mtu":1450,
  "ipam":{"type":"berth-ipam","dataDir":"$tmp/ipam-h$h",
          "ranges":[[{"subnet":"198.19.0.0/16","rangeStart":"$s","rangeEnd":"$e"}]]}},
 {"type":"berth-vxlan","bridge":"bt-net-ovbr","vni":42,"port":4789,"local":"198.18.0.1$h",
  "mtu":1450,"peerFile":"$tmp/peers-h$h.json"}]}
JSON
}
for h in 1 2 3; do netconf $h > "$tmp/h$h.conflist"; done

# conflist_run CMD HOST CONFLIST ID NETNS [ARGS]: run the list in the host's netns, chaining prevResult
conflist_run() {
	local cmd=$1 h=$2 list=$3 id=$4 ns=$5 args=${6:-} prev=null n i conf out
	n=$(jq '.plugins | length' <<<"$list")
	for ((i = 0; i < n; i++)); do
		conf=$(jq -c --argjson i $i --argjson p "$prev" \
			'.plugins[$i] + {name: .name, cniVersion: .cniVersion} + (if $p == null then {} else {prevResult: $p} end)' <<<"$list")
		out=$(ip netns exec bt-net-h$h env CNI_COMMAND=$cmd CNI_CONTAINERID=$id CNI_NETNS=$ns \
			CNI_IFNAME=eth0 CNI_ARGS="$args" CNI_PATH=$PLUGDIR \
			"$PLUGDIR/$(jq -r .type <<<"$conf")" <<<"$conf" 2>/dev/null) || { echo "$out"; return 1; }
		[ -n "$out" ] && prev=$out
	done
	echo "$prev"
}

# Containers: c1 on host 1, c2 and c4 on host 2, c3 on host 3.
declare -A IP MAC HOST
attach() { # NAME HOST [ARGS] [CONF]
	local r
	new_netns bt-net-$1
	r=$(conflist_run ADD "$2" "${4:-$(cat "$tmp/h$2.conflist")}" bt-net-$1 /run/netns/bt-net-$1 "${3:-}") || return 1
	IP[$1]=$(jq -r '.ips[0].address' <<<"$r" | cut -d/ -f1)
	MAC[$1]=$(jq -r '.interfaces[2].mac' <<<"$r")
	HOST[$1]=$2
}
attach c1 1; attach c2 2; attach c4 2; attach c3 3
is "${IP[c1]} ${IP[c2]} ${IP[c4]} ${IP[c3]}" "198.19.1.2 198.19.2.2 198.19.2.3 198.19.3.2" \
	"each host hands out overlay addresses from its own range"

# write_peers HOSTS...: peer files of every host listing the given hosts and their containers
write_peers() {
	local vteps="" eps="" c h
	for h in "$@"; do vteps+="\"198.18.0.1$h\","; done
	for c in "${!HOST[@]}"; do
		for h in "$@"; do
			[ "${HOST[$c]}" = "$h" ] && eps+="{\"ip\":\"${IP[$c]}\",\"mac\":\"${MAC[$c]}\",\"vtep\":\"198.18.0.1$h\"},"
		done
	done
	for h in 1 2 3; do
		printf '{"vteps":[%s],"endpoints":[%s]}\n' "${vteps%,}" "${eps%,}" > "$tmp/peers-h$h.json.new"
		mv "$tmp/peers-h$h.json.new" "$tmp/peers-h$h.json"
	done
}
sync_all() { local h; for h in 1 2 3; do ip netns exec bt-net-h$h "$PLUGDIR/berth-vxlan" sync "$tmp/h$h.conflist" >/dev/null || return 1; done; }
write_peers 1 2 3
ok "berth-vxlan sync applies the peer files" sync_all

d=$(ip -n bt-net-h1 -j -d link show vxlan42)
is "$(jq -r '.[0].linkinfo.info_data | "\(.id) \(.port) \(.local) \(.learning)"' <<<"$d")" "42 4789 198.18.0.11 false" \
	"vxlan device: VNI, UDP port, local underlay address, no learning"
is "$(jq -r '.[0].master' <<<"$d")" bt-net-ovbr "vxlan device is a port of the network's bridge"
fdb() { bridge -n bt-net-h$1 -j fdb show dev vxlan42 | jq -r '[.[] | select(.dst) | "\(.mac)>\(.dst)"] | sort | join(" ")'; }
f=$(fdb 1)
like "$f" "00:00:00:00:00:00>198.18.0.12 00:00:00:00:00:00>198.18.0.13" "flood entries to both remote VTEPs"
like "$f" "${MAC[c2]}>198.18.0.12" "static FDB entry: c2's MAC behind host 2"
unlike "$f" ">198.18.0.11" "no entry towards the host itself"
is "$(ip -n bt-net-h1 -j neigh show dev vxlan42 | jq -r --arg ip "${IP[c3]}" '.[] | select(.dst==$ip) | .lladdr + " " + (.state|join(","))')" \
	"${MAC[c3]} PERMANENT" "static neighbour entry for c3"

ok "ping host 1 -> host 2 over VXLAN" nsping bt-net-c1 "${IP[c2]}"
ok "ping host 1 -> host 3 over VXLAN" nsping bt-net-c1 "${IP[c3]}"
ok "ping host 3 -> host 2 over VXLAN" nsping bt-net-c3 "${IP[c4]}"
ip netns exec bt-net-c3 busybox nc -l -p 7002 > "$tmp/nc.out" 2>/dev/null &
ncpid=$!; defer "kill $ncpid"
sleep 0.3
echo across-hosts | ip netns exec bt-net-c1 busybox nc -w 2 "${IP[c3]}" 7002
wait $ncpid
is "$(cat "$tmp/nc.out")" across-hosts "TCP connection host 1 -> host 3 over VXLAN"
is "$(ip netns exec bt-net-c1 cat /sys/class/net/eth0/mtu)" 1450 "container mtu leaves room for the VXLAN header"

# Host 3 removed from the overlay.
unset 'HOST[c3]'
write_peers 1 2
ok "sync after host 3 left" sync_all
unlike "$(fdb 1)" "198.18.0.13" "host 1 has no entry towards host 3 any more"
fails "host 1 no longer reaches host 3's container" nsping bt-net-c1 "${IP[c3]}" 1
ok "host 1 still reaches host 2" nsping bt-net-c1 "${IP[c2]}"

# c4 moves from host 2 to host 3 keeping its address and MAC; host 3 is back.
conflist_run DEL 2 "$(cat "$tmp/h2.conflist")" bt-net-c4 /run/netns/bt-net-c4 >/dev/null
ip netns del bt-net-c4
ip4=${IP[c4]} mac4=${MAC[c4]}
attach c4 3 "IP=$ip4;MAC=$mac4" "$(netconf 3 "$ip4" "$ip4")"
is "${IP[c4]} ${MAC[c4]}" "$ip4 $mac4" "moved container keeps its address and MAC on host 3"
fails "before the peer files change, host 1 cannot reach it" nsping bt-net-c1 "$ip4" 1
HOST[c3]=3
write_peers 1 2 3
ok "sync after the move" sync_all
like "$(fdb 1)" "$mac4>198.18.0.13" "host 1's FDB entry for the moved MAC points at host 3"
ok "traffic follows: host 1 reaches the moved container on host 3" nsping bt-net-c1 "$ip4"

# A malformed peer file is refused as a whole: the entries stay as they were.
before=$(fdb 1)
echo '{"vteps":["198.18.0.12"],"endpoints":[{"ip":"198.19.9.9","mac":"zz"}]}' > "$tmp/peers-h1.json"
err=$(ip netns exec bt-net-h1 "$PLUGDIR/berth-vxlan" sync "$tmp/h1.conflist" 2>&1 >/dev/null)
like "$err" 'berth-vxlan: sync .*peer file .*endpoints\[0\] needs "ip", "mac"' "bad peer file: the error names the entry"
is "$(fdb 1)" "$before" "bad peer file: FDB entries unchanged"

for c in c1 c2 c3 c4; do conflist_run DEL "${HOST[$c]}" "$(cat "$tmp/h${HOST[$c]}.conflist")" bt-net-$c /run/netns/bt-net-$c >/dev/null; done
left=$(for h in 1 2 3; do find "$tmp/ipam-h$h/bt-net-ov" -name '198.19.*'; done 2>/dev/null | wc -l)
is "$left" 0 "DEL released every overlay address"
