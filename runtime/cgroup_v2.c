/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v2 controller files of the unified hierarchy. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup_internal.h"
#include "util.h"

#define HAS(mask, c) ((mask)&BERTH_CG_BIT(BERTH_CG_##c))
#define UNSET	     BERTH_CG_UNSET
#define F(x)	     "linux.resources." x

/* runc's mapping of cpu.shares [2, 262144] onto cpu.weight [1, 10000]. */
uint64_t berth_cg_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio.weight [10, 1000] onto io.weight [1, 10000]. */
uint64_t berth_cg_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + (weight - 10) * 9999 / 990;
}

static int write_max(const char *dir, const char *file, int64_t v, const char *field,
		     berth_error_t *err)
{
	if (v < 0)
		return berth_cg_write(dir, file, "max", field, err);
	return berth_cg_writef(dir, file, field, err, "%lld", (long long)v);
}

static int v2_memory(const char *dir, const struct berth_cgroup_resources *r, berth_error_t *err)
{
	if (r->disable_oom_killer == 1)
		return berth_error(err, EOPNOTSUPP,
				   F("memory.disableOOMKiller") ": cgroup v2 cannot disable the "
								"OOM killer");
	if (r->mem_limit != UNSET && r->check_before_update && r->mem_limit != -1) {
		uint64_t usage = 0;

		if (berth_cg_read_u64(dir, "memory.current", &usage, err) < 0)
			return -1;
		if ((uint64_t)r->mem_limit < usage)
			return berth_error(
			    err, EBUSY, F("memory.limit") ": %lld is below the current usage %llu",
			    (long long)r->mem_limit, (unsigned long long)usage);
	}
	/* The spec's swap is memory+swap (v1); memory.swap.max is swap alone. */
	if (r->mem_swap != UNSET) {
		int64_t swap;

		int64_t limit = r->mem_limit;

		/* An update may change swap alone: measure it against the current limit. */
		if (limit == UNSET && r->mem_swap != -1) {
			uint64_t cur = UINT64_MAX;
			berth_error_t ignore = NULL;

			berth_cg_read_u64(dir, "memory.max", &cur, &ignore);
			berth_error_release(&ignore);
			limit = cur == UINT64_MAX ? -1 : (int64_t)cur;
		}
		if (r->mem_swap == -1) {
			swap = -1;
		} else if (limit == UNSET || limit == -1) {
			return berth_error(err, EINVAL,
					   F("memory.swap") ": a swap limit needs a memory limit");
		} else if (r->mem_swap < limit) {
			return berth_error(err, EINVAL,
					   F("memory.swap") ": %lld is below memory.limit %lld "
							    "(swap is memory+swap)",
					   (long long)r->mem_swap, (long long)limit);
		} else {
			swap = r->mem_swap - limit;
		}
		if (!berth_cg_exists(dir, "memory.swap.max"))
			return berth_error(err, EOPNOTSUPP,
					   F("memory.swap") ": the kernel does not account swap");
		if (write_max(dir, "memory.swap.max", swap, F("memory.swap"), err) < 0)
			return -1;
	}
	if (r->mem_limit != UNSET &&
	    write_max(dir, "memory.max", r->mem_limit, F("memory.limit"), err) < 0)
		return -1;
	if (r->mem_reservation != UNSET &&
	    write_max(dir, "memory.low", r->mem_reservation, F("memory.reservation"), err) < 0)
		return -1;
	return 0;
}

static int v2_cpu(const char *dir, const struct berth_cgroup_resources *r, berth_error_t *err)
{
	if ((r->cpu_rt_runtime != UNSET && r->cpu_rt_runtime != 0) ||
	    (r->cpu_rt_period != UNSET && r->cpu_rt_period != 0))
		return berth_error(err, EOPNOTSUPP,
				   F("cpu.realtimeRuntime") ": cgroup v2 has no realtime "
							    "bandwidth control");
	if (r->cpu_shares != UNSET &&
	    berth_cg_writef(dir, "cpu.weight", F("cpu.shares"), err, "%llu",
			    (unsigned long long)berth_cg_shares_to_weight(r->cpu_shares)) < 0)
		return -1;
	if (r->cpu_quota != UNSET || r->cpu_period != UNSET) {
		cleanup_free char *cur = NULL;
		char quota[32] = "max";
		unsigned long long period = 100000;

		/* cpu.max holds both: keep the half that is not being changed. */
		if (berth_cg_read(dir, "cpu.max", &cur, err) < 0)
			return -1;
		if (sscanf(cur, "%31s %llu", quota, &period) < 1)
			return berth_error(err, EINVAL, "%s/cpu.max: cannot parse `%s`", dir, cur);
		if (r->cpu_quota != UNSET) {
			if (r->cpu_quota < 0)
				strcpy(quota, "max");
			else
				snprintf(quota, sizeof(quota), "%lld", (long long)r->cpu_quota);
		}
		if (r->cpu_period != UNSET)
			period = (unsigned long long)r->cpu_period;
		if (berth_cg_writef(dir, "cpu.max",
				    r->cpu_quota != UNSET ? F("cpu.quota") : F("cpu.period"), err,
				    "%s %llu", quota, period) < 0)
			return -1;
	}
	if (r->cpu_burst != UNSET && berth_cg_writef(dir, "cpu.max.burst", F("cpu.burst"), err,
						     "%lld", (long long)r->cpu_burst) < 0)
		return -1;
	if (r->cpu_idle != UNSET && berth_cg_writef(dir, "cpu.idle", F("cpu.idle"), err, "%lld",
						    (long long)r->cpu_idle) < 0)
		return -1;
	return 0;
}

static int v2_io(const char *dir, const struct berth_cgroup_resources *r, berth_error_t *err)
{
	static const char *const keys[4] = {"rbps", "wbps", "riops", "wiops"};
	bool bfq = berth_cg_exists(dir, "io.bfq.weight");

	if (r->blkio_weight != UNSET) {
		int ret;

		/* BFQ takes blkio's own range; io.weight the wider one. */
		if (bfq)
			ret = berth_cg_writef(dir, "io.bfq.weight", F("blockIO.weight"), err,
					      "%lld", (long long)r->blkio_weight);
		else if (berth_cg_exists(dir, "io.weight"))
			ret = berth_cg_writef(
			    dir, "io.weight", F("blockIO.weight"), err, "default %llu",
			    (unsigned long long)berth_cg_blkio_to_io_weight(r->blkio_weight));
		else
			ret = berth_error(err, EOPNOTSUPP,
					  F("blockIO.weight") ": the kernel has no io weight");
		if (ret < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_weight_device; i++) {
		const struct berth_cgroup_blkio_device *d = &r->weight_device[i];

		if (d->weight == UNSET)
			continue;
		if (berth_cg_writef(dir, bfq ? "io.bfq.weight" : "io.weight",
				    F("blockIO.weightDevice"), err, "%lld:%lld %llu",
				    (long long)d->major, (long long)d->minor,
				    bfq ? (unsigned long long)d->weight
					: (unsigned long long)berth_cg_blkio_to_io_weight(
					      (uint64_t)d->weight)) < 0)
			return -1;
	}
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < r->n_throttle[t]; i++) {
			const struct berth_cgroup_blkio_device *d = &r->throttle[t][i];

			if (berth_cg_writef(dir, "io.max", berth_cg_throttle_fields[t], err,
					    "%lld:%lld %s=%llu", (long long)d->major,
					    (long long)d->minor, keys[t],
					    (unsigned long long)d->rate) < 0)
				return -1;
		}
	return 0;
}

int berth_cg_v2_apply(const char *dir, unsigned mask, const struct berth_cgroup_resources *r,
		      berth_error_t *err)
{
	if (HAS(mask, MEMORY) && v2_memory(dir, r, err) < 0)
		return -1;
	if (HAS(mask, CPU) && v2_cpu(dir, r, err) < 0)
		return -1;
	if (berth_cg_apply_shared(dir, mask, r, err) < 0)
		return -1;
	if (HAS(mask, BLKIO) && v2_io(dir, r, err) < 0)
		return -1;
	if (HAS(mask, HUGETLB) && berth_cg_hugetlb(dir, "max", r, err) < 0)
		return -1;
	return 0;
}

int berth_cg_v2_unified(const char *dir, const struct berth_cgroup_resources *r, berth_error_t *err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *key = r->unified[i].key;
		char field[160];

		snprintf(field, sizeof(field), F("unified") " `%s`", key);
		if (!berth_cg_exists(dir, key)) {
			char ctrl[64];

			snprintf(ctrl, sizeof(ctrl), "%.*s", (int)strcspn(key, "."), key);
			return berth_error(err, ENOENT,
					   "%s: no such file; is the %s controller on the cgroup2 "
					   "hierarchy?",
					   field, ctrl);
		}
		if (berth_cg_write(dir, key, r->unified[i].value, field, err) < 0)
			return -1;
	}
	return 0;
}

static void enable_in(const char *dir, unsigned mask)
{
	cleanup_free char *avail = NULL;
	berth_error_t ignore = NULL;

	if (berth_cg_read(dir, "cgroup.controllers", &avail, &ignore) < 0) {
		berth_error_release(&ignore);
		return;
	}
	for (int c = 0; c < BERTH_CG_NCTRL; c++) {
		const char *name = berth_cg_ctrl_name(c, true);
		char want[32];

		if (!(mask & BERTH_CG_BIT(c)) || name == NULL || c == BERTH_CG_CPUACCT ||
		    !strstr(avail, name))
			continue;
		snprintf(want, sizeof(want), "+%s", name);
		/* A failure shows up as a missing file when the limit is applied. */
		berth_cg_write(dir, "cgroup.subtree_control", want, "enable", &ignore);
		berth_error_release(&ignore);
	}
}

int berth_cg_v2_enable(const char *mount, const char *leaf, unsigned mask, berth_error_t *err)
{
	cleanup_free char *path = strdup(leaf);
	size_t ml = strlen(mount);

	if (path == NULL || strncmp(path, mount, ml) != 0)
		return berth_error(err, ENOMEM, "cgroup2: bad directory `%s`", leaf);
	/* Each ancestor from the mount down to the leaf's parent passes the controllers on. */
	for (char *p = path + ml; p && *p;) {
		*p = '\0';
		enable_in(path[0] ? path : "/", mask);
		*p = '/';
		p = strchr(p + 1, '/');
	}
	return 0;
}

int berth_cg_v2_is_frozen(const char *dir, bool *frozen, berth_error_t *err)
{
	uint64_t v = 0;

	if (berth_cg_read_key(dir, "cgroup.events", "frozen", &v, err) < 0)
		return -1;
	*frozen = v == 1;
	return 0;
}

int berth_cg_v2_freeze(const char *dir, bool freeze, berth_error_t *err)
{
	if (berth_cg_write(dir, "cgroup.freeze", freeze ? "1" : "0", "freezer", err) < 0)
		return -1;
	for (int i = 0; i < 2000; i++) {
		struct timespec ts = {0, 1000000L};
		bool frozen = false;

		if (berth_cg_v2_is_frozen(dir, &frozen, err) < 0)
			return -1;
		if (frozen == freeze)
			return 0;
		nanosleep(&ts, NULL);
	}
	if (freeze) {
		berth_error_t ignore = NULL;

		berth_cg_write(dir, "cgroup.freeze", "0", "freezer", &ignore);
		berth_error_release(&ignore);
	}
	return berth_error(err, ETIMEDOUT, "freezer: `%s` did not become %s", dir,
			   freeze ? "frozen" : "thawed");
}

int berth_cg_v2_oom_count(const char *dir, uint64_t *count, berth_error_t *err)
{
	return berth_cg_read_key(dir, "memory.events", "oom_kill", count, err);
}

static void v2_pair(const char *dir, const char *cur, const char *max, json_t *o)
{
	berth_error_t ignore = NULL;
	uint64_t v;

	if (berth_cg_read_u64(dir, cur, &v, &ignore) == 0)
		berth_cg_json_u64(o, "usage", v);
	if (max && berth_cg_read_u64(dir, max, &v, &ignore) == 0)
		berth_cg_json_u64(o, "limit", v);
	berth_error_release(&ignore);
}

static void v2_io_stat(const char *dir, json_t *blkio)
{
	json_t *bytes = json_array(), *ios = json_array();
	cleanup_free char *s = NULL;
	berth_error_t ignore = NULL;

	if (berth_cg_read(dir, "io.stat", &s, &ignore) == 0) {
		for (char *line = s; line && *line;) {
			char *nl = strchr(line, '\n'), *save = NULL;
			unsigned maj, min;

			if (nl)
				*nl = '\0';
			if (sscanf(line, "%u:%u", &maj, &min) == 2) {
				for (char *t = strtok_r(line, " ", &save); t;
				     t = strtok_r(NULL, " ", &save)) {
					static const char *const keys[][3] = {
					    {"rbytes=", "Read", "b"},
					    {"wbytes=", "Write", "b"},
					    {"rios=", "Read", "i"},
					    {"wios=", "Write", "i"}};

					for (size_t k = 0; k < 4; k++) {
						size_t kl = strlen(keys[k][0]);

						if (strncmp(t, keys[k][0], kl) != 0)
							continue;
						json_array_append_new(
						    keys[k][2][0] == 'b' ? bytes : ios,
						    json_pack(
							"{s:i, s:i, s:s, s:I}", "major", (int)maj,
							"minor", (int)min, "op", keys[k][1],
							"value",
							(json_int_t)strtoull(t + kl, NULL, 10)));
					}
				}
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	berth_error_release(&ignore);
	json_object_set_new(blkio, "ioServiceBytesRecursive", bytes);
	json_object_set_new(blkio, "ioServicedRecursive", ios);
}

int berth_cg_v2_stats(const char *dir, unsigned mask, json_t *stats, berth_error_t *err)
{
	berth_error_t ignore = NULL;
	uint64_t v;

	if (HAS(mask, CPU) || HAS(mask, CPUACCT)) {
		json_t *cs = json_object(), *cpu = berth_cg_json_obj(stats, "cpu");
		json_t *usage = berth_cg_json_obj(cpu, "usage");

		berth_cg_flat_keyed(dir, "cpu.stat", cs);
		berth_cg_json_u64(usage, "total",
				  1000 * json_integer_value(json_object_get(cs, "usage_usec")));
		berth_cg_json_u64(usage, "user",
				  1000 * json_integer_value(json_object_get(cs, "user_usec")));
		berth_cg_json_u64(usage, "kernel",
				  1000 * json_integer_value(json_object_get(cs, "system_usec")));
		if (HAS(mask, CPU)) {
			json_t *thr = berth_cg_json_obj(cpu, "throttling");

			berth_cg_json_u64(thr, "periods",
					  json_integer_value(json_object_get(cs, "nr_periods")));
			berth_cg_json_u64(thr, "throttled_periods",
					  json_integer_value(json_object_get(cs, "nr_throttled")));
			berth_cg_json_u64(
			    thr, "throttled_time",
			    1000 * json_integer_value(json_object_get(cs, "throttled_usec")));
		}
		json_decref(cs);
	}
	if (HAS(mask, MEMORY)) {
		json_t *mem = berth_cg_json_obj(stats, "memory"), *raw = json_object();

		v2_pair(dir, "memory.current", "memory.max", berth_cg_json_obj(mem, "usage"));
		v2_pair(dir, "memory.swap.current", "memory.swap.max",
			berth_cg_json_obj(mem, "swap"));
		berth_cg_flat_keyed(dir, "memory.stat", raw);
		berth_cg_json_u64(mem, "cache", json_integer_value(json_object_get(raw, "file")));
		json_object_set_new(mem, "raw", raw);
	}
	if (HAS(mask, PIDS)) {
		json_t *pids = berth_cg_json_obj(stats, "pids");

		if (berth_cg_read_u64(dir, "pids.current", &v, err) < 0)
			return -1;
		berth_cg_json_u64(pids, "current", v);
		if (berth_cg_read_u64(dir, "pids.max", &v, err) < 0)
			return -1;
		berth_cg_json_u64(pids, "limit", v == UINT64_MAX ? 0 : v);
	}
	if (HAS(mask, BLKIO))
		v2_io_stat(dir, berth_cg_json_obj(stats, "blkio"));
	if (HAS(mask, HUGETLB)) {
		json_t *h = berth_cg_json_obj(stats, "hugetlb");
		cleanup_closedir DIR *dh = opendir(dir);
		struct dirent *de;

		while (dh && (de = readdir(dh)) != NULL) {
			char size[32], file[96];
			json_t *e;

			if (sscanf(de->d_name, "hugetlb.%31[^.].current", size) != 1 ||
			    strstr(de->d_name, ".rsvd."))
				continue;
			e = json_object();
			snprintf(file, sizeof(file), "hugetlb.%s.current", size);
			if (berth_cg_read_u64(dir, file, &v, &ignore) == 0)
				berth_cg_json_u64(e, "usage", v);
			snprintf(file, sizeof(file), "hugetlb.%s.events", size);
			if (berth_cg_read_key(dir, file, "max", &v, &ignore) == 0)
				berth_cg_json_u64(e, "failcnt", v);
			berth_error_release(&ignore);
			json_object_set_new(h, size, e);
		}
	}
	return 0;
}
