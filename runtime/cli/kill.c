/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <signal.h>

#include "cleanup.h"
#include "cli.h"
#include "linux.h"
#include "signals.h"

int berth_cmd_kill(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	cleanup_container struct berth_container *c = NULL;
	bool all = false;
	int ch, sig = SIGTERM;
	const char *id;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		if (ch != 'a')
			return berth_cli_bad_option("kill", argc, argv, err), 1;
		all = true;
	}
	if (optind + 2 < argc)
		return berth_error(err, 22, "kill: unexpected argument `%s`", argv[optind + 2]), 1;
	if (optind + 2 == argc) {
		if (berth_signal_parse(argv[optind + 1], &sig, err) < 0)
			return berth_error_wrap(err, "kill"), 1;
		argc--;
	}
	if (berth_cli_one_id("kill", argc, argv, optind, &id, err) < 0)
		return 1;
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0 ||
	    berth_container_kill(c, sig, all, err) < 0) {
		berth_error_wrap(err, "kill");
		return 1;
	}
	return 0;
}
