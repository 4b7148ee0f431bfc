#!/bin/bash
# make demo: run the embedded default container (busybox from Debian's
# busybox-static) with berth and show that it is isolated.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
"$top/ci/deps" test
. "$top/tests/lib/tap.sh" >/dev/null
trap - EXIT
. "$top/tests/lib/bundle.sh"
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
make_bundle "$work/bundle" sh -c 'echo "hostname: $(hostname)"; echo "my pid: $$"; echo "processes:"; ps -o pid,comm; echo "mounts:"; cut -d" " -f2,3 /proc/mounts'
jq '.hostname = "berth-demo"' "$work/bundle/config.json" > "$work/c.json" && mv "$work/c.json" "$work/bundle/config.json"
echo "host: hostname $(hostname), pid $$, $(wc -l < /proc/self/mounts) mounts, $(ls -d /proc/[0-9]* 2>/dev/null | wc -l) processes"
echo "--- berth run demo (busybox) ---"
"$BERTH" --root "$work/state" run --bundle "$work/bundle" berth-demo-$$
