#!/bin/bash
# The CVE-2019-5736 class: a container cannot get the berth binary executed
# inside it — not as its program, not through "#!" lines (also chained), not
# through exec — each refused with one line, nothing left, and the binary on
# the host unchanged.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
security_setup exeguard
plan 11

sum_before=$(sha256sum < "$BERTH")

run_with '.process.args = ["/proc/self/exe", "--version"]' 'unused'
isnt "$rc" 0 "program /proc/self/exe is refused"
like "$out" '^berth: create `bt-security-exeguard-1`: refusing to execute the berth binary in the container \(the process executable\)$' \
	"one line saying why"

# run_script CONTENT...: each CONTENT becomes /sN in the rootfs (s1 is the program).
run_script() {
	sec_n=$((sec_n + 1))
	id=$sec_prefix-$sec_n
	security_bundle "$tmp/b$sec_n" '.process.args = ["/s1"]' 'unused' || return 1
	local i=1 c
	for c in "$@"; do
		printf '%s\n' "$c" > "$tmp/b$sec_n/rootfs/s$i" && chmod 755 "$tmp/b$sec_n/rootfs/s$i"
		i=$((i + 1))
	done
	defer "'$BERTH' --root '$root' delete --force $id"
	out=$(cd "$tmp/b$sec_n" && "$BERTH" --root "$root" run "$id" 2>&1)
	rc=$?
}

run_script '#!/proc/self/exe'
isnt "$rc" 0 "script with #!/proc/self/exe is refused"
like "$out" 'refusing to execute the berth binary in the container \(/proc/self/exe\)$' "naming the interpreter"

run_script '#!/s2 -x' '#! /s3' '#!/proc/self/exe'
isnt "$rc" 0 "a chain of three scripts ending in /proc/self/exe is refused"

run_script $'#!/bin/sh\necho script ran'
is "$out" "script ran" "an ordinary script still runs"
is "$rc" 0 "with status 0"

# exec into a running container.
sec_n=$((sec_n + 1))
id=$sec_prefix-$sec_n
security_bundle "$tmp/b$sec_n" '.' 'sleep 60' || exit 1
defer "'$BERTH' --root '$root' delete --force $id"
(cd "$tmp/b$sec_n" && "$BERTH" --root "$root" run --detach "$id" </dev/null >/dev/null 2>&1)
out=$("$BERTH" --root "$root" exec "$id" /proc/self/exe --version 2>&1)
isnt "$?" 0 "exec of /proc/self/exe is refused"
like "$out" 'refusing to execute the berth binary in the container' "with the reason"

is "$("$BERTH" --root "$root" list -q | grep -c "^$sec_prefix-[1-4]\$")" 0 "refused containers leave no state"
is "$(sha256sum < "$BERTH")" "$sum_before" "the berth binary is unchanged"
