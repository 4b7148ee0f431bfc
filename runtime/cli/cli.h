/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The berth CLI: runtime/main.c parses the global options (runc's) into
 * struct berth_global, then calls the verb's entry point with argv starting
 * at the verb name (argv[0] == "create", ...).  One file per verb in
 * runtime/cli/.  A verb returns the process exit status; on failure it
 * fills *err and returns non-zero, and main prints the error once (text on
 * stderr, and to --log in --log-format).
 */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>

#include "error.h"

struct berth_global {
	const char *root;       /* --root, default /run/berth */
	const char *log;        /* --log FILE (NULL: stderr only) */
	const char *log_format; /* --log-format text|json */
	bool debug;             /* --debug */
	bool systemd_cgroup;    /* --systemd-cgroup */
	const char *criu;       /* --criu (accepted for compatibility, unused) */
	bool rootless_set;      /* --rootless given */
	const char *rootless;   /* --rootless true|false|auto */
};

typedef int (*berth_cmd_fn)(struct berth_global *g, int argc, char **argv, berth_error_t *err);

#define BERTH_VERB(name) \
	int berth_cmd_##name(struct berth_global *g, int argc, char **argv, berth_error_t *err) \
		__attribute__((weak))

BERTH_VERB(create);
BERTH_VERB(start);
BERTH_VERB(run);
BERTH_VERB(state);
BERTH_VERB(kill);
BERTH_VERB(delete);
BERTH_VERB(exec);
BERTH_VERB(ps);
BERTH_VERB(list);
BERTH_VERB(pause);
BERTH_VERB(resume);
BERTH_VERB(update);
BERTH_VERB(events);
BERTH_VERB(spec);
BERTH_VERB(features);
BERTH_VERB(checkpoint);
BERTH_VERB(restore);

#endif
