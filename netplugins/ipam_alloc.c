/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ipam.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void cni_ipam_conf_release(struct cni_ipam_conf *c)
{
	for (size_t i = 0; i < c->n_sets; i++)
		free(c->sets[i].ranges);
	free(c->sets);
	free(c->routes);
	free(c->reserved);
	if (c->dns)
		json_decref(c->dns);
	memset(c, 0, sizeof(*c));
}

static int opt_ip(json_t *o, const char *key, struct cni_ip_addr *out, berth_error_t *err)
{
	json_t *v = json_object_get(o, key);

	memset(out, 0, sizeof(*out));
	if (!v)
		return 0;
	if (!json_is_string(v))
		return berth_error(err, EINVAL, "\"%s\" must be a string", key);
	if (cni_ip_parse(json_string_value(v), out, err) < 0)
		return berth_error_wrap(err, "\"%s\"", key);
	return 0;
}

/* One range: subnet required; start/end default to the first/last usable address. */
static int parse_range(json_t *o, json_t *legacy_gw, struct cni_ipam_range *r, berth_error_t *err)
{
	json_t *s = json_object_get(o, "subnet");
	struct cni_ip_addr last;
	char a[CNI_IPNET_STRLEN], b[CNI_IPNET_STRLEN];

	memset(r, 0, sizeof(*r));
	if (!json_is_string(s))
		return berth_error(err, EINVAL, "\"subnet\" missing or not a string");
	if (cni_ipnet_parse(json_string_value(s), &r->subnet, err) < 0)
		return berth_error_wrap(err, "\"subnet\"");
	cni_ipnet_first(&r->subnet, &r->subnet.ip);
	if (cni_ip_len(&r->subnet.ip) * 8 - r->subnet.prefix < 2)
		return berth_error(err, EINVAL, "subnet `%s` is too small (at least a /%d)",
				   cni_ipnet_fmt(&r->subnet, a), cni_ip_len(&r->subnet.ip) * 8 - 2);
	if (opt_ip(o, "rangeStart", &r->start, err) < 0 || opt_ip(o, "rangeEnd", &r->end, err) < 0 ||
	    opt_ip(o, "gateway", &r->gateway, err) < 0)
		return -1;
	if (!r->gateway.family && legacy_gw && json_is_string(legacy_gw) &&
	    cni_ip_parse(json_string_value(legacy_gw), &r->gateway, err) < 0)
		return berth_error_wrap(err, "\"gateway\"");
	if (!r->start.family) {
		r->start = r->subnet.ip;
		cni_ip_add(&r->start, 1);
	}
	cni_ipnet_last(&r->subnet, &last);
	if (!r->end.family) {
		r->end = last;
		/* The IPv4 broadcast address is not a host address. */
		if (r->subnet.ip.family == AF_INET)
			cni_ip_add(&r->end, -1);
	}
	if (!r->gateway.family) {
		r->gateway = r->subnet.ip;
		cni_ip_add(&r->gateway, 1);
	}
	if (!cni_ipnet_contains(&r->subnet, &r->start) || !cni_ipnet_contains(&r->subnet, &r->end))
		return berth_error(err, EINVAL, "range %s-%s is not inside subnet `%s`",
				   cni_ip_fmt(&r->start, a), cni_ip_fmt(&r->end, b),
				   cni_ipnet_fmt(&r->subnet, a));
	if (cni_ip_cmp(&r->start, &r->end) > 0)
		return berth_error(err, EINVAL, "rangeStart `%s` is after rangeEnd `%s`",
				   cni_ip_fmt(&r->start, a), cni_ip_fmt(&r->end, b));
	if (!cni_ipnet_contains(&r->subnet, &r->gateway))
		return berth_error(err, EINVAL, "gateway `%s` is not inside subnet `%s`",
				   cni_ip_fmt(&r->gateway, a), cni_ipnet_fmt(&r->subnet, b));
	return 0;
}

static int parse_rangeset(json_t *a, json_t *legacy_gw, struct cni_ipam_rangeset *set,
			  berth_error_t *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return berth_error(err, EINVAL, "a range set must be a non-empty array of ranges");
	set->ranges = calloc(json_array_size(a), sizeof(*set->ranges));
	if (!set->ranges)
		return berth_error_errno(err, ENOMEM, "allocate ranges");
	json_array_foreach(a, i, v) {
		if (parse_range(v, legacy_gw, &set->ranges[i], err) < 0)
			return berth_error_wrap(err, "range %zu", i);
		set->n = i + 1;
		for (size_t j = 0; j < i; j++) {
			char s[CNI_IPNET_STRLEN];

			if (set->ranges[j].subnet.ip.family != set->ranges[i].subnet.ip.family)
				return berth_error(err, EINVAL,
						   "range %zu mixes IPv4 and IPv6 in one range set",
						   i);
			if (cni_ipnet_overlaps(&set->ranges[j].subnet, &set->ranges[i].subnet) &&
			    !(cni_ip_cmp(&set->ranges[i].start, &set->ranges[j].end) > 0 ||
			      cni_ip_cmp(&set->ranges[j].start, &set->ranges[i].end) > 0))
				return berth_error(err, EINVAL, "range %zu overlaps range %zu (`%s`)", i,
						   j, cni_ipnet_fmt(&set->ranges[j].subnet, s));
		}
	}
	return 0;
}

static int parse_route(json_t *v, size_t i, void *item, void *ctx, berth_error_t *err)
{
	struct cni_ipam_route *r = item;
	json_t *d = json_object_get(v, "dst");

	if (!json_is_string(d))
		return berth_error(err, EINVAL, "routes[%zu]: \"dst\" missing", i);
	if (cni_ipnet_parse(json_string_value(d), &r->dst, err) < 0 ||
	    opt_ip(v, "gw", &r->gw, err) < 0)
		return berth_error_wrap(err, "routes[%zu]", i);
	return 0;
}

/* An address (a /32 or /128) or a CIDR. */
static int parse_reserved(json_t *v, size_t i, void *item, void *ctx, berth_error_t *err)
{
	struct cni_ipnet *r = item;
	const char *s = json_string_value(v);

	if (!s)
		return berth_error(err, EINVAL, "reserved[%zu] is not a string", i);
	if (strchr(s, '/')) {
		if (cni_ipnet_parse(s, r, err) < 0)
			return berth_error_wrap(err, "reserved[%zu]", i);
	} else {
		if (cni_ip_parse(s, &r->ip, err) < 0)
			return berth_error_wrap(err, "reserved[%zu]", i);
		r->prefix = cni_ip_len(&r->ip) * 8;
	}
	return 0;
}

int cni_ipam_conf_parse(json_t *ipam, const char *network, struct cni_ipam_conf *c,
			berth_error_t *err)
{
	json_t *ranges, *v;
	int ret;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(ipam))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "\"ipam\" missing or not an object");
	if (!*network || strchr(network, '/') || !strcmp(network, ".") || !strcmp(network, ".."))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "network name `%s` cannot name a directory", network);
	snprintf(c->network, sizeof(c->network), "%s", network);
	v = json_object_get(ipam, "dataDir");
	if (snprintf(c->data_dir, sizeof(c->data_dir), "%s",
		     json_is_string(v) ? json_string_value(v) : CNI_IPAM_DEFAULT_DATA_DIR) >=
	    (int)sizeof(c->data_dir))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "\"dataDir\" is too long");
	ranges = json_object_get(ipam, "ranges");
	if (ranges) {
		size_t i;

		if (!json_is_array(ranges) || !json_array_size(ranges)) {
			ret = berth_error(err, EINVAL, "\"ranges\" must be a non-empty array");
			goto fail;
		}
		c->sets = calloc(json_array_size(ranges), sizeof(*c->sets));
		if (!c->sets) {
			ret = berth_error_errno(err, ENOMEM, "allocate range sets");
			goto fail;
		}
		json_array_foreach(ranges, i, v) {
			c->n_sets = i + 1;
			if ((ret = parse_rangeset(v, NULL, &c->sets[i], err)) < 0) {
				berth_error_wrap(err, "\"ranges\"[%zu]", i);
				goto fail;
			}
		}
	} else if (json_object_get(ipam, "subnet")) {
		/* The old single-range form: subnet/rangeStart/rangeEnd/gateway at top level. */
		json_t *one = json_array();

		json_array_append(one, ipam);
		c->sets = calloc(1, sizeof(*c->sets));
		c->n_sets = 1;
		ret = c->sets ? parse_rangeset(one, json_object_get(ipam, "gateway"), &c->sets[0], err)
			      : berth_error_errno(err, ENOMEM, "allocate range set");
		json_decref(one);
		if (ret < 0)
			goto fail;
	} else {
		ret = berth_error(err, EINVAL, "neither \"ranges\" nor \"subnet\" given");
		goto fail;
	}
	if ((v = json_object_get(ipam, "routes")) &&
	    (ret = cni_json_array_parse(v, "routes", "an array", c->routes, &c->n_routes,
					parse_route, NULL, err)) < 0)
		goto fail;
	if ((v = json_object_get(ipam, "reserved")) &&
	    (ret = cni_json_array_parse(v, "reserved", "an array of addresses or CIDRs", c->reserved,
					&c->n_reserved, parse_reserved, NULL, err)) < 0)
		goto fail;
	if ((v = json_object_get(ipam, "dns")))
		c->dns = json_incref(v);
	return 0;
fail:
	berth_error_wrap(err, "ipam configuration of network `%s`", network);
	cni_error_code(err, CNI_ERR_INVALID_NETCONF);
	cni_ipam_conf_release(c);
	return ret;
}

/* The network's state directory, locked; returns the dir fd and the lock fd. */
static int state_open(const struct cni_ipam_conf *c, int *lockfd, berth_error_t *err)
{
	char path[PATH_MAX];
	int dfd;

	snprintf(path, sizeof(path), "%s/%s", c->data_dir, c->network);
	if (berth_mkdir_p(path, 0700, err) < 0)
		return cni_error_code(err, CNI_ERR_IO);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cni_error(err, CNI_ERR_IO, errno, "open IPAM state `%s`", path);
	*lockfd = openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX) < 0) {
		int e = errno;

		if (*lockfd >= 0)
			close(*lockfd);
		close(dfd);
		return cni_error(err, CNI_ERR_IO, e, "lock IPAM state `%s`", path);
	}
	return dfd;
}

static void state_close(int dfd, int lockfd)
{
	/* Closing the lock fd releases the flock. */
	close(lockfd);
	close(dfd);
}

static bool is_reserved(const struct cni_ipam_conf *c, const struct cni_ipam_range *r,
			const struct cni_ip_addr *a)
{
	if (!cni_ip_cmp(a, &r->gateway))
		return true;
	for (size_t i = 0; i < c->n_reserved; i++)
		if (cni_ipnet_contains(&c->reserved[i], a))
			return true;
	return false;
}

/* Claim an address: its file, created exclusively, is the allocation. */
static int claim(int dfd, const struct cni_ip_addr *a, const char *id, const char *ifname,
		 berth_error_t *err)
{
	char name[CNI_IPNET_STRLEN], buf[512];
	cleanup_close int fd = -1;
	int len;

	cni_ip_fmt(a, name);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return 1;
	if (fd < 0)
		return cni_error(err, CNI_ERR_IO, errno, "record allocation of `%s`", name);
	len = snprintf(buf, sizeof(buf), "%s\n%s\n", id, ifname);
	if (berth_write_all(fd, buf, (size_t)len) < 0) {
		int e = errno;

		unlinkat(dfd, name, 0);
		return cni_error(err, CNI_ERR_IO, e, "record allocation of `%s`", name);
	}
	return 0;
}

/* Is the file entry name an allocation owned by (id, ifname)? */
static bool owned_by(int dfd, const char *name, const char *id, const char *ifname)
{
	char buf[512], want[512];
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%s\n%s\n", id, ifname);
	return strcmp(buf, want) == 0;
}

/* The address of (id, ifname) already held in set, if any. */
static bool find_held(int dfd, const struct cni_ipam_rangeset *set, const char *id,
		      const char *ifname, struct cni_ip_addr *out)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;
	int fd2 = dup(dfd);

	if (fd2 < 0 || !(d = fdopendir(fd2))) {
		if (fd2 >= 0)
			close(fd2);
		return false;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		struct cni_ip_addr a;

		if (e->d_name[0] == '.' || cni_ip_parse(e->d_name, &a, NULL) < 0)
			continue;
		for (size_t i = 0; i < set->n; i++) {
			const struct cni_ipam_range *r = &set->ranges[i];

			if (a.family == r->start.family && cni_ip_cmp(&a, &r->start) >= 0 &&
			    cni_ip_cmp(&a, &r->end) <= 0 && owned_by(dfd, e->d_name, id, ifname)) {
				*out = a;
				return true;
			}
		}
	}
	return false;
}

/* The round-robin cursor of a range set: the address handed out last. */
static void last_reserved_write(int dfd, size_t set, const struct cni_ip_addr *val)
{
	char name[64], buf[CNI_IPNET_STRLEN];
	cleanup_close int fd = -1;

	snprintf(name, sizeof(name), "last_reserved_ip.%zu", set);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		(void)!berth_write_all(fd, cni_ip_fmt(val, buf), strlen(buf));
}

static void last_reserved_read(int dfd, size_t set, struct cni_ip_addr *out)
{
	char name[64], buf[CNI_IPNET_STRLEN];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(name, sizeof(name), "last_reserved_ip.%zu", set);
	memset(out, 0, sizeof(*out));
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n > 0) {
		buf[n] = '\0';
		if (cni_ip_parse(buf, out, NULL) < 0)
			memset(out, 0, sizeof(*out));
	}
}

/* Step to the next address of the set, wrapping from the last range to the first. */
static void set_next(const struct cni_ipam_rangeset *set, size_t *ri, struct cni_ip_addr *a)
{
	if (cni_ip_cmp(a, &set->ranges[*ri].end) >= 0) {
		*ri = (*ri + 1) % set->n;
		*a = set->ranges[*ri].start;
		return;
	}
	cni_ip_add(a, 1);
}

static int alloc_in_set(const struct cni_ipam_conf *c, int dfd, size_t si, const char *id,
			const char *ifname, const struct cni_ip_addr *want, struct cni_ip_addr *out,
			size_t *range_out, berth_error_t *err)
{
	const struct cni_ipam_rangeset *set = &c->sets[si];
	struct cni_ip_addr a, first, last;
	char buf[CNI_IPNET_STRLEN];
	size_t ri = 0;
	int ret;

	if (find_held(dfd, set, id, ifname, out)) {
		for (ri = 0; ri < set->n; ri++)
			if (cni_ipnet_contains(&set->ranges[ri].subnet, out))
				break;
		*range_out = ri < set->n ? ri : 0;
		return 0;
	}
	if (want) {
		cni_ip_fmt(want, buf);
		for (ri = 0; ri < set->n; ri++)
			if (cni_ip_cmp(want, &set->ranges[ri].start) >= 0 &&
			    cni_ip_cmp(want, &set->ranges[ri].end) <= 0)
				break;
		if (ri == set->n)
			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "requested address `%s` is in no range of network `%s`", buf,
					 c->network);
		if (is_reserved(c, &set->ranges[ri], want))
			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "requested address `%s` is reserved", buf);
		ret = claim(dfd, want, id, ifname, err);
		if (ret > 0)
			return cni_error(err, CNI_ERR_ADDR_EXHAUSTED, 0,
					 "requested address `%s` is already allocated", buf);
		if (ret < 0)
			return ret;
		*out = *want;
		*range_out = ri;
		return 0;
	}
	/* Round robin: start after the address handed out last. */
	last_reserved_read(dfd, si, &last);
	a = set->ranges[0].start;
	if (last.family) {
		for (ri = 0; ri < set->n; ri++)
			if (cni_ip_cmp(&last, &set->ranges[ri].start) >= 0 &&
			    cni_ip_cmp(&last, &set->ranges[ri].end) <= 0)
				break;
		if (ri < set->n) {
			a = last;
			set_next(set, &ri, &a);
		} else {
			ri = 0;
		}
	}
	first = a;
	do {
		if (!is_reserved(c, &set->ranges[ri], &a)) {
			ret = claim(dfd, &a, id, ifname, err);
			if (ret < 0)
				return ret;
			if (ret == 0) {
				last_reserved_write(dfd, si, &a);
				*out = a;
				*range_out = ri;
				return 0;
			}
		}
		set_next(set, &ri, &a);
	} while (cni_ip_cmp(&a, &first) != 0);
	return cni_error(err, CNI_ERR_ADDR_EXHAUSTED, 0,
			 "no free address left in network `%s` (range %s-%s and %zu more ranges)",
			 c->network, cni_ip_fmt(&set->ranges[0].start, buf),
			 cni_ip_fmt(&set->ranges[0].end, (char[CNI_IPNET_STRLEN]){ 0 }), set->n - 1);
}

static void release_addr(int dfd, const struct cni_ip_addr *a)
{
	char name[CNI_IPNET_STRLEN];

	unlinkat(dfd, cni_ip_fmt(a, name), 0);
}

int cni_ipam_add(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		 const char *want, struct cni_result *res, berth_error_t *err)
{
	struct cni_ip_addr got[8], wanted[8];
	size_t nwanted = 0, n = 0;
	int lockfd = -1, dfd, ret = 0;

	if (c->n_sets > 8)
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "more than 8 range sets");
	/* IP=a,b: one address per range set, matched by family and range. */
	if (want && *want) {
		char buf[512], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", want);
		for (char *t = strtok_r(buf, ",", &save); t && nwanted < 8;
		     t = strtok_r(NULL, ",", &save)) {
			char *slash = strchr(t, '/');

			if (slash)
				*slash = '\0';
			if (cni_ip_parse(t, &wanted[nwanted++], err) < 0)
				return cni_error_code(err, CNI_ERR_INVALID_ENV);
		}
	}
	for (size_t k = 0; k < nwanted; k++) {
		bool found = false;

		for (size_t s = 0; s < c->n_sets; s++)
			for (size_t j = 0; j < c->sets[s].n; j++)
				found |= cni_ipnet_contains(&c->sets[s].ranges[j].subnet, &wanted[k]);
		if (!found) {
			char buf[CNI_IPNET_STRLEN];

			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "requested address `%s` is in no range of network `%s`",
					 cni_ip_fmt(&wanted[k], buf), c->network);
		}
	}
	dfd = state_open(c, &lockfd, err);
	if (dfd < 0)
		return dfd;
	for (n = 0; n < c->n_sets; n++) {
		const struct cni_ipam_range *r;
		const struct cni_ip_addr *w = NULL;
		char addr[CNI_IPNET_STRLEN + 8], gw[CNI_IPNET_STRLEN], ip[CNI_IPNET_STRLEN];
		size_t ri = 0;

		for (size_t k = 0; k < nwanted; k++)
			for (size_t j = 0; j < c->sets[n].n; j++)
				if (cni_ipnet_contains(&c->sets[n].ranges[j].subnet, &wanted[k]))
					w = &wanted[k];
		ret = alloc_in_set(c, dfd, n, id, ifname, w, &got[n], &ri, err);
		if (ret < 0)
			break;
		r = &c->sets[n].ranges[ri];
		snprintf(addr, sizeof(addr), "%s/%d", cni_ip_fmt(&got[n], ip), r->subnet.prefix);
		cni_ip_fmt(&r->gateway, gw);
		if (cni_result_add_ip(res, addr, gw, -1) < 0) {
			n++;
			ret = cni_error(err, CNI_ERR_INTERNAL, ENOMEM, "build result");
			break;
		}
	}
	if (ret < 0) {
		/* Give back what this call took: nothing half-allocated stays behind. */
		for (size_t k = 0; k < n; k++)
			release_addr(dfd, &got[k]);
		state_close(dfd, lockfd);
		return ret;
	}
	state_close(dfd, lockfd);
	for (size_t i = 0; i < c->n_routes; i++) {
		char d[CNI_IPNET_STRLEN], g[CNI_IPNET_STRLEN];

		cni_result_add_route(res, cni_ipnet_fmt(&c->routes[i].dst, d),
				     c->routes[i].gw.family ? cni_ip_fmt(&c->routes[i].gw, g) : NULL);
	}
	if (c->dns) {
		json_t *ns = json_object_get(c->dns, "nameservers"), *v;
		size_t i;

		if (json_is_array(ns) && (res->dns.nameservers = calloc(json_array_size(ns) + 1,
									sizeof(char *))))
			json_array_foreach(ns, i, v) res->dns.nameservers[i] =
				strdup(json_is_string(v) ? json_string_value(v) : "");
		v = json_object_get(c->dns, "domain");
		if (json_is_string(v))
			res->dns.domain = strdup(json_string_value(v));
	}
	return 0;
}

/*
 * state_open() of a network that has a state directory: 1 with *dfd and *lockfd open, 0 when it
 * has none (nothing was ever allocated in it), negative on errors.
 */
static int state_open_existing(const struct cni_ipam_conf *c, int *dfd, int *lockfd,
			       berth_error_t *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", c->data_dir, c->network);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	*dfd = state_open(c, lockfd, err);
	return *dfd < 0 ? *dfd : 1;
}

int cni_ipam_del(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		 berth_error_t *err)
{
	int lockfd = -1, dfd, ret;

	/* Nothing ever allocated in this network: nothing to release. */
	ret = state_open_existing(c, &dfd, &lockfd, err);
	if (ret <= 0)
		return ret;
	/* Every address the attachment holds, whatever ranges the configuration has now. */
	{
		int fd2 = dup(dfd);
		cleanup_closedir DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
		struct dirent *e;

		if (!d) {
			if (fd2 >= 0)
				close(fd2);
			state_close(dfd, lockfd);
			return cni_error(err, CNI_ERR_IO, errno, "read IPAM state of `%s`", c->network);
		}
		while ((e = readdir(d))) {
			struct cni_ip_addr a;

			if (e->d_name[0] != '.' && cni_ip_parse(e->d_name, &a, NULL) == 0 &&
			    owned_by(dfd, e->d_name, id, ifname))
				unlinkat(dfd, e->d_name, 0);
		}
	}
	state_close(dfd, lockfd);
	return 0;
}

int cni_ipam_held(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		  struct cni_ip_addr *out, size_t max, berth_error_t *err)
{
	int lockfd = -1, dfd, ret;
	size_t n = 0;

	ret = state_open_existing(c, &dfd, &lockfd, err);
	if (ret <= 0)
		return ret;
	for (size_t s = 0; s < c->n_sets && n < max; s++)
		if (find_held(dfd, &c->sets[s], id, ifname, &out[n]))
			n++;
	state_close(dfd, lockfd);
	return (int)n;
}

int cni_ipam_check(const struct cni_ipam_conf *c, const char *id, const char *ifname,
		   berth_error_t *err)
{
	int lockfd = -1, dfd = state_open(c, &lockfd, err);
	int ret = 0;

	if (dfd < 0)
		return dfd;
	for (size_t s = 0; s < c->n_sets && ret == 0; s++) {
		struct cni_ip_addr a;

		if (!find_held(dfd, &c->sets[s], id, ifname, &a))
			ret = cni_error(err, CNI_ERR_UNKNOWN_CONTAINER, 0,
					"container `%s` (%s) holds no address in range set %zu of "
					"network `%s`",
					id, ifname, s, c->network);
	}
	state_close(dfd, lockfd);
	return ret;
}

static int conf_of(const struct cni_netconf *conf, struct cni_ipam_conf *c, berth_error_t *err)
{
	return cni_ipam_conf_parse(json_object_get(conf->raw, "ipam"), conf->name, c, err);
}

int cni_ipam_cmd_add(const struct cni_env *env, const struct cni_netconf *conf,
		     struct cni_result **out, berth_error_t *err)
{
	struct cni_ipam_conf c;
	struct cni_result *res;
	char want[512];
	int ret;

	if (conf_of(conf, &c, err) < 0)
		return -1;
	res = calloc(1, sizeof(*res));
	if (!res) {
		cni_ipam_conf_release(&c);
		return cni_error(err, CNI_ERR_INTERNAL, ENOMEM, "allocate result");
	}
	snprintf(res->cni_version, sizeof(res->cni_version), "%s", conf->cni_version);
	ret = cni_ipam_add(&c, env->container_id, env->ifname,
			   cni_args_get(env->args, "IP", want, sizeof(want)) ? want : NULL, res, err);
	cni_ipam_conf_release(&c);
	if (ret < 0) {
		cni_result_free(res);
		return ret;
	}
	*out = res;
	return 0;
}

/* DEL and CHECK: op on the addresses of the container's interface, under conf's IPAM. */
static int cmd_on_conf(int (*op)(const struct cni_ipam_conf *c, const char *id, const char *ifname,
				 berth_error_t *err),
		       const struct cni_env *env, const struct cni_netconf *conf, berth_error_t *err)
{
	struct cni_ipam_conf c;
	int ret;

	if (conf_of(conf, &c, err) < 0)
		return -1;
	ret = op(&c, env->container_id, env->ifname, err);
	cni_ipam_conf_release(&c);
	return ret;
}

int cni_ipam_cmd_del(const struct cni_env *env, const struct cni_netconf *conf,
		     berth_error_t *err)
{
	return cmd_on_conf(cni_ipam_del, env, conf, err);
}

int cni_ipam_cmd_check(const struct cni_env *env, const struct cni_netconf *conf,
		       berth_error_t *err)
{
	return cmd_on_conf(cni_ipam_check, env, conf, err);
}
