#!/bin/bash
# podman with its CNI backend and a .conflist using berth-bridge + berth-ipam
# gives a container a working network: address from berth-ipam, traffic to the
# gateway and from the host, everything released on `podman rm`.  (podman needs
# --ulimit nofile and nproc here: the session lacks CAP_SYS_RESOURCE and runc
# cannot set podman's default limits; crun refuses hybrid cgroups, so runc.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
command -v podman >/dev/null || skip_all "podman not installed (ci/packages/test-net.txt)"
plan 9
tmp=$(tap_tmpdir)
mkdir -p "$tmp/net.d" "$tmp/ipam"
cat > "$tmp/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PLUGDIR", "$REFDIR"]
network_config_dir = "$tmp/net.d"
CONF
export CONTAINERS_CONF=$tmp/containers.conf
cat > "$tmp/net.d/bt-net-pod.conflist" <<JSON
{"cniVersion":"1.0.0","name":"bt-net-pod","plugins":[
 {"type":"berth-bridge","bridge":"bt-net-pbr","isDefaultGateway":true,
  "ipam":{"type":"berth-ipam","dataDir":"$tmp/ipam","ranges":[[{"subnet":"198.18.40.0/24"}]]}}]}
JSON
pm() { podman --root "$tmp/root" --runroot "$tmp/runroot" --storage-driver vfs "$@"; }
defer "ip link del bt-net-pbr"
defer "pm rm -af -t 0"

"$BERTH_TOP/tests/lib/rootfs.sh" "$tmp/rootfs" >/dev/null
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
pm import -q "$tmp/rootfs.tar" localhost/bt-net-busybox >/dev/null
ok "busybox image imported" pm image exists localhost/bt-net-busybox

run() { pm run --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --runtime runc --network bt-net-pod "$@"; }
out=$(run --rm localhost/bt-net-busybox ip -o -4 addr show eth0 2>&1)
like "$out" "inet 198.18.40.2/24" "the container's eth0 has an address from berth-ipam"
out=$(run --rm localhost/bt-net-busybox ip route show default 2>&1)
like "$out" "default via 198.18.40.1" "default route via berth-bridge's gateway"
ok "the container reaches its gateway" run --rm localhost/bt-net-busybox sh -c 'ping -c1 -W2 198.18.40.1 >/dev/null' 

run -d --name bt-net-web localhost/bt-net-busybox sh -c 'echo from-container | nc -l -p 8080' >/dev/null
ip=$(pm inspect bt-net-web | jq -r '.[0].NetworkSettings.Networks["bt-net-pod"].IPAddress')
like "$ip" '^198\.18\.40\.[0-9]+$' "podman reports the address berth-bridge returned"
got=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
	got=$(busybox nc -w 2 "$ip" 8080 2>/dev/null) && [ -n "$got" ] && break
	sleep 0.3
done
is "$got" from-container "TCP from the host to the container"
ok "the address is held while the container exists" test -f "$tmp/ipam/bt-net-pod/${ip:-none}"
pm rm -f -t 0 bt-net-web >/dev/null
is "$(ipam_files "$tmp/ipam" bt-net-pod)" "" "podman rm released every address (CNI DEL)"
is "$(ip -j link show master bt-net-pbr | jq length)" 0 "no veth left on the bridge"
