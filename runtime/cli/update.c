/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth update [options] ID: change the cgroup limits of a live container
 * (runc update).  --resources takes linux.resources JSON; the flags
 * override single fields of it.  Fields not given are left as they are.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"
#include "log.h"
#include "util.h"

enum {
	OPT_MEMORY = 256,
	OPT_MEMORY_RESERVATION,
	OPT_MEMORY_SWAP,
	OPT_KERNEL_MEMORY,
	OPT_KERNEL_MEMORY_TCP,
	OPT_CPU_SHARES,
	OPT_CPU_QUOTA,
	OPT_CPU_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPU_RT_PERIOD,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_PIDS_LIMIT,
	OPT_BLKIO_WEIGHT,
	OPT_L3_CACHE,
	OPT_MEM_BW,
};

/* "512", "100m", "1G", "2gb", "-1": bytes (binary units, as runc's RAMInBytes). */
static int parse_bytes(const char *opt, const char *s, int64_t *out, berth_error_t *err)
{
	char *end;
	double v;
	int shift = 0;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		goto bad;
	if (*end) {
		const char *units = "bkmgtp";
		const char *u = strchr(units, tolower((unsigned char)*end));

		if (u == NULL)
			goto bad;
		shift = (int)(u - units) * 10;
		end++;
		if ((*end == 'b' || *end == 'B') && shift)
			end++;
		if (*end)
			goto bad;
	}
	if (v == -1 && shift == 0) {
		*out = -1;
		return 0;
	}
	if (v < 0 || v * (double)(1ULL << shift) > (double)INT64_MAX)
		goto bad;
	*out = (int64_t)(v * (double)(1ULL << shift));
	return 0;
bad:
	return berth_error(err, EINVAL, "update: %s: `%s` is not a size like 512, 100m or 1g", opt,
			   s);
}

static int parse_int(const char *opt, const char *s, int64_t min, int64_t *out, berth_error_t *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return berth_error(err, EINVAL, "update: %s: `%s` is not a valid number", opt, s);
	*out = v;
	return 0;
}

static int load_resources(const char *file, struct berth_cgroup_resources **out, json_t **json,
			  berth_error_t *err)
{
	cleanup_json json_t *j = NULL;
	json_error_t jerr;

	if (strcmp(file, "-") == 0) {
		j = json_loadf(stdin, 0, &jerr);
		if (j == NULL)
			return berth_error(err, EINVAL, "update: --resources -: %d:%d: %s",
					   jerr.line, jerr.column, jerr.text);
	} else if (berth_json_load_file(file, &j, err) < 0) {
		return berth_error_wrap(err, "update: --resources");
	}
	if (berth_cgroup_resources_parse(j, out, err) < 0)
		return berth_error_wrap(err, "update: --resources `%s`", file);
	*json = steal_pointer(&j);
	return 0;
}

static int set_string(char **field, const char *v, berth_error_t *err)
{
	free(*field);
	*field = strdup(v);
	return *field ? 0 : berth_error(err, ENOMEM, "update: out of memory");
}

/* Apply one flag to res. */
static int apply_flag(int ch, const char *v, struct berth_cgroup_resources *r, berth_error_t *err)
{
	switch (ch) {
	case OPT_MEMORY:
		return parse_bytes("--memory", v, &r->mem_limit, err);
	case OPT_MEMORY_RESERVATION:
		return parse_bytes("--memory-reservation", v, &r->mem_reservation, err);
	case OPT_MEMORY_SWAP:
		return parse_bytes("--memory-swap", v, &r->mem_swap, err);
	case OPT_KERNEL_MEMORY:
		return parse_bytes("--kernel-memory", v, &r->mem_kernel, err);
	case OPT_KERNEL_MEMORY_TCP:
		return parse_bytes("--kernel-memory-tcp", v, &r->mem_kernel_tcp, err);
	case OPT_CPU_SHARES:
		return parse_int("--cpu-shares", v, 0, &r->cpu_shares, err);
	case OPT_CPU_QUOTA:
		return parse_int("--cpu-quota", v, -1, &r->cpu_quota, err);
	case OPT_CPU_PERIOD:
		return parse_int("--cpu-period", v, 0, &r->cpu_period, err);
	case OPT_CPU_RT_RUNTIME:
		return parse_int("--cpu-rt-runtime", v, -1, &r->cpu_rt_runtime, err);
	case OPT_CPU_RT_PERIOD:
		return parse_int("--cpu-rt-period", v, 0, &r->cpu_rt_period, err);
	case OPT_CPUSET_CPUS:
		return set_string(&r->cpus, v, err);
	case OPT_CPUSET_MEMS:
		return set_string(&r->mems, v, err);
	case OPT_PIDS_LIMIT:
		return parse_int("--pids-limit", v, INT64_MIN + 1, &r->pids_limit, err);
	case OPT_BLKIO_WEIGHT:
		if (parse_int("--blkio-weight", v, 0, &r->blkio_weight, err) < 0)
			return -1;
		if (r->blkio_weight != 0 && (r->blkio_weight < 10 || r->blkio_weight > 1000))
			return berth_error(err, ERANGE,
					   "update: --blkio-weight: %s is not within 10..1000", v);
		if (r->blkio_weight == 0)
			r->blkio_weight = BERTH_CG_UNSET;
		return 0;
	case OPT_L3_CACHE:
	case OPT_MEM_BW:
		return berth_error(err, EOPNOTSUPP, "update: unsupported: linux.intelRdt");
	}
	return berth_error(err, EINVAL, "update: bad option");
}

/* Where a flag's value lives in linux.resources (section.key), for the stored config. */
static const struct {
	int ch;
	const char *section, *key;
} flag_fields[] = {
	{ OPT_MEMORY, "memory", "limit" },
	{ OPT_MEMORY_RESERVATION, "memory", "reservation" },
	{ OPT_MEMORY_SWAP, "memory", "swap" },
	{ OPT_KERNEL_MEMORY, "memory", "kernel" },
	{ OPT_KERNEL_MEMORY_TCP, "memory", "kernelTCP" },
	{ OPT_CPU_SHARES, "cpu", "shares" },
	{ OPT_CPU_QUOTA, "cpu", "quota" },
	{ OPT_CPU_PERIOD, "cpu", "period" },
	{ OPT_CPU_RT_RUNTIME, "cpu", "realtimeRuntime" },
	{ OPT_CPU_RT_PERIOD, "cpu", "realtimePeriod" },
	{ OPT_CPUSET_CPUS, "cpu", "cpus" },
	{ OPT_CPUSET_MEMS, "cpu", "mems" },
	{ OPT_PIDS_LIMIT, "pids", "limit" },
	{ OPT_BLKIO_WEIGHT, "blockIO", "weight" },
};

/* The value flag ch left in r, as linux.resources JSON; NULL when it sets nothing. */
static json_t *flag_value(int ch, const struct berth_cgroup_resources *r)
{
	int64_t v;

	switch (ch) {
	case OPT_MEMORY: v = r->mem_limit; break;
	case OPT_MEMORY_RESERVATION: v = r->mem_reservation; break;
	case OPT_MEMORY_SWAP: v = r->mem_swap; break;
	case OPT_KERNEL_MEMORY: v = r->mem_kernel; break;
	case OPT_KERNEL_MEMORY_TCP: v = r->mem_kernel_tcp; break;
	case OPT_CPU_SHARES: v = r->cpu_shares; break;
	case OPT_CPU_QUOTA: v = r->cpu_quota; break;
	case OPT_CPU_PERIOD: v = r->cpu_period; break;
	case OPT_CPU_RT_RUNTIME: v = r->cpu_rt_runtime; break;
	case OPT_CPU_RT_PERIOD: v = r->cpu_rt_period; break;
	case OPT_CPUSET_CPUS: return r->cpus ? json_string(r->cpus) : NULL;
	case OPT_CPUSET_MEMS: return r->mems ? json_string(r->mems) : NULL;
	case OPT_PIDS_LIMIT: v = r->pids_limit; break;
	case OPT_BLKIO_WEIGHT: v = r->blkio_weight; break;
	default: return NULL;
	}
	return v == BERTH_CG_UNSET ? NULL : json_integer(v);
}

/*
 * Record what was applied in the container's stored config.json
 * (linux.resources, merged: fields not given keep their values), so that
 * later verbs and updates see the limits the container has now.  Written
 * atomically under the container's lock.
 */
static int store_resources(struct berth_container *c, json_t *patch, berth_error_t *err)
{
	cleanup_json json_t *doc = NULL;
	cleanup_free char *path = NULL, *text = NULL;
	json_t *lnx, *res;

	/* read again under the lock: an update that loaded it before us may have stored since */
	if (asprintf(&path, "%s/config.json", c->dir) < 0)
		return berth_error(err, ENOMEM, "update: out of memory");
	if (berth_json_load_file(path, &doc, err) < 0)
		return berth_error_wrap(err, "update: store the new limits");
	lnx = json_object_get(doc, "linux");
	if (!json_is_object(lnx)) {
		lnx = json_object();
		json_object_set_new(doc, "linux", lnx);
	}
	res = json_object_get(lnx, "resources");
	if (!json_is_object(res)) {
		res = json_object();
		json_object_set_new(lnx, "resources", res);
	}
	if (json_object_update_recursive(res, patch) < 0 ||
	    (text = json_dumps(doc, JSON_COMPACT)) == NULL)
		return berth_error(err, ENOMEM, "update: out of memory");
	if (berth_write_file_atomic(path, text, strlen(text), 0600, false, err) < 0)
		return berth_error_wrap(err, "update: store the new limits");
	return 0;
}

int berth_cmd_update(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
	    {"resources", required_argument, NULL, 'r'},
	    {"memory", required_argument, NULL, OPT_MEMORY},
	    {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
	    {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
	    {"kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY},
	    {"kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP},
	    {"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
	    {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
	    {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
	    {"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
	    {"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
	    {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
	    {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
	    {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
	    {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
	    {"l3-cache-schema", required_argument, NULL, OPT_L3_CACHE},
	    {"mem-bw-schema", required_argument, NULL, OPT_MEM_BW},
	    {NULL, 0, NULL, 0},
	};
	struct berth_cgroup_resources *res = NULL;
	cleanup_json json_t *patch = NULL;
	cleanup_container struct berth_container *c = NULL;
	const char *resources = NULL, *id;
	struct {
		int ch;
		const char *val;
	} flags[32];
	size_t nflags = 0;
	enum berth_status st;
	int ch, ret = 1;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		if (ch == 'r') {
			resources = optarg;
		} else if (ch >= OPT_MEMORY && nflags < 32) {
			flags[nflags].ch = ch;
			flags[nflags++].val = optarg;
		} else {
			return berth_cli_bad_option("update", argc, argv, err), 1;
		}
	}
	if (berth_cli_one_id("update", argc, argv, optind, &id, err) < 0)
		return 1;
	if (resources) {
		if (load_resources(resources, &res, &patch, err) < 0)
			return 1;
	} else if ((res = berth_cgroup_resources_new()) == NULL) {
		return berth_error(err, ENOMEM, "update: out of memory"), 1;
	}
	if (!json_is_object(patch)) {
		json_decref(patch);
		patch = json_object();
	}
	for (size_t i = 0; i < nflags; i++)
		if (apply_flag(flags[i].ch, flags[i].val, res, err) < 0)
			goto out;
	/* the flags override the file, field by field */
	for (size_t i = 0; i < sizeof(flag_fields) / sizeof(flag_fields[0]); i++) {
		json_t *v = NULL, *sec;

		for (size_t k = 0; k < nflags && v == NULL; k++)
			if (flags[k].ch == flag_fields[i].ch)
				v = flag_value(flags[k].ch, res);
		if (v == NULL)
			continue;
		sec = json_object_get(patch, flag_fields[i].section);
		if (!json_is_object(sec)) {
			sec = json_object();
			json_object_set_new(patch, flag_fields[i].section, sec);
		}
		json_object_set_new(sec, flag_fields[i].key, v);
	}
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0) {
		berth_error_wrap(err, "update");
		goto out;
	}
	st = berth_container_status(c);
	if (st == BERTH_STATUS_STOPPED) {
		berth_error(err, EINVAL, "update `%s`: container is stopped", id);
		goto out;
	}
	if (c->cgroup == NULL) {
		berth_error(err, EINVAL, "update `%s`: container has no cgroup", id);
		goto out;
	}
	if (berth_cgroup_update(c->cgroup, res, err) < 0) {
		berth_error_wrap(err, "update `%s`", id);
		goto out;
	}
	berth_log_debug("update `%s`: new limits applied to cgroup `%s`", id,
			berth_cgroup_path(c->cgroup));
	if (store_resources(c, patch, err) < 0) {
		berth_error_wrap(err, "update `%s`", id);
		goto out;
	}
	ret = 0;
out:
	berth_cgroup_resources_free(res);
	return ret;
}
