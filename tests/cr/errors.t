#!/bin/bash
# Failures: an unsupported resource names the process and the resource and
# leaves the process running untouched; a truncated or corrupted image, an
# image of a newer format version, a pid in use, a missing image: one
# error line each, and nothing restored left running.
. "$(dirname "$0")/lib.sh"
plan 17

# Unsupported resources: the dump fails, the process runs on without a gap.
for kind in inotify netlink; do
	"$PROGS/holder" $kind >"$T/$kind.out" &
	pid=$!
	track $pid
	wait_lines "$T/$kind.out" 3
	msg=$("$CRTOOL" dump $pid "$T/img-$kind" 2>&1 >/dev/null)
	rc=$?
	like "$rc $msg" "^1 crtool: checkpoint process $pid: process $pid: fd 3 \\(.*$kind.*\\): unsupported resource$" \
		"$kind fd: named error"
	ok "$kind: no image left behind" test ! -e "$T/img-$kind/inventory.img"
	n=$(wc -l <"$T/$kind.out")
	wait_lines "$T/$kind.out" $((n + 5))
	ok "$kind: the process runs on, untouched" \
		awk -v p=$pid '{ if ($4 != NR || $2 != p) exit 1 }' "$T/$kind.out"
	kill -9 $pid
done

"$PROGS/counter" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 3
ok "checkpoint with --leave-running" crdump $pid "$T/img" --leave-running
msg=$("$CRTOOL" restore "$T/img" 2>&1)
like "$msg" "^crtool: restore from \`$T/img\`: pid $pid is in use in this pid namespace$" \
	"restore over a live pid fails"
kill -9 $pid
wait $pid 2>/dev/null

# restore_fails NAME: a restore that must fail with one line matching RE, leaving nothing.
restore_fails() {
	local name=$1 re=$2 msg rc
	msg=$("$CRTOOL" restore "$T/bad" 2>&1)
	rc=$?
	like "$rc $(echo "$msg" | wc -l) $msg" "^1 1 crtool: restore from \`$T/bad\`: $re" "$name: error"
	ok "$name: nothing left running" test ! -e /proc/$pid
}

cp -a "$T/img" "$T/bad"
size=$(stat -c %s "$T/bad/pages-$pid.img")
truncate -s $((size - 100)) "$T/bad/pages-$pid.img"
restore_fails "truncated page file" "image file \`pages-$pid.img\`: truncated"

rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
printf '\xff' | dd of="$T/bad/pages-$pid.img" bs=1 seek=$((size / 2)) conv=notrunc status=none
restore_fails "corrupted page file" "image file \`pages-$pid.img\`: record [0-9]+: checksum mismatch"

rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
printf '\x00' | dd of="$T/bad/core-$pid.img" bs=1 seek=100 conv=notrunc status=none
restore_fails "corrupted core file" "image file \`core-$pid.img\`: record [0-9]+: (header )?checksum mismatch"

rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
"$CRTOOL" set-version "$T/bad/inventory.img" 2
restore_fails "newer format version" "image file \`inventory.img\`: format version 2 is newer than this berth supports \\(1\\)"

rm -rf "$T/bad"
like "$("$CRTOOL" restore "$T/bad" 2>&1)" "^crtool: restore: open image directory \`$T/bad\`: No such file or directory$" \
	"missing image directory"
