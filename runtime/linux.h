/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Creating, starting, signalling and destroying containers (libberth's
 * lifecycle, under the verbs create/start/run/kill/delete/exec).
 *
 * berth forks the container process directly (clone3 with the new
 * namespaces); it never re-executes itself.  The parent and the child talk
 * over a SOCK_SEQPACKET pair: the parent writes the id maps, moves the child
 * into its cgroup and runs prestart/createRuntime hooks, then lets it go; the
 * child builds the rootfs, pivots, applies the process settings and reports
 * ready (or the error, which the parent prints).  With `create` the child
 * then blocks opening <state>/exec.fifo for writing until `start` opens it
 * for reading; with `run` it waits for one more message on the socket.
 */
#ifndef BERTH_LINUX_H
#define BERTH_LINUX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"

struct berth_create_opts {
	const char *id;
	const char *bundle; /* NULL: current directory */
	const char *console_socket;
	const char *pid_file;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	bool systemd_cgroup;
	/* run: the child waits on the sync socket instead of exec.fifo;
	 * *sync_fd receives the parent's end for berth_container_start_sync() */
	bool run;
	/* run: the caller has work between create and start (its own state, an
	 * attach), so the child waits for START even without pid_file */
	bool hold;
	/* restore: runs in the container init once its rootfs is ready, before the
	 * process settings (rlimits, caps, seccomp, user); never returns. */
	void (*init_hook)(void *arg, int sync);
	void *init_hook_arg;
};

int berth_container_create(const char *state_root, const struct berth_create_opts *o,
			   struct berth_container **out, int *sync_fd, berth_error_t *err);

/* start: open exec.fifo and let a created container run its program. */
int berth_container_start(struct berth_container *c, berth_error_t *err);
/* run: let the child go over the sync socket and wait until it has exec'd. */
int berth_container_start_sync(struct berth_container *c, const struct berth_create_opts *o,
			       int sync_fd, berth_error_t *err);

/* Signal the init process (all: every process of the cgroup). */
int berth_container_kill(struct berth_container *c, int sig, bool all, berth_error_t *err);

/*
 * Kill what is left, remove the cgroup, run poststop hooks (failures are
 * warnings on stderr) and remove the state directory.
 */
int berth_container_destroy(struct berth_container *c, berth_error_t *err);

/* The OCI state JSON text as hooks and listeners see it, with status s. */
char *berth_container_state_text(struct berth_container *c, enum berth_status s);

struct berth_exec_opts {
	struct berth_process *proc; /* what to run (from --process or built from the flags) */
	const char *console_socket;
	int preserve_fds;
	uint64_t add_caps; /* --cap: added to every set */
};

/*
 * Start a process in a running container: join its namespaces and cgroup,
 * apply proc like the init, exec.  Returns once the program runs (or the
 * error of a failed setup or exec); *pid is the new process, our child.
 */
int berth_container_exec(struct berth_container *c, const struct berth_exec_opts *o, pid_t *pid,
			 berth_error_t *err);

/* Wait up to timeout_ms for the init process to exit (not our child). */
int berth_container_wait_exit(struct berth_container *c, int timeout_ms);

#endif
