/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "cleanup.h"

/* libnl's NLE_* codes, mapped back to the errno the kernel most likely sent. */
static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_EXIST:
		return EEXIST;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return ENODEV;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_PERM:
	case NLE_NOACCESS:
		return EPERM;
	case NLE_BUSY:
		return EBUSY;
	case NLE_RANGE:
		return ERANGE;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_NOMEM:
		return ENOMEM;
	default:
		return EINVAL;
	}
}

static int nl_fail(berth_error_t *err, int nlerr, const char *what, const char *obj)
{
	int e = nl_errno(nlerr);

	berth_error(err, e, "%s `%s`: %s", what, obj, nl_geterror(nlerr));
	return -e;
}

/* cleanup_NAME: a libnl object released with PUT when it goes out of scope. */
#define NL_CLEANUP(name, type, put)                                                              \
	static void name##_putp(type **p)                                                        \
	{                                                                                        \
		if (*p)                                                                          \
			put(*p);                                                                 \
	}
NL_CLEANUP(link, struct rtnl_link, rtnl_link_put)
NL_CLEANUP(nladdr, struct nl_addr, nl_addr_put)
NL_CLEANUP(msg, struct nl_msg, nlmsg_free)
NL_CLEANUP(rtaddr, struct rtnl_addr, rtnl_addr_put)
NL_CLEANUP(route, struct rtnl_route, rtnl_route_put)
NL_CLEANUP(neigh, struct rtnl_neigh, rtnl_neigh_put)
#define cleanup_link __attribute__((cleanup(link_putp)))
#define cleanup_nladdr __attribute__((cleanup(nladdr_putp)))
#define cleanup_msg __attribute__((cleanup(msg_putp)))
#define cleanup_rtaddr __attribute__((cleanup(rtaddr_putp)))
#define cleanup_route __attribute__((cleanup(route_putp)))
#define cleanup_neigh __attribute__((cleanup(neigh_putp)))

static struct nl_addr *ip_to_nl(const struct cni_ip_addr *ip, int prefix)
{
	struct nl_addr *a = nl_addr_build(ip->family, ip->b, cni_ip_len(ip));

	if (a && prefix >= 0)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

int cni_nl_open(struct nl_sock **out, berth_error_t *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk)
		return berth_error_errno(err, ENOMEM, "allocate netlink socket");
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret < 0) {
		nl_socket_free(sk);
		return berth_error(err, EIO, "connect rtnetlink: %s", nl_geterror(ret));
	}
	*out = sk;
	return 0;
}

void cni_nl_close(struct nl_sock **sk)
{
	if (*sk) {
		nl_socket_free(*sk);
		*sk = NULL;
	}
}

int cni_nl_link_index(struct nl_sock *sk, const char *name)
{
	cleanup_link struct rtnl_link *l = NULL;

	if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
		return -ENODEV;
	return rtnl_link_get_ifindex(l);
}

int cni_nl_link_kind(struct nl_sock *sk, const char *name, char *kind, size_t size,
		     berth_error_t *err)
{
	cleanup_link struct rtnl_link *l = NULL;
	int ret = rtnl_link_get_kernel(sk, 0, name, &l);
	const char *t;

	if (ret < 0)
		return nl_fail(err, ret, "get link", name);
	t = rtnl_link_get_type(l);
	snprintf(kind, size, "%s", t ? t : "");
	return 0;
}

int cni_nl_link_mac(struct nl_sock *sk, int ifindex, char *mac, size_t size, berth_error_t *err)
{
	cleanup_link struct rtnl_link *l = NULL;
	int ret = rtnl_link_get_kernel(sk, ifindex, NULL, &l);
	char name[16];

	snprintf(name, sizeof(name), "#%d", ifindex);
	if (ret < 0)
		return nl_fail(err, ret, "get link", name);
	if (!rtnl_link_get_addr(l))
		return berth_error(err, EINVAL, "link `%s` has no hardware address", name);
	nl_addr2str(rtnl_link_get_addr(l), mac, size);
	return 0;
}

int cni_nl_link_mtu(struct nl_sock *sk, int ifindex)
{
	cleanup_link struct rtnl_link *l = NULL;

	if (rtnl_link_get_kernel(sk, ifindex, NULL, &l) < 0)
		return -ENODEV;
	return (int)rtnl_link_get_mtu(l);
}

int cni_nl_bridge_add(struct nl_sock *sk, const char *name, int mtu, berth_error_t *err)
{
	cleanup_link struct rtnl_link *l = rtnl_link_bridge_alloc();
	int ret;

	if (!l)
		return berth_error_errno(err, ENOMEM, "allocate bridge `%s`", name);
	rtnl_link_set_name(l, name);
	if (mtu > 0)
		rtnl_link_set_mtu(l, mtu);
	ret = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	if (ret < 0)
		return nl_fail(err, ret, "create bridge", name);
	return 0;
}

/* A bare RTM_NEWLINK/RTM_SETLINK for the attributes libnl has no setter for. */
static struct nl_msg *link_msg(int type, int family, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = (unsigned char)family, .ifi_index = ifindex };
	struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK);

	if (m && nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static int send_msg(struct nl_sock *sk, struct nl_msg **m)
{
	/* nl_send_sync frees the message. */
	int ret = nl_send_sync(sk, *m);

	*m = NULL;
	return ret;
}

int cni_nl_bridge_set_vlan_filtering(struct nl_sock *sk, int ifindex, bool on, berth_error_t *err)
{
	cleanup_msg struct nl_msg *m = link_msg(RTM_NEWLINK, AF_UNSPEC, ifindex);
	struct nlattr *info, *data;
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "#%d", ifindex);
	if (!m || !(info = nla_nest_start(m, IFLA_LINKINFO)) ||
	    nla_put_string(m, IFLA_INFO_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(m, IFLA_INFO_DATA)) ||
	    nla_put_u8(m, IFLA_BR_VLAN_FILTERING, on) < 0)
		return berth_error_errno(err, ENOMEM, "build vlan_filtering request");
	nla_nest_end(m, data);
	nla_nest_end(m, info);
	ret = send_msg(sk, &m);
	if (ret < 0)
		return nl_fail(err, ret, "set vlan_filtering on bridge", name);
	return 0;
}

int cni_nl_veth_add(struct nl_sock *sk, const char *name, const char *peer, int peer_ns_fd,
		    int mtu, berth_error_t *err)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *p;
	int ret;

	if (!l)
		return berth_error_errno(err, ENOMEM, "allocate veth `%s`", name);
	p = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(l, name);
	rtnl_link_set_name(p, peer);
	if (mtu > 0) {
		rtnl_link_set_mtu(l, mtu);
		rtnl_link_set_mtu(p, mtu);
	}
	if (peer_ns_fd >= 0)
		rtnl_link_set_ns_fd(p, peer_ns_fd);
	ret = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(p);
	rtnl_link_veth_release(l);
	if (ret < 0)
		return nl_fail(err, ret, "create veth", name);
	return 0;
}

int cni_nl_vxlan_add(struct nl_sock *sk, const char *name, uint32_t vni, uint16_t port,
		     const struct cni_ip_addr *local, bool learning, int mtu, berth_error_t *err)
{
	cleanup_link struct rtnl_link *l = rtnl_link_vxlan_alloc();
	cleanup_nladdr struct nl_addr *la = NULL;
	int ret;

	if (!l)
		return berth_error_errno(err, ENOMEM, "allocate vxlan `%s`", name);
	rtnl_link_set_name(l, name);
	rtnl_link_vxlan_set_id(l, vni);
	rtnl_link_vxlan_set_port(l, port);
	rtnl_link_vxlan_set_learning(l, learning);
	/* Answer ARP/NDP from the static neighbour entries instead of flooding. */
	rtnl_link_vxlan_set_proxy(l, 1);
	if (mtu > 0)
		rtnl_link_set_mtu(l, mtu);
	if (local && local->family) {
		la = ip_to_nl(local, -1);
		if (!la)
			return berth_error_errno(err, ENOMEM, "allocate address");
		rtnl_link_vxlan_set_local(l, la);
	}
	ret = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	if (ret < 0)
		return nl_fail(err, ret, "create vxlan", name);
	return 0;
}

int cni_nl_link_del(struct nl_sock *sk, const char *name, berth_error_t *err)
{
	cleanup_link struct rtnl_link *l = rtnl_link_alloc();
	int ret;

	if (!l)
		return berth_error_errno(err, ENOMEM, "allocate link");
	rtnl_link_set_name(l, name);
	ret = rtnl_link_delete(sk, l);
	if (ret < 0 && nl_errno(ret) != ENODEV)
		return nl_fail(err, ret, "delete link", name);
	return 0;
}

static int link_change(struct nl_sock *sk, int ifindex, struct rtnl_link *change, const char *what,
		       berth_error_t *err)
{
	cleanup_link struct rtnl_link *orig = rtnl_link_alloc();
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "#%d", ifindex);
	if (!orig)
		return berth_error_errno(err, ENOMEM, "allocate link");
	rtnl_link_set_ifindex(orig, ifindex);
	ret = rtnl_link_change(sk, orig, change, 0);
	if (ret < 0)
		return nl_fail(err, ret, what, name);
	return 0;
}

static int link_set_flags(struct nl_sock *sk, int ifindex, unsigned int flags, const char *what,
			  berth_error_t *err)
{
	cleanup_link struct rtnl_link *c = rtnl_link_alloc();

	if (!c)
		return berth_error_errno(err, ENOMEM, "allocate link");
	rtnl_link_set_flags(c, flags);
	return link_change(sk, ifindex, c, what, err);
}

int cni_nl_link_set_up(struct nl_sock *sk, int ifindex, berth_error_t *err)
{
	return link_set_flags(sk, ifindex, IFF_UP, "set up link", err);
}

int cni_nl_link_set_promisc(struct nl_sock *sk, int ifindex, berth_error_t *err)
{
	return link_set_flags(sk, ifindex, IFF_PROMISC, "set promiscuous mode on link", err);
}

int cni_nl_link_set_master(struct nl_sock *sk, int ifindex, int master, berth_error_t *err)
{
	cleanup_link struct rtnl_link *c = rtnl_link_alloc();

	if (!c)
		return berth_error_errno(err, ENOMEM, "allocate link");
	rtnl_link_set_master(c, master);
	return link_change(sk, ifindex, c, "attach to bridge link", err);
}

int cni_nl_link_set_mac(struct nl_sock *sk, int ifindex, const char *mac, berth_error_t *err)
{
	cleanup_link struct rtnl_link *c = rtnl_link_alloc();
	cleanup_nladdr struct nl_addr *a = NULL;

	if (!c)
		return berth_error_errno(err, ENOMEM, "allocate link");
	if (nl_addr_parse(mac, AF_LLC, &a) < 0)
		return berth_error(err, EINVAL, "invalid MAC address `%s`", mac);
	rtnl_link_set_addr(c, a);
	return link_change(sk, ifindex, c, "set MAC address of link", err);
}

int cni_nl_port_set_hairpin(struct nl_sock *sk, int ifindex, berth_error_t *err)
{
	cleanup_msg struct nl_msg *m = link_msg(RTM_SETLINK, AF_BRIDGE, ifindex);
	struct nlattr *pi;
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "#%d", ifindex);
	if (!m || !(pi = nla_nest_start(m, IFLA_PROTINFO | NLA_F_NESTED)) ||
	    nla_put_u8(m, IFLA_BRPORT_MODE, 1) < 0)
		return berth_error_errno(err, ENOMEM, "build hairpin request");
	nla_nest_end(m, pi);
	ret = send_msg(sk, &m);
	if (ret < 0)
		return nl_fail(err, ret, "set hairpin mode on bridge port", name);
	return 0;
}

int cni_nl_port_set_pvid(struct nl_sock *sk, int ifindex, uint16_t vid, berth_error_t *err)
{
	cleanup_msg struct nl_msg *m = link_msg(RTM_SETLINK, AF_BRIDGE, ifindex);
	struct bridge_vlan_info vi = {
		.flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED,
		.vid = vid,
	};
	struct nlattr *spec;
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "#%d", ifindex);
	if (!m || !(spec = nla_nest_start(m, IFLA_AF_SPEC)) ||
	    nla_put(m, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi) < 0)
		return berth_error_errno(err, ENOMEM, "build vlan request");
	nla_nest_end(m, spec);
	ret = send_msg(sk, &m);
	if (ret < 0)
		return nl_fail(err, ret, "set vlan on bridge port", name);
	return 0;
}

int cni_nl_addr_add(struct nl_sock *sk, int ifindex, const struct cni_ipnet *addr,
		    berth_error_t *err)
{
	cleanup_rtaddr struct rtnl_addr *a = rtnl_addr_alloc();
	cleanup_nladdr struct nl_addr *local = ip_to_nl(&addr->ip, addr->prefix);
	char buf[CNI_IPNET_STRLEN];
	int ret;

	if (!a || !local)
		return berth_error_errno(err, ENOMEM, "allocate address");
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	/* Containers use their address at once; duplicate detection would delay IPv6. */
	if (addr->ip.family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	ret = rtnl_addr_add(sk, a, 0);
	if (ret < 0 && nl_errno(ret) != EEXIST)
		return nl_fail(err, ret, "add address", cni_ipnet_fmt(addr, buf));
	return 0;
}

bool cni_nl_addr_present(struct nl_sock *sk, int ifindex, const struct cni_ipnet *addr)
{
	struct nl_cache *cache;
	bool found = false;

	if (rtnl_addr_alloc_cache(sk, &cache) < 0)
		return false;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) != ifindex || !l ||
		    nl_addr_get_family(l) != addr->ip.family)
			continue;
		found = nl_addr_get_len(l) == (unsigned)cni_ip_len(&addr->ip) &&
			!memcmp(nl_addr_get_binary_addr(l), addr->ip.b, cni_ip_len(&addr->ip)) &&
			(int)nl_addr_get_prefixlen(l) == addr->prefix;
	}
	nl_cache_free(cache);
	return found;
}

int cni_nl_route_add(struct nl_sock *sk, int ifindex, const struct cni_ipnet *dst,
		     const struct cni_ip_addr *gw, berth_error_t *err)
{
	cleanup_route struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct cni_ipnet net = *dst;
	cleanup_nladdr struct nl_addr *d = NULL, *g = NULL;
	char buf[CNI_IPNET_STRLEN];
	int ret;

	cni_ipnet_first(dst, &net.ip);
	d = ip_to_nl(&net.ip, net.prefix);
	if (!r || !nh || !d) {
		if (nh)
			rtnl_route_nh_free(nh);
		return berth_error_errno(err, ENOMEM, "allocate route");
	}
	rtnl_route_set_family(r, (uint8_t)dst->ip.family);
	rtnl_route_set_dst(r, d);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT_BOOT);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gw && gw->family) {
		g = ip_to_nl(gw, -1);
		rtnl_route_nh_set_gateway(nh, g);
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	} else {
		rtnl_route_set_scope(r, RT_SCOPE_LINK);
	}
	rtnl_route_add_nexthop(r, nh);
	ret = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL);
	if (ret < 0 && nl_errno(ret) != EEXIST)
		return nl_fail(err, ret, "add route to", cni_ipnet_fmt(dst, buf));
	return 0;
}

static struct rtnl_neigh *fdb_obj(int ifindex, const char *mac, const struct cni_ip_addr *dst)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll = NULL, *d = NULL;

	if (!n)
		return NULL;
	if (nl_addr_parse(mac, AF_LLC, &ll) < 0) {
		rtnl_neigh_put(n);
		return NULL;
	}
	/*
	 * The remote VTEP first: libnl refuses a dst whose family differs from
	 * the entry's, and an FDB entry is AF_BRIDGE while its dst is AF_INET.
	 */
	if (dst && dst->family && (d = ip_to_nl(dst, -1))) {
		int ret = rtnl_neigh_set_dst(n, d);

		nl_addr_put(d);
		if (ret < 0) {
			nl_addr_put(ll);
			rtnl_neigh_put(n);
			return NULL;
		}
	}
	rtnl_neigh_set_family(n, AF_BRIDGE);
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_lladdr(n, ll);
	nl_addr_put(ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	rtnl_neigh_set_flags(n, NTF_SELF);
	return n;
}

static int fdb_change(struct nl_sock *sk, int ifindex, const char *mac,
		      const struct cni_ip_addr *dst, bool add, berth_error_t *err)
{
	cleanup_neigh struct rtnl_neigh *n = fdb_obj(ifindex, mac, dst);
	int ret;

	if (!n)
		return berth_error(err, EINVAL, "invalid FDB entry `%s`", mac);
	/* APPEND: the all-zero MAC carries one entry per remote VTEP (head-end replication). */
	ret = add ? rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_APPEND) : rtnl_neigh_delete(sk, n, 0);
	if (ret < 0 && nl_errno(ret) != (add ? EEXIST : ENODEV))
		return nl_fail(err, ret, add ? "add FDB entry" : "delete FDB entry", mac);
	return 0;
}

int cni_nl_fdb_add(struct nl_sock *sk, int ifindex, const char *mac, const struct cni_ip_addr *dst,
		   berth_error_t *err)
{
	return fdb_change(sk, ifindex, mac, dst, true, err);
}

int cni_nl_fdb_del(struct nl_sock *sk, int ifindex, const char *mac, const struct cni_ip_addr *dst,
		   berth_error_t *err)
{
	return fdb_change(sk, ifindex, mac, dst, false, err);
}

int cni_nl_neigh_add(struct nl_sock *sk, int ifindex, const struct cni_ip_addr *ip,
		     const char *mac, berth_error_t *err)
{
	cleanup_neigh struct rtnl_neigh *n = rtnl_neigh_alloc();
	cleanup_nladdr struct nl_addr *ll = NULL, *d = ip_to_nl(ip, -1);
	char buf[CNI_IPNET_STRLEN];
	int ret;

	if (!n || !d || nl_addr_parse(mac, AF_LLC, &ll) < 0)
		return berth_error(err, EINVAL, "invalid neighbour `%s` at `%s`", cni_ip_fmt(ip, buf),
				   mac);
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_dst(n, d);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	ret = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE);
	if (ret < 0)
		return nl_fail(err, ret, "add neighbour", cni_ip_fmt(ip, buf));
	return 0;
}

int cni_nl_neigh_del(struct nl_sock *sk, int ifindex, const struct cni_ip_addr *ip,
		     berth_error_t *err)
{
	cleanup_neigh struct rtnl_neigh *n = rtnl_neigh_alloc();
	cleanup_nladdr struct nl_addr *d = ip_to_nl(ip, -1);
	char buf[CNI_IPNET_STRLEN];
	int ret;

	if (!n || !d)
		return berth_error_errno(err, ENOMEM, "allocate neighbour");
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_dst(n, d);
	ret = rtnl_neigh_delete(sk, n, 0);
	if (ret < 0 && nl_errno(ret) != ENODEV)
		return nl_fail(err, ret, "delete neighbour", cni_ip_fmt(ip, buf));
	return 0;
}

static int neigh_list(struct nl_sock *sk, int ifindex, int family, struct cni_nl_entry **out,
		      size_t *n, berth_error_t *err)
{
	struct nl_cache *cache;
	struct cni_nl_entry *v = NULL;
	size_t cnt = 0;
	int ret;

	*out = NULL;
	*n = 0;
	/* Per-family dumps: an AF_UNSPEC dump leaves out the bridge FDB. */
	ret = rtnl_neigh_alloc_cache_flags(sk, &cache, NL_CACHE_AF_ITER);
	if (ret < 0)
		return berth_error(err, EIO, "dump neighbours: %s", nl_geterror(ret));
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *ne = (struct rtnl_neigh *)o;
		struct nl_addr *ll = rtnl_neigh_get_lladdr(ne), *d = rtnl_neigh_get_dst(ne);
		int fam = rtnl_neigh_get_family(ne);
		struct cni_nl_entry *nv;

		if (rtnl_neigh_get_ifindex(ne) != ifindex || !ll ||
		    (family == AF_BRIDGE) != (fam == AF_BRIDGE))
			continue;
		if (!(rtnl_neigh_get_state(ne) & NUD_PERMANENT))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			nl_cache_free(cache);
			return berth_error_errno(err, ENOMEM, "list neighbours");
		}
		v = nv;
		memset(&v[cnt], 0, sizeof(v[cnt]));
		nl_addr2str(ll, v[cnt].mac, sizeof(v[cnt].mac));
		if (d && (nl_addr_get_family(d) == AF_INET || nl_addr_get_family(d) == AF_INET6)) {
			v[cnt].ip.family = nl_addr_get_family(d);
			memcpy(v[cnt].ip.b, nl_addr_get_binary_addr(d), cni_ip_len(&v[cnt].ip));
		}
		cnt++;
	}
	nl_cache_free(cache);
	*out = v;
	*n = cnt;
	return 0;
}

int cni_nl_fdb_list(struct nl_sock *sk, int ifindex, struct cni_nl_entry **out, size_t *n,
		    berth_error_t *err)
{
	return neigh_list(sk, ifindex, AF_BRIDGE, out, n, err);
}

int cni_nl_neigh_list(struct nl_sock *sk, int ifindex, struct cni_nl_entry **out, size_t *n,
		      berth_error_t *err)
{
	return neigh_list(sk, ifindex, AF_INET, out, n, err);
}

int cni_netns_open(const char *path, berth_error_t *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_error_errno(err, errno, "open network namespace `%s`", path);
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return berth_error(err, EINVAL, "`%s` is not a network namespace", path);
	}
	return fd;
}

int cni_netns_enter(const char *path, int *saved, berth_error_t *err)
{
	cleanup_close int fd = cni_netns_open(path, err);
	int self;

	if (fd < 0)
		return fd;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return berth_error_errno(err, errno, "open current network namespace");
	if (setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;

		close(self);
		return berth_error_errno(err, e, "enter network namespace `%s`", path);
	}
	*saved = self;
	return 0;
}

int cni_netns_return(int *saved, berth_error_t *err)
{
	int ret = 0;

	if (*saved < 0)
		return 0;
	if (setns(*saved, CLONE_NEWNET) < 0)
		ret = berth_error_errno(err, errno, "return to the host network namespace");
	close(*saved);
	*saved = -1;
	return ret;
}
