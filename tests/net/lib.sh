# shellcheck shell=bash
# Helpers for the netplugins shell tests (source after tests/lib/tap.sh).
PLUGDIR=$BUILD/bin
REFDIR=/usr/lib/cni

# cni_run PLUGIN CMD ID NETNS IFNAME CONF [ARGS] -> plugin stdout; status of the plugin
cni_run() {
	local plugin=$1 cmd=$2 id=$3 ns=$4 ifn=$5 conf=$6 args=${7:-}
	printf '%s' "$conf" | CNI_COMMAND=$cmd CNI_CONTAINERID=$id CNI_NETNS=$ns CNI_IFNAME=$ifn \
		CNI_ARGS=$args CNI_PATH=$PLUGDIR:$REFDIR "$PLUGDIR/$plugin" 2>/dev/null
}

# new_netns NAME: a netns removed at exit, loopback up.
new_netns() {
	ip netns add "$1" || return 1
	defer "ip netns del '$1'"
	ip -n "$1" link set lo up
}

# jq on a string
jqs() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

# IPAM allocation files (addresses) in a data dir for a network
ipam_files() { find "$1/$2" -maxdepth 1 -name '[0-9]*' -printf '%f\n' 2>/dev/null | sort | tr '\n' ' '; }

# Number of links whose name matches a regex (host namespace)
count_links() { ip -o link show | grep -cE "^[0-9]+: ($1)[@:]" || true; }

# nsping NS ADDR [WAIT]: one ping from inside a netns, quietly
nsping() { ip netns exec "$1" busybox ping -c1 -W"${3:-2}" "$2" >/dev/null 2>&1; }

# host_veth ID IFNAME: the host-side veth name berth-bridge derives (FNV-1a of "id/ifname")
host_veth() {
	local s="$1/$2" h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	printf 'veth%08x' "$h"
}
