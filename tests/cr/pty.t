#!/bin/bash
# A shell in a pty across checkpoint, kill and restore: with the pty master
# inside the checkpointed tree, and outside it (a shell job: checkpoint
# --shell-job, restore with a new pty whose master goes to --console-socket,
# or onto the restorer's own terminal, its stdin).
# The shell keeps its variables, cwd, terminal size and controlling terminal
# (session, foreground group); commands typed into the master are answered.
. "$(dirname "$0")/lib.sh"
plan 29

BB=/bin/busybox
PTY=$PROGS/ptyshell

# tty_nr, session, tpgid of PID as "MAJOR:MINOR sid tpgid"; and the device of its fd 0.
ctty_of() {
	local f
	read -ra f <<<"$(sed 's/.*) //' /proc/"$1"/stat)"
	echo "$(((f[4] >> 8) & 0xfff)):$(((f[4] & 0xff) | ((f[4] >> 12) & 0xfff00))) ${f[3]} ${f[5]}"
}
fd0_dev() { stat -L -c '%t %T' /proc/"$1"/fd/0 | { read -r ma mi; echo "$((16#$ma)):$((16#$mi))"; }; }
# Start a shell on a new pty of 33x111 held by ptyshell; sets HOLD and SH.
start_shell() { # DIR [VAR=VALUE...]
	: >"$1/in"
	(cd / && exec env -i PS1='$ ' HOME=/ TERM=dumb PATH=/bin "${@:2}" "$PTY" spawn 33 111 "$BB" sh -i \
		<"$1/in" >"$1/out" 2>"$1/pid") &
	HOLD=$!
	track $HOLD
	for ((i = 0; i < 1000; i++)); do [ -s "$1/pid" ] && break; sleep 0.01; done
	SH=$(cat "$1/pid")
	track "$SH"
	wait_out "$1/out" '^\$ '
}
# What a restored shell must show: variable, cwd, tty, size, controlling terminal.
# On a new pty the saved window size is set; a terminal of the restorer keeps its own.
check_shell() { # DIR OUT SIZE what
	printf 'echo V=$V; pwd; tty; stty size; echo end-$((6*7))\n' >>"$1/${2/out/in}"
	wait_out "$1/$2" '^end-42$'
	is "$(out "$1/$2" '^V=')" "V=hello42" "$4: the shell variable is kept"
	is "$(out "$1/$2" '^/')" "/tmp
$(readlink /proc/"$SH"/fd/0)" "$4: cwd kept; \`tty\` names the pty it has now"
	is "$(out "$1/$2" '^[0-9]+ [0-9]+$')" "$3" "$4: stty size says $3 (the saved size on a new pty, else the terminal's own)"
	is "$(ctty_of "$SH")" "$(fd0_dev "$SH") $SH $SH" \
		"$4: the pty is the controlling terminal of the shell's session, its group in the foreground"
}

# ---- both ends in the tree: ptyshell (master) and the shell (slave) ----
# The master is in packet mode: its holder drops the status byte of each read,
# so the shell's answers come out whole only if the mode is restored too.
D=$T/inner
mkdir "$D"
start_shell "$D" PTY_PACKET=1
printf 'V=hello42; cd /tmp; echo ready-$((6*7))\n' >>"$D/in"
ok "inner: the shell answers before the checkpoint" wait_out "$D/out" '^ready-42$'
# A job in the foreground while the checkpoint is taken: its own process group.
printf 'sleep 3; echo after-$((6*7))\n' >>"$D/in"
for ((i = 0; i < 1000; i++)); do
	JOB=$(cat /proc/"$SH"/task/"$SH"/children 2>/dev/null)
	[ -n "$JOB" ] && break
	sleep 0.01
done
JOB=${JOB% }
sleep 0.2
ok "inner: checkpoint of the master's holder, the shell and its job" crdump $HOLD "$D/img"
wait $HOLD 2>/dev/null
ok "inner: the shell is gone" bash -c "! kill -0 $SH 2>/dev/null"
is "$("$CRTOOL" restore "$D/img" 2>"$D/restore.err")" "$HOLD" "inner: restored"
ok "inner: the shell is back with its pid" kill -0 "$SH"
track "$JOB"
is "$(ctty_of "$JOB")" "$(fd0_dev "$SH") $SH $JOB" \
	"inner: the job is back in the shell's session with the pty as its terminal, in the foreground"
ok "inner: the job ends and the shell goes on" wait_out "$D/out" '^after-42$'
check_shell "$D" out "33 111" "inner"
is "$(readlink /proc/"$HOLD"/fd/3)" "/dev/ptmx" "inner: the holder has a pty master again"

# ---- the master outside: a shell job ----
D=$T/job
mkdir "$D"
start_shell "$D"
printf 'V=hello42; cd /tmp; stty cols 77; echo ready-$((6*7))\n' >>"$D/in"
ok "job: the shell answers before the checkpoint" wait_out "$D/out" '^ready-42$'
sleep 0.2
like "$("$CRTOOL" dump "$SH" "$D/img" 2>&1)" \
	"process $SH: fd 0 \(/dev/pts/[0-9]+, terminal\): unsupported resource: its pty master is outside the checkpointed tree \(checkpoint with --shell-job\)" \
	"job: without --shell-job the outside master is refused, naming the fd"
ok "job: the refused shell runs on" kill -0 "$SH"
ok "job: checkpoint --shell-job" crdump "$SH" "$D/img" --shell-job
kill -9 $HOLD 2>/dev/null
wait $HOLD 2>/dev/null
reap "$SH"
err=$("$CRTOOL" restore "$D/img" 2>&1)
is "$?" 1 "job: restore without --shell-job or --console-socket fails"
like "$err" "terminal \`/dev/pts/[0-9]+\`: its pty master was outside the checkpointed tree: restore with --shell-job or --console-socket" \
	"job: restore without a terminal is refused with one clear error"
ok "job: nothing was started" bash -c "! kill -0 $SH 2>/dev/null"
: >"$D/in2"
"$PTY" recv "$D/sock" <"$D/in2" >"$D/out2" &
recv=$!
track $recv
for ((i = 0; i < 1000; i++)); do [ -S "$D/sock" ] && break; sleep 0.01; done
is "$("$CRTOOL" restore "$D/img" --console-socket "$D/sock" 2>"$D/restore.err")" "$SH" \
	"job: restored with a new pty, its master sent to the console socket"
track "$SH"
check_shell "$D" out2 "33 77" "job"

# ---- the same image onto the restorer's own terminal: crtool restore --shell-job ----
reap "$SH"
: >"$D/in3"
"$PTY" spawn 20 60 "$CRTOOL" restore "$D/img" --shell-job <"$D/in3" >"$D/out3" 2>/dev/null &
track $!
ok "terminal: restored with the restorer's stdin as its terminal" wait_out "$D/out3" "^$SH\$"
track "$SH"
check_shell "$D" out3 "20 60" "terminal"
