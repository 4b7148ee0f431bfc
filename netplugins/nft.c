/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nft.h"

#include <ctype.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ctx_freep(struct nft_ctx **c)
{
	if (*c)
		nft_ctx_free(*c);
}
#define cleanup_nft __attribute__((cleanup(ctx_freep)))

/* nft identifiers: network names may hold characters nft does not accept. */
static void set_name(const char *network, int family, char *out, size_t size)
{
	size_t i = 0;

	for (const char *c = network; *c && i + 8 < size; c++)
		out[i++] = isalnum((unsigned char)*c) ? *c : '_';
	snprintf(out + i, size - i, "_v%c", family == AF_INET6 ? '6' : '4');
}

static int run(const char *cmd, bool quiet_enoent, berth_error_t *err)
{
	cleanup_nft struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *msg;
	char *nl;

	if (!ctx)
		return berth_error_errno(err, ENOMEM, "nftables context");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, cmd) == 0)
		return 0;
	msg = nft_ctx_get_error_buffer(ctx);
	if (quiet_enoent && msg && (strstr(msg, "No such file") || strstr(msg, "does not exist")))
		return 0;
	/* The first line carries the kernel's reason. */
	nl = msg ? strchr(msg, '\n') : NULL;
	return berth_error(err, EIO, "nftables `%s`: %.*s", cmd, nl ? (int)(nl - msg) : 200,
			   msg ? msg : "failed");
}

/* "<verb> element inet <table> <set> { <addr> }" on the network's set of addr's family. */
static int run_element(const char *verb, const char *table, const char *network,
		       const struct cni_ip_addr *addr, bool quiet_enoent, char ip[CNI_IPNET_STRLEN],
		       berth_error_t *err)
{
	char set[300], cmd[2048];

	set_name(network, addr->family, set, sizeof(set));
	snprintf(cmd, sizeof(cmd), "%s element inet %s %s { %s }", verb, table, set,
		 cni_ip_fmt(addr, ip));
	return run(cmd, quiet_enoent, err);
}

int cni_nft_masq_add(const char *table, const char *network, const struct cni_ipnet *subnet,
		     const struct cni_ip_addr *addr, berth_error_t *err)
{
	char set[300], net[CNI_IPNET_STRLEN], ip[CNI_IPNET_STRLEN], cmd[2048];
	struct cni_ipnet first = *subnet;
	const char *fam = addr->family == AF_INET6 ? "ip6" : "ip";
	const char *type = addr->family == AF_INET6 ? "ipv6_addr" : "ipv4_addr";

	cni_ipnet_first(subnet, &first.ip);
	set_name(network, addr->family, set, sizeof(set));
	/*
	 * One transaction creating the set and its rule; when the set exists
	 * already (another container of the network) the whole batch fails
	 * atomically and the rule is not added twice.
	 */
	snprintf(cmd, sizeof(cmd),
		 "add table inet %s\n"
		 "add chain inet %s postrouting { type nat hook postrouting priority srcnat; }\n"
		 "create set inet %s %s { type %s; }\n"
		 "add rule inet %s postrouting %s saddr @%s %s daddr != %s masquerade\n",
		 table, table, table, set, type, table, fam, set, fam, cni_ipnet_fmt(&first, net));
	if (run(cmd, false, NULL) < 0) {
		/* Existing set: make sure the table and set are there, else report why. */
		snprintf(cmd, sizeof(cmd), "list set inet %s %s", table, set);
		if (run(cmd, false, err) < 0)
			return berth_error_wrap(err, "set up masquerading for network `%s`", network);
	}
	if (run_element("add", table, network, addr, false, ip, err) < 0)
		return berth_error_wrap(err, "masquerade `%s`", ip);
	return 0;
}

int cni_nft_masq_del(const char *table, const char *network, const struct cni_ip_addr *addr,
		     berth_error_t *err)
{
	char ip[CNI_IPNET_STRLEN];

	if (run_element("delete", table, network, addr, true, ip, err) < 0)
		return berth_error_wrap(err, "stop masquerading `%s`", ip);
	return 0;
}

int cni_nft_masq_has(const char *table, const char *network, const struct cni_ip_addr *addr,
		     berth_error_t *err)
{
	char ip[CNI_IPNET_STRLEN];

	return run_element("get", table, network, addr, false, ip, err) == 0 ? 1 : 0;
}
