/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checkpoint of a whole container through the engine in runtime/cr/: the
 * verb behind `berth checkpoint`, callable by engines that link libberth
 * (berthctl) without running the CLI.
 */
#ifndef BERTH_CHECKPOINT_H
#define BERTH_CHECKPOINT_H

#include <stdbool.h>

#include "cr/cr.h"
#include "error.h"

struct berth_checkpoint_opts {
	const char *image;  /* image directory (created if missing) */
	bool leave_running; /* resume the container after the dump */
	/*
	 * Without leave_running: delete the stopped container's state, cgroup
	 * and all, as `berth delete` would.  An engine whose supervisor deletes
	 * the container once it sees its init exit leaves this false.
	 */
	bool destroy;
	bool shell_job;       /* cr_dump_opts.shell_job: save a terminal from outside as external */
	bool tcp_established; /* cr_dump_opts.tcp_established: save established connections */
	bool ext_unix_sk;     /* cr_dump_opts.ext_unix_sk: unix peers outside, by name */
	bool file_locks;      /* cr_dump_opts.file_locks: save the locks held on files */
};

/*
 * Freeze the running container ID of state_root, dump its process tree
 * together with its config.json and container.json into o->image, then
 * kill it (unless leave_running).  Errors name the container.
 */
int berth_container_checkpoint(const char *state_root, const char *id,
			       const struct berth_checkpoint_opts *o, struct cr_stats *st,
			       berth_error_t *err);

#endif
