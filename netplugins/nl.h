/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Netlink operations for the plugins, through libnl-3 / libnl-route-3: one
 * small function per operation, each building its request, sending it and
 * checking the kernel's answer.  A socket talks to the network namespace it
 * was opened in, so callers open one per namespace (cni_netns_enter first).
 */
#ifndef BERTH_CNI_NL_H
#define BERTH_CNI_NL_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "ipnet.h"

struct nl_sock;

int cni_nl_open(struct nl_sock **out, berth_error_t *err);
void cni_nl_close(struct nl_sock **sk);
#define cleanup_nl __attribute__((cleanup(cni_nl_close)))

/* ifindex of name, or -ENODEV (no error filled: absence is often fine). */
int cni_nl_link_index(struct nl_sock *sk, const char *name);
/* Kind ("bridge", "veth", "vxlan", "" for none) of an existing link. */
int cni_nl_link_kind(struct nl_sock *sk, const char *name, char *kind, size_t size,
		     berth_error_t *err);
/* "aa:bb:.." of a link. */
int cni_nl_link_mac(struct nl_sock *sk, int ifindex, char *mac, size_t size, berth_error_t *err);
int cni_nl_link_mtu(struct nl_sock *sk, int ifindex);

int cni_nl_bridge_add(struct nl_sock *sk, const char *name, int mtu, berth_error_t *err);
int cni_nl_bridge_set_vlan_filtering(struct nl_sock *sk, int ifindex, bool on, berth_error_t *err);
/* A veth pair name <-> peer; the peer is created in the netns of peer_ns_fd (-1: this one). */
int cni_nl_veth_add(struct nl_sock *sk, const char *name, const char *peer, int peer_ns_fd,
		    int mtu, berth_error_t *err);
int cni_nl_vxlan_add(struct nl_sock *sk, const char *name, uint32_t vni, uint16_t port,
		     const struct cni_ip_addr *local, bool learning, int mtu, berth_error_t *err);
/* Delete a link by name; a link already gone is success. */
int cni_nl_link_del(struct nl_sock *sk, const char *name, berth_error_t *err);

int cni_nl_link_set_up(struct nl_sock *sk, int ifindex, berth_error_t *err);
int cni_nl_link_set_master(struct nl_sock *sk, int ifindex, int master, berth_error_t *err);
int cni_nl_link_set_promisc(struct nl_sock *sk, int ifindex, berth_error_t *err);
int cni_nl_link_set_mac(struct nl_sock *sk, int ifindex, const char *mac, berth_error_t *err);
/* Bridge port flags (AF_BRIDGE): hairpin, and the port's untagged PVID. */
int cni_nl_port_set_hairpin(struct nl_sock *sk, int ifindex, berth_error_t *err);
int cni_nl_port_set_pvid(struct nl_sock *sk, int ifindex, uint16_t vid, berth_error_t *err);

/* Address add (an existing identical one is fine) and route add. */
int cni_nl_addr_add(struct nl_sock *sk, int ifindex, const struct cni_ipnet *addr,
		    berth_error_t *err);
int cni_nl_route_add(struct nl_sock *sk, int ifindex, const struct cni_ipnet *dst,
		     const struct cni_ip_addr *gw, berth_error_t *err);
/* Does the link hold this address? */
bool cni_nl_addr_present(struct nl_sock *sk, int ifindex, const struct cni_ipnet *addr);

/* Bridge FDB entries on a VXLAN device: mac -> remote VTEP dst (NTF_SELF, permanent). */
int cni_nl_fdb_add(struct nl_sock *sk, int ifindex, const char *mac, const struct cni_ip_addr *dst,
		   berth_error_t *err);
int cni_nl_fdb_del(struct nl_sock *sk, int ifindex, const char *mac, const struct cni_ip_addr *dst,
		   berth_error_t *err);
/* Permanent neighbour (ARP/NDP) entry ip -> mac on a link. */
int cni_nl_neigh_add(struct nl_sock *sk, int ifindex, const struct cni_ip_addr *ip,
		     const char *mac, berth_error_t *err);
int cni_nl_neigh_del(struct nl_sock *sk, int ifindex, const struct cni_ip_addr *ip,
		     berth_error_t *err);

/* One FDB or neighbour entry, as listed by cni_nl_*_list. */
struct cni_nl_entry {
	char mac[18];
	struct cni_ip_addr ip; /* fdb: remote dst; neigh: the address */
};
int cni_nl_fdb_list(struct nl_sock *sk, int ifindex, struct cni_nl_entry **out, size_t *n,
		    berth_error_t *err);
int cni_nl_neigh_list(struct nl_sock *sk, int ifindex, struct cni_nl_entry **out, size_t *n,
		      berth_error_t *err);

/*
 * Switch this thread to the network namespace at path; *saved receives an fd
 * of the namespace left, for cni_netns_return().
 */
int cni_netns_enter(const char *path, int *saved, berth_error_t *err);
int cni_netns_return(int *saved, berth_error_t *err);
/* Open a namespace file, checking it is one (ENOENT / EINVAL named). */
int cni_netns_open(const char *path, berth_error_t *err);

#endif
