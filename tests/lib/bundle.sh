# shellcheck shell=bash
# make_bundle DIR [ARGS...] — an OCI bundle in DIR: the busybox rootfs (made
# once per build and copied) and the config from `berth spec`, with the
# process args set to ARGS (default: sh).  Needs tap.sh sourced first.
make_bundle() {
	local dir=$1; shift
	local cache=$BUILD/rootfs
	if [ ! -x "$cache/bin/busybox" ]; then
		rm -rf "$cache.tmp" && "$BERTH_TOP/tests/lib/rootfs.sh" "$cache.tmp" >/dev/null &&
			mv "$cache.tmp" "$cache"
	fi
	mkdir -p "$dir"
	cp -a "$cache" "$dir/rootfs"
	(cd "$dir" && "$BERTH" spec) || return 1
	if [ $# -gt 0 ]; then
		local args
		args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
		jq --argjson a "$args" '.process.args = $a | .process.terminal = false' \
			"$dir/config.json" > "$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
	fi
}
