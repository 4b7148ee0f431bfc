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

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

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

/*
 * Helpers for the verbs (runtime/cli/common.c).  Options are parsed with
 * getopt_long on argv (argv[0] is the verb); these check what is left.
 */
/* Exactly one container ID must remain at argv[optind]; it is returned validated. */
int berth_cli_one_id(const char *verb, int argc, char **argv, int optind_, const char **id,
		     berth_error_t *err);
/* `state`'s JSON (runc's: the OCI state plus rootfs, created, owner). */
struct berth_container;
json_t *berth_cli_state_json(const struct berth_container *c);
/*
 * Wait for our child pid, passing on the signals in fwd (blocked by the
 * caller before the child was started); returns its exit status, or 128+N
 * when signal N killed it.
 */
int berth_cli_wait(pid_t pid, const sigset_t *fwd);

/* Fill fwd with the signals berth_cli_wait passes on and block them (when
 * block is true; fwd stays empty otherwise). */
void berth_cli_block_forwarded(sigset_t *fwd, bool block);
/* A non-negative integer option value. */
int berth_cli_uint(const char *opt, const char *val, int *out, berth_error_t *err);
/* "unknown option" / "missing value" for getopt's '?' and ':' (optopt, argv). */
int berth_cli_bad_option(const char *verb, int argc, char **argv, berth_error_t *err);

#endif
