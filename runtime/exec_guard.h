/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A guard against the CVE-2019-5736 class: a container must never get the
 * berth binary itself executed inside it (e.g. an entrypoint "/proc/self/exe"
 * or a script starting with "#!/proc/self/exe"), because the process would
 * then hold the host's berth binary as its /proc/PID/exe and could reopen it
 * for writing once berth exits.
 *
 * Order for the runtime (container process):
 *   1. berth_exec_guard_init(&g) early, while /proc/self/exe still resolves
 *      to the host binary (before pivot_root; it keeps no fd, only the
 *      binary's device and inode numbers);
 *   2. after pivot_root and just before execve, open the resolved program
 *      (O_PATH or O_RDONLY, with O_CLOEXEC; an O_PATH fd is reopened through
 *      /proc/self/fd to read its "#!" line) and call
 *      berth_exec_guard_check(&g, fd) while still uid 0 (reading needs it): it
 *      refuses when (st_dev, st_ino) of the fd, or of a "#!" interpreter
 *      followed up to BERTH_EXEC_GUARD_DEPTH levels, is berth's own binary;
 * The other half of the defence is the runtime's: make the process
 * non-dumpable (prctl(PR_SET_DUMPABLE, 0)) before it joins the container's
 * PID namespace (exec), so container processes cannot open /proc/PID/exe
 * of a berth process (see Documentation/security.md).
 */
#ifndef BERTH_EXEC_GUARD_H
#define BERTH_EXEC_GUARD_H

#include <sys/types.h>

#include "error.h"

#define BERTH_EXEC_GUARD_DEPTH 4

struct berth_exec_guard {
	dev_t dev;
	ino_t ino;
};

/* Record (dev, ino) of /proc/self/exe. */
int berth_exec_guard_init(struct berth_exec_guard *g, berth_error_t *err);
/* Record (dev, ino) of an explicit file (tests, or a runtime that knows its binary). */
int berth_exec_guard_init_fd(struct berth_exec_guard *g, int fd, berth_error_t *err);
/*
 * 0 when exe_fd may be executed; negative with `refusing to execute the berth
 * binary ...` (EPERM) otherwise.  Interpreter paths are resolved in the
 * caller's current root (the container's after pivot_root).
 */
int berth_exec_guard_check(const struct berth_exec_guard *g, int exe_fd, berth_error_t *err);

#endif
