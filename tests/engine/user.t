#!/bin/bash
# run --user and exec -u with user and group names, resolved in the
# container's own /etc/passwd and /etc/group (exec: the running container's
# view, so a user added inside it counts); what the process gets is read from
# /proc/self/status.  Unknown names: podman's 125, one line naming the user or
# group and the file, nothing left behind.
. "$(dirname "$0")/../lib/tap.sh"
need_root
plan 21

T=$(tap_tmpdir)
B() { "$BUILD/bin/berthctl" --root "$T/root" --runroot "$T/run" --cni-config-dir "$T/cni" "$@"; }
defer 'for c in $(B ps -aq); do B rm -f $c; done'
STATUS='grep -E "^(Uid|Gid|Groups):" /proc/self/status | awk "{print \$1 \$2}" | tr "\n" " "'
# bad WHAT EXPECTED-REGEX CMD... — exit 125 and one stderr line matching
bad() {
	local what=$1 re=$2
	shift 2
	"$@" >/dev/null 2>"$T/err"
	is "$?" 125 "$what: exit code 125"
	like "$(wc -l < "$T/err"):$(cat "$T/err")" "^1:berthctl: .*$re" "$what: one line that says why"
}

# --- run --user
is "$(B run --rm --network none --user nobody busybox sh -c "$STATUS")" \
	"Uid:65534 Gid:65534 Groups: " "run --user NAME: its uid and primary gid"
is "$(B run --rm --network none --user nobody:root busybox sh -c "$STATUS")" \
	"Uid:65534 Gid:0 Groups: " "run --user NAME:GROUP"
is "$(B run --rm --network none --user 4242:4343 busybox sh -c "$STATUS")" \
	"Uid:4242 Gid:4343 Groups: " "run --user UID:GID (numeric, not in the image)"
bad "run --user with an unknown user" "user \`bt-nouser\`: not found in the image's /etc/passwd" \
	B run --rm --network none --user bt-nouser busybox true
bad "run --user with an unknown group" "group \`bt-nogroup\`: not found in the image's /etc/group" \
	B run --rm --network none --user nobody:bt-nogroup busybox true
is "$(ls "$T/root/engine/containers" | wc -l)" 0 "run with an unknown user: nothing left behind"

# --- exec -u
id=$(B run -d --network none busybox sh -c \
	'echo "bt-u:x:1234:1234::/:/bin/sh" >> /etc/passwd; echo "bt-g:x:4321:bt-u" >> /etc/group; touch /tmp/ready; sleep 60')
for i in $(seq 50); do B exec "$id" test -e /tmp/ready 2>/dev/null && break; sleep 0.1; done
is "$(B exec -u nobody "$id" sh -c "$STATUS")" "Uid:65534 Gid:65534 Groups: " \
	"exec -u NAME: its uid and primary gid"
is "$(B exec -u bt-u "$id" sh -c "$STATUS")" "Uid:1234 Gid:1234 Groups:4321 " \
	"exec -u: a user added inside the running container, with the groups listing it"
is "$(B exec -u nobody:bt-g "$id" sh -c "$STATUS")" "Uid:65534 Gid:4321 Groups: " \
	"exec -u NAME:GROUP (group from the container's /etc/group)"
is "$(B exec -u 4242 "$id" sh -c "$STATUS")" "Uid:4242 Gid:0 Groups: " \
	"exec -u UID not in /etc/passwd: gid 0"
is "$(B exec -u 65534:0 "$id" sh -c "$STATUS")" "Uid:65534 Gid:0 Groups: " "exec -u UID:GID"
bad "exec -u with an unknown user" "exec in \`$id\`: user \`bt-nouser\`: no such user in the container's /etc/passwd" \
	B exec -u bt-nouser "$id" true
bad "exec -u with an unknown group" "group \`bt-nogroup\`: no such group in the container's /etc/group" \
	B exec -u nobody:bt-nogroup "$id" true
bad "exec -u with an empty group" "user \`nobody:\`: expected USER\[:GROUP\]" B exec -u nobody: "$id" true
is "$(ls "$T/run/engine/$id" | grep -c '^exec-')" 0 "the refused execs left no exec session files"
B rm -f "$id" >/dev/null
is "$(ls "$T/root/engine/containers" | wc -l)" 0 "nothing left behind"
