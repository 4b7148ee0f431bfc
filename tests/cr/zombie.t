#!/bin/bash
# Zombies in the tree: children that exited (status 7, and SIGTERM) and that
# their parent has not waited for are checkpointed as zombies and restored
# as zombies with the same pids and parent; the parent's later waitpid()
# gets the saved statuses.  Then a shell loop forking all the time is
# checkpointed and restored ten times in a row, and goes on after each.
. "$(dirname "$0")/lib.sh"
plan 13

zstate() { awk '/^State:/ { s = $2 } /^PPid:/ { p = $2 } END { print s " " p }' "/proc/$1/status" 2>/dev/null; }

"$PROGS/zombie" "$T/go" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 1
read -r _ a b <"$T/out"
diag "parent $pid, zombies $a $b"
is "$(zstate "$a"),$(zstate "$b")" "Z $pid,Z $pid" "both children are zombies of the parent"
ok "checkpoint the parent with its zombies" crdump $pid "$T/img"
wait $pid 2>/dev/null
reap "$a"
reap "$b"
ok "all three are gone" test ! -d /proc/$pid -a ! -d /proc/"$a" -a ! -d /proc/"$b"
is "$("$CRTOOL" restore "$T/img" 2>"$T/err")" "$pid" "parent restored with its pid"
[ -s "$T/err" ] && diag "$(cat "$T/err")"
is "$(zstate "$a"),$(zstate "$b")" "Z $pid,Z $pid" "zombies restored with their pids, under their parent"
is "$(tr ' ' '\n' </proc/$pid/task/$pid/children | grep -c .)" 2 "the parent has two children"
touch "$T/go"
wait_lines "$T/out" 3
is "$(sed -n 2p "$T/out")" "$a exited 7" "waitpid() gives the first one's exit status 7"
is "$(sed -n 3p "$T/out")" "$b killed by signal 15" "waitpid() gives the second one's SIGTERM"
ok "reaped by the parent, so gone" bash -c "! test -d /proc/$a -o -d /proc/$b"
reap $pid

# A shell loop: always a child about to exit or just exited.
/bin/sh -c 'while :; do /bin/true; echo x; done' >"$T/loop" &
sh=$!
track $sh
wait_lines "$T/loop" 10
fails=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	rm -rf "$T/img$i"
	if ! "$CRTOOL" dump $sh "$T/img$i" >"$T/st$i" 2>"$T/err$i"; then
		fails=$((fails + 1))
		diag "dump $i: $(cat "$T/err$i")"
		break
	fi
	[ $i = 1 ] && wait $sh 2>/dev/null
	reap $sh
	if ! r=$("$CRTOOL" restore "$T/img$i" 2>"$T/err$i") || [ "$r" != "$sh" ]; then
		fails=$((fails + 1))
		diag "restore $i: $(cat "$T/err$i")"
		break
	fi
	n=$(wc -l <"$T/loop")
	wait_lines "$T/loop" $((n + 20)) || { fails=$((fails + 1)); diag "loop $i stopped"; break; }
done
# procs above threads: a zombie was in the checkpoint (not every time).
diag "checkpoints that held a zombie: $(cat "$T"/st* | awk '$2 > $4' | wc -l) of $i"
is "$fails" 0 "ten checkpoints and restores of a forking shell loop all succeed"
is "$i" 10 "all ten rounds done"
n=$(wc -l <"$T/loop")
ok "the loop goes on after the last restore" wait_lines "$T/loop" $((n + 50))
like "$(zstate $sh)" '^[RSD] [0-9]+$' "the shell itself is alive, not a zombie"
reap $sh
