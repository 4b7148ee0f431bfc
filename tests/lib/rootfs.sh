#!/bin/sh
# rootfs.sh DIR — make a minimal root filesystem from Debian's busybox-static:
# /bin/busybox plus one link per applet, and the usual top-level directories.
# The embedded default image of berth is this tree.
set -eu
dir=${1:?usage: rootfs.sh DIR}
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || { echo "rootfs.sh: \`$bb' not found (install busybox-static)" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys tmp root run var/tmp home
chmod 1777 tmp var/tmp
cp "$bb" bin/busybox
for applet in $("$bb" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$(dirname "$applet")"
	ln -sf /bin/busybox "$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
: > etc/hosts
: > etc/resolv.conf
