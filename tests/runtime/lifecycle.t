#!/bin/bash
# create / start / state / kill / delete / list / run, and their bad inputs.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 59

bun=$(rt_bundle sleeper sleep 1000)
id=bt-rt-life

ok "create succeeds" b create --bundle "$bun" --pid-file "$RT_TMP/pid" $id
st=$(b state $id)
is "$(jq -r .status <<<"$st")" created "state: created after create"
is "$(jq -r .id <<<"$st")" $id "state: id"
is "$(jq -r .bundle <<<"$st")" "$bun" "state: bundle is absolute"
pid=$(jq -r .pid <<<"$st")
is "$(cat "$RT_TMP/pid")" "$pid" "--pid-file holds the init pid"
ok "init process exists while created" kill -0 "$pid"
like "$(tr '\0' ' ' < /proc/$pid/cmdline)" "berth" "init still waits in berth (not yet the program)"
is "$(jq -r .ociVersion <<<"$st")" 1.1.0 "state: ociVersion"
like "$(jq -r .created <<<"$st")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "state: created timestamp"
ok "fifo exists while created" test -p "$RT_ROOT/$id/exec.fifo"

ok "start succeeds" b start $id
is "$(b state $id | jq -r .status)" running "state: running after start"
is "$(tr '\0' ' ' < /proc/$pid/cmdline)" "sleep 1000 " "the program runs as the same pid"
ok "fifo removed on start" test ! -e "$RT_ROOT/$id/exec.fifo"
rt_err b start $id
is "$RT_ERR" "berth: start \`$id\`: cannot start an already running container" "start twice: one clear error"
isnt "$RT_RC" 0 "start twice: non-zero exit"

is "$(b list -q)" $id "list -q prints the id"
like "$(b list | sed -n 2p)" "^$id +$pid +running +$bun " "list table row"
is "$(b list --format json | jq -r '.[0].status')" running "list json"

rt_err b delete $id
like "$RT_ERR" "cannot delete container \`$id\` that is running" "delete running without --force refused"
isnt "$RT_RC" 0 "delete running: non-zero exit"
ok "delete running changed nothing" kill -0 "$pid"
is "$(b state $id | jq -r .status)" running "still running after refused delete"

rt_err b kill $id FOO
is "$RT_ERR" "berth: kill: unknown signal \`FOO\`" "kill unknown signal: one clear error"
isnt "$RT_RC" 0 "kill unknown signal: non-zero exit"
ok "kill with a name" b kill $id SIGKILL

for _ in $(seq 50); do [ "$(b state $id | jq -r .status)" = stopped ] && break; sleep 0.1; done
is "$(b state $id | jq -r .status)" stopped "state: stopped after the signal"
rt_err b kill $id KILL
like "$RT_ERR" "is not running" "kill of a stopped container errors"
ok "delete a stopped container" b delete $id
ok "nothing left after delete" rt_nothing_left $id

# kill with a number, --all; delete --force
ok "create another" b create -b "$bun" $id
ok "start it" b start $id
pid=$(b state $id | jq -r .pid)
ok "kill --all with a number" b kill --all $id 9
ok "process gone after kill 9" rt_gone "$pid"
ok "delete after kill" b delete $id
ok "create a third time" b create -b "$bun" $id
ok "start it" b start $id
pid=$(b state $id | jq -r .pid)
ok "delete --force of a running container" b delete --force $id
ok "its process is gone" rt_gone "$pid"
ok "nothing left after delete --force" rt_nothing_left $id
ok "delete --force of a missing container is fine (runc)" b delete -f bt-rt-nonexistent

# a created container can be deleted without --force (runc does so)
ok "create" b create -b "$bun" $id
ok "delete a created container" b delete $id
ok "nothing left" rt_nothing_left $id

# bad input
ok "create for the duplicate test" b create -b "$bun" $id
rt_err b create -b "$bun" $id
is "$RT_ERR" "berth: create \`$id\`: container \`$id\` already exists" "duplicate ID: one clear error"
isnt "$RT_RC" 0 "duplicate ID: non-zero exit"
ok "the first container is untouched" test "$(b state $id | jq -r .status)" = created
ok "clean up" b delete $id

rt_err b create -b "$bun" "bt-rt/../../x"
like "$RT_ERR" "^berth: create: invalid container ID \`bt-rt/../../x\`: \`/\` is not allowed$" "bad ID: one clear error"
ok "bad ID: nothing created" test ! -e "$RT_ROOT/bt-rt" -a ! -e "$RT_TMP/x"

rt_err b state bt-rt-missing
is "$RT_ERR" "berth: state: container \`bt-rt-missing\` does not exist" "state of a missing container"
rt_err b kill bt-rt-missing
is "$RT_ERR" "berth: kill: container \`bt-rt-missing\` does not exist" "kill of a missing container"

# without a pid namespace, processes outlive the init: delete kills them with the cgroup
nopid=$(rt_bundle nopid sh -c 'sleep 1001 & echo $! > /tmp/bg; sleep 0.5')
rt_jq "$nopid" 'del(.linux.namespaces[] | select(.type == "pid")) | .root.readonly = false'
ok "run a container without pid namespace" b run --keep -b "$nopid" bt-rt-life-nopid
bg=$(pgrep -f '^sleep 1001$')
ok "its background process outlived the init" test -n "$bg"
ok "delete the stopped container" b delete bt-rt-life-nopid
ok "the leftover process was killed with the cgroup" rt_gone "${bg:-0}"

# a create killed before it wrote any state leaves a directory that delete -f removes
mkdir -p "$RT_ROOT/bt-rt-life-stale"
rt_err b state bt-rt-life-stale
is "$RT_ERR" "berth: state: container \`bt-rt-life-stale\` does not exist" "a state directory without state.json is no container"
ok "delete -f removes it" sh -c "'$BERTH' --root '$RT_ROOT' delete -f bt-rt-life-stale && test ! -e '$RT_ROOT/bt-rt-life-stale'"
