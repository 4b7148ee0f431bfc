/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v1 controller files: one hierarchy directory per call. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

#define HAS(mask, c) ((mask)&BERTH_CG_BIT(BERTH_CG_##c))
#define UNSET	     BERTH_CG_UNSET
#define F(x)	     "linux.resources." x

/* The kernel refuses some writes when a knob is gone (kmem on 5.16+). */
static bool unsupported(int e)
{
	return e == EOPNOTSUPP || e == ENOTSUP || e == 524 /* ENOTSUPP */ || e == ENOENT;
}

static int write_limit(const char *dir, const char *file, int64_t v, const char *field,
		       berth_error_t *err)
{
	return berth_cg_writef(dir, file, field, err, "%lld", (long long)v);
}

static int v1_memory(const char *dir, const struct berth_cgroup_resources *r, berth_error_t *err)
{
	bool swap_first = false;

	if (r->mem_limit != UNSET && r->mem_swap != UNSET) {
		uint64_t cur = 0;
		berth_error_t ignore = NULL;

		/* memsw must stay >= limit at every step: raise it first when growing. */
		if (berth_cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur, &ignore) == 0)
			swap_first = r->mem_limit == -1 || (uint64_t)r->mem_limit > cur;
		berth_error_release(&ignore);
		if (r->mem_swap != -1 && r->mem_limit != -1 && r->mem_swap < r->mem_limit)
			return berth_error(err, EINVAL,
					   F("memory.swap") ": %lld is below memory.limit %lld "
							    "(swap is memory+swap)",
					   (long long)r->mem_swap, (long long)r->mem_limit);
	}
	if (r->mem_limit != UNSET && r->check_before_update && r->mem_limit != -1) {
		uint64_t usage = 0;

		if (berth_cg_read_u64(dir, "memory.usage_in_bytes", &usage, err) < 0)
			return -1;
		if ((uint64_t)r->mem_limit < usage)
			return berth_error(
			    err, EBUSY, F("memory.limit") ": %lld is below the current usage %llu",
			    (long long)r->mem_limit, (unsigned long long)usage);
	}
	if (swap_first &&
	    write_limit(dir, "memory.memsw.limit_in_bytes", r->mem_swap, F("memory.swap"), err) < 0)
		return -1;
	if (r->mem_limit != UNSET &&
	    write_limit(dir, "memory.limit_in_bytes", r->mem_limit, F("memory.limit"), err) < 0)
		return -1;
	if (!swap_first && r->mem_swap != UNSET) {
		if (!berth_cg_exists(dir, "memory.memsw.limit_in_bytes"))
			return berth_error(err, EOPNOTSUPP,
					   F("memory.swap") ": the kernel does not account swap "
							    "(swapaccount=0)");
		if (write_limit(dir, "memory.memsw.limit_in_bytes", r->mem_swap, F("memory.swap"),
				err) < 0)
			return -1;
	}
	if (r->mem_reservation != UNSET &&
	    write_limit(dir, "memory.soft_limit_in_bytes", r->mem_reservation,
			F("memory.reservation"), err) < 0)
		return -1;
	/* Kernel memory limits are gone from recent kernels: applied only where they work. */
	if (r->mem_kernel != UNSET && write_limit(dir, "memory.kmem.limit_in_bytes", r->mem_kernel,
						  F("memory.kernel"), err) < 0) {
		if (!unsupported((*err)->errnum))
			return -1;
		berth_error_release(err);
	}
	if (r->mem_kernel_tcp != UNSET &&
	    write_limit(dir, "memory.kmem.tcp.limit_in_bytes", r->mem_kernel_tcp,
			F("memory.kernelTCP"), err) < 0) {
		if (!unsupported((*err)->errnum))
			return -1;
		berth_error_release(err);
	}
	if (r->mem_swappiness != UNSET && write_limit(dir, "memory.swappiness", r->mem_swappiness,
						      F("memory.swappiness"), err) < 0)
		return -1;
	if (r->disable_oom_killer == 1 &&
	    berth_cg_write(dir, "memory.oom_control", "1", F("memory.disableOOMKiller"), err) < 0)
		return -1;
	if (r->use_hierarchy != -1 && berth_cg_exists(dir, "memory.use_hierarchy") &&
	    berth_cg_writef(dir, "memory.use_hierarchy", F("memory.useHierarchy"), err, "%d",
			    r->use_hierarchy) < 0) {
		/* Always 1 since 5.16: writing 0 fails, which changes nothing. */
		if (r->use_hierarchy == 1)
			return -1;
		berth_error_release(err);
	}
	return 0;
}

static int v1_cpu(const char *dir, const struct berth_cgroup_resources *r, berth_error_t *err)
{
	if (r->cpu_shares != UNSET) {
		uint64_t got = 0;

		if (write_limit(dir, "cpu.shares", r->cpu_shares, F("cpu.shares"), err) < 0)
			return -1;
		/* The kernel clamps silently; report a value it did not take. */
		if (berth_cg_read_u64(dir, "cpu.shares", &got, err) < 0)
			return -1;
		if (got != (uint64_t)r->cpu_shares)
			return berth_error(err, ERANGE,
					   F("cpu.shares") ": %lld is out of range (the kernel "
							   "set %llu)",
					   (long long)r->cpu_shares, (unsigned long long)got);
	}
	if (r->cpu_period != UNSET &&
	    write_limit(dir, "cpu.cfs_period_us", r->cpu_period, F("cpu.period"), err) < 0) {
		/* The new period may conflict with the old quota: set the quota first. */
		if (r->cpu_quota == UNSET)
			return -1;
		berth_error_release(err);
		if (write_limit(dir, "cpu.cfs_quota_us", r->cpu_quota, F("cpu.quota"), err) < 0 ||
		    write_limit(dir, "cpu.cfs_period_us", r->cpu_period, F("cpu.period"), err) < 0)
			return -1;
	}
	if (r->cpu_quota != UNSET &&
	    write_limit(dir, "cpu.cfs_quota_us", r->cpu_quota, F("cpu.quota"), err) < 0)
		return -1;
	if (r->cpu_burst != UNSET &&
	    write_limit(dir, "cpu.cfs_burst_us", r->cpu_burst, F("cpu.burst"), err) < 0)
		return -1;
	if (r->cpu_rt_period != UNSET && write_limit(dir, "cpu.rt_period_us", r->cpu_rt_period,
						     F("cpu.realtimePeriod"), err) < 0)
		return -1;
	if (r->cpu_rt_runtime != UNSET && write_limit(dir, "cpu.rt_runtime_us", r->cpu_rt_runtime,
						      F("cpu.realtimeRuntime"), err) < 0)
		return -1;
	if (r->cpu_idle != UNSET &&
	    write_limit(dir, "cpu.idle", r->cpu_idle, F("cpu.idle"), err) < 0)
		return -1;
	return 0;
}

static int v1_blkio(const char *dir, const struct berth_cgroup_resources *r, berth_error_t *err)
{
	static const char *const files[4] = {
	    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	/* CFQ's blkio.weight is gone; BFQ offers blkio.bfq.weight when it is built in. */
	const char *wfile = berth_cg_exists(dir, "blkio.weight")       ? "blkio.weight"
			    : berth_cg_exists(dir, "blkio.bfq.weight") ? "blkio.bfq.weight"
								       : NULL;

	if (r->blkio_weight != UNSET) {
		if (wfile == NULL)
			return berth_error(err, EOPNOTSUPP,
					   F("blockIO.weight") ": the kernel has no blkio weight "
							       "(neither CFQ nor BFQ)");
		if (write_limit(dir, wfile, r->blkio_weight, F("blockIO.weight"), err) < 0)
			return -1;
	}
	if (r->blkio_leaf_weight != UNSET &&
	    write_limit(dir, "blkio.leaf_weight", r->blkio_leaf_weight, F("blockIO.leafWeight"),
			err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_weight_device; i++) {
		const struct berth_cgroup_blkio_device *d = &r->weight_device[i];

		if (d->weight != UNSET &&
		    berth_cg_writef(
			dir,
			wfile && strcmp(wfile, "blkio.weight") == 0 ? "blkio.weight_device"
								    : "blkio.bfq.weight_device",
			F("blockIO.weightDevice"), err, "%lld:%lld %lld", (long long)d->major,
			(long long)d->minor, (long long)d->weight) < 0)
			return -1;
		if (d->leaf_weight != UNSET &&
		    berth_cg_writef(dir, "blkio.leaf_weight_device", F("blockIO.weightDevice"), err,
				    "%lld:%lld %lld", (long long)d->major, (long long)d->minor,
				    (long long)d->leaf_weight) < 0)
			return -1;
	}
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < r->n_throttle[t]; i++) {
			const struct berth_cgroup_blkio_device *d = &r->throttle[t][i];

			if (berth_cg_writef(dir, files[t], berth_cg_throttle_fields[t], err,
					    "%lld:%lld %llu", (long long)d->major,
					    (long long)d->minor, (unsigned long long)d->rate) < 0)
				return -1;
		}
	return 0;
}

int berth_cg_v1_cpuset_init(const char *dir, berth_error_t *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	cleanup_free char *parent = NULL;
	char *slash;

	parent = strdup(dir);
	slash = parent ? strrchr(parent, '/') : NULL;
	if (slash == NULL)
		/* cppcheck-suppress memleak ; parent is released by cleanup_free */
		return berth_error(err, ENOMEM, "cpuset `%s`: out of memory", dir);
	*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *cur = NULL, *pv = NULL;

		if (berth_cg_read(dir, files[i], &cur, err) < 0)
			return -1;
		if (cur[0] != '\0')
			continue;
		if (berth_cg_read(parent, files[i], &pv, err) < 0 ||
		    berth_cg_write(dir, files[i], pv, "initialise cpuset", err) < 0)
			return -1;
	}
	return 0;
}

int berth_cg_v1_apply(const char *dir, unsigned mask, const struct berth_cgroup_resources *r,
		      berth_error_t *err)
{
	if (HAS(mask, MEMORY) && v1_memory(dir, r, err) < 0)
		return -1;
	if (HAS(mask, CPU) && v1_cpu(dir, r, err) < 0)
		return -1;
	if (berth_cg_apply_shared(dir, mask, r, err) < 0)
		return -1;
	if (HAS(mask, BLKIO) && v1_blkio(dir, r, err) < 0)
		return -1;
	if (HAS(mask, HUGETLB) && berth_cg_hugetlb(dir, "limit_in_bytes", r, err) < 0)
		return -1;
	if (HAS(mask, NET_CLS) && r->net_class_id != UNSET &&
	    write_limit(dir, "net_cls.classid", r->net_class_id, F("network.classID"), err) < 0)
		return -1;
	if (HAS(mask, NET_PRIO))
		for (size_t i = 0; i < r->n_net_prio; i++)
			if (berth_cg_writef(dir, "net_prio.ifpriomap", F("network.priorities"), err,
					    "%s %u", r->net_prio[i].name,
					    r->net_prio[i].priority) < 0)
				return -1;
	return 0;
}

/* "c 1:3 rwm", with '*' for a wildcard number. */
static void rule_text(const struct berth_cgroup_device_rule *d, char *buf, size_t len)
{
	char maj[24], min[24];

	if (d->major < 0)
		strcpy(maj, "*");
	else
		snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
	if (d->minor < 0)
		strcpy(min, "*");
	else
		snprintf(min, sizeof(min), "%lld", (long long)d->minor);
	snprintf(buf, len, "%c %s:%s %s", d->type, maj, min, d->access);
}

/* Each write() is one rule: one open for each run of rules going to the same file. */
int berth_cg_v1_devices(const char *dir, const struct berth_cgroup_device_rule *rules, size_t n,
			berth_error_t *err)
{
	cleanup_close int fd = -1;
	bool fd_allow = false;

	for (size_t i = 0; i < n; i++) {
		const char *file = rules[i].allow ? "devices.allow" : "devices.deny";
		char text[80], path[PATH_MAX];
		size_t len;

		rule_text(&rules[i], text, sizeof(text));
		len = strlen(text);
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if (fd < 0 || fd_allow != rules[i].allow) {
			if (fd >= 0)
				close(fd);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0)
				return berth_error_errno(err, errno, "device rule: open `%s`", path);
			fd_allow = rules[i].allow;
		}
		if (write(fd, text, len) != (ssize_t)len)
			return berth_error_errno(err, errno, "device rule: write `%s` to `%s`", text, path);
	}
	return 0;
}

int berth_cg_v1_is_frozen(const char *dir, bool *frozen, berth_error_t *err)
{
	cleanup_free char *state = NULL;

	if (berth_cg_read(dir, "freezer.state", &state, err) < 0)
		return -1;
	*frozen = strcmp(state, "FROZEN") == 0;
	return 0;
}

int berth_cg_v1_freeze(const char *dir, bool freeze, berth_error_t *err)
{
	const char *want = freeze ? "FROZEN" : "THAWED";

	for (int i = 0; i < 2000; i++) {
		cleanup_free char *state = NULL;
		struct timespec ts = {0, 1000000L};

		/* A task stuck in FREEZING may need the request repeated. */
		if ((i % 50 == 0) && berth_cg_write(dir, "freezer.state", want, "freezer", err) < 0)
			return -1;
		if (berth_cg_read(dir, "freezer.state", &state, err) < 0)
			return -1;
		if (strcmp(state, want) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	if (freeze) {
		berth_error_t ignore = NULL;

		berth_cg_write(dir, "freezer.state", "THAWED", "freezer", &ignore);
		berth_error_release(&ignore);
	}
	return berth_error(err, ETIMEDOUT, "freezer: `%s` did not become %s", dir, want);
}

int berth_cg_v1_oom_count(const char *dir, uint64_t *count, berth_error_t *err)
{
	berth_error_t ignore = NULL;

	/* oom_kill is in memory.oom_control since 4.13; older kernels only say under_oom. */
	if (berth_cg_read_key(dir, "memory.oom_control", "oom_kill", count, &ignore) == 0)
		return 0;
	berth_error_release(&ignore);
	return berth_cg_read_key(dir, "memory.oom_control", "under_oom", count, err);
}

static void mem_entry(const char *dir, json_t *parent, const char *key, const char *prefix)
{
	static const char *const parts[][2] = {{"usage", "usage_in_bytes"},
					       {"max", "max_usage_in_bytes"},
					       {"limit", "limit_in_bytes"},
					       {"failcnt", "failcnt"}};
	json_t *e = json_object();

	for (size_t i = 0; i < 4; i++) {
		char file[96];
		uint64_t v;
		berth_error_t ignore = NULL;

		snprintf(file, sizeof(file), "%s%s", prefix, parts[i][1]);
		if (berth_cg_read_u64(dir, file, &v, &ignore) == 0)
			berth_cg_json_u64(e, parts[i][0], v);
		berth_error_release(&ignore);
	}
	json_object_set_new(parent, key, e);
}

static void blkio_list(const char *dir, const char *file, json_t *blkio, const char *key)
{
	cleanup_free char *s = NULL;
	berth_error_t ignore = NULL;
	json_t *arr = json_array();

	if (berth_cg_read(dir, file, &s, &ignore) == 0) {
		for (char *line = s; line && *line;) {
			char *nl = strchr(line, '\n');
			unsigned maj, min;
			char op[32];
			unsigned long long v;

			if (nl)
				*nl = '\0';
			if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
				json_array_append_new(arr,
						      json_pack("{s:i, s:i, s:s, s:I}", "major",
								(int)maj, "minor", (int)min, "op",
								op, "value", (json_int_t)v));
			line = nl ? nl + 1 : NULL;
		}
	}
	berth_error_release(&ignore);
	json_object_set_new(blkio, key, arr);
}

int berth_cg_v1_stats(const char *dir, unsigned mask, json_t *stats, berth_error_t *err)
{
	berth_error_t ignore = NULL;
	uint64_t v;

	if (HAS(mask, CPUACCT)) {
		json_t *usage = berth_cg_json_obj(berth_cg_json_obj(stats, "cpu"), "usage");
		cleanup_free char *percpu = NULL;

		if (berth_cg_read_u64(dir, "cpuacct.usage", &v, &ignore) == 0)
			berth_cg_json_u64(usage, "total", v);
		if (berth_cg_read_u64(dir, "cpuacct.usage_sys", &v, &ignore) == 0)
			berth_cg_json_u64(usage, "kernel", v);
		if (berth_cg_read_u64(dir, "cpuacct.usage_user", &v, &ignore) == 0)
			berth_cg_json_u64(usage, "user", v);
		if (berth_cg_read(dir, "cpuacct.usage_percpu", &percpu, &ignore) == 0) {
			json_t *arr = json_array();
			char *p = percpu, *end;

			for (v = strtoull(p, &end, 10); end != p; v = strtoull(p, &end, 10)) {
				json_array_append_new(arr, json_integer((json_int_t)v));
				p = end;
			}
			json_object_set_new(usage, "percpu", arr);
		}
		berth_error_release(&ignore);
	}
	if (HAS(mask, CPU)) {
		json_t *cpustat = json_object(),
		       *thr = berth_cg_json_obj(berth_cg_json_obj(stats, "cpu"), "throttling");

		berth_cg_flat_keyed(dir, "cpu.stat", cpustat);
		berth_cg_json_u64(thr, "periods",
				  json_integer_value(json_object_get(cpustat, "nr_periods")));
		berth_cg_json_u64(thr, "throttled_periods",
				  json_integer_value(json_object_get(cpustat, "nr_throttled")));
		berth_cg_json_u64(thr, "throttled_time",
				  json_integer_value(json_object_get(cpustat, "throttled_time")));
		json_decref(cpustat);
	}
	if (HAS(mask, MEMORY)) {
		json_t *mem = berth_cg_json_obj(stats, "memory"), *raw = json_object();

		mem_entry(dir, mem, "usage", "memory.");
		mem_entry(dir, mem, "swap", "memory.memsw.");
		mem_entry(dir, mem, "kernel", "memory.kmem.");
		mem_entry(dir, mem, "kernelTCP", "memory.kmem.tcp.");
		berth_cg_flat_keyed(dir, "memory.stat", raw);
		berth_cg_json_u64(mem, "cache",
				  json_integer_value(json_object_get(raw, "total_cache")));
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
	if (HAS(mask, BLKIO)) {
		json_t *b = berth_cg_json_obj(stats, "blkio");

		blkio_list(dir, "blkio.throttle.io_service_bytes_recursive", b,
			   "ioServiceBytesRecursive");
		blkio_list(dir, "blkio.throttle.io_serviced_recursive", b, "ioServicedRecursive");
	}
	if (HAS(mask, HUGETLB)) {
		json_t *h = berth_cg_json_obj(stats, "hugetlb");
		cleanup_closedir DIR *dh = opendir(dir);
		struct dirent *de;

		while (dh && (de = readdir(dh)) != NULL) {
			char size[32], file[96];
			json_t *e;

			if (sscanf(de->d_name, "hugetlb.%31[^.].usage_in_bytes", size) != 1 ||
			    strstr(de->d_name, ".rsvd."))
				continue;
			e = json_object();
			snprintf(file, sizeof(file), "hugetlb.%s.usage_in_bytes", size);
			if (berth_cg_read_u64(dir, file, &v, &ignore) == 0)
				berth_cg_json_u64(e, "usage", v);
			snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", size);
			if (berth_cg_read_u64(dir, file, &v, &ignore) == 0)
				berth_cg_json_u64(e, "max", v);
			snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
			if (berth_cg_read_u64(dir, file, &v, &ignore) == 0)
				berth_cg_json_u64(e, "failcnt", v);
			berth_error_release(&ignore);
			json_object_set_new(h, size, e);
		}
	}
	return 0;
}
