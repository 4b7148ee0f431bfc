#!/bin/bash
# File locks (--file-locks): a process holding a flock(2) lock, a POSIX lock
# and an OFD lock on a file.  Without --file-locks the checkpoint fails with
# a named error and the process runs on untouched, its locks held; with it
# the restored process holds the same locks again (/proc/locks) and another
# process's try-lock fails.
. "$(dirname "$0")/lib.sh"
plan 12

f=$T/locked
# The locks of FILE held by PID as "KIND TYPE PID START END", sorted.
locks_of() { # PID
	local ino
	ino=$(stat -c %i "$f")
	awk -v i=":$ino" -v p="$1" '$6 ~ i"$" && ($5 == p || $2 == "OFDLCK") { print $2, $4, $5, $7, $8 }' \
		/proc/locks | sort
}

"$PROGS/fdx" locks "$f" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 3
want="FLOCK WRITE $pid 0 EOF
OFDLCK WRITE -1 20 29
POSIX WRITE $pid 0 9"
is "$(locks_of $pid)" "$want" "the process holds flock, POSIX and OFD locks"

msg=$("$CRTOOL" dump $pid "$T/img0" 2>&1 >/dev/null)
rc=$?
like "$rc $msg" "^1 crtool: checkpoint process $pid: process $pid: fd [0-9]+ holds a file lock \\((FLOCK|POSIX|OFDLCK)\\): use --file-locks$" \
	"without --file-locks: named error"
ok "no image left behind" test ! -e "$T/img0/inventory.img"
n=$(wc -l <"$T/out")
wait_lines "$T/out" $((n + 5))
ok "the process runs on, untouched" awk -v p=$pid '{ if ($4 != NR || $2 != p) exit 1 }' "$T/out"
is "$(locks_of $pid)" "$want" "its locks are still held"

ok "checkpoint with --file-locks" crdump $pid "$T/img" --file-locks
wait $pid 2>/dev/null
is "$(locks_of $pid)" "" "the locks went with the process"
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
track $pid
is "$(locks_of $pid)" "$want" "the restored process holds the same locks"
fails "another process cannot flock the file" flock -n "$f" true
"$PROGS/fdx" trylock "$f" posix
is "$?" "1" "another process cannot take the POSIX lock"
"$PROGS/fdx" trylock "$f" ofd
is "$?" "1" "another process cannot take the OFD lock"
