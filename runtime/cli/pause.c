/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berth pause ID: freeze every process of the container (runc pause). */
#include <errno.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"

int berth_cmd_pause(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	enum berth_status st;
	const char *id;

	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return berth_cli_bad_option("pause", argc, argv, err), 1;
	if (berth_cli_one_id("pause", argc, argv, 1, &id, err) < 0)
		return 1;
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0)
		return berth_error_wrap(err, "pause"), 1;
	st = berth_container_status(c);
	if (st != BERTH_STATUS_RUNNING && st != BERTH_STATUS_CREATED)
		return berth_error(err, EINVAL, "pause `%s`: container is %s, not running", id,
				   berth_status_name(st)),
		       1;
	if (c->cgroup == NULL)
		return berth_error(err, EINVAL, "pause `%s`: container has no cgroup", id), 1;
	if (berth_cgroup_freeze(c->cgroup, true, err) < 0)
		return berth_error_wrap(err, "pause `%s`", id), 1;
	c->status = BERTH_STATUS_PAUSED;
	if (berth_container_save(c, err) < 0) {
		berth_error_t ignore = NULL;

		/* Leave it as the recorded state says: running. */
		berth_cgroup_freeze(c->cgroup, false, &ignore);
		berth_error_release(&ignore);
		return berth_error_wrap(err, "pause `%s`", id), 1;
	}
	return 0;
}
