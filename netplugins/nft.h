/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipMasq for berth-bridge through nftables (libnftables, in process).
 *
 * Layout, in table `inet <table>` (default "berth"): per network a set of
 * container addresses per family (`<net>_v4`, `<net>_v6`) and one rule in
 * the nat postrouting chain: saddr in the set, daddr outside the network's
 * subnet -> masquerade.  ADD and DEL only add or remove a set element, so
 * they are O(1) and idempotent.
 */
#ifndef BERTH_CNI_NFT_H
#define BERTH_CNI_NFT_H

#include "error.h"
#include "ipnet.h"

#define CNI_NFT_DEFAULT_TABLE "berth"

/* Masquerade traffic from addr (a container address in subnet) leaving the subnet. */
int cni_nft_masq_add(const char *table, const char *network, const struct cni_ipnet *subnet,
		     const struct cni_ip_addr *addr, berth_error_t *err);
/* Remove addr; absent table, set or element is success. */
int cni_nft_masq_del(const char *table, const char *network, const struct cni_ip_addr *addr,
		     berth_error_t *err);
/* Is addr in the network's masquerade set? */
int cni_nft_masq_has(const char *table, const char *network, const struct cni_ip_addr *addr,
		     berth_error_t *err);

#endif
