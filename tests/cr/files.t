#!/bin/bash
# Files across checkpoint/restore: a deleted-but-open file (content and
# offset), a shared file mapping, a private file mapping changed in memory.
. "$(dirname "$0")/lib.sh"
plan 8

mkdir "$T/data"
"$PROGS/files" "$T/data" >"$T/out" &
pid=$!
track $pid
wait_lines "$T/out" 5
ok "checkpoint" crdump $pid "$T/img"
wait $pid 2>/dev/null
ok "the image holds the deleted file's content" grep -qa "hello from a deleted file" "$T/img/files.img"
last=$(tail -n 1 "$T/out" | awk '{print $4}')
lines=$(wc -l <"$T/out")
is "$("$CRTOOL" restore "$T/img" 2>/dev/null)" "$pid" "restored"
track $pid
wait_lines "$T/out" $((lines + 10))
ok "all checks pass after restore" bash -c "! grep BAD '$T/out'"
is "$(sed -n "$((lines + 1))p" "$T/out")" "pid $pid ok $((last + 1))" "the shared counter goes on"
is "$(readlink /proc/$pid/fd/3)" "$T/data/deleted (deleted)" "fd 3 is the deleted file again"
is "$(readlink /proc/$pid/fd/4)" "/memfd:bt-memfd (deleted)" "fd 4 is the memfd again (content checked by the program)"
ok "the recreated file is not left behind" test ! -e "$T/data/deleted"
