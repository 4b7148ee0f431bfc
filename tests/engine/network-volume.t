#!/bin/bash
# berthctl network create|ls|inspect|rm and volume create|ls|inspect|rm|prune:
# the CNI conflist on disk, the bridge in the kernel (ip -j), the address a
# container gets, files written through a named volume, in-use refusals, and
# every bad input (podman's 125, one line naming the object and the cause,
# nothing created).
. "$(dirname "$0")/../lib/tap.sh"
need_root
command -v jq >/dev/null || skip_all "jq is not installed"
plan 52

T=$(tap_tmpdir)
BR=bt-eng-nb$$
NET=bt-eng-net$$
B() { "$BUILD/bin/berthctl" --root "$T/root" --runroot "$T/run" --cni-config-dir "$T/cni" "$@"; }
defer "ip link del $BR 2>/dev/null"
defer 'for c in $(B ps -aq); do B rm -f $c; done'
# bad WHAT EXPECTED-REGEX CMD... — exit 125 and one stderr line matching
bad() {
	local what=$1 re=$2 err
	shift 2
	"$@" >/dev/null 2>"$T/err"
	is "$?" 125 "$what: exit code 125"
	err=$(cat "$T/err")
	like "$(wc -l < "$T/err"):$err" "^1:berthctl: $re" "$what: one line that says why"
}

# --- network create: the conflist and what a container gets from it
is "$(B network create --internal --bridge "$BR" --subnet 198.19.231.0/24 "$NET")" "$NET" \
	"network create prints the name"
f=$T/cni/$NET.conflist
is "$(jq -r '[.name, (.plugins | map(.type) | join(",")), .plugins[0].bridge,
	.plugins[0].ipam.ranges[0][0].subnet, .plugins[0].ipMasq] | join(" ")' "$f")" \
	"$NET berth-bridge,portmap $BR 198.19.231.0/24 false" \
	"the conflist: berth-bridge + berth-ipam with the subnet and bridge, portmap"
like "$(B network ls)" "$NET +berth-bridge +$BR +198\.19\.231\.0/24" "network ls shows it"
is "$(B network ls -q | grep -c "^$NET\$")" 1 "network ls -q: its name"
is "$(B network inspect "$NET" | jq -r '.[0] | [.name, .subnet, .bridge, (.containers | length)] | join(" ")')" \
	"$NET 198.19.231.0/24 $BR 0" "network inspect: name, subnet, bridge, no containers"
out=$(B run --rm --network "$NET" busybox ip -4 -o addr show eth0)
like "$out" 'inet 198\.19\.231\.[0-9]+/24' "a container on the network gets an address in its subnet"
is "$(ip -j -d link show "$BR" | jq -r '.[0].linkinfo.info_kind')" bridge \
	"the network's bridge exists in the host (ip -j link)"

# --- in use: refused, then rm -f takes the container with it
id=$(B run -d --network "$NET" busybox sleep 30)
is "$(B network inspect "$NET" | jq -r '.[0].containers[0]')" "$id" "network inspect lists the container"
bad "network rm while a container uses it" "network \`$NET\`: in use by container ${id:0:12}" \
	B network rm "$NET"
ok "the refused rm left the conflist" test -f "$f"
ok "the refused rm left the container running" test "$(B inspect "$id" | jq -r '.[0].state.status')" = running
is "$(B network rm -f "$NET")" "$NET" "network rm -f removes it"
ok "the conflist is gone" test ! -e "$f"
is "$(B ps -aq | wc -l)" 0 "rm -f removed the container that used it"
is "$(ip -j link show | jq --arg b "$BR" '[.[] | select(.ifname == $b)] | length')" 0 \
	"the bridge is gone (ip -j link)"

# --- network bad input
B network create --internal --bridge "$BR" --subnet 198.19.232.0/24 "$NET" >/dev/null
bad "an overlapping subnet" "network \`bt-eng-o$$\`: subnet 198\.19\.232\.128/25 overlaps network \`$NET\`" \
	B network create --subnet 198.19.232.128/25 "bt-eng-o$$"
bad "a bad subnet" "subnet \`198\.19\.1\.0/40\`: the prefix length must be 8 to 30" \
	B network create --subnet 198.19.1.0/40 "bt-eng-o$$"
bad "a name taken" "network \`$NET\`: already exists" B network create "$NET"
bad "a bad name" 'network `\.\./x`: not a valid name' B network create ../x
bad "rm of an unknown network" "network \`bt-eng-none$$\`: no such network" B network rm "bt-eng-none$$"
bad "run on an unknown network" "network \`bt-eng-none$$\`" B run --rm --network "bt-eng-none$$" busybox true
is "$(ls "$T/cni")" "$NET.conflist" "bad input: no conflist created"
B network rm "$NET" >/dev/null

# --- volumes
is "$(B volume create bt-eng-v1)" bt-eng-v1 "volume create prints the name"
ok "the volume's directory exists" test -d "$T/root/volumes/bt-eng-v1/_data"
B run --rm --network none -v bt-eng-v1:/data busybox sh -c 'echo kept > /data/f'
is "$(cat "$T/root/volumes/bt-eng-v1/_data/f")" kept "run -v NAME:/path writes into the volume"
is "$(B run --rm --network none -v bt-eng-v1:/data:ro busybox cat /data/f)" kept \
	"a second container reads it"
is "$(B volume inspect bt-eng-v1 | jq -r '.[0].Mountpoint')" "$T/root/volumes/bt-eng-v1/_data" \
	"volume inspect: the mountpoint"
id=$(B run -d --network none -v bt-eng-v1:/data -v bt-eng-v2:/d2 busybox sleep 30)
ok "run -v creates a volume on first use" test -d "$T/root/volumes/bt-eng-v2/_data"
is "$(B volume ls -q | tr '\n' ' ')" "bt-eng-v1 bt-eng-v2 " "volume ls -q"
is "$(B volume ls --format json | jq -r '.[] | select(.Name == "bt-eng-v1") | .Containers[0]')" "$id" \
	"volume ls --format json: the container using it"
bad "volume rm while in use" "volume \`bt-eng-v1\`: in use by container ${id:0:12}" B volume rm bt-eng-v1
ok "the refused rm kept the data" test -f "$T/root/volumes/bt-eng-v1/_data/f"
B volume create bt-eng-v3 >/dev/null
is "$(B volume prune)" bt-eng-v3 "volume prune removes only the unused volume"
is "$(B volume rm -f bt-eng-v1)" bt-eng-v1 "volume rm -f removes it"
ok "and its data" test ! -e "$T/root/volumes/bt-eng-v1"
is "$(B ps -aq | wc -l)" 0 "and the container that used it"
is "$(B volume prune)" bt-eng-v2 "volume prune: the other volume, unused now"

# --- volume bad input
bad "a bad volume name" 'volume `\.x`: not a valid name' B volume create .x
B volume create bt-eng-v4 >/dev/null
bad "a volume name taken" 'volume `bt-eng-v4`: already exists' B volume create bt-eng-v4
bad "rm of an unknown volume" 'volume `bt-eng-nov`: no such volume' B volume rm bt-eng-nov
B volume rm bt-eng-v4 >/dev/null
is "$(ls "$T/root/volumes" | wc -l):$(ls "$T/root/engine/containers" | wc -l)" 0:0 \
	"nothing left behind"
