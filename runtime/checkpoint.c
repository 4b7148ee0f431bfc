/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checkpoint of a container: the cgroup freezer around the engine's dump (runtime/cr/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "checkpoint.h"
#include "cleanup.h"
#include "container.h"
#include "linux.h"
#include "util.h"

static int thaw(void *arg, berth_error_t *err)
{
	return berth_cgroup_freeze(arg, false, err);
}

/* The container's own description, next to the process images. */
static int save_container(const struct berth_container *c, const char *dir, berth_error_t *err)
{
	cleanup_free char *cfg = NULL, *src = NULL, *dst = NULL, *meta = NULL;
	cleanup_json json_t *j = NULL;
	size_t len;

	if (asprintf(&src, "%s/config.json", c->dir) < 0 ||
	    asprintf(&dst, "%s/config.json", dir) < 0)
		return berth_error_errno(err, ENOMEM, "checkpoint");
	if (berth_read_file(src, &cfg, &len, err) < 0 ||
	    berth_write_file_atomic(dst, cfg, len, 0600, true, err) < 0)
		return -1;
	free(dst);
	dst = NULL;
	j = json_pack("{s:s, s:s, s:s, s:O}", "id", c->id, "bundle", c->bundle, "rootfs",
		      c->rootfs, "annotations", c->annotations);
	meta = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (meta == NULL || asprintf(&dst, "%s/container.json", dir) < 0)
		return berth_error_errno(err, ENOMEM, "checkpoint");
	return berth_write_file_atomic(dst, meta, strlen(meta), 0600, true, err);
}

int berth_container_checkpoint(const char *state_root, const char *id,
			       const struct berth_checkpoint_opts *o, struct cr_stats *st,
			       berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	struct cr_dump_opts d = { .leave_running = o->leave_running,
				  .shell_job = o->shell_job,
				  .tcp_established = o->tcp_established,
				  .ext_unix_sk = o->ext_unix_sk,
				  .file_locks = o->file_locks };
	enum berth_status status;

	if (berth_container_load(state_root, id, &c, err) < 0 || berth_container_lock(c, err) < 0)
		return berth_error_wrap(err, "checkpoint");
	status = berth_container_status(c);
	if (status != BERTH_STATUS_RUNNING)
		return berth_error(err, EINVAL, "checkpoint `%s`: container is %s, not running", id,
				   berth_status_name(status));
	if (berth_mkdir_p(o->image, 0700, err) < 0 || save_container(c, o->image, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`", id);
	if (c->cgroup) {
		/* Frozen, no process can fork or exit while the tree is seized. */
		if (berth_cgroup_freeze(c->cgroup, true, err) < 0)
			return berth_error_wrap(err, "checkpoint `%s`", id);
		d.thaw = thaw;
		d.thaw_arg = c->cgroup;
	}
	if (cr_dump_tree(c->pid, o->image, &d, st, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`", id);
	if (o->leave_running || !o->destroy)
		return 0;
	/* The dump killed the tree; the container is gone: remove it like delete. */
	berth_container_wait_exit(c, 5000);
	if (berth_container_destroy(c, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`: remove the stopped container", id);
	return 0;
}
