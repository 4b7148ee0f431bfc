/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's root filesystem, built in its own mount namespace:
 *
 *   berth_rootfs_prepare()  "/" made rslave (or linux.rootfsPropagation),
 *                           the rootfs bind-mounted onto itself, every
 *                           config mount, /dev's devices and symlinks;
 *   (createContainer hooks run here: mounts done, pivot_root not yet)
 *   berth_rootfs_pivot()    pivot_root (or MS_MOVE + chroot with --no-pivot);
 *   berth_rootfs_finish()   sysctl, maskedPaths, readonlyPaths, read-only root.
 *
 * A mount namespace joined by path (linux.namespaces) is used as it is, as
 * runc does: no mounts, no pivot_root; only berth_rootfs_sysctl() applies.
 *
 * Every destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT)
 * and mounted through /proc/self/fd/N, so a symlink in the rootfs cannot
 * redirect a mount to the host (the CVE-2021-30465 class).
 */
#ifndef BERTH_MOUNT_H
#define BERTH_MOUNT_H

#include <stdbool.h>

#include "config.h"
#include "error.h"

struct berth_cgroup;

struct berth_rootfs {
	const struct berth_config *cfg;
	const char *rootfs; /* absolute host path */
	const struct berth_cgroup *cgroup;
	bool userns;   /* in a new user namespace: no mknod, locked mount flags */
	bool cgroupns; /* the container has its own cgroup namespace */
	bool no_pivot;
	int root_fd; /* O_PATH fd of the rootfs mount, set by prepare */
};

int berth_rootfs_prepare(struct berth_rootfs *r, berth_error_t *err);
int berth_rootfs_pivot(struct berth_rootfs *r, berth_error_t *err);
int berth_rootfs_finish(struct berth_rootfs *r, berth_error_t *err);
/* linux.sysctl, written through /proc/sys (part of berth_rootfs_finish). */
int berth_rootfs_sysctl(const struct berth_config *cfg, berth_error_t *err);

/*
 * Open path (absolute, inside the tree of root_fd) with RESOLVE_IN_ROOT; when
 * missing, create the directories on the way and the last component as a
 * directory (or an empty file when file is true).  Returns an O_PATH fd.
 */
int berth_open_in_root(int root_fd, const char *path, bool create, bool file, int *out,
		       berth_error_t *err);

#endif
