#!/bin/bash
# What the container sees: namespaces, mounts, process attributes, devices.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 67

# run_in NAME JQ-FILTER SCRIPT: run SCRIPT with sh in a fresh bundle edited by the filter;
# its stdout lands in $OUT, the exit status in $RC.
run_in() {
	local bun
	bun=$(rt_bundle "$1" sh -c "$3")
	rt_jq "$bun" "$2"
	OUT=$(b run -b "$bun" "bt-rt-iso-$1" 2>"$RT_TMP/$1.err"); RC=$?
	[ -s "$RT_TMP/$1.err" ] && diag "$(cat "$RT_TMP/$1.err")"
}

run_in basic '.hostname = "bt-rt-host" | .domainname = "bt-rt-dom"' \
	'echo pid=$$; hostname; domainname 2>/dev/null || cat /proc/sys/kernel/domainname; cat /proc/1/cmdline | tr "\0" " "; echo; ps -o pid= | wc -l; grep -E "^(Uid|Gid|CapEff|CapBnd|NoNewPrivs)" /proc/self/status; cat /proc/self/mountinfo'
is "$RC" 0 "run exits 0"
has_line "$OUT" "pid=1" "the program is PID 1"
has_line "$OUT" "bt-rt-host" "own hostname (uts namespace)"
has_line "$OUT" "bt-rt-dom" "own domainname"
isnt "$(hostname)" bt-rt-host "host's hostname unchanged"
like "$OUT" "NoNewPrivs:	1" "noNewPrivileges from the default spec"
like "$OUT" "CapEff:	0000000020000420" "effective capabilities: AUDIT_WRITE, KILL, NET_BIND_SERVICE"
like "$OUT" "CapBnd:	0000000020000420" "bounding set dropped to the same three"
like "$OUT" "Uid:	0	0	0	0" "uid 0 in the container"
root_line=$(grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ' <<<"$OUT")
like "$root_line" " / ro," "root mount is read-only (root.readonly)"
has_re "$OUT" " /proc rw,[^ ]* - proc " "proc mounted on /proc"
has_re "$OUT" " /dev/pts rw,nosuid,noexec[^ ]* - devpts .*ptmxmode=666" "devpts on /dev/pts with its options"
like "$OUT" " /dev/shm .*- tmpfs " "tmpfs on /dev/shm"
like "$OUT" " /dev/mqueue .*- mqueue " "mqueue on /dev/mqueue"
has_re "$OUT" " /sys ro,nosuid,nodev,noexec[^ ]* - sysfs " "sysfs read-only on /sys"
has_re "$OUT" "^[0-9]+ [0-9]+ [0-9:]+ /null /proc/keys " "maskedPaths: a file masked with /dev/null"
has_re "$OUT" " /proc/acpi ro,[^ ]* - tmpfs " "maskedPaths: a directory masked with a read-only tmpfs"
has_re "$OUT" " /proc/sys ro," "readonlyPaths: /proc/sys read-only"
has_re "$OUT" " /sys/fs/cgroup/memory ro," "cgroup mount: the container's memory hierarchy, read-only"

run_in procs '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7], "umask": 63} |
	.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}, {"type": "RLIMIT_NPROC", "soft": 77, "hard": 77}] |
	.process.env = ["PATH=/bin:/usr/bin", "BT_RT=hello world"] | .process.cwd = "/tmp" |
	.process.oomScoreAdj = 345 | .process.noNewPrivileges = false' \
	'grep -E "^(Uid|Gid|Groups|NoNewPrivs|CapEff)" /proc/self/status; ulimit -n; ulimit -Hn; ulimit -u; echo "env=$BT_RT"; pwd; umask; cat /proc/self/oom_score_adj'
is "$RC" 0 "run as a user exits 0"
like "$OUT" "Uid:	1000	1000	1000	1000" "process.user.uid"
like "$OUT" "Gid:	1001	1001	1001	1001" "process.user.gid"
like "$OUT" "Groups:	5 7" "additionalGids"
like "$OUT" "CapEff:	0000000000000000" "a non-root user has no effective capabilities"
like "$OUT" "NoNewPrivs:	0" "noNewPrivileges false"
has_line "$OUT" 123 "rlimits: NOFILE soft"
has_line "$OUT" 456 "rlimits: NOFILE hard"
has_line "$OUT" 77 "rlimits: NPROC"
like "$OUT" "env=hello world" "env"
has_line "$OUT" "/tmp" "cwd"
has_line "$OUT" "0077" "umask"
has_line "$OUT" 345 "oomScoreAdj"

out_dir=$RT_TMP/outdir
mkdir -p "$out_dir"
run_in data ".mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"rbind\", \"rw\"]},
	{\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"bind\", \"ro\"]},
	{\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=64k\", \"mode=700\"]}]" \
	'printf "bytes from inside" > /out/written; touch /ro/x 2>/dev/null && echo ro-writable; stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo'
is "$RC" 0 "run with bind mounts exits 0"
is "$(cat "$out_dir/written")" "bytes from inside" "the bytes the container wrote reach the host"
unlike "$OUT" "ro-writable" "a ro bind mount is read-only"
has_line "$OUT" "700" "tmpfs mode option applied"
like "$OUT" "size=64k" "tmpfs size option applied"

run_in devs '.linux.devices = [{"path": "/dev/bt-null", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 12, "gid": 34}] |
	.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"}' \
	'stat -c "%F %t:%T %a %u:%g" /dev/bt-null /dev/null /dev/zero /dev/urandom /dev/tty; for l in fd ptmx stdin; do echo "$l -> $(readlink /dev/$l)"; done; echo ip_forward=$(cat /proc/sys/net/ipv4/ip_forward) msgmax=$(cat /proc/sys/kernel/msgmax) | tr " " "\n"'
is "$RC" 0 "run with devices and sysctl exits 0"
like "$OUT" "character special file 1:3 600 12:34" "linux.devices: node, mode and owner"
like "$OUT" "character special file 1:5 666 0:0" "default device /dev/zero"
has_line "$OUT" "fd -> /proc/self/fd" "/dev/fd symlink"
has_line "$OUT" "ptmx -> pts/ptmx" "/dev/ptmx symlink"
has_line "$OUT" "stdin -> /proc/self/fd/0" "/dev/stdin symlink"
has_line "$OUT" "ip_forward=1" "sysctl net.ipv4.ip_forward in the container's netns"
has_line "$OUT" "msgmax=12345" "sysctl kernel.msgmax in the container's ipc namespace"
isnt "$(cat /proc/sys/kernel/msgmax)" 12345 "host sysctl unchanged"

chmod 755 "$RT_TMP" # the mapped root must reach the rootfs
run_in userns '.linux.namespaces += [{"type": "user"}] |
	.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
	.linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] |
	del(.mounts[] | select(.type == "cgroup")) | .root.readonly = false' \
	'cat /proc/self/uid_map /proc/self/gid_map; id -u'
is "$RC" 0 "run in a user namespace exits 0"
has_re "$OUT" "^ +0 +100000 +65536$" "uid map written"
has_re "$OUT" "^ +0 +200000 +65536$" "gid map written"
has_line "$OUT" "0" "root inside the user namespace"

# runc's own default spec lists ambient capabilities without inheritable ones:
# like runc, raise only those the kernel allows (none) and run.
run_in ambient '.process.capabilities.ambient = .process.capabilities.bounding | del(.process.capabilities.inheritable)' \
	'grep -E "^Cap(Amb|Eff)" /proc/self/status'
is "$RC" 0 "ambient capabilities without inheritable ones: the container runs"
has_line "$OUT" "CapAmb:	0000000000000000" "ambient set empty, as with runc"

# seccomp (the security module's filter, loaded by the container process)
for nnp in true false; do
	run_in "seccomp-$nnp" ".process.noNewPrivileges = $nnp | .root.readonly = false |
		.linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"],
		\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}" \
		'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/bt-x 2>&1 || echo mkdir-refused'
	is "$RC" 0 "seccomp, noNewPrivileges=$nnp: runs"
	has_line "$OUT" "Seccomp:	2" "seccomp, noNewPrivileges=$nnp: filter mode in /proc/self/status"
	has_line "$OUT" "mkdir-refused" "seccomp, noNewPrivileges=$nnp: the filtered syscall fails"
	inodes="$inodes $(stat -c %i "$RT_ROOT"/.seccomp-cache/*.bpf 2>/dev/null | tr '\n' ' ')"
done
# compiled on the host into the state root's cache; the second run (same rules) reuses it
cached=$(cd "$RT_ROOT/.seccomp-cache" 2>/dev/null && ls)
like "$cached" "^[0-9a-f]{16}\.bpf$" "seccomp: one compiled filter in <root>/.seccomp-cache"
read -r first second rest <<<"$inodes"
ok "seccomp: the second container took the cached filter" test -n "$first" -a "$first" = "$second" -a -z "$rest"

# tmpcopyup (podman --read-only): the tmpfs starts with a copy of the directory
# it covers, owners, modes, links and subdirectories kept; the rootfs is untouched.
bun=$(rt_bundle copyup sh -c 'echo new > /data/new; stat -c "%n %u:%g %a" /data/sub /data/sub/f; cat /data/sub/f; readlink /data/l; grep " /data " /proc/mounts; grep " /rodata " /proc/mounts; cat /rodata/sub/f; touch /rodata/x 2>&1')
mkdir -p "$bun/rootfs/data/sub"
echo hello > "$bun/rootfs/data/sub/f"
chown 1000:1001 "$bun/rootfs/data/sub/f"
chmod 604 "$bun/rootfs/data/sub/f"
chmod 750 "$bun/rootfs/data/sub"
ln -s sub/f "$bun/rootfs/data/l"
cp -a "$bun/rootfs/data" "$bun/rootfs/rodata"
rt_jq "$bun" '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=64k"]},
	{"destination": "/rodata", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "tmpcopyup"]}]'
out=$(b run -b "$bun" bt-rt-iso-copyup 2>&1)
has_line "$out" "/data/sub 0:0 750" "tmpcopyup: a subdirectory with its mode"
has_line "$out" "/data/sub/f 1000:1001 604" "tmpcopyup: a file with its owner and mode"
is "$(sed -n 3,4p <<<"$out")" "hello
sub/f" "tmpcopyup: the file's content and a symlink"
has_re "$out" "^tmpfs /data tmpfs rw,.*size=64k" "tmpcopyup: a tmpfs with its options"
has_re "$out" "^tmpfs /rodata tmpfs ro," "tmpcopyup with ro: read-only after the copy"
is "$(tail -2 <<<"$out")" "hello
touch: /rodata/x: Read-only file system" "tmpcopyup with ro: copied, then cannot be written"
ok "tmpcopyup: the rootfs's directory is untouched" test ! -e "$bun/rootfs/data/new"
