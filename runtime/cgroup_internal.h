/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by cgroup.c (layout, paths, lifecycle), cgroup_v1.c and
 * cgroup_v2.c (controller files of each version) and cgroup_devices_bpf.c.
 * Exposed to the unit tests, which check layout detection on fake
 * mountinfo text and the device program on a real cgroup2 directory.
 */
#ifndef BERTH_CGROUP_INTERNAL_H
#define BERTH_CGROUP_INTERNAL_H

#include "cgroup.h"

enum berth_cg_mode {
	BERTH_CG_MODE_V1 = 1,
	BERTH_CG_MODE_V2,
	BERTH_CG_MODE_HYBRID,
};

/* Controllers, as bits of a mask. */
enum berth_cg_ctrl {
	BERTH_CG_CPU,
	BERTH_CG_CPUACCT,
	BERTH_CG_CPUSET,
	BERTH_CG_MEMORY,
	BERTH_CG_DEVICES,
	BERTH_CG_FREEZER,
	BERTH_CG_BLKIO, /* "io" on cgroup2 */
	BERTH_CG_PIDS,
	BERTH_CG_HUGETLB,
	BERTH_CG_NET_CLS,
	BERTH_CG_NET_PRIO,
	BERTH_CG_RDMA,
	BERTH_CG_MISC,
	BERTH_CG_PERF_EVENT,
	BERTH_CG_NCTRL,
};
#define BERTH_CG_BIT(c) (1u << (c))

/* Name of a controller on v1 ("blkio") or v2 ("io"); NULL when v2 has none. */
const char *berth_cg_ctrl_name(enum berth_cg_ctrl c, bool v2);
/* Controller by v1 or v2 name; -1 when unknown. */
int berth_cg_ctrl_from_name(const char *name);

/* One mounted hierarchy. */
struct berth_cg_hier {
	char *name;  /* "cpu,cpuacct", "memory", "name=systemd"; "unified" for cgroup2 */
	char *mount; /* mount point */
	char *root;  /* root of the mount inside the hierarchy (mountinfo field 4) */
	unsigned mask;
	bool v2;
};

struct berth_cg_layout {
	enum berth_cg_mode mode;
	struct berth_cg_hier *h;
	size_t n;
};

/*
 * Layout from mountinfo text.  unified_controllers is the content of the
 * cgroup2 root's cgroup.controllers; NULL reads it from the mount.
 */
int berth_cg_layout_parse(const char *mountinfo, const char *unified_controllers,
			  struct berth_cg_layout **out, berth_error_t *err);
int berth_cg_layout_detect(struct berth_cg_layout **out, berth_error_t *err);
void berth_cg_layout_free(struct berth_cg_layout *l);

/* The cgroup of hierarchy h in /proc/<pid>/cgroup text, copied to buf; NULL when absent. */
const char *berth_cg_own_path(const struct berth_cg_hier *h, const char *proc_cgroup, char *buf,
			      size_t size);

/*
 * Directory of cgroup path in hierarchy h.  Relative paths start at the
 * process's own cgroup taken from proc_cgroup (/proc/self/cgroup text).
 */
int berth_cg_hier_dir(const struct berth_cg_hier *h, const char *path, const char *proc_cgroup,
		      char **out, berth_error_t *err);

/* Reject "..", empty components and systemd "a:b:c" paths. */
int berth_cg_path_check(const char *path, berth_error_t *err);

/* A container cgroup: one directory per hierarchy. */
struct berth_cg_dir {
	char *name;
	char *dir;
	unsigned mask; /* controllers this hierarchy drives for us */
	bool v2;
};

struct berth_cgroup {
	enum berth_cg_mode mode;
	char *path;
	struct berth_cg_dir *d;
	size_t n;
};

/* The directory that drives controller c, or NULL. */
const struct berth_cg_dir *berth_cg_dir_for(const struct berth_cgroup *cg, enum berth_cg_ctrl c);
const struct berth_cg_dir *berth_cg_v2_dir(const struct berth_cgroup *cg);

/* ---- files ---- */

/* Write value to dir/file; the error names field (a spec field or a purpose). */
int berth_cg_write(const char *dir, const char *file, const char *value, const char *field,
		   berth_error_t *err);
int berth_cg_writef(const char *dir, const char *file, const char *field, berth_error_t *err,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Read dir/file (trailing newline stripped); -ENOENT when missing. */
int berth_cg_read(const char *dir, const char *file, char **out, berth_error_t *err);
/* Read a number ("max" reads as UINT64_MAX). */
int berth_cg_read_u64(const char *dir, const char *file, uint64_t *out, berth_error_t *err);
/* Look up "key value" in a flat-keyed file such as memory.stat. */
int berth_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *out,
		      berth_error_t *err);
bool berth_cg_exists(const char *dir, const char *file);
/* Parse a flat-keyed file ("key value" lines) into object o. */
void berth_cg_flat_keyed(const char *dir, const char *file, json_t *o);
/* The object member key of parent, created when missing. */
json_t *berth_cg_json_obj(json_t *parent, const char *key);
void berth_cg_json_u64(json_t *o, const char *key, uint64_t v);

/* ---- per version ---- */

/* The spec field of each BERTH_CG_THROTTLE_* list. */
extern const char *const berth_cg_throttle_fields[4];
/* Write the hugepageLimits to hugetlb.<size>.<suffix> ("limit_in_bytes" v1, "max" v2). */
int berth_cg_hugetlb(const char *dir, const char *suffix, const struct berth_cgroup_resources *r,
		     berth_error_t *err);

/* The limits whose files are the same on v1 and v2: cpuset and pids. */
int berth_cg_apply_shared(const char *dir, unsigned mask, const struct berth_cgroup_resources *r,
			  berth_error_t *err);
int berth_cg_v1_apply(const char *dir, unsigned mask, const struct berth_cgroup_resources *res,
		      berth_error_t *err);
int berth_cg_v1_freeze(const char *dir, bool freeze, berth_error_t *err);
int berth_cg_v1_is_frozen(const char *dir, bool *frozen, berth_error_t *err);
int berth_cg_v1_stats(const char *dir, unsigned mask, json_t *stats, berth_error_t *err);
int berth_cg_v1_oom_count(const char *dir, uint64_t *count, berth_error_t *err);
/* Make a new v1 cpuset directory usable (copy cpus/mems from the parent). */
int berth_cg_v1_cpuset_init(const char *dir, berth_error_t *err);

int berth_cg_v2_apply(const char *dir, unsigned mask, const struct berth_cgroup_resources *res,
		      berth_error_t *err);
int berth_cg_v2_unified(const char *dir, const struct berth_cgroup_resources *res,
			berth_error_t *err);
int berth_cg_v2_freeze(const char *dir, bool freeze, berth_error_t *err);
int berth_cg_v2_is_frozen(const char *dir, bool *frozen, berth_error_t *err);
int berth_cg_v2_stats(const char *dir, unsigned mask, json_t *stats, berth_error_t *err);
int berth_cg_v2_oom_count(const char *dir, uint64_t *count, berth_error_t *err);
/* Enable the controllers of mask in subtree_control from top down to (not including) leaf. */
int berth_cg_v2_enable(const char *mount, const char *leaf, unsigned mask, berth_error_t *err);

/* Conversions of runc/crun (exposed for the tests). */
uint64_t berth_cg_shares_to_weight(uint64_t shares);
uint64_t berth_cg_blkio_to_io_weight(uint64_t weight);

/* ---- devices ---- */

/*
 * The effective rule list: the spec's rules, with runc's default devices
 * inserted after a leading deny-all.  *out is malloc'd.
 */
int berth_cg_device_rules(const struct berth_cgroup_resources *res,
			  struct berth_cgroup_device_rule **out, size_t *n, berth_error_t *err);
int berth_cg_v1_devices(const char *dir, const struct berth_cgroup_device_rule *rules, size_t n,
			berth_error_t *err);
/*
 * Load a BPF_PROG_TYPE_CGROUP_DEVICE program for rules (last matching rule
 * wins; no match allows) and attach it to the cgroup2 directory dir,
 * replacing any program attached before.
 */
int berth_cg_bpf_devices(const char *dir, const struct berth_cgroup_device_rule *rules, size_t n,
			 berth_error_t *err);

#endif
