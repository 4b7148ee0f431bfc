#!/bin/bash
# The cgroup verbs of the CLI on a running busybox container: pause, resume,
# update, events, ps; their bad input; and that delete leaves no cgroup.
. "$(dirname "$0")/../lib/tap.sh"
. "$BERTH_TOP/tests/lib/bundle.sh"
need_root
[ -x "$BERTH" ] || skip_all "no $BERTH (run make)"

plan 45

tmp=$(tap_tmpdir)
root=$tmp/root
id=bt-cg-verbs-$$
oom=bt-cg-oom-$$
b() { "$BERTH" --root "$root" "$@"; }
# The container's cgroup directory in a hierarchy (from state.json, as later verbs find it).
cgdir() { jq -r --arg n "$1" '.cgroup.dirs[] | select(.name == $n) | .dir' "$root/$id/state.json"; }

defer "b delete --force $id"
defer "b delete --force $oom"
make_bundle "$tmp/bundle" sleep 1000 >/dev/null 2>&1
ok "create" b create --bundle "$tmp/bundle" "$id"
ok "start" b start "$id"
pid=$(b state "$id" | jq -r .pid)

# ps
is "$(b ps --format json "$id")" "[$pid]" "ps --format json lists the init pid"
out=$(b ps "$id")
like "$(printf '%s' "$out" | head -1)" "PID" "ps table has ps's header"
like "$out" "sleep 1000" "ps table shows the container's process"
is "$(printf '%s\n' "$out" | wc -l)" 2 "ps table shows only the container's processes"
like "$(b ps "$id" -o pid,comm)" "^ *PID +COMMAND" "ps passes options to ps(1)"
like "$(b ps "$id" -o pid= 2>&1)" "no PID column" "ps without a PID column says so"
err=$(b ps --format yaml "$id" 2>&1); rc=$?
isnt "$rc" 0 "ps --format yaml fails"
like "$err" '^berth: ps: --format: `yaml` is not table or json$' "ps names the bad format"

# pause / resume
freezer=$(cgdir freezer)
ok "pause" b pause "$id"
is "$(b state "$id" | jq -r .status)" paused "state says paused"
is "$(cat "$freezer/freezer.state")" FROZEN "the freezer cgroup is FROZEN"
err=$(b pause "$id" 2>&1); rc=$?
isnt "$rc" 0 "pause of a paused container fails"
like "$err" "container is paused, not running" "and says why"
ok "resume" b resume "$id"
is "$(b state "$id" | jq -r .status)" running "state says running again"
is "$(cat "$freezer/freezer.state")" THAWED "the freezer cgroup is THAWED"
err=$(b resume "$id" 2>&1); rc=$?
isnt "$rc" 0 "resume of a running container fails"
like "$err" "^berth: resume \`$id\`: container is running, not paused$" "and says why"

# update with flags and with --resources
ok "update flags" b update --memory 64m --memory-swap 128M --pids-limit 20 --cpu-quota 20000 \
	--cpu-period 100000 --cpu-shares 512 --cpuset-cpus 0 "$id"
is "$(cat "$(cgdir memory)/memory.limit_in_bytes")" 67108864 "--memory 64m"
is "$(cat "$(cgdir memory)/memory.memsw.limit_in_bytes")" 134217728 "--memory-swap 128M"
is "$(cat "$(cgdir pids)/pids.max")" 20 "--pids-limit 20"
is "$(cat "$(cgdir cpu)/cpu.cfs_quota_us")" 20000 "--cpu-quota"
is "$(cat "$(cgdir cpu)/cpu.shares")" 512 "--cpu-shares"
is "$(cat "$(cgdir cpuset)/cpuset.cpus")" 0 "--cpuset-cpus"
echo '{"pids": {"limit": 30}, "memory": {"limit": 100663296}}' > "$tmp/res.json"
ok "update --resources FILE" b update --resources "$tmp/res.json" "$id"
is "$(cat "$(cgdir pids)/pids.max")" 30 "pids limit from the file"
echo '{"pids": {"limit": -1}}' | b update -r - "$id"
is "$(cat "$(cgdir pids)/pids.max")" max "--resources - reads stdin; -1 is max"
err=$(b update --memory lots "$id" 2>&1); rc=$?
isnt "$rc" 0 "update --memory lots fails"
like "$err" '^berth: update: --memory: `lots` is not a size' "and names the flag"
err=$(echo '{"memory": {"limit": "1G"}}' | b update -r - "$id" 2>&1); rc=$?
like "$err" "linux.resources.memory.limit: expected an integer, got a string" \
	"a bad --resources names the field"
err=$(b update --cpu-period 10 "$id" 2>&1); rc=$?
like "$err" "update \`$id\`.*linux.resources.cpu.period" "a value the kernel refuses names the field"
err=$(b update --pids-limit 5 bt-cg-nonexistent 2>&1); rc=$?
like "$err" "bt-cg-nonexistent. does not exist" "update of a missing container fails"

# events
line=$(b events --stats "$id")
is "$(printf '%s' "$line" | jq -r .type)" stats "events --stats prints a stats event"
is "$(printf '%s' "$line" | jq -r .id)" "$id" "with the container id"
is "$(printf '%s' "$line" | jq -r .data.pids.current)" 1 "and the pid count"
is "$(printf '%s' "$line" | jq -r .data.memory.usage.limit)" 100663296 "and the memory limit"
err=$(b events --interval soon "$id" 2>&1)
like "$err" 'events: --interval: `soon` is not a duration' "a bad interval is named"
# The stream ends by itself when the container stops.
b events --interval 100ms "$id" > "$tmp/events" 2>&1 &
evpid=$!
defer "kill $evpid"
sleep 0.5
b kill "$id" KILL
for _ in $(seq 100); do kill -0 $evpid 2>/dev/null || break; sleep 0.1; done
fails "events exits when the container stops" kill -0 $evpid 2>/dev/null
like "$(head -1 "$tmp/events")" '^\{"type":"stats","id":"'"$id"'","data":\{' "events streams stats lines"

# delete leaves no cgroup behind
dirs=$(jq -r '.cgroup.dirs[].dir' "$root/$id/state.json")
ok "delete" b delete "$id"
left=$(for d in $dirs; do [ -d "$d" ] && echo "$d"; done)
is "$left" "" "no cgroup directory left in any hierarchy"

# An OOM kill shows up as an "oom" event.
make_bundle "$tmp/oomb" sh -c 'read x; x=$(head -c 200000000 /dev/zero | tr "\0" a)' >/dev/null 2>&1
jq '.linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .process.terminal = false' \
	"$tmp/oomb/config.json" > "$tmp/oomb/c.json" && mv "$tmp/oomb/c.json" "$tmp/oomb/config.json"
mkfifo "$tmp/go"
b create --bundle "$tmp/oomb" "$oom" < "$tmp/go" > /dev/null 2>&1 &
exec 9> "$tmp/go"
for _ in $(seq 100); do [ -f "$root/$oom/state.json" ] && break; sleep 0.1; done
b events --interval 10s "$oom" > "$tmp/oomev" 2>&1 &
ev2=$!
defer "kill $ev2"
sleep 0.3
b start "$oom"
echo go >&9
exec 9>&-
for _ in $(seq 100); do grep -q '"oom"' "$tmp/oomev" && break; sleep 0.1; done
like "$(cat "$tmp/oomev")" '\{"type":"oom","id":"'"$oom"'"\}' "an OOM kill is reported as an oom event"
