#!/bin/bash
# Bad input: one clear line on stderr (and in --log as JSON), a non-zero exit,
# nothing left behind.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 47

bun=$(rt_bundle base sleep 1000)
id=bt-rt-err

# expect_fail DESC WANT-REGEX BUNDLE-FILTER: create with the filtered config must fail cleanly
expect_fail() {
	local desc=$1 want=$2 filter=$3 b2
	b2=$(rt_bundle "case$_tap_n" sleep 1000)
	[ -n "$filter" ] && rt_jq "$b2" "$filter"
	rt_err b create -b "$b2" $id
	like "$RT_ERR" "^berth: create \`$id\`: $want\$" "$desc: the error names it"
	is "$(wc -l <<<"$RT_ERR")" 1 "$desc: one line"
	isnt "$RT_RC" 0 "$desc: non-zero exit"
	ok "$desc: nothing left" rt_nothing_left $id
}

# malformed JSON: line and column
b2=$(rt_bundle malformed sleep 1)
printf '{\n  "ociVersion": "1.1.0",\n  "root": {"path": "rootfs",}\n}\n' > "$b2/config.json"
rt_err b create -b "$b2" $id
like "$RT_ERR" "^berth: create \`$id\`: \`$b2/config.json\`:3:[0-9]+: " "malformed config.json: error names file, line and column"
isnt "$RT_RC" 0 "malformed config.json: non-zero exit"
ok "malformed config.json: nothing left" rt_nothing_left $id

expect_fail "wrong type" "\`[^\`]*/config.json\`: process.args: expected array of strings" '.process.args = "sh"'
expect_fail "missing field" "\`[^\`]*/config.json\`: process.cwd: missing required field" 'del(.process.cwd)'
expect_fail "missing rootfs" "rootfs \`[^\`]*/nonexistent\`: No such file or directory" '.root.path = "nonexistent"'
expect_fail "unsupported feature" "\`[^\`]*/config.json\`: unsupported: linux.intelRdt" '.linux.intelRdt = {"closID": "x"}'
expect_fail "mount of a missing source" "bind mount \`/nonexistent-bt\`.*|mount \`/nonexistent-bt\` to \`/x\`: No such file or directory" \
	'.mounts += [{"destination": "/x", "type": "bind", "source": "/nonexistent-bt", "options": ["bind"]}]'
expect_fail "terminal without --console-socket" "process.terminal is true: --console-socket is required" '.process.terminal = true'

# unknown fields are ignored
b3=$(rt_bundle unknown true)
rt_jq "$b3" '.futureField = {"x": 1} | .process.futureToo = true | .linux.alsoNew = []'
ok "unknown fields are ignored" b run -b "$b3" bt-rt-err-unknown

# --log with --log-format json
log=$RT_TMP/log.json
b2=$(rt_bundle logged sleep 1)
rt_jq "$b2" '.process.args = 3'
"$BERTH" --root "$RT_ROOT" --log "$log" --log-format json create -b "$b2" $id 2>/dev/null
is "$(jq -r .level "$log")" error "--log json: level"
like "$(jq -r .msg "$log")" "^create \`$id\`: .*process.args: expected array of strings$" "--log json: msg"
like "$(jq -r .time "$log")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "--log json: time"
is "$(wc -l < "$log")" 1 "--log json: one line per error"

# nonexistent containers, bad IDs, bad signals, bad options
for verb in start state delete; do
	rt_err b $verb bt-rt-missing
	is "$RT_ERR" "berth: $verb: container \`bt-rt-missing\` does not exist" "$verb of a missing container" 
done
rt_err b exec bt-rt-missing true
is "$RT_ERR" "berth: exec: container \`bt-rt-missing\` does not exist" "exec into a missing container"
rt_err b run -b "$bun" 'bt-rt-$(x)'
is "$RT_ERR" "berth: run: invalid container ID \`bt-rt-\$(x)\`: \`\$\` is not allowed" "run with a bad ID"
isnt "$RT_RC" 0 "bad ID: non-zero exit"
rt_err b create --bogus -b "$bun" $id
is "$RT_ERR" "berth: create: bad option \`--bogus\` (see berth create --help)" "unknown option"
rt_err b frobnicate
is "$RT_ERR" "berth: unknown command \`frobnicate\` (see berth --help)" "unknown command"
rt_err "$BERTH" --systemd-cgroup --root "$RT_ROOT" create -b "$bun" $id
is "$RT_ERR" "berth: create: --systemd-cgroup: systemd is not running on this host" "--systemd-cgroup is refused clearly"
ok "nothing left after the refusals" rt_nothing_left $id

# exec into a stopped container
ok "run a short container, keeping it" b run --keep -b "$(rt_bundle short true)" bt-rt-err-stopped
rt_err b exec bt-rt-err-stopped true
is "$RT_ERR" "berth: exec \`bt-rt-err-stopped\`: cannot exec in a stopped container" "exec into a stopped container"
isnt "$RT_RC" 0 "exec into a stopped container: non-zero exit"
ok "delete the stopped container" b delete bt-rt-err-stopped
ok "nothing left" rt_nothing_left bt-rt-err-stopped
