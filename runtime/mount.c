/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

static int openat2_in_root(int root_fd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
}

/*
 * A dangling symlink on the way (rootfs/evil -> /host/dir): follow it as the
 * kernel would inside the root, and create the missing part there.
 */
static int follow_dangling(int root_fd, int parent, const char *name, const char *dir,
			   const char *rest, bool file, int depth, int *out, berth_error_t *err);

static int open_in_root(int root_fd, const char *path, bool create, bool file, int depth, int *out,
			berth_error_t *err)
{
	char buf[PATH_MAX];
	char *p;
	int fd;

	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	fd = openat2_in_root(root_fd, path);
	if (fd >= 0 || errno != ENOENT || !create) {
		if (fd < 0)
			return berth_error_errno(err, errno, "open `/%s` in the rootfs", path);
		*out = fd;
		return 0;
	}
	if (depth > 40)
		return berth_error(err, ELOOP, "open `/%s` in the rootfs: too many symlinks", path);
	if (strlen(path) >= sizeof(buf))
		return berth_error(err, ENAMETOOLONG, "`/%s`: path too long", path);
	strcpy(buf, path);
	/* Create component by component, each under its parent as resolved in the root. */
	p = buf;
	for (;;) {
		char *slash = strchr(p, '/');
		bool last = slash == NULL;
		cleanup_close int parent = -1;
		char *name;

		if (slash)
			*slash = '\0';
		fd = openat2_in_root(root_fd, buf);
		if (fd < 0 && errno == ENOENT) {
			int r;

			name = strrchr(buf, '/');
			if (name) {
				*name = '\0';
				parent = openat2_in_root(root_fd, buf);
				*name = '/';
				name++;
			} else {
				parent = openat2_in_root(root_fd, ".");
				name = buf;
			}
			if (parent < 0)
				return berth_error_errno(err, errno, "open `/%s` in the rootfs", buf);
			if (last && file) {
				r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(parent, name, 0755);
			}
			if (r < 0 && errno == EEXIST) {
				char dir[PATH_MAX];
				snprintf(dir, sizeof(dir), "%.*s", (int)(name - buf), buf);
				return follow_dangling(root_fd, parent, name, dir, last ? "" : slash + 1,
						       file, depth, out, err);
			}
			if (r < 0)
				return berth_error_errno(err, errno, "create `/%s` in the rootfs", buf);
			fd = openat2_in_root(root_fd, buf);
		}
		if (fd < 0)
			return berth_error_errno(err, errno, "open `/%s` in the rootfs", buf);
		if (last) {
			*out = fd;
			return 0;
		}
		close(fd);
		*slash = '/';
		p = slash + 1;
	}
}

static int follow_dangling(int root_fd, int parent, const char *name, const char *dir,
			   const char *rest, bool file, int depth, int *out, berth_error_t *err)
{
	char target[PATH_MAX], next[PATH_MAX];
	ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);

	if (n < 0)
		return berth_error_errno(err, EEXIST, "create `/%s%s` in the rootfs", dir, name);
	target[n] = '\0';
	/* absolute targets start again at the root, relative ones at the link's directory */
	if (snprintf(next, sizeof(next), "%s%s%s%s", target[0] == '/' ? "" : dir, target,
		     *rest ? "/" : "", rest) >= (int)sizeof(next))
		return berth_error(err, ENAMETOOLONG, "`%s`: path too long", target);
	return open_in_root(root_fd, next, true, file, depth + 1, out, err);
}

int berth_open_in_root(int root_fd, const char *path, bool create, bool file, int *out,
		       berth_error_t *err)
{
	return open_in_root(root_fd, path, create, file, 0, out, err);
}

static void fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* Flags a remount must keep: in a user namespace the kernel refuses to drop them. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int copy_tree(int src, int dst, const char *where, int depth, berth_error_t *err);

static int copy_file(int src, int dst, const char *name, const struct stat *st, const char *where,
		     berth_error_t *err)
{
	cleanup_close int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;

	if (in < 0)
		return berth_error_errno(err, errno, "open `%s/%s`", where, name);
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berth_error_errno(err, errno, "create `%s/%s`", where, name);
	for (off_t left = st->st_size; left > 0;) {
		ssize_t n = sendfile(out, in, NULL, (size_t)(left > (1 << 30) ? (1 << 30) : left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_errno(err, errno, "copy `%s/%s`", where, name);
		if (n == 0)
			break; /* the file shrank */
		left -= n;
	}
	/* owner first: chown clears the set-id bits */
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return berth_error_errno(err, errno, "copy `%s/%s`", where, name);
	return 0;
}

static int copy_entry(int src, int dst, const char *name, const char *where, int depth,
		      berth_error_t *err)
{
	struct stat st;
	struct timespec times[2];

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_errno(err, errno, "stat `%s/%s`", where, name);
	if (S_ISREG(st.st_mode)) {
		if (copy_file(src, dst, name, &st, where, err) < 0)
			return -1;
	} else if (S_ISDIR(st.st_mode)) {
		cleanup_close int s = -1, d = -1;
		char sub[PATH_MAX];

		if (depth > 128)
			return berth_error(err, ELOOP, "copy `%s/%s`: too deep", where, name);
		snprintf(sub, sizeof(sub), "%s/%s", where, name);
		if (mkdirat(dst, name, 0700) < 0)
			return berth_error_errno(err, errno, "create `%s`", sub);
		s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_error_errno(err, errno, "open `%s`", sub);
		if (copy_tree(s, d, sub, depth + 1, err) < 0)
			return -1;
		if (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
			return berth_error_errno(err, errno, "copy `%s`", sub);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);

		if (n < 0)
			return berth_error_errno(err, errno, "readlink `%s/%s`", where, name);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_errno(err, errno, "copy `%s/%s`", where, name);
	} else {
		if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
			return berth_error_errno(err, errno, "copy `%s/%s`", where, name);
	}
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_errno(err, errno, "copy `%s/%s`", where, name);
	return 0;
}

/* Everything in directory src (a tree of the rootfs) into dst, with owners, modes and times. */
static int copy_tree(int src, int dst, const char *where, int depth, berth_error_t *err)
{
	int fd = dup(src);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int ret = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return berth_error_errno(err, errno, "read `%s`", where);
	}
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ret = copy_entry(src, dst, e->d_name, where, depth, err);
		if (ret < 0)
			break;
		errno = 0;
	}
	if (ret == 0 && errno != 0)
		ret = berth_error_errno(err, errno, "read `%s`", where);
	closedir(d);
	return ret;
}

/* tmpcopyup: the new tmpfs (top) starts with what the directory it covers (under) holds. */
static int tmpfs_copy_up(struct berth_rootfs *r, const struct berth_mount *m, int under,
			 berth_error_t *err)
{
	cleanup_close int top = -1, dst = -1;

	if (berth_open_in_root(r->root_fd, m->destination, false, false, &top, err) < 0)
		return -1;
	dst = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0)
		return berth_error_errno(err, errno, "open `%s`", m->destination);
	if (copy_tree(under, dst, m->destination, 0, err) < 0)
		return berth_error_wrap(err, "tmpcopyup");
	return 0;
}

#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

static int mount_one(struct berth_rootfs *r, const struct berth_mount *m, berth_error_t *err)
{
	cleanup_close int target = -1, top = -1, under = -1;
	char tpath[64];
	bool is_file = false, ro_later = false;
	unsigned long flags = m->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
	const char *type = m->type;

	if (m->bind) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			return berth_error_errno(err, errno, "mount `%s` to `%s`", m->source,
						 m->destination);
		is_file = !S_ISDIR(st.st_mode);
	}
	if (berth_open_in_root(r->root_fd, m->destination, true, is_file, &target, err) < 0)
		return berth_error_wrap(err, "mount `%s`", m->destination);
	fd_path(tpath, sizeof(tpath), target);

	if (type && (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) && !m->bind) {
		if (r->cgroup == NULL)
			return berth_error(err, ENOTSUP, "mount `%s`: the container has no cgroup",
					   m->destination);
		/* berth_cgroup_mount() builds a tree under the target after mounting on it,
		 * so it needs a path naming the new mount: the resolved one. */
		char real[PATH_MAX];
		ssize_t n = readlink(tpath, real, sizeof(real) - 1);
		if (n < 0)
			return berth_error_errno(err, errno, "mount `%s`", m->destination);
		real[n] = '\0';
		if (berth_cgroup_mount(r->cgroup, real, flags, r->cgroupns, err) < 0)
			return berth_error_wrap(err, "mount `%s`", m->destination);
		return 0;
	}
	if (m->tmpcopyup) {
		/* Read what is there before the tmpfs covers it; the copy needs a
		 * writable tmpfs: read-only comes after, by a remount. */
		under = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (under < 0)
			return berth_error_errno(err, errno, "mount `%s`", m->destination);
		ro_later = flags & MS_RDONLY;
		flags &= ~MS_RDONLY;
	}
	if (m->bind) {
		if (mount(m->source, tpath, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
			return berth_error_errno(err, errno, "bind mount `%s` to `%s`", m->source,
						 m->destination);
	} else if (mount(m->source ? m->source : type, tpath, type, flags, m->data) < 0) {
		int e = errno;
		/* sysfs needs a network namespace of our own user namespace: fall back to a bind. */
		if (strcmp(type, "sysfs") == 0 && (e == EPERM || e == EBUSY)) {
			if (mount("/sys", tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
				return berth_error_errno(err, errno, "mount sysfs to `%s`",
							 m->destination);
			flags |= MS_BIND | MS_REMOUNT;
		} else {
			return berth_error_errno(err, e, "mount %s to `%s`", type, m->destination);
		}
	} else if (m->tmpcopyup) {
		if (tmpfs_copy_up(r, m, under, err) < 0)
			return berth_error_wrap(err, "mount `%s`", m->destination);
		flags = ro_later ? flags | MS_RDONLY | MS_REMOUNT : 0;
	} else {
		flags = 0;
	}
	if (m->bind || (flags & MS_REMOUNT)) {
		/* The fd still names the directory under the new mount: reopen to reach it. */
		if (berth_open_in_root(r->root_fd, m->destination, false, false, &top, err) < 0)
			return -1;
		fd_path(tpath, sizeof(tpath), top);
		flags &= ~(MS_BIND | MS_REMOUNT);
		if (flags & ~MS_PROPAGATION) {
			unsigned long f = (flags & ~MS_PROPAGATION) | (locked_flags(tpath) & ~m->clear);
			if (mount(NULL, tpath, NULL, MS_BIND | MS_REMOUNT | f, NULL) < 0)
				return berth_error_errno(err, errno, "remount `%s`", m->destination);
		}
	}
	if (m->propagation) {
		if (top < 0) {
			if (berth_open_in_root(r->root_fd, m->destination, false, false, &top, err) < 0)
				return -1;
			fd_path(tpath, sizeof(tpath), top);
		}
		if (mount(NULL, tpath, NULL, m->propagation, NULL) < 0)
			return berth_error_errno(err, errno, "set propagation of `%s`", m->destination);
	}
	return 0;
}

static bool dev_is_bind(const struct berth_config *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (strcmp(cfg->mounts[i].destination, "/dev") == 0 && cfg->mounts[i].bind)
			return true;
	return false;
}

/* The directory the last device went into: most are in /dev, opened once. */
struct dev_dir {
	char path[PATH_MAX];
	int fd;
};

static int dev_dir_open(struct berth_rootfs *r, struct dev_dir *cache, const char *path,
			berth_error_t *err)
{
	int fd;

	if (cache->fd >= 0 && strcmp(cache->path, path) == 0)
		return cache->fd;
	if (snprintf(cache->path, sizeof(cache->path), "%s", path) >= (int)sizeof(cache->path))
		return berth_error(err, ENAMETOOLONG, "`%s`: path too long", path);
	if (berth_open_in_root(r->root_fd, path, true, false, &fd, err) < 0)
		return -1;
	if (cache->fd >= 0)
		close(cache->fd);
	cache->fd = fd;
	return fd;
}

static int make_device(struct berth_rootfs *r, const struct berth_device *d, struct dev_dir *cache,
		       berth_error_t *err)
{
	char parent[PATH_MAX];
	const char *name;
	char *slash;
	mode_t type;
	dev_t rdev;
	int dir;

	if (snprintf(parent, sizeof(parent), "%s", d->path) >= (int)sizeof(parent))
		return berth_error(err, ENAMETOOLONG, "device `%s`: path too long", d->path);
	slash = strrchr(parent, '/');
	*slash = '\0';
	name = slash + 1;
	if (*name == '\0')
		return berth_error(err, EINVAL, "device `%s`: bad path", d->path);
	dir = dev_dir_open(r, cache, *parent ? parent : "/", err);
	if (dir < 0)
		return berth_error_wrap(err, "device `%s`", d->path);
	type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	if (r->userns) {
		/* No mknod in a user namespace: bind the host's node instead. */
		cleanup_close int f = -1;
		char tpath[64];

		f = openat(dir, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (f < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "device `%s`", d->path);
		if (f >= 0)
			close(f);
		f = openat(dir, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
		if (f < 0)
			return berth_error_errno(err, errno, "device `%s`", d->path);
		fd_path(tpath, sizeof(tpath), f);
		if (mount(d->path, tpath, NULL, MS_BIND, NULL) < 0)
			return berth_error_errno(err, errno, "bind device `%s`", d->path);
		return 0;
	}
	/* Replace what the rootfs has there; a fresh /dev has nothing to unlink. */
	rdev = makedev((unsigned)d->major, (unsigned)d->minor);
	if (mknodat(dir, name, type | (d->mode & 07777), rdev) < 0 &&
	    (errno != EEXIST || unlinkat(dir, name, 0) < 0 ||
	     mknodat(dir, name, type | (d->mode & 07777), rdev) < 0))
		return berth_error_errno(err, errno, "mknod `%s`", d->path);
	if (fchmodat(dir, name, d->mode & 07777, 0) < 0 ||
	    fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_errno(err, errno, "device `%s`", d->path);
	return 0;
}

static int setup_dev(struct berth_rootfs *r, berth_error_t *err)
{
	static const struct berth_device defaults[] = {
		{ "/dev/null", 'c', 1, 3, 0666, 0, 0 },	   { "/dev/zero", 'c', 1, 5, 0666, 0, 0 },
		{ "/dev/full", 'c', 1, 7, 0666, 0, 0 },	   { "/dev/random", 'c', 1, 8, 0666, 0, 0 },
		{ "/dev/urandom", 'c', 1, 9, 0666, 0, 0 }, { "/dev/tty", 'c', 5, 0, 0666, 0, 0 },
	};
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	const struct berth_config *cfg = r->cfg;
	struct dev_dir cache = { .fd = -1 };
	bool setup = !dev_is_bind(cfg);
	int dev, ret = -1;

	if (setup) {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
			bool overridden = false;
			for (size_t k = 0; k < cfg->n_devices; k++)
				if (strcmp(cfg->devices[k].path, defaults[i].path) == 0)
					overridden = true;
			if (!overridden && make_device(r, &defaults[i], &cache, err) < 0)
				goto out;
		}
	}
	for (size_t k = 0; k < cfg->n_devices; k++)
		if (make_device(r, &cfg->devices[k], &cache, err) < 0)
			goto out;
	ret = 0;
	if (!setup)
		goto out;
	ret = -1;
	dev = dev_dir_open(r, &cache, "/dev", err);
	if (dev < 0)
		goto out;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (i == 4) {
			struct stat st;
			/* keep a /dev/ptmx device node the config asked for */
			if (fstatat(dev, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode))
				continue;
			unlinkat(dev, "ptmx", 0);
		}
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST) {
			berth_error_errno(err, errno, "symlink /dev/%s", links[i][1]);
			goto out;
		}
	}
	ret = 0;
out:
	if (cache.fd >= 0)
		close(cache.fd);
	return ret;
}

int berth_rootfs_prepare(struct berth_rootfs *r, berth_error_t *err)
{
	const struct berth_config *cfg = r->cfg;
	unsigned long prop = cfg->rootfs_propagation ? cfg->rootfs_propagation : MS_SLAVE | MS_REC;

	r->root_fd = -1;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return berth_error_errno(err, errno, "set propagation of /");
	if (mount(r->rootfs, r->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error_errno(err, errno, "bind rootfs `%s`", r->rootfs);
	/* pivot_root refuses a new root whose mount is shared. */
	if (mount(NULL, r->rootfs, NULL, MS_PRIVATE, NULL) < 0)
		return berth_error_errno(err, errno, "make rootfs `%s` private", r->rootfs);
	r->root_fd = open(r->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->root_fd < 0)
		return berth_error_errno(err, errno, "open rootfs `%s`", r->rootfs);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (mount_one(r, &cfg->mounts[i], err) < 0)
			return -1;
	return setup_dev(r, err);
}

int berth_rootfs_pivot(struct berth_rootfs *r, berth_error_t *err)
{
	if (fchdir(r->root_fd) < 0)
		return berth_error_errno(err, errno, "chdir to rootfs");
	if (r->no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return berth_error_errno(err, errno, "move rootfs to /");
		if (chroot(".") < 0)
			return berth_error_errno(err, errno, "chroot");
	} else {
		/* Stack the old root on top of the new one, then detach it. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return berth_error_errno(err, errno, "pivot_root");
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return berth_error_errno(err, errno, "make old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return berth_error_errno(err, errno, "detach old root");
	}
	/* The cwd must be inside the new root before anything else runs here. */
	if (chdir("/") < 0)
		return berth_error_errno(err, errno, "chdir /");
	close(r->root_fd);
	r->root_fd = -1;
	return 0;
}

static int mask_path(const char *path, berth_error_t *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k") < 0)
			return berth_error_errno(err, errno, "mask `%s`", path);
	} else if (!S_ISLNK(st.st_mode) && mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
		return berth_error_errno(err, errno, "mask `%s`", path);
	}
	return 0;
}

static int readonly_path(const char *path, berth_error_t *err)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return 0;
		return berth_error_errno(err, errno, "readonly path `%s`", path);
	}
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path), NULL) < 0)
		return berth_error_errno(err, errno, "readonly path `%s`", path);
	return 0;
}

int berth_rootfs_sysctl(const struct berth_config *cfg, berth_error_t *err)
{
	for (size_t i = 0; i < cfg->n_sysctl; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/proc/sys/%s", cfg->sysctl[i].key);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		if (berth_write_file(path, cfg->sysctl[i].value, err) < 0)
			return berth_error_wrap(err, "sysctl `%s`", cfg->sysctl[i].key);
	}
	return 0;
}

int berth_rootfs_finish(struct berth_rootfs *r, berth_error_t *err)
{
	const struct berth_config *cfg = r->cfg;

	if (berth_rootfs_sysctl(cfg, err) < 0)
		return -1;
	for (char **p = cfg->readonly_paths; p && *p; p++)
		if (readonly_path(*p, err) < 0)
			return -1;
	for (char **p = cfg->masked_paths; p && *p; p++)
		if (mask_path(*p, err) < 0)
			return -1;
	if (cfg->root_readonly &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
		return berth_error_errno(err, errno, "remount / read-only");
	return 0;
}
