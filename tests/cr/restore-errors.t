#!/bin/bash
# berth restore with bad input: a truncated or corrupted image, an image of a
# newer format, an ID that exists, a bundle without its rootfs, the image of
# a process that was not a container's init.  Each is one error line naming
# the cause, exit 1, and nothing is left (also when the engine fails inside
# the new container): no state directory, no cgroup, no
# process, no mount; a running container of that ID is not touched.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/wait.sh"
need_root
plan 19

T=$(tap_tmpdir)
R=$T/root
id=bt-cr-rerr
new=bt-cr-rerr-new
defer "'$BERTH' --root '$R' delete -f $id"
defer "'$BERTH' --root '$R' delete -f $new"
B() { "$BERTH" --root "$R" "$@"; }

make_bundle "$T/b" /counter
cp "$BUILD/tests/cr/progs/counter-static" "$T/b/rootfs/counter"
(cd "$T/b" && B run -d $id </dev/null >"$T/log" 2>&1)
wait_lines "$T/log" 3
pid=$(B state $id | jq .pid)
B checkpoint --leave-running --image-path "$T/img" $id

# restore_fails NAME RE [ARGS...]: restore $new from $T/bad fails with one line matching RE.
restore_fails() {
	local name=$1 re=$2 msg rc
	shift 2
	msg=$(B restore -d --image-path "$T/bad" "$@" $new 2>&1)
	rc=$?
	like "$rc $(echo "$msg" | wc -l) $msg" "^1 1 berth: restore( \`$new\`)?: $re" "$name: error"
	ok "$name: no state, cgroup, process or mount left" test ! -e "$R/$new" -a \
		! -e "/sys/fs/cgroup/memory/berth/$new" -a ! -e "/sys/fs/cgroup/pids/berth/$new" -a \
		"$(grep -c "$T" /proc/self/mountinfo)" = 0 -a -z "$(pgrep -f "^/counter" | grep -vx "$pid")"
}

cp -a "$T/img" "$T/bad"
size=$(stat -c %s "$T/bad/pages-1.img")
truncate -s $((size - 100)) "$T/bad/pages-1.img"
restore_fails "truncated page file" "image \`$T/bad\`: image file \`pages-1.img\`: truncated"

rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
flip_byte "$T/bad/pages-1.img" $((size / 2))
restore_fails "corrupted page file" \
	"image \`$T/bad\`: image file \`pages-1.img\`: record [0-9]+: (header )?checksum mismatch"

rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
flip_byte "$T/bad/core-1.img" 100
restore_fails "corrupted core file" \
	"image \`$T/bad\`: image file \`core-1.img\`: record [0-9]+: (header )?checksum mismatch"

rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
"$BUILD/tests/cr/progs/crtool" set-version "$T/bad/inventory.img" 2
restore_fails "newer format version" \
	"image \`$T/bad\`: image file \`inventory.img\`: format version 2 is newer than this berth supports \\(1\\)"

rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
rm "$T/bad/inventory.img"
restore_fails "incomplete image (no inventory)" \
	"image \`$T/bad\`: open image file \`inventory.img\`: No such file or directory"

# A good image but a bundle without its rootfs.
rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
mkdir "$T/b2" && cp "$T/b/config.json" "$T/b2/"
restore_fails "missing rootfs" "create \`$new\`: rootfs \`$T/b2/rootfs\`: No such file or directory" \
	--bundle "$T/b2"

# The rootfs lacks the program the image maps: the engine fails inside the
# new container, which is removed again.
rm -rf "$T/bad" && cp -a "$T/img" "$T/bad"
cp -a "$T/b" "$T/b3" && rm "$T/b3/rootfs/counter"
restore_fails "a mapped file missing in the rootfs" \
	"restore from \`$T/bad\`: process 1: open \`/counter\`: No such file or directory" --bundle "$T/b3"

# The image of a plain process (not pid 1 of a pid namespace).
"$BUILD/tests/cr/progs/counter" >"$T/plain.out" &
plain=$!
defer "kill -9 $plain 2>/dev/null"
wait_lines "$T/plain.out" 3
rm -rf "$T/bad"
"$BUILD/tests/cr/progs/crtool" dump $plain "$T/bad" --leave-running >/dev/null
restore_fails "image of a process that was no container init" \
	"image \`$T/bad\`: its root process has pid $plain, not 1: not the image of a container with its own pid namespace" \
	--bundle "$T/b"
kill -9 $plain; wait $plain 2>/dev/null

# Over an existing ID: refused, the running container is untouched.
msg=$(B restore -d --image-path "$T/img" $id 2>&1)
like "$? $msg" "^1 berth: restore: create \`$id\`: container \`$id\` already exists$" \
	"restore over an existing ID: error"
is "$(B state $id | jq -r .status) $(B state $id | jq .pid)" "running $pid" \
	"the existing container runs on, the same init"
n=$(wc -l <"$T/log")
wait_lines "$T/log" $((n + 5))
ok "and keeps counting" test "$(wc -l <"$T/log")" -ge $((n + 5))
