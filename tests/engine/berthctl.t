#!/bin/bash
# berthctl, the daemonless engine, end to end: run/exec/logs/stop/rm, the
# network and port mappings, volumes, OOM, a killed berthctl, 50 containers at
# once, and every bad input of the issue (podman's exit code, one message,
# nothing left behind).  ENGINE_RUNTIME picks an OCI runtime binary for the
# shim (default: none, libberth inside the shim; ENGINE_RUNTIME=$BUILD/bin/berth
# or runc, the reference, pass too).
. "$(dirname "$0")/../lib/tap.sh"
need_root
RTOPT=()
if [ -n "${ENGINE_RUNTIME:-}" ]; then
	[ -x "$ENGINE_RUNTIME" ] || skip_all "no OCI runtime at $ENGINE_RUNTIME"
	RTOPT=(--runtime "$ENGINE_RUNTIME")
fi
plan 72

T=$(tap_tmpdir)
BR=bt-eng-b$$
NET=198.19.202
mkdir -p "$T/cni" "$T/data"
cat > "$T/cni/10-berth.conflist" <<J
{"cniVersion": "1.0.0", "name": "berth", "plugins": [
 {"type": "berth-bridge", "bridge": "$BR", "isGateway": true, "isDefaultGateway": true, "ipMasq": false,
  "ipam": {"type": "berth-ipam", "ranges": [[{"subnet": "$NET.0/24"}]], "dataDir": "$T/ipam"}},
 {"type": "portmap", "capabilities": {"portMappings": true}}]}
J
B() { "$BUILD/bin/berthctl" --root "$T/root" --runroot "$T/run" "${RTOPT[@]}" --cni-config-dir "$T/cni" "$@"; }
defer "ip link del $BR"
defer 'for c in $(B ps -aq); do B rm -f $c; done'

veths() { ip -o link show master "$BR" 2>/dev/null | wc -l; }
# our_cgroups — berth-ID memory cgroups that no process names: another engine's
# container (tests run concurrently) has a shim or runtime with the ID in its
# arguments from before its cgroup is made until after it is removed
our_cgroups() {
	local d dirs args
	dirs=$(ls -d /sys/fs/cgroup/memory/berth-* 2>/dev/null)
	args=$(ps -eo args=)
	for d in $dirs; do
		case $args in *"${d##*/berth-}"*) continue ;; esac
		[ -d "$d" ] && echo "$d"
	done
}
# nothing_left WHAT — no container state, mount, netns, veth, cgroup or process of ours
nothing_left() {
	local left=""
	[ -z "$(ls "$T/root/engine/containers" 2>/dev/null)" ] || left="$left state"
	grep -q "$T" /proc/self/mountinfo && left="$left mount"
	[ -z "$(ls "$T/run/netns" 2>/dev/null)" ] || left="$left netns"
	[ -z "$(ls "$T/run/engine" 2>/dev/null)" ] || left="$left shim-state"
	[ "$(veths)" = "$base_veths" ] || left="$left veth"
	[ -z "$(our_cgroups)" ] || left="$left cgroup"
	ps -eo args= | grep -v grep | grep -q "$T/run" && left="$left process"
	[ -z "$(ls "$T/root/engine/names" 2>/dev/null)" ] || left="$left name"
	is "${left:-none}" none "$1: nothing left behind"
}
base_veths=0

# --- run --rm, printing from inside
out=$(B run --rm busybox echo hello from inside)
is "$?:$out" "0:hello from inside" "run --rm: the container's output, exit 0"
B run --rm busybox sh -c 'exit 3'
is $? 3 "run: the container's exit code is berthctl's"
# a foreground run's process starts without waiting for the attach: none of its output is lost
is "$(B run --rm --network none busybox seq 1 20000 | md5sum)" "$(seq 1 20000 | md5sum)" \
	"run: all the output of a process that writes at once, in order"
out=$(B run --rm busybox ip -4 -o addr show eth0)
like "$out" "inet $NET\.[0-9]+/24" "the container gets an address on the default network"
nothing_left "run --rm"

# --- detached: logs, exec, top, stop, rm
id=$(B run -d --name bt-eng-d1 busybox sh -c 'echo started; trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done')
like "$id" '^[0-9a-f]{64}$' "run -d prints the container ID"
for i in $(seq 50); do B logs bt-eng-d1 | grep -q started && break; sleep 0.1; done
is "$(B logs bt-eng-d1)" started "logs: what the container printed"
is "$(B ps --format json | jq -r '.[] | select(.Names[0] == "bt-eng-d1") | .State')" running "ps: running"
pid=$(B inspect bt-eng-d1 | jq -r '.[0].state.pid')
ok "inspect: the container's pid is alive" test -d "/proc/$pid"
isnt "$(readlink /proc/$pid/ns/pid)" "$(readlink /proc/self/ns/pid)" "the container has its own pid namespace"
isnt "$(readlink /proc/$pid/ns/net)" "$(readlink /proc/self/ns/net)" "the container has its own network namespace"
shim_pid=$(cat "$T/run/engine/$id/shim.pid")
is "$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")" "$shim_pid" \
	"the container's init is the shim's own child (created in the shim)"
sleep 0.3
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$shim_pid/status")
ok "the idle shim with the built-in runtime stays within 1 MiB of RSS (${rss} kB)" test "$rss" -le 1024
mnt=$(awk -v p="$T/root/engine/containers/$id/bundle/rootfs" '$5 == p {print $NF}' /proc/self/mountinfo)
like "$mnt" 'upperdir=' "the root filesystem is an overlay mounted on the bundle"
unlike "$mnt" 'volatile' "a container kept after it ends syncs its overlay (no volatile)"
out=$(B exec bt-eng-d1 sh -c 'echo in-exec; exit 4')
is "$?:$out" "4:in-exec" "exec: output and exit code"
out=$(B exec -t bt-eng-d1 tty | tr -d '\r')
like "$out" '^/dev/pts/[0-9]+$' "exec -t: the process has a terminal"
is "$(echo piped | B exec -i bt-eng-d1 cat)" piped "exec -i: stdin reaches the process"
out=$(B exec -e FOO=bar -u 65534 bt-eng-d1 sh -c 'echo $FOO $(id -u)')
is "$out" "bar 65534" "exec -e -u: environment and user"
like "$(B top bt-eng-d1)" 'sh -c echo started' "top lists the container's processes"
out=$(B stop -t 5 bt-eng-d1)
is "$out" bt-eng-d1 "stop"
like "$(B logs bt-eng-d1 | tr '\n' ' ')" 'started bye' "stop sent SIGTERM: the container's trap ran"
is "$(B wait bt-eng-d1)" 0 "wait: the exit code after stop"
like "$(B ps -a | grep bt-eng-d1)" 'Exited \(0\)' "ps -a: exited"
B rm bt-eng-d1 >/dev/null
is "$(B ps -aq)" "" "rm: the container is gone"
nothing_left "run -d, exec, stop, rm"

# --- a --rm container's overlay is volatile: its unmount waits for no disk write
rid=$(B run -d --rm --network none busybox sleep 30)
like "$(awk -v p="$T/root/engine/containers/$rid/bundle/rootfs" '$5 == p {print $NF}' /proc/self/mountinfo)" \
	'(^|,)(fsync=)?volatile(,|$)' "run --rm: the overlay is mounted volatile"
B rm -f "$rid" >/dev/null

# --- logs --tail, --since, -f
B run -d --name bt-eng-l1 busybox sh -c 'for i in 1 2 3 4 5; do echo l$i; done; sleep 2; echo late' >/dev/null
for i in $(seq 30); do B logs bt-eng-l1 | grep -q l5 && break; sleep 0.1; done
is "$(B logs --tail 2 bt-eng-l1 | tr '\n' ' ')" "l4 l5 " "logs --tail 2"
is "$(B logs --since 1h bt-eng-l1 | head -1)" l1 "logs --since 1h"
is "$(B logs -f bt-eng-l1 | tail -1)" late "logs -f follows until the container ends"
B rm bt-eng-l1 >/dev/null

# --- volumes, env, read-only, resources
echo from-host > "$T/data/f"
out=$(B run --rm -v "$T/data:/data" -e GREETING=hi busybox sh -c 'cat /data/f; echo $GREETING; echo back > /data/g')
is "$out" "$(printf 'from-host\nhi')" "-v bind mount and -e"
is "$(cat "$T/data/g")" back "the bind mount is writable"
B run --rm -v "$T/data:/data:ro" busybox sh -c 'echo x > /data/h' 2>/dev/null
isnt $? 0 "-v ...:ro is read-only"
B run --rm --read-only busybox touch /x 2>/dev/null
isnt $? 0 "--read-only root"
B run --rm -v bt-eng-vol:/v busybox sh -c 'echo kept > /v/f'
is "$(B run --rm -v bt-eng-vol:/v busybox cat /v/f)" kept "a named volume keeps its data across containers"
ok "named volumes live under ROOT/volumes" test -f "$T/root/volumes/bt-eng-vol/_data/f"
is "$(B run --rm --tmpfs /scratch busybox sh -c 'grep " /scratch " /proc/mounts | cut -d" " -f3')" tmpfs "--tmpfs"
is "$(B run --rm --hostname bt-eng-host --network none busybox hostname)" bt-eng-host "--hostname, --network none"
like "$(B run --rm --network none busybox ip -o link show lo)" 'state UNKNOWN|,UP' "the loopback interface is up"
is "$(B run --rm --network host busybox readlink /proc/self/ns/net)" "$(readlink /proc/self/ns/net)" "--network host"
out=$(B run --rm --memory 64m --pids-limit 50 --cpus 0.5 busybox sh -c \
	'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us' 2>/dev/null | tr '\n' ' ')
is "$out" "67108864 50 50000 " "--memory, --pids-limit, --cpus reach the cgroup"
B run --name bt-eng-oom --memory 16m busybox sh -c 'tail /dev/zero'
is $? 137 "an OOM-killed container exits 137"
is "$(B inspect bt-eng-oom | jq -r '.[0].state.oom_killed')" true "inspect reports the OOM kill"
B rm bt-eng-oom >/dev/null
out=$(B run --rm --cap-drop ALL busybox sh -c 'grep CapEff /proc/self/status')
like "$out" 'CapEff:\s+0+$' "--cap-drop ALL"
nothing_left "volumes and resources"

# --- the berthctl that started a container is SIGKILLed
B run --name bt-eng-k busybox sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i; sleep 0.1; done; exit 42' >/dev/null &
runner=$!
for i in $(seq 100); do B logs bt-eng-k 2>/dev/null | grep -q line-1 && break; sleep 0.05; done
kill -9 $runner
wait $runner 2>/dev/null
is "$(B wait bt-eng-k)" 42 "wait gives the real exit code after berthctl was killed"
is "$(B logs bt-eng-k | tr '\n' ' ')" "line-1 line-2 line-3 line-4 line-5 line-6 line-7 line-8 line-9 line-10 " \
	"the logs are complete"
B rm bt-eng-k >/dev/null

# --- port mappings
port=$((20000 + $$ % 10000))
id=$(B run -d -p $port:8080 busybox httpd -f -p 8080 -h /etc)
for i in $(seq 30); do B exec "$id" sh -c 'netstat -ltn | grep -q :8080' && break; sleep 0.1; done
ip=$(B inspect "$id" | jq -r '.[0].ip')
like "$(B run --rm busybox wget -q -O - "http://$ip:8080/passwd" 2>&1 | head -1)" '^root:' "a container serves another over the bridge"
ok "-p installs a port mapping for the container" sh -c "iptables-save -t nat | grep -q $id"
out=$(B run -d -p $port:80 busybox true 2>&1)
is "$?:$out" "125:berthctl: port $port/tcp is already used by container ${id:0:12}" "a published port cannot be published twice"
B rm -f "$id" >/dev/null
is "$(iptables-save -t nat | grep -c "$id")" 0 "rm removes the port mapping"
nothing_left "port mappings"

# --- 50 containers at once
for i in $(seq 50); do B run --rm busybox true > "$T/c$i.out" 2>&1 & done
fails=0
for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
is "$fails" 0 "50 concurrent run --rm all succeed"
nothing_left "50 concurrent containers"

# --- removers racing: rm -f twice while the --rm cleanup of the shim runs too
for i in 1 2 3 4 5; do
	id=$(B run -d --rm --network none busybox sleep 0.2)
	B rm -f "$id" >/dev/null 2>&1 &
	B rm -f "$id" >/dev/null 2>&1 &
	sleep 0.4
	wait
done
sleep 0.3
nothing_left "removers racing"

# --- bad input: podman's exit code, one clear message, nothing left
bad() { # DESCRIPTION WANT-CODE MESSAGE-REGEX ARGS...
	local d=$1 code=$2 re=$3 out rc; shift 3
	out=$(B "$@" 2>&1); rc=$?
	is "$rc" "$code" "$d: exit code $code"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || out="(more than one line) $out"
	like "$out" "$re" "$d: one line that says why"
}
bad "unknown image" 125 '^berthctl: image `bt-eng-nosuch`: not in the local store' run --rm bt-eng-nosuch true
bad "bad -v" 125 '^berthctl: volume `nocolon`: expected SRC:DST' run --rm -v nocolon busybox true
bad "bad -p" 125 '^berthctl: port `99999:80`: `99999` is not a port number' run --rm -p 99999:80 busybox true
bad "bad --memory" 125 '^berthctl: memory `lots`: expected a size' run --rm --memory lots busybox true
busybox nc -l -p $((port + 1)) >/dev/null 2>&1 &
listener=$!
defer "kill $listener"
sleep 0.2
bad "port taken by a host process" 125 "^berthctl: port $((port + 1))/tcp is not available: Address (already )?in use" \
	run --rm -p $((port + 1)):80 busybox true
kill $listener
B run -d --name bt-eng-dup busybox sleep 100 >/dev/null
bad "name already used" 125 '^berthctl: name `bt-eng-dup` is already in use by container [0-9a-f]{12}$' \
	run --rm --name bt-eng-dup busybox true
B rm -f bt-eng-dup >/dev/null
bad "command not found" 127 'bt-eng-nosuch-cmd.*(not found|no such file)' run --rm busybox bt-eng-nosuch-cmd
bad "shim missing" 125 '^berthctl: shim `/bt-eng-no/shim`: No such file or directory$' \
	--shim /bt-eng-no/shim run --rm busybox true
nothing_left "bad input"
