/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ipnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cni_ip_len(const struct cni_ip_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

int cni_ip_parse(const char *s, struct cni_ip_addr *out, berth_error_t *err)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return berth_error(err, EINVAL, "invalid IP address `%s`", s);
}

int cni_ipnet_parse(const char *s, struct cni_ipnet *out, berth_error_t *err)
{
	char buf[CNI_IPNET_STRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	long p;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return berth_error(err, EINVAL, "invalid CIDR `%s`: want ADDRESS/PREFIX", s);
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (cni_ip_parse(buf, &out->ip, err) < 0)
		return berth_error(err, EINVAL, "invalid CIDR `%s`: bad address", s);
	errno = 0;
	p = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || p < 0 || p > cni_ip_len(&out->ip) * 8)
		return berth_error(err, EINVAL, "invalid CIDR `%s`: bad prefix length", s);
	out->prefix = (int)p;
	return 0;
}

const char *cni_ip_fmt(const struct cni_ip_addr *a, char *buf)
{
	if (!inet_ntop(a->family ? a->family : AF_INET, a->b, buf, CNI_IPNET_STRLEN))
		snprintf(buf, CNI_IPNET_STRLEN, "?");
	return buf;
}

const char *cni_ipnet_fmt(const struct cni_ipnet *n, char *buf)
{
	char a[INET6_ADDRSTRLEN + 1];

	if (!inet_ntop(n->ip.family ? n->ip.family : AF_INET, n->ip.b, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, CNI_IPNET_STRLEN, "%s/%d", a, n->prefix & 0xff);
	return buf;
}

int cni_ip_cmp(const struct cni_ip_addr *a, const struct cni_ip_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, cni_ip_len(a));
}

bool cni_ip_is_zero(const struct cni_ip_addr *a)
{
	for (int i = 0; i < cni_ip_len(a); i++)
		if (a->b[i])
			return false;
	return true;
}

bool cni_ip_add(struct cni_ip_addr *a, int64_t delta)
{
	int len = cni_ip_len(a);
	uint64_t mag = delta < 0 ? (uint64_t)(-(delta + 1)) + 1 : (uint64_t)delta;
	int carry = 0;

	/* Byte-wise add or subtract of a 64-bit magnitude, propagating carry/borrow. */
	for (int i = len - 1; i >= 0; i--) {
		int d = (int)(mag & 0xff) + carry;
		int v = delta < 0 ? (int)a->b[i] - d : (int)a->b[i] + d;

		mag >>= 8;
		if (v < 0) {
			v += 256;
			carry = 1;
		} else if (v > 255) {
			v -= 256;
			carry = 1;
		} else {
			carry = 0;
		}
		a->b[i] = (uint8_t)v;
	}
	return !carry && !mag;
}

static void ipnet_mask(const struct cni_ipnet *n, struct cni_ip_addr *out, bool set_host)
{
	int len = cni_ip_len(&n->ip);

	*out = n->ip;
	for (int i = 0; i < len; i++) {
		int bits = n->prefix - i * 8;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		out->b[i] = set_host ? (uint8_t)(out->b[i] | ~m) : (uint8_t)(out->b[i] & m);
	}
}

void cni_ipnet_first(const struct cni_ipnet *n, struct cni_ip_addr *out)
{
	ipnet_mask(n, out, false);
}

void cni_ipnet_last(const struct cni_ipnet *n, struct cni_ip_addr *out)
{
	ipnet_mask(n, out, true);
}

bool cni_ipnet_contains(const struct cni_ipnet *n, const struct cni_ip_addr *a)
{
	struct cni_ip_addr lo, hi;

	if (a->family != n->ip.family)
		return false;
	cni_ipnet_first(n, &lo);
	cni_ipnet_last(n, &hi);
	return cni_ip_cmp(a, &lo) >= 0 && cni_ip_cmp(a, &hi) <= 0;
}

bool cni_ipnet_overlaps(const struct cni_ipnet *a, const struct cni_ipnet *b)
{
	struct cni_ip_addr a0, b0;

	cni_ipnet_first(a, &a0);
	cni_ipnet_first(b, &b0);
	return cni_ipnet_contains(a, &b0) || cni_ipnet_contains(b, &a0);
}
