/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth-vxlan: one overlay segment on this host.  Chained after berth-bridge
 * in a conflist, ADD makes sure the VXLAN device exists (VNI, UDP port, local
 * underlay address, no learning), is a port of the network's bridge and is
 * up, and programs the static FDB / neighbour entries for the remote VTEPs
 * listed in the peer file.  `berth-vxlan sync CONF` re-applies a rewritten
 * peer file without touching containers.  See berth-vxlan(8).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netplugins/nl.h"
#include "netplugins/plugin.h"
#include "util.h"

#define VXLAN_DEFAULT_PORT 4789

struct vxlan_conf {
	char bridge[16];
	char device[16];
	uint32_t vni;
	uint16_t port;
	struct cni_ip_addr local; /* family 0: let the kernel choose */
	bool learning;
	int mtu;
	char peer_file[4096];
};

struct vxlan_endpoint {
	struct cni_ip_addr ip;
	char mac[18];
	struct cni_ip_addr vtep;
};

struct vxlan_peers {
	struct cni_ip_addr *vteps;
	size_t n_vteps;
	struct vxlan_endpoint *eps;
	size_t n_eps;
};

static const char zero_mac[] = "00:00:00:00:00:00";

static void peers_release(struct vxlan_peers *p)
{
	free(p->vteps);
	free(p->eps);
	memset(p, 0, sizeof(*p));
}

static bool valid_mac(const char *m)
{
	unsigned v[6];
	char tail;

	return strlen(m) == 17 && sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
					 &v[4], &v[5], &tail) == 6;
}

static int parse_conf(json_t *j, struct vxlan_conf *c, berth_error_t *err)
{
	json_t *v;
	const char *s;

	memset(c, 0, sizeof(*c));
	s = json_string_value(json_object_get(j, "bridge"));
	if (!s || !*s || strlen(s) > 15)
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "\"bridge\" (1 to 15 characters) is required");
	snprintf(c->bridge, sizeof(c->bridge), "%s", s);
	v = json_object_get(j, "vni");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 16777215)
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "\"vni\" must be an integer 1..16777215");
	c->vni = (uint32_t)json_integer_value(v);
	v = json_object_get(j, "port");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "\"port\" must be 1..65535");
	c->port = v ? (uint16_t)json_integer_value(v) : VXLAN_DEFAULT_PORT;
	s = json_string_value(json_object_get(j, "device"));
	if (s && (!*s || strlen(s) > 15))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "\"device\" `%s` is not a valid interface name", s);
	if (s)
		snprintf(c->device, sizeof(c->device), "%s", s);
	else
		snprintf(c->device, sizeof(c->device), "vxlan%u", c->vni);
	s = json_string_value(json_object_get(j, "local"));
	if (s && cni_ip_parse(s, &c->local, err) < 0)
		return cni_error_code(err, CNI_ERR_INVALID_NETCONF);
	c->learning = json_is_true(json_object_get(j, "learning"));
	v = json_object_get(j, "mtu");
	c->mtu = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	s = json_string_value(json_object_get(j, "peerFile"));
	if (s)
		snprintf(c->peer_file, sizeof(c->peer_file), "%s", s);
	return 0;
}

/*
 * The peer file: {"vteps": ["198.18.0.12", ...],
 *                 "endpoints": [{"ip": "198.19.2.2", "mac": "02:..", "vtep": "198.18.0.12"}]}
 * A missing file means no peers yet.
 */
static int load_peers(const char *path, struct vxlan_peers *p, berth_error_t *err)
{
	cleanup_json json_t *j = NULL;
	json_t *a, *v;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (!*path || access(path, F_OK) < 0)
		return 0;
	if (berth_json_load_file(path, &j, err) < 0)
		return cni_error_code(err, CNI_ERR_DECODE);
	a = json_object_get(j, "vteps");
	p->vteps = calloc(json_array_size(a) + 1, sizeof(*p->vteps));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || cni_ip_parse(json_string_value(v), &p->vteps[i], err) < 0) {
			peers_release(p);
			return cni_error(err, CNI_ERR_DECODE, 0, "peer file `%s`: vteps[%zu] is not an "
					 "IP address", path, i);
		}
		p->n_vteps = i + 1;
	}
	a = json_object_get(j, "endpoints");
	p->eps = calloc(json_array_size(a) + 1, sizeof(*p->eps));
	json_array_foreach(a, i, v) {
		struct vxlan_endpoint *e = &p->eps[i];
		const char *ip = json_string_value(json_object_get(v, "ip"));
		const char *mac = json_string_value(json_object_get(v, "mac"));
		const char *vtep = json_string_value(json_object_get(v, "vtep"));

		if (!ip || !mac || !vtep || cni_ip_parse(ip, &e->ip, NULL) < 0 ||
		    cni_ip_parse(vtep, &e->vtep, NULL) < 0 || !valid_mac(mac)) {
			peers_release(p);
			return cni_error(err, CNI_ERR_DECODE, 0,
					 "peer file `%s`: endpoints[%zu] needs \"ip\", \"mac\" "
					 "(aa:bb:cc:dd:ee:ff) and \"vtep\"",
					 path, i);
		}
		snprintf(e->mac, sizeof(e->mac), "%s", mac);
		for (char *c = e->mac; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
		p->n_eps = i + 1;
	}
	return 0;
}

/* The VXLAN device, created when missing, a port of the bridge, up. */
static int ensure_device(struct nl_sock *sk, const struct vxlan_conf *c, int *index,
			 berth_error_t *err)
{
	char kind[32];
	int idx = cni_nl_link_index(sk, c->device), br = cni_nl_link_index(sk, c->bridge);

	if (br < 0)
		return cni_error(err, CNI_ERR_INVALID_NETCONF, ENODEV,
				 "bridge `%s` of the overlay does not exist (chain berth-vxlan after "
				 "berth-bridge)",
				 c->bridge);
	if (idx < 0) {
		if (cni_nl_vxlan_add(sk, c->device, c->vni, c->port, &c->local, c->learning, c->mtu,
				     err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
		idx = cni_nl_link_index(sk, c->device);
		if (idx < 0)
			return cni_error(err, CNI_ERR_IO, ENODEV, "vxlan `%s` vanished", c->device);
	} else {
		if (cni_nl_link_kind(sk, c->device, kind, sizeof(kind), err) < 0)
			return cni_error_code(err, CNI_ERR_IO);
		if (strcmp(kind, "vxlan"))
			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "`%s` exists and is not a vxlan device", c->device);
	}
	if (cni_nl_link_set_master(sk, idx, br, err) < 0 || cni_nl_link_set_up(sk, idx, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	*index = idx;
	return 0;
}

static bool is_local(const struct vxlan_conf *c, const struct cni_ip_addr *a)
{
	return c->local.family && !cni_ip_cmp(&c->local, a);
}

/* Make the device's static FDB and neighbour entries equal to the peer file. */
static int sync_entries(struct nl_sock *sk, int idx, const struct vxlan_conf *c,
			const struct vxlan_peers *p, int *added, int *removed, berth_error_t *err)
{
	struct cni_nl_entry *fdb = NULL, *neigh = NULL;
	size_t nfdb = 0, nneigh = 0;
	int ret = 0;

	*added = *removed = 0;
	if (cni_nl_fdb_list(sk, idx, &fdb, &nfdb, err) < 0 ||
	    cni_nl_neigh_list(sk, idx, &neigh, &nneigh, err) < 0) {
		free(fdb);
		return cni_error_code(err, CNI_ERR_IO);
	}
	/* Remove what the file no longer lists. */
	for (size_t i = 0; i < nfdb && ret == 0; i++) {
		bool want = false;

		if (!fdb[i].ip.family)
			continue; /* not a VTEP entry (e.g. the device's own address) */
		if (!strcmp(fdb[i].mac, zero_mac)) {
			for (size_t k = 0; k < p->n_vteps; k++)
				want |= !cni_ip_cmp(&p->vteps[k], &fdb[i].ip) &&
					!is_local(c, &p->vteps[k]);
		} else {
			for (size_t k = 0; k < p->n_eps; k++)
				want |= !strcmp(p->eps[k].mac, fdb[i].mac) &&
					!cni_ip_cmp(&p->eps[k].vtep, &fdb[i].ip) &&
					!is_local(c, &p->eps[k].vtep);
		}
		if (!want) {
			ret = cni_nl_fdb_del(sk, idx, fdb[i].mac, &fdb[i].ip, err);
			(*removed)++;
		}
	}
	for (size_t i = 0; i < nneigh && ret == 0; i++) {
		bool want = false;

		for (size_t k = 0; k < p->n_eps; k++)
			want |= !cni_ip_cmp(&p->eps[k].ip, &neigh[i].ip) &&
				!strcmp(p->eps[k].mac, neigh[i].mac) && !is_local(c, &p->eps[k].vtep);
		if (!want) {
			ret = cni_nl_neigh_del(sk, idx, &neigh[i].ip, err);
			(*removed)++;
		}
	}
	/* Add what is missing: flooding to every remote VTEP, then each remote endpoint. */
	for (size_t k = 0; k < p->n_vteps && ret == 0; k++) {
		bool have = false;

		if (is_local(c, &p->vteps[k]))
			continue;
		for (size_t i = 0; i < nfdb; i++)
			have |= !strcmp(fdb[i].mac, zero_mac) && !cni_ip_cmp(&fdb[i].ip, &p->vteps[k]);
		if (!have) {
			ret = cni_nl_fdb_add(sk, idx, zero_mac, &p->vteps[k], err);
			(*added)++;
		}
	}
	for (size_t k = 0; k < p->n_eps && ret == 0; k++) {
		const struct vxlan_endpoint *e = &p->eps[k];
		bool have_fdb = false, have_neigh = false;

		if (is_local(c, &e->vtep))
			continue;
		for (size_t i = 0; i < nfdb; i++)
			have_fdb |= !strcmp(fdb[i].mac, e->mac) && !cni_ip_cmp(&fdb[i].ip, &e->vtep);
		for (size_t i = 0; i < nneigh; i++)
			have_neigh |= !strcmp(neigh[i].mac, e->mac) && !cni_ip_cmp(&neigh[i].ip, &e->ip);
		if (!have_fdb) {
			/* A moved endpoint: drop its entry towards the old VTEP first. */
			for (size_t i = 0; i < nfdb && ret == 0; i++)
				if (!strcmp(fdb[i].mac, e->mac))
					ret = cni_nl_fdb_del(sk, idx, e->mac, &fdb[i].ip, err);
			if (ret == 0)
				ret = cni_nl_fdb_add(sk, idx, e->mac, &e->vtep, err);
			(*added)++;
		}
		if (ret == 0 && !have_neigh) {
			ret = cni_nl_neigh_add(sk, idx, &e->ip, e->mac, err);
			(*added)++;
		}
	}
	free(fdb);
	free(neigh);
	return ret < 0 ? cni_error_code(err, CNI_ERR_IO) : 0;
}

static int apply(const struct vxlan_conf *c, int *added, int *removed, berth_error_t *err)
{
	cleanup_nl struct nl_sock *sk = NULL;
	struct vxlan_peers p;
	int idx = -1, ret;

	if (load_peers(c->peer_file, &p, err) < 0)
		return -1;
	ret = cni_nl_open(&sk, err);
	if (ret == 0)
		ret = ensure_device(sk, c, &idx, err);
	if (ret == 0)
		ret = sync_entries(sk, idx, c, &p, added, removed, err);
	peers_release(&p);
	return ret;
}

static int cmd_add(const struct cni_env *env, const struct cni_netconf *nc,
		   struct cni_result **out, berth_error_t *err)
{
	struct vxlan_conf c;
	int added, removed;
	json_t *prev = json_object_get(nc->raw, "prevResult");

	if (parse_conf(nc->raw, &c, err) < 0)
		return -1;
	if (!nc->prev)
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "berth-vxlan is a chained plugin: it needs a prevResult (put it "
				 "after berth-bridge in a conflist)");
	if (apply(&c, &added, &removed, err) < 0)
		return berth_error_wrap(err, "overlay `%s` (vni %u)", nc->name, c.vni);
	/* The container's attachment is the bridge's: pass its result on. */
	return cni_result_parse(prev, out, err);
}

static int cmd_del(const struct cni_env *env, const struct cni_netconf *nc, berth_error_t *err)
{
	struct vxlan_conf c;

	/* The device is shared by every container of the segment: nothing per container. */
	return parse_conf(nc->raw, &c, err);
}

static int cmd_check(const struct cni_env *env, const struct cni_netconf *nc, berth_error_t *err)
{
	struct vxlan_conf c;
	cleanup_nl struct nl_sock *sk = NULL;
	char kind[32];

	if (parse_conf(nc->raw, &c, err) < 0 || cni_nl_open(&sk, err) < 0)
		return -1;
	if (cni_nl_link_kind(sk, c.device, kind, sizeof(kind), err) < 0 || strcmp(kind, "vxlan"))
		return cni_error(err, CNI_ERR_IO, ENODEV, "vxlan device `%s` is missing", c.device);
	return 0;
}

static const struct cni_plugin vxlan_plugin = {
	.name = "berth-vxlan",
	.add = cmd_add,
	.del = cmd_del,
	.check = cmd_check,
};

/* `berth-vxlan sync CONF`: CONF is a network file (.conf or .conflist) holding berth-vxlan. */
static int sync_main(const char *path)
{
	berth_error_t err = NULL;
	cleanup_json json_t *j = NULL;
	json_t *plugins, *p, *mine = NULL;
	struct vxlan_conf c;
	int added = 0, removed = 0;
	size_t i;

	if (berth_json_load_file(path, &j, &err) < 0)
		goto fail;
	plugins = json_object_get(j, "plugins");
	if (!plugins)
		mine = j;
	json_array_foreach(plugins, i, p) {
		if (!strcmp(json_string_value(json_object_get(p, "type")) ?: "", "berth-vxlan"))
			mine = p;
	}
	if (!mine) {
		berth_error(&err, EINVAL, "`%s` has no berth-vxlan plugin", path);
		goto fail;
	}
	if (parse_conf(mine, &c, &err) < 0 || apply(&c, &added, &removed, &err) < 0)
		goto fail;
	printf("%s: %d entries added, %d removed\n", c.device, added, removed);
	return 0;
fail:
	berth_error_wrap(&err, "sync `%s`", path);
	berth_error_print(stderr, "berth-vxlan", &err);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "sync") && argc == 3)
			return sync_main(argv[2]);
		fprintf(stderr, "usage: berth-vxlan sync NETWORK-CONF   (else: a CNI plugin)\n");
		return 2;
	}
	return cni_plugin_main(&vxlan_plugin, argc, argv);
}
