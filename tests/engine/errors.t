#!/bin/bash
# Every engine error is one line "berthctl: <context>: <cause>": printed once,
# no context twice (e.g. "network `x`: network `x`"), no program prefix of a
# lower layer inside it ("berth: ", "create: create"), with podman's exit
# code; and nothing is left behind by any of them.
. "$(dirname "$0")/../lib/tap.sh"
need_root
plan 89

T=$(tap_tmpdir)
B() { "$BUILD/bin/berthctl" --root "$T/root" --runroot "$T/run" --cni-config-dir "$T/cni" "$@"; }
defer 'for c in $(B ps -aq); do B rm -f $c; done'
defer "ip link del bt-eng-eb$$ 2>/dev/null"
mkdir -p "$T/cni"
cat > "$T/cni/10-noplugin.conflist" <<J
{"cniVersion": "1.0.0", "name": "bt-eng-noplugin", "plugins": [{"type": "bt-eng-no-such-plugin"}]}
J
cat > "$T/cni/20-noportmap.conflist" <<J
{"cniVersion": "1.0.0", "name": "bt-eng-noportmap", "plugins": [
 {"type": "berth-bridge", "bridge": "bt-eng-eb$$", "ipam": {"type": "berth-ipam",
  "ranges": [[{"subnet": "198.19.233.0/24"}]], "dataDir": "$T/ipam"}}]}
J
id=$(B run -d --network none busybox sleep 60)

# err CODE CAUSE-REGEX ARGS... — four assertions on one failing command
err() {
	local code=$1 re=$2 out
	shift 2
	B "$@" >/dev/null 2>"$T/err"
	is "$?" "$code" "$*: exit code $code"
	out=$(cat "$T/err")
	like "$(wc -l < "$T/err"):$out" "^1:berthctl: ($re)" "$*: one line: berthctl: $re"
	unlike "$out" '(^|: )([a-z-]+ `[^`]*`): (.*: )?\2' "$*: no context twice"
	unlike "$out" ': (berth|berth-shim|runc): |(create|exec): (create|exec) ' "$*: no lower program's prefix"
}

err 125 "network \`bt-eng-noplugin\`: plugin \`bt-eng-no-such-plugin\` not found" \
	run --rm --network bt-eng-noplugin busybox true
err 125 "network \`bt-eng-noportmap\`: no plugin handles \`portMappings\`" \
	run --rm -p 18123:80 --network bt-eng-noportmap busybox true
err 125 "network \`bt-eng-nonet\` not found in" run --rm --network bt-eng-nonet busybox true
err 127 "create \`[0-9a-f]{64}\`: exec \`bt-eng-nocmd\`: executable file not found" \
	run --rm --network none busybox bt-eng-nocmd
err 126 "create \`[0-9a-f]{64}\`: exec \`/etc\`: [Ii]s a directory" run --rm --network none busybox /etc
err 127 "exec \`$id\`: exec \`bt-eng-nocmd\`: executable file not found" exec "$id" bt-eng-nocmd
err 125 "exec in \`$id\`: user \`bt-eng-nouser\`: no such user" exec -u bt-eng-nouser "$id" true
err 125 "cap-add \`BT_ENG_NOCAP\`: unknown capability" run --rm --cap-add BT_ENG_NOCAP busybox true
err 125 "image \`bt-eng-noimage\`: not in the local store" run --rm bt-eng-noimage true
err 125 "volume \`bt-eng-novol\`: no such volume" volume rm bt-eng-novol
err 125 "network \`bt-eng-nonet\`: no such network" network rm bt-eng-nonet
err 125 "container \`bt-eng-noctr\`: no such container" rm bt-eng-noctr
err 125 "container \`bt-eng-noctr\`: no such container" exec bt-eng-noctr true
err 125 "signal \`BT\`: not a signal name or number" kill -s BT "$id"
err 125 "memory \`lots\`: expected a size" run --rm --memory lots busybox true
# found while the bundle is made, with the shim already started and waiting
err 125 "volume \`/bt-eng-nosrc:/x\`: source \`/bt-eng-nosrc\`: No such file or directory" \
	run --rm --network none -v /bt-eng-nosrc:/x busybox true
err 125 "port \`99999:80\`: \`99999\` is not a port number" run --rm -p 99999:80 busybox true
err 125 "workdir \`rel\`: must be absolute" run --rm --workdir rel busybox true
err 125 "shim \`/bt-eng-no/shim\`: No such file or directory" --shim /bt-eng-no/shim run --rm busybox true
err 125 "runtime \`/bt-eng-no/runtime\`: No such file or directory" \
	--runtime /bt-eng-no/runtime run --rm --network none busybox true
err 125 "network \`bt-eng-x\`: subnet \`198\.19\.1\.0/99\`|subnet \`198\.19\.1\.0/99\`: the prefix" \
	network create --subnet 198.19.1.0/99 bt-eng-x
err 125 "\`bt-eng-nocommand\`: no such command" bt-eng-nocommand

B rm -f "$id" >/dev/null
left=""
[ -z "$(ls "$T/root/engine/containers" 2>/dev/null)" ] || left="$left state"
grep -q "$T" /proc/self/mountinfo && left="$left mount"
[ -z "$(ls "$T/run/netns" 2>/dev/null)" ] || left="$left netns"
[ -z "$(ls "$T/run/engine" 2>/dev/null)" ] || left="$left shim-state"
ps -eo args= | grep -v grep | grep -q "$T/run" && left="$left process"
[ -z "$(ls "$T/root/volumes" 2>/dev/null)" ] || left="$left volume"
[ "$(ls "$T/cni")" = "$(printf '10-noplugin.conflist\n20-noportmap.conflist')" ] || left="$left network"
is "${left:-none}" none "errors: nothing left behind"
