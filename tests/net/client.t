#!/bin/bash
# libberth-cni (through tests/net/progs/cnitool) running berth's plugins and
# Debian's reference plugins (bridge, host-local, portmap, loopback):
# configuration loading, chaining, runtimeConfig portMappings, the result
# cache, DEL from the cache, rollback of a failed chain, plugin errors.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
plan 36
tmp=$(tap_tmpdir)
CNITOOL=$BUILD/tests/net/progs/cnitool
export BERTH_CNI_CONF_DIR=$tmp/net.d BERTH_CNI_CACHE_DIR=$tmp/cache BERTH_CNI_PATH=$PLUGDIR:$REFDIR
mkdir -p "$BERTH_CNI_CONF_DIR"
defer "ip link del bt-net-cbr"
defer "ip link del bt-net-rbr"
defer "nft delete table inet bt-net-ct"
new_netns bt-net-k1; new_netns bt-net-k2; new_netns bt-net-k3; new_netns bt-net-k4

cat > "$BERTH_CNI_CONF_DIR/10-berth.conflist" <<JSON
{"cniVersion":"1.0.0","name":"bt-net-cn","plugins":[
 {"type":"berth-bridge","bridge":"bt-net-cbr","isDefaultGateway":true,"ipMasq":true,"ipMasqTable":"bt-net-ct",
  "ipam":{"type":"berth-ipam","dataDir":"$tmp/ipam","ranges":[[{"subnet":"198.18.21.0/24"}]]}},
 {"type":"portmap","capabilities":{"portMappings":true},"snat":true}]}
JSON
cat > "$BERTH_CNI_CONF_DIR/20-ref.conflist" <<JSON
{"cniVersion":"1.0.0","name":"bt-net-ref","plugins":[
 {"type":"bridge","bridge":"bt-net-rbr","isGateway":true,
  "ipam":{"type":"host-local","dataDir":"$tmp/hostlocal","ranges":[[{"subnet":"198.18.22.0/24"}]]}}]}
JSON
cat > "$BERTH_CNI_CONF_DIR/30-lo.conf" <<JSON
{"cniVersion":"1.0.0","name":"bt-net-lo","type":"loopback"}
JSON

out=$("$CNITOOL" add -p 28081:8080 bt-net-cn /run/netns/bt-net-k1 bt-net-k1)
is "$?" 0 "ADD through berth-bridge + berth-ipam + portmap"
is "$(jqs "$out" '.ips[0].address')" 198.18.21.2/24 "typed result printed from the chain's final result"
ok "result cached for DEL" test -s "$tmp/cache/results/bt-net-cn-bt-net-k1-eth0"
is "$(jq -r '.config.name + " " + .result.ips[0].address' "$tmp/cache/results/bt-net-cn-bt-net-k1-eth0")" \
	"bt-net-cn 198.18.21.2/24" "cache holds the configuration and the result"
like "$(iptables -t nat -S 2>/dev/null | grep -- '--dport 28081')" "198.18.21.2:8080" \
	"portMappings reached portmap (DNAT rule for the mapping)"
# Only when the bridge holds 198.18.21.1: the connection must never leave the machine.
if ip -j addr show bt-net-cbr | jq -e '.[0].addr_info[] | select(.local=="198.18.21.1")' >/dev/null; then
	ip netns exec bt-net-k1 busybox nc -l -p 8080 > "$tmp/pm.out" 2>/dev/null &
	ncpid=$!; defer "kill $ncpid"
	sleep 0.3
	echo through-portmap | busybox nc -w 2 198.18.21.1 28081
	wait $ncpid
fi
is "$(cat "$tmp/pm.out")" through-portmap "TCP to the host port reaches the container"
"$CNITOOL" status bt-net-cn >/dev/null
is "$?" 0 "STATUS through the chain"
"$CNITOOL" del bt-net-cn /run/netns/bt-net-k1 bt-net-k1 >/dev/null
is "$?" 0 "DEL through the chain"
ok "cache entry dropped" test ! -e "$tmp/cache/results/bt-net-cn-bt-net-k1-eth0"
is "$(count_links "$(host_veth bt-net-k1 eth0)")/$(ipam_files "$tmp/ipam" bt-net-cn)" "0/" "veth and address gone"
is "$(iptables -t nat -S 2>/dev/null | grep -c -- '--dport 28081')" 0 "port mapping removed"
"$CNITOOL" del bt-net-cn /run/netns/bt-net-k1 bt-net-k1 >/dev/null
is "$?" 0 "DEL again succeeds"

# Debian's reference plugins.
rout=$("$CNITOOL" add bt-net-ref /run/netns/bt-net-k2 bt-net-k2)
is "$?" 0 "ADD with the reference bridge + host-local"
is "$(jqs "$rout" '.ips[0].address')" 198.18.22.2/24 "result parsed from the reference plugins"
is "$(ip -n bt-net-k2 -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')" 198.18.22.2 \
	"address configured by the reference plugins"
"$CNITOOL" check bt-net-ref /run/netns/bt-net-k2 bt-net-k2 >/dev/null
is "$?" 0 "CHECK with the reference plugins"
"$CNITOOL" del bt-net-ref /run/netns/bt-net-k2 bt-net-k2 >/dev/null
is "$?" 0 "DEL with the reference plugins"
is "$(ls "$tmp/hostlocal/bt-net-ref" 2>/dev/null | grep -c '^198')$(ip -n bt-net-k2 -o link show eth0 2>/dev/null | wc -l)" "00" \
	"reference plugins released the address and the interface"
pout=$("$CNITOOL" add -p 28083:80 bt-net-ref /run/netns/bt-net-k2 bt-net-k2 2>/dev/null)
like "$(jqs "$pout" .msg)" "no plugin handles .portMappings." "port mappings on a network without portmap: refused"
is "$(ls "$tmp/hostlocal/bt-net-ref" 2>/dev/null | grep -c '^198')$(ip -n bt-net-k2 -o link show eth0 2>/dev/null | wc -l)" "00" \
	"refused before any plugin ran"
"$CNITOOL" add -i lo bt-net-lo /run/netns/bt-net-k2 bt-net-k2 >/dev/null
ip -n bt-net-k2 link set lo down
"$CNITOOL" add -i lo bt-net-lo /run/netns/bt-net-k2 bt-net-k2b >/dev/null
like "$(ip -n bt-net-k2 -j link show lo | jq -r '.[0].flags | join(",")')" "UP" "the reference loopback plugin brings lo up"
"$CNITOOL" del -i lo bt-net-lo /run/netns/bt-net-k2 bt-net-k2 >/dev/null
"$CNITOOL" del -i lo bt-net-lo /run/netns/bt-net-k2 bt-net-k2b >/dev/null

# A chain failing half way is undone.
cat > "$BERTH_CNI_CONF_DIR/40-broken.conflist" <<JSON
{"cniVersion":"1.0.0","name":"bt-net-broken","plugins":[
 {"type":"berth-bridge","bridge":"bt-net-cbr",
  "ipam":{"type":"berth-ipam","dataDir":"$tmp/ipam","ranges":[[{"subnet":"198.18.21.0/24"}]]}},
 {"type":"bt-net-no-such-plugin"}]}
JSON
bout=$("$CNITOOL" add bt-net-broken /run/netns/bt-net-k3 bt-net-k3 2>/dev/null)
isnt "$?" 0 "ADD with a missing plugin fails"
like "$(jqs "$bout" .msg)" "plugin .bt-net-no-such-plugin. not found in CNI_PATH" "the error names the missing plugin"
is "$(count_links "$(host_veth bt-net-k3 eth0)")/$(ipam_files "$tmp/ipam" bt-net-broken)/$(ls "$tmp/cache/results" | grep -c broken)" \
	"0//0" "the plugins already run were undone (no veth, no address, no cache)"

# A plugin's CNI error reaches the caller with its code.
cat > "$BERTH_CNI_CONF_DIR/50-bad.conf" <<JSON
{"cniVersion":"1.0.0","name":"bt-net-bad","type":"berth-bridge","bridge":"bt-net-name-too-long",
 "ipam":{"type":"berth-ipam","dataDir":"$tmp/ipam","ranges":[[{"subnet":"198.18.21.0/24"}]]}}
JSON
eout=$("$CNITOOL" add bt-net-bad /run/netns/bt-net-k3 bt-net-k3 2>/dev/null)
is "$(jqs "$eout" .code)" 7 "plugin error code passed through"
like "$(jqs "$eout" .msg)" "network .bt-net-bad.: berth-bridge ADD: .*bridge name" "message names network, plugin and cause"

# DEL from the cache after the network's file is gone.
"$CNITOOL" add bt-net-cn /run/netns/bt-net-k4 bt-net-k4 >/dev/null
# (with no port mappings: Debian's portmap 1.1.1 CHECK fails on IPv4-only mappings)
"$CNITOOL" check bt-net-cn /run/netns/bt-net-k4 bt-net-k4 >/dev/null
is "$?" 0 "CHECK through the chain"
ip -n bt-net-k4 addr flush dev eth0
cout=$("$CNITOOL" check bt-net-cn /run/netns/bt-net-k4 bt-net-k4 2>/dev/null)
like "$(jqs "$cout" .msg)" "berth-bridge CHECK: .eth0. lacks address" "CHECK through the chain reports drift"
rm "$BERTH_CNI_CONF_DIR/10-berth.conflist"
"$CNITOOL" del-cached /run/netns/bt-net-k4 bt-net-k4 >/dev/null
is "$?" 0 "DEL with the cached configuration"
is "$(count_links "$(host_veth bt-net-k4 eth0)")/$(ipam_files "$tmp/ipam" bt-net-cn)/$(ls "$tmp/cache/results" | wc -l)" "0//0" \
	"cached DEL removed veth, address and cache entry"

# What a plugin receives: the spec's environment, and only the runtimeConfig
# capabilities it declares.  Recording plugins stand in for bandwidth (this
# kernel has no ifb for the real one) and portmap.
mkdir -p "$tmp/plugins"
cat > "$tmp/plugins/bt-net-record" <<'SH'
#!/bin/sh
me=$(basename "$0")
cat > "$RECORD.$me.$CNI_COMMAND.stdin"
env | grep '^CNI_' | sort > "$RECORD.$me.$CNI_COMMAND.env"
[ "$CNI_COMMAND" = ADD ] && printf '{"cniVersion":"1.0.0","ips":[{"address":"198.18.23.9/24"}]}'
exit 0
SH
chmod +x "$tmp/plugins/bt-net-record"
ln -s bt-net-record "$tmp/plugins/bt-net-record2"
cat > "$BERTH_CNI_CONF_DIR/60-record.conflist" <<JSON
{"cniVersion":"1.0.0","name":"bt-net-rec","plugins":[{"type":"bt-net-record","capabilities":{"bandwidth":true}},
 {"type":"bt-net-record2","capabilities":{"portMappings":true}}]}
JSON
R=$tmp/rec
RECORD=$R BERTH_CNI_PATH=$tmp/plugins "$CNITOOL" add -b 1000000 -p 28082:80 -a K=V bt-net-rec /run/netns/bt-net-k3 bt-net-k3 >/dev/null
is "$(jq -c '.runtimeConfig' "$R.bt-net-record.ADD.stdin")" \
	'{"bandwidth":{"ingressRate":1000000,"ingressBurst":1000000,"egressRate":1000000,"egressBurst":1000000}}' \
	"runtimeConfig: bandwidth to the plugin declaring it, without portMappings"
is "$(jq -c '.runtimeConfig' "$R.bt-net-record2.ADD.stdin")" \
	'{"portMappings":[{"hostPort":28082,"containerPort":80,"protocol":"tcp"}]}' \
	"runtimeConfig: portMappings to the plugin declaring it, without bandwidth"
is "$(jq -r '.name + " " + .cniVersion + " " + .type + " " + .prevResult.ips[0].address' "$R.bt-net-record2.ADD.stdin")" \
	"bt-net-rec 1.0.0 bt-net-record2 198.18.23.9/24" "stdin: network name, cniVersion, the previous plugin's result"
is "$(tr '\n' ' ' < "$R.bt-net-record.ADD.env")" \
	"CNI_ARGS=K=V CNI_COMMAND=ADD CNI_CONTAINERID=bt-net-k3 CNI_IFNAME=eth0 CNI_NETNS=/run/netns/bt-net-k3 CNI_PATH=$tmp/plugins " \
	"the spec's environment"
RECORD=$R BERTH_CNI_PATH=$tmp/plugins "$CNITOOL" del bt-net-rec /run/netns/bt-net-k3 bt-net-k3 >/dev/null
is "$(jq -c '[.prevResult.ips[0].address, .runtimeConfig.portMappings[0].hostPort]' "$R.bt-net-record2.DEL.stdin")" \
	'["198.18.23.9/24",28082]' "DEL gets the cached result as prevResult and the cached runtimeConfig"
ok "DEL dropped the cache entry" test ! -e "$tmp/cache/results/bt-net-rec-bt-net-k3-eth0"
