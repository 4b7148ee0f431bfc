/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime <-> container-process channel (a SOCK_SEQPACKET pair): one
 * type byte, then text; an fd may ride along (SCM_RIGHTS).  Internal to
 * linux.c and exec.c.
 */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include <sys/types.h>

enum {
	BERTH_MSG_GO = 'G',     /* runtime -> child: ids mapped, cgroup joined; payload: state JSON */
	BERTH_MSG_READY = 'R',  /* child -> runtime: set up, waiting for start */
	BERTH_MSG_ERROR = 'E',  /* child -> runtime: payload: the error message */
	BERTH_MSG_NOTIFY = 'N', /* child -> runtime: the seccomp listener fd */
	BERTH_MSG_START = 'S',  /* runtime -> child (run): exec now */
};

int berth_sync_send(int fd, char type, const char *text);
/* Returns the message length, 0 on EOF, negative on error; *passed: a received fd or -1. */
ssize_t berth_sync_recv(int fd, char *buf, size_t len, int *passed);

/*
 * First steps of a forked container process: default signal mask, the
 * runtime's lock dropped, non-dumpable, then wait for GO (exits when the
 * runtime went away).  Returns the GO message's length (payload at buf + 1).
 */
struct berth_container;
ssize_t berth_sync_child_enter(struct berth_container *c, int sync, char *buf, size_t len);

#endif
