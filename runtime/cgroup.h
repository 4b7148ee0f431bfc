/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control groups for containers, behind one interface for the three layouts
 * a host can have:
 *
 *   v1      every controller on its own (or a shared) cgroup v1 hierarchy;
 *   v2      one cgroup2 hierarchy holding every controller;
 *   hybrid  v1 hierarchies plus a cgroup2 mount (usually /sys/fs/cgroup/unified)
 *           with zero or more controllers bound to it (hugetlb, on some hosts).
 *
 * The layout is detected at run time from /proc/self/mountinfo.  Each
 * controller is driven where the kernel actually bound it: on a hybrid host
 * memory is set through the v1 memory hierarchy and hugetlb through the
 * unified one.
 *
 * Lifecycle (runtime-core):
 *   berth_cgroup_resources_parse(config "linux.resources", &res)
 *   berth_cgroup_create(config "linux.cgroupsPath", id, res, pid, &cg)
 *   berth_cgroup_to_json(cg) -> state.json "cgroup"; berth_cgroup_from_json() in later commands
 *   berth_cgroup_enter(cg, pid) for exec'd processes
 *   berth_cgroup_kill(cg, SIGKILL); berth_cgroup_destroy(cg) on delete
 *   berth_cgroup_free(cg)
 *
 * Every function that can fail returns a negative value and fills *err with a
 * message naming the cgroup, the file or the resource field.
 */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* ---- linux.resources, parsed and validated ---------------------------- */

/* A value that is absent from the spec (different from 0 or -1). */
#define BERTH_CG_UNSET INT64_MIN

struct berth_cgroup_device_rule {
	bool allow;
	char type;	/* 'a', 'c' or 'b' */
	int64_t major;	/* -1: any */
	int64_t minor;	/* -1: any */
	char access[4]; /* subset of "rwm", NUL-terminated */
};

/* A per-device blkio/io value ("weightDevice", "throttle*Device"). */
struct berth_cgroup_blkio_device {
	int64_t major;
	int64_t minor;
	int64_t weight;	     /* weightDevice: weight, BERTH_CG_UNSET when absent */
	int64_t leaf_weight; /* weightDevice: leafWeight, BERTH_CG_UNSET when absent */
	uint64_t rate;	     /* throttle*: bytes or ops per second */
};

struct berth_cgroup_hugetlb {
	char *page_size; /* "2MB", "1GB" (the cgroup file infix) */
	uint64_t limit;
};

struct berth_cgroup_netprio {
	char *name;
	uint32_t priority;
};

struct berth_cgroup_kv {
	char *key;
	char *value;
};

struct berth_cgroup_resources {
	/* memory: bytes, -1 = unlimited, BERTH_CG_UNSET = leave alone */
	int64_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp;
	int64_t mem_swappiness;	  /* 0..100 or BERTH_CG_UNSET */
	int disable_oom_killer;	  /* -1 unset, 0, 1 */
	int use_hierarchy;	  /* -1 unset, 0, 1 */
	bool check_before_update; /* refuse a limit below current usage */

	/* cpu */
	int64_t cpu_shares; /* v1 shares; converted to cpu.weight on v2 */
	int64_t cpu_quota;  /* -1 = unlimited */
	int64_t cpu_period;
	int64_t cpu_burst;
	int64_t cpu_rt_runtime, cpu_rt_period;
	int64_t cpu_idle; /* 0 or 1 */
	char *cpus;	  /* cpuset.cpus, NULL = leave alone */
	char *mems;	  /* cpuset.mems */

	/* pids: -1 or 0 = unlimited ("max"), BERTH_CG_UNSET = leave alone */
	int64_t pids_limit;

	/* blkio (v1) / io (v2) */
	int64_t blkio_weight, blkio_leaf_weight; /* 10..1000 */
	struct berth_cgroup_blkio_device *weight_device;
	size_t n_weight_device;
	struct berth_cgroup_blkio_device *throttle[4]; /* BERTH_CG_THROTTLE_* */
	size_t n_throttle[4];

	struct berth_cgroup_hugetlb *hugetlb;
	size_t n_hugetlb;

	/* network (v1 net_cls / net_prio only) */
	int64_t net_class_id; /* BERTH_CG_UNSET when absent */
	struct berth_cgroup_netprio *net_prio;
	size_t n_net_prio;

	/* devices: the rules as written in the spec (defaults added at apply time) */
	struct berth_cgroup_device_rule *devices;
	size_t n_devices;
	bool has_devices; /* "devices" present (even when empty) */

	/* linux.resources.unified: raw cgroup v2 files */
	struct berth_cgroup_kv *unified;
	size_t n_unified;
};

enum {
	BERTH_CG_THROTTLE_READ_BPS,
	BERTH_CG_THROTTLE_WRITE_BPS,
	BERTH_CG_THROTTLE_READ_IOPS,
	BERTH_CG_THROTTLE_WRITE_IOPS,
};

/*
 * Parse linux.resources (NULL or JSON null: nothing to set) into a new typed
 * struct.  Wrong types, out-of-range values and bad device rules are refused
 * with an error naming the field ("linux.resources.memory.swappiness: 200 is
 * not within 0..100").
 */
int berth_cgroup_resources_parse(json_t *resources, struct berth_cgroup_resources **out,
				 berth_error_t *err);
/* An empty resources struct (everything unset), for the update verb. */
struct berth_cgroup_resources *berth_cgroup_resources_new(void);
void berth_cgroup_resources_free(struct berth_cgroup_resources *res);

/* ---- a container's cgroup ---------------------------------------------- */

struct berth_cgroup;

/*
 * Create the container's cgroup in every hierarchy, apply res (may be NULL)
 * and move pid (0: move nobody) into it.
 *
 * cgroups_path: absolute ("/a/b", from each hierarchy's root), relative
 * ("a/b", from the calling process's own cgroup, like runc), or NULL
 * ("/berth/<id>").  ".." components are refused.  A path in systemd's
 * "slice:prefix:name" form is refused (no systemd cgroup driver).
 *
 * On failure every directory this call created is removed again.
 */
int berth_cgroup_create(const char *cgroups_path, const char *id,
			const struct berth_cgroup_resources *res, pid_t pid,
			struct berth_cgroup **out, berth_error_t *err);

/* Move pid (an exec'd process) into every hierarchy of the cgroup. */
int berth_cgroup_enter(const struct berth_cgroup *cg, pid_t pid, berth_error_t *err);

/* Apply res on top of the current settings (unset fields are left alone). */
int berth_cgroup_update(const struct berth_cgroup *cg, const struct berth_cgroup_resources *res,
			berth_error_t *err);

/* Freeze (true) or thaw (false); freezing returns once the cgroup is FROZEN. */
int berth_cgroup_freeze(const struct berth_cgroup *cg, bool freeze, berth_error_t *err);
int berth_cgroup_is_frozen(const struct berth_cgroup *cg, bool *frozen, berth_error_t *err);

/* Every process in the cgroup (and below it); *pids is malloc'd. */
int berth_cgroup_pids(const struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err);

/*
 * Send sig to every process of the cgroup.  SIGKILL uses cgroup.kill where
 * the kernel has it; otherwise the cgroup is frozen, signalled and thawed
 * so that no process escapes by forking.
 */
int berth_cgroup_kill(const struct berth_cgroup *cg, int sig, berth_error_t *err);

/*
 * Remove the cgroup from every hierarchy, retrying for a few seconds while
 * the last processes exit.  A missing directory is not an error.
 */
int berth_cgroup_destroy(struct berth_cgroup *cg, berth_error_t *err);

/*
 * Statistics in the shape of runc's `events --stats` "data" object:
 * {"cpu":{...},"memory":{...},"pids":{...},"blkio":{...},"hugetlb":{...}}.
 */
int berth_cgroup_stats(const struct berth_cgroup *cg, json_t **out, berth_error_t *err);

/* Whether the OOM killer has killed a process of the cgroup. */
int berth_cgroup_oom_killed(const struct berth_cgroup *cg, bool *killed, berth_error_t *err);

/* Number of OOM kills so far (for the events verb, which reports increases). */
int berth_cgroup_oom_count(const struct berth_cgroup *cg, uint64_t *count, berth_error_t *err);

/* What state.json keeps so that later commands find the cgroup again. */
json_t *berth_cgroup_to_json(const struct berth_cgroup *cg);
int berth_cgroup_from_json(json_t *j, struct berth_cgroup **out, berth_error_t *err);

void berth_cgroup_free(struct berth_cgroup *cg);

/* The cgroup path (as given or defaulted), e.g. "/berth/web". */
const char *berth_cgroup_path(const struct berth_cgroup *cg);

/*
 * Mount what a container sees for a "cgroup" mount at target (a host path
 * inside the container's rootfs, already resolved safely).  flags are the
 * mount's MS_* flags (MS_RDONLY, MS_NOSUID, ...).
 *   v2: cgroup2 when the container has its own cgroup namespace (cgroupns),
 *       otherwise a bind mount of the container's own cgroup directory;
 *   v1/hybrid: a tmpfs with one directory per hierarchy holding the
 *       container's own cgroup (bind, or a cgroup mount with cgroupns), the
 *       cpu,cpuacct-style symlinks, and "unified" for the cgroup2 mount.
 * Called from the container's mount namespace, before pivot_root.
 */
int berth_cgroup_mount(const struct berth_cgroup *cg, const char *target, unsigned long flags,
		       bool cgroupns, berth_error_t *err);

#endif
