#!/bin/bash
# `berth update` keeps what earlier updates set: each update changes only the
# fields it names, in the cgroup and in the container's stored config
# (<root>/<id>/config.json, linux.resources), which later verbs read.
. "$(dirname "$0")/../lib/tap.sh"
. "$BERTH_TOP/tests/lib/bundle.sh"
need_root
[ -x "$BERTH" ] || skip_all "no $BERTH (run make)"
command -v jq >/dev/null || skip_all "needs jq"

plan 15

tmp=$(tap_tmpdir)
root=$tmp/root
id=bt-cg-update-$$
b() { "$BERTH" --root "$root" "$@"; }
cgdir() { jq -r --arg n "$1" '.cgroup.dirs[] | select(.name == $n) | .dir' "$root/$id/state.json"; }
stored() { jq -c ".linux.resources$1" "$root/$id/config.json"; }

defer "b delete --force $id"
make_bundle "$tmp/bundle" sleep 1000 >/dev/null 2>&1
ok "run --detach" b run --detach --bundle "$tmp/bundle" "$id"

ok "update --memory 64m" b update --memory 64m "$id"
ok "update --pids-limit 20" b update --pids-limit 20 "$id"
is "$(cat "$(cgdir memory)/memory.limit_in_bytes")" 67108864 "the memory limit of the first update is still in the cgroup"
is "$(cat "$(cgdir pids)/pids.max")" 20 "the pids limit of the second is in the cgroup"
is "$(stored .memory.limit)" 67108864 "the stored config keeps the memory limit"
is "$(stored .pids.limit)" 20 "and has the pids limit"
is "$(b events --stats "$id" | jq -c '.data | {m: .memory.usage.limit, p: .pids.limit}')" \
	'{"m":67108864,"p":20}' "events --stats shows both limits"

# --resources merges too; the flags win over the file field by field.
echo '{"cpu": {"shares": 512, "quota": 20000}}' > "$tmp/res.json"
ok "update --resources FILE --cpu-quota" b update --resources "$tmp/res.json" --cpu-quota 30000 "$id"
is "$(cat "$(cgdir cpu)/cpu.cfs_quota_us")" 30000 "the flag overrides the file in the cgroup"
is "$(stored '.cpu | {shares, quota}')" '{"shares":512,"quota":30000}' "and in the stored config"
is "$(stored '| {m: .memory.limit, p: .pids.limit}')" '{"m":67108864,"p":20}' \
	"the earlier limits are still stored"

# An update the kernel refuses changes nothing stored.
before=$(cat "$root/$id/config.json")
fails "update --cpu-period 10 fails" b update --cpu-period 10 "$id" 2>/dev/null
is "$(cat "$root/$id/config.json")" "$before" "a refused update leaves the stored config as it was"
# The stored config is still one the runtime reads.
is "$(b state "$id" | jq -r .status)" running "state reads the container after the updates"
