/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The embedded default image: Debian's busybox-static as a one-layer image,
 * made locally so that `berthctl run busybox` works without any network.
 * Times come from the busybox binary, so the same binary gives the same
 * image ID in every store.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/internal.h"

#ifndef STORAGE_BUSYBOX
#define STORAGE_BUSYBOX "/bin/busybox"
#endif

struct membuf {
	char *data;
	size_t len, cap;
};

static la_ssize_t mem_write(struct archive *a, void *p, const void *buf, size_t n)
{
	struct membuf *m = p;

	if (m->len + n > m->cap) {
		size_t nc = (m->len + n) * 2;
		char *nd = realloc(m->data, nc);
		if (nd == NULL)
			return -1;
		m->data = nd;
		m->cap = nc;
	}
	memcpy(m->data + m->len, buf, n);
	m->len += n;
	return (la_ssize_t)n;
}

static int add(struct archive *a, const char *path, mode_t type, mode_t mode, const char *link,
	       const void *data, size_t size, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode);
	archive_entry_set_mtime(e, mtime, 0);
	if (link)
		archive_entry_set_symlink(e, link);
	archive_entry_set_size(e, (la_int64_t)size);
	r = archive_write_header(a, e);
	if (r == ARCHIVE_OK && size > 0 && archive_write_data(a, data, size) != (la_ssize_t)size)
		r = ARCHIVE_FATAL;
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

/* The tar of the rootfs tests/lib/rootfs.sh makes. */
static int build_layer(struct membuf *out, berth_error_t *err)
{
	static const char *const dirs[] = { "bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev",
					    "proc", "sys", "root", "run", "var", "home" };
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
	static const char group[] = "root:x:0:\nnogroup:x:65534:\n";
	cleanup_free char *bin = NULL;
	cleanup_free char *list = NULL;
	size_t binlen = 0;
	struct archive *a;
	struct stat sb;
	FILE *p;
	int ret = -1;

	if (stat(STORAGE_BUSYBOX, &sb) < 0 || berth_read_file(STORAGE_BUSYBOX, &bin, &binlen, err) < 0)
		return berth_error_errno(err, errno ? errno : ENOENT,
					 "default image: `%s` (install busybox-static)", STORAGE_BUSYBOX);
	/* the applet list, from busybox itself */
	p = popen(STORAGE_BUSYBOX " --list-full", "r");
	if (p) {
		size_t cap = 0;
		ssize_t n = getdelim(&list, &cap, '\0', p);
		if (pclose(p) != 0 || n <= 0) {
			free(list);
			list = NULL;
		}
	}
	if (list == NULL)
		return berth_error(err, EIO, "default image: `%s --list-full` failed", STORAGE_BUSYBOX);
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open2(a, out, NULL, mem_write, NULL, NULL) != ARCHIVE_OK)
		goto out;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (add(a, dirs[i], AE_IFDIR, 0755, NULL, NULL, 0, sb.st_mtime) < 0)
			goto out;
	if (add(a, "tmp", AE_IFDIR, 01777, NULL, NULL, 0, sb.st_mtime) < 0 ||
	    add(a, "var/tmp", AE_IFDIR, 01777, NULL, NULL, 0, sb.st_mtime) < 0 ||
	    add(a, "bin/busybox", AE_IFREG, 0755, NULL, bin, binlen, sb.st_mtime) < 0 ||
	    add(a, "etc/passwd", AE_IFREG, 0644, NULL, passwd, strlen(passwd), sb.st_mtime) < 0 ||
	    add(a, "etc/group", AE_IFREG, 0644, NULL, group, strlen(group), sb.st_mtime) < 0 ||
	    add(a, "etc/hosts", AE_IFREG, 0644, NULL, NULL, 0, sb.st_mtime) < 0 ||
	    add(a, "etc/resolv.conf", AE_IFREG, 0644, NULL, NULL, 0, sb.st_mtime) < 0)
		goto out;
	for (char *save = NULL, *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strcmp(l, "bin/busybox") == 0 || strchr(l, '/') == NULL || strstr(l, ".."))
			continue;
		if (add(a, l, AE_IFLNK, 0777, "/bin/busybox", NULL, 0, sb.st_mtime) < 0)
			goto out;
	}
	if (archive_write_close(a) == ARCHIVE_OK)
		ret = 0;
out:
	if (ret < 0)
		berth_error(err, EIO, "default image: build layer: %s",
			    archive_error_string(a) ? archive_error_string(a) : "failed");
	archive_write_free(a);
	return ret;
}

int st_defimage_build(struct storage_store *st, struct storage_image **out, berth_error_t *err)
{
	struct membuf layer = { 0 };
	char ldigest[ST_DIGEST_LEN + 1], cdigest[ST_DIGEST_LEN + 1], mdigest[ST_DIGEST_LEN + 1];
	cleanup_free char *ctext = NULL, *mtext = NULL;
	cleanup_json json_t *cfg = NULL, *man = NULL;
	cleanup_close int gc = -1;

	if (st_lock(st, "gc", false, &gc, err) < 0 || build_layer(&layer, err) < 0) {
		free(layer.data);
		return -1;
	}
	if (st_blob_put(st, layer.data, layer.len, NULL, ldigest, err) < 0) {
		free(layer.data);
		return berth_error_wrap(err, "default image");
	}
	cfg = json_pack("{s:s, s:s, s:{s:[s], s:[s], s:s}, s:{s:s, s:[s]}}", "architecture",
			strchr(st_default_platform(), '/') + 1, "os", "linux", "config", "Env",
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "Cmd", "sh",
			"WorkingDir", "/", "rootfs", "type", "layers", "diff_ids", ldigest);
	ctext = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (ctext == NULL || st_blob_put(st, ctext, strlen(ctext), NULL, cdigest, err) < 0) {
		free(layer.data);
		return berth_error_wrap(err, "default image: config");
	}
	man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
			"mediaType", "application/vnd.oci.image.manifest.v1+json", "config",
			"mediaType", "application/vnd.oci.image.config.v1+json", "digest", cdigest,
			"size", (json_int_t)strlen(ctext), "layers", "mediaType",
			"application/vnd.oci.image.layer.v1.tar", "digest", ldigest, "size",
			(json_int_t)layer.len);
	free(layer.data);
	mtext = man ? json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (mtext == NULL || st_blob_put(st, mtext, strlen(mtext), NULL, mdigest, err) < 0)
		return berth_error_wrap(err, "default image: manifest");
	if (st_image_commit_name(st, mdigest, STORAGE_DEFAULT_IMAGE, out, err) < 0)
		return berth_error_wrap(err, "default image");
	return 0;
}

int storage_default_image_ensure(struct storage_store *st, struct storage_image **out, berth_error_t *err)
{
	if (storage_image_lookup(st, STORAGE_DEFAULT_IMAGE, out, NULL) == 0)
		return 0;
	return st_defimage_build(st, out, err);
}
