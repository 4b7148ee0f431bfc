/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "create_opts.h"
#include "linux.h"

int berth_cmd_run(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	struct berth_create_opts o = { .systemd_cgroup = g->systemd_cgroup, .run = true };
	cleanup_container struct berth_container *c = NULL;
	cleanup_close int sync = -1;
	bool detach = false, keep = false;
	sigset_t fwd;
	int status;

	if (berth_cli_create_opts("run", argc, argv, &o, &detach, &keep, err) < 0)
		return 1;
	/* Blocked before create: without --pid-file the program may start as soon
	 * as the container is created, and these signals are then its. */
	berth_cli_block_forwarded(&fwd, !detach);
	if (berth_container_create(g->root, &o, &c, &sync, err) < 0)
		return 1;
	if (berth_container_start_sync(c, &o, sync, err) < 0) {
		berth_error_t e = NULL;
		berth_container_destroy(c, &e);
		berth_error_release(&e);
		return 1;
	}
	berth_container_unlock(c);
	if (detach)
		return 0;
	status = berth_cli_wait(c->pid, &fwd);
	if (!keep) {
		if (berth_container_lock(c, err) < 0 || berth_container_destroy(c, err) < 0)
			return berth_error_wrap(err, "run `%s`", o.id), 1;
	}
	return status;
}
