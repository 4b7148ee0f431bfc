#!/bin/bash
# berth exec: joins every namespace and the cgroup of a running container.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 41

bun=$(rt_bundle target sleep 1000)
rt_jq "$bun" '.hostname = "bt-rt-exec" | .process.env += ["FROM_CONFIG=yes"] | .process.cwd = "/root"'
id=bt-rt-exec
ok "run -d" b run -d -b "$bun" $id
pid=$(b state $id | jq -r .pid)

out=$(b exec $id sh -c 'hostname; echo pid=$$; ps -o pid= | wc -l | tr -d " "; pwd; echo "env=$FROM_CONFIG"; id -u')
rc=$?
is "$rc" 0 "exec exits 0"
has_line "$out" "bt-rt-exec" "exec sees the container's hostname (uts)"
unlike "$out" "^pid=1$" "exec'd process is not PID 1"
has_line "$out" "/root" "default cwd from the config"
has_line "$out" "env=yes" "default env from the config"
for ns in pid mnt net ipc uts cgroup; do
	inside=$(b exec $id readlink /proc/self/ns/$ns)
	is "$inside" "$(readlink /proc/$pid/ns/$ns)" "exec joins the $ns namespace"
done

b exec $id sh -c 'exit 42'
is "$?" 42 "exit status of the exec'd process"
b exec $id sh -c 'kill -9 $$'
is "$?" 137 "killed by a signal: 128+N"
out=$(b exec --user 1000:1001 --cwd /tmp --env BT_A=1 --env BT_B="two words" $id sh -c 'id -u; id -g; pwd; echo "$BT_A/$BT_B"; grep NoNewPrivs /proc/self/status')
has_line "$out" "1000" "--user uid"
has_line "$out" "1001" "--user gid"
has_line "$out" "/tmp" "--cwd"
has_line "$out" "1/two words" "--env"

cat > "$RT_TMP/process.json" <<'EOP'
{"args": ["sh", "-c", "echo from-process-file; grep CapEff /proc/self/status"], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0},
 "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}}
EOP
out=$(b exec --process "$RT_TMP/process.json" $id)
has_line "$out" "from-process-file" "--process FILE"
has_line "$out" "CapEff:	0000000000000020" "capabilities from the process file"

out=$(b exec --cap CAP_NET_ADMIN --cap sys_time $id grep -E "^Cap(Eff|Bnd):" /proc/self/status)
has_line "$out" "CapEff:	0000000022001420" "--cap adds to the container's effective set (NET_ADMIN, SYS_TIME)"
has_line "$out" "CapBnd:	0000000022001420" "--cap adds to the bounding set"
rt_err b exec --cap CAP_FLY $id true
like "$RT_ERR" "^berth: exec \`$id\`: --cap: .*CAP_FLY" "unknown --cap: clear error"
ok "exec --detach --pid-file" b exec -d --pid-file "$RT_TMP/exec.pid" $id sleep 77
epid=$(cat "$RT_TMP/exec.pid")
is "$(tr '\0' ' ' < /proc/$epid/cmdline)" "sleep 77 " "the pid file names the detached process"
is "$(grep -E '^[0-9]+:memory:' /proc/$epid/cgroup)" "$(grep -E '^[0-9]+:memory:' /proc/$pid/cgroup)" "exec joins the container's cgroup"

rt_err b exec $id /nonexistent/prog
is "$RT_ERR" "berth: exec \`$id\`: exec \`/nonexistent/prog\`: No such file or directory" "missing program: clear error"
ok "delete -f kills exec'd processes too" b delete -f $id

# exec into a container with its own user namespace
chmod 755 "$RT_TMP"
ubun=$(rt_bundle userns sleep 1000)
rt_jq "$ubun" '.linux.namespaces += [{"type": "user"}] |
	.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
	.linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
	del(.mounts[] | select(.type == "cgroup")) | .root.readonly = false'
ok "run -d in a user namespace" b run -d -b "$ubun" bt-rt-exec-user
upid=$(b state bt-rt-exec-user | jq -r .pid)
out=$(b exec --user 1000:1000 bt-rt-exec-user sh -c 'readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map')
is "$(head -1 <<<"$out")" "$(readlink /proc/$upid/ns/user)" "exec joins the user namespace"
has_line "$out" "1000" "--user inside the user namespace"
has_re "$out" "^ +0 +100000 +65536$" "the container's uid map"
ok "delete -f" b delete -f bt-rt-exec-user

# processes that outlive the init are killed by delete
ok "nothing left" rt_nothing_left bt-rt-exec-user

# exec into a container whose process has a seccomp filter: the filter is
# compiled on the host with create's cache (<root>/.seccomp-cache), and the
# exec'd process runs under it (mkdir gets the profile's errno, EOPNOTSUPP).
sbun=$(rt_bundle seccomp sleep 1000)
rt_jq "$sbun" '.process.noNewPrivileges = true | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	architectures: ["SCMP_ARCH_X86_64"],
	syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 95}]}'
ok "run -d with a seccomp profile" b run -d -b "$sbun" bt-rt-exec-seccomp
rm -rf "$RT_ROOT/.seccomp-cache"
out=$(b exec bt-rt-exec-seccomp sh -c 'echo works; mkdir /bt-newdir 2>&1; echo "rc=$?"; test -d /bt-newdir || echo absent')
has_line "$out" "works" "exec into a container with a seccomp filter works"
like "$out" "Operation not supported" "the exec'd process gets the profile's errno for mkdir"
has_line "$out" "absent" "and the directory was not made"
cached=$(cd "$RT_ROOT/.seccomp-cache" 2>/dev/null && ls)
like "$cached" "^[0-9a-f]{16}\.bpf$" "exec compiled the filter on the host, into <root>/.seccomp-cache"
b --debug --log "$RT_TMP/exec-debug.log" --log-format json exec bt-rt-exec-seccomp true
like "$(jq -r 'select(.level == "debug") | .msg' "$RT_TMP/exec-debug.log")" \
	"seccomp: filter of [0-9]+ instructions from \`$RT_ROOT/.seccomp-cache/[0-9a-f]{16}\.bpf\`" \
	"the next exec takes the filter from the cache"
ok "delete -f" b delete -f bt-rt-exec-seccomp
