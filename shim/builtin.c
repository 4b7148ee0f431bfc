/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `--runtime builtin`: the runtime's verbs (create, start, exec, delete) run
 * in the forked child of shim_rt_run() through libberth's CLI entry points
 * instead of exec'ing the berth binary.  Same arguments, same stdio, same
 * error line on stderr and exit status as `berth VERB ...`, without the cost
 * of loading a second program three times per container.  Only the child
 * touches this code, so an idle shim's RSS does not grow with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli/cli.h"
#include "shim/shim.h"

int shim_builtin_runtime(int argc, char **argv)
{
	struct berth_global g = {.root = "/run/berth", .log_format = "text"};
	berth_error_t err = NULL;
	berth_cmd_fn fn = NULL;
	int i = 1, ret;

	if (i + 1 < argc && strcmp(argv[i], "--root") == 0) {
		g.root = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		fputs("berth: no command given\n", stderr);
		return 1;
	}
	if (strcmp(argv[i], "create") == 0)
		fn = berth_cmd_create;
	else if (strcmp(argv[i], "start") == 0)
		fn = berth_cmd_start;
	else if (strcmp(argv[i], "exec") == 0)
		fn = berth_cmd_exec;
	else if (strcmp(argv[i], "delete") == 0)
		fn = berth_cmd_delete;
	else if (strcmp(argv[i], "restore") == 0)
		fn = berth_cmd_restore;
	if (fn == NULL) {
		fprintf(stderr, "berth: `%s`: not a built-in runtime command\n", argv[i]);
		return 1;
	}
	optind = 0; /* the verbs parse with getopt_long from argv[1] */
	ret = fn(&g, argc - i, argv + i, &err);
	if (err != NULL) {
		fprintf(stderr, "berth: %s\n", err->msg);
		berth_error_release(&err);
		return ret > 0 ? ret : 1;
	}
	return ret < 0 ? 1 : ret;
}

int shim_builtin_start(const char *root, const char *id, berth_error_t *err)
{
	struct berth_global g = { .root = root ? root : "/run/berth", .log_format = "text" };
	char *argv[] = { "start", (char *)id, NULL };

	optind = 0;
	if (berth_cmd_start(&g, 2, argv, err) != 0) {
		if (*err == NULL)
			berth_error(err, EIO, "start `%s`: failed", id);
		return -1;
	}
	return 0;
}

void shim_builtin_delete(const char *root, const char *id)
{
	struct berth_global g = { .root = root ? root : "/run/berth", .log_format = "text" };
	char *argv[] = { "delete", "--force", (char *)id, NULL };
	berth_error_t err = NULL;

	optind = 0;
	berth_cmd_delete(&g, 3, argv, &err);
	berth_error_release(&err);
}
