/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File descriptions beyond the basic ones, for dump.c and restore.c: named
 * FIFOs, UDP sockets, unix sockets with names or outside peers (sockets.c)
 * and locks held on files (fdx.c).  Formats in records.h.
 */
#ifndef BERTH_CR_FDX_H
#define BERTH_CR_FDX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"
#include "image.h"
#include "records.h"

/* ---- dump ---- */

struct cr_usk_dump;
struct cr_fdx_dump {
	struct cr_img *img; /* files.img */
	bool ext_unix_sk, file_locks;
	struct cr_usk_dump *socks; /* unix sockets of type CR_FILE_UNIX_SK seen */
	int nsocks;
	struct cr_r_file_lock *locks;
	int nlocks;
};

/*
 * Is pid's fd (link as /proc shows it) one of the types here?  Returns 1
 * with f->type (and what the FILE record needs) set, 0 when not, <0 on a
 * named error.  vpid names the process in messages.
 */
int cr_fdx_classify(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		    const struct stat *sb, struct cr_r_file *f, berth_error_t *err);
/* After its FILE record: the state records of a file classified above. */
int cr_fdx_state(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		 const struct cr_r_file *f, berth_error_t *err);
/* The locks held through pid's fd (file_id): saved with --file-locks, else a named error. */
int cr_fdx_locks(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, uint32_t file_id,
		 berth_error_t *err);
/* Once every process is dumped: peers outside the tree, the saved locks. */
int cr_fdx_finish(struct cr_fdx_dump *x, berth_error_t *err);
void cr_fdx_dump_free(struct cr_fdx_dump *x);

/* What sock_diag tells of unix socket ino, asked in pid's network namespace. */
struct cr_unix_diag {
	uint32_t peer; /* inode, 0 if none */
	uint8_t state;
	bool named;
	uint32_t rqueue, wqueue; /* listeners: connections waiting, backlog */
};
int cr_unix_diag(pid_t pid, uint32_t ino, struct cr_unix_diag *d, berth_error_t *err);

/* Unix sockets (sockets.c), used by the above. */
int cr_usk_classify(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		    const struct stat *sb, struct cr_r_file *f, berth_error_t *err);
int cr_usk_state(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		 const struct cr_r_file *f, berth_error_t *err);
/* Is its receive queue to be saved (not a listener)?  *type gets the socket type. */
bool cr_usk_queue(struct cr_fdx_dump *x, uint32_t id, int *type);
int cr_usk_finish(struct cr_fdx_dump *x, berth_error_t *err);
int cr_udp_state(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		 const struct cr_r_file *f, berth_error_t *err);

/* ---- restore ---- */

struct cr_usk_restore;
struct cr_fdx_restore {
	pid_t root_pid; /* names are bound in its root when set */
	struct cr_usk_restore *socks;
	int nsocks;
	struct cr_r_file_lock *locks;
	int nlocks;
};

/*
 * A FIFO description: opened by path (open_path: a path of the restored
 * tree), *keeper gets a read-write description that keeps the pipe buffer
 * alive and takes the saved data; same is the keeper of another
 * description of the same FIFO already opened, or -1.
 */
int cr_fifo_open(const struct cr_r_file *f, const char *path, int same,
		 int (*open_path)(void *arg, const char *path, int flags), void *arg, int *fd,
		 int *keeper, berth_error_t *err);

/* Records of files.img for the socket types: 1 when taken, 0 when not ours, <0 error. */
int cr_fdx_file(struct cr_fdx_restore *x, const struct cr_r_file *f, const char *path,
		berth_error_t *err);
int cr_fdx_params(struct cr_fdx_restore *x, const struct cr_r_file_params *p,
		  berth_error_t *err);
int cr_fdx_data(struct cr_fdx_restore *x, const struct cr_r_file_data *d, const void *data,
		size_t n, berth_error_t *err);
int cr_fdx_lock(struct cr_fdx_restore *x, const void *rec, size_t n, berth_error_t *err);
/* All records read: make the sockets (in the current network namespace). */
int cr_fdx_make(struct cr_fdx_restore *x, berth_error_t *err);
/* The fd made for file id (ours to keep from now on), or -1. */
int cr_fdx_take(struct cr_fdx_restore *x, uint32_t id);
void cr_fdx_restore_free(struct cr_fdx_restore *x);

#endif
