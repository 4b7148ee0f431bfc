/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IP addresses and prefixes as values: parsing, printing and the small
 * amount of arithmetic IPAM needs (next address, range membership, the
 * network and last address of a prefix).  IPv4 is kept as 4 bytes, IPv6 as
 * 16; all math is on big-endian byte arrays so both families share it.
 */
#ifndef BERTH_CNI_IPNET_H
#define BERTH_CNI_IPNET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "error.h"

struct cni_ip_addr {
	int family; /* AF_INET or AF_INET6, 0 when unset */
	uint8_t b[16];
};

struct cni_ipnet {
	struct cni_ip_addr ip; /* the address as written (may have host bits) */
	int prefix;
};

/* Length in bytes of the family's addresses (4 or 16). */
int cni_ip_len(const struct cni_ip_addr *a);
int cni_ip_parse(const char *s, struct cni_ip_addr *out, berth_error_t *err);
/* "a.b.c.d/n" or "x::y/n". */
int cni_ipnet_parse(const char *s, struct cni_ipnet *out, berth_error_t *err);
/* Formatting into a caller buffer of at least CNI_IPNET_STRLEN bytes. */
#define CNI_IPNET_STRLEN 64
const char *cni_ip_fmt(const struct cni_ip_addr *a, char *buf);
const char *cni_ipnet_fmt(const struct cni_ipnet *n, char *buf);

/* <0, 0, >0 like memcmp; different families compare by family. */
int cni_ip_cmp(const struct cni_ip_addr *a, const struct cni_ip_addr *b);
bool cni_ip_is_zero(const struct cni_ip_addr *a);
/* a + delta (delta may be negative); false on wrap-around. */
bool cni_ip_add(struct cni_ip_addr *a, int64_t delta);
/* The network address (host bits cleared) and the last address of n. */
void cni_ipnet_first(const struct cni_ipnet *n, struct cni_ip_addr *out);
void cni_ipnet_last(const struct cni_ipnet *n, struct cni_ip_addr *out);
bool cni_ipnet_contains(const struct cni_ipnet *n, const struct cni_ip_addr *a);
/* Do the two prefixes share any address? */
bool cni_ipnet_overlaps(const struct cni_ipnet *a, const struct cni_ipnet *b);

#endif
