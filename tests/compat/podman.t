#!/bin/bash
# podman drives the runtime through conmon (`podman --runtime`): run, run
# detached, exec, kill, rm — and nothing is left.  podman keeps everything
# (storage, run root, locks, events, config) in a directory of the test.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 43

compat_podman_setup
compat_rootfs "$tmp/rootfs"
tar -C "$tmp/rootfs" --numeric-owner -cf "$tmp/busybox.tar" .
quiet() { "$@" > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err" >&2; return 1; }; }
ok "the busybox image is imported" quiet p import --change CMD=sh "$tmp/busybox.tar" $img
like "$(p images --format '{{.Repository}}:{{.Tag}}')" "^$img\$" "podman lists the image"

# 1. run in the foreground: output and exit status come back through the runtime.
out=$(p run --rm "${run_opts[@]}" --name bt-compat-fg $img \
	sh -c 'echo hello from $(hostname); echo pid=$$; exit 7' 2> "$tmp/err")
rc=$?
like "$out" "^hello from [0-9a-f]{12}
pid=1\$" "run: the container's output (own hostname, PID 1)"
is "$rc" 7 "run: the container's exit status"
[ "$rc" = 7 ] || { diag "$(cat "$tmp/err")"; compat_show_argv "$tmp"; }
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " create .*--bundle " "conmon called the runtime under test"
is "$(p ps -a -q)" "" "run --rm: no container left"

fgid=$(sed -n 's/.* create .* \([0-9a-f]\{64\}\)$/\1/p' "$tmp/runtime.argv" | head -1)
ok "run --rm: no runtime state left" test -n "$fgid" -a ! -e "$rtroot/$fgid"

# Resources reach the container's cgroups.
out=$(p run --rm "${run_opts[@]}" --memory 64m --pids-limit 50 $img \
	cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2> "$tmp/err")
is "$(echo $out)" "67108864 50" "run --memory --pids-limit: the container's limits"

# A terminal: conmon hands the runtime a --console-socket; `script` gives
# podman the terminal it wants on its side.
pcmd="timeout 60 podman --root $tmp/storage --runroot $tmp/run --tmpdir $tmp/tmp --runtime $rt"
pcmd="$pcmd --cgroup-manager cgroupfs --events-backend file"
: > "$tmp/runtime.argv"
out=$(script -qec "exec $pcmd run --rm -t ${run_opts[*]} $img sh -c 'tty; test -t 0 && echo stdin-is-a-tty'" \
	/dev/null < /dev/null 2> "$tmp/err")
like "$(printf '%s' "$out" | tr -d '\r\000')" "/dev/pts/[0-9]+
stdin-is-a-tty" "run -t: the process has a terminal"
printf "%s" "$out" | grep -q -- -is-a-tty || diag "stderr: $(cat "$tmp/err" 2> /dev/null)"
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " create .*--console-socket " "run -t: through create --console-socket"

# 2. run detached; the container keeps running until killed.
: > "$tmp/runtime.argv"
id=$(p run -d "${run_opts[@]}" --name bt-compat-bg $img \
	sh -c 'trap "echo got TERM; exit 42" TERM; echo started; while :; do sleep 0.1; done' \
	2> "$tmp/err")
ok "run -d starts the container" test $? = 0 || diag "$(cat "$tmp/err")"
status=
for _ in $(seq 50); do
	status=$(p inspect --format '{{.State.Status}}' bt-compat-bg 2> /dev/null)
	[ "$status" = running ] && [ "$(p logs bt-compat-bg 2> /dev/null)" = started ] && break
	sleep 0.1
done
is "$status" running "run -d: the container is running"
is "$(p logs bt-compat-bg 2> /dev/null)" started "run -d: the container's output reaches its log"
pid=$(p inspect --format '{{.State.Pid}}' bt-compat-bg 2> /dev/null)
ok "run -d: the container's process is alive" compat_alive "$pid"
pidns=$(readlink /proc/"${pid:-0}"/ns/pid)
ok "run -d: in its own PID namespace" test -n "$pidns" -a "$pidns" != "$(readlink /proc/self/ns/pid)"
ok "run -d: the runtime keeps state for the container" test -d "$rtroot/$id"
ok "run -d: the container has its cgroup" test -d /sys/fs/cgroup/pids$cgparent/libpod-$id

# 3. exec: output and exit status of the extra process, in the container.
out=$(p exec bt-compat-bg sh -c 'echo exec in $(readlink /proc/self/ns/pid) sees $(cat /proc/1/cmdline | tr "\0" " "); exit 5' 2> "$tmp/err")
rc=$?
is "${out%% sees *}" "exec in $(readlink /proc/"${pid:-0}"/ns/pid)" "exec: the process is in the container's PID namespace"
like "$out" " sees sh -c trap " "exec: it sees the container's PID 1"
is "$rc" 5 "exec: the exit status of the process"
[ "$rc" = 5 ] || { diag "$(cat "$tmp/err")"; compat_show_argv "$tmp"; }
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " exec .*--process " "exec went through the runtime's exec --process"

out=$(p exec --user 65534 --env FOO=bar --workdir /tmp bt-compat-bg sh -c 'id -u; echo $FOO; pwd' 2> "$tmp/err")
is "$(echo $out)" "65534 bar /tmp" "exec --user --env --workdir"
: > "$tmp/runtime.argv"
out=$(script -qec "exec $pcmd exec -t bt-compat-bg sh -c 'tty; test -t 0 && echo stdin-is-a-tty'" \
	/dev/null < /dev/null 2> "$tmp/err")
like "$(printf '%s' "$out" | tr -d '\r\000')" "/dev/pts/[0-9]+
stdin-is-a-tty" "exec -t: the process has a terminal"
printf "%s" "$out" | grep -q -- -is-a-tty || diag "stderr: $(cat "$tmp/err" 2> /dev/null)"
like "$(cat "$tmp/runtime.argv" 2> /dev/null)" " exec .*--console-socket " "exec -t: through exec --console-socket"

# pause and unpause: the runtime freezes the container's cgroup and thaws it.
ok "pause" quiet p pause bt-compat-bg
is "$(p inspect --format '{{.State.Status}}' bt-compat-bg 2> /dev/null)" paused "pause: the container is paused"
is "$(cat /sys/fs/cgroup/freezer$cgparent/libpod-$id/freezer.state 2> /dev/null)" FROZEN "pause: the cgroup is frozen"
ok "unpause" quiet p unpause bt-compat-bg
is "$(p inspect --format '{{.State.Status}}' bt-compat-bg 2> /dev/null)" running "unpause: the container runs again"
is "$(cat /sys/fs/cgroup/freezer$cgparent/libpod-$id/freezer.state 2> /dev/null)" THAWED "unpause: the cgroup is thawed"

# 4. kill: the signal reaches the container's process, the exit status says so.
ok "kill --signal TERM" quiet p kill --signal TERM bt-compat-bg
is "$(p wait bt-compat-bg 2> "$tmp/err")" 42 "wait reports the exit status 42"
like "$(p logs bt-compat-bg 2> /dev/null)" "got TERM" "kill: the container's process got SIGTERM"

# start again (a new create with the same ID: the old state must be gone), stop.
ok "start the stopped container again" quiet p start bt-compat-bg
is "$(p inspect --format '{{.State.Status}}' bt-compat-bg 2> /dev/null)" running "start: running again"
ok "stop" quiet p stop -t 10 bt-compat-bg
is "$(p inspect --format '{{.State.ExitCode}}' bt-compat-bg 2> /dev/null)" 42 "stop: SIGTERM, exit status 42"
compat_settle "$id"
ok "rm" quiet p rm bt-compat-bg

# 5. nothing left: container, state, cgroup, mount, process.
is "$(p ps -a -q)" "" "no container left"
ok "no runtime state left" test -n "$id" -a ! -e "$rtroot/$id"
is "$(find /sys/fs/cgroup/*$cgparent -name 'libpod-*' 2> /dev/null)" "" "no container cgroup left"
is "$(compat_mounts "^$tmp/storage/overlay/")" "" "no rootfs mount left"
is "$(compat_procs "$tmp" | grep -v -E '^[0-9]+: (podman|timeout) ')" "" "no container or conmon process left"
