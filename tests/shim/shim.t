#!/bin/bash
# berth-shim with an OCI bundle: CRI logs, exit file, detaching from the
# caller, heavy output, OOM kill, attach/detach, exec, restart policies, idle
# memory.  SHIM_RUNTIME picks the OCI runtime driven (default: berth; the
# shim was validated with SHIM_RUNTIME=runc, the reference, and passes with both).
. "$(dirname "$0")/../lib/tap.sh"
. "$BERTH_TOP/tests/lib/bundle.sh"
need_root
RT=${SHIM_RUNTIME:-$BERTH}
[ -x "$RT" ] || skip_all "no OCI runtime at $RT"
SHIM=$BUILD/bin/berth-shim
CLIENT=$BERTH_TOP/tests/shim/shimclient.pl
plan 54

T=$(tap_tmpdir)
RROOT=$T/rt
mkdir -p "$RROOT"

# bundle NAME ARGS... — a busybox bundle with its own cgroup
bundle() {
	local name=$1; shift
	BERTH=$RT make_bundle "$T/$name" "$@" >/dev/null 2>&1 || return 1
	jq --arg c "/bt-eng-$name-$$" '.linux.cgroupsPath = $c' "$T/$name/config.json" > "$T/c.json" &&
		mv "$T/c.json" "$T/$name/config.json"
}
# edit NAME JQ-FILTER
edit() { jq "$2" "$T/$1/config.json" > "$T/c.json" && mv "$T/c.json" "$T/$1/config.json"; }
# shim NAME [SHIM-OPTIONS...] — start a detached shim; prints what it synced ("ok PID")
shim() {
	local name=$1; shift
	mkdir -p "$T/$name.st"
	defer "kill -9 \$(cat '$T/$name.st/shim.pid' 2>/dev/null) 2>/dev/null; '$RT' --root '$RROOT' delete -f bt-eng-$name-$$"
	"$SHIM" --runtime "$RT" --runtime-root "$RROOT" --bundle "$T/$name" --state-dir "$T/$name.st" \
		--sync-fd 3 "$@" "bt-eng-$name-$$" 3>&1 >/dev/null 2>&1
}
# wait_exit NAME — until the exit file is there (at most 20 s)
wait_exit() {
	local i
	for ((i = 0; i < 400; i++)); do [ -f "$T/$1.st/exit" ] && return 0; sleep 0.05; done
	return 1
}
field() { jq -r ".$2" "$T/$1.st/exit"; }
# cri_text LOGFILE... — the text of the CRI records, P pieces joined to their F
cri_text() {
	awk '{ t = $3; sub(/^[^ ]+ [^ ]+ [^ ]+ /, ""); b = b $0; if (t == "F") { print b; b = "" } }' "$@"
}

# --- logs and exit status
bundle logs sh -c 'echo out-line; echo err-line >&2; printf no-newline; exit 3'
r=$(shim logs)
like "$r" '^ok [0-9]+$' "the shim reports the started container's pid"
ok "the exit file appears" wait_exit logs
is "$(field logs exit_code)" 3 "exit file: the container's exit code"
is "$(field logs signal)" 0 "exit file: no signal"
like "$(cat "$T/logs.st/ctr.log")" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z stdout F out-line' \
	"log lines are CRI records with RFC3339Nano timestamps"
ok "stderr is logged as stderr" grep -Eq ' stderr F err-line$' "$T/logs.st/ctr.log"
ok "a line without newline is a P record" grep -Eq ' stdout P no-newline$' "$T/logs.st/ctr.log"
sleep 0.3
spid=$(jq -r .shim_pid "$T/logs.st/status")
st=$(awk '{print $3}' /proc/$spid/stat 2>/dev/null)
like "${st:-gone}" '^(gone|Z)$' "the shim is gone after the container"

# --- signals: asked to send, recorded
bundle sig sleep 100
shim sig >/dev/null
sleep 0.2
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$(cat "$T/sig.st/shim.pid")/status")
ok "an idle shim stays within 1 MiB of RSS (${rss} kB)" test "$rss" -le 1024
is "$("$CLIENT" "$T/sig.st" kill 9 2>&1; echo $?)" 0 "the shim forwards a signal it is asked to send"
wait_exit sig
is "$(field sig signal)" 9 "exit file: the signal that ended the container"
is "$(field sig exit_code)" 137 "exit file: code 128+signal"
is "$(field sig oom_killed)" false "exit file: not OOM-killed"

# --- the caller is SIGKILLed: the container and its log go on
bundle orphan sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i; sleep 0.1; done; exit 42'
( shim orphan >/dev/null; sleep 100 ) &
caller=$!
sleep 0.3
kill -9 $caller
wait $caller 2>/dev/null
spid=$(cat "$T/orphan.st/shim.pid")
is "$(awk '{print $4}' /proc/$spid/stat)" 1 "the shim is re-parented away from its caller"
"$CLIENT" "$T/orphan.st" wait >/dev/null 2>&1
is $? 42 "wait reports the real exit code after the caller died"
is "$(cri_text "$T/orphan.st/ctr.log" | tr '\n' ' ')" \
	"line-1 line-2 line-3 line-4 line-5 line-6 line-7 line-8 line-9 line-10 " "the log is complete"

# --- 100 MB of numbered lines, all in the log, in order
bundle flood seq 1 12500000
shim flood >/dev/null
wait_exit flood
seq 1 12500000 > "$T/want"
is "$(stat -c %s "$T/want")" 101388897 "the container writes 100 MB"
cri_text "$T/flood.st/ctr.log" > "$T/got"
ok "every line is in the log, in order" cmp -s "$T/want" "$T/got"
rm -f "$T/want" "$T/got" "$T/flood.st/ctr.log"

# --- log rotation keeps whole records in order
bundle rot seq 1 200000
shim rot --log-max-size 1000000 --log-max-files 30 >/dev/null
wait_exit rot
ok "the log was rotated at its size" test -f "$T/rot.st/ctr.log.1"
files=$(for ((i = 30; i >= 1; i--)); do [ -f "$T/rot.st/ctr.log.$i" ] && echo "$T/rot.st/ctr.log.$i"; done)
is "$(cri_text $files "$T/rot.st/ctr.log" | md5sum)" "$(seq 1 200000 | md5sum)" \
	"rotated logs hold every line in order"

# --- OOM kill reported
bundle oom sh -c 'tail /dev/zero'
edit oom '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
shim oom >/dev/null
wait_exit oom
is "$(field oom oom_killed)" true "an OOM kill by the memory cgroup is reported"
is "$(field oom signal)" 9 "the OOM-killed container died of SIGKILL"

# --- attach, detach, re-attach; one stdin writer
bundle att sh -c 'while read l; do echo "got $l"; done; echo bye'
shim att -i >/dev/null
"$CLIENT" --for 10 "$T/att.st" attach > "$T/reader.out" 2>/dev/null &
reader=$!
defer "kill $reader"
sleep 0.2
echo one | "$CLIENT" --stdin --keep-open --for 0.5 "$T/att.st" attach stdin > "$T/a1.out" 2>/dev/null &
w1=$!
sleep 0.1
r=$("$CLIENT" "$T/att.st" attach stdin 2>&1)
like "$r" 'stdin is already attached' "a second stdin writer is refused"
wait $w1
is "$(cat "$T/a1.out")" "got one" "an attached client writes stdin and reads output"
echo two | "$CLIENT" --stdin "$T/att.st" attach stdin > "$T/a2.out" 2>/dev/null
is "$?" 0 "re-attach, write, close stdin: the container ends with 0"
is "$(cat "$T/a2.out")" "$(printf 'got two\nbye')" "re-attached output"
wait $reader
is "$(cat "$T/reader.out")" "$(printf 'got one\ngot two\nbye')" "a read-only reader saw all output"

# --- exec with a tty and exit codes
bundle ex sleep 100
shim ex >/dev/null
cat > "$T/p1.json" <<'J'
{"terminal": true, "args": ["sh", "-c", "tty; exit 7"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"], "user": {"uid": 0, "gid": 0}}
J
out=$("$CLIENT" "$T/ex.st" exec 1 0 "$T/p1.json" 2>/dev/null)
is "$?" 7 "exec with a tty: its exit code"
like "$out" '/dev/pts/[0-9]+' "exec with a tty: it runs on a pty"
cat > "$T/p2.json" <<'J'
{"terminal": false, "args": ["sh", "-c", "echo from-exec; echo to-err >&2; exit 5"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"], "user": {"uid": 0, "gid": 0}}
J
out=$("$CLIENT" "$T/ex.st" exec 0 0 "$T/p2.json" 2>"$T/p2.err")
is "$?:$out:$(grep -v '^exit' "$T/p2.err")" "5:from-exec:to-err" "exec without a tty: output, stderr and exit code"

# --- restart policies
bundle rs sh -c 'echo run; exit 1'
shim rs --restart on-failure:2 >/dev/null
wait_exit rs
is "$(field rs restarts):$(grep -c ' F run$' "$T/rs.st/ctr.log")" "2:3" "on-failure:2 restarts twice, then stops"
is "$(field rs exit_code)" 1 "the last exit code is recorded"

# --- --runtime builtin: libberth in the shim, no runtime binary
bundle bi sh -c 'echo via-libberth; exit 4'
r=$(shim bi --runtime builtin)
like "$r" '^ok [0-9]+$' "builtin runtime: the container starts"
wait_exit bi
is "$(field bi exit_code):$(cri_text "$T/bi.st/ctr.log")" "4:via-libberth" \
	"builtin runtime: exit code and output"
sleep 0.3
ok "builtin runtime: the runtime state is deleted after the exit" test ! -e "$RROOT/bt-eng-bi-$$"
ok "builtin runtime: the cgroup is gone" test ! -e "/sys/fs/cgroup/pids/bt-eng-bi-$$"
bundle bnf /no/such/binary
r=$(shim bnf --runtime builtin)
like "$r" '^error .*/no/such/binary.*([Nn]o such file|not found)' \
	"builtin runtime: a command that is not there, one error naming it"
ok "builtin runtime: nothing left of the failed container" test ! -e "$RROOT/bt-eng-bnf-$$"

# --- --wait-fd: set up, then wait for the bundle; EOF calls it off, a byte lets it create
# wait_shim NAME — a builtin shim waiting on the fifo NAME.go (opened for writing on fd 7)
wait_shim() {
	mkdir -p "$T/$1.st"
	rm -f "$T/$1.go"
	mkfifo "$T/$1.go"
	defer "kill -9 \$(cat '$T/$1.st/shim.pid' 2>/dev/null) 2>/dev/null; '$RT' --root '$RROOT' delete -f bt-eng-$1-$$ 2>/dev/null"
	"$SHIM" --runtime builtin --runtime-root "$RROOT" --bundle "$T/$1" --state-dir "$T/$1.st" \
		--sync-fd 3 --wait-fd 4 --exit-command /bin/touch --exit-command-arg "$T/$1.ran" \
		"bt-eng-$1-$$" 3>"$T/$1.sync" 4<"$T/$1.go" >/dev/null 2>&1 &
	exec 7>"$T/$1.go"
	for i in $(seq 100); do [ -S "$T/$1.st/attach" ] && break; sleep 0.02; done
}
bundle wf sh -c 'echo after-the-go'
wait_shim wf
wpid=$(cat "$T/wf.st/shim.pid")
ok "wait-fd: the shim is up and listening" test -S "$T/wf.st/attach"
ok "wait-fd: no container yet" test ! -e "$RROOT/bt-eng-wf-$$"
printf g >&7
exec 7>&-
wait_exit wf
is "$(head -c 3 "$T/wf.sync"):$(field wf exit_code):$(cri_text "$T/wf.st/ctr.log")" "ok :0:after-the-go" \
	"wait-fd: after the byte, the container is created and runs"
bundle wa true
wait_shim wa
wpid=$(cat "$T/wa.st/shim.pid")
exec 7>&-
for i in $(seq 100); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.02; done
ok "wait-fd: on EOF the shim exits" eval '! kill -0 $wpid 2>/dev/null'
is "$(cat "$T/wa.sync")" "" "wait-fd: it answers nothing (the caller gave up)"
ok "wait-fd: no container, no exit file" test ! -e "$RROOT/bt-eng-wa-$$" -a ! -e "$T/wa.st/exit"
ok "wait-fd: no attach socket left" test ! -e "$T/wa.st/attach"
sleep 0.2
ok "wait-fd: called off, the exit command does not run" test ! -e "$T/wa.ran"

# --- --attach-first and a `start` request: the process runs without an attached client
bundle af sh -c 'echo started-by-request'
shim af --runtime builtin --attach-first >/dev/null
sleep 0.3
ok "attach-first: the process waits (no exit file yet)" test ! -e "$T/af.st/exit"
"$CLIENT" "$T/af.st" start >/dev/null 2>&1
is "$?" 0 "a start request is answered OK"
wait_exit af
is "$(field af exit_code):$(cri_text "$T/af.st/ctr.log")" "0:started-by-request" \
	"after the start request the process ran"

# --- --exit-command-lock: skipped when the lock holder removed the file, run otherwise
bundle el true
touch "$T/el.lock"
flock "$T/el.lock" sh -c "sleep 1; rm '$T/el.lock'" &
holder=$!
defer "kill $holder 2>/dev/null"
sleep 0.1
shim el --exit-command /bin/touch --exit-command-arg "$T/el.ran" --exit-command-lock "$T/el.lock" >/dev/null
wait_exit el
ok "exit-command-lock: the shim waits while the lock is held" test ! -e "$T/el.ran"
wait $holder
sleep 0.3
ok "exit-command-lock: a removed lock file means the command is not needed" test ! -e "$T/el.ran"
bundle el2 true
touch "$T/el2.lock"
shim el2 --exit-command /bin/touch --exit-command-arg "$T/el2.ran" --exit-command-lock "$T/el2.lock" >/dev/null
wait_exit el2
for i in $(seq 40); do [ -e "$T/el2.ran" ] && break; sleep 0.05; done
ok "exit-command-lock: a lock file still there means the command runs" test -e "$T/el2.ran"

# --- bad input
bundle nf /no/such/binary
r=$(shim nf)
like "$r" '^error .*([Nn]o such file|not found)' "a command that is not there: an error naming it"
mkdir -p "$T/x.st"
r=$("$SHIM" --runtime /no/such/runtime --bundle "$T/nf" --state-dir "$T/x.st" bt-eng-x 2>&1)
is "$?:$r" "125:berth-shim: runtime \`/no/such/runtime\`: No such file or directory" \
	"a missing runtime: one clear message"
