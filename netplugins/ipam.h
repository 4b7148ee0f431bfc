/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth-ipam's allocator, host-local style: one file per allocated address
 * under <dataDir>/<network>/ holding "<container id>\n<ifname>\n", a
 * last_reserved_ip.<set> file per range set for round-robin, and a lock file
 * taken with flock() around every allocation and release, so concurrent ADDs
 * from many processes never hand out one address twice.  berth-bridge links
 * it directly when its "ipam" is berth-ipam (no extra exec).
 */
#ifndef BERTH_CNI_IPAM_H
#define BERTH_CNI_IPAM_H

#include <jansson.h>
#include <limits.h>

#include "ipnet.h"
#include "plugin.h"

#define CNI_IPAM_DEFAULT_DATA_DIR "/var/lib/berth/ipam"

struct cni_ipam_range {
	struct cni_ipnet subnet;
	struct cni_ip_addr start, end; /* inclusive */
	struct cni_ip_addr gateway;    /* family 0: none */
};

struct cni_ipam_rangeset {
	struct cni_ipam_range *ranges;
	size_t n;
};

struct cni_ipam_route {
	struct cni_ipnet dst;
	struct cni_ip_addr gw;
};

struct cni_ipam_conf {
	char network[256];
	char data_dir[PATH_MAX - 512];
	struct cni_ipam_rangeset *sets; /* one address is handed out per set */
	size_t n_sets;
	struct cni_ipam_route *routes;
	size_t n_routes;
	struct cni_ipnet *reserved; /* never handed out */
	size_t n_reserved;
	json_t *dns; /* passed through to the result, may be NULL */
};

/* Parse the network's "ipam" object (network = the network's name). */
int cni_ipam_conf_parse(json_t *ipam, const char *network, struct cni_ipam_conf *out,
			berth_error_t *err);
void cni_ipam_conf_release(struct cni_ipam_conf *c);

/*
 * Allocate one address per range set for (id, ifname); an attachment that
 * already holds addresses gets them again.  want (may be NULL) asks for given
 * addresses (CNI_ARGS IP=...).  Fills res->ips (interface -1), routes and dns.
 */
int cni_ipam_add(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		 const char *want, struct cni_result *res, berth_error_t *err);
/* Release every address of (id, ifname); none held is success. */
int cni_ipam_del(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		 berth_error_t *err);
/* The addresses (id, ifname) holds, up to max; returns how many. */
int cni_ipam_held(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		  struct cni_ip_addr *out, size_t max, berth_error_t *err);
/* Fail unless (id, ifname) holds one address in every range set. */
int cni_ipam_check(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		   berth_error_t *err);

/* CNI entry points shared by berth-ipam and the in-process path of berth-bridge. */
int cni_ipam_cmd_add(const struct cni_env *env, const struct cni_netconf *conf,
		     struct cni_result **out, berth_error_t *err);
int cni_ipam_cmd_del(const struct cni_env *env, const struct cni_netconf *conf,
		     berth_error_t *err);
int cni_ipam_cmd_check(const struct cni_env *env, const struct cni_netconf *conf,
		       berth_error_t *err);

#endif
