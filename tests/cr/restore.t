#!/bin/bash
# berth restore of a container: a counter as the container's init is
# checkpointed (and removed), restored under the same ID: pid 1 of a new pid
# namespace again, counting on from its value, in the container's cgroup with
# its memory limit; state, kill and delete work on it.  Restore again from the
# same image, into a new ID, and next to a still running original
# (--leave-running).  A non-root user with capabilities and a seccomp filter
# gets them back.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/wait.sh"
need_root
plan 51

T=$(tap_tmpdir)
R=$T/root
id=bt-cr-rst
for n in $id $id-new $id-orig $id-copy $id-sh $id-cred $id-chain $id-fg $id-pipe $id-tcp $id-userns; do defer "'$BERTH' --root '$R' delete -f $n"; done

B() { "$BERTH" --root "$R" "$@"; }
nspid() { awk '/^NSpid:/ { print $NF }' "/proc/$1/status"; }
mem_cgroup() { awk -F: '$2 == "memory" { print $3 }' "/proc/$1/cgroup"; }

make_bundle "$T/b" /counter
cp "$BUILD/tests/cr/progs/counter-static" "$T/b/rootfs/counter"
jq '.linux.resources.memory.limit = 134217728 | .linux.cgroupsPath = "/bt-cr-rst"' \
	"$T/b/config.json" >"$T/b/c.json" && mv "$T/b/c.json" "$T/b/config.json"
(cd "$T/b" && B run -d $id </dev/null >"$T/log" 2>&1)
wait_lines "$T/log" 5
B update --memory 100663296 $id
ok "checkpoint the counter container" B checkpoint --image-path "$T/img" --work-path "$T/work" $id
n=$(last_count "$T/log")
lines=$(wc -l <"$T/log")
like "$(B state $id 2>&1)" "does not exist" "the checkpoint removed the container"

ok "restore it under its ID" \
	B restore -d --image-path "$T/img" --work-path "$T/work" --pid-file "$T/pidfile" $id
is "$(B state $id | jq -r .status)" running "berth state: running"
pid=$(B state $id | jq .pid)
is "$(cat "$T/pidfile")" "$pid" "--pid-file has the restored init's pid"
like "$(cat "$T/work/dump.log") / $(cat "$T/work/restore.log")" \
	"^checkpoint $id: 1 processes, [0-9]+ bytes of memory, frozen .* / restore $id: 1 processes, [0-9]+ files; image check " \
	"--work-path: dump.log and restore.log with the numbers"
is "$(nspid "$pid")" 1 "the restored counter is pid 1 of its pid namespace"
isnt "$(readlink /proc/$pid/ns/pid)" "$(readlink /proc/self/ns/pid)" "in a pid namespace of its own"
wait_lines "$T/log" $((lines + 5))
is "$(sed -n "$((lines + 1))p" "$T/log")" "pid 1 count $((n + 1))" "it counts on from its saved value"
cg=$(mem_cgroup "$pid")
like "$cg" "/bt-cr-rst\$" "it is in the container's memory cgroup"
is "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" 100663296 \
	"with the memory limit it had at checkpoint (berth update's, not the bundle's)"
is "$(readlink /proc/$pid/root)" / "its root is the container's rootfs (pivoted)"
ok "berth kill" B kill $id KILL
for ((i = 0; i < 1000; i++)); do [ -e /proc/$pid ] || break; sleep 0.01; done
is "$(B state $id | jq -r .status)" stopped "stopped after kill"
ok "berth delete" B delete $id
ok "its cgroup is gone" test ! -d "/sys/fs/cgroup/memory$cg"

# Twice from the same image: again from the saved value.
: >"$T/log"
ok "restore again from the same image, into a new ID" B restore -d --image-path "$T/img" $id-new
wait_lines "$T/log" 3
is "$(head -n 1 "$T/log" | sed 's/^.*\(pid [0-9]* count [0-9]*\)$/\1/')" "pid 1 count $((n + 1))" \
	"the second copy starts from the same value"
ok "delete -f it" B delete -f $id-new

# --leave-running: the original runs on, a copy under a new ID next to it,
# from the first bundle (--bundle): each has a cgroup of its own.
cp -a "$T/b" "$T/b2"
jq '.linux.cgroupsPath = "/bt-cr-rst-orig"' "$T/b/config.json" >"$T/b2/config.json"
(cd "$T/b2" && B run -d $id-orig </dev/null >"$T/log2" 2>&1)
wait_lines "$T/log2" 5
ok "checkpoint --leave-running" B checkpoint --leave-running --image-path "$T/img2" $id-orig
ok "restore a copy under a new ID" B restore -d --image-path "$T/img2" --bundle "$T/b" $id-copy
p1=$(B state $id-orig | jq .pid)
p2=$(B state $id-copy | jq .pid)
ok "both run, each pid 1 of its own namespace" \
	test "$p1" != "$p2" -a "$(nspid "$p1")" = 1 -a "$(nspid "$p2")" = 1 -a \
	"$(readlink /proc/$p1/ns/pid)" != "$(readlink /proc/$p2/ns/pid)"
pos() { awk '/^pos:/ { print $2 }' "/proc/$1/fdinfo/1" 2>/dev/null || echo 0; }
a1=$(pos "$p1")
a2=$(pos "$p2")
for ((i = 0; i < 2000; i++)); do
	[ "$(pos "$p1")" -gt "$a1" ] && [ "$(pos "$p2")" -gt "$a2" ] && break
	sleep 0.01
done
isnt "$(mem_cgroup "$p1")" "$(mem_cgroup "$p2")" "each in its own cgroup"
ok "both go on writing" test "$(pos "$p1")" -gt "$a1" -a "$(pos "$p2")" -gt "$a2"
is "$(B state $id-copy | jq -r .status)/$(B state $id-orig | jq -r .status)" running/running \
	"berth state: both running"

# A shell with a sleep child most of the time: a tree inside the pid namespace.
make_bundle "$T/b3" sh -c 'i=0; while :; do i=$((i+1)); echo "$$ $i"; sleep 0.02; done'
(cd "$T/b3" && B run -d $id-sh </dev/null >"$T/log3" 2>&1)
wait_lines "$T/log3" 10
ok "checkpoint a shell counting with sleep children" B checkpoint --image-path "$T/img3" $id-sh
n3=$(wc -l <"$T/log3")
ok "restore it" B restore -d --image-path "$T/img3" $id-sh
wait_lines "$T/log3" $((n3 + 10))
ok "it counts on without a gap or a repeat, as pid 1" awk '{ if ($1 != 1 || $2 != NR) exit 1 }' "$T/log3"

# Credentials: user, groups, capabilities, no_new_privs off, a seccomp filter.
cp -a "$T/b" "$T/b4"
jq '.process.user = {uid: 1000, gid: 1001, additionalGids: [1002, 1003]} |
	.linux.cgroupsPath = "/bt-cr-rst-cred" | .process.noNewPrivileges = false |
	.process.capabilities.bounding += ["CAP_CHOWN"] | .process.capabilities.permitted += ["CAP_CHOWN"] |
	.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}' \
	"$T/b/config.json" >"$T/b4/config.json"
(cd "$T/b4" && B run -d $id-cred </dev/null >"$T/log4" 2>&1)
wait_lines "$T/log4" 3 || diag "$(cat "$T/log4")"
creds() { grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs|Seccomp|Seccomp_filters):' "/proc/$1/status"; }
before=$(creds "$(B state $id-cred | jq .pid)")
ok "checkpoint a container of user 1000 with a seccomp filter" B checkpoint --image-path "$T/img4" $id-cred
ok "restore it" B restore -d --image-path "$T/img4" $id-cred
after=$(creds "$(B state $id-cred | jq .pid)")
is "$after" "$before" "ids, groups, capability sets, no_new_privs and seccomp as before"
is "$(echo "$after" | awk '/^Seccomp/ { printf "%s ", $2 }')" "2 1 " "one seccomp filter in filter mode"

# A restored container is a container like others: exec, pause/resume, a
# second checkpoint and restore; a foreground restore waits for it.
(cd "$T/b" && B run -d $id-chain </dev/null >"$T/log5" 2>&1)
wait_lines "$T/log5" 3
B checkpoint --image-path "$T/img5" $id-chain
B restore -d --image-path "$T/img5" $id-chain
is "$(B exec $id-chain /bin/sh -c 'grep NSpid /proc/1/status')" "$(printf 'NSpid:\t1')" \
	"berth exec in the restored container sees the restored pid 1"
ok "pause and resume it" sh -c "'$BERTH' --root '$R' pause $id-chain && '$BERTH' --root '$R' resume $id-chain"
ok "checkpoint the restored container again" B checkpoint --image-path "$T/img6" $id-chain
n5=$(last_count "$T/log5")
l5=$(wc -l <"$T/log5")
ok "and restore that" B restore -d --image-path "$T/img6" $id-chain
wait_lines "$T/log5" $((l5 + 3))
is "$(sed -n "$((l5 + 1))p" "$T/log5")" "pid 1 count $((n5 + 1))" "it counts on after the second restore"
B restore --image-path "$T/img6" $id-fg &
fg=$!
for ((i = 0; i < 2000; i++)); do [ "$(B state $id-fg 2>/dev/null | jq -r .status)" = running ] && break; sleep 0.01; done
B kill $id-fg KILL
wait $fg
is "$?" 137 "restore without --detach exits with the container's status"
like "$(B state $id-fg 2>&1)" "does not exist" "and deletes the container"

# Stdout a pipe to a reader outside the container (as a shim has it): after
# restore the container writes to restore's stdout, here a new reader.
(cd "$T/b" && B run -d $id-pipe </dev/null > >(exec cat >"$T/logp") 2>&1)
wait_lines "$T/logp" 3
ok "checkpoint a container whose stdout is a pipe" B checkpoint --image-path "$T/img7" $id-pipe
sleep 0.1
np=$(last_count "$T/logp")
B restore -d --image-path "$T/img7" $id-pipe > >(exec cat >"$T/logp2") 2>&1
is "$?" 0 "restore it with stdout to another pipe"
wait_lines "$T/logp2" 3
is "$(head -n 1 "$T/logp2")" "pid 1 count $((np + 1))" "it writes on into restore's stdout"
like "$(readlink "/proc/$(B state $id-pipe | jq .pid)/fd/1")" "^pipe:" "its stdout is a pipe again"

# A TCP server listening in the container's network namespace: after the
# restore it listens in the new container's namespace, its count goes on.
make_bundle "$T/b8" /tcpsrv 8080
cp "$BUILD/tests/cr/progs/tcpsrv-static" "$T/b8/rootfs/tcpsrv"
(cd "$T/b8" && B run -d $id-tcp </dev/null >"$T/log8" 2>&1)
wait_lines "$T/log8" 1
ask() { # PID LINE: one connection from inside the container's network namespace
	nsenter --net="/proc/$1/ns/net" bash -c \
		"ip link set lo up && exec 5<>/dev/tcp/127.0.0.1/8080 && echo $2 >&5 && read -r l <&5 && echo \"\$l\""
}
is "$(ask "$(B state $id-tcp | jq .pid)" one)" "pid 1 conn 1: one" "the server in the container answers"
ok "checkpoint it" B checkpoint --image-path "$T/img8" $id-tcp
ok "restore it" B restore -d --image-path "$T/img8" $id-tcp
is "$(ask "$(B state $id-tcp | jq .pid)" two)" "pid 1 conn 2: two" \
	"it listens in the new container's network namespace, its count goes on"

# A container in a user namespace (root mapped to 100000): the saved ids
# (the host's view) are mapped back into the new container's namespace.
chmod 755 "$T" # the mapped root walks to the rootfs
cp -a "$T/b" "$T/b9"
jq '.linux.namespaces += [{type: "user"}] | .linux.cgroupsPath = "/bt-cr-rst-userns" |
	.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
	.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]' \
	"$T/b/config.json" >"$T/b9/config.json"
(cd "$T/b9" && B run -d $id-userns </dev/null >"$T/log9" 2>&1)
wait_lines "$T/log9" 3 || diag "$(cat "$T/log9")"
before=$(creds "$(B state $id-userns | jq .pid)")
ok "checkpoint a container in a user namespace" B checkpoint --image-path "$T/img9" $id-userns
l9=$(wc -l <"$T/log9")
ok "restore it" B restore -d --image-path "$T/img9" $id-userns
p9=$(B state $id-userns | jq .pid)
is "$(creds "$p9")" "$before" "its ids (100000 on the host) and capabilities as before"
wait_lines "$T/log9" $((l9 + 3))
ok "in a user namespace of its own, counting on" test "$(readlink /proc/$p9/ns/user)" != \
	"$(readlink /proc/self/ns/user)" -a "$(sed -n "$((l9 + 1))p" "$T/log9")" = "pid 1 count $((l9 + 1))"
