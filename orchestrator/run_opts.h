/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flags of `berthctl run` / `create`, parsed and validated. */
#ifndef BERTH_RUN_OPTS_H
#define BERTH_RUN_OPTS_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "orchestrator/engine.h"

enum run_mount_kind { RUN_MOUNT_BIND, RUN_MOUNT_VOLUME, RUN_MOUNT_TMPFS };

struct run_mount {
	enum run_mount_kind kind;
	char source[PATH_MAX]; /* host path, volume name, or tmpfs options */
	char dest[PATH_MAX];
	bool read_only;
};

struct run_opts {
	bool detach, rm, interactive, tty, read_only, no_new_privs, seccomp_unconfined;
	const char *name, *network, *hostname, *user, *workdir, *entrypoint, *restart;
	char **env, **cap_add, **cap_drop;
	struct run_mount *mounts;
	size_t nmounts;
	struct engine_port *ports;
	size_t nports;
	int64_t memory, pids_limit;
	double cpus;
	const char *image;
	char **cmd; /* borrowed from argv */
};

int run_opts_parse(int argc, char **argv, struct run_opts *r, bool is_run, berth_error_t *err);
void run_opts_free(struct run_opts *r);

int run_parse_memory(const char *s, int64_t *out, berth_error_t *err);
int run_parse_volume(const char *s, struct run_mount *m, berth_error_t *err);
int run_parse_port(const char *s, struct engine_port *p, berth_error_t *err);
int run_parse_restart(const char *s, berth_error_t *err);
/* A volume (or network) name: [A-Za-z0-9][A-Za-z0-9_.-]*. */
bool run_volume_name_ok(const char *s);

/* Mounts, resources, capabilities, security options, cgroup and netns into config. */
int run_opts_apply(const struct run_opts *r, json_t *config, const char *volumes_dir,
		   const char *netns, const char *cgroup, berth_error_t *err);

#endif
