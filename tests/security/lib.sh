# shellcheck shell=bash
# Helpers for the security shell tests.  Source after tests/lib/tap.sh.
. "$BERTH_TOP/tests/lib/bundle.sh"

# security_setup NAME: needs root and jq; a scratch dir ($tmp), a state root
# ($root) and the container ID prefix bt-security-NAME-.
security_setup() {
	need_root
	command -v jq >/dev/null || skip_all "needs jq"
	tmp=$(tap_tmpdir)
	root=$tmp/state
	sec_prefix=bt-security-$1
	sec_n=0
}

# security_bundle DIR JQ_FILTER SCRIPT: a busybox bundle running `sh -c SCRIPT`
# with a writable root and no cgroup mount (these tests are about the process,
# not the cgroups), its config.json passed through JQ_FILTER.
security_bundle() {
	make_bundle "$1" sh -c "$3" || return 1
	jq '.root.readonly = false | .mounts |= map(select(.type != "cgroup")) | '"$2" \
		"$1/config.json" > "$1/c.json" && mv "$1/c.json" "$1/config.json"
}

# run_with JQ_FILTER SCRIPT: `berth run` SCRIPT in a fresh container; sets $out
# (stdout and stderr), $rc and $id; the container is deleted at exit.
run_with() {
	sec_n=$((sec_n + 1))
	id=$sec_prefix-$sec_n
	security_bundle "$tmp/b$sec_n" "$1" "$2" || return 1
	defer "'$BERTH' --root '$root' delete --force $id"
	out=$(cd "$tmp/b$sec_n" && "$BERTH" --root "$root" run "$id" 2>&1)
	rc=$?
}
