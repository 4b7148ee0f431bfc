/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>

#include "cleanup.h"
#include "cli.h"
#include "linux.h"

int berth_cmd_start(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	const char *id;

	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return berth_cli_bad_option("start", argc, argv, err), 1;
	if (berth_cli_one_id("start", argc, argv, 1, &id, err) < 0)
		return 1;
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0)
		return berth_error_wrap(err, "start"), 1;
	if (berth_container_start(c, err) < 0)
		return berth_error_wrap(err, "start `%s`", id), 1;
	return 0;
}
