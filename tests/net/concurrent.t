#!/bin/bash
# Many berth-bridge ADDs at once (separate processes, one IPAM state): every
# container gets its own address, then parallel DELs release them all.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 6
N=30
tmp=$(tap_tmpdir)
defer "ip link del bt-net-br4"
for i in $(seq $N); do new_netns bt-net-p$i; done
conf='{"cniVersion":"1.0.0","name":"bt-net-n4","type":"berth-bridge","bridge":"bt-net-br4","isGateway":true,
 "ipam":{"type":"berth-ipam","dataDir":"'$tmp'/ipam","ranges":[[{"subnet":"198.18.13.0/24"}]]}}'

for i in $(seq $N); do
	cni_run berth-bridge ADD bt-net-p$i /run/netns/bt-net-p$i eth0 "$conf" > "$tmp/out.$i" &
done
wait
is "$(cat "$tmp"/out.* | jq -r '.ips[0].address // empty' | wc -l)" $N "all $N parallel ADDs returned an address"
is "$(cat "$tmp"/out.* | jq -r '.ips[0].address // empty' | sort -u | wc -l)" $N "all $N addresses are distinct"
got=$(for i in $(seq $N); do ip -n bt-net-p$i -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local'; done | sort -u | wc -l)
is "$got" $N "each netns holds its own address"
is "$(ip -j link show master bt-net-br4 | jq length)" $N "$N ports on the bridge"
ok "first and last container talk" nsping bt-net-p1 "$(jq -r '.ips[0].address' "$tmp/out.$N" | cut -d/ -f1)"

for i in $(seq $N); do
	cni_run berth-bridge DEL bt-net-p$i /run/netns/bt-net-p$i eth0 "$conf" >/dev/null &
done
wait
is "$(ipam_files "$tmp/ipam" bt-net-n4)/$(ip -j link show master bt-net-br4 | jq length)" "/0" \
	"parallel DELs release every address and port"
