/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.terminal: a pty made inside the container, its master sent to --console-socket. */
#ifndef BERTH_CONSOLE_H
#define BERTH_CONSOLE_H

#include "error.h"

/* Connect to the AF_UNIX socket at path (on the host, before entering the container). */
int berth_console_connect(const char *path, int *fd, berth_error_t *err);

/*
 * In the container process: open /dev/ptmx (the container's, devpts
 * newinstance), size it, send the master over sock with SCM_RIGHTS, and make
 * the slave the controlling terminal and stdin/stdout/stderr.
 */
int berth_console_setup(int sock, unsigned short height, unsigned short width, berth_error_t *err);

/* Send fd over a unix socket with SCM_RIGHTS, with name as the data. */
int berth_send_fd(int sock, int fd, const char *name, berth_error_t *err);
/* Receive one fd; *fd is -1 when the message had none. */
int berth_recv_fd(int sock, int *fd, char *buf, size_t len, berth_error_t *err);

#endif
