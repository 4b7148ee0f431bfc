#!/bin/bash
# --log, --log-format and --debug: with --debug the steps of a run (config,
# namespaces, mounts, cgroup, hooks, exec) are logged as runc does, as JSON
# lines or logfmt text; without it only errors; the kept log file never
# reaches the container's program.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
command -v jq >/dev/null || skip_all "needs jq"
plan 16

bun=$(rt_bundle log sh -c 'ls /proc/self/fd | tr "\n" " "')
rt_jq "$bun" '.hooks.prestart = [{"path": "/bin/true", "args": ["true"]}]'
log=$RT_TMP/debug.json
out=$(b --debug --log "$log" --log-format json run -b "$bun" bt-rt-log-1 2>"$RT_TMP/err")
is "$?" 0 "run with --debug --log --log-format json"
is "$(cat "$RT_TMP/err")" "" "nothing on stderr"
is "$out" "0 1 2 3 " "the container's program has only stdio (and ls's own fd): the log is not inherited"
is "$(jq -c 'type == "object" and has("time") and has("level") and has("msg")' "$log" | sort -u)" \
	true "every line of the log is a JSON object with time, level and msg"
msgs=$(jq -r 'select(.level == "debug") | .msg' "$log")
like "$msgs" "^config: ociVersion 1\.[0-9.]+, root \`rootfs\`" "debug: the config"
like "$msgs" "namespace pid: new" "debug: the namespaces"
like "$msgs" "mount \`/proc\`: type proc" "debug: the mounts"
like "$msgs" "cgroup \`/berth/bt-rt-log-1\`: process [0-9]+ joined" "debug: the cgroup path"
like "$msgs" "hook prestart\[0\]: run \`/bin/true\`" "debug: the hooks"
like "$msgs" "exec: \`/bin/sh\` in container \`bt-rt-log-1\`" "debug: the exec, from inside the container"
is "$(jq -r 'select(.level != "debug") | .level' "$log")" "" "no other levels on success"

# text: logrus's format, as runc writes it
txt=$RT_TMP/debug.txt
b --debug --log "$txt" run -b "$bun" bt-rt-log-2 >/dev/null
is "$?" 0 "run with --debug --log (text)"
ok "every text line is time=... level=... msg=\"...\"" \
	awk '!/^time="[0-9T:.-]+Z" level=(debug|warning|error) msg=".*"$/ { exit 1 }' "$txt"
like "$(cat "$txt")" 'level=debug msg="exec: `/bin/sh` in container `bt-rt-log-2`"' "text: the debug lines"

# without --debug: no debug lines, the error still logged
plain=$RT_TMP/plain.json
b --log "$plain" --log-format json delete bt-rt-log-nonexistent 2>/dev/null
is "$(jq -r .level "$plain")" "error" "without --debug only the error is logged"
like "$(jq -r .msg "$plain")" "bt-rt-log-nonexistent.*does not exist" "naming the container"
