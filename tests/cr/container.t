#!/bin/bash
# berth checkpoint on containers: --leave-running leaves the container
# running and unchanged; a plain checkpoint saves the tree and the config,
# then stops and removes the container; an unsupported resource in the
# container is a named error and the container runs on; bad IDs fail.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/wait.sh"
need_root
plan 14

T=$(tap_tmpdir)
R=$T/root
id=bt-cr-ctr
defer "'$BERTH' --root '$R' delete -f $id"
defer "'$BERTH' --root '$R' delete -f $id-ino"

# A shell counting into its stdout, with a sleep child most of the time.
make_bundle "$T/b" sh -c 'i=0; while :; do i=$((i+1)); echo "$$ $i"; sleep 0.02; done'
(cd "$T/b" && "$BERTH" --root "$R" run -d $id </dev/null >"$T/log" 2>&1)
wait_lines "$T/log" 5
pid=$("$BERTH" --root "$R" state $id | jq .pid)

ok "checkpoint --leave-running" "$BERTH" --root "$R" checkpoint --image-path "$T/img1" --leave-running $id
is "$("$BERTH" --root "$R" state $id | jq -r .status)" running "the container is still running"
is "$("$BERTH" --root "$R" state $id | jq .pid)" "$pid" "with the same init"
n=$(wc -l <"$T/log")
wait_lines "$T/log" $((n + 10))
ok "it counts on without a gap" awk '{ if ($1 != 1 || $2 != NR) exit 1 }' "$T/log"
for f in inventory.img pstree.img core-1.img pages-1.img files.img config.json container.json; do
	[ -s "$T/img1/$f" ] || missing="$missing $f"
done
is "${missing:-}" "" "the image holds the tree, the config and the container description"
is "$(jq -r .id "$T/img1/container.json")" "$id" "container.json names the container"

ok "checkpoint (stops the container)" "$BERTH" --root "$R" checkpoint --image-path "$T/img2" $id
like "$("$BERTH" --root "$R" state $id 2>&1)" "does not exist" "the container is removed"
for ((i = 0; i < 1000; i++)); do [ -e /proc/$pid ] || break; sleep 0.02; done
ok "its init is gone" test ! -e /proc/$pid
ok "the image is complete" test -s "$T/img2/inventory.img" -a -s "$T/img2/core-1.img"

# An inotify fd in the container: the checkpoint names it and changes nothing.
make_bundle "$T/b2" /holder inotify
cp "$BUILD/tests/cr/progs/holder-static" "$T/b2/rootfs/holder"
(cd "$T/b2" && "$BERTH" --root "$R" run -d $id-ino </dev/null >"$T/log2" 2>&1)
for ((i = 0; i < 1000; i++)); do [ "$(wc -l <"$T/log2")" -ge 5 ] && break; sleep 0.02; done
msg=$("$BERTH" --root "$R" checkpoint --image-path "$T/img3" $id-ino 2>&1)
like "$msg" "^berth: checkpoint \`$id-ino\`: checkpoint process [0-9]+: process [0-9]+: fd 3 \\(anon_inode:inotify\\): unsupported resource$" \
	"inotify fd: named error"
is "$("$BERTH" --root "$R" state $id-ino | jq -r .status)" running "the container runs on (not frozen)"
n=$(wc -l <"$T/log2")
for ((i = 0; i < 1000; i++)); do [ "$(wc -l <"$T/log2")" -ge $((n + 5)) ] && break; sleep 0.02; done
ok "and keeps counting" test "$(wc -l <"$T/log2")" -ge $((n + 5))

like "$("$BERTH" --root "$R" checkpoint --image-path "$T/img4" bt-cr-none 2>&1)" \
	"^berth: checkpoint: container \`?\"?bt-cr-none\`?\"? does not exist" "unknown ID: error"
