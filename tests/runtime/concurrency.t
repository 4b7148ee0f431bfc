#!/bin/bash
# Concurrent commands on one container: the per-container lock keeps them safe.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 6

bun=$(rt_bundle c sleep 1000)
id=bt-rt-conc

# eight creates of one ID at once: exactly one wins
for i in $(seq 8); do
	(b create -b "$bun" $id 2>"$RT_TMP/create.$i.err"; echo $? > "$RT_TMP/create.$i.rc") &
done
wait
wins=$(cat "$RT_TMP"/create.*.rc | grep -c '^0$')
is "$wins" 1 "one of eight concurrent creates of the same ID succeeds"
is "$(cat "$RT_TMP"/create.*.err | sort -u)" "berth: create \`$id\`: container \`$id\` already exists" "the others fail with the duplicate error"
is "$(b state $id | jq -r .status)" created "the winner is intact"

# start, kill and delete --force racing
ok "start" b start $id
pid=$(b state $id | jq -r .pid)
for i in $(seq 4); do b kill $id KILL 2>/dev/null & b delete -f $id 2>"$RT_TMP/del.$i.err" & done
wait
ok "the container is gone" rt_gone "$pid"
ok "nothing left after racing deletes" rt_nothing_left $id
