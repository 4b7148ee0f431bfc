#!/bin/bash
# process.capabilities in real busybox containers: the five sets as
# /proc/self/status shows them inside, for root and for an unprivileged user
# (ambient capabilities), the effect of a dropped capability, and errors.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
security_setup caps
plan 19

caps_lines='grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status | tr -d "\t" | tr "\n" " "'
# CAP_CHOWN 0, CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_NET_RAW 13
sets='{bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
	effective: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
	permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
	inheritable: ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
	ambient: ["CAP_NET_BIND_SERVICE"]}'

# 1. root.  execve as uid 0 recomputes permitted = effective = inheritable | bounding;
#    with no_new_privs the kernel keeps that within the configured permitted set.
#    (Both as runc does on this kernel.)
run_with ".process.user = {uid: 0, gid: 0} | .process.noNewPrivileges = true | .process.capabilities = $sets" \
	"$caps_lines"
is "$rc" 0 "root container with five capability sets runs"
is "$out" "CapInh:0000000000002400 CapPrm:0000000000000421 CapEff:0000000000000421 CapBnd:0000000000002421 CapAmb:0000000000000400 " \
	"uid 0 with no_new_privs: exactly the configured sets"
run_with ".process.user = {uid: 0, gid: 0} | .process.noNewPrivileges = false | .process.capabilities = $sets" \
	"$caps_lines"
is "$out" "CapInh:0000000000002400 CapPrm:0000000000002421 CapEff:0000000000002421 CapBnd:0000000000002421 CapAmb:0000000000000400 " \
	"uid 0 without no_new_privs: permitted/effective are inheritable | bounding"

# 2. unprivileged user: only the ambient set carries over execve.
run_with ".process.user = {uid: 1000, gid: 1000} | .process.capabilities = $sets" "id -u; $caps_lines"
is "$rc" 0 "uid 1000 container runs"
is "$out" "1000
CapInh:0000000000002400 CapPrm:0000000000000400 CapEff:0000000000000400 CapBnd:0000000000002421 CapAmb:0000000000000400 " \
	"uid 1000: ambient CAP_NET_BIND_SERVICE is permitted and effective"

# 3. A dropped capability has its effect: root without CAP_CHOWN cannot chown.
run_with '.process.user = {uid: 0, gid: 0} | .process.capabilities = {bounding: ["CAP_KILL"],
	effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}' \
	'touch /f; chown 1:1 /f 2>&1; echo "chown=$?"'
like "$out" 'chown=1' "without CAP_CHOWN chown fails"
like "$out" 'Operation not permitted' "with EPERM"
run_with '.process.user = {uid: 0, gid: 0} | .process.capabilities = {bounding: ["CAP_CHOWN"],
	effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]}' \
	'touch /f; chown 1:1 /f 2>&1; echo "chown=$?"; stat -c %u /f'
is "$out" "chown=0
1" "with CAP_CHOWN chown works"

# 4. Errors.
run_with '.process.capabilities = {bounding: ["CAP_KILL", "CAP_WIZARDRY"]}' 'true'
isnt "$rc" 0 "unknown capability fails run"
like "$out" '^berth: .*process\.capabilities\.bounding\[1\]: unknown capability "CAP_WIZARDRY"$' \
	"one line naming the set and the capability"
run_with '.process.capabilities = {effective: "CAP_KILL"}' 'true'
like "$out" 'process\.capabilities\.effective: expected an array of strings' "wrong type named"

# 4b. Capabilities newer than the kernel: a kernel whose last capability is
#     CAP_PERFMON (38) is shown to berth by a private mount over
#     /proc/sys/kernel/cap_last_cap (gone with the mount namespace).  CAP_BPF
#     and CAP_CHECKPOINT_RESTORE are then ignored with one warning, on stderr
#     and in --log, and the container runs without them.
sec_n=$((sec_n + 1))
id=$sec_prefix-$sec_n
security_bundle "$tmp/b$sec_n" '.process.user = {uid: 0, gid: 0} | .process.capabilities =
	{bounding: ["CAP_KILL", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"], effective: ["CAP_KILL", "CAP_BPF"],
	permitted: ["CAP_KILL", "CAP_BPF"]}' "$caps_lines" || exit 1
defer "'$BERTH' --root '$root' delete --force $id"
echo 38 > "$tmp/cap_last_cap"
unshare -m --propagation private sh -c 'mount --bind "$1" /proc/sys/kernel/cap_last_cap &&
	cd "$2" && exec "$3" --root "$4" --log "$5" --log-format json run "$6" 2>"$7"' \
	sh "$tmp/cap_last_cap" "$tmp/b$sec_n" "$BERTH" "$root" "$tmp/newcaps.log" "$id" \
	"$tmp/newcaps.err" >"$tmp/newcaps.out"
is "$?" 0 "capabilities newer than the kernel: the container runs"
is "$(cat "$tmp/newcaps.err")" "berth: warning: ignoring capabilities this kernel does not know (last is CAP_PERFMON): CAP_BPF CAP_CHECKPOINT_RESTORE" \
	"one warning line naming them"
is "$(cat "$tmp/newcaps.out")" "CapInh:0000000000000000 CapPrm:0000000000000020 CapEff:0000000000000020 CapBnd:0000000000000020 CapAmb:0000000000000000 " \
	"the container has only CAP_KILL"
is "$(jq -r 'select(.level == "warning") | .msg' "$tmp/newcaps.log")" \
	"ignoring capabilities this kernel does not know (last is CAP_PERFMON): CAP_BPF CAP_CHECKPOINT_RESTORE" \
	"the warning is in --log as JSON"

# 5. exec --cap: added to bounding, effective and permitted, never inheritable
#    (CVE-2022-29162).  The default spec's sets: AUDIT_WRITE, KILL, NET_BIND_SERVICE.
sec_n=$((sec_n + 1))
id=$sec_prefix-$sec_n
security_bundle "$tmp/b$sec_n" '.' 'sleep 60' || exit 1
defer "'$BERTH' --root '$root' delete --force $id"
(cd "$tmp/b$sec_n" && "$BERTH" --root "$root" run --detach "$id" </dev/null >/dev/null 2>&1)
is "$?" 0 "detached container for exec"
out=$("$BERTH" --root "$root" exec "$id" sh -c "$caps_lines" 2>&1)
is "$out" "CapInh:0000000000000000 CapPrm:0000000020000420 CapEff:0000000020000420 CapBnd:0000000020000420 CapAmb:0000000000000000 " \
	"exec gets the container process's sets"
out=$("$BERTH" --root "$root" exec --cap CAP_SYS_TIME "$id" sh -c "$caps_lines" 2>&1)
is "$out" "CapInh:0000000000000000 CapPrm:0000000022000420 CapEff:0000000022000420 CapBnd:0000000022000420 CapAmb:0000000000000000 " \
	"exec --cap CAP_SYS_TIME: bounding, permitted, effective; not inheritable"
out=$("$BERTH" --root "$root" exec --cap CAP_BOGUS "$id" true 2>&1)
like "$out" '^berth: .*--cap: unknown capability "CAP_BOGUS"$' "exec --cap with an unknown name: one line"
