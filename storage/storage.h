/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libberth-storage: images and container root filesystems.
 *
 * A store lives under a root directory (default /var/lib/berth; berthctl
 * --root overrides it).  It holds content-addressed blobs (verified by
 * sha256 before they become visible), each layer unpacked once per diff_id
 * into a shared directory, the names (tags) of images, and one overlay root
 * filesystem per container.  Several processes may use one store at once:
 * every change is made under file locks and published by rename(2), so a
 * crash (even SIGKILL) leaves the store consistent.
 *
 * Typical use by an engine (berthctl run):
 *
 *   cleanup_storage_store struct storage_store *st = NULL;
 *   cleanup_storage_image struct storage_image *img = NULL;
 *   cleanup_json json_t *config = NULL;
 *   cleanup_free char *rootfs = NULL;
 *
 *   storage_store_open(opts->root, &st, err);
 *   storage_image_resolve(st, "busybox", NULL, &img, err);   // local, default image, or pull
 *   storage_rootfs_create(st, img, id, NULL, 0, &rootfs, err);  // overlay mounted, image marked used
 *   struct storage_runtime_overrides ov = { .args = argv, .rootfs = rootfs, ... };
 *   storage_image_runtime_config(img, &ov, &config, err);    // complete config.json
 *   ... run the container; on removal:
 *   storage_rootfs_remove(st, id, err);                      // unmount, delete, unmark
 *
 * Every fallible function returns a negative value and fills *err
 * (runtime/error.h); messages name the image/blob/path and the cause.
 */
#ifndef BERTH_STORAGE_H
#define BERTH_STORAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define STORAGE_DEFAULT_ROOT "/var/lib/berth"
/* The embedded default image: built locally from Debian's busybox-static. */
#define STORAGE_DEFAULT_IMAGE "busybox"

struct storage_store;
struct storage_image;

/* ---- store ---------------------------------------------------------- */

/* Open (creating when missing) the store under root (NULL: STORAGE_DEFAULT_ROOT). */
int storage_store_open(const char *root, struct storage_store **out, berth_error_t *err);
void storage_store_close(struct storage_store *st);
static inline void cleanup_storage_storep(struct storage_store **p)
{
	if (*p)
		storage_store_close(*p);
}
#define cleanup_storage_store __attribute__((cleanup(cleanup_storage_storep)))

/* ---- references ----------------------------------------------------- */

/*
 * A parsed image reference, normalised the way users expect:
 *   busybox                  -> docker.io / library/busybox : latest
 *   127.0.0.1:5000/app:1     -> 127.0.0.1:5000 / app : 1
 *   quay.io/a/b@sha256:...   -> quay.io / a/b, digest
 */
struct storage_ref {
	char *registry;   /* "docker.io", "127.0.0.1:5000", ... */
	char *repository; /* "library/busybox" */
	char *tag;        /* "latest" when neither tag nor digest is given; NULL with a digest only */
	char *digest;     /* "sha256:<64 hex>" or NULL */
};
int storage_ref_parse(const char *s, struct storage_ref *ref, berth_error_t *err);
void storage_ref_clear(struct storage_ref *ref);
/* The canonical name: "docker.io/library/busybox:latest" or "...@sha256:..." (malloc'd). */
char *storage_ref_string(const struct storage_ref *ref);

/* ---- pulling -------------------------------------------------------- */

enum storage_progress_kind {
	STORAGE_PROGRESS_RESOLVED, /* manifest resolved; digest set */
	STORAGE_PROGRESS_BLOB,     /* bytes of a blob arrived; done/total set */
	STORAGE_PROGRESS_BLOB_DONE, /* blob verified and stored (or already there: cached) */
	STORAGE_PROGRESS_LAYER_DONE, /* layer unpacked (or already unpacked: cached) */
};
struct storage_progress {
	enum storage_progress_kind kind;
	const char *ref;    /* canonical reference being pulled */
	const char *digest; /* blob or manifest digest */
	uint64_t done, total; /* bytes; total 0 when unknown */
	bool cached;
};
typedef void (*storage_progress_fn)(void *data, const struct storage_progress *p);

struct storage_pull_opts {
	const char *platform; /* "os/arch[/variant]", NULL: linux/<host arch> */
	const char *username; /* Basic credentials, also used to get Bearer tokens */
	const char *password;
	bool tls_no_verify;   /* accept any certificate; also allows plain HTTP */
	const char *ca_file;  /* extra CA certificate(s) for HTTPS, PEM */
	storage_progress_fn progress;
	void *progress_data;
};

/*
 * Pull ref from its registry into the store (manifest, config and layers,
 * each verified; layers unpacked) and tag it with its canonical name.
 * Plain HTTP is used for loopback registries (127.0.0.0/8, ::1, localhost)
 * when HTTPS does not answer, and for any registry with tls_no_verify.
 */
int storage_image_pull(struct storage_store *st, const char *ref, const struct storage_pull_opts *opts,
		       struct storage_image **out, berth_error_t *err);

/*
 * What `berthctl run IMAGE` does: the image named ref in the store, else the
 * embedded default image when ref names it ("busybox", no network needed),
 * else a pull (opts may be NULL).  ref may also be an image ID or a unique
 * prefix of one (at least 4 hex digits).
 */
int storage_image_resolve(struct storage_store *st, const char *ref, const struct storage_pull_opts *opts,
			  struct storage_image **out, berth_error_t *err);

/* Only the store: -ENOENT (with a message naming ref) when it is not there. */
int storage_image_lookup(struct storage_store *st, const char *ref, struct storage_image **out,
			 berth_error_t *err);

/* Import the embedded default image (busybox-static) unless it is already there. */
int storage_default_image_ensure(struct storage_store *st, struct storage_image **out, berth_error_t *err);

/* ---- importing ------------------------------------------------------ */

enum storage_import_format {
	STORAGE_IMPORT_AUTO,          /* directory: OCI layout; file: oci- or docker-archive */
	STORAGE_IMPORT_OCI_LAYOUT,    /* a directory with oci-layout, index.json, blobs/ */
	STORAGE_IMPORT_OCI_ARCHIVE,   /* a tar of an OCI layout */
	STORAGE_IMPORT_DOCKER_ARCHIVE, /* `docker save` output (manifest.json) */
};
/*
 * Import an image from path.  name (may be NULL) tags it; otherwise the name
 * recorded in the source (org.opencontainers.image.ref.name, RepoTags) is
 * used.  In a source holding several images, name selects one as well.
 */
int storage_image_import(struct storage_store *st, const char *path, enum storage_import_format fmt,
			 const char *name, const char *platform, struct storage_image **out,
			 berth_error_t *err);

/* ---- images --------------------------------------------------------- */

/* The image config, parsed (OCI image-spec "config" and its neighbours). */
struct storage_image_config {
	char *os, *architecture, *variant;
	char *user;         /* "", "uid", "name", "uid:gid", "name:group" */
	char **entrypoint;  /* NULL-terminated; NULL when unset */
	char **cmd;         /* NULL-terminated; NULL when unset */
	char **env;         /* "K=V", NULL-terminated (possibly empty) */
	char *working_dir;  /* NULL when unset */
	char **volumes;     /* container paths, NULL-terminated */
	char **exposed_ports; /* "80/tcp", NULL-terminated */
	char **labels;      /* "key=value", NULL-terminated */
	char *stop_signal;  /* NULL when unset */
	int64_t created;    /* seconds since the epoch, 0 when unknown */
};

void storage_image_free(struct storage_image *img);
static inline void cleanup_storage_imagep(struct storage_image **p)
{
	if (*p)
		storage_image_free(*p);
}
#define cleanup_storage_image __attribute__((cleanup(cleanup_storage_imagep)))

const char *storage_image_id(const struct storage_image *img);       /* config digest "sha256:..." */
const char *storage_image_digest(const struct storage_image *img);   /* manifest digest */
const char *storage_image_name(const struct storage_image *img);     /* canonical name it was found by */
const struct storage_image_config *storage_image_config(const struct storage_image *img);
/* The raw image config JSON (borrowed; valid while img lives). */
json_t *storage_image_config_json(const struct storage_image *img);
uint64_t storage_image_size(const struct storage_image *img); /* compressed layer bytes */

/* One entry per (image, name); untagged images appear once with name NULL. */
struct storage_image_info {
	char *name;    /* canonical name, or NULL */
	char *id;      /* config digest */
	char *digest;  /* manifest digest */
	uint64_t size; /* compressed layer bytes */
	int64_t created;
	size_t users;  /* containers using it */
};
int storage_image_list(struct storage_store *st, struct storage_image_info **out, size_t *n,
		       berth_error_t *err);
void storage_image_info_free(struct storage_image_info *list, size_t n);

/* Add a name (tag) to the image ref names. */
int storage_image_tag(struct storage_store *st, const char *ref, const char *new_name, berth_error_t *err);

/*
 * Remove a name, or by ID every name of the image.  When containers still use
 * the image and its last name would go: -EBUSY naming them, unless force.
 */
int storage_image_remove(struct storage_store *st, const char *ref, bool force, berth_error_t *err);

/* Delete blobs, layers and untagged images nothing references.  *freed gets the bytes. */
int storage_prune(struct storage_store *st, uint64_t *freed, berth_error_t *err);

/* ---- runtime config ------------------------------------------------- */

/*
 * The caller's choices layered over the image config.  Every field is
 * optional (NULL / false / 0 keep the image's value).
 */
struct storage_runtime_overrides {
	char *const *entrypoint; /* replaces the image Entrypoint; { "" , NULL } clears it */
	char *const *args;       /* replaces the image Cmd */
	char *const *env;        /* "K=V" added after (overriding) the image's; "K" alone unsets */
	const char *user;        /* like the image's User */
	const char *workdir;
	const char *hostname;
	const char *rootfs;      /* root.path; also where /etc/passwd and /etc/group are read
				  * to resolve user and group names (default "rootfs") */
	bool terminal;
	bool read_only;
};

/*
 * A complete OCI runtime config.json (like `runc spec`: namespaces, default
 * mounts, capabilities, masked paths) whose process comes from the image:
 * args = Entrypoint + Cmd, Env (PATH defaulted), WorkingDir (default "/"),
 * User (names resolved in the rootfs).  Labels become annotations; Volumes,
 * ExposedPorts and StopSignal become the org.opencontainers.image.* annotations
 * (the engine creates volumes and ports itself).
 */
int storage_image_runtime_config(const struct storage_image *img,
				 const struct storage_runtime_overrides *ov, json_t **config,
				 berth_error_t *err);

/* ---- container root filesystems ------------------------------------- */

/*
 * Mount an overlay of img's layers plus a fresh upper/work directory for
 * container_id at mountpoint (NULL: a directory inside the store), and mark
 * img used by container_id.  *path (may be NULL) gets the mountpoint.
 * -EEXIST when container_id already has a root filesystem.
 */
int storage_rootfs_create(struct storage_store *st, const struct storage_image *img,
			  const char *container_id, const char *mountpoint, unsigned flags,
			  char **path, berth_error_t *err);
/*
 * flags: STORAGE_ROOTFS_VOLATILE, an overlay that never syncs its upper
 * directory (overlayfs "volatile"), for a container removed when it ends:
 * unmounting it does not wait for its writes to reach the disk.  After a
 * crash of the host its root filesystem can only be removed.
 */
#define STORAGE_ROOTFS_VOLATILE 1u

/* Unmount, delete upper/work and unmark the image.  A missing container is not an error. */
int storage_rootfs_remove(struct storage_store *st, const char *container_id, berth_error_t *err);

/*
 * The changes container_id made to its root filesystem (the overlay's upper
 * directory) as a layer tar on fd: overlayfs whiteouts become ".wh." entries.
 */
int storage_rootfs_export_changes(struct storage_store *st, const char *container_id, int fd,
				  berth_error_t *err);
/*
 * Put such a tar (read from fd) into the upper directory of container_id,
 * made by storage_rootfs_create() from img: its overlay is mounted again
 * around the change.
 */
int storage_rootfs_import_changes(struct storage_store *st, const struct storage_image *img,
				  const char *container_id, int fd, berth_error_t *err);

/*
 * dir's tree as a tar on fd (layer: the tree is an overlayfs upper directory,
 * see storage_rootfs_export_changes), and a tar unpacked into the directory
 * dir (layer: whiteouts become overlayfs whiteouts; else they delete).  No
 * entry can be written outside dir.
 */
int storage_tar_write_dir(const char *dir, int fd, bool layer, berth_error_t *err);
int storage_tar_extract(int fd, const char *dir, bool layer, berth_error_t *err);

/* Mark/unmark explicitly (storage_rootfs_create/remove do it already). */
int storage_image_mark_used(struct storage_store *st, const struct storage_image *img,
			    const char *container_id, berth_error_t *err);
int storage_image_unmark_used(struct storage_store *st, const char *container_id, berth_error_t *err);

/*
 * Write an OCI bundle for img into dir (created; must be empty or missing):
 * dir/rootfs with the layers applied (a plain directory, no overlay) and
 * dir/config.json from storage_image_runtime_config(img, ov).
 */
int storage_image_unpack(struct storage_store *st, const struct storage_image *img, const char *dir,
			 const struct storage_runtime_overrides *ov, berth_error_t *err);

#endif
