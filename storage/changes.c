/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's root filesystem changes (its overlay upper directory) as a
 * tar, and directory trees in and out of tars: what a checkpoint carries so
 * that a restored container sees the files it wrote.
 *
 * The upper directory is written as a layer diff: an overlayfs whiteout (a
 * 0:0 character device) becomes an empty ".wh.NAME" file, a directory marked
 * trusted.overlay.opaque gets a ".wh..wh..opq" entry, and the tar unpacks
 * back into an upper directory with the layer unpacker (st_unpack_tar),
 * which turns them into overlayfs whiteouts again.  Modes, owners, times,
 * hard links and extended attributes (but overlayfs' own) are kept.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/internal.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct seen_inode {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct tar_out {
	struct archive *a;
	bool layer;
	struct seen_inode *links; /* files with more than one link, by first path */
	size_t nlinks, caplinks;
	char buf[1 << 16];
};

static int tar_fail(struct tar_out *t, const char *rel, berth_error_t *err)
{
	const char *msg = archive_error_string(t->a);

	return berth_error(err, archive_errno(t->a) > 0 ? archive_errno(t->a) : EIO,
			   "write tar entry `%s`: %s", rel, msg ? msg : "failed");
}

static struct archive_entry *entry_for(const char *rel, const struct stat *sb)
{
	struct archive_entry *e = archive_entry_new();

	if (e == NULL)
		return NULL;
	archive_entry_set_pathname(e, rel);
	archive_entry_set_filetype(e, sb->st_mode & S_IFMT);
	archive_entry_set_perm(e, sb->st_mode & 07777);
	archive_entry_set_uid(e, sb->st_uid);
	archive_entry_set_gid(e, sb->st_gid);
	archive_entry_set_mtime(e, sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec);
	return e;
}

/* Extended attributes but overlayfs' own; *opaque tells whether the directory hides the lower ones. */
static int add_xattrs(struct archive_entry *e, const char *full, bool *opaque, berth_error_t *err)
{
	char names[8192], value[8192];
	ssize_t n = llistxattr(full, names, sizeof(names));

	*opaque = false;
	/* ENOENT: removed meanwhile (a running container); the caller skips it */
	if (n < 0)
		return errno == ENOTSUP || errno == ENOENT
			       ? 0
			       : berth_error_errno(err, errno, "xattrs of `%s`", full);
	for (char *name = names; name < names + n; name += strlen(name) + 1) {
		ssize_t v = lgetxattr(full, name, value, sizeof(value));
		if (v < 0)
			continue;
		if (strncmp(name, "trusted.overlay.", 16) == 0) {
			if (strcmp(name, "trusted.overlay.opaque") == 0 && v == 1 && value[0] == 'y')
				*opaque = true;
			continue;
		}
		archive_entry_xattr_add_entry(e, name, value, (size_t)v);
	}
	return 0;
}

static int write_empty(struct tar_out *t, const char *rel, const struct stat *like,
		       berth_error_t *err)
{
	struct stat sb = *like;
	struct archive_entry *e;
	int r;

	sb.st_mode = S_IFREG | 0644;
	e = entry_for(rel, &sb);
	if (e == NULL)
		return berth_error_errno(err, ENOMEM, "tar");
	archive_entry_set_size(e, 0);
	r = archive_write_header(t->a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : tar_fail(t, rel, err);
}

/*
 * size bytes of the open file: the entry's size is what the header said even
 * if the file changes meanwhile (a running container): a shorter file is
 * padded with zeros, a longer one cut.
 */
static int write_data(struct tar_out *t, int fd, off_t size, const char *full, const char *rel,
		      berth_error_t *err)
{
	ssize_t k = 0;

	while (size > 0) {
		size_t want = size < (off_t)sizeof(t->buf) ? (size_t)size : sizeof(t->buf);
		k = read(fd, t->buf, want);
		if (k < 0)
			return berth_error_errno(err, errno, "read `%s`", full);
		if (k == 0) {
			memset(t->buf, 0, want);
			k = (ssize_t)want;
		}
		if (archive_write_data(t->a, t->buf, (size_t)k) != k)
			return tar_fail(t, rel, err);
		size -= k;
	}
	return 0;
}

/* A second link to an inode already written becomes a hard link entry. */
static const char *first_link(struct tar_out *t, const struct stat *sb, const char *rel)
{
	for (size_t i = 0; i < t->nlinks; i++)
		if (t->links[i].dev == sb->st_dev && t->links[i].ino == sb->st_ino)
			return t->links[i].path;
	if (t->nlinks == t->caplinks) {
		size_t n = t->caplinks ? t->caplinks * 2 : 16;
		struct seen_inode *nl = realloc(t->links, n * sizeof(*nl));
		if (nl == NULL)
			return NULL;
		t->links = nl;
		t->caplinks = n;
	}
	t->links[t->nlinks++] = (struct seen_inode){ sb->st_dev, sb->st_ino, strdup(rel) };
	return NULL;
}

static int write_tree(struct tar_out *t, const char *full, const char *rel, berth_error_t *err);

static int write_one(struct tar_out *t, const char *full, const char *rel, const char *base,
		     berth_error_t *err)
{
	struct archive_entry *e;
	struct stat sb;
	bool opaque = false;
	char target[4096];
	int r;

	/* a file removed since the directory was read (a running container) is not there */
	if (lstat(full, &sb) < 0)
		return errno == ENOENT ? 0 : berth_error_errno(err, errno, "stat `%s`", full);
	if (t->layer && S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(0, 0)) {
		/* an overlayfs whiteout: the file is deleted in this container */
		cleanup_free char *wh = NULL;
		size_t dirlen = (size_t)(base - rel);
		if (asprintf(&wh, "%.*s" WH_PREFIX "%s", (int)dirlen, rel, base) < 0)
			return berth_error_errno(err, ENOMEM, "tar");
		return write_empty(t, wh, &sb, err);
	}
	e = entry_for(rel, &sb);
	if (e == NULL)
		return berth_error_errno(err, ENOMEM, "tar");
	if (add_xattrs(e, full, &opaque, err) < 0)
		goto fail;
	if (S_ISREG(sb.st_mode)) {
		cleanup_close int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			int e2 = fd < 0 || !S_ISREG(sb.st_mode) ? errno : 0;
			archive_entry_free(e);
			/* gone or replaced since the directory was read: what is there now is not it */
			if (fd >= 0 || e2 == ENOENT)
				return 0;
			return berth_error_errno(err, e2, "open `%s`", full);
		}
		/* what the open file is, should it have been replaced since lstat() */
		archive_entry_set_perm(e, sb.st_mode & 07777);
		archive_entry_set_uid(e, sb.st_uid);
		archive_entry_set_gid(e, sb.st_gid);
		archive_entry_set_mtime(e, sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
		const char *link = sb.st_nlink > 1 ? first_link(t, &sb, rel) : NULL;
		if (link) {
			archive_entry_set_hardlink(e, link);
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_size(e, sb.st_size);
		}
		if (archive_write_header(t->a, e) != ARCHIVE_OK) {
			tar_fail(t, rel, err);
			goto fail;
		}
		archive_entry_free(e);
		return link ? 0 : write_data(t, fd, sb.st_size, full, rel, err);
	}
	if (S_ISLNK(sb.st_mode)) {
		ssize_t n = readlink(full, target, sizeof(target) - 1);
		if (n < 0) {
			berth_error_errno(err, errno, "readlink `%s`", full);
			goto fail;
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	} else if (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)) {
		archive_entry_set_rdev(e, sb.st_rdev);
	} else if (S_ISSOCK(sb.st_mode)) {
		archive_entry_free(e);
		return 0; /* a socket file is made again by whoever binds it */
	}
	r = archive_write_header(t->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return tar_fail(t, rel, err);
	if (!S_ISDIR(sb.st_mode))
		return 0;
	if (opaque && t->layer) {
		cleanup_free char *wh = NULL;
		if (asprintf(&wh, "%s/" WH_OPAQUE, rel) < 0)
			return berth_error_errno(err, ENOMEM, "tar");
		if (write_empty(t, wh, &sb, err) < 0)
			return -1;
	}
	return write_tree(t, full, rel, err);
fail:
	archive_entry_free(e);
	return -1;
}

static int write_tree(struct tar_out *t, const char *full, const char *rel, berth_error_t *err)
{
	cleanup_closedir DIR *d = opendir(full);
	struct dirent *de;

	if (d == NULL)
		return berth_error_errno(err, errno, "open directory `%s`", full);
	while ((de = readdir(d))) {
		cleanup_free char *cfull = NULL;
		cleanup_free char *crel = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&cfull, "%s/%s", full, de->d_name) < 0 ||
		    asprintf(&crel, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) < 0)
			return berth_error_errno(err, ENOMEM, "tar");
		if (write_one(t, cfull, crel, crel + strlen(crel) - strlen(de->d_name), err) < 0)
			return -1;
	}
	return 0;
}

int storage_tar_write_dir(const char *dir, int fd, bool layer, berth_error_t *err)
{
	struct tar_out *t = calloc(1, sizeof(*t));
	int ret = -1;

	if (t == NULL)
		return berth_error_errno(err, ENOMEM, "tar `%s`", dir);
	t->layer = layer;
	t->a = archive_write_new();
	if (t->a == NULL) {
		free(t);
		return berth_error_errno(err, ENOMEM, "tar `%s`", dir);
	}
	archive_write_set_format_pax_restricted(t->a);
	archive_write_set_bytes_in_last_block(t->a, 1);
	if (archive_write_open_fd(t->a, fd) != ARCHIVE_OK)
		tar_fail(t, dir, err);
	else if (write_tree(t, dir, "", err) == 0) {
		if (archive_write_close(t->a) == ARCHIVE_OK)
			ret = 0;
		else
			tar_fail(t, dir, err);
	}
	archive_write_free(t->a);
	for (size_t i = 0; i < t->nlinks; i++)
		free(t->links[i].path);
	free(t->links);
	free(t);
	return ret;
}

int storage_tar_extract(int fd, const char *dir, bool layer, berth_error_t *err)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return berth_error_errno(err, errno, "open `%s`", dir);
	return st_unpack_tar(fd, dfd, layer ? ST_UNPACK_LAYER : ST_UNPACK_FLATTEN, err);
}

int storage_rootfs_export_changes(struct storage_store *st, const char *container_id, int fd,
				  berth_error_t *err)
{
	cleanup_free char *upper = NULL;

	if (st_container_id_check(container_id, err) < 0)
		return -1;
	if (asprintf(&upper, "%s/containers/%s/upper", st->dir, container_id) < 0)
		return berth_error_errno(err, ENOMEM, "rootfs changes");
	if (access(upper, F_OK) < 0)
		return berth_error_errno(err, errno, "container `%s`: root filesystem changes `%s`",
					 container_id, upper);
	if (storage_tar_write_dir(upper, fd, true, err) < 0)
		return berth_error_wrap(err, "container `%s`: root filesystem changes", container_id);
	return 0;
}

int storage_rootfs_import_changes(struct storage_store *st, const struct storage_image *img,
				  const char *container_id, int fd, berth_error_t *err)
{
	cleanup_free char *cdir = NULL, *upper = NULL, *mpfile = NULL, *mp = NULL;

	if (st_container_id_check(container_id, err) < 0)
		return -1;
	if (asprintf(&cdir, "%s/containers/%s", st->dir, container_id) < 0 ||
	    asprintf(&upper, "%s/upper", cdir) < 0 || asprintf(&mpfile, "%s/mountpoint", cdir) < 0)
		return berth_error_errno(err, ENOMEM, "rootfs changes");
	if (berth_read_file(mpfile, &mp, NULL, err) < 0)
		return berth_error_wrap(err, "container `%s`: root filesystem", container_id);
	/* the upper directory changes only while no overlay uses it */
	if (umount2(mp, 0) < 0 && errno != EINVAL)
		return berth_error_errno(err, errno, "container `%s`: unmount `%s`", container_id, mp);
	if (storage_tar_extract(fd, upper, true, err) < 0) {
		berth_error_wrap(err, "container `%s`: root filesystem changes", container_id);
		st_mount_overlay(st, img, cdir, mp, 0, NULL);
		return -1;
	}
	return st_mount_overlay(st, img, cdir, mp, 0, err);
}
