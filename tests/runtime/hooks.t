#!/bin/bash
# OCI hooks: every stage runs with the state on stdin; failures and timeouts.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 29

out=$RT_TMP/hooks
mkdir -p "$out"
chmod 755 "$RT_TMP"
# The hook records its stage, the state it got on stdin, and its mount namespace.
cat > "$RT_TMP/hook.sh" <<EOH
#!/bin/sh
cat > "$out/\$1.json"
readlink /proc/self/ns/mnt > "$out/\$1.mntns"
test -e /bin/busybox && test ! -e "$RT_TMP" && echo container > "$out/\$1.where" || echo host > "$out/\$1.where"
EOH
chmod 755 "$RT_TMP/hook.sh"
cp "$RT_TMP/hook.sh" "$RT_TMP/rootfs-hook.sh"

bun=$(rt_bundle hooked sleep 1000)
# startContainer runs inside the container: its path resolves in the container's root.
cp "$RT_TMP/hook.sh" "$bun/rootfs/bin/bt-hook"
mkdir -p "$bun/rootfs$out" && chmod 777 "$bun/rootfs$out"
hooks='{
  "prestart": [{"path": "HOOK", "args": ["hook", "prestart"]}],
  "createRuntime": [{"path": "HOOK", "args": ["hook", "createRuntime"]}],
  "createContainer": [{"path": "HOOK", "args": ["hook", "createContainer"]}],
  "startContainer": [{"path": "/bin/bt-hook", "args": ["hook", "startContainer"]}],
  "poststart": [{"path": "HOOK", "args": ["hook", "poststart"]}],
  "poststop": [{"path": "HOOK", "args": ["hook", "poststop"]}]
}'
rt_jq "$bun" ".hooks = $(sed "s|HOOK|$RT_TMP/hook.sh|" <<<"$hooks") | .root.readonly = false"
id=bt-rt-hooks

ok "create with hooks" b create -b "$bun" $id
pid=$(b state $id | jq -r .pid)
for s in prestart createRuntime createContainer; do
	is "$(jq -r .status "$out/$s.json")" creating "$s: state on stdin says creating"
done
is "$(jq -r .pid "$out/prestart.json")" "$pid" "prestart: state has the container pid"
is "$(jq -r .id "$out/createRuntime.json")" $id "createRuntime: state has the id"
is "$(cat "$out/prestart.where")" host "prestart runs in the runtime's namespace"
is "$(cat "$out/createContainer.mntns")" "$(readlink /proc/$pid/ns/mnt)" "createContainer runs in the container's mount namespace"
ok "no startContainer before start" test ! -e "$bun/rootfs$out/startContainer.json"
ok "start" b start $id
for _ in $(seq 50); do [ -e "$bun/rootfs$out/startContainer.json" ] && break; sleep 0.1; done
is "$(jq -r .id "$bun/rootfs$out/startContainer.json" 2>/dev/null)" $id "startContainer ran inside the container (path in its root)"
is "$(jq -r .status "$out/poststart.json")" running "poststart: state says running"
ok "no poststop before delete" test ! -e "$out/poststop.json"
ok "delete --force" b delete -f $id
is "$(jq -r .status "$out/poststop.json")" stopped "poststop ran on delete, state says stopped"
ok "nothing left" rt_nothing_left $id

# a failing hook: one clear error, nothing left
b2=$(rt_bundle failing sleep 1000)
rt_jq "$b2" '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]'
rt_err b create -b "$b2" $id
is "$RT_ERR" "berth: create \`$id\`: createRuntime hook \`/bin/sh\`: exited with status 3" "failing hook: the error names stage, hook and status"
isnt "$RT_RC" 0 "failing hook: non-zero exit"
ok "failing hook: nothing left" rt_nothing_left $id

b3=$(rt_bundle failing2 sleep 1000)
rt_jq "$b3" '.hooks.createContainer = [{"path": "/bin/false"}]'
rt_err b run -b "$b3" $id
is "$RT_ERR" "berth: create \`$id\`: createContainer hook \`/bin/false\`: exited with status 1" "failing createContainer hook"
ok "failing createContainer hook: nothing left" rt_nothing_left $id

# a hook that times out is killed
b4=$(rt_bundle slow sleep 1000)
rt_jq "$b4" ".hooks.prestart = [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"30.$$\"], \"timeout\": 1}]"
t0=$(date +%s)
rt_err b create -b "$b4" $id
t1=$(date +%s)
is "$RT_ERR" "berth: create \`$id\`: prestart hook \`/bin/sleep\`: timed out after 1 s" "hook timeout: clear error"
isnt "$RT_RC" 0 "hook timeout: non-zero exit"
ok "hook timeout: returns well before the hook would end" test $((t1 - t0)) -lt 10
ok "hook timeout: the hook was killed" sh -c "! pgrep -f '^sleep 30\\.$$$'"
ok "hook timeout: nothing left" rt_nothing_left $id

# a failing poststart hook is only a warning
b5=$(rt_bundle warn true)
rt_jq "$b5" '.hooks.poststart = [{"path": "/bin/false"}]'
rt_err b run -b "$b5" $id
is "$RT_RC" 0 "failing poststart hook: the container still runs to its exit status"

# neither berth's nor its caller's signal handling leaks into the program
b6=$(rt_bundle sig grep -E "^Sig(Ign|Blk):" /proc/self/status)
rt_jq "$b6" '.hooks.createContainer = [{"path": "/bin/true"}]'
out=$(trap '' PIPE QUIT HUP; b run -b "$b6" $id) # even when the caller ignores some
has_line "$out" "SigBlk:	0000000000000000" "no signal blocked in the container's program"
has_re "$out" "^SigIgn:	0000000000000000$" "no signal ignored in the container's program"
