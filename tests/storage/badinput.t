#!/bin/bash
# Bad input for pulls: corrupt blobs, registry errors, dropped connections,
# SIGKILL mid-pull, a full disk, tar entries that try to leave the layer.
# Each: one clear error, a consistent store, and a later pull that completes.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_cmds docker-registry skopeo jq python3
plan 32

store_scratch
registry_start "$t/reg"
reg=127.0.0.1:$REG_PORT
fakereg_start "$REG_PORT" "$t/mode"
fake=127.0.0.1:$FAKE_PORT

# Every blob in the store hashes to its name, no unpack is half done, no name dangles.
store_consistent() {
	local f bad=0
	for f in "$1"/storage/blobs/sha256/*; do
		[ -e "$f" ] || continue
		[ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || bad=1
	done
	[ -z "$(ls -A "$1/storage/layers" | grep '^\.tmp-')" ] || bad=1
	[ ! -f "$1/storage/refs.json" ] || [ "$(jq length "$1/storage/refs.json")" = 0 ] || bad=1
	return $bad
}

mkdir -p "$t/rand"
head -c 600000 /dev/urandom > "$t/rand/blob.bin"
make_layout "$t/randl" r amd64 gzip "$t/rand" >/dev/null
push "$t/randl" r "$reg/rand:1"
layer=$(jq -r '.layers[0].digest' "$t/randl/blobs/sha256/$(jq -r '.manifests[0].digest' "$t/randl/index.json" | cut -d: -f2)")

# --- a blob whose digest does not match ---
echo corrupt > "$t/mode"
out=$(bctl image pull -q "$fake/rand:1" 2>&1); rc=$?
isnt "$rc" 0 "corrupt blob: pull fails"
like "$out" "blob sha256:[0-9a-f]+: digest mismatch: content has sha256:" "corrupt blob: the error names the blob and the mismatch"
is "$(find "$root/storage/blobs/sha256" "$root/storage/tmp" "$root/storage/layers" -mindepth 1 -name '[0-9a-f]*' | grep -vc "$(jq -r .config.digest "$t/randl/blobs/sha256/$(jq -r '.manifests[0].digest' "$t/randl/index.json" | cut -d: -f2)" | cut -d: -f2)")" 0 \
	"corrupt blob: nothing stored (no blob, no partial file, no layer)"

# --- registry answering 401, 404, 500 ---
for code in 401 404 500; do
	echo $code > "$t/mode"
	out=$(bctl image pull -q "$fake/rand:1" 2>&1); rc=$?
	is "$rc" 125 "registry answers $code: engine error exit status"
	case $code in
	401) want="registry $fake: .*401 Unauthorized" ;;
	404) want="registry $fake: manifest \`rand:1\`: 404 not found" ;;
	500) want="registry $fake: manifest \`rand:1\`: HTTP status 500 \(server error\)" ;;
	esac
	like "$out" "^berthctl: pull \`$fake/rand:1\`: $want" "registry answers $code: one clear error line"
done

# --- the connection drops mid-blob; a retry completes ---
echo drop > "$t/mode"
out=$(bctl image pull -q "$fake/rand:1" 2>&1); rc=$?
isnt "$rc" 0 "dropped connection: pull fails"
like "$out" "blob sha256:[0-9a-f]+: .*\(after [0-9]+ of [0-9]+ bytes\)" "dropped connection: the error names the blob and how far it got"
ok "dropped connection: store consistent" store_consistent "$root"
echo ok > "$t/mode"
ok "dropped connection: the next pull completes" quiet bctl image pull "$fake/rand:1"
ok "dropped connection: the image unpacks" quiet bctl image unpack "$fake/rand:1" "$t/b1"
ok "dropped connection: the content is intact" cmp "$t/rand/blob.bin" "$t/b1/rootfs/blob.bin"
bctl image rm "$fake/rand:1" >/dev/null && bctl image prune >/dev/null

# --- SIGKILL mid-pull ---
echo slow > "$t/mode"
bctl image pull -q "$fake/rand:1" >/dev/null 2>&1 &
pid=$!
defer "kill -9 $pid"
for i in $(seq 100); do
	[ -s "$root/storage/tmp/${layer#sha256:}.partial" ] && break
	sleep 0.1
done
sleep 0.5
kill -9 $pid; wait $pid 2>/dev/null
ok "SIGKILL mid-pull: a partial blob was being written" test -s "$root/storage/tmp/${layer#sha256:}.partial"
ok "SIGKILL mid-pull: the layer blob is not visible" test ! -e "$root/storage/blobs/sha256/${layer#sha256:}"
ok "SIGKILL mid-pull: store consistent" store_consistent "$root"
echo ok > "$t/mode"
ok "SIGKILL mid-pull: the next pull completes" quiet bctl image pull "$fake/rand:1"
ok "SIGKILL mid-pull: no partial file left" test -z "$(ls -A "$root/storage/tmp")"
rm -rf "$t/b1"
ok "SIGKILL mid-pull: the image unpacks intact" \
	sh -c "'$BERTHCTL' --root '$root' image unpack '$fake/rand:1' '$t/b1' && cmp '$t/rand/blob.bin' '$t/b1/rootfs/blob.bin'"

# --- a full disk: a small tmpfs as the store ---
small=$t/small
mkdir "$small" && mount -t tmpfs -o size=1m bt-storage-enospc "$small"
defer "umount -l '$small'"
mkdir -p "$t/big"
head -c 1500000 /dev/urandom > "$t/big/blob.bin"
make_layout "$t/bigl" r amd64 gzip "$t/big" >/dev/null
push "$t/bigl" r "$reg/big:1"
out=$("$BERTHCTL" --root "$small" image pull -q "$reg/big:1" 2>&1); rc=$?
isnt "$rc" 0 "full disk (blob): pull fails"
like "$out" "blob sha256:[0-9a-f]+: write .*No space left on device" "full disk (blob): the error names the blob and ENOSPC"
is "$(find "$small/storage/tmp" "$small/storage/layers" -mindepth 1 | wc -l)" 0 "full disk (blob): no partial blob or layer"
mkdir -p "$t/zero"
head -c 3000000 /dev/zero > "$t/zero/zeros"
make_layout "$t/zerol" z amd64 gzip "$t/zero" >/dev/null
push "$t/zerol" z "$reg/zero:1"
out=$("$BERTHCTL" --root "$small" image pull -q "$reg/zero:1" 2>&1); rc=$?
like "$out" "unpack layer sha256:[0-9a-f]+ .*No space left on device" "full disk (layer): the error names the layer and ENOSPC"
is "$(ls -A "$small/storage/layers" | grep -c .)" 0 "full disk (layer): no partial layer"

# --- tar entries that try to leave the layer ---
mkdir -p "$t/outside"
python3 - "$t" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
def mk(name, entries):
    with tarfile.open(f"{t}/{name}.tar", "w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            ti = tarfile.TarInfo(e[0])
            if e[1] == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, e[2]
                tf.addfile(ti)
            else:
                data = b"evil\n"
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
mk("dotdot", [("ok", "f"), ("../../../../../../../../" + t[1:] + "/outside/dotdot", "f")])
mk("abs", [("ok", "f"), (t + "/outside/abs", "f")])
mk("symesc", [("esc", "sym", t + "/outside"), ("esc/symesc", "f")])
mk("symrel", [("a", "sym", "../../../../../../../../" + t[1:] + "/outside"), ("a/symrel", "f")])
PY
for kind in dotdot abs symesc symrel; do
	mkdir -p "$t/ly-$kind"
	# a layout whose layer is the hand-made tar
	mkdir -p "$t/tr-$kind" && tar -C "$t/tr-$kind" -xf /dev/null 2>/dev/null
	cp "$t/$kind.tar" "$t/tr-$kind.tar"
	make_layout "$t/ly-$kind" e amd64 none "$t/tr-$kind" >/dev/null
	push "$t/ly-$kind" e "$reg/evil:$kind"
	out=$(bctl image pull -q "$reg/evil:$kind" 2>&1); rc=$?
	case $kind in
	dotdot) want="entry \`[^\`]*\.\./[^\`]*\`: \`\.\.\` refused" ;;
	abs) want="entry \`/[^\`]*\`: absolute path refused" ;;
	sym*) want="entry \`[^\`]*\`: path leads outside the layer \(through a symlink\) refused" ;;
	esac
	like "$out" "unpack layer sha256:[0-9a-f]+ .*$want" "tar with $kind entry: refused with a clear error"
done
is "$(ls -A "$t/outside" | wc -l)" 0 "nothing was written outside the layer"
is "$(ls -A "$root/storage/layers" | grep -c '^\.tmp-')" 0 "refused layers leave no partial layer dir"
