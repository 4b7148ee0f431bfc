/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Imports: an OCI image layout directory, an oci-archive (a tar of one) and a
 * docker-archive (`docker save`).  Archives are unpacked into a scratch
 * directory inside the store with the same beneath-only unpacker as layers;
 * every blob is verified against its digest while it is copied in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/internal.h"

/* Copy dir/blobs/sha256/<hex> of digest into the store, verified. */
static int copy_layout_blob(struct storage_store *st, int dfd, const char *digest, berth_error_t *err)
{
	char rel[100];
	cleanup_close int fd = -1;

	if (st_digest_check(digest, err) < 0)
		return -1;
	if (st_blob_exists(st, digest))
		return 0;
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", st_digest_hex(digest));
	fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "blob %s", digest);
	return st_blob_put_file(st, fd, digest, NULL, err);
}

static int read_layout_json(int dfd, const char *rel, json_t **out, berth_error_t *err)
{
	cleanup_free char *buf = NULL;
	json_error_t jerr;

	if (berth_read_file_at(dfd, rel, &buf, NULL, err) < 0)
		return -1;
	*out = json_loads(buf, 0, &jerr);
	if (*out == NULL)
		return berth_error(err, EINVAL, "`%s`:%d:%d: %s", rel, jerr.line, jerr.column, jerr.text);
	return 0;
}

int st_image_commit_name(struct storage_store *st, const char *mdigest, const char *name,
			 struct storage_image **out, berth_error_t *err)
{
	cleanup_free char *canon = NULL;
	struct storage_ref r;

	if (storage_ref_parse(name, &r, err) < 0)
		return -1;
	canon = storage_ref_string(&r);
	storage_ref_clear(&r);
	if (canon == NULL)
		return berth_error_errno(err, ENOMEM, "canonical name of `%s`", name);
	return st_image_commit(st, mdigest, canon, NULL, NULL, out, err);
}

static int import_layout(struct storage_store *st, int dfd, const char *name, const char *platform,
			 struct storage_image **out, berth_error_t *err)
{
	cleanup_json json_t *layout = NULL, *index = NULL, *man = NULL;
	json_t *ms, *m, *chosen = NULL, *l;
	const char *recorded = NULL, *mdigest, *cdigest;
	cleanup_free char *mbuf = NULL;
	char rel[100];
	size_t i, nm = 0;

	if (read_layout_json(dfd, "oci-layout", &layout, err) < 0 ||
	    read_layout_json(dfd, "index.json", &index, err) < 0)
		return -1;
	if (!json_is_string(json_object_get(layout, "imageLayoutVersion")))
		return berth_error(err, EINVAL, "`oci-layout`: no imageLayoutVersion");
	ms = json_object_get(index, "manifests");
	json_array_foreach(ms, i, m)
	{
		const char *rn = json_string_value(json_object_get(
			json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
		nm++;
		if (name && rn && (strcmp(rn, name) == 0 ||
				   (strrchr(name, ':') && strcmp(rn, strrchr(name, ':') + 1) == 0))) {
			chosen = m;
			recorded = rn;
			break;
		}
	}
	if (chosen == NULL && nm == 1) {
		chosen = json_array_get(ms, 0);
		recorded = json_string_value(json_object_get(
			json_object_get(chosen, "annotations"), "org.opencontainers.image.ref.name"));
	}
	if (chosen == NULL)
		return berth_error(err, EINVAL, "%zu images in the layout: name the one to import", nm);
	if (name == NULL) {
		/* a bare tag ("latest") is no image name */
		if (recorded == NULL || strchr(recorded, '/') == NULL)
			return berth_error(err, EINVAL, "the layout records no image name: give NAME");
		name = recorded;
	}
	mdigest = json_string_value(json_object_get(chosen, "digest"));
	if (copy_layout_blob(st, dfd, mdigest, err) < 0 ||
	    st_blob_read(st, mdigest, ST_MAX_MANIFEST, &mbuf, NULL, err) < 0)
		return berth_error_wrap(err, "manifest");
	man = json_loads(mbuf, 0, NULL);
	if (st_mt_is_index(json_string_value(json_object_get(chosen, "mediaType"))) ||
	    st_mt_is_index(json_string_value(json_object_get(man, "mediaType")))) {
		json_t *sub = NULL;
		json_array_foreach(json_object_get(man, "manifests"), i, m)
		{
			if (st_platform_match(json_object_get(m, "platform"),
					      platform ? platform : st_default_platform())) {
				sub = m;
				break;
			}
		}
		if (sub == NULL)
			return berth_error(err, ENOENT, "no manifest for %s",
					   platform ? platform : st_default_platform());
		mdigest = json_string_value(json_object_get(sub, "digest"));
		free(mbuf);
		mbuf = NULL;
		json_decref(man);
		if (copy_layout_blob(st, dfd, mdigest, err) < 0 ||
		    st_blob_read(st, mdigest, ST_MAX_MANIFEST, &mbuf, NULL, err) < 0)
			return berth_error_wrap(err, "manifest");
		man = json_loads(mbuf, 0, NULL);
	}
	if (st_manifest_parse(man, &cdigest, err) < 0 || copy_layout_blob(st, dfd, cdigest, err) < 0)
		return -1;
	json_array_foreach(json_object_get(man, "layers"), i, l)
	{
		if (copy_layout_blob(st, dfd, json_string_value(json_object_get(l, "digest")), err) < 0)
			return -1;
	}
	snprintf(rel, sizeof(rel), "%s", mdigest);
	return st_image_commit_name(st, rel, name, out, err);
}

static bool is_gzip(int dfd, const char *rel)
{
	unsigned char m[2] = { 0 };
	cleanup_close int fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	return fd >= 0 && read(fd, m, 2) == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

static int import_docker(struct storage_store *st, int dfd, const char *name,
			 struct storage_image **out, berth_error_t *err)
{
	cleanup_json json_t *mf = NULL, *layers = json_array(), *man = NULL;
	char cdigest[ST_DIGEST_LEN + 1], mdigest[ST_DIGEST_LEN + 1];
	cleanup_free char *mtext = NULL;
	json_t *entry, *l;
	const char *cfgrel;
	size_t i;
	struct stat sb;

	if (read_layout_json(dfd, "manifest.json", &mf, err) < 0)
		return -1;
	entry = json_array_get(mf, 0);
	if (json_array_size(mf) > 1 && name) {
		json_array_foreach(mf, i, l)
		{
			size_t k;
			json_t *t;
			json_array_foreach(json_object_get(l, "RepoTags"), k, t) {
				if (strcmp(json_string_value(t), name) == 0)
					entry = l;
			}
		}
	}
	cfgrel = json_string_value(json_object_get(entry, "Config"));
	if (cfgrel == NULL)
		return berth_error(err, EINVAL, "`manifest.json`: no Config");
	if (name == NULL)
		name = json_string_value(json_array_get(json_object_get(entry, "RepoTags"), 0));
	if (name == NULL)
		return berth_error(err, EINVAL, "the archive records no image name: give NAME");
	{
		cleanup_close int fd = openat(dfd, cfgrel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0 || st_blob_put_file(st, fd, NULL, cdigest, err) < 0)
			return berth_error_errno(err, errno ? errno : EIO, "config `%s`", cfgrel);
	}
	json_t *cfgsize = json_integer(sb.st_size);
	json_array_foreach(json_object_get(entry, "Layers"), i, l)
	{
		const char *rel = json_string_value(l);
		char ld[ST_DIGEST_LEN + 1];
		cleanup_close int fd = rel ? openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
		struct stat lsb;
		if (fd < 0 || fstat(fd, &lsb) < 0 || st_blob_put_file(st, fd, NULL, ld, err) < 0) {
			json_decref(cfgsize);
			return berth_error_errno(err, errno ? errno : EIO, "layer `%s`", rel ? rel : "");
		}
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:I}", "mediaType",
						is_gzip(dfd, rel) ?
							"application/vnd.oci.image.layer.v1.tar+gzip" :
							"application/vnd.oci.image.layer.v1.tar",
						"digest", ld, "size", (json_int_t)lsb.st_size));
	}
	man = json_pack("{s:i, s:s, s:{s:s, s:s, s:o}, s:O}", "schemaVersion", 2, "mediaType",
			"application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
			"application/vnd.oci.image.config.v1+json", "digest", cdigest, "size", cfgsize,
			"layers", layers);
	mtext = man ? json_dumps(man, JSON_COMPACT) : NULL;
	if (mtext == NULL || st_blob_put(st, mtext, strlen(mtext), NULL, mdigest, err) < 0)
		return berth_error_wrap(err, "manifest");
	return st_image_commit_name(st, mdigest, name, out, err);
}

int storage_image_import(struct storage_store *st, const char *path, enum storage_import_format fmt,
			 const char *name, const char *platform, struct storage_image **out,
			 berth_error_t *err)
{
	cleanup_close int gc = -1, dfd = -1, fd = -1;
	char scratch[64] = "";
	struct stat sb;
	int ret;

	if (stat(path, &sb) < 0)
		return berth_error_errno(err, errno, "import `%s`", path);
	if (fmt == STORAGE_IMPORT_AUTO)
		fmt = S_ISDIR(sb.st_mode) ? STORAGE_IMPORT_OCI_LAYOUT : STORAGE_IMPORT_OCI_ARCHIVE;
	if (st_lock(st, "gc", false, &gc, err) < 0)
		return -1;
	if (fmt == STORAGE_IMPORT_OCI_LAYOUT) {
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return berth_error_errno(err, errno, "import `%s`", path);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			cleanup_free char *abs = NULL;
			if (asprintf(&abs, "%s/tmp/import-%d-XXXXXX", st->dir, (int)getpid()) < 0 ||
			    mkdtemp(abs) == NULL)
				return berth_error_errno(err, errno, "import `%s`: scratch dir", path);
			snprintf(scratch, sizeof(scratch), "tmp/%s", strrchr(abs, '/') + 1);
			dfd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (fd < 0 || dfd < 0)
			return berth_error_errno(err, errno, "import `%s`", path);
		if (st_unpack_tar(fd, dfd, ST_UNPACK_FLATTEN, err) < 0) {
			st_remove_tree_at(st->dirfd, scratch);
			return berth_error_wrap(err, "import `%s`", path);
		}
	}
	if (fmt == STORAGE_IMPORT_DOCKER_ARCHIVE ||
	    (fmt == STORAGE_IMPORT_OCI_ARCHIVE && faccessat(dfd, "manifest.json", F_OK, 0) == 0 &&
	     faccessat(dfd, "oci-layout", F_OK, 0) < 0))
		ret = import_docker(st, dfd, name, out, err);
	else
		ret = import_layout(st, dfd, name, platform, out, err);
	if (scratch[0])
		st_remove_tree_at(st->dirfd, scratch);
	return ret < 0 ? berth_error_wrap(err, "import `%s`", path) : 0;
}
