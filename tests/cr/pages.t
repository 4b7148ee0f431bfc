#!/bin/bash
# Page data: scattered pages (every third page of 64 MiB and a 4 MiB run, a
# PROT_NONE mapping, changed pages of a private file mapping) are saved —
# those and not the untouched ones — and come back in place.  A damaged page
# record (its data or its header) stops the restore with one error naming
# the file and the record, and no process is left.
. "$(dirname "$0")/lib.sh"
plan 14

"$PROGS/sparse" "$T/file" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 1
n=$(awk '/^ready/ { print $2 }' "$T/out")
line=$("$CRTOOL" dump $pid "$T/img")
like "$line" "^procs 1 " "checkpoint"
wait $pid 2>/dev/null
bytes=$(echo "$line" | awk '{ print $8 }')
# The written pages and the program's own (stack, libc data): less than 1 MiB more.
ok "the $n written pages are saved, not the untouched ones ($bytes bytes)" \
	test "$bytes" -ge $((n * 4096)) -a "$bytes" -lt $((n * 4096 + 1048576))
pages=$T/img/pages-$pid.img
# 48 bytes of framing per record, a record per run of pages: here mostly single pages.
ok "the page file is the page data and its framing ($(stat -c %s "$pages") bytes)" \
	test "$(stat -c %s "$pages")" -lt $((bytes + bytes / 4096 * 48 + 4096))
cp -a "$T/img" "$T/good" || exit 1

is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
kill -USR1 $pid
wait_lines "$T/out" 2
is "$(tail -n 1 "$T/out")" "verified" "every page as it was: written, zero, the file's"
reap $pid

# bad_restore NAME OFFSET RE: flip the byte at OFFSET of a fresh copy, restore fails with RE.
bad_restore() {
	local msg rc
	rm -rf "$T/bad" && cp -a "$T/good" "$T/bad"
	flip_byte "$T/bad/pages-$pid.img" "$2"
	msg=$("$CRTOOL" restore "$T/bad" 2>&1)
	rc=$?
	like "$rc $(echo "$msg" | wc -l) $msg" \
		"^1 1 crtool: .*image file \`pages-$pid.img\`: record [0-9]+: $3$" "$1: one error"
	ok "$1: no process left" test -z "$(pgrep -x sparse)"
	ok "$1: the pid is free" fails_kill $pid
}
fails_kill() { ! kill -0 "$1" 2>/dev/null; }

size=$(stat -c %s "$T/good/pages-$pid.img")
# The file ends with the END record (32 + 8 bytes); before it, the last page record's data.
bad_restore "last page record" $((size - 40 - 1000)) "checksum mismatch"
bad_restore "a page record in the middle" $((size / 2)) "(header )?checksum mismatch"
# The first record header follows the 32-byte file header; its length field at +8.
bad_restore "first record header" $((32 + 9)) "header checksum mismatch"
