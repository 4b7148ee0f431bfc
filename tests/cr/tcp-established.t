#!/bin/bash
# Established TCP connections across checkpoint/restore (--tcp-established).
# The client is this script, outside the checkpointed tree: its numbered
# lines go on over the same connection without loss or duplication, what
# waits in the server's send and receive queues at the dump arrives, and so
# does what the client sends while the server is checkpointed.  Also
# --leave-running, IPv6, IPv4 on an IPv6 socket, and the named errors
# (without the flag; a connection also held outside the tree).
. "$(dirname "$0")/lib.sh"
plan 32

port=$((20000 + RANDOM % 20000))
port6=$((port + 1))
portm=$((port + 2))
# A lock left by a failed run: the tables whose rule names one of our ports.
unlock_ports() {
	local t
	for t in $(nft list tables 2>/dev/null | awk '$3 ~ /^berth_tcp_/ {print $3}'); do
		nft list table inet "$t" 2>/dev/null | grep -Eq "(s|d)port ($port|$port6|$portm) " &&
			nft delete table inet "$t"
	done
}
defer unlock_ports
# locks — how many lock rules name our ports
locks() { nft list ruleset 2>/dev/null | grep -Ec "dport ($port|$port6|$portm) drop"; }
# ask FD LINE — one line to the server on fd FD, prints its answer
ask() {
	local line
	echo "$2" >&"$1" || return 1
	read -t 20 -r line <&"$1" || return 1
	echo "$line"
}
# dump ARGS — crtool dump, its error shown when it fails
dump() {
	local out
	out=$("$CRTOOL" dump "$@" 2>&1 >/dev/null) || { diag "$out"; return 1; }
}
# restore ARGS — crtool restore, prints the pid; its error shown when it fails
restore() {
	local out
	out=$("$CRTOOL" restore "$@" 2>"$T/restore.err") || diag "$(cat "$T/restore.err")"
	echo "$out"
}
# gone PID — PID (our child) was killed: a zombie or no more (up to 5 s)
gone() {
	local i st
	for ((i = 0; i < 500; i++)); do
		st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && return 0
		sleep 0.01
	done
	return 1
}
# queues PORT — "Recv-Q Send-Q" of the server's end of the connection
queues() { ss -Htn state established "sport = :$1" | awk '{print $1, $2}'; }

# ---- IPv4: checkpoint, kill, restore ----
"$PROGS/tcpecho" $port >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 1
exec 5<>/dev/tcp/127.0.0.1/$port
defer "exec 5>&-"
got=""
for i in 1 2 3; do got+="$(ask 5 m$i)|"; done
is "$got" "pid $pid n 1: m1|pid $pid n 2: m2|pid $pid n 3: m3|" "three numbered answers"

# 50000 lines asked and not read: the server blocks writing with its send
# queue full; the lines sent next wait in its receive queue.
echo "big 50000" >&5
printf 'm4\nm5\n' >&5
for ((i = 0; i < 200; i++)); do
	read -r rq sq <<<"$(queues $port)"
	[ "${rq:-0}" -gt 0 ] && [ "${sq:-0}" -gt 0 ] && break
	sleep 0.05
done
ok "data waits in both queues of the server (recv $rq, send $sq)" \
	test "${rq:-0}" -gt 0 -a "${sq:-0}" -gt 0
ok "checkpoint with --tcp-established" dump $pid "$T/img" --tcp-established
ok "the server is gone" gone $pid
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
is "$(locks)" 1 "the connection is locked until the restore"
is "$(ss -Htn state established "sport = :$port" | wc -l)" 0 "no socket on the server side"
# Sent while the server is checkpointed: dropped by the lock, sent again later.
ok "the client writes while the server is checkpointed" bash -c "echo m6 >&5"
sleep 0.5
is "$(restore "$T/img" --tcp-established)" "$pid" "restored with its pid"
is "$(locks)" 0 "the lock is gone"
# head -c reads no further than asked: the answers stay for read.
is "$(timeout 30 head -c 750000 <&5 | md5sum)" "$(seq -f 'block %08.0f' 1 50000 | md5sum)" \
	"the 50000 lines arrive complete and in order"
got=""
for i in 4 5 6; do got+="$(read -t 20 -r l <&5 && echo "$l")|"; done
is "$got" "pid $pid n 4: m4|pid $pid n 5: m5|pid $pid n 6: m6|" \
	"then the answers to what waited and to what was sent while checkpointed"
is "$(ask 5 m7)" "pid $pid n 7: m7" "the connection goes on, its count too"
is "$(ss -Htn state established "sport = :$port" | wc -l)" 1 "one connection on the server side"

# ---- --leave-running: the original goes on serving the same connection ----
ok "checkpoint with --leave-running" dump $pid "$T/img2" --leave-running --tcp-established
ok "the server still runs" kill -0 $pid
is "$(ask 5 m8)" "pid $pid n 8: m8" "and answers on the same connection"
is "$(locks)" 0 "no lock left"

# ---- without --tcp-established: named errors, nothing changes ----
like "$("$CRTOOL" dump $pid "$T/img3" 2>&1)" \
	"process $pid: fd [0-9]+ \\(socket:\\[[0-9]+\\], inet stream socket, not listening\\): unsupported resource" \
	"checkpoint without --tcp-established: named error"
is "$(ask 5 m9)" "pid $pid n 9: m9" "the server goes on after the refused checkpoint"
exec 5>&-

# ---- IPv6 on ::1; an image with a connection needs the flag at restore ----
"$PROGS/tcpecho" $port6 ::1 >"$T/out6" &
pid6=$!
track $pid6
wait_lines "$T/out6" 1
exec 7<>"/dev/tcp/::1/$port6"
defer "exec 7>&-"
is "$(ask 7 v1)" "pid $pid6 n 1: v1" "IPv6 server answers"
ok "checkpoint the IPv6 server" dump $pid6 "$T/img6" --tcp-established
ok "it is gone" gone $pid6
kill -9 $pid6 2>/dev/null
wait $pid6 2>/dev/null
echo v2 >&7
like "$("$CRTOOL" restore "$T/img6" 2>&1)" \
	"socket:\\[[0-9]+\\]\`: the image holds an established TCP connection: restore it with --tcp-established" \
	"restore without --tcp-established: named error"
fails "nothing was restored" kill -0 $pid6 2>/dev/null
is "$(restore "$T/img6" --tcp-established)" "$pid6" "restored with the flag"
got=$(read -t 20 -r l <&7 && echo "$l")
is "$got|$(ask 7 v3)" "pid $pid6 n 2: v2|pid $pid6 n 3: v3" \
	"what was sent while checkpointed arrives, the connection goes on"

# ---- a connection also held outside the tree: refused, left alone ----
# This server inherits the script's end of the IPv6 connection (fd 7).
"$PROGS/tcpecho" $portm :: >"$T/outx" &
pidx=$!
track $pidx
wait_lines "$T/outx" 1
like "$("$CRTOOL" dump $pidx "$T/imgx" --tcp-established 2>&1)" \
	"process $pidx: fd 7 \\(socket:\\[[0-9]+\\]\\): TCP connection \\[::1\\]:[0-9]+ -> \\[::1\\]:$port6: also held by process [0-9]+ outside the checkpointed tree: unsupported resource" \
	"a connection held outside the tree: named error"
is "$(ask 7 v4)" "pid $pid6 n 4: v4" "the outside end still works"
kill -9 $pidx
wait $pidx 2>/dev/null

# ---- IPv4 client of a server on :: (a v4-mapped IPv6 socket) ----
"$PROGS/tcpecho" $portm :: 7>&- >"$T/outm" &
pidm=$!
track $pidm
wait_lines "$T/outm" 1
exec 8<>/dev/tcp/127.0.0.1/$portm
defer "exec 8>&-"
is "$(ask 8 w1)" "pid $pidm n 1: w1" "the server on :: answers an IPv4 client"
ok "checkpoint it" dump $pidm "$T/imgm" --tcp-established
kill -9 $pidm 2>/dev/null
wait $pidm 2>/dev/null
echo w2 >&8
is "$(restore "$T/imgm" --tcp-established)" "$pidm" "restored"
got=$(read -t 20 -r l <&8 && echo "$l")
is "$got|$(ask 8 w3)" "pid $pidm n 2: w2|pid $pidm n 3: w3" \
	"the v4-mapped connection goes on"
