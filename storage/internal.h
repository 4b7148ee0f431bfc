/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the storage/ files.  Not part of the library interface.
 *
 * Layout under <root>/storage:
 *   blobs/sha256/<hex>   verified blobs (manifests, configs, layer tarballs)
 *   tmp/<hex>.partial    a blob being downloaded (guarded by its lock; resumed)
 *   layers/<hex>         a layer unpacked, keyed by its diff_id, overlay-ready
 *   layers/.tmp-<hex>    a layer being unpacked (guarded by its lock)
 *   locks/<name>         flock(2) files: one per blob and layer, "gc", "refs"
 *   refs.json            image names -> manifest digests
 *   containers/<id>/     upper, work, merged and "image" (the manifest digest in use)
 */
#ifndef BERTH_STORAGE_INTERNAL_H
#define BERTH_STORAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage/storage.h"
#include "util.h"

struct storage_store {
	char *root; /* <root> */
	char *dir;  /* <root>/storage */
	int dirfd;  /* open on dir */
};

struct storage_image {
	char *name;   /* canonical name, may be NULL */
	char *digest; /* manifest digest */
	char *id;     /* config digest */
	json_t *manifest;
	json_t *config_json;
	struct storage_image_config cfg;
	size_t nlayers;
	char **layers;   /* layer blob digests, bottom first */
	char **diff_ids; /* from the config, same order */
	uint64_t size;
};

#define ST_DIGEST_LEN 71 /* "sha256:" + 64 hex */
#define ST_MAX_MANIFEST (4u << 20)

/* ---- digest.c ---- */
struct st_sha256;
struct st_sha256 *st_sha256_new(void);
void st_sha256_update(struct st_sha256 *h, const void *data, size_t len);
/* "sha256:<hex>" into out[ST_DIGEST_LEN + 1]; frees h. */
void st_sha256_final(struct st_sha256 *h, char *out);
void st_sha256_free(struct st_sha256 *h);
void st_sha256_buf(const void *data, size_t len, char *out);
/* "sha256:<64 lower hex>" only: other algorithms are refused by name. */
int st_digest_check(const char *digest, berth_error_t *err);
static inline const char *st_digest_hex(const char *digest)
{
	return digest + 7;
}

/* ---- store.c ---- */
int st_lock(struct storage_store *st, const char *name, bool exclusive, int *fd, berth_error_t *err);
bool st_blob_exists(struct storage_store *st, const char *digest);
char *st_blob_path(struct storage_store *st, const char *digest);
int st_blob_read(struct storage_store *st, const char *digest, size_t max, char **buf, size_t *len,
		 berth_error_t *err);
/* Store data under its digest (verified against want when want is not NULL). */
int st_blob_put(struct storage_store *st, const void *data, size_t len, const char *want,
		char *digest_out, berth_error_t *err);
/* Copy a file into the store, verifying want (NULL: computed) while copying. */
int st_blob_put_file(struct storage_store *st, int fd, const char *want, char *digest_out,
		     berth_error_t *err);

/* A blob being written: bytes hashed as they arrive, verified at commit. */
struct st_blob_writer {
	struct storage_store *st;
	char digest[ST_DIGEST_LEN + 1];
	char *tmp;  /* tmp/<hex>.partial */
	int fd;
	int lockfd;
	uint64_t size;
	struct st_sha256 *hash;
};
/*
 * Lock digest's blob and open its partial file, keeping what an earlier
 * (killed) attempt wrote when resume is true.  *exists is set when the blob
 * is already in the store (the writer is then closed).
 */
int st_blob_writer_open(struct storage_store *st, const char *digest, bool resume, bool *exists,
			struct st_blob_writer *w, berth_error_t *err);
int st_blob_writer_write(struct st_blob_writer *w, const void *data, size_t len, berth_error_t *err);
/* Start over (the server ignored a range request). */
int st_blob_writer_truncate(struct st_blob_writer *w, berth_error_t *err);
/* Verify, fsync and rename into place. */
int st_blob_writer_commit(struct st_blob_writer *w, berth_error_t *err);
/* Close; keep the partial file for a later resume when keep is true. */
void st_blob_writer_close(struct st_blob_writer *w, bool keep);

/* refs.json: name -> manifest digest. */
int st_refs_load(struct storage_store *st, json_t **refs, berth_error_t *err);
int st_refs_set(struct storage_store *st, const char *name, const char *digest, berth_error_t *err);

/* Manifest digest -> image (parsed manifest + config, layers listed). */
int st_image_load(struct storage_store *st, const char *digest, const char *name,
		  struct storage_image **out, berth_error_t *err);
/* Validate a single-platform manifest and store config checks; used by pull and import. */
int st_manifest_parse(json_t *manifest, const char **config_digest, berth_error_t *err);
int st_image_config_parse(json_t *config, struct storage_image_config *cfg, berth_error_t *err);
void st_image_config_clear(struct storage_image_config *cfg);

/* Container IDs: [A-Za-z0-9_.-], 1..128, not starting with '.'. */
int st_container_id_check(const char *id, berth_error_t *err);
/* Mount the overlay of img's layers with cdir's upper and work directories on target. */
int st_mount_overlay(struct storage_store *st, const struct storage_image *img, const char *cdir,
		     const char *target, unsigned flags, berth_error_t *err);

/*
 * The last step of a pull or an import, once manifest, config and layer blobs
 * are stored: load the image, unpack its layers, then name it canonical.
 */
int st_image_commit(struct storage_store *st, const char *mdigest, const char *canonical,
		    storage_progress_fn progress, void *data, struct storage_image **out,
		    berth_error_t *err);

/* st_image_commit() under the canonical form of the reference name (import.c). */
int st_image_commit_name(struct storage_store *st, const char *mdigest, const char *name,
			 struct storage_image **out, berth_error_t *err);

/* Unpack every layer of img not yet unpacked (under per-layer locks). */
int st_image_unpack_layers(struct storage_store *st, struct storage_image *img,
			   storage_progress_fn progress, void *data, berth_error_t *err);
char *st_layer_path(struct storage_store *st, const char *diff_id);

/* Media types. */
bool st_mt_is_index(const char *mt);
bool st_mt_is_manifest(const char *mt);
bool st_mt_is_layer(const char *mt);

/* ---- layer.c ---- */
enum st_unpack_mode {
	ST_UNPACK_LAYER,   /* whiteouts become overlayfs whiteouts and opaque dirs */
	ST_UNPACK_FLATTEN, /* whiteouts delete what lower layers left in dirfd */
};
/* Unpack the tar (gzip, zstd or plain) in fd beneath dirfd; nothing escapes dirfd. */
int st_unpack_tar(int fd, int rootfd, enum st_unpack_mode mode, berth_error_t *err);
/*
 * A tar member name made relative and clean ("./a//b/" -> "a/b"); refused
 * when absolute, when it has a ".." component, or is empty.  Caller frees.
 */
int st_path_clean(const char *name, char **out, berth_error_t *err);
/* rm -rf name beneath dirfd (no symlink followed). */
int st_remove_tree_at(int dirfd, const char *name);

/* ---- registry.c / import.c / defimage.c ---- */
/* Store a manifest (already selected for a platform) plus its config and layers. */
int st_platform_match(json_t *platform_obj, const char *platform);
const char *st_default_platform(void);
int st_defimage_build(struct storage_store *st, struct storage_image **out, berth_error_t *err);

#endif
