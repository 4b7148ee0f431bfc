/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth checkpoint [--image-path DIR] [--work-path DIR] [--leave-running]
 *                  [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] ID
 *
 * Freezes the container's cgroup, dumps its process tree with berth's own
 * engine (runtime/cr/) into DIR together with the container's config, and
 * then stops and deletes the container unless --leave-running.  The
 * numbers of the dump go to WORK/dump.log (and stderr with --debug).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "cr/cr.h"
#include "cr_report.h"
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

int berth_cmd_checkpoint(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
		{ "image-path", required_argument, NULL, 'i' },
		{ "work-path", required_argument, NULL, 'w' },
		{ "leave-running", no_argument, NULL, 'l' },
		{ "tcp-established", no_argument, NULL, 't' },
		{ "ext-unix-sk", no_argument, NULL, 'x' },
		{ "shell-job", no_argument, NULL, 's' },
		{ "file-locks", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	cleanup_container struct berth_container *c = NULL;
	struct cr_dump_opts o = { 0 };
	struct cr_stats st;
	const char *image = "checkpoint", *work = NULL, *id;
	cleanup_free char *report = NULL;
	enum berth_status status;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			image = optarg;
			break;
		case 'w':
			work = optarg;
			break;
		case 'l':
			o.leave_running = true;
			break;
		case 't':
			o.tcp_established = true;
			break;
		case 'x':
		case 's':
		case 'f':
			/*
			 * Accepted for runc compatibility.  External unix sockets,
			 * terminals of a shell job and file locks are not supported
			 * yet: a container using them fails the checkpoint with an
			 * error naming the resource.
			 */
			break;
		default:
			return berth_cli_bad_option("checkpoint", argc, argv, err), 1;
		}
	}
	if (berth_cli_one_id("checkpoint", argc, argv, optind, &id, err) < 0)
		return 1;
	if (work && berth_mkdir_p(work, 0700, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`: work path", id), 1;
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0)
		return berth_error_wrap(err, "checkpoint"), 1;
	status = berth_container_status(c);
	if (status != BERTH_STATUS_RUNNING)
		return berth_error(err, EINVAL, "checkpoint `%s`: container is %s, not running", id,
				   berth_status_name(status)),
		       1;
	if (berth_mkdir_p(image, 0700, err) < 0 || save_container(c, image, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`", id), 1;
	if (c->cgroup) {
		/* Frozen, no process can fork or exit while the tree is seized. */
		if (berth_cgroup_freeze(c->cgroup, true, err) < 0)
			return berth_error_wrap(err, "checkpoint `%s`", id), 1;
		o.thaw = thaw;
		o.thaw_arg = c->cgroup;
	}
	if (cr_dump_tree(c->pid, image, &o, &st, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`", id), 1;
	if (asprintf(&report, "checkpoint %s: %llu processes, %llu bytes of memory, frozen %.1f ms\n",
		     id, (unsigned long long)st.nproc, (unsigned long long)st.page_bytes,
		     st.frozen_ns / 1e6) < 0)
		report = NULL;
	berth_cli_cr_report(report, g->debug, work, "dump.log");
	if (o.leave_running)
		return 0;
	/* The dump killed the tree; the container is gone: remove it like delete. */
	berth_container_wait_exit(c, 5000);
	if (berth_container_destroy(c, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`: remove the stopped container", id), 1;
	return 0;
}
