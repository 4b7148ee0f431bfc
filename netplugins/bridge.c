/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth-bridge: a Linux bridge on the host and a veth pair per container,
 * one end in the container's netns (CNI 1.0).  See berth-bridge(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netplugins/ipam.h"
#include "netplugins/nft.h"
#include "netplugins/nl.h"
#include "netplugins/plugin.h"
#include "util.h"

struct bridge_conf {
	char bridge[16];
	bool is_gateway, is_default_gateway, ip_masq, hairpin, promisc;
	int mtu;
	int vlan; /* 0: none */
	char masq_table[64];
	json_t *ipam; /* borrowed */
	const char *ipam_type;
	char mac[18]; /* requested container MAC (CNI_ARGS MAC= or runtimeConfig.mac) */
};

static int get_bool(json_t *o, const char *k, bool *out, berth_error_t *err)
{
	json_t *v = json_object_get(o, k);

	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "\"%s\" must be true or false", k);
	*out = json_is_true(v);
	return 0;
}

static int parse_conf(const struct cni_env *env, const struct cni_netconf *nc,
		      struct bridge_conf *c, berth_error_t *err)
{
	json_t *j = nc->raw, *v;

	memset(c, 0, sizeof(*c));
	v = json_object_get(j, "bridge");
	if (v && !json_is_string(v))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "\"bridge\" must be a string");
	{
		const char *b = v ? json_string_value(v) : CNI_DEFAULT_BRIDGE;

		if (!*b || strlen(b) > 15 || strchr(b, '/') || strchr(b, ' '))
			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "bridge name `%s` is not a valid interface name (1 to 15 "
					 "characters, no `/` or space)",
					 b);
		snprintf(c->bridge, sizeof(c->bridge), "%s", b);
	}
	if (get_bool(j, "isGateway", &c->is_gateway, err) < 0 ||
	    get_bool(j, "isDefaultGateway", &c->is_default_gateway, err) < 0 ||
	    get_bool(j, "ipMasq", &c->ip_masq, err) < 0 ||
	    get_bool(j, "hairpinMode", &c->hairpin, err) < 0 ||
	    get_bool(j, "promiscMode", &c->promisc, err) < 0)
		return -1;
	/* A default gateway needs the bridge to be the gateway. */
	if (c->is_default_gateway)
		c->is_gateway = true;
	v = json_object_get(j, "mtu");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 68 || json_integer_value(v) > 65535))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "\"mtu\" must be 68..65535");
	c->mtu = v ? (int)json_integer_value(v) : 0;
	v = json_object_get(j, "vlan");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4094))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "\"vlan\" must be 0..4094");
	c->vlan = v ? (int)json_integer_value(v) : 0;
	v = json_object_get(j, "ipMasqTable");
	snprintf(c->masq_table, sizeof(c->masq_table), "%s",
		 json_is_string(v) ? json_string_value(v) : CNI_NFT_DEFAULT_TABLE);
	c->ipam = json_object_get(j, "ipam");
	c->ipam_type = json_string_value(json_object_get(c->ipam, "type"));
	if (!c->ipam_type)
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "\"ipam\" with a \"type\" is required");
	if (!cni_args_get(env->args, "MAC", c->mac, sizeof(c->mac)) && nc->runtime_config &&
	    json_is_string(json_object_get(nc->runtime_config, "mac")))
		snprintf(c->mac, sizeof(c->mac), "%s",
			 json_string_value(json_object_get(nc->runtime_config, "mac")));
	return 0;
}

/* The host end's name: fixed per (container, ifname) so DEL finds it without the netns. */
static void host_veth_name(const struct cni_env *env, char out[16])
{
	uint32_t h = 2166136261u;

	for (const char *p = env->container_id; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = env->ifname; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(out, 16, "veth%08x", h);
}

/* IPAM: berth-ipam runs in process; any other IPAM plugin is executed from CNI_PATH. */
static int ipam_exec(const struct cni_env *env, const struct cni_netconf *nc,
		     const struct bridge_conf *c, const char *cmd, struct cni_result **out,
		     berth_error_t *err)
{
	struct cni_opts opts = { .plugin_path = env->path };
	struct cni_attachment att = { .container_id = env->container_id,
				      .netns = env->netns,
				      .ifname = env->ifname,
				      .args = env->args };
	json_t *res = NULL;
	int ret;

	if (!strcmp(c->ipam_type, "berth-ipam")) {
		if (!strcmp(cmd, "ADD"))
			return cni_ipam_cmd_add(env, nc, out, err);
		if (!strcmp(cmd, "DEL"))
			return cni_ipam_cmd_del(env, nc, err);
		return cni_ipam_cmd_check(env, nc, err);
	}
	ret = cni_exec_plugin(&opts, c->ipam_type, cmd, &att, nc->raw, &res, err);
	if (ret < 0)
		return ret;
	if (out) {
		if (!res)
			return cni_error(err, CNI_ERR_INTERNAL, 0, "IPAM `%s` returned no result",
					 c->ipam_type);
		ret = cni_result_parse(res, out, err);
	}
	if (res)
		json_decref(res);
	return ret;
}

static int enable_forwarding(const struct cni_result *r, berth_error_t *err)
{
	bool v4 = false, v6 = false;

	for (size_t i = 0; i < r->n_ips; i++) {
		v4 |= r->ips[i].family == AF_INET;
		v6 |= r->ips[i].family == AF_INET6;
	}
	if (v4 && berth_write_file("/proc/sys/net/ipv4/ip_forward", "1", err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	if (v6 && berth_write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1", err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	return 0;
}

/* The bridge: create it when missing (remember that we did), check it is one, bring it up. */
static int ensure_bridge(struct nl_sock *sk, const struct bridge_conf *c, bool *created,
			 int *index, berth_error_t *err)
{
	char kind[32], mac[18];
	int idx = cni_nl_link_index(sk, c->bridge);

	*created = false;
	if (idx < 0) {
		if (cni_nl_bridge_add(sk, c->bridge, c->mtu, err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
		*created = true;
		idx = cni_nl_link_index(sk, c->bridge);
		if (idx < 0)
			return cni_error(err, CNI_ERR_IO, ENODEV, "bridge `%s` vanished", c->bridge);
		/*
		 * Pin the bridge's MAC: left unset, the kernel gives the bridge the lowest
		 * MAC of its ports, which changes as containers come and go, and every
		 * container's ARP entry for the gateway would go stale.
		 */
		if (cni_nl_link_mac(sk, idx, mac, sizeof(mac), err) < 0 ||
		    cni_nl_link_set_mac(sk, idx, mac, err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
		if (c->vlan && cni_nl_bridge_set_vlan_filtering(sk, idx, true, err) < 0) {
			if ((*err)->errnum == EOPNOTSUPP)
				return cni_error(err, CNI_ERR_UNSUPPORTED_FIELD, 0,
						 "\"vlan\": bridge `%s` cannot filter VLANs: the "
						 "kernel lacks CONFIG_BRIDGE_VLAN_FILTERING",
						 c->bridge);
			return cni_error_code(err, CNI_ERR_IO);
		}
	} else {
		if (cni_nl_link_kind(sk, c->bridge, kind, sizeof(kind), err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
		if (strcmp(kind, "bridge") != 0)
			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "`%s` exists and is not a bridge (it is a %s link)",
					 c->bridge, *kind ? kind : "plain");
	}
	if (c->promisc && cni_nl_link_set_promisc(sk, idx, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	if (cni_nl_link_set_up(sk, idx, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	*index = idx;
	return 0;
}

/* The gateway address of each IP on the bridge (once per network, shared). */
static int bridge_gateways(struct nl_sock *sk, int br, const struct cni_result *r,
			   berth_error_t *err)
{
	for (size_t i = 0; i < r->n_ips; i++) {
		struct cni_ipnet ip, gw;

		if (!r->ips[i].gateway[0])
			continue;
		if (cni_ipnet_parse(r->ips[i].address, &ip, err) < 0 ||
		    cni_ip_parse(r->ips[i].gateway, &gw.ip, err) < 0)
			return cni_error_code(err, CNI_ERR_INVALID_NETCONF);
		gw.prefix = ip.prefix;
		if (!cni_nl_addr_present(sk, br, &gw) && cni_nl_addr_add(sk, br, &gw, err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
	}
	return 0;
}

/* Inside the container: addresses, link up, routes. */
static int container_side(const struct bridge_conf *c, const struct cni_env *env,
			  const struct cni_result *ipam, char *mac, berth_error_t *err)
{
	cleanup_nl struct nl_sock *sk = NULL;
	int idx;

	if (cni_nl_open(&sk, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	idx = cni_nl_link_index(sk, env->ifname);
	if (idx < 0)
		return cni_error(err, CNI_ERR_IO, ENODEV, "`%s` missing in the container",
				 env->ifname);
	if (c->mac[0] && cni_nl_link_set_mac(sk, idx, c->mac, err) < 0)
		return cni_error_code(err, CNI_ERR_INVALID_ENV);
	for (size_t i = 0; i < ipam->n_ips; i++) {
		struct cni_ipnet a;

		if (cni_ipnet_parse(ipam->ips[i].address, &a, err) < 0 ||
		    cni_nl_addr_add(sk, idx, &a, err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
	}
	if (cni_nl_link_set_up(sk, idx, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	for (size_t i = 0; i < ipam->n_routes; i++) {
		struct cni_ipnet dst;
		struct cni_ip_addr gw = { 0 };

		if (cni_ipnet_parse(ipam->routes[i].dst, &dst, err) < 0)
			return cni_error_code(err, CNI_ERR_INVALID_NETCONF);
		if (ipam->routes[i].gw[0]) {
			if (cni_ip_parse(ipam->routes[i].gw, &gw, err) < 0)
				return cni_error_code(err, CNI_ERR_INVALID_NETCONF);
		} else {
			/* No gw given: through this family's gateway. */
			for (size_t k = 0; k < ipam->n_ips; k++)
				if (ipam->ips[k].family == dst.ip.family && ipam->ips[k].gateway[0])
					cni_ip_parse(ipam->ips[k].gateway, &gw, NULL);
		}
		if (cni_nl_route_add(sk, idx, &dst, &gw, err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
	}
	if (c->is_default_gateway) {
		for (size_t k = 0; k < ipam->n_ips; k++) {
			struct cni_ipnet def = { .ip = { .family = ipam->ips[k].family }, .prefix = 0 };
			struct cni_ip_addr gw;

			if (!ipam->ips[k].gateway[0] ||
			    cni_ip_parse(ipam->ips[k].gateway, &gw, NULL) < 0)
				continue;
			if (cni_nl_route_add(sk, idx, &def, &gw, err) < 0)
				return cni_error_code(err, CNI_ERR_IO);
		}
	}
	return cni_nl_link_mac(sk, idx, mac, 18, err) < 0 ? cni_error_code(err, CNI_ERR_IO) : 0;
}

/* Undo an ADD: veth (from the host side), masquerade entries, IPAM. */
static void undo(const struct cni_env *env, const struct cni_netconf *nc,
		 const struct bridge_conf *c, const struct cni_result *ipam, bool bridge_created)
{
	cleanup_nl struct nl_sock *sk = NULL;
	berth_error_t e = NULL;
	char hv[16];

	host_veth_name(env, hv);
	if (cni_nl_open(&sk, &e) == 0) {
		cni_nl_link_del(sk, hv, &e);
		if (bridge_created)
			cni_nl_link_del(sk, c->bridge, &e);
	}
	for (size_t i = 0; ipam && c->ip_masq && i < ipam->n_ips; i++) {
		struct cni_ipnet a;

		if (cni_ipnet_parse(ipam->ips[i].address, &a, NULL) == 0)
			cni_nft_masq_del(c->masq_table, nc->name, &a.ip, &e);
	}
	if (ipam)
		ipam_exec(env, nc, c, "DEL", NULL, &e);
	berth_error_release(&e);
}

static int cmd_add(const struct cni_env *env, const struct cni_netconf *nc,
		   struct cni_result **out, berth_error_t *err)
{
	struct bridge_conf c;
	struct cni_result *ipam = NULL, *res = NULL;
	cleanup_nl struct nl_sock *sk = NULL;
	cleanup_close int nsfd = -1, hostns = -1;
	int saved = -1, br = -1, hidx, ret;
	bool created = false;
	char hv[16], mac[18] = "", hmac[18] = "", bmac[18] = "";

	if (parse_conf(env, nc, &c, err) < 0)
		return -1;
	nsfd = cni_netns_open(env->netns, err);
	if (nsfd < 0)
		return cni_error(err, CNI_ERR_INVALID_ENV, 0, "CNI_NETNS: %s", (*err)->msg);
	hostns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (hostns < 0)
		return cni_error(err, CNI_ERR_IO, errno, "open the host network namespace");
	/* Refuse a taken ifname before anything is allocated. */
	if (cni_netns_enter(env->netns, &saved, err) < 0)
		return cni_error_code(err, CNI_ERR_INVALID_ENV);
	{
		cleanup_nl struct nl_sock *csk = NULL;

		ret = cni_nl_open(&csk, err);
		if (ret == 0 && cni_nl_link_index(csk, env->ifname) >= 0)
			ret = cni_error(err, CNI_ERR_IFNAME_EXISTS, 0,
					"interface `%s` already exists in netns `%s`", env->ifname,
					env->netns);
	}
	if (cni_netns_return(&saved, err) < 0 || ret < 0)
		return cni_error_code(err, CNI_ERR_IO);
	if (cni_nl_open(&sk, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	host_veth_name(env, hv);
	if (cni_nl_link_index(sk, hv) >= 0)
		return cni_error(err, CNI_ERR_IFNAME_EXISTS, 0,
				 "host interface `%s` of container `%s` already exists", hv,
				 env->container_id);

	if (ipam_exec(env, nc, &c, "ADD", &ipam, err) < 0)
		return berth_error_wrap(err, "IPAM `%s`", c.ipam_type);
	if (ipam->n_ips == 0) {
		ret = cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "IPAM `%s` returned no address",
				c.ipam_type);
		goto fail;
	}
	ret = ensure_bridge(sk, &c, &created, &br, err);
	if (ret < 0)
		goto fail;
	if (c.is_gateway && ((ret = bridge_gateways(sk, br, ipam, err)) < 0 ||
			     (ret = enable_forwarding(ipam, err)) < 0))
		goto fail;

	/* The veth is made inside the container; its peer goes straight to the host. */
	ret = cni_netns_enter(env->netns, &saved, err);
	if (ret == 0) {
		cleanup_nl struct nl_sock *csk = NULL;

		ret = cni_nl_open(&csk, err);
		if (ret == 0)
			ret = cni_nl_veth_add(csk, env->ifname, hv, hostns, c.mtu, err);
		if (ret < 0)
			cni_error_code(err, CNI_ERR_IO);
		else
			ret = container_side(&c, env, ipam, mac, err);
		if (cni_netns_return(&saved, ret < 0 ? NULL : err) < 0)
			ret = -1;
	}
	if (ret < 0)
		goto fail;

	hidx = cni_nl_link_index(sk, hv);
	if (hidx < 0) {
		ret = cni_error(err, CNI_ERR_IO, ENODEV, "host interface `%s` missing", hv);
		goto fail;
	}
	if ((ret = cni_nl_link_set_master(sk, hidx, br, err)) < 0 ||
	    (c.hairpin && (ret = cni_nl_port_set_hairpin(sk, hidx, err)) < 0) ||
	    (c.vlan && (ret = cni_nl_port_set_pvid(sk, hidx, (uint16_t)c.vlan, err)) < 0) ||
	    (ret = cni_nl_link_set_up(sk, hidx, err)) < 0 ||
	    (ret = cni_nl_link_mac(sk, hidx, hmac, sizeof(hmac), err)) < 0 ||
	    (ret = cni_nl_link_mac(sk, br, bmac, sizeof(bmac), err)) < 0) {
		cni_error_code(err, CNI_ERR_IO);
		goto fail;
	}
	for (size_t i = 0; c.ip_masq && i < ipam->n_ips; i++) {
		struct cni_ipnet a;

		if ((ret = cni_ipnet_parse(ipam->ips[i].address, &a, err)) < 0 ||
		    (ret = cni_nft_masq_add(c.masq_table, nc->name, &a, &a.ip, err)) < 0) {
			cni_error_code(err, CNI_ERR_IO);
			goto fail;
		}
	}

	res = calloc(1, sizeof(*res));
	if (!res) {
		ret = cni_error(err, CNI_ERR_INTERNAL, ENOMEM, "allocate result");
		goto fail;
	}
	snprintf(res->cni_version, sizeof(res->cni_version), "%s", nc->cni_version);
	cni_result_add_interface(res, c.bridge, bmac, NULL, 0);
	cni_result_add_interface(res, hv, hmac, NULL, 0);
	cni_result_add_interface(res, env->ifname, mac, env->netns, 0);
	for (size_t i = 0; i < ipam->n_ips; i++)
		cni_result_add_ip(res, ipam->ips[i].address, ipam->ips[i].gateway, 2);
	for (size_t i = 0; i < ipam->n_routes; i++)
		cni_result_add_route(res, ipam->routes[i].dst, ipam->routes[i].gw);
	if (c.is_default_gateway)
		for (size_t i = 0; i < ipam->n_ips; i++)
			if (ipam->ips[i].gateway[0])
				cni_result_add_route(res,
						     ipam->ips[i].family == AF_INET6 ? "::/0"
										     : "0.0.0.0/0",
						     ipam->ips[i].gateway);
	res->dns = ipam->dns;
	memset(&ipam->dns, 0, sizeof(ipam->dns));
	cni_result_free(ipam);
	*out = res;
	return 0;
fail:
	undo(env, nc, &c, ipam, created);
	cni_result_free(ipam);
	return ret < 0 ? ret : -1;
}

static int cmd_del(const struct cni_env *env, const struct cni_netconf *nc, berth_error_t *err)
{
	struct bridge_conf c;
	cleanup_nl struct nl_sock *sk = NULL;
	struct cni_ip_addr addrs[16];
	int n = 0;
	char hv[16];

	if (parse_conf(env, nc, &c, err) < 0)
		return -1;
	/* The addresses to un-masquerade: prevResult, else what IPAM still holds. */
	if (nc->prev) {
		for (size_t i = 0; i < nc->prev->n_ips && n < 16; i++) {
			struct cni_ipnet a;

			if (cni_ipnet_parse(nc->prev->ips[i].address, &a, NULL) == 0)
				addrs[n++] = a.ip;
		}
	} else if (c.ip_masq && !strcmp(c.ipam_type, "berth-ipam")) {
		struct cni_ipam_conf ic;

		if (cni_ipam_conf_parse(c.ipam, nc->name, &ic, err) < 0)
			return -1;
		n = cni_ipam_held(&ic, env->container_id, env->ifname, addrs, 16, err);
		cni_ipam_conf_release(&ic);
		if (n < 0)
			return -1;
	}
	if (ipam_exec(env, nc, &c, "DEL", NULL, err) < 0)
		return berth_error_wrap(err, "IPAM `%s`", c.ipam_type);
	/* Deleting the host end removes the pair; netns gone or veth gone is fine. */
	if (cni_nl_open(&sk, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	host_veth_name(env, hv);
	if (cni_nl_link_del(sk, hv, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	for (int i = 0; c.ip_masq && i < n; i++)
		if (cni_nft_masq_del(c.masq_table, nc->name, &addrs[i], err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
	return 0;
}

static int cmd_check(const struct cni_env *env, const struct cni_netconf *nc, berth_error_t *err)
{
	struct bridge_conf c;
	cleanup_nl struct nl_sock *sk = NULL;
	int saved = -1, ret = 0;
	char hv[16];

	if (parse_conf(env, nc, &c, err) < 0)
		return -1;
	if (!nc->prev)
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "CHECK needs a prevResult");
	if (ipam_exec(env, nc, &c, "CHECK", NULL, err) < 0)
		return berth_error_wrap(err, "IPAM `%s`", c.ipam_type);
	if (cni_nl_open(&sk, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	host_veth_name(env, hv);
	if (cni_nl_link_index(sk, c.bridge) < 0)
		return cni_error(err, CNI_ERR_IO, ENODEV, "bridge `%s` is missing", c.bridge);
	if (cni_nl_link_index(sk, hv) < 0)
		return cni_error(err, CNI_ERR_IO, ENODEV, "host interface `%s` is missing", hv);
	if (cni_netns_enter(env->netns, &saved, err) < 0)
		return cni_error_code(err, CNI_ERR_INVALID_ENV);
	{
		cleanup_nl struct nl_sock *csk = NULL;
		int idx = -1;

		ret = cni_nl_open(&csk, err);
		if (ret == 0 && (idx = cni_nl_link_index(csk, env->ifname)) < 0)
			ret = cni_error(err, CNI_ERR_IO, ENODEV, "`%s` is missing in netns `%s`",
					env->ifname, env->netns);
		for (size_t i = 0; ret == 0 && i < nc->prev->n_ips; i++) {
			struct cni_ipnet a;

			if (nc->prev->ips[i].interface >= 0 &&
			    strcmp(nc->prev->interfaces[nc->prev->ips[i].interface].name,
				   env->ifname))
				continue;
			if (cni_ipnet_parse(nc->prev->ips[i].address, &a, err) < 0)
				ret = -1;
			else if (!cni_nl_addr_present(csk, idx, &a))
				ret = cni_error(err, CNI_ERR_IO, 0, "`%s` lacks address `%s`",
						env->ifname, nc->prev->ips[i].address);
		}
	}
	if (cni_netns_return(&saved, ret < 0 ? NULL : err) < 0)
		ret = -1;
	return ret;
}

static int cmd_status(const struct cni_netconf *nc, berth_error_t *err)
{
	struct cni_ipam_conf ic;
	json_t *ipam = json_object_get(nc->raw, "ipam");

	if (strcmp(json_string_value(json_object_get(ipam, "type")) ?: "", "berth-ipam"))
		return 0;
	if (cni_ipam_conf_parse(ipam, nc->name, &ic, err) < 0)
		return -1;
	if (berth_mkdir_p(ic.data_dir, 0700, err) < 0 || access(ic.data_dir, W_OK) < 0) {
		cni_ipam_conf_release(&ic);
		return cni_error(err, CNI_ERR_NOT_AVAILABLE, 0, "IPAM state dir is not writable");
	}
	cni_ipam_conf_release(&ic);
	return 0;
}

static const struct cni_plugin bridge_plugin = {
	.name = "berth-bridge",
	.add = cmd_add,
	.del = cmd_del,
	.check = cmd_check,
	.status = cmd_status,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&bridge_plugin, argc, argv);
}
