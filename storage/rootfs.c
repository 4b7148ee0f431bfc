/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layers on disk and container root filesystems.
 *
 * A layer is unpacked once, into layers/.tmp-<diff_id>, synced and renamed
 * to layers/<diff_id>: a directory with that name is always complete.  A
 * container root is an overlay of those directories (top layer first) with
 * its own upper and work directories, mounted with the new mount API so the
 * number of layers is not limited by the size of a mount option string.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "storage/internal.h"

char *st_layer_path(struct storage_store *st, const char *diff_id)
{
	char *p = NULL;

	if (asprintf(&p, "%s/layers/%s", st->dir, st_digest_hex(diff_id)) < 0)
		return NULL;
	return p;
}

static int unpack_one_layer(struct storage_store *st, const char *blob, const char *diff_id,
			    bool *cached, berth_error_t *err)
{
	char rel[100], tmp[100], lockname[100];
	cleanup_close int lock = -1, fd = -1, dfd = -1;
	cleanup_free char *bpath = NULL;

	snprintf(rel, sizeof(rel), "layers/%s", st_digest_hex(diff_id));
	*cached = true;
	if (faccessat(st->dirfd, rel, F_OK, 0) == 0)
		return 0;
	snprintf(lockname, sizeof(lockname), "layer-%s", st_digest_hex(diff_id));
	if (st_lock(st, lockname, true, &lock, err) < 0)
		return -1;
	if (faccessat(st->dirfd, rel, F_OK, 0) == 0)
		return 0; /* another process unpacked it while we waited */
	*cached = false;
	snprintf(tmp, sizeof(tmp), "layers/.tmp-%s", st_digest_hex(diff_id));
	if (st_remove_tree_at(st->dirfd, tmp) < 0 || mkdirat(st->dirfd, tmp, 0755) < 0)
		return berth_error_errno(err, errno, "layer %s: create `%s/%s`", diff_id, st->dir, tmp);
	bpath = st_blob_path(st, blob);
	fd = bpath ? open(bpath, O_RDONLY | O_CLOEXEC) : -1;
	dfd = openat(st->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || dfd < 0) {
		int e = errno;
		st_remove_tree_at(st->dirfd, tmp);
		return berth_error_errno(err, e, "layer %s: open blob %s", diff_id, blob);
	}
	if (st_unpack_tar(fd, dfd, ST_UNPACK_LAYER, err) < 0 || syncfs(dfd) < 0 ||
	    renameat(st->dirfd, tmp, st->dirfd, rel) < 0) {
		int e = errno;
		if (*err == NULL)
			berth_error_errno(err, e, "rename");
		st_remove_tree_at(st->dirfd, tmp);
		return berth_error_wrap(err, "unpack layer %s (blob %s)", diff_id, blob);
	}
	return 0;
}

int st_image_unpack_layers(struct storage_store *st, struct storage_image *img,
			   storage_progress_fn progress, void *data, berth_error_t *err)
{
	for (size_t i = 0; i < img->nlayers; i++) {
		bool cached;
		if (unpack_one_layer(st, img->layers[i], img->diff_ids[i], &cached, err) < 0)
			return -1;
		if (progress) {
			struct storage_progress p = { STORAGE_PROGRESS_LAYER_DONE, img->name,
						      img->layers[i], 0, 0, cached };
			progress(data, &p);
		}
	}
	return 0;
}

/* ---- overlay ---- */

static int fsconfig_str(int fd, const char *key, const char *value)
{
	return (int)syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, key, value, 0);
}

int st_mount_overlay(struct storage_store *st, const struct storage_image *img,
			 const char *cdir, const char *target, unsigned flags, berth_error_t *err)
{
	cleanup_close int fsfd = -1, mfd = -1;
	cleanup_free char *upper = NULL, *work = NULL, *empty = NULL;

	if (asprintf(&upper, "%s/upper", cdir) < 0 || asprintf(&work, "%s/work", cdir) < 0 ||
	    asprintf(&empty, "%s/empty", cdir) < 0)
		return berth_error_errno(err, ENOMEM, "overlay");
	fsfd = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return berth_error_errno(err, errno, "overlay: fsopen");
	for (size_t i = img->nlayers; i-- > 0;) {
		cleanup_free char *l = st_layer_path(st, img->diff_ids[i]);
		if (l == NULL || fsconfig_str(fsfd, "lowerdir+", l) < 0)
			return berth_error_errno(err, l ? errno : ENOMEM, "overlay: layer `%s`",
						 l ? l : "");
	}
	if (img->nlayers == 0) {
		if (mkdir(empty, 0755) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "overlay: mkdir `%s`", empty);
		if (fsconfig_str(fsfd, "lowerdir+", empty) < 0)
			return berth_error_errno(err, errno, "overlay: lowerdir `%s`", empty);
	}
	if (fsconfig_str(fsfd, "upperdir", upper) < 0 || fsconfig_str(fsfd, "workdir", work) < 0)
		return berth_error_errno(err, errno, "overlay: upper `%s`", upper);
	/* no sync of the upper directory at unmount (5.10 and later; without it, a plain overlay) */
	if (flags & STORAGE_ROOTFS_VOLATILE)
		syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0);
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return berth_error_errno(err, errno, "overlay: create");
	mfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return berth_error_errno(err, errno, "overlay: fsmount");
	if (syscall(SYS_move_mount, mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return berth_error_errno(err, errno, "overlay: mount on `%s`", target);
	return 0;
}

int storage_rootfs_create(struct storage_store *st, const struct storage_image *img,
			  const char *container_id, const char *mountpoint, unsigned flags,
			  char **path, berth_error_t *err)
{
	cleanup_free char *cdir = NULL, *target = NULL, *sub = NULL;
	cleanup_close int gc = -1;
	const char *name = img->name ? img->name : img->id;

	if (st_container_id_check(container_id, err) < 0)
		return -1;
	if (asprintf(&cdir, "%s/containers/%s", st->dir, container_id) < 0)
		return berth_error_errno(err, ENOMEM, "rootfs");
	if (mkdir(cdir, 0700) < 0) {
		if (errno == EEXIST)
			return berth_error(err, EEXIST, "container `%s`: root filesystem exists",
					   container_id);
		return berth_error_errno(err, errno, "container `%s`: mkdir `%s`", container_id, cdir);
	}
	if (st_lock(st, "gc", false, &gc, err) < 0)
		goto fail;
	/* unpacked when pulled or imported; this only checks (and repairs) */
	if (st_image_unpack_layers(st, (struct storage_image *)img, NULL, NULL, err) < 0)
		goto fail;
	target = mountpoint ? strdup(mountpoint) : NULL;
	if ((!mountpoint && asprintf(&target, "%s/merged", cdir) < 0) || target == NULL) {
		berth_error_errno(err, ENOMEM, "rootfs");
		goto fail;
	}
	static const char *const subs[] = { "upper", "work" };
	for (size_t i = 0; i < 2; i++) {
		free(sub);
		if (asprintf(&sub, "%s/%s", cdir, subs[i]) < 0 || mkdir(sub, 0755) < 0) {
			berth_error_errno(err, errno, "mkdir `%s/%s`", cdir, subs[i]);
			goto fail;
		}
	}
	if (mkdir(target, 0755) < 0 && errno != EEXIST) {
		berth_error_errno(err, errno, "mkdir `%s`", target);
		goto fail;
	}
	free(sub);
	sub = NULL;
	if (asprintf(&sub, "%s/mountpoint", cdir) < 0 ||
	    berth_write_file_atomic(sub, target, strlen(target), 0600, false, err) < 0)
		goto fail;
	if (st_mount_overlay(st, img, cdir, target, flags, err) < 0)
		goto fail;
	free(sub);
	sub = NULL;
	if (asprintf(&sub, "%s/image", cdir) < 0 ||
	    berth_write_file_atomic(sub, img->digest, strlen(img->digest), 0600, false, err) < 0) {
		umount2(target, MNT_DETACH);
		goto fail;
	}
	if (path)
		*path = steal_pointer(&target);
	return 0;
fail:
	st_remove_tree_at(AT_FDCWD, cdir);
	return berth_error_wrap(err, "container `%s`: root filesystem from image `%s`", container_id,
				name);
}

int storage_rootfs_remove(struct storage_store *st, const char *container_id, berth_error_t *err)
{
	cleanup_free char *cdir = NULL, *mp = NULL, *mpfile = NULL;

	if (st_container_id_check(container_id, err) < 0)
		return -1;
	if (asprintf(&cdir, "%s/containers/%s", st->dir, container_id) < 0 ||
	    asprintf(&mpfile, "%s/mountpoint", cdir) < 0)
		return berth_error_errno(err, ENOMEM, "rootfs");
	if (access(cdir, F_OK) < 0)
		return 0;
	if (berth_read_file(mpfile, &mp, NULL, NULL) == 0) {
		if (umount2(mp, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			return berth_error_errno(err, errno, "container `%s`: unmount `%s`",
						 container_id, mp);
		/* a mountpoint outside the store is the caller's directory: leave it */
	}
	if (st_remove_tree_at(AT_FDCWD, cdir) < 0)
		return berth_error_errno(err, errno, "container `%s`: remove `%s`", container_id, cdir);
	return 0;
}

/* ---- OCI bundles ---- */

int storage_image_unpack(struct storage_store *st, const struct storage_image *img, const char *dir,
			 const struct storage_runtime_overrides *ov, berth_error_t *err)
{
	struct storage_runtime_overrides o = { 0 };
	cleanup_free char *rootfs = NULL, *cfgpath = NULL, *text = NULL;
	cleanup_json json_t *config = NULL;
	cleanup_close int rfd = -1;
	const char *name = img->name ? img->name : img->id;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "unpack `%s`: mkdir `%s`", name, dir);
	if (asprintf(&rootfs, "%s/rootfs", dir) < 0 || asprintf(&cfgpath, "%s/config.json", dir) < 0)
		return berth_error_errno(err, ENOMEM, "unpack");
	if (access(cfgpath, F_OK) == 0 || mkdir(rootfs, 0755) < 0)
		return berth_error_errno(err, errno ? errno : EEXIST, "unpack `%s`: `%s` is not empty",
					 name, dir);
	rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return berth_error_errno(err, errno, "unpack `%s`: open `%s`", name, rootfs);
	for (size_t i = 0; i < img->nlayers; i++) {
		cleanup_free char *bpath = st_blob_path(st, img->layers[i]);
		cleanup_close int fd = bpath ? open(bpath, O_RDONLY | O_CLOEXEC) : -1;
		if (fd < 0)
			return berth_error_errno(err, errno, "unpack `%s`: blob %s", name, img->layers[i]);
		if (st_unpack_tar(fd, rfd, ST_UNPACK_FLATTEN, err) < 0)
			return berth_error_wrap(err, "unpack `%s`: layer %s", name, img->layers[i]);
	}
	if (ov)
		o = *ov;
	o.rootfs = rootfs;
	if (storage_image_runtime_config(img, &o, &config, err) < 0)
		return berth_error_wrap(err, "unpack `%s`", name);
	/* the bundle stays movable: root.path relative to it */
	json_object_set_new(json_object_get(config, "root"), "path", json_string("rootfs"));
	text = json_dumps(config, JSON_INDENT(2));
	if (text == NULL)
		return berth_error_errno(err, ENOMEM, "unpack");
	return berth_write_file_atomic(cfgpath, text, strlen(text), 0644, false, err);
}
