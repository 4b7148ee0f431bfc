/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The last steps of a container process, shared by create/run (the init)
 * and exec: limits, working directory, user, capabilities, seccomp,
 * no_new_privs, file descriptors, and the execve of the program.
 */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

struct berth_caps;
struct berth_seccomp;
struct berth_exec_guard;

struct berth_exec_setup {
	const struct berth_process *proc;
	const struct berth_caps *caps;       /* NULL: keep the capabilities */
	const struct berth_seccomp *seccomp; /* NULL: no filter */
	const struct berth_exec_guard *guard;
	int keep_fds; /* fds 3 .. 3+keep_fds-1 are passed to the program */
};

/*
 * In the container process, after pivot_root (or after joining the
 * container's namespaces): rlimits, umask, cwd, the program lookup in the
 * container's PATH (refusing berth's own binary), then seccomp, capabilities,
 * uid/gid and no_new_privs in the order caps.h and seccomp.h prescribe, and
 * every fd but stdio and the kept ones marked close-on-exec.
 * *exe_fd is an O_PATH fd of the program; *notify_fd a seccomp listener fd or -1.
 */
int berth_process_prepare(const struct berth_exec_setup *s, int *exe_fd, char **exe_path,
			  int *notify_fd, berth_error_t *err);

/* execve the prepared program; returns only on failure. */
int berth_process_exec(const struct berth_process *p, int exe_fd, const char *exe_path,
		       berth_error_t *err);

/* Number of fds berth passes on: --preserve-fds plus LISTEN_FDS (socket activation). */
int berth_listen_fds(void);

#endif
