/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `--runtime builtin`: the runtime's verbs run through libberth instead of
 * an exec'd berth binary.  exec and restore run in the forked child of
 * shim_rt_run() through the CLI entry points: same arguments, same stdio,
 * same error line on stderr and exit status as `berth VERB ...`.  The
 * container itself is created and started right in the shim
 * (shim_builtin_create(), shim_builtin_run()): its init is the shim's own
 * child, and no process, exec.fifo or state file lies between the two
 * steps.  The shim unmaps the text this touches once idle (shim_trim_text()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli/cli.h"
#include "runtime/container.h"
#include "runtime/linux.h"
#include "shim/shim.h"
#include "util.h"

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

void shim_builtin_delete(const char *root, const char *id)
{
	struct berth_global g = { .root = root ? root : "/run/berth", .log_format = "text" };
	char *argv[] = { "delete", "--force", (char *)id, NULL };
	berth_error_t err = NULL;

	optind = 0;
	berth_cmd_delete(&g, 3, argv, &err);
	berth_error_release(&err);
}

/* The container created by shim_builtin_create() and not yet started. */
static struct {
	struct berth_container *c;
	struct berth_create_opts o;
	int sync;
	char id[256];
} created = { .sync = -1 };

/* fd onto target, the original kept aside in *saved (-1: target was closed). */
static int swap_fd(int fd, int target, int *saved)
{
	*saved = fcntl(target, F_DUPFD_CLOEXEC, 3);
	if (*saved < 0 && errno != EBADF)
		return -1;
	return dup2(fd, target) < 0 ? -1 : 0;
}

static void restore_fd(int target, int saved)
{
	if (saved >= 0) {
		dup2(saved, target);
		close(saved);
	} else {
		close(target);
	}
}

int shim_builtin_create(const char *root, const char *id, const char *bundle, bool hold,
			const char *console_socket, const int stdio[3], pid_t *pid, berth_error_t *err)
{
	cleanup_close int devnull = -1;
	int saved[3] = { -1, -1, -1 }, swapped = 0, ret = -1;

	shim_builtin_forget();
	if (snprintf(created.id, sizeof(created.id), "%s", id) >= (int)sizeof(created.id))
		return berth_error(err, ENAMETOOLONG, "create `%s`: name too long", id);
	created.o = (struct berth_create_opts){
		.id = created.id,
		.bundle = bundle,
		.console_socket = console_socket,
		/* START comes on the sync socket, not through exec.fifo; without hold
		 * the init runs its program as soon as it is ready */
		.run = true,
		.hold = hold,
	};
	/* The init inherits our 0, 1 and 2: its stdio for as long as create runs. */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (; swapped < 3; swapped++) {
		int fd = stdio[swapped] >= 0 ? stdio[swapped] : devnull;
		if (fd < 0 || swap_fd(fd, swapped, &saved[swapped]) < 0) {
			berth_error_errno(err, errno, "create `%s`: stdio", id);
			goto out;
		}
	}
	if (berth_container_create(root ? root : "/run/berth", &created.o, &created.c, &created.sync,
				   err) < 0)
		goto out;
	/* created, for `berth state` and delete until it runs; the lock is retaken to start */
	created.c->status = BERTH_STATUS_CREATED;
	if (berth_container_save(created.c, err) < 0) {
		berth_error_t ignored = NULL;
		berth_error_wrap(err, "create `%s`", id);
		berth_container_destroy(created.c, &ignored);
		berth_error_release(&ignored);
		shim_builtin_forget();
		goto out;
	}
	berth_container_unlock(created.c);
	*pid = created.c->pid;
	ret = 0;
out:
	while (swapped-- > 0)
		restore_fd(swapped, saved[swapped]);
	return ret;
}

int shim_builtin_run(berth_error_t *err)
{
	int ret;

	if (created.c == NULL)
		return berth_error(err, ESRCH, "no container was created");
	ret = berth_container_lock(created.c, err);
	if (ret == 0)
		ret = berth_container_start_sync(created.c, &created.o, created.sync, err);
	shim_builtin_forget();
	return ret;
}

void shim_builtin_forget(void)
{
	/* A created init that loses its sync socket exits without running its program. */
	if (created.sync >= 0)
		close(created.sync);
	created.sync = -1;
	berth_container_free(created.c);
	created.c = NULL;
}
