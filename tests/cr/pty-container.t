#!/bin/bash
# A container with process.terminal (a shell on its console, the pty master
# handed out through --console-socket) across checkpoint --shell-job and
# restore --console-socket: the restored shell answers on the new master with
# its variable, cwd, console size, and the console as its controlling
# terminal.  Without --console-socket the restore is refused, nothing made.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/wait.sh"
need_root
plan 16

T=$(tap_tmpdir)
R=$T/root
id=bt-cr-pty-$$
defer "'$BERTH' --root '$R' delete -f $id"
B() { "$BERTH" --root "$R" "$@"; }
PTY=$BUILD/tests/cr/progs/ptyshell

# The pty master's holder: input from IN (appended to), output to OUT.
holder() { # SOCK IN OUT
	: >"$2"
	"$PTY" recv "$1" <"$2" >"$3" &
	HOLDER=$!
	defer "kill -9 $HOLDER 2>/dev/null"
	for ((i = 0; i < 1000; i++)); do [ -S "$1" ] && return 0; sleep 0.01; done
	return 1
}

make_bundle "$T/b" sh -i
jq '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 111} |
    .process.env += ["PS1=$ "]' "$T/b/config.json" >"$T/b/c.json" && mv "$T/b/c.json" "$T/b/config.json"

ok "the console's holder listens" holder "$T/sock1" "$T/in1" "$T/out1"
ok "run -d a shell with a console" B run -d --console-socket "$T/sock1" -b "$T/b" $id
printf 'V=hello42; cd /tmp; stty rows 40 cols 77; echo ready-$((6*7))\n' >>"$T/in1"
ok "the shell answers on the console" wait_out "$T/out1" '^ready-42$'
sleep 0.2
like "$(B checkpoint --image-path "$T/img" $id 2>&1)" \
	"fd 0 \(/dev/pts/0, terminal\): unsupported resource: its pty master is outside the checkpointed tree \(checkpoint with --shell-job\)" \
	"checkpoint without --shell-job: the console is refused by name"
is "$(B state $id | jq -r .status)" running "the refused container runs on"
ok "checkpoint --shell-job" B checkpoint --shell-job --image-path "$T/img" $id
like "$(B state $id 2>&1)" "does not exist" "the checkpoint removed the container"

like "$(B restore -d --image-path "$T/img" $id 2>&1)" \
	"^berth: restore \`$id\`: image \`$T/img\`: terminal \`/dev/pts/0\` had its pty master outside the container: give --console-socket$" \
	"restore without --console-socket: one clear error"
like "$(B state $id 2>&1)" "does not exist" "nothing was made"

ok "a new holder listens" holder "$T/sock2" "$T/in2" "$T/out2"
ok "restore --console-socket" B restore -d --console-socket "$T/sock2" --image-path "$T/img" $id
pid=$(B state $id | jq .pid)
printf 'echo V=$V; pwd; tty; stty size; echo end-$((6*7))\n' >>"$T/in2"
ok "the restored shell answers on the new master" wait_out "$T/out2" '^end-42$'
is "$(out "$T/out2" '^V=')" "V=hello42" "the shell variable is kept"
is "$(out "$T/out2" '^/')" "/tmp
/dev/pts/0" "cwd kept; its terminal is the container's /dev/pts/0"
is "$(out "$T/out2" '^[0-9]+ [0-9]+$')" "40 77" "the console size it had is kept (not the bundle's consoleSize)"
read -ra f <<<"$(sed 's/.*) //' /proc/"$pid"/stat)"
is "${f[3]} $(((f[4] >> 8) & 0xfff)):$((f[4] & 0xff)) ${f[5]}" "$pid 136:0 $pid" \
	"the console is the controlling terminal of the shell's session, its group in the foreground"
