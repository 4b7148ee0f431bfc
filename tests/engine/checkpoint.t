#!/bin/bash
# berthctl checkpoint / restore: a detached counter that writes to its stdout
# and to a file of its rootfs is checkpointed (process and shim gone, ps says
# checkpointed), restored (same ID, the count goes on in the same log, the
# rootfs changes are there, exec/stop/rm work), checkpointed with -R, exported,
# removed and imported under a new name; on a CNI network it keeps its address;
# a restart policy runs it from scratch; bad input leaves nothing behind.
. "$(dirname "$0")/../lib/tap.sh"
need_root
plan 75

T=$(tap_tmpdir)
BR=bt-eng-ck$$
NET=198.19.$((RANDOM % 50 + 150))
mkdir -p "$T/cni"
cat > "$T/cni/10-berth.conflist" <<J
{"cniVersion": "1.0.0", "name": "berth", "plugins": [
 {"type": "berth-bridge", "bridge": "$BR", "isGateway": true, "ipMasq": false,
  "ipam": {"type": "berth-ipam", "ranges": [[{"subnet": "$NET.0/24"}]], "dataDir": "$T/ipam"}}]}
J
B() { "$BUILD/bin/berthctl" --root "$T/root" --runroot "$T/run" --cni-config-dir "$T/cni" "$@"; }
defer "ip link del $BR 2>/dev/null"
defer 'for c in $(B ps -aq); do B rm -f $c; done'

# The counter: n=1, n=2, ... to stdout and /count; /marker and a deleted /etc/group in its rootfs.
COUNTER='echo made > /marker; rm /etc/group; i=0; while :; do i=$((i+1)); echo "n=$i"; echo $i > /count; sleep 0.05; done'
logf() { echo "$T/root/engine/containers/$1/ctr.log"; }
# the numbers the log holds, in order
counts() { sed -n 's/^.* stdout F n=\([0-9]*\)\r\{0,1\}$/\1/p' "$(logf "$1")"; }
last_count() { counts "$1" | tail -1; }
# every number is the one before plus 1, from 1 on
consecutive() { counts "$1" | awk 'NR != $1 { bad = 1 } END { exit bad || NR == 0 }'; }
wait_count_above() { # ID N: the log shows a number above N (20 s at most)
	for _ in $(seq 400); do [ "$(last_count "$1")" -gt "$2" ] 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
IDS=""
ctr_pid() { B inspect "$1" | jq -r '.[0].state.pid'; }
# a process is gone once it has exited (a detached shim's zombie waits for init)
gone() { [ ! -d "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
shim_pid() { cat "$T/run/engine/$1/shim.pid" 2>/dev/null; }
nothing_left() {
	local left=""
	[ -z "$(ls "$T/root/engine/containers" 2>/dev/null)" ] || left="$left state"
	[ -z "$(ls -d "$T"/root/engine/.import-* 2>/dev/null)" ] || left="$left import-dir"
	grep -q "$T" /proc/self/mountinfo && left="$left mount"
	[ -z "$(ls "$T/run/netns" 2>/dev/null)" ] || left="$left netns"
	[ -z "$(ls "$T/run/engine" 2>/dev/null)" ] || left="$left shim-state"
	[ -z "$(ls "$T/run/runtime" 2>/dev/null)" ] || left="$left runtime-state"
	for i in $IDS; do
		[ -e "/sys/fs/cgroup/memory/berth-$i" ] || [ -e "/sys/fs/cgroup/unified/berth-$i" ] &&
			left="$left cgroup"
	done
	ps -eo args= | grep -v grep | grep -q "$T/run" && left="$left process"
	[ -z "$(ls "$T/root/engine/names" 2>/dev/null)" ] || left="$left name"
	is "${left:-none}" none "$1: nothing left behind"
}

# --- checkpoint: process and shim gone, ps says checkpointed
id=$(B run -d --network none --name bt-ck-a$$ busybox sh -c "$COUNTER")
IDS="$IDS $id"
wait_count_above "$id" 5 || diag "the counter did not start"
pid=$(ctr_pid "$id")
spid=$(shim_pid "$id")
B checkpoint bt-ck-a$$ >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "checkpoint: exit 0, no message"
ok "checkpoint: the container's process is gone" gone "$pid"
ok "checkpoint: its shim is gone" gone "$spid"
like "$(B ps -a | grep bt-ck-a$$)" 'Exited \(checkpointed\)' "ps -a: Exited (checkpointed)"
is "$(B inspect "$id" | jq -r '.[0].state.checkpointed')" true "inspect: state.checkpointed"
ok "the checkpoint holds the rootfs changes" \
	sh -c "tar tf '$T/root/engine/containers/$id/checkpoint/rootfs-diff.tar' | grep -qx count"
before=$(last_count "$id")
sleep 0.3
is "$(last_count "$id")" "$before" "nothing counts while checkpointed"

# --- restore: the same container goes on counting
out=$(B restore bt-ck-a$$)
is "$?:$out" "0:$id" "restore: exit 0, the same container ID"
like "$(B ps | grep bt-ck-a$$)" ' Up ' "ps: the restored container is up"
ok "restore: the count goes on in the same log" wait_count_above "$id" "$before"
ok "restore: the log counts on from where it was, never from 1 again" consecutive "$id"
# /count is rewritten in place: an empty read is the moment between truncate and write
for _ in 1 2 3 4 5; do c=$(B exec "$id" cat /count) && [ -n "$c" ] && break; done
ok "exec in the restored container: /count of its rootfs ($c) is at least $before" test "$c" -ge "$before"
is "$(B exec "$id" cat /marker)" made "the file it wrote before the checkpoint is there"
B exec "$id" test -e /etc/group
isnt $? 0 "the file it deleted is still deleted"
ok "restore: the checkpoint image is gone (no --keep)" test ! -e "$T/root/engine/containers/$id/checkpoint"

# --- checkpoint -R: it keeps running
pid=$(ctr_pid "$id")
B checkpoint -R "$id" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "checkpoint -R: exit 0, no message"
ok "checkpoint -R: the process still runs" test -d "/proc/$pid"
n=$(last_count "$id")
ok "checkpoint -R: it goes on counting" wait_count_above "$id" "$n"
ok "checkpoint -R: the image is there" test -s "$T/root/engine/containers/$id/checkpoint/pstree.img"
B restore "$id" 2>"$T/err"
is "$?:$(cat "$T/err")" "125:berthctl: restore \`$id\`: container is running" "restore of a running container: 125, one line"

# --- export, rm, import under a new name: the count goes on
B checkpoint --export "$T/ck.tar" "$id" >/dev/null
is $? 0 "checkpoint --export: exit 0"
before=$(last_count "$id")
ok "the export holds the images, the rootfs changes, the record" \
	sh -c "tar tf '$T/ck.tar' | sort | tr '\n' ' ' | grep -q 'berthctl.json bundle.json.*pstree.img rootfs-diff.tar'"
B rm "$id" >/dev/null
is $? 0 "rm of the checkpointed container"
nid=$(B restore --import "$T/ck.tar" --name bt-ck-b$$)
is $? 0 "restore --import --name: exit 0"
IDS="$IDS $nid"
isnt "$nid" "$id" "--import --name: a new container ID"
is "$(B inspect bt-ck-b$$ | jq -r '.[0].id')" "$nid" "the new name finds it"
ok "the imported container counts on" wait_count_above "$nid" 0
first=$(counts "$nid" | head -1)
ok "its count starts after the exported one ($first > $before)" test "$first" -gt "$before"
is "$(B exec bt-ck-b$$ cat /marker)" made "the imported container has the rootfs changes"
n=$(last_count "$nid")
timeout 3 "$BUILD/bin/berthctl" --root "$T/root" --runroot "$T/run" attach --no-stdin bt-ck-b$$ >"$T/attach.out" 2>/dev/null
a=$(sed -n 's/^n=//p' "$T/attach.out" | head -1)
ok "attach to the imported container follows its output (n=$a after n=$n)" test "${a:-0}" -gt "$n"
spid=$(shim_pid "$nid")
pid=$(ctr_pid "$nid")
B wait bt-ck-b$$ >"$T/wait.out" &
waiter=$!
B stop -t 1 bt-ck-b$$ >/dev/null
is $? 0 "stop of the imported container"
ok "stop: its process is gone" gone "$pid"
wait $waiter
is "$(cat "$T/wait.out")" 137 "wait: the restored process's exit status (SIGKILL after stop -t 1)"
is "$(B inspect bt-ck-b$$ | jq -r '.[0].state | "\(.status) \(.exit_code) \(.checkpointed)"')" "exited 137 false" \
	"inspect: an ordinary exit once it ended, not checkpointed"
B rm bt-ck-b$$ >/dev/null
is $? 0 "rm of the imported container"
ok "rm: its shim is gone" gone "$spid"
nothing_left "checkpoint, restore, export, import, stop, rm"

# --- a CNI network: the restored container keeps its namespace and address
id=$(B run -d --name bt-ck-n$$ busybox sh -c "$COUNTER")
IDS="$IDS $id"
ip=$(B inspect "$id" | jq -r '.[0].ip')
wait_count_above "$id" 2
B checkpoint "$id" >/dev/null && B restore "$id" >/dev/null
is $? 0 "checkpoint and restore on a CNI network"
like "$(B exec "$id" ip -4 -o addr show eth0)" "inet $ip/24" "the restored container has its address $ip"
pings() { B exec "$1" ping -c1 -W2 "$NET.1" >/dev/null; }
ok "it reaches the bridge's address" pings "$id"
B checkpoint --export "$T/net.tar" "$id" >/dev/null && B rm "$id" >/dev/null
out=$(B restore --import "$T/net.tar")
is "$?:$out" "0:$id" "--import without --name: the container's own ID"
is "$(B inspect "$id" | jq -r '.[0].ip')" "$ip" "--import on a CNI network asks for its address again and gets it"
like "$(B exec "$id" ip -4 -o addr show eth0)" "inet $ip/24" "the imported container has $ip on eth0"
# --- --network host
hid=$(B run -d --network host --name bt-ck-h$$ busybox sh -c "$COUNTER")
IDS="$IDS $hid"
wait_count_above "$hid" 2
B checkpoint "$hid" >/dev/null && B restore --keep "$hid" >/dev/null
is $? 0 "checkpoint and restore --keep with --network host"
n=$(last_count "$hid")
ok "--network host: it counts on" wait_count_above "$hid" "$n"
ok "restore --keep: the checkpoint image stays" test -s "$T/root/engine/containers/$hid/checkpoint/pstree.img"
B kill "$hid" >/dev/null && B wait "$hid" >/dev/null
n=$(last_count "$hid")
lines=$(counts "$hid" | wc -l)
B restore "$hid" >/dev/null
is $? 0 "a kept checkpoint restores the container again after it was killed"
for _ in $(seq 400); do [ "$(counts "$hid" | wc -l)" -gt "$lines" ] && break; sleep 0.05; done
again=$(counts "$hid" | sed -n "$((lines + 1))p")
ok "... and it counts on from the checkpoint ($again after $n)" test "${again:-0}" -gt 1 -a "${again:-0}" -le "$n"
B rm -f "$id" "$hid" >/dev/null

# --- -t: the console's master was the shim's; the restored processes get a new console
tid=$(B run -d -t --network none busybox sh -c "$COUNTER")
IDS="$IDS $tid"
wait_count_above "$tid" 2
B checkpoint "$tid" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "checkpoint of a -t container"
n=$(last_count "$tid")
B restore "$tid" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "restore of a -t container"
ok "-t: it counts on in the same log" wait_count_above "$tid" "$n"
ok "-t: from where it was" consecutive "$tid"
is "$(B exec "$tid" sh -c 'test -t 1 && echo tty')" "" "-t: an exec without -t has no terminal"
B rm -f "$tid" >/dev/null

# --- restart policy: a restored container that dies runs again from scratch
rid=$(B run -d --network none --restart always busybox sh -c "$COUNTER")
IDS="$IDS $rid"
wait_count_above "$rid" 3
B checkpoint "$rid" >/dev/null && B restore "$rid" >/dev/null
n=$(last_count "$rid")
wait_count_above "$rid" "$n"
B kill "$rid" >/dev/null
for _ in $(seq 400); do [ "$(counts "$rid" | grep -c '^1$')" -ge 2 ] && break; sleep 0.05; done
is "$(counts "$rid" | grep -c '^1$')" 2 "--restart always: after the restored run it starts again from 1"
B rm -f "$rid" >/dev/null

# --- bad input: one line, 125, nothing left behind
sid=$(B run -d --network none busybox true)
IDS="$IDS $sid"
B wait "$sid" >/dev/null
err() { # CAUSE-REGEX ARGS...
	local re=$1
	shift
	B "$@" >/dev/null 2>"$T/err"
	is "$?:$(wc -l <"$T/err")" "125:1" "$*: exit 125, one line"
	like "$(cat "$T/err")" "^berthctl: ($re)" "$*: $re"
}
err "container \`bt-ck-none\`: no such container" checkpoint bt-ck-none
err "checkpoint \`$sid\`: container is not running" checkpoint "$sid"
err "restore \`$sid\`: container is not checkpointed" restore "$sid"
err "container \`bt-ck-none\`: no such container" restore bt-ck-none
err "import \`$T/none.tar\`: No such file or directory" restore --import "$T/none.tar"
head -c 3000 /dev/urandom >"$T/junk.tar"
err "import \`$T/junk.tar\`: .*(Unrecognized|format|tar)" restore --import "$T/junk.tar"
mkdir "$T/other" && echo x >"$T/other/file" && tar cf "$T/other.tar" -C "$T/other" file
err "import \`$T/other.tar\`: not a berth checkpoint archive" restore --import "$T/other.tar"
head -c 20000 "$T/ck.tar" >"$T/cut.tar"
err "import \`$T/cut.tar\`: .*([Tt]runcated|checksum|short|missing|end)" restore --import "$T/cut.tar" --name bt-ck-cut
mkdir "$T/cor" && tar xf "$T/ck.tar" -C "$T/cor"
pages=$(ls "$T"/cor/pages-*.img | head -1)
printf XXXX | dd of="$pages" bs=1 seek=100 conv=notrunc 2>/dev/null
tar cf "$T/cor.tar" -C "$T/cor" .
err "import \`$T/cor.tar\`: image file \`pages-[0-9]+.img\`: .*checksum" restore --import "$T/cor.tar" --name bt-ck-cor
mkdir "$T/noimg" && tar xf "$T/ck.tar" -C "$T/noimg"
jq '.image = "127.0.0.1:9/bt-ck-noimage:1" | .image_id = "sha256:'"$(printf '0%.0s' $(seq 64))"'"' \
	"$T/noimg/berthctl.json" >"$T/rec" && mv "$T/rec" "$T/noimg/berthctl.json"
tar cf "$T/noimg.tar" -C "$T/noimg" .
err "import \`$T/noimg.tar\`: image \`127.0.0.1:9/bt-ck-noimage:1\`: not in the" restore --import "$T/noimg.tar" --name bt-ck-noimg
B rm -f "$sid" >/dev/null
nothing_left "bad input"
