/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources: JSON to struct berth_cgroup_resources, validated at the edge. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "util.h"

#define RES "linux.resources"

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

/* Member key of obj as an object/array (NULL when absent or null). */
static int get_typed(json_t *obj, const char *key, const char *path, json_type type, json_t **out,
		     berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) != type)
		return berth_error(err, EINVAL, "%s.%s: expected %s, got %s", path, key,
				   type == JSON_OBJECT	? "an object"
				   : type == JSON_ARRAY ? "an array"
							: "a string",
				   json_kind(v));
	*out = v;
	return 0;
}

static int get_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max,
		   int64_t *out, berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return berth_error(err, EINVAL, "%s.%s: expected an integer, got %s", path, key,
				   json_kind(v));
	i = json_integer_value(v);
	if (i < min || i > max)
		return berth_error(err, ERANGE, "%s.%s: %lld is not within %lld..%lld", path, key,
				   (long long)i, (long long)min, (long long)max);
	*out = i;
	return 0;
}

static int get_bool(json_t *obj, const char *key, const char *path, int *out, berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return berth_error(err, EINVAL, "%s.%s: expected a boolean, got %s", path, key,
				   json_kind(v));
	*out = json_is_true(v);
	return 0;
}

static int get_str(json_t *obj, const char *key, const char *path, char **out, berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return berth_error(err, EINVAL, "%s.%s: expected a string, got %s", path, key,
				   json_kind(v));
	free(*out);
	*out = strdup(json_string_value(v));
	return *out ? 0 : berth_error(err, ENOMEM, "%s.%s: out of memory", path, key);
}

/* "0-3,5" style lists (cpuset.cpus/mems): digits, ',' and '-' only. */
static int check_cpu_list(const char *s, const char *path, const char *key, berth_error_t *err)
{
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-')
			return berth_error(err, EINVAL, "%s.%s: `%s` is not a list like \"0-3,5\"",
					   path, key, s);
	return 0;
}

static struct berth_cgroup_resources *resources_new(void)
{
	struct berth_cgroup_resources *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->mem_limit = r->mem_reservation = r->mem_swap = BERTH_CG_UNSET;
	r->mem_kernel = r->mem_kernel_tcp = r->mem_swappiness = BERTH_CG_UNSET;
	r->disable_oom_killer = r->use_hierarchy = -1;
	r->cpu_shares = r->cpu_quota = r->cpu_period = r->cpu_burst = BERTH_CG_UNSET;
	r->cpu_rt_runtime = r->cpu_rt_period = r->cpu_idle = BERTH_CG_UNSET;
	r->pids_limit = BERTH_CG_UNSET;
	r->blkio_weight = r->blkio_leaf_weight = BERTH_CG_UNSET;
	r->net_class_id = BERTH_CG_UNSET;
	return r;
}

struct berth_cgroup_resources *berth_cgroup_resources_new(void)
{
	return resources_new();
}

void berth_cgroup_resources_free(struct berth_cgroup_resources *r)
{
	if (r == NULL)
		return;
	free(r->cpus);
	free(r->mems);
	free(r->weight_device);
	for (int i = 0; i < 4; i++)
		free(r->throttle[i]);
	for (size_t i = 0; i < r->n_hugetlb; i++)
		free(r->hugetlb[i].page_size);
	free(r->hugetlb);
	for (size_t i = 0; i < r->n_net_prio; i++)
		free(r->net_prio[i].name);
	free(r->net_prio);
	free(r->devices);
	for (size_t i = 0; i < r->n_unified; i++) {
		free(r->unified[i].key);
		free(r->unified[i].value);
	}
	free(r->unified);
	free(r);
}

static void cleanup_resourcesp(struct berth_cgroup_resources **r)
{
	berth_cgroup_resources_free(*r);
}
#define cleanup_resources __attribute__((cleanup(cleanup_resourcesp)))

static int parse_memory(json_t *m, struct berth_cgroup_resources *r, berth_error_t *err)
{
	const char *p = RES ".memory";
	int v = -1;

	if (get_int(m, "limit", p, -1, INT64_MAX, &r->mem_limit, err) < 0 ||
	    get_int(m, "reservation", p, -1, INT64_MAX, &r->mem_reservation, err) < 0 ||
	    get_int(m, "swap", p, -1, INT64_MAX, &r->mem_swap, err) < 0 ||
	    get_int(m, "kernel", p, -1, INT64_MAX, &r->mem_kernel, err) < 0 ||
	    get_int(m, "kernelTCP", p, -1, INT64_MAX, &r->mem_kernel_tcp, err) < 0 ||
	    get_int(m, "swappiness", p, 0, 100, &r->mem_swappiness, err) < 0 ||
	    get_bool(m, "disableOOMKiller", p, &r->disable_oom_killer, err) < 0 ||
	    get_bool(m, "useHierarchy", p, &r->use_hierarchy, err) < 0 ||
	    get_bool(m, "checkBeforeUpdate", p, &v, err) < 0)
		return -1;
	r->check_before_update = v == 1;
	return 0;
}

static int parse_cpu(json_t *c, struct berth_cgroup_resources *r, berth_error_t *err)
{
	const char *p = RES ".cpu";

	if (get_int(c, "shares", p, 0, INT64_MAX, &r->cpu_shares, err) < 0 ||
	    get_int(c, "quota", p, -1, INT64_MAX, &r->cpu_quota, err) < 0 ||
	    get_int(c, "period", p, 0, INT64_MAX, &r->cpu_period, err) < 0 ||
	    get_int(c, "burst", p, 0, INT64_MAX, &r->cpu_burst, err) < 0 ||
	    get_int(c, "realtimeRuntime", p, -1, INT64_MAX, &r->cpu_rt_runtime, err) < 0 ||
	    get_int(c, "realtimePeriod", p, 0, INT64_MAX, &r->cpu_rt_period, err) < 0 ||
	    get_int(c, "idle", p, 0, 1, &r->cpu_idle, err) < 0 ||
	    get_str(c, "cpus", p, &r->cpus, err) < 0 || get_str(c, "mems", p, &r->mems, err) < 0)
		return -1;
	/* 0 means "not set" for these, as in runc. */
	if (r->cpu_shares == 0)
		r->cpu_shares = BERTH_CG_UNSET;
	if (r->cpu_quota == 0)
		r->cpu_quota = BERTH_CG_UNSET;
	if (r->cpu_period == 0)
		r->cpu_period = BERTH_CG_UNSET;
	if (r->cpus && check_cpu_list(r->cpus, p, "cpus", err) < 0)
		return -1;
	if (r->mems && check_cpu_list(r->mems, p, "mems", err) < 0)
		return -1;
	return 0;
}

static int parse_dev_array(json_t *arr, const char *path, bool weight,
			   struct berth_cgroup_blkio_device **out, size_t *n, berth_error_t *err)
{
	size_t i, count = json_array_size(arr);
	json_t *e;

	if (count == 0)
		return 0;
	*out = calloc(count, sizeof(**out));
	if (*out == NULL)
		return berth_error(err, ENOMEM, "%s: out of memory", path);
	json_array_foreach(arr, i, e)
	{
		struct berth_cgroup_blkio_device *d = &(*out)[i];
		char ep[128];
		int64_t rate = BERTH_CG_UNSET;

		snprintf(ep, sizeof(ep), "%s[%zu]", path, i);
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected an object, got %s", ep,
					   json_kind(e));
		d->major = d->minor = BERTH_CG_UNSET;
		d->weight = d->leaf_weight = BERTH_CG_UNSET;
		if (get_int(e, "major", ep, 0, UINT32_MAX, &d->major, err) < 0 ||
		    get_int(e, "minor", ep, 0, UINT32_MAX, &d->minor, err) < 0)
			return -1;
		if (d->major == BERTH_CG_UNSET || d->minor == BERTH_CG_UNSET)
			return berth_error(err, EINVAL, "%s: major and minor are required", ep);
		if (weight) {
			if (get_int(e, "weight", ep, 10, 1000, &d->weight, err) < 0 ||
			    get_int(e, "leafWeight", ep, 10, 1000, &d->leaf_weight, err) < 0)
				return -1;
		} else {
			if (get_int(e, "rate", ep, 0, INT64_MAX, &rate, err) < 0)
				return -1;
			if (rate == BERTH_CG_UNSET)
				return berth_error(err, EINVAL, "%s.rate: required", ep);
			d->rate = (uint64_t)rate;
		}
		(*n)++;
	}
	return 0;
}

static int parse_blkio(json_t *b, struct berth_cgroup_resources *r, berth_error_t *err)
{
	static const char *const throttle[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
						"throttleReadIOPSDevice",
						"throttleWriteIOPSDevice"};
	const char *p = RES ".blockIO";
	json_t *arr;
	char path[128];

	if (get_int(b, "weight", p, 0, 1000, &r->blkio_weight, err) < 0 ||
	    get_int(b, "leafWeight", p, 0, 1000, &r->blkio_leaf_weight, err) < 0)
		return -1;
	if (r->blkio_weight == 0)
		r->blkio_weight = BERTH_CG_UNSET;
	if (r->blkio_leaf_weight == 0)
		r->blkio_leaf_weight = BERTH_CG_UNSET;
	if (r->blkio_weight != BERTH_CG_UNSET && r->blkio_weight < 10)
		return berth_error(err, ERANGE, "%s.weight: %lld is not within 10..1000", p,
				   (long long)r->blkio_weight);
	if (r->blkio_leaf_weight != BERTH_CG_UNSET && r->blkio_leaf_weight < 10)
		return berth_error(err, ERANGE, "%s.leafWeight: %lld is not within 10..1000", p,
				   (long long)r->blkio_leaf_weight);
	if (get_typed(b, "weightDevice", p, JSON_ARRAY, &arr, err) < 0)
		return -1;
	if (arr && parse_dev_array(arr, RES ".blockIO.weightDevice", true, &r->weight_device,
				   &r->n_weight_device, err) < 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (get_typed(b, throttle[i], p, JSON_ARRAY, &arr, err) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s.%s", p, throttle[i]);
		if (arr &&
		    parse_dev_array(arr, path, false, &r->throttle[i], &r->n_throttle[i], err) < 0)
			return -1;
	}
	return 0;
}

/* "2MB", "1GB", "64KB": digits and a K/M/G/T/P unit, as in hugetlb file names. */
static bool page_size_valid(const char *s)
{
	size_t i = 0;

	while (isdigit((unsigned char)s[i]))
		i++;
	return i > 0 && s[i] && strchr("KMGTP", s[i]) && s[i + 1] == 'B' && s[i + 2] == '\0';
}

static int parse_hugetlb(json_t *arr, struct berth_cgroup_resources *r, berth_error_t *err)
{
	size_t i, count = json_array_size(arr);
	json_t *e;

	if (count == 0)
		return 0;
	r->hugetlb = calloc(count, sizeof(*r->hugetlb));
	if (r->hugetlb == NULL)
		return berth_error(err, ENOMEM, "%s.hugepageLimits: out of memory", RES);
	json_array_foreach(arr, i, e)
	{
		struct berth_cgroup_hugetlb *h = &r->hugetlb[i];
		int64_t limit = BERTH_CG_UNSET;
		char ep[96];

		snprintf(ep, sizeof(ep), RES ".hugepageLimits[%zu]", i);
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected an object, got %s", ep,
					   json_kind(e));
		r->n_hugetlb++;
		if (get_str(e, "pageSize", ep, &h->page_size, err) < 0 ||
		    get_int(e, "limit", ep, 0, INT64_MAX, &limit, err) < 0)
			return -1;
		if (h->page_size == NULL || limit == BERTH_CG_UNSET)
			return berth_error(err, EINVAL, "%s: pageSize and limit are required", ep);
		if (!page_size_valid(h->page_size))
			return berth_error(err, EINVAL,
					   "%s.pageSize: `%s` is not a size like \"2MB\"", ep,
					   h->page_size);
		h->limit = (uint64_t)limit;
	}
	return 0;
}

static int parse_network(json_t *n, struct berth_cgroup_resources *r, berth_error_t *err)
{
	const char *p = RES ".network";
	json_t *arr, *e;
	size_t i;

	if (get_int(n, "classID", p, 0, UINT32_MAX, &r->net_class_id, err) < 0 ||
	    get_typed(n, "priorities", p, JSON_ARRAY, &arr, err) < 0)
		return -1;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	r->net_prio = calloc(json_array_size(arr), sizeof(*r->net_prio));
	if (r->net_prio == NULL)
		return berth_error(err, ENOMEM, "%s.priorities: out of memory", p);
	json_array_foreach(arr, i, e)
	{
		int64_t prio = BERTH_CG_UNSET;
		char ep[96];

		snprintf(ep, sizeof(ep), "%s.priorities[%zu]", p, i);
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected an object, got %s", ep,
					   json_kind(e));
		r->n_net_prio++;
		if (get_str(e, "name", ep, &r->net_prio[i].name, err) < 0 ||
		    get_int(e, "priority", ep, 0, UINT32_MAX, &prio, err) < 0)
			return -1;
		if (r->net_prio[i].name == NULL || prio == BERTH_CG_UNSET)
			return berth_error(err, EINVAL, "%s: name and priority are required", ep);
		if (strpbrk(r->net_prio[i].name, " \n/") || r->net_prio[i].name[0] == '\0')
			return berth_error(err, EINVAL, "%s.name: `%s` is not an interface name",
					   ep, r->net_prio[i].name);
		r->net_prio[i].priority = (uint32_t)prio;
	}
	return 0;
}

static int parse_devices(json_t *arr, struct berth_cgroup_resources *r, berth_error_t *err)
{
	size_t i, count = json_array_size(arr);
	json_t *e;

	r->has_devices = true;
	if (count == 0)
		return 0;
	r->devices = calloc(count, sizeof(*r->devices));
	if (r->devices == NULL)
		return berth_error(err, ENOMEM, "%s.devices: out of memory", RES);
	json_array_foreach(arr, i, e)
	{
		struct berth_cgroup_device_rule *d = &r->devices[i];
		cleanup_free char *type = NULL, *access = NULL;
		int allow = -1;
		char ep[64];

		snprintf(ep, sizeof(ep), RES ".devices[%zu]", i);
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected an object, got %s", ep,
					   json_kind(e));
		d->major = d->minor = -1;
		if (get_bool(e, "allow", ep, &allow, err) < 0 ||
		    get_str(e, "type", ep, &type, err) < 0 ||
		    get_str(e, "access", ep, &access, err) < 0 ||
		    get_int(e, "major", ep, -1, UINT32_MAX, &d->major, err) < 0 ||
		    get_int(e, "minor", ep, -1, UINT32_MAX, &d->minor, err) < 0)
			return -1;
		if (allow < 0)
			return berth_error(err, EINVAL, "%s.allow: required", ep);
		d->allow = allow;
		if (type == NULL || strcmp(type, "a") == 0)
			d->type = 'a';
		else if (strcmp(type, "c") == 0 || strcmp(type, "u") == 0)
			d->type = 'c';
		else if (strcmp(type, "b") == 0)
			d->type = 'b';
		else
			return berth_error(err, EINVAL, "%s.type: `%s` is not one of a, c, b", ep,
					   type);
		if (access == NULL || access[0] == '\0') {
			strcpy(d->access, "rwm");
		} else {
			size_t k = 0;

			for (const char *p = access; *p; p++) {
				if (!strchr("rwm", *p))
					return berth_error(err, EINVAL,
							   "%s.access: `%s` is not made of r, w, m",
							   ep, access);
				if (!memchr(d->access, *p, k))
					d->access[k++] = *p;
			}
			d->access[k] = '\0';
		}
		r->n_devices++;
	}
	return 0;
}

static int parse_unified(json_t *u, struct berth_cgroup_resources *r, berth_error_t *err)
{
	size_t count = json_object_size(u), i = 0;
	const char *key;
	json_t *v;

	if (count == 0)
		return 0;
	r->unified = calloc(count, sizeof(*r->unified));
	if (r->unified == NULL)
		return berth_error(err, ENOMEM, "%s.unified: out of memory", RES);
	json_object_foreach(u, key, v)
	{
		if (!json_is_string(v))
			return berth_error(err, EINVAL, "%s.unified.%s: expected a string, got %s",
					   RES, key, json_kind(v));
		/* A cgroup file of the container's own directory: "memory.high". */
		if (!strchr(key, '.') || strchr(key, '/') || key[0] == '.' ||
		    strncmp(key, "cgroup.", 7) == 0)
			return berth_error(err, EINVAL,
					   "%s.unified: `%s` is not a controller file name", RES,
					   key);
		r->unified[i].key = strdup(key);
		r->unified[i].value = strdup(json_string_value(v));
		r->n_unified = ++i;
		if (!r->unified[i - 1].key || !r->unified[i - 1].value)
			return berth_error(err, ENOMEM, "%s.unified: out of memory", RES);
	}
	return 0;
}

int berth_cgroup_resources_parse(json_t *j, struct berth_cgroup_resources **out, berth_error_t *err)
{
	cleanup_resources struct berth_cgroup_resources *r = resources_new();
	json_t *o;

	if (r == NULL)
		return berth_error(err, ENOMEM, "%s: out of memory", RES);
	if (j && !json_is_null(j)) {
		if (!json_is_object(j))
			return berth_error(err, EINVAL, "%s: expected an object, got %s", RES,
					   json_kind(j));
		if (get_typed(j, "memory", RES, JSON_OBJECT, &o, err) < 0 ||
		    (o && parse_memory(o, r, err) < 0))
			return -1;
		if (get_typed(j, "cpu", RES, JSON_OBJECT, &o, err) < 0 ||
		    (o && parse_cpu(o, r, err) < 0))
			return -1;
		if (get_typed(j, "pids", RES, JSON_OBJECT, &o, err) < 0 ||
		    (o && get_int(o, "limit", RES ".pids", INT64_MIN + 1, INT64_MAX, &r->pids_limit,
				  err) < 0))
			return -1;
		if (get_typed(j, "blockIO", RES, JSON_OBJECT, &o, err) < 0 ||
		    (o && parse_blkio(o, r, err) < 0))
			return -1;
		if (get_typed(j, "hugepageLimits", RES, JSON_ARRAY, &o, err) < 0 ||
		    (o && parse_hugetlb(o, r, err) < 0))
			return -1;
		if (get_typed(j, "network", RES, JSON_OBJECT, &o, err) < 0 ||
		    (o && parse_network(o, r, err) < 0))
			return -1;
		if (get_typed(j, "devices", RES, JSON_ARRAY, &o, err) < 0 ||
		    (o && parse_devices(o, r, err) < 0))
			return -1;
		if (get_typed(j, "unified", RES, JSON_OBJECT, &o, err) < 0 ||
		    (o && parse_unified(o, r, err) < 0))
			return -1;
		if (get_typed(j, "rdma", RES, JSON_OBJECT, &o, err) < 0)
			return -1;
		if (o && json_object_size(o) > 0)
			return berth_error(err, EOPNOTSUPP, "unsupported: %s.rdma", RES);
	}
	*out = steal_pointer(&r);
	return 0;
}
