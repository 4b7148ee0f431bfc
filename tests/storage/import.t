#!/bin/bash
# Imports (OCI layout directory, oci-archive, docker-archive) and the embedded
# default image (busybox-static, no network).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_cmds skopeo jq
plan 16

store_scratch
mkdir "$t/lo" "$t/up"
special_trees "$t/lo" "$t/up"
make_layout "$t/lay" v1 amd64 gzip "$t/lo" "$t/up" >/dev/null

# --- OCI layout directory ---
out=$(bctl image import "$t/lay" 2>&1)
like "$out" "^berthctl: import \`$t/lay\`: the layout records no image name: give NAME$" \
	"layout with a bare tag and no NAME: clear error"
ok "import an OCI layout directory" quiet bctl image import "$t/lay" localhost/lay:v1
ok "the imported image unpacks with its whiteouts applied" \
	sh -c "'$BERTHCTL' --root '$root' image unpack localhost/lay:v1 '$t/b1' && test ! -e '$t/b1/rootfs/a' && test \"\$(ls '$t/b1/rootfs/d')\" = z"

# --- oci-archive ---
tar -C "$t/lay" -cf "$t/lay.tar" .
ok "import an oci-archive" quiet bctl image import --format oci-archive "$t/lay.tar" localhost/arch:v1
is "$(bctl image inspect localhost/arch:v1 | jq -r '.[0].id')" \
	"$(bctl image inspect localhost/lay:v1 | jq -r '.[0].id')" "oci-archive gives the same image ID"

# --- docker-archive (docker save format, written by skopeo) ---
skopeo copy -q "oci:$t/lay:v1" "docker-archive:$t/docker.tar:localhost/dock:v1" >/dev/null
ok "import a docker-archive" quiet bctl image import --format docker-archive "$t/docker.tar"
is "$(bctl image ls --format json | jq -r '.[].name' | grep dock)" "localhost/dock:v1" \
	"docker-archive: named after its RepoTags"
ok "docker-archive image unpacks" \
	sh -c "'$BERTHCTL' --root '$root' image unpack localhost/dock:v1 '$t/b2' && test -u '$t/b2/rootfs/suid' && cmp '$t/lo/b' '$t/b2/rootfs/b'"
out=$(bctl image import --format docker-archive "$t/lay.tar" x/y:1 2>&1)
like "$out" "import \`$t/lay.tar\`: open \`manifest.json\`: No such file or directory" \
	"an OCI archive given as docker-archive: clear error"
out=$(bctl image import "$t/missing" 2>&1)
like "$out" "^berthctl: import \`$t/missing\`: No such file or directory$" "missing path: clear error"

# --- the embedded default image: no network ---
ok "unpack busybox builds the default image locally" quiet bctl image unpack busybox "$t/bb"
is "$(bctl image ls --format json | jq -r '.[] | select(.name == "docker.io/library/busybox:latest") | .name')" \
	docker.io/library/busybox:latest "the default image is named busybox"
jq '.process.args = ["sh", "-c", "echo default-image-ok"]' "$t/bb/config.json" > "$t/c.json" &&
	mv "$t/c.json" "$t/bb/config.json"
out=$(cd "$t/bb" && "$BERTH" --root "$t/state" run bt-storage-imp-$$ 2>&1)
defer "'$BERTH' --root '$t/state' delete -f bt-storage-imp-$$"
is "$out" default-image-ok "the default image runs"
id1=$(bctl image inspect busybox | jq -r '.[0].id')
root2=$t/root2
"$BERTHCTL" --root "$root2" image unpack busybox "$t/bb2" >/dev/null 2>&1
is "$("$BERTHCTL" --root "$root2" image inspect busybox | jq -r '.[0].id')" "$id1" \
	"the default image has the same ID in every store"
mp=$(bctl image mount busybox bt-storage-imp-c1)
defer "'$BERTHCTL' --root '$root' image umount bt-storage-imp-c1"
ok "an overlay root of the default image" test -x "$mp/bin/busybox"
out=$(bctl image mount busybox bt-storage-imp-c1 2>&1)
like "$out" "container \`bt-storage-imp-c1\`: root filesystem exists" "a second root for one ID: clear error"
