/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Established TCP connections across checkpoint/restore, in the kernel's
 * repair mode (TCP_REPAIR): queues, sequence numbers, negotiated options
 * and windows are read and written back without a packet on the wire.
 *
 * Between the dump and the restore the connection has no socket: a
 * segment from the peer would be answered with a reset.  The dump
 * therefore drops the peer's segments to it (an nftables table of its own
 * in the socket's network namespace, "network lock") before it reads the
 * queues; the peer retransmits them to the restored socket once the
 * restore has removed the table.  A dumped process is killed while its
 * sockets are still in repair mode, which sends nothing to the peer.
 */
#ifndef BERTH_CR_TCP_H
#define BERTH_CR_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "image.h"
#include "records.h"

/* The connections a dump holds in repair mode. */
struct cr_tcp_dump {
	struct cr_tcp_held *held;
	int n;
	/* Is pid (ours) a process of the dumped tree?  A socket held outside it is refused. */
	bool (*in_tree)(void *arg, pid_t pid);
	void *arg;
};

/*
 * Lock the connection behind pid's fd, put it into repair mode and write
 * its TCP record (file id) to img.  It stays in repair mode until
 * cr_tcp_dump_done().
 */
int cr_tcp_dump(struct cr_tcp_dump *d, struct cr_img *img, uint32_t id, pid_t pid, int fd,
		berth_error_t *err);

/*
 * The end of a dump.  killed: the processes are dead, the sockets are
 * closed in repair mode (silently) and their lock stays for the restore.
 * Else (left running, or a failed dump) they leave repair mode and the
 * lock is removed: the connections go on.
 */
void cr_tcp_dump_done(struct cr_tcp_dump *d, bool killed);

/*
 * Make the socket of a TCP record (in the current network namespace), in
 * repair mode, with its queues and state.  *fd gets it (close-on-exec);
 * flags are the file's open flags (O_NONBLOCK).  *keep (malloc'ed) gets
 * what cr_tcp_restore_done() needs: the record and the bytes never sent.
 */
int cr_tcp_restore(const struct cr_r_tcp *r, const void *data, size_t len, unsigned int flags,
		   int *fd, struct cr_r_tcp **keep, berth_error_t *err);

/*
 * Let a restored connection go (r: its *keep): leave repair mode, send what
 * was never sent, remove the lock in the network namespace of netns_pid
 * (0: ours).
 */
int cr_tcp_restore_done(int fd, const struct cr_r_tcp *r, pid_t netns_pid, berth_error_t *err);

#endif
