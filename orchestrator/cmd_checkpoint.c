/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berthctl checkpoint [-R] [-e FILE.tar] [--tcp-established] [--file-locks] [--keep] NAME|ID
 * berthctl restore [-i FILE.tar] [-n NAME] [--tcp-established] [--keep] [NAME|ID]
 *
 * The checkpoint is taken here, through libberth (runtime/checkpoint.h and
 * the engine in runtime/cr/), while the container's shim is told that the
 * exit it is about to see is a checkpoint: it records the container as
 * checkpointed (no exit status of its own, no restart, no --rm cleanup) and
 * goes.  Next to the process images the checkpoint directory
 * (ROOT/engine/containers/ID/checkpoint) holds:
 *
 *   berthctl.json     the container's record, with the format marker
 *   bundle.json       the bundle's config.json
 *   rootfs-diff.tar   the overlay upper directory (the files the container changed)
 *
 * `restore` starts a new shim with --restore: the runtime rebuilds the
 * container in it, with new pipes as its stdio, and logs go on in the same
 * file.  --export writes the checkpoint directory as one tar; --import makes
 * a container from such a tar (its ID and name, or a new ID with --name).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "netplugins/cni.h"
#include "orchestrator/engine.h"
#include "storage/storage.h"
#include "util.h"

#define PROG "berthctl"
#define CKPT_FORMAT "berth-checkpoint/1"
#define CKPT_META "berthctl.json"
#define CKPT_CONFIG "bundle.json"
#define CKPT_ROOTFS "rootfs-diff.tar"

static int fail(berth_error_t *err)
{
	berth_error_print(stderr, PROG, err);
	return BERTHCTL_EXIT_ENGINE;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static char *ckpt_path(struct engine_ctr *c, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/checkpoint%s%s", c->p.dir, name ? "/" : "", name ? name : "") < 0)
		return NULL;
	return p;
}

static bool own_netns(json_t *rec)
{
	const char *net = jstr(rec, "network");

	return net && strcmp(net, "host") != 0;
}

static bool uses_cni(json_t *rec)
{
	return own_netns(rec) && strcmp(jstr(rec, "network"), "none") != 0;
}

/* ---- checkpoint -------------------------------------------------------- */

/* The record, the bundle's config and the rootfs changes, next to the process images. */
static int save_engine_files(struct berthctl_opts *o, struct engine_ctr *c, bool leave_running,
			     berth_error_t *err)
{
	cleanup_storage_store struct storage_store *st = NULL;
	cleanup_free char *meta = ckpt_path(c, CKPT_META);
	cleanup_free char *cfg = ckpt_path(c, CKPT_CONFIG);
	cleanup_free char *diff = ckpt_path(c, CKPT_ROOTFS);
	cleanup_free char *src = NULL;
	cleanup_free char *text = NULL;
	cleanup_json json_t *rec = json_deep_copy(c->rec);
	cleanup_close int fd = -1;
	size_t len;

	if (meta == NULL || cfg == NULL || diff == NULL || rec == NULL ||
	    asprintf(&src, "%s/config.json", c->p.bundle) < 0)
		return berth_error_errno(err, ENOMEM, "checkpoint");
	if (berth_read_file(src, &text, &len, err) < 0 ||
	    berth_write_file_atomic(cfg, text, len, 0600, false, err) < 0)
		return -1;
	free(text);
	json_object_set_new(rec, "checkpoint",
			    json_pack("{s:s, s:b}", "format", CKPT_FORMAT, "leave_running",
				      leave_running));
	text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text == NULL)
		return berth_error_errno(err, ENOMEM, "checkpoint");
	if (berth_write_file_atomic(meta, text, strlen(text), 0600, false, err) < 0)
		return -1;
	fd = open(diff, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_errno(err, errno, "create `%s`", diff);
	if (storage_store_open(o->root, &st, err) < 0 ||
	    storage_rootfs_export_changes(st, c->id, fd, err) < 0)
		return -1;
	return 0;
}

static int export_to(struct engine_ctr *c, int fd, const char *file, berth_error_t *err)
{
	cleanup_free char *dir = ckpt_path(c, NULL);

	if (dir == NULL)
		return berth_error_errno(err, ENOMEM, "export");
	if (storage_tar_write_dir(dir, fd, false, err) < 0 || fsync(fd) < 0)
		return berth_error_wrap(err, "export `%s`", file);
	return 0;
}

static void usage_error(const char *cmd)
{
	fprintf(stderr, "%s: %s: bad usage (see berthctl(1))\n", PROG, cmd);
}

int engine_cmd_checkpoint(struct berthctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "leave-running", no_argument, NULL, 'R' },
		{ "export", required_argument, NULL, 'e' },
		{ "tcp-established", no_argument, NULL, 't' },
		{ "file-locks", no_argument, NULL, 'f' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_checkpoint_opts co = { 0 };
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	cleanup_free char *dir = NULL;
	cleanup_close int efd = -1;
	cleanup_close int sfd = -1;
	const char *export = NULL, *ref;
	berth_error_t err = NULL;
	struct engine_state st;
	struct cr_stats stats;
	bool keep = false;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+Re:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'R':
			co.leave_running = true;
			break;
		case 'e':
			export = optarg;
			break;
		case 't':
			co.tcp_established = true;
			break;
		case 'f':
			co.file_locks = true;
			break;
		case 'k':
			keep = true;
			break;
		default:
			usage_error("checkpoint");
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (optind != argc - 1) {
		usage_error("checkpoint");
		return BERTHCTL_EXIT_ENGINE;
	}
	ref = argv[optind];
	if (engine_ctr_lookup(o, ref, &c, &err) < 0 || engine_ctr_lock(c, &err) < 0)
		return fail(&err);
	engine_ctr_state(c, &st);
	if (st.status != ENGINE_RUNNING) {
		berth_error(&err, EINVAL, "checkpoint `%s`: container is %s", ref,
			    st.checkpointed ? "checkpointed already" : "not running");
		return fail(&err);
	}
	if (export) {
		efd = open(export, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (efd < 0) {
			berth_error_errno(&err, errno, "checkpoint `%s`: export `%s`", ref, export);
			return fail(&err);
		}
	}
	dir = ckpt_path(c, NULL);
	if (dir == NULL)
		return BERTHCTL_EXIT_ENGINE;
	engine_rm_tree(dir);
	co.image = dir;
	/* -t: its console's master is the shim's; the restore gives it a new console */
	co.shell_job = json_is_true(json_object_get(c->rec, "tty"));
	/* the shim learns that the exit it is about to see is this checkpoint */
	if (!co.leave_running) {
		sfd = engine_shim_request(c->p.state, "checkpoint", &err);
		if (sfd < 0) {
			berth_error_wrap(&err, "checkpoint `%s`", ref);
			goto failed;
		}
	}
	if (berth_container_checkpoint(c->p.rtroot, c->id, &co, &stats, &err) < 0 ||
	    save_engine_files(o, c, co.leave_running, &err) < 0) {
		/* the dump's error names the container already */
		if (strncmp(err->msg, "checkpoint", 10) != 0)
			berth_error_wrap(&err, "checkpoint `%s`", ref);
		goto failed;
	}
	if (keep) {
		cleanup_free char *log = ckpt_path(c, "dump.log");
		char line[256];
		int n = snprintf(line, sizeof(line),
				 "checkpoint %s: %llu processes, %llu bytes of memory, frozen %.1f ms\n",
				 c->id, (unsigned long long)stats.nproc,
				 (unsigned long long)stats.page_bytes, stats.frozen_ns / 1e6);
		if (log)
			berth_write_file_atomic(log, line, (size_t)n, 0600, false, NULL);
	}
	/* the shim records the checkpoint, deletes the runtime's state and goes */
	close(steal_fd(&sfd));
	if (!co.leave_running && st.shim_pid > 0)
		engine_wait_pid(st.shim_pid, 10000);
	if (export && export_to(c, efd, export, &err) < 0) {
		unlink(export);
		berth_error_wrap(&err, "checkpoint `%s`", ref);
		return fail(&err);
	}
	printf("%s\n", c->id);
	return 0;
failed:
	engine_rm_tree(dir);
	if (export)
		unlink(export);
	return fail(&err);
}

/* ---- restore ----------------------------------------------------------- */

static void new_id(char id[ENGINE_ID_LEN + 1])
{
	unsigned char raw[ENGINE_ID_LEN / 2];
	struct timespec ts;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)((ts.tv_nsec >> (i % 16)) ^ getpid() ^ (long)i);
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		sprintf(id + 2 * i, "%02x", raw[i]);
}

/* The image the checkpoint was taken from: by ID, else by name (it must be the same image). */
static int import_image(struct storage_store *st, json_t *rec, struct storage_image **img,
			berth_error_t *err)
{
	const char *id = jstr(rec, "image_id"), *name = jstr(rec, "image");

	if (id == NULL || name == NULL)
		return berth_error(err, EINVAL, "the archive names no image");
	if (storage_image_lookup(st, id, img, NULL) == 0)
		return 0;
	if (strcmp(name, STORAGE_DEFAULT_IMAGE) == 0
		    ? storage_image_resolve(st, name, NULL, img, err) < 0
		    : storage_image_lookup(st, name, img, err) < 0)
		return engine_wrap_once(err, "image `%s`", name);
	if (strcmp(storage_image_id(*img), id) != 0)
		return berth_error(err, ENOENT,
				   "image `%s`: the store holds %.19s, the checkpoint was taken from %.19s",
				   name, storage_image_id(*img), id);
	return 0;
}

/* The bundle's config for the new container: its netns and cgroup, the rootfs in the bundle. */
static int import_config(struct engine_ctr *c, const char *tmp, berth_error_t *err)
{
	cleanup_free char *src = NULL;
	cleanup_free char *dst = NULL;
	cleanup_free char *text = NULL;
	cleanup_json json_t *cfg = NULL;
	char cgroup[ENGINE_ID_LEN + 16];
	json_t *linux_, *ns;
	size_t i;

	if (asprintf(&src, "%s/%s", tmp, CKPT_CONFIG) < 0 ||
	    asprintf(&dst, "%s/config.json", c->p.bundle) < 0)
		return berth_error_errno(err, ENOMEM, "import");
	if (berth_json_load_file(src, &cfg, err) < 0)
		return -1;
	json_object_set_new(json_object_get(cfg, "root"), "path", json_string("rootfs"));
	linux_ = json_object_get(cfg, "linux");
	snprintf(cgroup, sizeof(cgroup), "/berth-%s", c->id);
	if (json_is_object(linux_))
		json_object_set_new(linux_, "cgroupsPath", json_string(cgroup));
	json_array_foreach (json_object_get(linux_, "namespaces"), i, ns)
		if (strcmp(jstr(ns, "type") ?: "", "network") == 0 && jstr(ns, "path"))
			json_object_set_new(ns, "path", json_string(c->p.netns));
	text = json_dumps(cfg, JSON_INDENT(1));
	if (text == NULL)
		return berth_error_errno(err, ENOMEM, "import");
	return berth_write_file_atomic(dst, text, strlen(text), 0600, false, err);
}

/*
 * CNI ADD asking the network's IPAM for the old address (berth-ipam and
 * host-local take CNI_ARGS IP=); when it is taken (the exported container
 * still runs here) or refused, the IPAM picks one.  IPAM runs before any
 * interface is made, so a refusal leaves nothing to undo.
 */
static int import_network(struct berthctl_opts *o, struct engine_ctr *c, berth_error_t *err)
{
	const char *old = jstr(c->rec, "ip");
	int ret;

	if (old)
		json_object_set_new(c->rec, "ip_request", json_string(old));
	json_object_del(c->rec, "ip");
	ret = engine_attach_network(o, c, err);
	if (ret < 0 && old) {
		berth_error_release(err);
		json_object_del(c->rec, "ip_request");
		ret = engine_attach_network(o, c, err);
	}
	json_object_del(c->rec, "ip_request");
	return ret < 0 ? -1 : engine_ctr_save(c, err);
}

/* What the container needs around it: rootfs with its changes, config, network. */
static int import_build(struct berthctl_opts *o, struct engine_ctr *c, const char *tmp,
			berth_error_t *err)
{
	cleanup_storage_store struct storage_store *st = NULL;
	cleanup_storage_image struct storage_image *img = NULL;
	cleanup_free char *rootfs = NULL;
	cleanup_free char *diff = NULL;
	cleanup_free char *dst = ckpt_path(c, NULL);
	cleanup_close int fd = -1;

	if (dst == NULL || asprintf(&rootfs, "%s/rootfs", c->p.bundle) < 0 ||
	    asprintf(&diff, "%s/%s", tmp, CKPT_ROOTFS) < 0)
		return berth_error_errno(err, ENOMEM, "import");
	if (berth_mkdir_p(c->p.bundle, 0700, err) < 0 || engine_ctr_lock_create(c, err) < 0 ||
	    engine_ctr_save(c, err) < 0 || storage_store_open(o->root, &st, err) < 0 ||
	    import_image(st, c->rec, &img, err) < 0 ||
	    storage_rootfs_create(st, img, c->id, rootfs, 0, NULL, err) < 0)
		return -1;
	fd = open(diff, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "`%s`", CKPT_ROOTFS);
	if (storage_rootfs_import_changes(st, img, c->id, fd, err) < 0 ||
	    import_config(c, tmp, err) < 0)
		return -1;
	if (own_netns(c->rec) && engine_netns_create(c->p.netns, err) < 0)
		return -1;
	if (uses_cni(c->rec) && import_network(o, c, err) < 0)
		return -1;
	if (rename(tmp, dst) < 0)
		return berth_error_errno(err, errno, "move the checkpoint to `%s`", dst);
	return engine_ctr_save(c, err);
}

/*
 * A container from an exported checkpoint: the archive is unpacked and
 * checked (marker, every process image) before anything else is made.
 */
static int do_import(struct berthctl_opts *o, const char *file, const char *name,
		     struct engine_ctr **out, berth_error_t *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_free char *metap = NULL;
	cleanup_json json_t *meta = NULL;
	cleanup_engine_ctr struct engine_ctr *old = NULL;
	cleanup_close int fd = -1;
	struct engine_ctr *c = NULL;
	char id[ENGINE_ID_LEN + 1];
	uint32_t root_pid;
	const char *oldid;
	int ret = -1;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "import `%s`", file);
	if (asprintf(&tmp, "%s/engine/.import-XXXXXX", o->root) < 0)
		return berth_error_errno(err, ENOMEM, "import");
	*strrchr(tmp, '/') = '\0';
	if (berth_mkdir_p(tmp, 0700, err) < 0)
		return -1;
	tmp[strlen(tmp)] = '/';
	if (mkdtemp(tmp) == NULL)
		return berth_error_errno(err, errno, "import `%s`: temporary directory", file);
	if (asprintf(&metap, "%s/%s", tmp, CKPT_META) < 0) {
		berth_error_errno(err, ENOMEM, "import");
		goto out;
	}
	if (storage_tar_extract(fd, tmp, false, err) < 0) {
		berth_error_wrap(err, "import `%s`", file);
		goto out;
	}
	if (berth_json_load_file(metap, &meta, NULL) < 0 ||
	    strcmp(jstr(json_object_get(meta, "checkpoint"), "format") ?: "", CKPT_FORMAT) != 0 ||
	    (oldid = jstr(meta, "id")) == NULL || jstr(meta, "name") == NULL) {
		berth_error(err, EINVAL, "import `%s`: not a berth checkpoint archive (no %s)", file,
			    CKPT_META);
		goto out;
	}
	if (cr_image_verify(tmp, &root_pid, err) < 0) {
		/* the temporary directory means nothing to the user: the archive is named */
		char prefix[PATH_MAX + 16];
		size_t n = (size_t)snprintf(prefix, sizeof(prefix), "image `%s`: ", tmp);
		if (strncmp((*err)->msg, prefix, n) == 0)
			memmove((*err)->msg, (*err)->msg + n, strlen((*err)->msg + n) + 1);
		berth_error_wrap(err, "import `%s`", file);
		goto out;
	}
	if (name == NULL && engine_ctr_lookup(o, oldid, &old, NULL) == 0) {
		berth_error(err, EEXIST,
			    "import `%s`: container %.12s exists already (give the restored one "
			    "another --name)",
			    file, oldid);
		goto out;
	}
	if (name)
		new_id(id);
	else
		snprintf(id, sizeof(id), "%s", oldid);
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		berth_error_errno(err, ENOMEM, "import");
		goto out;
	}
	c->lock_fd = -1;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->rec = json_deep_copy(meta);
	json_object_del(c->rec, "checkpoint");
	json_object_set_new(c->rec, "id", json_string(c->id));
	if (name)
		json_object_set_new(c->rec, "name", json_string(name));
	if (engine_paths_init(o, c->id, &c->p, err) < 0 ||
	    engine_name_reserve(o, jstr(c->rec, "name"), c->id, err) < 0) {
		engine_ctr_free(c);
		berth_error_wrap(err, "import `%s`", file);
		goto out;
	}
	if (import_build(o, c, tmp, err) < 0) {
		engine_remove(o, c, true, NULL);
		engine_ctr_free(c);
		berth_error_wrap(err, "import `%s`", file);
		goto out;
	}
	*out = c;
	ret = 0;
out:
	engine_rm_tree(tmp);
	return ret;
}

int engine_cmd_restore(struct berthctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "import", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "tcp-established", no_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	cleanup_free char *dir = NULL;
	cleanup_free char *meta = NULL;
	cleanup_free char *exitf = NULL;
	cleanup_free char *exit_text = NULL;
	const char *import = NULL, *name = NULL, *ref;
	berth_error_t err = NULL;
	struct engine_state st;
	size_t exit_len = 0;
	bool keep = false, tcp = false;
	pid_t pid;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+i:n:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			import = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 't':
			tcp = true;
			break;
		case 'k':
			keep = true;
			break;
		default:
			usage_error("restore");
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (import ? optind < argc - 1 : optind != argc - 1) {
		usage_error("restore");
		return BERTHCTL_EXIT_ENGINE;
	}
	if (name && !import) {
		berth_error(&err, EINVAL, "restore: --name only goes with --import");
		return fail(&err);
	}
	if (import) {
		if (do_import(o, import, name, &c, &err) < 0)
			return fail(&err);
		ref = c->id;
	} else {
		ref = argv[optind];
		if (engine_ctr_lookup(o, ref, &c, &err) < 0)
			return fail(&err);
	}
	if (engine_ctr_lock(c, &err) < 0)
		return fail(&err);
	dir = ckpt_path(c, NULL);
	meta = ckpt_path(c, CKPT_META);
	if (dir == NULL || meta == NULL || asprintf(&exitf, "%s/exit", c->p.state) < 0)
		return BERTHCTL_EXIT_ENGINE;
	engine_ctr_state(c, &st);
	if (!import && st.status == ENGINE_RUNNING) {
		berth_error(&err, EBUSY, "restore `%s`: container is running", ref);
		return fail(&err);
	}
	/* a checkpoint taken with -R (or kept) serves once the container has stopped, as in podman */
	if (!import && access(meta, F_OK) < 0) {
		berth_error(&err, EINVAL, "restore `%s`: container is not checkpointed", ref);
		return fail(&err);
	}
	/* kept to mark the container checkpointed again should the restore fail */
	if (!import)
		berth_read_file(exitf, &exit_text, &exit_len, NULL);
	if (!import && own_netns(c->rec) && access(c->p.netns, F_OK) < 0) {
		/* the namespace went (a reboot): a new one, attached again */
		if (engine_netns_create(c->p.netns, &err) < 0 ||
		    (uses_cni(c->rec) && engine_attach_network(o, c, &err) < 0)) {
			engine_netns_remove(c->p.netns);
			berth_error_wrap(&err, "restore `%s`", ref);
			return fail(&err);
		}
	}
	c->restore_image = dir;
	c->restore_tcp = tcp;
	if (engine_start(o, c, false, &pid, &err) < 0) {
		if (strncmp(err->msg, "restore `", 9) != 0)
			berth_error_wrap(&err, "restore `%s`", ref);
		if (import)
			engine_remove(o, c, true, NULL);
		else if (exit_text)
			berth_write_file_atomic(exitf, exit_text, exit_len, 0644, false, NULL);
		return fail(&err);
	}
	if (!keep)
		engine_rm_tree(dir);
	printf("%s\n", c->id);
	return 0;
}
