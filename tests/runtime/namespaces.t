#!/bin/bash
# Namespaces joined by path, the time namespace, --no-pivot, rootfsPropagation.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 31

# a network namespace by path (what podman and CNI setups do)
ns=bt-rt-netns-$$
ip netns add $ns || bail=1
defer "ip netns delete $ns"
ip netns exec $ns ip link add bt-rt-v0 type veth peer name bt-rt-v1
bun=$(rt_bundle netpath sh -c 'readlink /proc/self/ns/net; ip -o link show | cut -d: -f2 | tr -d " " | sort | tr "\n" " "')
rt_jq "$bun" "(.linux.namespaces[] | select(.type == \"network\")) |= {\"type\": \"network\", \"path\": \"/run/netns/$ns\"}"
out=$(b run -b "$bun" bt-rt-ns-net)
is "$(head -1 <<<"$out")" "net:[$(stat -L -c %i /run/netns/$ns)]" "joins the network namespace given by path"
like "$(tail -1 <<<"$out")" "bt-rt-v0" "sees the links of that namespace"

# a network namespace of its own: new, with only its loopback, and that up (as runc and crun do)
bun=$(rt_bundle netnew sh -c 'readlink /proc/self/ns/net; ip -o link show | grep -c ": "; ip -o link show lo')
rt_jq "$bun" '(.linux.namespaces[] | select(.type == "network")) |= {"type": "network"}'
out=$(b run -b "$bun" bt-rt-ns-netnew)
isnt "$(head -1 <<<"$out")" "$(readlink /proc/self/ns/net)" "a network namespace of its own"
like "$(sed -n 2,3p <<<"$out" | tr '\n' ' ')" '^1 .*lo: <LOOPBACK,UP' "only the loopback interface, and it is up"

# another container's pid and ipc namespaces by path
first=$(rt_bundle first sleep 1000)
ok "run the first container" b run -d -b "$first" bt-rt-ns-a
apid=$(b state bt-rt-ns-a | jq -r .pid)
bun=$(rt_bundle joiner sh -c 'readlink /proc/self/ns/pid; ps -o args= | sort | tr "\n" " "')
rt_jq "$bun" "(.linux.namespaces[] | select(.type == \"pid\")) |= {\"type\": \"pid\", \"path\": \"/proc/$apid/ns/pid\"} |
	(.linux.namespaces[] | select(.type == \"ipc\")) |= {\"type\": \"ipc\", \"path\": \"/proc/$apid/ns/ipc\"}"
out=$(b run -b "$bun" bt-rt-ns-b)
is "$(head -1 <<<"$out")" "$(readlink /proc/$apid/ns/pid)" "joins another container's pid namespace"
like "$(tail -1 <<<"$out")" "sleep 1000" "sees the other container's processes"
is "$(readlink /proc/self/ns/pid)" "$(readlink /proc/$$/ns/pid)" "berth itself stayed in its pid namespace"
ok "delete the first" b delete -f bt-rt-ns-a

# another container's mount namespace by path: its root and mounts as they are,
# nothing mounted or pivoted again (as runc)
first=$(rt_bundle mnta sh -c 'echo from-a > /data/marker; exec sleep 1000')
rt_jq "$first" '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
ok "run a container with a tmpfs at /data" b run -d -b "$first" bt-rt-ns-mnta
apid=$(b state bt-rt-ns-mnta | jq -r .pid)
for _ in $(seq 100); do [ -s "/proc/$apid/root/data/marker" ] && break; sleep 0.05; done
before=$(grep -c . "/proc/$apid/mountinfo")
bun=$(rt_bundle mntjoin sh -c 'readlink /proc/self/ns/mnt; cat /data/marker; grep -c . /proc/self/mountinfo')
rt_jq "$bun" "(.linux.namespaces[] | select(.type == \"mount\")) |= {\"type\": \"mount\", \"path\": \"/proc/$apid/ns/mnt\"} |
	(.linux.namespaces[] | select(.type == \"pid\")) |= {\"type\": \"pid\", \"path\": \"/proc/$apid/ns/pid\"}"
out=$(b run -b "$bun" bt-rt-ns-mntb 2>&1)
is "$(sed -n 1p <<<"$out")" "$(readlink /proc/$apid/ns/mnt)" "joins another container's mount namespace"
is "$(sed -n 2p <<<"$out")" "from-a" "in that container's root, with its mounts"
is "$(sed -n 3p <<<"$out")" "$before" "sees its mount table as it was"
is "$(grep -c . "/proc/$apid/mountinfo")" "$before" "nothing was mounted in the joined namespace"
ok "the joiner left nothing" rt_nothing_left bt-rt-ns-mntb
ok "delete the first" b delete -f bt-rt-ns-mnta

# a missing namespace path is one clear error
bun=$(rt_bundle badpath true)
rt_jq "$bun" '(.linux.namespaces[] | select(.type == "network")) |= {"type": "network", "path": "/run/netns/bt-rt-none"}'
rt_err b run -b "$bun" bt-rt-ns-bad
is "$RT_ERR" "berth: create \`bt-rt-ns-bad\`: network namespace \`/run/netns/bt-rt-none\`: No such file or directory" "missing namespace path: clear error"
ok "nothing left" rt_nothing_left bt-rt-ns-bad

# time namespace with offsets
bun=$(rt_bundle timens sh -c 'cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time')
rt_jq "$bun" '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400000}, "monotonic": {"secs": 1000}}'
out=$(b run -b "$bun" bt-rt-ns-time)
up=$(head -1 <<<"$out")
ok "boottime offset applied (uptime > 1000 days)" test "${up:-0}" -gt 86400000
isnt "$(tail -1 <<<"$out")" "$(readlink /proc/self/ns/time)" "own time namespace"

# --no-pivot
bun=$(rt_bundle nopivot sh -c 'grep -c . /proc/self/mountinfo; ls /')
out=$(b run --no-pivot -b "$bun" bt-rt-ns-nopivot 2>&1)
like "$out" "busybox|bin" "--no-pivot: the container runs in its rootfs"
unlike "$out" "berth-test" "--no-pivot: no host path visible"

# rootfsPropagation: private keeps host mounts from propagating in
bun=$(rt_bundle prop sh -c 'grep " / / " /proc/self/mountinfo')
rt_jq "$bun" '.linux.rootfsPropagation = "rprivate"'
out=$(b run -b "$bun" bt-rt-ns-prop)
unlike "$out" "master:|shared:" "rootfsPropagation rprivate: root mount neither shared nor slave"
bun=$(rt_bundle prop2 sh -c 'grep " / / " /proc/self/mountinfo')
out=$(b run -b "$bun" bt-rt-ns-prop2)
unlike "$out" "shared:" "default: the root mount does not propagate back to the host"
ok "nothing left" rt_nothing_left bt-rt-ns-prop2

# create, then start, in a user namespace (what podman does with --uidmap): the
# init, already the mapped root, waits on exec.fifo in the state directory.
chmod 755 "$RT_TMP" # the mapped root must reach the rootfs
bun=$(rt_bundle usercs sh -c 'cat /proc/self/uid_map; id -u; sleep 1000')
rt_jq "$bun" '.linux.namespaces += [{"type": "user"}] |
	.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
	.linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
	del(.mounts[] | select(.type == "cgroup")) | .root.readonly = false'
# (the redirection belongs to create, not to the TAP line)
create_usercs() { b create -b "$bun" bt-rt-ns-usercs >"$RT_TMP/usercs.out"; }
ok "create in a user namespace" create_usercs
is "$(b state bt-rt-ns-usercs | jq -r .status)" created "the init waits to be started"
ok "start in a user namespace" b start bt-rt-ns-usercs
upid=$(b state bt-rt-ns-usercs | jq -r .pid)
for _ in $(seq 50); do grep -qx 0 "$RT_TMP/usercs.out" && break; sleep 0.1; done
has_re "$(cat "$RT_TMP/usercs.out")" "^ +0 +100000 +65536$" "the program runs with the uid map"
is "$(awk '/^Uid:/ {print $2}' /proc/"$upid"/status)" 100000 "as uid 100000 outside"
ok "delete -f" b delete -f bt-rt-ns-usercs
