#!/bin/bash
# berth checkpoint/restore --tcp-established of a container whose network
# namespace is given by path in config.json (it outlives the container): a
# client on the host talks to the echo server in the container over a veth
# pair (198.19.0.0/16), across checkpoint, removal and restore of the
# container, on the same connection; what it sends meanwhile arrives.  Then
# --leave-running: the container goes on serving it.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/wait.sh"
need_root
plan 16

T=$(tap_tmpdir)
R=$T/root
id=bt-cr-tcp-$$
ns=bt-cr-tcp-$$
hv=btct$$h
cv=btct$$c
port=$((20000 + RANDOM % 20000))
net=198.19.$((RANDOM % 256)).$((4 * (RANDOM % 64)))
host=${net%.*}.$((${net##*.} + 1))
ctr=${net%.*}.$((${net##*.} + 2))
B() { "$BERTH" --root "$R" "$@"; }
# locks — the lock rules for our port in the container's network namespace
locks() { ip netns exec "$ns" nft list ruleset 2>/dev/null | grep -Ec "dport $port drop"; }
ask() {
	local line
	echo "$2" >&"$1" || return 1
	read -t 20 -r line <&"$1" || return 1
	echo "$line"
}

defer "ip netns del $ns"
ip netns add "$ns"
defer "ip link del $hv"
ip link add "$hv" type veth peer name "$cv"
ip link set "$cv" netns "$ns"
ip addr add "$host/30" dev "$hv"
ip link set "$hv" up
ip -n "$ns" addr add "$ctr/30" dev "$cv"
ip -n "$ns" link set "$cv" up
ip -n "$ns" link set lo up
defer "'$BERTH' --root '$R' delete -f $id"

make_bundle "$T/b" /tcpecho $port 0.0.0.0
cp "$BUILD/tests/cr/progs/tcpecho-static" "$T/b/rootfs/tcpecho"
jq --arg p "/var/run/netns/$ns" \
	'.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $p else . end]' \
	"$T/b/config.json" >"$T/b/c.json" && mv "$T/b/c.json" "$T/b/config.json"
(cd "$T/b" && B run -d $id </dev/null >"$T/log" 2>&1)
wait_lines "$T/log" 1
exec 5<>"/dev/tcp/$ctr/$port"
defer "exec 5>&-"
got=""
for i in 1 2; do got+="$(ask 5 m$i)|"; done
is "$got" "pid 1 n 1: m1|pid 1 n 2: m2|" "the server in the container answers the host"

ok "berth checkpoint --tcp-established" B checkpoint --tcp-established --image-path "$T/img" $id
like "$(B state $id 2>&1)" "does not exist" "the container is gone"
is "$(locks)" 1 "the connection is locked in the container's network namespace"
echo m3 >&5
like "$(B restore -d --image-path "$T/img" $id 2>&1)" \
	"restore \`$id\`: image \`$T/img\`: \`socket:\\[[0-9]+\\]\`: the image holds an established TCP connection: restore it with --tcp-established" \
	"berth restore without --tcp-established: named error"
like "$(B state $id 2>&1)" "does not exist" "no container was made"
is "$(locks)" 1 "the lock stays"
ok "berth restore --tcp-established" B restore -d --tcp-established --image-path "$T/img" $id
is "$(B state $id | jq -r .status)" running "running"
is "$(read -t 20 -r l <&5 && echo "$l")" "pid 1 n 3: m3" "what the host sent meanwhile arrives"
is "$(ask 5 m4)" "pid 1 n 4: m4" "the connection goes on, the count too"
is "$(locks)" 0 "the lock is gone"
ok "one established connection to the server on the host side" \
	test "$(ss -Htn state established "dport = :$port" | wc -l)" = 1

ok "berth checkpoint --leave-running --tcp-established" \
	B checkpoint --leave-running --tcp-established --image-path "$T/img2" $id
is "$(ask 5 m5)" "pid 1 n 5: m5" "the container goes on serving the same connection"
is "$(locks)" 0 "no lock left"
