/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "cgroup" mount a container sees: its own cgroup, in the host's layout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

/* Flags that a bind mount only takes on a remount. */
#define PER_MOUNT                                                                                  \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_NOATIME |                 \
	 MS_STRICTATIME | MS_NODIRATIME)

static int bind_dir(const char *src, const char *dst, unsigned long flags, berth_error_t *err)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error_errno(err, errno, "bind `%s` to `%s`", src, dst);
	if ((flags & PER_MOUNT) &&
	    mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | (flags & PER_MOUNT), NULL) < 0)
		return berth_error_errno(err, errno, "remount `%s`", dst);
	return 0;
}

/* Directory name under the tmpfs: "cpu,cpuacct", "memory", "systemd", "unified". */
static const char *sub_name(const struct berth_cg_dir *d)
{
	return strncmp(d->name, "name=", 5) == 0 ? d->name + 5 : d->name;
}

static int mount_one(const struct berth_cg_dir *d, const char *dst, unsigned long flags,
		     bool cgroupns, berth_error_t *err)
{
	unsigned long mflags = flags & PER_MOUNT;
	cleanup_free char *opts = NULL;

	if (!cgroupns)
		return bind_dir(d->dir, dst, flags, err);
	/* Inside its own cgroup namespace a fresh mount shows the container's cgroup as root. */
	if (d->v2) {
		if (mount("cgroup2", dst, "cgroup2", mflags, NULL) < 0)
			return berth_error_errno(err, errno, "mount cgroup2 on `%s`", dst);
		return 0;
	}
	if (asprintf(&opts, "%s%s", strncmp(d->name, "name=", 5) == 0 ? "none," : "", d->name) < 0)
		return berth_error(err, ENOMEM, "cgroup mount: out of memory");
	if (mount("cgroup", dst, "cgroup", mflags, opts) < 0)
		return berth_error_errno(err, errno, "mount cgroup `%s` on `%s`", opts, dst);
	return 0;
}

int berth_cgroup_mount(const struct berth_cgroup *cg, const char *target, unsigned long flags,
		       bool cgroupns, berth_error_t *err)
{
	if (cg->mode == BERTH_CG_MODE_V2) {
		if (cg->n == 0 || mount_one(&cg->d[0], target, flags, cgroupns, err) < 0)
			return berth_error_wrap(err, "cgroup mount `%s`", target);
		return 0;
	}
	if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return berth_error_errno(err, errno, "cgroup mount: tmpfs on `%s`", target);
	for (size_t i = 0; i < cg->n; i++) {
		const struct berth_cg_dir *d = &cg->d[i];
		cleanup_free char *dst = NULL;

		if (asprintf(&dst, "%s/%s", target, sub_name(d)) < 0)
			return berth_error(err, ENOMEM, "cgroup mount: out of memory");
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "cgroup mount: mkdir `%s`", dst);
		if (mount_one(d, dst, flags, cgroupns, err) < 0)
			return berth_error_wrap(err, "cgroup mount `%s`", target);
		/* "cpu" and "cpuacct" lead to a shared "cpu,cpuacct" as on the host. */
		if (strchr(d->name, ',')) {
			cleanup_free char *names = strdup(d->name);
			char *save = NULL;

			if (names == NULL)
				return berth_error(err, ENOMEM, "cgroup mount: out of memory");
			for (char *t = strtok_r(names, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				cleanup_free char *link = NULL;

				if (asprintf(&link, "%s/%s", target, t) < 0)
					return berth_error(err, ENOMEM,
							   "cgroup mount: out of memory");
				if (symlink(d->name, link) < 0 && errno != EEXIST)
					return berth_error_errno(
					    err, errno, "cgroup mount: symlink `%s`", link);
			}
		}
	}
	if ((flags & MS_RDONLY) &&
	    mount(NULL, target, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
		  "mode=755") < 0)
		return berth_error_errno(err, errno, "cgroup mount: remount `%s` read-only",
					 target);
	return 0;
}
