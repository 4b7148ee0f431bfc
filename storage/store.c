/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store: locks, blobs (verified, then renamed into place) and names.
 *
 * Why these locks: a blob or layer is produced under its own exclusive lock,
 * so two pulls of one image download and unpack each piece once, and the
 * second finds it done.  Pulls, imports and root filesystem creation hold
 * "gc" shared; prune holds it exclusive, so it never deletes what a running
 * pull is about to name.  refs.json is rewritten atomically under "refs".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/internal.h"

int storage_store_open(const char *root, struct storage_store **out, berth_error_t *err)
{
	static const char *const dirs[] = { "blobs/sha256", "tmp", "layers", "locks", "containers" };
	struct storage_store *st;

	if (root == NULL)
		root = STORAGE_DEFAULT_ROOT;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return berth_error_errno(err, ENOMEM, "open store `%s`", root);
	st->dirfd = -1;
	st->root = strdup(root);
	if (st->root == NULL || asprintf(&st->dir, "%s/storage", root) < 0) {
		st->dir = NULL;
		storage_store_close(st);
		return berth_error_errno(err, ENOMEM, "open store `%s`", root);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		cleanup_free char *p = NULL;
		if (asprintf(&p, "%s/%s", st->dir, dirs[i]) < 0 ||
		    berth_mkdir_p(p, 0700, err) < 0) {
			storage_store_close(st);
			return berth_error_wrap(err, "open store `%s`", root);
		}
	}
	st->dirfd = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		int e = errno;
		storage_store_close(st);
		return berth_error_errno(err, e, "open store `%s`", root);
	}
	*out = st;
	return 0;
}

void storage_store_close(struct storage_store *st)
{
	if (st == NULL)
		return;
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->root);
	free(st->dir);
	free(st);
}

int st_lock(struct storage_store *st, const char *name, bool exclusive, int *fd, berth_error_t *err)
{
	char path[128];
	int lfd;

	snprintf(path, sizeof(path), "locks/%s", name);
	lfd = openat(st->dirfd, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return berth_error_errno(err, errno, "lock `%s/%s`", st->dir, path);
	while (flock(lfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(lfd);
		return berth_error_errno(err, e, "lock `%s/%s`", st->dir, path);
	}
	*fd = lfd;
	return 0;
}

/* ---- blobs ---------------------------------------------------------- */

static void blob_rel(const char *digest, char *buf, size_t n)
{
	snprintf(buf, n, "blobs/sha256/%s", st_digest_hex(digest));
}

bool st_blob_exists(struct storage_store *st, const char *digest)
{
	char rel[128];

	blob_rel(digest, rel, sizeof(rel));
	return faccessat(st->dirfd, rel, F_OK, 0) == 0;
}

char *st_blob_path(struct storage_store *st, const char *digest)
{
	char *p = NULL;

	if (asprintf(&p, "%s/blobs/sha256/%s", st->dir, st_digest_hex(digest)) < 0)
		return NULL;
	return p;
}

int st_blob_read(struct storage_store *st, const char *digest, size_t max, char **buf, size_t *len,
		 berth_error_t *err)
{
	char rel[128];
	struct stat sb;

	if (st_digest_check(digest, err) < 0)
		return -1;
	blob_rel(digest, rel, sizeof(rel));
	if (fstatat(st->dirfd, rel, &sb, 0) < 0)
		return berth_error_errno(err, errno, "blob %s", digest);
	if ((size_t)sb.st_size > max)
		return berth_error(err, EFBIG, "blob %s: %lld bytes, more than %zu", digest,
				   (long long)sb.st_size, max);
	return berth_read_file_at(st->dirfd, rel, buf, len, err) < 0 ? -1 : 0;
}

static void writer_reset(struct st_blob_writer *w)
{
	w->fd = -1;
	w->lockfd = -1;
	w->tmp = NULL;
	w->hash = NULL;
	w->size = 0;
}

void st_blob_writer_close(struct st_blob_writer *w, bool keep)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp && !keep)
		unlinkat(w->st->dirfd, w->tmp, 0);
	if (w->lockfd >= 0)
		close(w->lockfd);
	st_sha256_free(w->hash);
	free(w->tmp);
	writer_reset(w);
}

int st_blob_writer_open(struct storage_store *st, const char *digest, bool resume, bool *exists,
			struct st_blob_writer *w, berth_error_t *err)
{
	char lockname[80];
	char buf[65536];
	ssize_t n;

	writer_reset(w);
	w->st = st;
	*exists = false;
	if (st_digest_check(digest, err) < 0)
		return -1;
	snprintf(w->digest, sizeof(w->digest), "%s", digest);
	snprintf(lockname, sizeof(lockname), "blob-%s", st_digest_hex(digest));
	if (st_lock(st, lockname, true, &w->lockfd, err) < 0)
		return -1;
	if (st_blob_exists(st, digest)) {
		*exists = true;
		st_blob_writer_close(w, true);
		return 0;
	}
	w->hash = st_sha256_new();
	if (w->hash == NULL || asprintf(&w->tmp, "tmp/%s.partial", st_digest_hex(digest)) < 0) {
		w->tmp = NULL;
		st_blob_writer_close(w, true);
		return berth_error_errno(err, ENOMEM, "blob %s", digest);
	}
	/* We hold the lock: any partial file is from a dead writer. */
	w->fd = openat(st->dirfd, w->tmp, O_RDWR | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC),
		       0600);
	if (w->fd < 0) {
		int e = errno;
		st_blob_writer_close(w, true);
		return berth_error_errno(err, e, "blob %s: create `%s/tmp`", digest, st->dir);
	}
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		st_sha256_update(w->hash, buf, (size_t)n);
		w->size += (uint64_t)n;
	}
	if (n < 0) {
		int e = errno;
		st_blob_writer_close(w, false);
		return berth_error_errno(err, e, "blob %s: read partial file", digest);
	}
	return 0;
}

int st_blob_writer_write(struct st_blob_writer *w, const void *data, size_t len, berth_error_t *err)
{
	if (berth_write_all(w->fd, data, len) < 0)
		return berth_error_errno(err, errno, "blob %s: write `%s/%s`", w->digest, w->st->dir,
					 w->tmp);
	st_sha256_update(w->hash, data, len);
	w->size += len;
	return 0;
}

int st_blob_writer_truncate(struct st_blob_writer *w, berth_error_t *err)
{
	st_sha256_free(w->hash);
	w->hash = st_sha256_new();
	w->size = 0;
	if (w->hash == NULL || ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return berth_error_errno(err, w->hash ? errno : ENOMEM, "blob %s: truncate", w->digest);
	return 0;
}

int st_blob_writer_commit(struct st_blob_writer *w, berth_error_t *err)
{
	char got[ST_DIGEST_LEN + 1];
	char rel[128];

	st_sha256_final(w->hash, got);
	w->hash = NULL;
	if (strcmp(got, w->digest) != 0) {
		berth_error(err, EBADMSG, "blob %s: digest mismatch: content has %s", w->digest, got);
		st_blob_writer_close(w, false);
		return -EBADMSG;
	}
	if (fsync(w->fd) < 0) {
		int e = errno;
		st_blob_writer_close(w, false);
		return berth_error_errno(err, e, "blob %s: fsync", w->digest);
	}
	blob_rel(w->digest, rel, sizeof(rel));
	if (renameat(w->st->dirfd, w->tmp, w->st->dirfd, rel) < 0) {
		int e = errno;
		st_blob_writer_close(w, false);
		return berth_error_errno(err, e, "blob %s: rename into place", w->digest);
	}
	free(w->tmp);
	w->tmp = NULL;
	st_blob_writer_close(w, true);
	return 0;
}

int st_blob_put(struct storage_store *st, const void *data, size_t len, const char *want,
		char *digest_out, berth_error_t *err)
{
	struct st_blob_writer w;
	char digest[ST_DIGEST_LEN + 1];
	bool exists;

	st_sha256_buf(data, len, digest);
	if (want && strcmp(want, digest) != 0)
		return berth_error(err, EBADMSG, "blob %s: digest mismatch: content has %s", want,
				   digest);
	if (digest_out)
		memcpy(digest_out, digest, sizeof(digest));
	if (st_blob_writer_open(st, digest, false, &exists, &w, err) < 0)
		return -1;
	if (exists)
		return 0;
	if (st_blob_writer_write(&w, data, len, err) < 0) {
		st_blob_writer_close(&w, false);
		return -1;
	}
	return st_blob_writer_commit(&w, err);
}

int st_blob_put_file(struct storage_store *st, int fd, const char *want, char *digest_out,
		     berth_error_t *err)
{
	char digest[ST_DIGEST_LEN + 1];
	struct st_blob_writer w;
	static char buf[1 << 16];
	bool exists;
	ssize_t n;

	if (want == NULL) {
		struct st_sha256 *h = st_sha256_new();
		if (h == NULL)
			return berth_error_errno(err, ENOMEM, "hash");
		if (lseek(fd, 0, SEEK_SET) < 0) {
			st_sha256_free(h);
			return berth_error_errno(err, errno, "seek");
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			st_sha256_update(h, buf, (size_t)n);
		st_sha256_final(h, digest);
		if (n < 0 || lseek(fd, 0, SEEK_SET) < 0)
			return berth_error_errno(err, errno, "read");
		want = digest;
	}
	if (digest_out)
		snprintf(digest_out, ST_DIGEST_LEN + 1, "%s", want);
	if (st_blob_writer_open(st, want, false, &exists, &w, err) < 0)
		return -1;
	if (exists)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (st_blob_writer_write(&w, buf, (size_t)n, err) < 0) {
			st_blob_writer_close(&w, false);
			return -1;
		}
	}
	if (n < 0) {
		int e = errno;
		st_blob_writer_close(&w, false);
		return berth_error_errno(err, e, "blob %s: read", want);
	}
	return st_blob_writer_commit(&w, err);
}

/* ---- names ---------------------------------------------------------- */

int st_refs_load(struct storage_store *st, json_t **refs, berth_error_t *err)
{
	cleanup_free char *path = NULL;

	if (asprintf(&path, "%s/refs.json", st->dir) < 0)
		return berth_error_errno(err, ENOMEM, "refs");
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*refs = json_object();
		return 0;
	}
	if (berth_json_load_file(path, refs, err) < 0)
		return -1;
	if (!json_is_object(*refs)) {
		json_decref(*refs);
		*refs = NULL;
		return berth_error(err, EINVAL, "`%s`: not a JSON object", path);
	}
	return 0;
}

static int refs_store(struct storage_store *st, json_t *refs, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = json_dumps(refs, JSON_INDENT(1) | JSON_SORT_KEYS);

	if (text == NULL || asprintf(&path, "%s/refs.json", st->dir) < 0)
		return berth_error_errno(err, ENOMEM, "refs");
	return berth_write_file_atomic(path, text, strlen(text), 0600, true, err);
}

/* digest NULL removes name. */
int st_refs_set(struct storage_store *st, const char *name, const char *digest, berth_error_t *err)
{
	cleanup_close int lock = -1;
	cleanup_json json_t *refs = NULL;

	if (st_lock(st, "refs", true, &lock, err) < 0 || st_refs_load(st, &refs, err) < 0)
		return -1;
	if (digest)
		json_object_set_new(refs, name, json_string(digest));
	else
		json_object_del(refs, name);
	return refs_store(st, refs, err);
}

/* ---- media types ---------------------------------------------------- */

bool st_mt_is_index(const char *mt)
{
	return mt && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
		      strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

bool st_mt_is_manifest(const char *mt)
{
	return mt && (strcmp(mt, "application/vnd.oci.image.manifest.v1+json") == 0 ||
		      strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") == 0);
}

bool st_mt_is_layer(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.diff.tar",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	for (size_t i = 0; mt && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}

/* ---- images --------------------------------------------------------- */

static char **json_strv(json_t *arr)
{
	size_t i, n = json_is_array(arr) ? json_array_size(arr) : 0;
	char **v = calloc(n + 1, sizeof(char *));
	json_t *e;

	if (v == NULL)
		return NULL;
	json_array_foreach(arr, i, e) {
		v[i] = strdup(json_is_string(e) ? json_string_value(e) : "");
	}
	return v;
}

static char **json_keys(json_t *obj, bool with_values)
{
	size_t n = json_is_object(obj) ? json_object_size(obj) : 0, i = 0;
	char **v = calloc(n + 1, sizeof(char *));
	const char *k;
	json_t *val;

	if (v == NULL)
		return NULL;
	json_object_foreach(obj, k, val)
	{
		if (with_values) {
			if (asprintf(&v[i], "%s=%s", k, json_is_string(val) ? json_string_value(val) : "") < 0)
				v[i] = NULL;
		} else {
			v[i] = strdup(k);
		}
		i++;
	}
	return v;
}

static char *json_str_dup(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

void st_image_config_clear(struct storage_image_config *c)
{
	char ***vs[] = { &c->entrypoint, &c->cmd, &c->env, &c->volumes, &c->exposed_ports, &c->labels };

	free(c->os);
	free(c->architecture);
	free(c->variant);
	free(c->user);
	free(c->working_dir);
	free(c->stop_signal);
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		cleanup_strvp(vs[i]);
	memset(c, 0, sizeof(*c));
}

static int64_t parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };

	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

int st_image_config_parse(json_t *config, struct storage_image_config *c, berth_error_t *err)
{
	json_t *cc;
	json_t *v;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(config))
		return berth_error(err, EINVAL, "image config: not a JSON object");
	cc = json_object_get(config, "config");
	if (cc && !json_is_object(cc) && !json_is_null(cc))
		return berth_error(err, EINVAL, "image config: `config` is not an object");
	c->os = json_str_dup(config, "os");
	c->architecture = json_str_dup(config, "architecture");
	c->variant = json_str_dup(config, "variant");
	c->created = parse_rfc3339(json_string_value(json_object_get(config, "created")));
	c->user = json_str_dup(cc, "User");
	c->working_dir = json_str_dup(cc, "WorkingDir");
	if (c->working_dir && c->working_dir[0] == '\0') {
		free(c->working_dir);
		c->working_dir = NULL;
	}
	c->stop_signal = json_str_dup(cc, "StopSignal");
	v = json_object_get(cc, "Entrypoint");
	if (json_is_array(v))
		c->entrypoint = json_strv(v);
	v = json_object_get(cc, "Cmd");
	if (json_is_array(v))
		c->cmd = json_strv(v);
	c->env = json_strv(json_object_get(cc, "Env"));
	c->volumes = json_keys(json_object_get(cc, "Volumes"), false);
	c->exposed_ports = json_keys(json_object_get(cc, "ExposedPorts"), false);
	c->labels = json_keys(json_object_get(cc, "Labels"), true);
	if (c->env == NULL || c->volumes == NULL || c->exposed_ports == NULL || c->labels == NULL) {
		st_image_config_clear(c);
		return berth_error_errno(err, ENOMEM, "image config");
	}
	return 0;
}

int st_manifest_parse(json_t *m, const char **config_digest, berth_error_t *err)
{
	json_t *cfg, *layers, *l;
	const char *mt;
	size_t i;

	if (!json_is_object(m))
		return berth_error(err, EINVAL, "manifest: not a JSON object");
	mt = json_string_value(json_object_get(m, "mediaType"));
	if (mt && !st_mt_is_manifest(mt))
		return berth_error(err, ENOTSUP, "manifest: media type `%s` not supported", mt);
	if (json_integer_value(json_object_get(m, "schemaVersion")) != 2)
		return berth_error(err, ENOTSUP, "manifest: schemaVersion is not 2");
	cfg = json_object_get(m, "config");
	*config_digest = json_string_value(json_object_get(cfg, "digest"));
	if (st_digest_check(*config_digest, err) < 0)
		return berth_error_wrap(err, "manifest: config");
	layers = json_object_get(m, "layers");
	if (!json_is_array(layers))
		return berth_error(err, EINVAL, "manifest: no `layers` array");
	json_array_foreach(layers, i, l)
	{
		const char *d = json_string_value(json_object_get(l, "digest"));
		const char *lmt = json_string_value(json_object_get(l, "mediaType"));
		if (st_digest_check(d, err) < 0)
			return berth_error_wrap(err, "manifest: layer %zu", i);
		if (!st_mt_is_layer(lmt))
			return berth_error(err, ENOTSUP, "manifest: layer %s: media type `%s` not supported",
					   d, lmt ? lmt : "(none)");
	}
	return 0;
}

void storage_image_free(struct storage_image *img)
{
	if (img == NULL)
		return;
	free(img->name);
	free(img->digest);
	free(img->id);
	json_decref(img->manifest);
	json_decref(img->config_json);
	st_image_config_clear(&img->cfg);
	for (size_t i = 0; i < img->nlayers; i++) {
		free(img->layers[i]);
		free(img->diff_ids[i]);
	}
	free(img->layers);
	free(img->diff_ids);
	free(img);
}

int st_image_load(struct storage_store *st, const char *digest, const char *name,
		  struct storage_image **out, berth_error_t *err)
{
	cleanup_free char *mbuf = NULL, *cbuf = NULL;
	struct storage_image *img;
	const char *cdigest;
	json_error_t jerr;
	json_t *layers, *diffs, *l;
	size_t i;

	if (st_blob_read(st, digest, ST_MAX_MANIFEST, &mbuf, NULL, err) < 0)
		return berth_error_wrap(err, "image `%s`: manifest", name ? name : digest);
	img = calloc(1, sizeof(*img));
	if (img == NULL)
		return berth_error_errno(err, ENOMEM, "image");
	img->digest = strdup(digest);
	img->name = name ? strdup(name) : NULL;
	img->manifest = json_loads(mbuf, 0, &jerr);
	if (img->manifest == NULL) {
		storage_image_free(img);
		return berth_error(err, EINVAL, "image `%s`: manifest %s: %s", name ? name : digest,
				   digest, jerr.text);
	}
	if (st_manifest_parse(img->manifest, &cdigest, err) < 0 ||
	    st_blob_read(st, cdigest, ST_MAX_MANIFEST, &cbuf, NULL, err) < 0) {
		storage_image_free(img);
		return berth_error_wrap(err, "image `%s`", name ? name : digest);
	}
	img->id = strdup(cdigest);
	img->config_json = json_loads(cbuf, 0, &jerr);
	if (img->config_json == NULL) {
		storage_image_free(img);
		return berth_error(err, EINVAL, "image `%s`: config %s: %s", name ? name : digest,
				   cdigest, jerr.text);
	}
	if (st_image_config_parse(img->config_json, &img->cfg, err) < 0) {
		storage_image_free(img);
		return berth_error_wrap(err, "image `%s`", name ? name : digest);
	}
	layers = json_object_get(img->manifest, "layers");
	diffs = json_object_get(json_object_get(img->config_json, "rootfs"), "diff_ids");
	if (!json_is_array(diffs) || json_array_size(diffs) != json_array_size(layers)) {
		storage_image_free(img);
		return berth_error(err, EINVAL,
				   "image `%s`: config has %zu diff_ids for %zu layers",
				   name ? name : digest, json_array_size(diffs),
				   json_array_size(layers));
	}
	img->nlayers = json_array_size(layers);
	img->layers = calloc(img->nlayers + 1, sizeof(char *));
	img->diff_ids = calloc(img->nlayers + 1, sizeof(char *));
	if (img->layers == NULL || img->diff_ids == NULL) {
		img->nlayers = 0;
		storage_image_free(img);
		return berth_error_errno(err, ENOMEM, "image");
	}
	json_array_foreach(layers, i, l)
	{
		const char *d = json_string_value(json_array_get(diffs, i));
		img->layers[i] = strdup(json_string_value(json_object_get(l, "digest")));
		img->diff_ids[i] = strdup(d ? d : "");
		img->size += (uint64_t)json_integer_value(json_object_get(l, "size"));
		if (st_digest_check(d, err) < 0) {
			storage_image_free(img);
			return berth_error_wrap(err, "image `%s`: diff_id %zu", name ? name : digest, i);
		}
	}
	*out = img;
	return 0;
}

const char *storage_image_id(const struct storage_image *img)
{
	return img->id;
}

const char *storage_image_digest(const struct storage_image *img)
{
	return img->digest;
}

const char *storage_image_name(const struct storage_image *img)
{
	return img->name;
}

const struct storage_image_config *storage_image_config(const struct storage_image *img)
{
	return &img->cfg;
}

json_t *storage_image_config_json(const struct storage_image *img)
{
	return img->config_json;
}

uint64_t storage_image_size(const struct storage_image *img)
{
	return img->size;
}

/* ---- lookup --------------------------------------------------------- */

static bool is_hex_prefix(const char *s)
{
	size_t n;

	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	n = strlen(s);
	return n >= 4 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

/* Config digest of the image whose manifest is mdigest (NULL when unreadable). */
static char *manifest_config_digest(struct storage_store *st, const char *mdigest)
{
	cleanup_free char *buf = NULL;
	cleanup_json json_t *m = NULL;
	const char *c = NULL;

	if (st_blob_read(st, mdigest, ST_MAX_MANIFEST, &buf, NULL, NULL) < 0)
		return NULL;
	m = json_loads(buf, 0, NULL);
	if (m == NULL || st_manifest_parse(m, &c, NULL) < 0)
		return NULL;
	return strdup(c);
}

int storage_image_lookup(struct storage_store *st, const char *ref, struct storage_image **out,
			 berth_error_t *err)
{
	cleanup_json json_t *refs = NULL;
	struct storage_ref r;
	const char *name, *found = NULL, *found_name = NULL;
	json_t *v;

	if (st_refs_load(st, &refs, err) < 0)
		return -1;
	if (storage_ref_parse(ref, &r, NULL) == 0) {
		cleanup_free char *canon = storage_ref_string(&r);
		if (canon && (v = json_object_get(refs, canon)))
			found_name = canon, found = json_string_value(v);
		/* name@digest: any name of the repository with that manifest digest. */
		if (!found && r.digest && st_blob_exists(st, r.digest)) {
			json_object_foreach(refs, name, v)
			{
				if (strcmp(json_string_value(v), r.digest) == 0)
					found = json_string_value(v), found_name = canon;
			}
		}
		storage_ref_clear(&r);
		if (found)
			return st_image_load(st, found, found_name, out, err);
	}
	if (is_hex_prefix(ref)) {
		const char *want = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
		cleanup_free char *match_name = NULL;
		cleanup_free char *match_digest = NULL;
		int matches = 0;

		json_object_foreach(refs, name, v)
		{
			cleanup_free char *cd = manifest_config_digest(st, json_string_value(v));
			const char *md = json_string_value(v);
			bool hit = (cd && strncmp(cd + 7, want, strlen(want)) == 0) ||
				   strncmp(md + 7, want, strlen(want)) == 0;
			if (!hit)
				continue;
			if (match_digest && strcmp(match_digest, md) == 0)
				continue;
			matches++;
			free(match_name);
			free(match_digest);
			match_name = strdup(name);
			match_digest = strdup(md);
		}
		if (matches > 1)
			return berth_error(err, EINVAL, "image `%s`: ambiguous ID prefix", ref);
		if (matches == 1)
			return st_image_load(st, match_digest, match_name, out, err);
	}
	return berth_error(err, ENOENT, "image `%s`: not in the store", ref);
}

int storage_image_resolve(struct storage_store *st, const char *ref, const struct storage_pull_opts *opts,
			  struct storage_image **out, berth_error_t *err)
{
	struct storage_ref r, d;
	bool is_default = false;
	int ret;

	ret = storage_image_lookup(st, ref, out, err);
	if (ret != -ENOENT)
		return ret;
	berth_error_release(err);
	if (storage_ref_parse(ref, &r, err) < 0)
		return -1;
	if (storage_ref_parse(STORAGE_DEFAULT_IMAGE, &d, NULL) == 0) {
		is_default = strcmp(r.registry, d.registry) == 0 &&
			     strcmp(r.repository, d.repository) == 0 && r.tag &&
			     strcmp(r.tag, d.tag) == 0 && r.digest == NULL;
		storage_ref_clear(&d);
	}
	storage_ref_clear(&r);
	if (is_default)
		return storage_default_image_ensure(st, out, err);
	return storage_image_pull(st, ref, opts, out, err);
}

int st_image_commit(struct storage_store *st, const char *mdigest, const char *canonical,
		    storage_progress_fn progress, void *data, struct storage_image **out,
		    berth_error_t *err)
{
	struct storage_image *img = NULL;

	if (st_image_load(st, mdigest, canonical, &img, err) < 0 ||
	    st_image_unpack_layers(st, img, progress, data, err) < 0 ||
	    st_refs_set(st, canonical, mdigest, err) < 0) {
		storage_image_free(img);
		return -1;
	}
	*out = img;
	return 0;
}

/* ---- use marks ------------------------------------------------------ */

int st_container_id_check(const char *id, berth_error_t *err)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > 128 || id[0] == '.' || strspn(id, "abcdefghijklmnopqrstuvwxyz"
						       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		return berth_error(err, EINVAL, "container ID `%s`: invalid", id ? id : "");
	return 0;
}

int storage_image_mark_used(struct storage_store *st, const struct storage_image *img,
			    const char *container_id, berth_error_t *err)
{
	cleanup_free char *dir = NULL, *path = NULL;

	if (st_container_id_check(container_id, err) < 0)
		return -1;
	if (asprintf(&dir, "%s/containers/%s", st->dir, container_id) < 0 ||
	    asprintf(&path, "%s/image", dir) < 0)
		return berth_error_errno(err, ENOMEM, "mark image");
	if (berth_mkdir_p(dir, 0700, err) < 0 ||
	    berth_write_file_atomic(path, img->digest, strlen(img->digest), 0600, true, err) < 0)
		return berth_error_wrap(err, "mark image `%s` used by `%s`",
					img->name ? img->name : img->id, container_id);
	return 0;
}

int storage_image_unmark_used(struct storage_store *st, const char *container_id, berth_error_t *err)
{
	char path[320];

	if (st_container_id_check(container_id, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "containers/%s/image", container_id);
	if (unlinkat(st->dirfd, path, 0) < 0 && errno != ENOENT)
		return berth_error_errno(err, errno, "unmark image used by `%s`", container_id);
	return 0;
}

/* Manifest digests used by containers, as a JSON object digest -> [ids]. */
static int st_users(struct storage_store *st, json_t **out, berth_error_t *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	json_t *users = json_object();
	int dfd = openat(st->dirfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		json_decref(users);
		return berth_error_errno(err, e, "`%s/containers`", st->dir);
	}
	while ((de = readdir(d))) {
		char rel[320];
		cleanup_free char *buf = NULL;
		json_t *arr;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/image", de->d_name);
		if (berth_read_file_at(dirfd(d), rel, &buf, NULL, NULL) < 0)
			continue;
		arr = json_object_get(users, buf);
		if (arr == NULL) {
			arr = json_array();
			json_object_set_new(users, buf, arr);
		}
		json_array_append_new(arr, json_string(de->d_name));
	}
	*out = users;
	return 0;
}

/* ---- list, tag, remove ---------------------------------------------- */

void storage_image_info_free(struct storage_image_info *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++) {
		free(list[i].name);
		free(list[i].id);
		free(list[i].digest);
	}
	free(list);
}

static int info_add(struct storage_store *st, struct storage_image_info **list, size_t *n,
		    const char *name, const char *digest, json_t *users)
{
	struct storage_image *img = NULL;
	struct storage_image_info *nl = realloc(*list, (*n + 1) * sizeof(**list));

	if (nl == NULL)
		return -1;
	*list = nl;
	if (st_image_load(st, digest, name, &img, NULL) < 0)
		return 0; /* a name whose blobs went missing: not listed */
	nl[*n] = (struct storage_image_info){
		.name = name ? strdup(name) : NULL,
		.id = strdup(img->id),
		.digest = strdup(digest),
		.size = img->size,
		.created = img->cfg.created,
		.users = json_array_size(json_object_get(users, digest)),
	};
	(*n)++;
	storage_image_free(img);
	return 0;
}

int storage_image_list(struct storage_store *st, struct storage_image_info **out, size_t *n,
		       berth_error_t *err)
{
	cleanup_json json_t *refs = NULL, *users = NULL, *seen = json_object();
	struct storage_image_info *list = NULL;
	const char *name;
	json_t *v;

	*n = 0;
	if (st_refs_load(st, &refs, err) < 0 || st_users(st, &users, err) < 0)
		return -1;
	json_object_foreach(refs, name, v)
	{
		json_object_set_new(seen, json_string_value(v), json_true());
		if (info_add(st, &list, n, name, json_string_value(v), users) < 0)
			goto oom;
	}
	json_object_foreach(users, name, v)
	{
		if (!json_object_get(seen, name) && info_add(st, &list, n, NULL, name, users) < 0)
			goto oom;
	}
	*out = list;
	return 0;
oom:
	storage_image_info_free(list, *n);
	return berth_error_errno(err, ENOMEM, "list images");
}

int storage_image_tag(struct storage_store *st, const char *ref, const char *new_name, berth_error_t *err)
{
	struct storage_image *img = NULL;
	struct storage_ref r;
	cleanup_free char *canon = NULL;
	int ret;

	if (storage_ref_parse(new_name, &r, err) < 0)
		return berth_error_wrap(err, "tag `%s`", ref);
	canon = storage_ref_string(&r);
	storage_ref_clear(&r);
	if (storage_image_lookup(st, ref, &img, err) < 0)
		return berth_error_wrap(err, "tag");
	ret = st_refs_set(st, canon, img->digest, err);
	storage_image_free(img);
	return ret;
}

int storage_image_remove(struct storage_store *st, const char *ref, bool force, berth_error_t *err)
{
	cleanup_close int lock = -1;
	cleanup_json json_t *refs = NULL, *users = NULL;
	struct storage_image *img = NULL;
	const char *name;
	json_t *v, *u;
	void *tmp;
	size_t names_left = 0;
	bool by_name;
	int ret;

	if (storage_image_lookup(st, ref, &img, err) < 0)
		return berth_error_wrap(err, "remove");
	if (st_lock(st, "refs", true, &lock, err) < 0 || st_refs_load(st, &refs, err) < 0 ||
	    st_users(st, &users, err) < 0) {
		storage_image_free(img);
		return -1;
	}
	/* By its name: that name only; by ID or digest: every name. */
	by_name = img->name && json_object_get(refs, img->name) && !is_hex_prefix(ref);
	json_object_foreach(refs, name, v) {
		if (strcmp(json_string_value(v), img->digest) == 0)
			names_left++;
	}
	u = json_object_get(users, img->digest);
	if (u && json_array_size(u) > 0 && !force && (!by_name || names_left <= 1)) {
		cleanup_free char *ids = NULL;
		size_t i;
		json_t *e;
		json_array_foreach(u, i, e)
		{
			char *n2 = NULL;
			if (asprintf(&n2, "%s%s`%s`", ids ? ids : "", ids ? ", " : "", json_string_value(e)) < 0)
				n2 = NULL;
			free(ids);
			ids = n2;
		}
		berth_error(err, EBUSY, "remove image `%s`: in use by container%s %s (use --force)", ref,
			    json_array_size(u) > 1 ? "s" : "", ids ? ids : "");
		storage_image_free(img);
		return -EBUSY;
	}
	if (by_name) {
		json_object_del(refs, img->name);
	} else {
		json_object_foreach_safe(refs, tmp, name, v) {
			if (strcmp(json_string_value(v), img->digest) == 0)
				json_object_del(refs, name);
		}
	}
	storage_image_free(img);
	ret = refs_store(st, refs, err);
	return ret < 0 ? berth_error_wrap(err, "remove image `%s`", ref) : 0;
}

/* ---- prune ---------------------------------------------------------- */

static void keep_image(struct storage_store *st, json_t *keep, const char *mdigest)
{
	struct storage_image *img = NULL;

	json_object_set_new(keep, st_digest_hex(mdigest), json_true());
	if (st_image_load(st, mdigest, NULL, &img, NULL) < 0)
		return;
	json_object_set_new(keep, st_digest_hex(img->id), json_true());
	for (size_t i = 0; i < img->nlayers; i++) {
		json_object_set_new(keep, st_digest_hex(img->layers[i]), json_true());
		json_object_set_new(keep, st_digest_hex(img->diff_ids[i]), json_true());
	}
	storage_image_free(img);
}

static uint64_t tree_size_at(int pfd, const char *name)
{
	struct stat sb;
	uint64_t total = 0;
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (fstatat(pfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	total = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	if (!S_ISDIR(sb.st_mode))
		return total;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return total;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			total += tree_size_at(dirfd(d), de->d_name);
	return total;
}

/* Delete entries of dir (relative to the store) whose key is not kept. */
static int prune_dir(struct storage_store *st, const char *subdir, json_t *keep, uint64_t *freed,
		     berth_error_t *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(st->dirfd, subdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return berth_error_errno(err, e, "prune `%s/%s`", st->dir, subdir);
	}
	while ((de = readdir(d))) {
		char key[80];
		const char *name = de->d_name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		/* Partial blobs and layers: garbage unless a live writer holds their lock. */
		snprintf(key, sizeof(key), "%.64s", name[0] == '.' ? name + 5 : name);
		if (json_object_get(keep, key) && name[0] != '.' && !strstr(name, ".partial"))
			continue;
		if (name[0] == '.' || strstr(name, ".partial")) {
			char lockname[160];
			int lfd;

			snprintf(lockname, sizeof(lockname), "locks/%s-%s",
				 strcmp(subdir, "layers") == 0 ? "layer" : "blob", key);
			lfd = openat(st->dirfd, lockname, O_RDWR | O_CLOEXEC);
			if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
				close(lfd);
				continue;
			}
			if (lfd >= 0)
				close(lfd);
		}
		*freed += tree_size_at(dirfd(d), name);
		if (st_remove_tree_at(dirfd(d), name) < 0)
			return berth_error_errno(err, errno, "prune `%s/%s/%s`", st->dir, subdir, name);
	}
	return 0;
}

/*
 * Lock files of blobs and layers that are gone.  Safe under "gc" held
 * exclusively: every user of those locks holds "gc" shared.
 */
static void prune_locks(struct storage_store *st)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(st->dirfd, "locks", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char rel[160], partial[160];
		const char *hex = NULL;

		if (strncmp(de->d_name, "blob-", 5) == 0) {
			hex = de->d_name + 5;
			snprintf(rel, sizeof(rel), "blobs/sha256/%s", hex);
		} else if (strncmp(de->d_name, "layer-", 6) == 0) {
			hex = de->d_name + 6;
			snprintf(rel, sizeof(rel), "layers/%s", hex);
		}
		if (hex == NULL)
			continue;
		snprintf(partial, sizeof(partial), "tmp/%s.partial", hex);
		if (faccessat(st->dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    faccessat(st->dirfd, partial, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			unlinkat(dirfd(d), de->d_name, 0);
	}
}

int storage_prune(struct storage_store *st, uint64_t *freed, berth_error_t *err)
{
	cleanup_close int gc = -1;
	cleanup_json json_t *refs = NULL, *users = NULL, *keep = json_object();
	const char *name;
	json_t *v;
	uint64_t total = 0;

	if (st_lock(st, "gc", true, &gc, err) < 0 || st_refs_load(st, &refs, err) < 0 ||
	    st_users(st, &users, err) < 0)
		return berth_error_wrap(err, "prune");
	json_object_foreach(refs, name, v) {
		keep_image(st, keep, json_string_value(v));
	}
	json_object_foreach(users, name, v) {
		keep_image(st, keep, name);
	}
	if (prune_dir(st, "blobs/sha256", keep, &total, err) < 0 ||
	    prune_dir(st, "layers", keep, &total, err) < 0 ||
	    prune_dir(st, "tmp", keep, &total, err) < 0)
		return -1;
	prune_locks(st);
	if (freed)
		*freed = total;
	return 0;
}
