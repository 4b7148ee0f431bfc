/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth's checkpoint/restore engine: dump a process tree (threads, memory,
 * registers, signals, files) into an image directory and rebuild it later
 * with the same pids.  Works on any tree; the container verbs add the
 * cgroup freezer and the container's namespaces around it.
 * See Documentation/checkpoint.md and Documentation/checkpoint-image.md.
 */
#ifndef BERTH_CR_H
#define BERTH_CR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct cr_dump_opts {
	bool leave_running; /* resume the tree after the dump (else it is killed) */
	/*
	 * When the tree is held by a cgroup freezer: called once every thread
	 * is seized, to thaw it (the threads then stop under ptrace).
	 */
	int (*thaw)(void *arg, berth_error_t *err);
	void *thaw_arg;
};

struct cr_stats {
	uint64_t nproc, nthreads, nfiles;
	uint64_t page_bytes;
	uint64_t frozen_ns; /* from the first thread stopped to the last released/killed */
	uint64_t pages_ns;  /* time spent moving page data */
};

/* Dump the tree rooted at pid (a pid of our namespace) into imgdir (created if missing). */
int cr_dump_tree(pid_t pid, const char *imgdir, const struct cr_dump_opts *o, struct cr_stats *st,
		 berth_error_t *err);

struct cr_restore_opts {
	int unused;
};

/*
 * Rebuild the tree saved in imgdir as children of the calling process, in
 * the caller's pid namespace, with their saved pids.  *root gets the root
 * process's pid.  On failure nothing that was created is left running.
 */
int cr_restore_tree(const char *imgdir, const struct cr_restore_opts *o, pid_t *root,
		    struct cr_stats *st, berth_error_t *err);

#endif
