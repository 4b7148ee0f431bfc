#!/bin/bash
# Bad input to berth-bridge/berth-ipam: each a CNI error object with the
# spec's code and a message naming the cause, a non-zero exit, and nothing
# half-configured left behind (no veth, no container interface, no address held).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 35
tmp=$(tap_tmpdir)
defer "ip link del bt-net-br3"
new_netns bt-net-e1; new_netns bt-net-e2; new_netns bt-net-e3

mk() { # SUBNET [BRIDGE] [VERSION]
	echo '{"cniVersion":"'"${3:-1.0.0}"'","name":"bt-net-n3","type":"berth-bridge","bridge":"'"${2:-bt-net-br3}"'",
	 "isGateway":true,"ipam":{"type":"berth-ipam","dataDir":"'$tmp'/ipam","ranges":[[{"subnet":"'"$1"'"}]]}}'
}
good=$(mk 198.18.12.0/30)

# expect_error DESC CODE MSG_REGEX ID -- (stdin conf in $conf, env in the command)
check_error() { # DESC OUT RC CODE REGEX ID NS
	local d=$1 out=$2 rc=$3 code=$4 re=$5 id=$6 ns=$7
	isnt "$rc" 0 "$d: non-zero exit"
	is "$(jqs "$out" '[.cniVersion != null, .code, (.msg|type)] | map(tostring) | join(" ")')" \
		"true $code string" "$d: error object with code $code"
	like "$(jqs "$out" .msg)" "$re" "$d: message names the cause"
	is "$(count_links "$(host_veth "$id" eth0)")/$(ip -n "$ns" -o link show eth0 2>/dev/null | wc -l)/$(ipam_files "$tmp/ipam" bt-net-n3)" \
		"0/0/$held" "$d: nothing left behind"
}
held=""

out=$(printf '{"cniVersion": "1.0.0", "name": ' | CNI_COMMAND=ADD CNI_CONTAINERID=bt-net-x1 CNI_NETNS=/run/netns/bt-net-e1 \
	CNI_IFNAME=eth0 CNI_PATH=$PLUGDIR "$PLUGDIR/berth-bridge" 2>/dev/null); rc=$?
check_error "malformed stdin JSON" "$out" $rc 6 "stdin" bt-net-x1 bt-net-e1

out=$(cni_run berth-bridge ADD bt-net-x2 /run/netns/bt-net-e1 eth0 "$(mk 198.18.12.0/30 bt-net-br3 9.9.9)"); rc=$?
check_error "unknown cniVersion" "$out" $rc 1 "incompatible CNI version .9\.9\.9." bt-net-x2 bt-net-e1

out=$(printf '%s' "$good" | CNI_COMMAND=ADD CNI_NETNS=/run/netns/bt-net-e1 CNI_IFNAME=eth0 CNI_PATH=$PLUGDIR \
	"$PLUGDIR/berth-bridge" 2>/dev/null); rc=$?
check_error "missing CNI_CONTAINERID" "$out" $rc 4 "CNI_CONTAINERID is not set" none bt-net-e1

out=$(printf '%s' "$good" | CNI_COMMAND=ADD CNI_CONTAINERID=bt-net-x3 CNI_IFNAME=eth0 CNI_PATH=$PLUGDIR \
	"$PLUGDIR/berth-bridge" 2>/dev/null); rc=$?
check_error "missing CNI_NETNS" "$out" $rc 4 "CNI_NETNS is not set" bt-net-x3 bt-net-e1

out=$(cni_run berth-bridge ADD bt-net-x4 /run/netns/bt-net-nonexistent eth0 "$good"); rc=$?
check_error "netns path that does not exist" "$out" $rc 4 "bt-net-nonexistent.*No such file" bt-net-x4 bt-net-e1

out=$(cni_run berth-bridge ADD bt-net-x5 /run/netns/bt-net-e1 eth0 "$(mk 198.18.12.0/30 bt-net-br3-too-long)"); rc=$?
check_error "bridge name too long" "$out" $rc 7 "bridge name .bt-net-br3-too-long. is not a valid" bt-net-x5 bt-net-e1
is "$(count_links bt-net-br3-too-lo)" 0 "bridge name too long: no bridge created"

# A /30 has one free address (.2; .1 is the gateway): the second container finds none.
cni_run berth-bridge ADD bt-net-x6 /run/netns/bt-net-e1 eth0 "$good" >/dev/null
held="198.18.12.2 "
is "$(ipam_files "$tmp/ipam" bt-net-n3)" "$held" "first container holds the only address"
out=$(cni_run berth-bridge ADD bt-net-x7 /run/netns/bt-net-e2 eth0 "$good"); rc=$?
check_error "address range exhausted" "$out" $rc 100 "no free address left in network .bt-net-n3." bt-net-x7 bt-net-e2

ip -n bt-net-e3 link add eth0 type veth peer name bt-net-peer
cni_run berth-bridge DEL bt-net-x6 /run/netns/bt-net-e1 eth0 "$good" >/dev/null; held=""
out=$(cni_run berth-bridge ADD bt-net-x8 /run/netns/bt-net-e3 eth0 "$good"); rc=$?
check_error "interface name already taken" "$out" $rc 101 "interface .eth0. already exists" bt-net-x8 bt-net-nons
is "$(ip -n bt-net-e3 -j -d link show eth0 | jq -r ".[0].linkinfo.info_kind")" veth "the existing interface is untouched"
