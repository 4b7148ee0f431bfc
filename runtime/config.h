/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json (OCI runtime-spec 1.1, Linux) parsed at the edge into typed
 * structs.  Unknown fields are ignored, as the spec says; wrong types and
 * missing required fields are refused naming the field
 * (`process.args: expected array of strings`); features berth does not
 * implement are refused by name (`unsupported: linux.intelRdt`).
 *
 * Three subtrees are kept as JSON for the modules that own them and parse
 * them with their own typed parsers: linux.resources (cgroup.h),
 * linux.seccomp (seccomp.h) and process.capabilities (caps.h).  They point
 * into cfg->json and live as long as the config.
 */
#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum berth_ns_type {
	BERTH_NS_PID,
	BERTH_NS_NET,
	BERTH_NS_MNT,
	BERTH_NS_IPC,
	BERTH_NS_UTS,
	BERTH_NS_USER,
	BERTH_NS_CGROUP,
	BERTH_NS_TIME,
	BERTH_NS_COUNT,
};

struct berth_namespace {
	bool enabled;
	char *path; /* join this namespace; NULL: create a new one */
};

struct berth_id_map {
	uint32_t container_id, host_id, size;
};

struct berth_mount {
	char *destination;
	char *type;   /* NULL for bind mounts without a type */
	char *source; /* may be NULL (tmpfs, proc ...) */
	unsigned long flags;     /* MS_* set */
	unsigned long clear;     /* MS_* explicitly cleared (rw, suid, dev ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [|MS_REC] */
	bool bind;                 /* bind or rbind */
	bool tmpcopyup;            /* tmpfs: starts with a copy of the directory it covers */
	char *data; /* remaining options, comma separated, NULL when none */
};

struct berth_device {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct berth_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct berth_hook {
	char *path;
	char **args; /* NULL-terminated, may be NULL */
	char **env;  /* NULL-terminated, may be NULL */
	int timeout; /* seconds, 0 = none */
};

enum berth_hook_stage {
	BERTH_HOOK_PRESTART,
	BERTH_HOOK_CREATE_RUNTIME,
	BERTH_HOOK_CREATE_CONTAINER,
	BERTH_HOOK_START_CONTAINER,
	BERTH_HOOK_POSTSTART,
	BERTH_HOOK_POSTSTOP,
	BERTH_HOOK_COUNT,
};

struct berth_hooks {
	struct berth_hook *list;
	size_t n;
};

struct berth_sysctl {
	char *key, *value;
};

struct berth_process {
	bool terminal;
	unsigned short console_height, console_width;
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char **args; /* NULL-terminated, at least one element */
	char **env;  /* NULL-terminated (may be empty) */
	char *cwd;   /* absolute */
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	struct berth_rlimit *rlimits;
	size_t n_rlimits;
	char *apparmor_profile; /* accepted, not applied (no AppArmor here) */
	char *selinux_label;    /* accepted, not applied */
	json_t *capabilities;   /* process.capabilities, NULL when absent (caps.h) */
};

struct berth_config {
	json_t *json; /* the whole document; owns every json_t below */
	char *oci_version;
	char *root_path; /* root.path as written (relative to the bundle or absolute) */
	bool root_readonly;
	char *hostname;
	char *domainname;
	struct berth_process process;
	bool has_process;
	struct berth_mount *mounts;
	size_t n_mounts;
	struct berth_hooks hooks[BERTH_HOOK_COUNT];
	json_t *annotations; /* object, never NULL */

	/* linux */
	struct berth_namespace ns[BERTH_NS_COUNT];
	struct berth_id_map *uid_maps, *gid_maps;
	size_t n_uid_maps, n_gid_maps;
	struct berth_device *devices;
	size_t n_devices;
	char *cgroups_path; /* NULL: the runtime picks one */
	json_t *resources;  /* linux.resources (cgroup.h), NULL when absent */
	json_t *seccomp;    /* linux.seccomp (seccomp.h), NULL when absent */
	unsigned long rootfs_propagation; /* MS_* | MS_REC, 0 = default (rslave, like runc) */
	char **masked_paths;
	char **readonly_paths;
	struct berth_sysctl *sysctl;
	size_t n_sysctl;
	char *mount_label;
	bool has_time_offsets;
	int64_t boottime_secs, monotonic_secs;
	uint32_t boottime_nsecs, monotonic_nsecs;
};

/* Parse config.json at path.  Errors name the file, line/column or field. */
int berth_config_load(const char *path, struct berth_config **out, berth_error_t *err);
/* Parse a document already loaded; takes a reference of json. */
int berth_config_parse(json_t *json, struct berth_config **out, berth_error_t *err);
void berth_config_free(struct berth_config *cfg);
static inline void cleanup_configp(struct berth_config **c)
{
	if (*c)
		berth_config_free(*c);
}
#define cleanup_config __attribute__((cleanup(cleanup_configp)))

/* Parse a "process" object (config.json's, or `exec --process FILE`). */
int berth_process_parse(json_t *obj, const char *where, struct berth_process *p,
			berth_error_t *err);
void berth_process_clear(struct berth_process *p);

/* The namespace name used in config.json ("pid", "network", ...). */
const char *berth_ns_name(enum berth_ns_type t);
/* CLONE_NEW* flag of a namespace type. */
int berth_ns_flag(enum berth_ns_type t);
/* /proc/<pid>/ns/<name> entry of a namespace type ("pid", "net", "mnt", ...). */
const char *berth_ns_proc_name(enum berth_ns_type t);

/* Parse a mount option list (["nosuid","ro","rprivate","size=64k"]) into m. */
int berth_mount_options_parse(json_t *options, const char *where, struct berth_mount *m,
			      berth_error_t *err);
/* A propagation name ("rslave", "private" ...) to MS_* flags; -1 when unknown. */
long berth_propagation_parse(const char *name);

/* RLIMIT_* of "RLIMIT_NOFILE"; -1 when unknown. */
int berth_rlimit_parse(const char *name);

/* runc's default config (`berth spec`), busybox-friendly. */
json_t *berth_config_default(bool rootless);

#endif
