#!/bin/bash
# containerd drives the runtime through containerd-shim-runc-v2 (`ctr run
# --runc-binary`): run, run detached, exec, kill, delete — and nothing is left.
# The test starts its own containerd (own root, state, socket and config) and
# stops it at the end; a system containerd, if any, is never touched.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 44

tmp=$(mktemp -d /tmp/berth-test.XXXXXX)
defer "rm -rf '$tmp'"  # not tap_tmpdir: its defer is lost in the $(...) subshell
ns=bt-compat
img=docker.io/bt-compat/busybox:latest
rtroot=$tmp/rt
rt=$(compat_wrapper "$tmp")
sock=$tmp/containerd.sock

# Whatever happens: no process of ours, no mount under $tmp survives.
defer "compat_procs '$tmp' | cut -d: -f1 | xargs -r kill -9"
defer "compat_mounts '^$tmp/' | awk '{print \$5}' | sort -r | xargs -r -n1 umount -l"

cat > "$tmp/config.toml" <<EOF
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$tmp/opt"
EOF
containerd --config "$tmp/config.toml" > "$tmp/containerd.log" 2>&1 &
cpid=$!
defer "kill $cpid; wait $cpid"

c() { timeout 60 ctr --address "$sock" --namespace "$ns" "$@"; }
run_opts=(--runc-binary "$rt" --runc-root "$rtroot")

up=1
for _ in $(seq 100); do
	c version > /dev/null 2>&1 && { up=0; break; }
	kill -0 $cpid 2> /dev/null || break
	sleep 0.1
done
ok "our containerd answers on $sock" test $up = 0
[ $up = 0 ] || diag "$(tail -20 "$tmp/containerd.log")"

compat_rootfs "$tmp/rootfs"
compat_docker_archive "$tmp/rootfs" "$tmp/busybox.tar" bt-compat/busybox:latest
quiet() { "$@" > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err" >&2; return 1; }; }
ok "the busybox image is imported" quiet c image import "$tmp/busybox.tar"
like "$(c image ls -q)" "^$img\$" "ctr lists the image"

# 1. run in the foreground: output and exit status come back through the runtime.
out=$(c run --rm "${run_opts[@]}" --cgroup /bt-compat-fg "$img" bt-compat-fg \
	sh -c 'echo hello from busybox; echo pid=$$; exit 7' 2> "$tmp/err")
rc=$?
is "$out" "hello from busybox
pid=1" "run: the container's output (it is PID 1)"
is "$rc" 7 "run: the container's exit status"
[ "$rc" = 7 ] || { diag "$(cat "$tmp/err")"; compat_show_argv "$tmp"; }
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " create .*--bundle " "the shim called the runtime under test"
is "$(c container ls -q)" "" "run --rm: no container left"
is "$(ls "$rtroot/$ns" 2> /dev/null)" "" "run --rm: no runtime state left"

# A terminal: the shim hands the runtime a --console-socket and expects the pty
# master back; `script` gives ctr the terminal it wants on its side.
: > "$tmp/runtime.argv"
out=$(script -qec "exec timeout 60 ctr --address $sock --namespace $ns run --rm -t ${run_opts[*]} \
	--cgroup /bt-compat-tty $img bt-compat-tty sh -c 'tty; test -t 1 && echo stdout-is-a-tty'" /dev/null < /dev/null 2> "$tmp/err")
like "$(printf '%s' "$out" | tr -d '\r\000')" "/dev/pts/0
stdout-is-a-tty$" "run -t: the process has a terminal"
printf "%s" "$out" | grep -q -- -is-a-tty || diag "stderr: $(cat "$tmp/err" 2> /dev/null)"
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " create .*--console-socket " "run -t: through create --console-socket"

# 2. run detached; the container keeps running until killed.
id=bt-compat-bg
: > "$tmp/runtime.argv"
c run -d "${run_opts[@]}" --cgroup /$id --log-uri "file://$tmp/bg.log" "$img" $id \
	sh -c 'trap "echo got TERM; exit 42" TERM; echo started; while :; do sleep 0.1; done' \
	2> "$tmp/err"
ok "run -d starts the container" test $? = 0 || diag "$(cat "$tmp/err")"
defer "c task kill -s KILL $id; sleep 0.5; c task delete $id; c container rm $id"
status=
for _ in $(seq 50); do
	status=$(c task ls 2> /dev/null | awk -v id=$id '$1 == id {print $3}')
	[ "$status" = RUNNING ] && grep -q started "$tmp/bg.log" 2> /dev/null && break
	sleep 0.1
done
is "$status" RUNNING "run -d: the task is running"
is "$(cat "$tmp/bg.log" 2> /dev/null)" started "run -d: the container's output reaches the log"
pid=$(c task ls 2> /dev/null | awk -v id=$id '$1 == id {print $2}')
ok "run -d: the task pid is a live process" compat_alive "$pid"
pidns=$(readlink /proc/"${pid:-0}"/ns/pid)
ok "run -d: in its own PID namespace" test -n "$pidns" -a "$pidns" != "$(readlink /proc/self/ns/pid)"
ok "run -d: the runtime keeps state for the container" test -d "$rtroot/$ns/$id"
ok "run -d: the container has its cgroup" test -d /sys/fs/cgroup/pids/$id
out=$(c task ps $id 2> "$tmp/err") || diag "$(cat "$tmp/err")"
like "$out" "^PID.*
${pid:-x} " "task ps lists the container's process (ps --format json)"

# 3. exec: output and exit status of the extra process, in the container.
out=$(c task exec --exec-id e1 $id sh -c 'echo exec in $(readlink /proc/self/ns/pid) sees $(cat /proc/1/cmdline | tr "\0" " "); exit 5' 2> "$tmp/err")
rc=$?
is "${out%% sees *}" "exec in $(readlink /proc/"${pid:-0}"/ns/pid)" "exec: the process is in the container's PID namespace"
like "$out" " sees sh -c trap " "exec: output, in the container's namespaces"
is "$rc" 5 "exec: the exit status of the process"
[ "$rc" = 5 ] || { diag "$(cat "$tmp/err")"; compat_show_argv "$tmp"; }
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " exec .*--process " "exec went through the runtime's exec --process"

# exec with a terminal: exec --console-socket.
: > "$tmp/runtime.argv"
out=$(script -qec "exec timeout 60 ctr --address $sock --namespace $ns task exec -t --exec-id et $id \
	sh -c 'tty; test -t 0 && echo stdin-is-a-tty'" /dev/null < /dev/null 2> "$tmp/err")
like "$(printf '%s' "$out" | tr -d '\r\000')" "/dev/pts/[0-9]+
stdin-is-a-tty" "exec -t: the process has a terminal"
printf "%s" "$out" | grep -q -- -is-a-tty || diag "stderr: $(cat "$tmp/err" 2> /dev/null)"
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " exec .*--console-socket " "exec -t: through exec --console-socket"

# pause and resume: the runtime freezes the container's cgroup and thaws it.
ok "task pause" quiet c task pause $id
is "$(c task ls 2> /dev/null | awk -v id=$id '$1 == id {print $3}')" PAUSED "pause: the task is paused"
is "$(cat /sys/fs/cgroup/freezer/$id/freezer.state 2> /dev/null)" FROZEN "pause: the cgroup is frozen"
ok "task resume" quiet c task resume $id
is "$(c task ls 2> /dev/null | awk -v id=$id '$1 == id {print $3}')" RUNNING "resume: the task runs again"
is "$(cat /sys/fs/cgroup/freezer/$id/freezer.state 2> /dev/null)" THAWED "resume: the cgroup is thawed"

# 4. kill: the signal reaches the container's process, the exit status says so.
ok "task kill -s TERM" quiet c task kill -s TERM $id
status=
for _ in $(seq 50); do
	status=$(c task ls 2> /dev/null | awk -v id=$id '$1 == id {print $3}')
	[ "$status" = STOPPED ] && break
	sleep 0.1
done
is "$status" STOPPED "kill: the task stops"
like "$(cat "$tmp/bg.log" 2> /dev/null)" "got TERM" "kill: the container's process got SIGTERM"
c task delete $id > "$tmp/out" 2> "$tmp/err"
like "$(cat "$tmp/out" "$tmp/err")" "exit code 42([^0-9]|$)" "task delete reports the exit status 42"

ok "container rm" quiet c container rm $id

# kill --all: every process of the container gets the signal.
id2=bt-compat-all
c run -d "${run_opts[@]}" --cgroup /$id2 --null-io "$img" $id2 \
	sh -c 'sleep 1000 & sleep 1000 & wait' > /dev/null 2> "$tmp/err" || diag "$(cat "$tmp/err")"
defer "c task kill -s KILL $id2; sleep 0.5; c task delete $id2; c container rm $id2"
n=0
for _ in $(seq 50); do
	n=$(wc -l < /sys/fs/cgroup/pids/$id2/cgroup.procs 2> /dev/null)
	[ "${n:-0}" = 3 ] && break
	sleep 0.1
done
is "$n" 3 "kill -a: the container runs 3 processes"
: > "$tmp/runtime.argv"
ok "task kill -a -s KILL" quiet c task kill -a -s KILL $id2
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " kill --all $id2 9" "kill -a: through kill --all"
for _ in $(seq 50); do
	[ "$(c task ls 2> /dev/null | awk -v id=$id2 '$1 == id {print $3}')" = STOPPED ] && break
	sleep 0.1
done
c task delete $id2 > "$tmp/out" 2> "$tmp/err"
like "$(cat "$tmp/out" "$tmp/err")" "exit code 137([^0-9]|$)" "kill -a: the task was killed by SIGKILL"
ok "container rm" quiet c container rm $id2

# 5. nothing left: state, cgroup, mount, process.
is "$(ls "$rtroot/$ns" 2> /dev/null)" "" "no runtime state left"
is "$(compat_cgroups 'bt-compat-*')" "" "no cgroup left"
is "$(compat_mounts "^$tmp/state/")" "" "no rootfs mount left"
for _ in $(seq 50); do
	[ -z "$(compat_procs "$id|$tmp/state|-address $sock")" ] && break
	sleep 0.1
done
is "$(compat_procs "$id|$tmp/state|-address $sock")" "" "no container or shim process left"
