#!/bin/bash
# berth checkpoint --file-locks: a container whose process holds flock,
# POSIX and OFD locks.  Without the flag the checkpoint names the lock and
# the container runs on with its locks; with it the image holds the locks.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/wait.sh"
need_root
plan 5

T=$(tap_tmpdir)
R=$T/root
id=bt-cr-locks-$$
defer "'$BERTH' --root '$R' delete -f $id"

make_bundle "$T/b" /fdx locks /lockfile
cp "$BUILD/tests/cr/progs/fdx-static" "$T/b/rootfs/fdx"
jq '.root.readonly = false' "$T/b/config.json" >"$T/b/config.json.new" && mv "$T/b/config.json.new" "$T/b/config.json"
(cd "$T/b" && "$BERTH" --root "$R" run -d $id </dev/null >"$T/log" 2>&1)
wait_lines "$T/log" 5
pid=$("$BERTH" --root "$R" state $id | jq .pid)
ino=$(stat -c %i "$T/b/rootfs/lockfile")
held() { awk -v i=":$ino" -v p="$pid" '$6 ~ i"$" && $5 == p { print $2 }' /proc/locks | sort | tr '\n' ' '; }

msg=$("$BERTH" --root "$R" checkpoint --image-path "$T/img1" $id 2>&1)
like "$msg" "^berth: checkpoint \`$id\`: checkpoint process [0-9]+: process 1: fd [0-9]+ holds a file lock \\((FLOCK|POSIX|OFDLCK)\\): use --file-locks$" \
	"without --file-locks: named error"
is "$("$BERTH" --root "$R" state $id | jq -r .status)" running "the container runs on"
is "$(held)" "FLOCK POSIX " "its locks are still held"
ok "checkpoint --file-locks --leave-running" \
	"$BERTH" --root "$R" checkpoint --image-path "$T/img2" --file-locks --leave-running $id
ok "the image is complete" test -s "$T/img2/inventory.img"
