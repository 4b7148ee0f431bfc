/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berthctl: the user CLI (daemonless engine).  Each command group lives in
 * its own file (cmd_image.c, cmd_container.c, ...) and exports one entry
 * point with this signature; berthctl.c dispatches on argv[1].
 * Return value: the process exit status (podman's: 125 engine error,
 * 126/127 command not runnable/found, otherwise the container's status).
 */
#ifndef BERTHCTL_H
#define BERTHCTL_H

#include "error.h"

struct berthctl_opts {
	const char *root;      /* --root: images, containers, volumes (default /var/lib/berth) */
	const char *runroot;   /* --runroot: runtime state (default /run/berth) */
	const char *runtime;   /* --runtime: OCI runtime binary (default: berth next to berthctl) */
	const char *shim;      /* --shim: berth-shim binary (default: next to berthctl) */
	const char *cni_config_dir; /* --cni-config-dir: CNI network files */
	const char *cni_plugin_dir; /* --cni-plugin-dir: CNI plugin binaries (colon-separated) */
	int debug;
};

typedef int (*berthctl_cmd_fn)(struct berthctl_opts *opts, int argc, char **argv);

/* Groups; weak so that a build without a component still links and says so. */
int berthctl_cmd_image(struct berthctl_opts *opts, int argc, char **argv) __attribute__((weak));
int berthctl_cmd_container(struct berthctl_opts *opts, int argc, char **argv) __attribute__((weak));
int berthctl_cmd_network(struct berthctl_opts *opts, int argc, char **argv) __attribute__((weak));
int berthctl_cmd_volume(struct berthctl_opts *opts, int argc, char **argv) __attribute__((weak));

#define BERTHCTL_EXIT_ENGINE 125

/* One subcommand of a group (`network ls`): a name or alias and its handler. */
struct berthctl_subcmd {
	const char *name;
	berthctl_cmd_fn fn;
};

/* Runs the subcommand argv[0] of GROUP from the NULL-terminated table CMDS;
 * a missing or unknown name is one error line naming the choices (LIST) and 125. */
int berthctl_dispatch(const char *group, const char *list, const struct berthctl_subcmd *cmds,
		      struct berthctl_opts *opts, int argc, char **argv);

#endif
