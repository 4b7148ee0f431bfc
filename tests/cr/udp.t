#!/bin/bash
# A UDP echo server across checkpoint/restore: after the restore the same
# process answers on the same ports (IPv4 and IPv6, its count goes on), with
# its options (IPV6_V6ONLY, SO_REUSEADDR, SO_BROADCAST) and a connected
# socket connected to the same peer.  Datagrams that waited are dropped.
. "$(dirname "$0")/lib.sh"
plan 9

port=$((20000 + RANDOM % 20000))
ask() { # HOST LINE — one datagram to the server, prints its answer
	exec 5<>"/dev/udp/$1/$port" || return 1
	echo "$2" >&5
	# One read of the whole datagram (bash's read takes a byte per datagram).
	timeout 2 head -n 1 <&5
	exec 5>&-
}

"$PROGS/fdx" udp $port >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 1
is "$(ask 127.0.0.1 one)" "pid $pid n 1: one" "the server answers on IPv4"
is "$(ask ::1 two)" "pid $pid n 2: two" "the server answers on IPv6"
ok "checkpoint the server" crdump $pid "$T/img"
wait $pid 2>/dev/null
is "$(ss -Huln "sport = :$port" | wc -l)" "0" "nobody on the port after checkpoint"
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
track $pid
is "$(ask 127.0.0.1 three)" "pid $pid n 3: three" "the restored server answers on IPv4, its count goes on"
is "$(ask ::1 four)" "pid $pid n 4: four" "and on IPv6"
is "$(ss -Hunp "sport = :$((port + 1))" | grep "pid=$pid," | awk '{print $3, $4}')" \
	"127.0.0.1:$((port + 1)) 127.0.0.1:$((port + 2))" \
	"the connected socket has its address and peer again"
is "$(ss -Hulnp "sport = :$port" | grep -c "pid=$pid,")" "2" "two sockets of the process on the port"
