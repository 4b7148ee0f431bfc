/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cleanup.h"
#include "cli.h"
#include "linux.h"

static int delete_one(struct berth_global *g, const char *id, bool force, berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	enum berth_status s;

	if (berth_id_validate(id, err) < 0)
		return -1;
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0) {
		/* runc: --force on a container that is already gone is not an error;
		 * a state directory without state.json (a create that was killed) goes too */
		if (force && *err && (*err)->errnum == ENOENT) {
			struct berth_container stale = { .id = (char *)id, .lock_fd = -1 };
			char dir[4096];
			int ret;

			berth_error_release(err);
			snprintf(dir, sizeof(dir), "%s/%s", g->root, id);
			stale.dir = dir;
			ret = berth_container_remove_state(&stale, err);
			return ret;
		}
		return -1;
	}
	s = berth_container_status(c);
	if (!force && s != BERTH_STATUS_STOPPED && s != BERTH_STATUS_CREATED)
		return berth_error(err, EBUSY,
				   "cannot delete container `%s` that is %s (stop it or use --force)",
				   id, berth_status_name(s));
	return berth_container_destroy(c, err);
}

int berth_cmd_delete(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (ch != 'f')
			return berth_cli_bad_option("delete", argc, argv, err), 1;
		force = true;
	}
	if (optind >= argc)
		return berth_error(err, EINVAL, "delete: missing container ID"), 1;
	for (int i = optind; i < argc; i++)
		if (delete_one(g, argv[i], force, err) < 0)
			return berth_error_wrap(err, "delete"), 1;
	return 0;
}
