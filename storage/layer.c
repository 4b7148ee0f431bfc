/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer unpacking with libarchive.
 *
 * Why not archive_write_disk: every path a tar entry names is resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so neither "..", nor an
 * absolute name, nor a symlink planted by an earlier entry can lead a write
 * outside the layer directory; whiteouts need converting anyway.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/internal.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

int st_path_clean(const char *name, char **out, berth_error_t *err)
{
	size_t n = strlen(name);
	char *buf, *o;
	const char *p = name;

	if (name[0] == '/')
		return berth_error(err, EPERM, "entry `%s`: absolute path refused", name);
	buf = malloc(n + 1);
	if (buf == NULL)
		return berth_error_errno(err, ENOMEM, "entry `%s`", name);
	o = buf;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			free(buf);
			return berth_error(err, EPERM, "entry `%s`: `..` refused", name);
		}
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (o != buf)
				*o++ = '/';
			memcpy(o, p, len);
			o += len;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	*o = '\0';
	*out = buf;
	return 0;
}

static int openat2_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int st_remove_tree_at(int dfd, const char *name)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    st_remove_tree_at(dirfd(d), de->d_name) < 0)
			return -1;
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* ---- a small string set (paths an entry of this layer created) ---- */

struct strset {
	char **slot;
	size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static bool strset_has(const struct strset *s, const char *k)
{
	if (s->cap == 0)
		return false;
	for (size_t i = str_hash(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->slot[i] == NULL)
			return false;
		if (strcmp(s->slot[i], k) == 0)
			return true;
	}
}

static int strset_add(struct strset *s, const char *k)
{
	if (strset_has(s, k))
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		struct strset ns = { .cap = s->cap ? s->cap * 2 : 256 };
		ns.slot = calloc(ns.cap, sizeof(char *));
		if (ns.slot == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slot[i] == NULL)
				continue;
			size_t j = str_hash(s->slot[i]) & (ns.cap - 1);
			while (ns.slot[j])
				j = (j + 1) & (ns.cap - 1);
			ns.slot[j] = s->slot[i];
		}
		ns.n = s->n;
		free(s->slot);
		*s = ns;
	}
	size_t i = str_hash(k) & (s->cap - 1);
	while (s->slot[i])
		i = (i + 1) & (s->cap - 1);
	s->slot[i] = strdup(k);
	if (s->slot[i] == NULL)
		return -1;
	s->n++;
	return 0;
}

static void strset_clear(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* ---- the unpacker ---- */

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	int root;
	enum st_unpack_mode mode;
	struct archive *a;
	/* the parent directory of the previous entry, kept open: most entries share it */
	char *cached_parent;
	int cached_fd;
	struct strset created;
	struct dir_time *dirs;
	size_t ndirs, capdirs;
	char buf[1 << 17];
};

static void cache_drop(struct unpack *u)
{
	if (u->cached_fd >= 0 && u->cached_fd != u->root)
		close(u->cached_fd);
	u->cached_fd = -1;
	free(u->cached_parent);
	u->cached_parent = NULL;
}

static int escape_error(berth_error_t *err, const char *entry, int e)
{
	if (e == EXDEV || e == ELOOP)
		return berth_error(err, EPERM,
				   "entry `%s`: path leads outside the layer (through a symlink) refused",
				   entry);
	return berth_error_errno(err, e, "entry `%s`", entry);
}

/* An fd on directory parent (beneath root), creating missing components (0755). */
static int open_parent(struct unpack *u, const char *parent, const char *entry, berth_error_t *err)
{
	int fd;

	if (parent[0] == '\0')
		return u->root;
	if (u->cached_parent && strcmp(u->cached_parent, parent) == 0)
		return u->cached_fd;
	cache_drop(u);
	fd = openat2_beneath(u->root, parent, O_PATH | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT) {
		cleanup_free char *copy = strdup(parent);
		int cur = u->root;
		char *save = NULL;

		if (copy == NULL)
			return berth_error_errno(err, ENOMEM, "entry `%s`", entry);
		for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
			int next = openat2_beneath(cur, c, O_PATH | O_DIRECTORY);
			if (next < 0 && errno == ENOENT) {
				if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST) {
					int e = errno;
					if (cur != u->root)
						close(cur);
					return berth_error_errno(err, e, "entry `%s`: mkdir `%s`", entry, c);
				}
				next = openat2_beneath(cur, c, O_PATH | O_DIRECTORY);
			}
			if (next < 0) {
				int e = errno;
				if (cur != u->root)
					close(cur);
				return escape_error(err, entry, e);
			}
			if (cur != u->root)
				close(cur);
			cur = next;
		}
		fd = cur;
	}
	if (fd < 0)
		return escape_error(err, entry, errno);
	u->cached_parent = strdup(parent);
	u->cached_fd = fd;
	if (u->cached_parent == NULL) {
		cache_drop(u);
		return berth_error_errno(err, ENOMEM, "entry `%s`", entry);
	}
	return fd;
}

/* Remove what is at pfd/base (any type). */
static int remove_existing(struct unpack *u, int pfd, const char *base, const char *entry,
			   berth_error_t *err)
{
	struct stat sb;

	if (fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_error_errno(err, errno, "entry `%s`", entry);
	if (S_ISDIR(sb.st_mode)) {
		/* pfd may be the cached fd: keep it, but forget any cached child of it */
		if (u->cached_parent && u->cached_fd != pfd) {
			cache_drop(u);
		}
	}
	if (st_remove_tree_at(pfd, base) < 0)
		return berth_error_errno(err, errno, "entry `%s`: remove", entry);
	return 0;
}

static int set_xattrs(struct unpack *u, struct archive_entry *e, int fd, const char *entry,
		      berth_error_t *err)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		/* overlayfs' own attributes come from whiteouts only, never from a tar */
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			continue;
		if (fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP)
			return berth_error_errno(err, errno, "entry `%s`: set xattr `%s`", entry, name);
	}
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

/* Owner, mode (after chown, which clears setuid), xattrs (after chown, which clears caps). */
static int set_meta_fd(struct unpack *u, struct archive_entry *e, int fd, const char *entry,
		       berth_error_t *err)
{
	if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		return berth_error_errno(err, errno, "entry `%s`: chown", entry);
	if (fchmod(fd, archive_entry_mode(e) & 07777) < 0)
		return berth_error_errno(err, errno, "entry `%s`: chmod", entry);
	return set_xattrs(u, e, fd, entry, err);
}

static int write_data(struct unpack *u, int fd, const char *entry, int64_t size, berth_error_t *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;
	int64_t end = 0;

	while ((r = archive_read_data_block(u->a, &buf, &len, &off)) == ARCHIVE_OK) {
		for (size_t done = 0; done < len;) {
			ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)off + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return berth_error_errno(err, n < 0 ? errno : ENOSPC, "entry `%s`: write",
							 entry);
			done += (size_t)n;
		}
		end = off + (int64_t)len;
	}
	if (r != ARCHIVE_EOF)
		return berth_error(err, EIO, "entry `%s`: read: %s", entry, archive_error_string(u->a));
	if (size > end && ftruncate(fd, (off_t)size) < 0) /* a sparse tail */
		return berth_error_errno(err, errno, "entry `%s`: truncate", entry);
	return 0;
}

static int do_whiteout(struct unpack *u, int pfd, const char *parent, const char *base,
		       const char *entry, berth_error_t *err)
{
	if (strcmp(base, WH_OPAQUE) == 0) {
		if (u->mode == ST_UNPACK_LAYER) {
			cleanup_close int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0 || fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
				return berth_error_errno(err, errno, "entry `%s`: mark opaque", entry);
			return 0;
		}
		/* flatten: drop what lower layers put in this directory */
		cleanup_closedir DIR *d = NULL;
		struct dirent *de;
		int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
			int e = errno;
			if (dfd >= 0)
				close(dfd);
			return berth_error_errno(err, e, "entry `%s`", entry);
		}
		while ((de = readdir(d))) {
			cleanup_free char *full = NULL;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (asprintf(&full, "%s%s%s", parent, parent[0] ? "/" : "", de->d_name) < 0)
				return berth_error_errno(err, ENOMEM, "entry `%s`", entry);
			if (strset_has(&u->created, full))
				continue;
			if (st_remove_tree_at(dirfd(d), de->d_name) < 0)
				return berth_error_errno(err, errno, "entry `%s`: remove `%s`", entry,
							 full);
		}
		return 0;
	}
	base += strlen(WH_PREFIX);
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return berth_error(err, EPERM, "entry `%s`: invalid whiteout", entry);
	if (remove_existing(u, pfd, base, entry, err) < 0)
		return -1;
	if (u->mode == ST_UNPACK_LAYER && mknodat(pfd, base, S_IFCHR | 0, makedev(0, 0)) < 0)
		return berth_error_errno(err, errno, "entry `%s`: make whiteout", entry);
	return 0;
}

static int add_dir_time(struct unpack *u, const char *path, struct archive_entry *e)
{
	if (u->ndirs == u->capdirs) {
		size_t n = u->capdirs ? u->capdirs * 2 : 64;
		struct dir_time *nd = realloc(u->dirs, n * sizeof(*nd));
		if (nd == NULL)
			return -1;
		u->dirs = nd;
		u->capdirs = n;
	}
	u->dirs[u->ndirs].path = strdup(path);
	if (u->dirs[u->ndirs].path == NULL)
		return -1;
	entry_times(e, u->dirs[u->ndirs].ts);
	u->ndirs++;
	return 0;
}

static int do_entry(struct unpack *u, struct archive_entry *e, berth_error_t *err)
{
	const char *raw = archive_entry_pathname(e);
	cleanup_free char *path = NULL;
	cleanup_free char *parent = NULL;
	const char *base, *hl;
	struct timespec ts[2];
	mode_t type = archive_entry_filetype(e);
	struct stat sb;
	char *slash;
	int pfd;

	if (raw == NULL)
		return berth_error(err, EINVAL, "entry without a name");
	if (st_path_clean(raw, &path, err) < 0)
		return -1;
	if (path[0] == '\0')
		return 0; /* the root itself: keep the layer dir's own mode */
	slash = strrchr(path, '/');
	parent = slash ? strndup(path, (size_t)(slash - path)) : strdup("");
	base = slash ? slash + 1 : path;
	if (parent == NULL)
		return berth_error_errno(err, ENOMEM, "entry `%s`", raw);
	pfd = open_parent(u, parent, raw, err);
	if (pfd < 0)
		return -1;
	if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0)
		return do_whiteout(u, pfd, parent, base, raw, err);
	if (u->mode == ST_UNPACK_FLATTEN && strset_add(&u->created, path) < 0)
		return berth_error_errno(err, ENOMEM, "entry `%s`", raw);
	entry_times(e, ts);

	hl = archive_entry_hardlink(e);
	if (hl) {
		cleanup_free char *target = NULL, *tparent = NULL;
		cleanup_close int tpfd = -1;
		const char *tbase;

		if (st_path_clean(hl, &target, err) < 0)
			return berth_error_wrap(err, "entry `%s`: hard link", raw);
		slash = strrchr(target, '/');
		tparent = slash ? strndup(target, (size_t)(slash - target)) : strdup(".");
		tbase = slash ? slash + 1 : target;
		if (tparent == NULL)
			return berth_error_errno(err, ENOMEM, "entry `%s`", raw);
		tpfd = openat2_beneath(u->root, tparent, O_PATH | O_DIRECTORY);
		if (tpfd < 0)
			return escape_error(err, raw, errno);
		if (remove_existing(u, pfd, base, raw, err) < 0)
			return -1;
		if (linkat(tpfd, tbase, pfd, base, 0) < 0)
			return berth_error_errno(err, errno, "entry `%s`: hard link to `%s`", raw, hl);
		return 0;
	}

	if (fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!(S_ISDIR(sb.st_mode) && type == AE_IFDIR) &&
		    remove_existing(u, pfd, base, raw, err) < 0)
			return -1;
	}
	switch (type) {
	case AE_IFDIR: {
		cleanup_close int dfd = -1;
		if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "entry `%s`: mkdir", raw);
		dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0)
			return berth_error_errno(err, errno, "entry `%s`: open", raw);
		if (set_meta_fd(u, e, dfd, raw, err) < 0)
			return -1;
		if (add_dir_time(u, path, e) < 0)
			return berth_error_errno(err, ENOMEM, "entry `%s`", raw);
		return 0;
	}
	case AE_IFREG: {
		cleanup_close int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					      0600);
		if (fd < 0)
			return berth_error_errno(err, errno, "entry `%s`: create", raw);
		if (write_data(u, fd, raw, archive_entry_size(e), err) < 0 ||
		    set_meta_fd(u, e, fd, raw, err) < 0)
			return -1;
		if (futimens(fd, ts) < 0)
			return berth_error_errno(err, errno, "entry `%s`: set times", raw);
		return 0;
	}
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		if (target == NULL)
			return berth_error(err, EINVAL, "entry `%s`: symlink without target", raw);
		if (symlinkat(target, pfd, base) < 0)
			return berth_error_errno(err, errno, "entry `%s`: symlink", raw);
		if (fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
			     AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_errno(err, errno, "entry `%s`: chown", raw);
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_errno(err, errno, "entry `%s`: set times", raw);
		return 0;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		cleanup_close int fd = -1;
		if (mknodat(pfd, base, type | (archive_entry_mode(e) & 0777), archive_entry_rdev(e)) < 0)
			return berth_error_errno(err, errno, "entry `%s`: mknod", raw);
		/* O_PATH: the node is never opened for I/O; chown/chmod go through /proc-less *at */
		if (fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
			     AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(pfd, base, archive_entry_mode(e) & 07777, 0) < 0)
			return berth_error_errno(err, errno, "entry `%s`: set owner and mode", raw);
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_errno(err, errno, "entry `%s`: set times", raw);
		return 0;
	}
	default:
		return 0; /* sockets and unknown types: nothing to make */
	}
}

int st_unpack_tar(int fd, int rootfd, enum st_unpack_mode mode, berth_error_t *err)
{
	struct unpack *u = calloc(1, sizeof(*u));
	struct archive_entry *e;
	int r, ret = 0;

	if (u == NULL)
		return berth_error_errno(err, ENOMEM, "unpack");
	u->root = rootfd;
	u->mode = mode;
	u->cached_fd = -1;
	u->a = archive_read_new();
	if (u->a == NULL) {
		free(u);
		return berth_error_errno(err, ENOMEM, "unpack");
	}
	archive_read_support_filter_gzip(u->a);
	archive_read_support_filter_zstd(u->a);
	archive_read_support_filter_none(u->a);
	archive_read_support_format_tar(u->a);
	archive_read_support_format_gnutar(u->a);
	if (archive_read_open_fd(u->a, fd, 1 << 17) != ARCHIVE_OK) {
		ret = berth_error(err, EINVAL, "open tar: %s", archive_error_string(u->a));
		goto out;
	}
	while ((r = archive_read_next_header(u->a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (do_entry(u, e, err) < 0) {
			ret = -1;
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		const char *msg = archive_error_string(u->a);
		ret = berth_error(err, archive_errno(u->a) > 0 ? archive_errno(u->a) : EINVAL,
				  "read tar: %s", msg ? msg : "corrupt archive");
		goto out;
	}
	/* Directory times last: creating their entries changed them. */
	for (size_t i = u->ndirs; i-- > 0;) {
		/* beneath again: a later entry may have replaced a component by a symlink */
		cleanup_close int dfd = openat2_beneath(rootfd, u->dirs[i].path, O_PATH | O_NOFOLLOW);
		if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == EXDEV || errno == ELOOP))
			continue;
		if (dfd < 0 || utimensat(dfd, "", u->dirs[i].ts, AT_EMPTY_PATH) < 0) {
			ret = berth_error_errno(err, errno, "entry `%s`: set times", u->dirs[i].path);
			goto out;
		}
	}
out:
	for (size_t i = 0; i < u->ndirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	cache_drop(u);
	strset_clear(&u->created);
	archive_read_free(u->a);
	free(u);
	return ret;
}
