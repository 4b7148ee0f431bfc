/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>

#include "cli.h"
#include "create_opts.h"
#include "linux.h"

int berth_cli_create_opts(const char *verb, int argc, char **argv, struct berth_create_opts *o,
			  bool *detach, bool *keep, berth_error_t *err)
{
	enum { O_CONSOLE = 256, O_PID, O_NOPIVOT, O_KEYRING, O_PRESERVE, O_KEEP };
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "console-socket", required_argument, NULL, O_CONSOLE },
		{ "pid-file", required_argument, NULL, O_PID },
		{ "no-pivot", no_argument, NULL, O_NOPIVOT },
		{ "no-new-keyring", no_argument, NULL, O_KEYRING },
		{ "preserve-fds", required_argument, NULL, O_PRESERVE },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, O_KEEP },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:b:d", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': o->bundle = optarg; break;
		case O_CONSOLE: o->console_socket = optarg; break;
		case O_PID: o->pid_file = optarg; break;
		case O_NOPIVOT: o->no_pivot = true; break;
		case O_KEYRING: o->no_new_keyring = true; break;
		case O_PRESERVE:
			if (berth_cli_uint("--preserve-fds", optarg, &o->preserve_fds, err) < 0)
				return berth_error_wrap(err, "%s", verb);
			break;
		case 'd':
			if (!detach)
				return berth_cli_bad_option(verb, argc, argv, err);
			*detach = true;
			break;
		case O_KEEP:
			if (!keep)
				return berth_cli_bad_option(verb, argc, argv, err);
			*keep = true;
			break;
		default: return berth_cli_bad_option(verb, argc, argv, err);
		}
	}
	return berth_cli_one_id(verb, argc, argv, optind, &o->id, err);
}

int berth_cmd_create(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	struct berth_create_opts o = { .systemd_cgroup = g->systemd_cgroup };
	struct berth_container *c = NULL;

	if (berth_cli_create_opts("create", argc, argv, &o, NULL, NULL, err) < 0)
		return 1;
	if (berth_container_create(g->root, &o, &c, NULL, err) < 0)
		return 1;
	berth_container_free(c);
	return 0;
}
