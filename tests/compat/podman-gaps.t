#!/bin/bash
# podman features berth once lacked (also passes with runc:
# COMPAT_RUNTIME=/usr/sbin/runc): tmpcopyup, device fileMode with the file
# type bits, create + start in a user namespace.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 9

compat_podman_setup
compat_rootfs "$tmp/rootfs"
tar -C "$tmp/rootfs" --numeric-owner -cf "$tmp/busybox.tar" .
quiet() { "$@" > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err" >&2; return 1; }; }
ok "the busybox image is imported" quiet p import --change CMD=sh "$tmp/busybox.tar" $img

# --read-only: podman mounts tmpfs on /tmp, /run and /var/tmp with the
# `tmpcopyup` option (copy the image's files into the new tmpfs).
out=$(p run --rm "${run_opts[@]}" --read-only $img \
	sh -c 'touch /x 2>&1; touch /tmp/x && echo tmp-writable; grep -c " /tmp tmpfs " /proc/mounts' \
	2> "$tmp/err")
is "$out" "touch: /x: Read-only file system
tmp-writable
1" "run --read-only: read-only root, tmpfs /tmp (tmpcopyup)"
[ -s "$tmp/err" ] && diag "$(cat "$tmp/err")"

# --privileged: every host device, with linux.devices[].fileMode carrying the
# file type bits (S_IFCHR|0644 = 8612), as podman writes it.
out=$(p run --rm "${run_opts[@]}" --privileged $img sh -c 'test -c /dev/null && ls /dev | wc -l' \
	2> "$tmp/err")
ok "run --privileged: the host's devices" test "${out:-0}" -gt 20
[ -s "$tmp/err" ] && diag "$(cat "$tmp/err")"

# A user namespace: podman creates, then starts; the container must survive
# between the two.
out=$(p run --rm "${run_opts[@]}" --uidmap 0:100000:65536 --gidmap 0:100000:65536 $img \
	sh -c 'cat /proc/self/uid_map; id -u' 2> "$tmp/err")
is "$(echo $out)" "0 100000 65536 0" "run --uidmap: root in the container is 100000 outside"
[ -s "$tmp/err" ] && diag "$(cat "$tmp/err")"
id=$(p run -d "${run_opts[@]}" --uidmap 0:100000:65536 --gidmap 0:100000:65536 $img sleep 1000 \
	2> "$tmp/err")
pid=$(p inspect --format '{{.State.Pid}}' "${id:-none}" 2> /dev/null)
ok "run -d --uidmap: the container runs" compat_alive "$pid"
[ -s "$tmp/err" ] && diag "$(cat "$tmp/err")"
is "$(awk '/^Uid:/ {print $2}' /proc/"${pid:-0}"/status 2> /dev/null)" 100000 "run -d --uidmap: as uid 100000"
# kill first and let conmon's cleanup finish (see compat_settle), then remove.
ok "kill" quiet p kill "${id:-none}"
ok "conmon's cleanup finished" compat_settle "$id"
ok "rm -f" quiet p rm -f -t 0 "${id:-none}"
