# shellcheck shell=bash
# Helpers for the storage tests: a real registry (Debian's docker-registry) on
# 127.0.0.1, OCI layouts built from files on the machine, pushed with skopeo.
# Source tests/lib/tap.sh first.

BERTHCTL=${BERTHCTL:-$BUILD/bin/berthctl}

# need_cmds CMD...: skip the whole test unless every CMD is installed.
need_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip_all "$c not installed (ci/deps test)"
	done
}

# store_scratch: sets $t, a scratch directory removed at exit, and $root, the store in it
# that bctl works on.
store_scratch() {
	t=$(tap_tmpdir)
	root=$t/root
}
bctl() { "$BERTHCTL" --root "$root" "$@"; }

# quiet CMD...: run CMD without output (for `ok`, whose own line must reach stdout).
quiet() { "$@" >/dev/null 2>&1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s).
wait_port() {
	local i
	for i in $(seq 100); do
		python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $1)))" && return 0
		sleep 0.1
	done
	return 1
}

# registry_start DIR [htpasswd-file] [cert key]: start docker-registry with its
# data in DIR; sets REG_PORT and REG_PID (killed by pid at exit).
registry_start() {
	local dir=$1 htpasswd=${2:-} cert=${3:-} key=${4:-}
	REG_PORT=$(free_port)
	mkdir -p "$dir/data"
	{
		echo "version: 0.1"
		echo "log: {level: error, accesslog: {disabled: true}}"
		echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
		echo "http:"
		echo "  addr: 127.0.0.1:$REG_PORT"
		[ -n "$cert" ] && echo "  tls: {certificate: $cert, key: $key}"
		[ -n "$htpasswd" ] && echo "auth: {htpasswd: {realm: berth-test, path: $htpasswd}}"
	} > "$dir/config.yml"
	docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
	REG_PID=$!
	defer "kill $REG_PID; wait $REG_PID"
	wait_port "$REG_PORT"
}

# fakereg_start UPSTREAM-PORT MODEFILE [LOGFILE]: the misbehaving proxy; sets FAKE_PORT, FAKE_PID.
fakereg_start() {
	FAKE_PORT=$(free_port)
	python3 "$BERTH_TOP/tests/storage/fakereg.py" "$FAKE_PORT" "$@" 2>/dev/null &
	FAKE_PID=$!
	defer "kill $FAKE_PID; wait $FAKE_PID"
	wait_port "$FAKE_PORT"
}

_sha() { sha256sum "$1" | cut -d' ' -f1; }

# layout_blob LAYOUT FILE: move FILE into LAYOUT/blobs/sha256, print its digest.
layout_blob() {
	local d
	d=$(_sha "$2")
	mkdir -p "$1/blobs/sha256"
	mv "$2" "$1/blobs/sha256/$d"
	echo "sha256:$d"
}

# make_layout LAYOUT TAG ARCH COMPRESS TREE... — an OCI image layout with one layer per
# TREE (a directory, tarred with owners, modes, xattrs and hard links); COMPRESS is
# gzip, zstd or none.  Prints the manifest digest.
make_layout() {
	local layout=$1 tag=$2 arch=$3 comp=$4; shift 4
	local layers="[]" diffs="[]" t tmp diff dg size mt cfg man
	mkdir -p "$layout"
	tmp=$(mktemp -d /tmp/berth-test.XXXXXX)
	for t in "$@"; do
		# tarred once per tree: the same tree gives the same diff_id in every image
		[ -f "$t.tar" ] || tar --numeric-owner --xattrs --xattrs-include='*' --format=pax \
			-C "$t" -cf "$t.tar" .
		cp "$t.tar" "$tmp/l.tar"
		diff=sha256:$(_sha "$tmp/l.tar")
		case $comp in
		gzip) gzip -n "$tmp/l.tar"; mv "$tmp/l.tar.gz" "$tmp/l"; mt=application/vnd.oci.image.layer.v1.tar+gzip ;;
		zstd) zstd -q --rm "$tmp/l.tar" -o "$tmp/l"; mt=application/vnd.oci.image.layer.v1.tar+zstd ;;
		*) mv "$tmp/l.tar" "$tmp/l"; mt=application/vnd.oci.image.layer.v1.tar ;;
		esac
		size=$(stat -c %s "$tmp/l")
		dg=$(layout_blob "$layout" "$tmp/l")
		layers=$(jq -c --arg d "$dg" --arg m "$mt" --argjson s "$size" '. + [{mediaType: $m, digest: $d, size: $s}]' <<<"$layers")
		diffs=$(jq -c --arg d "$diff" '. + [$d]' <<<"$diffs")
	done
	jq -cn --arg a "$arch" --argjson d "$diffs" '{architecture: $a, os: "linux",
		config: {Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "BERTH_TEST=1"], Cmd: ["sh"],
			WorkingDir: "/", Labels: {"org.test": "yes"}, ExposedPorts: {"80/tcp": {}}},
		rootfs: {type: "layers", diff_ids: $d}}' > "$tmp/c"
	size=$(stat -c %s "$tmp/c")
	cfg=$(layout_blob "$layout" "$tmp/c")
	jq -cn --arg c "$cfg" --argjson s "$size" --argjson l "$layers" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $s},
		layers: $l}' > "$tmp/m"
	size=$(stat -c %s "$tmp/m")
	man=$(layout_blob "$layout" "$tmp/m")
	echo '{"imageLayoutVersion": "1.0.0"}' > "$layout/oci-layout"
	jq -cn --arg m "$man" --argjson s "$size" --arg t "$tag" --arg a "$arch" '{schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m,
			size: $s, platform: {os: "linux", architecture: $a},
			annotations: {"org.opencontainers.image.ref.name": $t}}]}' > "$layout/index.json"
	rm -rf "$tmp"
	echo "$man"
}

# make_index LAYOUT TAG SRC-LAYOUT... — an OCI layout whose TAG is an image index over the
# (single) manifests of the SRC layouts, with their platforms.  Prints the index digest.
make_index() {
	local layout=$1 tag=$2 src ms="[]" tmp size dg
	shift 2
	mkdir -p "$layout/blobs/sha256"
	for src in "$@"; do
		cp -n "$src"/blobs/sha256/* "$layout/blobs/sha256/"
		ms=$(jq -c --argjson m "$(jq -c '.manifests[0] | del(.annotations)' "$src/index.json")" '. + [$m]' <<<"$ms")
	done
	tmp=$(mktemp /tmp/berth-test.XXXXXX)
	jq -cn --argjson m "$ms" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: $m}' > "$tmp"
	size=$(stat -c %s "$tmp")
	dg=$(layout_blob "$layout" "$tmp")
	echo '{"imageLayoutVersion": "1.0.0"}' > "$layout/oci-layout"
	jq -cn --arg d "$dg" --argjson s "$size" --arg t "$tag" '{schemaVersion: 2, manifests: [{
		mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
		annotations: {"org.opencontainers.image.ref.name": $t}}]}' > "$layout/index.json"
	echo "$dg"
}

# push LAYOUT TAG DEST [skopeo args]: push the layout's image to a docker:// destination.
push() {
	local layout=$1 tag=$2 dest=$3; shift 3
	skopeo copy -q --dest-tls-verify=false "$@" "oci:$layout:$tag" "docker://$dest" >/dev/null
}

# busybox_tree DIR: the busybox rootfs of tests/lib/rootfs.sh.
busybox_tree() { "$BERTH_TOP/tests/lib/rootfs.sh" "$1" >/dev/null; }

# special_trees LOWER UPPER: two layers exercising every entry kind and whiteouts.
special_trees() {
	local lo=$1 up=$2
	mkdir -p "$lo/d/sub" "$lo/keep" "$up/d"
	echo gone > "$lo/a"
	echo b > "$lo/b"
	echo x > "$lo/d/x"
	echo y > "$lo/d/sub/y"
	echo link > "$lo/h1" && ln "$lo/h1" "$lo/h2"
	cp /bin/busybox "$lo/suid" && chmod 4755 "$lo/suid"
	mknod "$lo/null" c 1 3
	mkfifo "$lo/fifo"
	echo owned > "$lo/owned" && chown 1234:5678 "$lo/owned"
	echo attr > "$lo/xattr" && setfattr -n user.berth -v works "$lo/xattr"
	ln -s b "$lo/sym"
	touch -d '2001-02-03 04:05:06' "$lo/b"
	# upper: delete a, make d opaque (only z remains), add c
	: > "$up/.wh.a"
	: > "$up/d/.wh..wh..opq"
	echo z > "$up/d/z"
	echo c > "$up/c"
}
