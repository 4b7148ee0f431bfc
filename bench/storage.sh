#!/bin/bash
# bench/storage.sh — berth's image storage side by side with its peers, one run:
#   1. unpack of a multi-layer image (>= 200 MB) to an OCI bundle: berth vs `umoci unpack`
#   2. a container root from a cached image (overlay mounted, config.json written):
#      median over N, in-process (what berthctl run pays) and through `berthctl image mount`
#   3. pull from a loopback registry (Debian's docker-registry): berth vs `skopeo copy`
#      to an OCI layout (berth also unpacks the layers; skopeo only stores blobs)
# Prints the times and the ratios.  Needs root, umoci, skopeo, docker-registry
# (ci/deps all).  Environment: BERTHCTL, N (roots, default 50).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/tap.sh" >/dev/null
. "$top/tests/storage/lib.sh"
N=${N:-50}
for c in umoci skopeo docker-registry gcc; do
	command -v $c >/dev/null || { echo "bench/storage.sh: $c not installed (ci/deps all)" >&2; exit 1; }
done
w=$(tap_tmpdir)
ms() { echo "scale=1; ($2 - $1) / 1000000" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }

# --- the image: three gzip layers of files from this machine, the third deletes a dir ---
echo "building the image..."
mkdir -p "$w/l1" "$w/l2" "$w/l3/usr/include"
tar -C / -cf "$w/l1.tar" usr/include
tar -C / -cf "$w/l2.tar" usr/share/locale usr/share/man
mkdir -p "$w/l3/usr/share" "$w/l3/usr/lib"
cp -a /usr/share/perl /usr/lib/python3 "$w/l3/usr/share/" 2>/dev/null || true
: > "$w/l3/usr/include/.wh.linux"
tar -C "$w/l3" -cf "$w/l3.tar" .
make_layout "$w/lay" big amd64 gzip "$w/l1" "$w/l2" "$w/l3" >/dev/null
usize=$(( $(stat -c %s "$w/l1.tar") + $(stat -c %s "$w/l2.tar") + $(stat -c %s "$w/l3.tar") ))
csize=$(du -sb "$w/lay/blobs" | cut -f1)
files=$(( $(tar -tf "$w/l1.tar" | wc -l) + $(tar -tf "$w/l2.tar" | wc -l) + $(tar -tf "$w/l3.tar" | wc -l) ))
echo "image: 3 layers, $((usize / 1000000)) MB unpacked, $((csize / 1000000)) MB gzip, $files entries"
cat "$w"/lay/blobs/sha256/* > /dev/null # both read from the page cache
sync

# --- 1. unpack to a bundle ---
"$BERTHCTL" --root "$w/root" image import "$w/lay" localhost/big:1 >/dev/null
# each side's time includes the writeback of what it wrote (sync)
t0=$(date +%s%N)
"$BERTHCTL" --root "$w/root" image unpack localhost/big:1 "$w/b-berth"
sync
t1=$(date +%s%N)
umoci unpack --image "$w/lay:big" "$w/b-umoci" >/dev/null 2>&1
sync
t2=$(date +%s%N)
nb=$(find "$w/b-berth/rootfs" | wc -l); nu=$(find "$w/b-umoci/rootfs" | wc -l)
[ "$nb" = "$nu" ] || echo "warning: berth unpacked $nb entries, umoci $nu" >&2
ub=$(ms $t0 $t1); uu=$(ms $t1 $t2)
rm -rf "$w/b-berth" "$w/b-umoci"

# --- 2. container roots from the cached image ---
gcc -std=gnu11 -D_GNU_SOURCE -O2 -I"$top" -I"$top/runtime" -o "$w/storage-rootfs" \
	"$top/bench/storage-rootfs.c" -Wl,--start-group "$BUILD"/libberth-storage.a "$BUILD"/libberth.a \
	-Wl,--end-group $(pkg-config --libs jansson libarchive libcurl libcrypto)
read -r med p90 min < <("$w/storage-rootfs" "$w/root" localhost/big:1 "$N")
cli=()
for ((i = 0; i < 20; i++)); do
	t0=$(date +%s%N)
	"$BERTHCTL" --root "$w/root" image mount localhost/big:1 bt-bench-cli-$i >/dev/null
	t1=$(date +%s%N)
	"$BERTHCTL" --root "$w/root" image umount bt-bench-cli-$i
	cli+=($(( (t1 - t0) / 1000 )))
done
climed=$(printf '%s\n' "${cli[@]}" | sort -n | sed -n 10p)

# --- 3. pull from a loopback registry ---
registry_start "$w/reg"
push "$w/lay" big "127.0.0.1:$REG_PORT/big:1"
sync
t0=$(date +%s%N)
# progress lines timestamped: the last blob line ends the download phase
"$BERTHCTL" --root "$w/root2" image pull "127.0.0.1:$REG_PORT/big:1" 2>&1 >/dev/null |
	while read -r line; do echo "$(date +%s%N) $line"; done > "$w/pull.log"
sync
t1=$(date +%s%N)
tblobs=$(grep 'Copying blob' "$w/pull.log" | tail -1 | cut -d' ' -f1)
t2=$(date +%s%N)
skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$REG_PORT/big:1" "oci:$w/skopeo:big" >/dev/null
sync
t3=$(date +%s%N)
pb=$(ms $t0 $t1); pbd=$(ms $t0 "$tblobs"); ps=$(ms $t2 $t3)

echo
printf '%-58s %10s %10s %8s\n' "" berth peer "peer/berth"
printf '%-58s %8s ms %8s ms %8s\n' "unpack to an OCI bundle (peer: umoci unpack)" "$ub" "$uu" "$(ratio "$uu" "$ub")x"
printf '%-58s %8s ms %10s\n' "container root, cached image, in-process (median of $N)" "$med" "-"
printf '%-58s %8s ms %10s\n' "  p90 / min" "$p90 / $min" ""
printf '%-58s %8s ms %10s\n' "  through \`berthctl image mount\` (median of 20, CLI)" "$(echo "scale=1; $climed / 1000" | bc)" "-"
printf '%-58s %8s ms %8s ms %8s\n' "pull, blobs fetched+verified (peer: skopeo copy to OCI layout)" "$pbd" "$ps" "$(ratio "$ps" "$pbd")x"
printf '%-58s %8s ms %8s ms %8s\n' "pull, ready to run (berth: + layers unpacked; peer: + umoci unpack)" "$pb" \
	"$(echo "$ps + $uu" | bc)" "$(ratio "$(echo "$ps + $uu" | bc)" "$pb")x"
