/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berth resume ID: thaw a paused container (runc resume). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"
#include "util.h"

int berth_cmd_resume(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	enum berth_status st;
	const char *id;

	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return berth_cli_bad_option("resume", argc, argv, err), 1;
	if (berth_cli_one_id("resume", argc, argv, 1, &id, err) < 0)
		return 1;
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0)
		return berth_error_wrap(err, "resume"), 1;
	st = berth_container_status(c);
	if (st != BERTH_STATUS_PAUSED || c->cgroup == NULL)
		return berth_error(err, EINVAL, "resume `%s`: container is %s, not paused", id,
				   berth_status_name(st)),
		       1;
	if (berth_cgroup_freeze(c->cgroup, false, err) < 0)
		return berth_error_wrap(err, "resume `%s`", id), 1;
	/* Paused before `start`: it still waits on its fifo. */
	{
		cleanup_free char *fifo = NULL;

		c->status = asprintf(&fifo, "%s/exec.fifo", c->dir) >= 0 && access(fifo, F_OK) == 0
				? BERTH_STATUS_CREATED
				: BERTH_STATUS_RUNNING;
	}
	if (berth_container_save(c, err) < 0)
		return berth_error_wrap(err, "resume `%s`", id), 1;
	return 0;
}
