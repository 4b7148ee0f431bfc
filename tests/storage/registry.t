#!/bin/bash
# berthctl image against a real registry (Debian's docker-registry on 127.0.0.1,
# images pushed with skopeo): pull, layers on disk, unpack to a bundle that runs,
# overlay roots, names, concurrency, platforms, imports.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_cmds docker-registry skopeo jq setfattr zstd python3
plan 53

store_scratch
registry_start "$t/reg"
reg=127.0.0.1:$REG_PORT

busybox_tree "$t/bb"
make_layout "$t/bbl" bb amd64 gzip "$t/bb" >/dev/null
push "$t/bbl" bb "$reg/img:1"
mkdir "$t/lo" "$t/up"
special_trees "$t/lo" "$t/up"
make_layout "$t/spz" sp amd64 zstd "$t/lo" "$t/up" >/dev/null
push "$t/spz" sp "$reg/special:zstd"
make_layout "$t/spg" sp amd64 gzip "$t/lo" "$t/up" >/dev/null
push "$t/spg" sp "$reg/special:gzip"

# --- pull, the done test: pull, unpack, run the bundle ---
id=$(bctl image pull -q "$reg/img:1")
like "$id" '^sha256:[0-9a-f]{64}$' "pull prints the image ID"
is "$(bctl image ls --format json | jq -r '.[].name')" "$reg/img:1" "ls lists the pulled image by its canonical name"
ok "unpack writes a bundle" bctl image unpack "$reg/img:1" "$t/bundle"
ok "bundle has config.json and rootfs/bin/busybox" test -s "$t/bundle/config.json" -a -x "$t/bundle/rootfs/bin/busybox"
is "$(jq -r '.process.env | join(" ")' "$t/bundle/config.json")" \
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin BERTH_TEST=1" "config.json carries the image Env"
is "$(jq -r '.annotations["org.test"]' "$t/bundle/config.json")" yes "image labels become annotations"
jq '.process.args = ["sh", "-c", "echo from-image; echo pid=$$"]' \
	"$t/bundle/config.json" > "$t/c.json" && mv "$t/c.json" "$t/bundle/config.json"
out=$(cd "$t/bundle" && "$BERTH" --root "$t/state" run bt-storage-reg-$$ 2>&1)
defer "'$BERTH' --root '$t/state' delete -f bt-storage-reg-$$"
like "$out" "from-image" "the unpacked bundle runs (berth run)"
like "$out" "pid=1" "the bundle's process is pid 1 in its own pid namespace"

# --- layers on disk: overlay whiteouts and opaque dirs, one dir per diff_id ---
ok "pull a zstd multi-layer image" quiet bctl image pull -q "$reg/special:zstd"
top=$(jq -r '.rootfs.diff_ids[1]' "$root/storage/blobs/sha256/$(bctl image inspect "$reg/special:zstd" | jq -r '.[0].id' | cut -d: -f2)" | cut -d: -f2)
is "$(stat -c '%F %t,%T' "$root/storage/layers/$top/a")" "character special file 0,0" ".wh.a became an overlay whiteout (char 0/0)"
is "$(getfattr --only-values -n trusted.overlay.opaque "$root/storage/layers/$top/d" 2>/dev/null)" y \
	".wh..wh..opq became trusted.overlay.opaque=y"
ok "no .wh. file is left in the layer" test -z "$(find "$root/storage/layers/$top" -name '.wh.*')"
n_layers=$(ls "$root/storage/layers" | wc -l)
ok "pull the same trees gzip-compressed" quiet bctl image pull -q "$reg/special:gzip"
is "$(ls "$root/storage/layers" | wc -l)" "$n_layers" "same diff_ids: layers unpacked once and shared"

# --- unpack applies the layers: every entry kind kept ---
ok "unpack the multi-layer image" bctl image unpack "$reg/special:gzip" "$t/sp"
r=$t/sp/rootfs
fails "whited-out file is gone" test -e "$r/a"
is "$(ls -A "$r/d")" "z" "opaque dir holds only the upper layer's entries"
is "$(stat -c %i "$r/h1")" "$(stat -c %i "$r/h2")" "hard links share an inode"
is "$(stat -c %a "$r/suid")" 4755 "setuid mode kept"
is "$(stat -c '%F %t,%T' "$r/null")" "character special file 1,3" "device node kept"
is "$(stat -c %F "$r/fifo")" "fifo" "fifo kept"
is "$(stat -c %u:%g "$r/owned")" "1234:5678" "ownership kept"
is "$(getfattr --only-values -n user.berth "$r/xattr" 2>/dev/null)" works "xattr kept"
is "$(readlink "$r/sym")" b "symlink kept"
is "$(stat -c %Y "$r/b")" "$(stat -c %Y "$t/lo/b")" "mtime kept"
is "$(cat "$r/c")" c "upper layer file present"

# --- overlay roots, in-use protection, rm, prune ---
mp=$(bctl image mount "$reg/img:1" bt-storage-reg-c1)
defer "'$BERTHCTL' --root '$root' image umount bt-storage-reg-c1"
ok "image mount: an overlay is mounted" grep -q " $mp rw,.* - overlay " /proc/self/mountinfo
echo hi > "$mp/new-file"
ok "writes land in the container's upper dir" test -f "$root/storage/containers/bt-storage-reg-c1/upper/new-file"
ok "the layer dir is untouched" test ! -e "$root/storage/layers/$(jq -r '.rootfs.diff_ids[0]' "$root/storage/blobs/sha256/$(echo "$id" | cut -d: -f2)" | cut -d: -f2)/new-file"
out=$(bctl image rm "$reg/img:1" 2>&1)
like "$out" "in use by container \`bt-storage-reg-c1\`" "rm of an image in use is refused, naming the container"
ok "image still listed" quiet bctl image inspect "$reg/img:1"
ok "tag adds a name" bctl image tag "$reg/img:1" localhost/other:2
ok "rm of one of two names is allowed while in use" quiet bctl image rm "$reg/img:1"
ok "other name still resolves" quiet bctl image inspect localhost/other:2
ok "rm -f of the last name of an image in use" quiet bctl image rm -f localhost/other:2
is "$(bctl image ls --format json | jq -r '.[] | select(.containers == 1) | (.name // "<none>")')" "<none>" \
	"the image in use stays listed, untagged"
bctl image rm "$reg/special:zstd" "$reg/special:gzip" >/dev/null
bctl image prune >/dev/null
ok "prune keeps the layers a container uses" test -x "$mp/bin/busybox"
is "$(ls "$root/storage/layers" | wc -l)" 1 "prune removed the unused layers only"
ok "image umount" bctl image umount bt-storage-reg-c1
fails "unmounted" grep -q " $mp " /proc/self/mountinfo
bctl image prune >/dev/null
is "$(find "$root/storage/blobs/sha256" "$root/storage/layers" -mindepth 1 | wc -l)" 0 "then prune removed every unreferenced blob and layer"
is "$(ls "$root/storage/locks" | grep -c -- -)" 0 "and their lock files"

# --- two pulls of one image at once: each blob fetched once, both succeed ---
fakereg_start "$REG_PORT" "$t/mode" "$t/access.log"
echo slow > "$t/mode"
bctl image pull -q "127.0.0.1:$FAKE_PORT/img:1" > "$t/p1" 2>&1 &
p1=$!
bctl image pull -q "127.0.0.1:$FAKE_PORT/img:1" > "$t/p2" 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
is "$r1 $r2" "0 0" "two concurrent pulls both succeed"
is "$(grep -c 'GET /v2/img/blobs/' "$t/access.log")" 2 "each blob (config, layer) downloaded once"

# --- platforms: single-platform images, OCI indexes and Docker manifest lists ---
make_layout "$t/arm" arm arm64 gzip "$t/up" >/dev/null
push "$t/arm" arm "$reg/armonly:1"
out=$(bctl image pull -q "$reg/armonly:1" 2>&1)
like "$out" "no manifest for linux/amd64 \(available: linux/arm64\)" "image for another architecture only: clear error"
ok "--platform linux/arm64 pulls it" quiet bctl image pull -q --platform linux/arm64 "$reg/armonly:1"
make_index "$t/armidx" a "$t/arm" >/dev/null
push "$t/armidx" a "$reg/armidx:1" --all
out=$(bctl image pull -q "$reg/armidx:1" 2>&1)
like "$out" "no manifest for linux/amd64 \(available: linux/arm64\)" "index with another architecture only: clear error"
make_layout "$t/amd" amd amd64 gzip "$t/lo" >/dev/null
make_index "$t/multi" m "$t/arm" "$t/amd" >/dev/null
amd_id=$(jq -r .config.digest "$t/amd/blobs/sha256/$(jq -r '.manifests[0].digest' "$t/amd/index.json" | cut -d: -f2)")
arm_id=$(jq -r .config.digest "$t/arm/blobs/sha256/$(jq -r '.manifests[0].digest' "$t/arm/index.json" | cut -d: -f2)")
push "$t/multi" m "$reg/multi:oci" --all
is "$(bctl image pull -q "$reg/multi:oci")" "$amd_id" "OCI index: linux/amd64 chosen by default"
is "$(bctl image pull -q --platform linux/arm64 "$reg/multi:oci")" "$arm_id" "OCI index: --platform linux/arm64 chosen"
push "$t/multi" m "$reg/multi:docker" --all --format v2s2
is "$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
	"http://$reg/v2/multi/manifests/docker" | jq -r .mediaType)" \
	application/vnd.docker.distribution.manifest.list.v2+json "the registry holds a Docker manifest list"
id=$(bctl image pull -q "$reg/multi:docker")
is "$(bctl image inspect "$reg/multi:docker" | jq -r '.[0].config.architecture')" amd64 \
	"Docker manifest list + schema 2 manifests: linux/amd64 pulled"
digest=$(bctl image inspect "$reg/multi:docker" | jq -r '.[0].digest')
ok "pull by digest (name@sha256:...)" quiet bctl image pull "$reg/multi@$digest"
is "$(bctl image inspect "$reg/multi@$digest" | jq -r '.[0].id')" "$id" "the digest reference names the same image"
