/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/berthctl.h"

static void usage(FILE *f)
{
	fputs("Usage: berthctl [--root DIR] [--runroot DIR] [--runtime PATH] [--shim PATH]\n"
	      "                [--cni-config-dir DIR] [--cni-plugin-dir DIRS] [--debug] COMMAND [ARGS...]\n"
	      "\n"
	      "Commands:\n"
	      "  image       manage images (pull, import, ls, inspect, rm, prune, tag, unpack)\n"
	      "  network     manage CNI networks\n"
	      "  volume      manage named volumes\n"
	      "  run, create, start, ps, logs, attach, exec, stop, kill, rm, inspect, wait, top,\n"
	      "  checkpoint, restore\n"
	      "              manage containers (also as `berthctl container CMD`)\n",
	      f);
}

int main(int argc, char **argv)
{
	struct berthctl_opts opts = { .root = "/var/lib/berth", .runroot = "/run/berth" };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "runroot", required_argument, NULL, 'R' },
		{ "debug", no_argument, NULL, 'd' },
		{ "runtime", required_argument, NULL, 'T' },
		{ "shim", required_argument, NULL, 'S' },
		{ "cni-config-dir", required_argument, NULL, 'C' },
		{ "cni-plugin-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	berthctl_cmd_fn fn = NULL;
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			opts.root = optarg;
			break;
		case 'R':
			opts.runroot = optarg;
			break;
		case 'd':
			opts.debug = 1;
			break;
		case 'T':
			opts.runtime = optarg;
			break;
		case 'S':
			opts.shim = optarg;
			break;
		case 'C':
			opts.cni_config_dir = optarg;
			break;
		case 'P':
			opts.cni_plugin_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("berthctl version 0.1.0");
			return 0;
		default:
			usage(stderr);
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return BERTHCTL_EXIT_ENGINE;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "image") == 0 || strcmp(cmd, "images") == 0) {
		fn = berthctl_cmd_image;
		optind++;
	} else if (strcmp(cmd, "network") == 0) {
		fn = berthctl_cmd_network;
		optind++;
	} else if (strcmp(cmd, "volume") == 0) {
		fn = berthctl_cmd_volume;
		optind++;
	} else if (strcmp(cmd, "container") == 0) {
		fn = berthctl_cmd_container;
		optind++;
	} else {
		/* run, ps, logs, ... are container commands; the group parses argv[0]. */
		fn = berthctl_cmd_container;
	}
	if (fn == NULL) {
		fprintf(stderr, "berthctl: `%s`: this build has no such command\n", cmd);
		return BERTHCTL_EXIT_ENGINE;
	}
	return fn(&opts, argc - optind, argv + optind);
}

int berthctl_dispatch(const char *group, const char *list, const struct berthctl_subcmd *cmds,
		      struct berthctl_opts *opts, int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "berthctl: %s: which command? (%s)\n", group, list);
		return BERTHCTL_EXIT_ENGINE;
	}
	for (; cmds->name; cmds++)
		if (strcmp(argv[0], cmds->name) == 0)
			return cmds->fn(opts, argc, argv);
	fprintf(stderr, "berthctl: %s `%s`: no such command (%s)\n", group, argv[0], list);
	return BERTHCTL_EXIT_ENGINE;
}
