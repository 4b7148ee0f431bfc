#!/bin/bash
# berth-bridge + berth-ipam as a CNI plugin: real state in the namespaces,
# traffic between containers, masquerading in nftables, CHECK, DEL.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 38
tmp=$(tap_tmpdir)
defer "ip link del bt-net-br1"
defer "ip link del bt-net-br2"
defer "nft delete table inet bt-net-t1"
new_netns bt-net-b1; new_netns bt-net-b2; new_netns bt-net-v1; new_netns bt-net-v2; new_netns bt-net-v3

conf='{"cniVersion":"1.0.0","name":"bt-net-n1","type":"berth-bridge","bridge":"bt-net-br1",
 "isDefaultGateway":true,"ipMasq":true,"ipMasqTable":"bt-net-t1","hairpinMode":true,
 "promiscMode":true,"mtu":1400,
 "ipam":{"type":"berth-ipam","dataDir":"'$tmp'/ipam",
   "ranges":[[{"subnet":"198.18.10.0/24"}],[{"subnet":"2001:2:0:10::/64"}]],
   "routes":[{"dst":"198.19.128.0/24"}]}}'

out=$(cni_run berth-bridge ADD bt-net-c1 /run/netns/bt-net-b1 eth0 "$conf"); rc=$?
is "$rc" 0 "ADD succeeds"
is "$(jqs "$out" .cniVersion)" "1.0.0" "result carries the cniVersion"
is "$(jqs "$out" '.ips[0].address + " " + .ips[0].gateway + " " + (.ips[0].interface|tostring)')" \
	"198.18.10.2/24 198.18.10.1 2" "IPv4 address, gateway and interface index in the result"
is "$(jqs "$out" '.ips[1].address')" "2001:2:0:10::2/64" "IPv6 address in the result"
is "$(jqs "$out" '.interfaces[2].name + " " + .interfaces[2].sandbox')" "eth0 /run/netns/bt-net-b1" \
	"container interface with its sandbox"
hveth=$(jqs "$out" '.interfaces[1].name')
is "$hveth" "$(host_veth bt-net-c1 eth0)" "host veth named after the container and ifname"

a=$(ip -n bt-net-b1 -j addr show eth0 | jq -r '[.[0].addr_info[] | select(.scope=="global") | .local + "/" + (.prefixlen|tostring)] | join(" ")')
is "$a" "198.18.10.2/24 2001:2:0:10::2/64" "addresses configured inside the netns"
is "$(ip -n bt-net-b1 -j link show eth0 | jq -r '.[0].mtu')" 1400 "container mtu"
is "$(ip -n bt-net-b1 -j route show default | jq -r '.[0].gateway')" 198.18.10.1 "IPv4 default route via the gateway"
is "$(ip -n bt-net-b1 -j -6 route show default | jq -r '.[0].gateway')" 2001:2:0:10::1 "IPv6 default route via the gateway"
is "$(ip -n bt-net-b1 -j route show 198.19.128.0/24 | jq -r '.[0].gateway')" 198.18.10.1 "IPAM route via the gateway"
is "$(ip -j link show "$hveth" | jq -r '.[0].master + " " + (.[0].mtu|tostring)')" "bt-net-br1 1400" \
	"host veth attached to the bridge, same mtu"
is "$(ip -j -d link show "$hveth" | jq -r '.[0].linkinfo.info_slave_data.hairpin')" true "hairpin mode on the port"
like "$(ip -j link show bt-net-br1 | jq -r '.[0].flags | join(",")')" PROMISC "bridge in promiscuous mode"
b=$(ip -j addr show bt-net-br1 | jq -r '[.[0].addr_info[] | select(.scope=="global") | .local + "/" + (.prefixlen|tostring)] | join(" ")')
is "$b" "198.18.10.1/24 2001:2:0:10::1/64" "gateway addresses on the bridge"
is "$(cat /proc/sys/net/ipv4/ip_forward)" 1 "forwarding enabled for the gateway"

brmac=$(ip -j link show bt-net-br1 | jq -r '.[0].address')
is "$(cat /sys/class/net/bt-net-br1/addr_assign_type)" 3 "bridge MAC pinned (NET_ADDR_SET), not taken from a port"
out2=$(cni_run berth-bridge ADD bt-net-c2 /run/netns/bt-net-b2 eth0 "$conf")
is "$(jqs "$out2" '.ips[0].address')" "198.18.10.3/24" "second container gets the next address"
ok "IPv4 ping between containers" nsping bt-net-b1 198.18.10.3
ok "IPv6 ping between containers" nsping bt-net-b1 2001:2:0:10::3
ip netns exec bt-net-b2 busybox nc -l -p 7001 > "$tmp/nc.out" 2>/dev/null &
ncpid=$!
defer "kill $ncpid"
sleep 0.3
echo hello-over-bridge | ip netns exec bt-net-b1 busybox nc -w 2 198.18.10.3 7001
wait $ncpid
is "$(cat "$tmp/nc.out")" hello-over-bridge "TCP connection between containers"

set4=$(nft -j list set inet bt-net-t1 bt_net_n1_v4 | jq -r '[.nftables[].set.elem // empty | .[]] | sort | join(" ")')
is "$set4" "198.18.10.2 198.18.10.3" "both containers in the masquerade set"
like "$(nft list chain inet bt-net-t1 postrouting)" 'ip saddr @bt_net_n1_v4 ip daddr != 198.18.10.0/24 masquerade' \
	"masquerade rule for traffic leaving the subnet"

chk=$(jq -c --argjson p "$out" '. + {prevResult: $p}' <<<"$conf")
cni_run berth-bridge CHECK bt-net-c1 /run/netns/bt-net-b1 eth0 "$chk" >/dev/null
is "$?" 0 "CHECK of a healthy attachment succeeds"
ip -n bt-net-b1 addr del 198.18.10.2/24 dev eth0
cout=$(cni_run berth-bridge CHECK bt-net-c1 /run/netns/bt-net-b1 eth0 "$chk")
like "$(jqs "$cout" .msg)" "lacks address .198.18.10.2/24." "CHECK notices a missing address"

cni_run berth-bridge DEL bt-net-c1 /run/netns/bt-net-b1 eth0 "$chk" >/dev/null
is "$?" 0 "DEL succeeds"
is "$(count_links "$hveth")" 0 "host veth removed"
is "$(ip -j link show bt-net-br1 | jq -r '.[0].address')" "$brmac" "bridge MAC stays when ports come and go"
is "$(ip -n bt-net-b1 -o link show eth0 2>/dev/null | wc -l)" 0 "container interface removed"
is "$(ipam_files "$tmp/ipam" bt-net-n1)" "198.18.10.3 2001:2:0:10::3 " "address released, the other kept"
set4=$(nft -j list set inet bt-net-t1 bt_net_n1_v4 | jq -r '[.nftables[].set.elem // empty | .[]] | sort | join(" ")')
is "$set4" "198.18.10.3" "released address no longer masqueraded"
cni_run berth-bridge DEL bt-net-c1 /run/netns/bt-net-b1 eth0 "$chk" >/dev/null
is "$?" 0 "DEL again (already gone) succeeds"
ip netns del bt-net-b2
cni_run berth-bridge DEL bt-net-c2 /run/netns/bt-net-b2 eth0 "$conf" >/dev/null
is "$?" 0 "DEL after the netns is gone succeeds"
is "$(ipam_files "$tmp/ipam" bt-net-n1)" "" "all addresses released"

# VLANs: same VLAN talks, another VLAN on the same bridge does not.  Kernels
# without bridge VLAN filtering get a clean "unsupported" error instead.
vconf() { echo '{"cniVersion":"1.0.0","name":"bt-net-n2","type":"berth-bridge","bridge":"bt-net-br2","vlan":'$1',
 "ipam":{"type":"berth-ipam","dataDir":"'$tmp'/ipam","ranges":[[{"subnet":"198.18.11.0/24"}]]}}'; }
if ip link add bt-net-vprobe type bridge vlan_filtering 1 2>/dev/null; then
	ip link del bt-net-vprobe
	cni_run berth-bridge ADD bt-net-v1 /run/netns/bt-net-v1 eth0 "$(vconf 20)" >/dev/null
	cni_run berth-bridge ADD bt-net-v2 /run/netns/bt-net-v2 eth0 "$(vconf 20)" >/dev/null
	cni_run berth-bridge ADD bt-net-v3 /run/netns/bt-net-v3 eth0 "$(vconf 30)" >/dev/null
	pv=$(bridge -j vlan show | jq -r '[.[] | .vlans[] | select(.flags // [] | index("PVID")) | .vlan] | map(tostring) | sort | join(" ")')
	like "$pv" "20 20 30" "ports carry their VLAN as PVID"
	ok "same VLAN: ping works" nsping bt-net-v1 198.18.11.3
	fails "other VLAN: ping does not" nsping bt-net-v1 198.18.11.4 1
	for i in 1 2 3; do cni_run berth-bridge DEL bt-net-v$i /run/netns/bt-net-v$i eth0 "$(vconf 20)" >/dev/null; done
else
	vout=$(cni_run berth-bridge ADD bt-net-v1 /run/netns/bt-net-v1 eth0 "$(vconf 20)")
	is "$(jqs "$vout" .code)" 2 "vlan without kernel VLAN filtering: unsupported-field error"
	like "$(jqs "$vout" .msg)" "CONFIG_BRIDGE_VLAN_FILTERING" "the error names the missing kernel feature"
	is "$(count_links "bt-net-br2|$(host_veth bt-net-v1 eth0)")$(ipam_files "$tmp/ipam" bt-net-n2)" "0" \
		"nothing left behind (no bridge, no veth, no address held)"
fi
is "$(cni_run berth-bridge VERSION "" "" "" "{}" | jq -r '.supportedVersions | join(",")')" \
	"0.3.0,0.3.1,0.4.0,1.0.0,1.1.0" "VERSION lists the supported versions"
