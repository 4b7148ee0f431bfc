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
	bool tcp_established; /* save established TCP connections (else a named error) */
	/* Unix sockets connected to a socket outside the tree: saved by the peer's name. */
	bool ext_unix_sk;
	/* Save the locks the tree holds on files (else a held lock fails the dump). */
	bool file_locks;
	/*
	 * When the tree is held by a cgroup freezer: called once every thread
	 * is seized, to thaw it (the threads then stop under ptrace).
	 */
	int (*thaw)(void *arg, berth_error_t *err);
	void *thaw_arg;
	/*
	 * A pty slave whose master is outside the tree (a shell job's terminal,
	 * a container's console) is saved as an external terminal; without it,
	 * such a slave fails the dump.
	 */
	bool shell_job;
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
	/*
	 * 0: the root process is created by the restorer with its saved pid.
	 * Else an existing child of the caller becomes the root (a container's
	 * init, pid 1 of its own pid namespace, waiting in a loop): it must be a
	 * fork of the caller, with the saved pid in its namespace.  It gets the
	 * restorer's file descriptions through pass_fds before it is seized;
	 * paths are opened in its root first (openat2 RESOLVE_IN_ROOT), then in
	 * the caller's, and sockets are made in its network namespace.
	 */
	pid_t root_pid;
	/* With root_pid: give the root our fds (same numbers); must return once it holds them. */
	int (*pass_fds)(void *arg, const int *fds, int n, berth_error_t *err);
	void *pass_arg;
	/*
	 * The root's fds 0-2 that are pipes whose other end is not in the tree
	 * (a shim's or a shell's) become our own fds 0-2 (what is still open of
	 * them): the restored tree talks to whoever restores it, as with runc.
	 * Data that was waiting in such a pipe is dropped.
	 */
	bool stdio_from_caller;
	/*
	 * With shell_job: tty_fd (a terminal of ours) becomes every external
	 * terminal of the image, and the controlling terminal of the session
	 * that had one.  tty_new: it is a new pty (it gets the saved window
	 * size too).  Without shell_job an image with an external terminal is
	 * refused before anything is created.
	 */
	bool shell_job, tty_new;
	int tty_fd;
	/* The image may hold established TCP connections (else they are a named error). */
	bool tcp_established;
};

/*
 * Rebuild the tree saved in imgdir as children of the calling process (or
 * in o->root_pid), with their saved pids.  *root gets the root process's
 * pid.  On failure nothing that was created is left running.
 */
int cr_restore_tree(const char *imgdir, const struct cr_restore_opts *o, pid_t *root,
		    struct cr_stats *st, berth_error_t *err);

/*
 * Read every image file in imgdir through (all records and checksums, page
 * data included) without creating anything: the check before a container
 * is built for the image.  *root_pid gets the saved pid of the root process.
 */
int cr_image_verify(const char *imgdir, uint32_t *root_pid, berth_error_t *err);

/*
 * Without tcp_established: fail naming the first established TCP connection
 * the image in imgdir holds (the check before a container is built).
 */
int cr_image_check_tcp(const char *imgdir, bool tcp_established, berth_error_t *err);

#endif
