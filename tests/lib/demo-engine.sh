#!/bin/bash
# make demo, the engine part: berthctl runs the embedded default image
# (busybox) with --rm, printing from inside the container, then a detached
# container with logs, exec, ps, stop and rm.  Everything lives in a temp
# root; the demo's bridge and addresses (198.19.250.0/24) go away at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${O:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
"$top/ci/deps" test
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
br=berth-demo$((RANDOM % 1000))
B() { "$build/bin/berthctl" --root "$work/root" --runroot "$work/run" --cni-config-dir "$work/cni" "$@"; }
finish() {
	for c in $(B ps -aq 2>/dev/null); do B rm -f "$c" >/dev/null 2>&1 || true; done
	ip link del "$br" 2>/dev/null || true
	rm -rf "$work"
}
trap finish EXIT
mkdir -p "$work/cni"
cat > "$work/cni/10-berth.conflist" <<J
{"cniVersion": "1.0.0", "name": "berth", "plugins": [
 {"type": "berth-bridge", "bridge": "$br", "isGateway": true, "ipMasq": false,
  "ipam": {"type": "berth-ipam", "ranges": [[{"subnet": "198.19.250.0/24"}]], "dataDir": "$work/ipam"}}]}
J
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say berthctl run --rm busybox sh -c '...'
B run --rm --hostname berth-demo busybox sh -c \
	'echo "hello from inside: hostname $(hostname), pid $$, address $(ip -4 -o addr show eth0 | awk "{print \$4}")"'

say berthctl run -d --name web busybox httpd -f -p 8080 -h /etc
B run -d --name web busybox sh -c 'echo "web: serving /etc on :8080"; exec httpd -f -v -p 8080 -h /etc'
sleep 0.5
say berthctl ps
B ps
say berthctl exec web sh -c 'wget -q -O - http://127.0.0.1:8080/passwd | head -1; ps -o pid,comm'
B exec web sh -c 'wget -q -O - http://127.0.0.1:8080/passwd | head -1; ps -o pid,comm'
say berthctl logs web
B logs web
say berthctl stop -t 1 web '&&' berthctl rm web
B stop -t 1 web
B rm web >/dev/null
B ps -a
