#!/bin/bash
# `berth features`: valid JSON with the runtime-spec features.md keys, the
# seccomp section matching this kernel, and clear errors for bad arguments.
. "$(dirname "$0")/../lib/tap.sh"
command -v jq >/dev/null || skip_all "needs jq"
plan 12

out=$("$BERTH" features)
ok "berth features exits 0" test $? = 0
valid_json() { jq -e . >/dev/null <<<"$1"; }
ok "output is valid JSON" valid_json "$out"
is "$(jq -r '[.ociVersionMin, .ociVersionMax] | join(" ")' <<<"$out")" "1.0.0 1.2.0" "OCI versions"
is "$(jq -c '.hooks' <<<"$out")" \
	'["prestart","createRuntime","createContainer","startContainer","poststart","poststop"]' "hooks"
is "$(jq -r '.linux | keys | join(",")' <<<"$out")" \
	"apparmor,capabilities,cgroup,intelRdt,mountExtensions,namespaces,seccomp,selinux" "linux keys"
is "$(jq -c '.linux.capabilities | [length, .[0], .[40]]' <<<"$out")" \
	'[41,"CAP_CHOWN","CAP_CHECKPOINT_RESTORE"]' "every known capability is listed"
is "$(jq -c '.linux.cgroup | [.v1, .v2, .systemd]' <<<"$out")" '[true,true,false]' "cgroup v1 and v2, no systemd"
is "$(jq -c '[.linux.apparmor.enabled, .linux.selinux.enabled, .linux.intelRdt.enabled]' <<<"$out")" \
	'[false,false,false]' "apparmor, selinux, intelRdt disabled"
is "$(jq -c '.linux.seccomp | [.enabled, (.actions | length), (.operators | length)]' <<<"$out")" \
	'[true,9,7]' "seccomp enabled with every action and operator"
# This kernel (6.18) accepts every flag the spec knows.
is "$(jq -c '.linux.seccomp | [.knownFlags == .supportedFlags, (.archs | index("SCMP_ARCH_X86_64") != null)]' \
	<<<"$out")" '[true,true]' "supported seccomp flags and archs"

err=$("$BERTH" features extra 2>&1 >/dev/null)
rc=$?
isnt "$rc" 0 "an extra argument fails"
is "$err" 'berth: features: unexpected argument "extra"' "one clear error line"
