/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pseudo-terminals across checkpoint/restore: pty masters (/dev/ptmx),
 * slaves (/dev/pts/N, and /dev/tty or /dev/console naming one), their
 * termios, window size, packet mode and lock, and which session has one as
 * its controlling terminal with which foreground process group.  A slave
 * whose master is outside the tree is "external" (a shell job's terminal, a
 * container's console): the restorer gives it a terminal of its own.
 * Bytes in flight inside a pty (typed and not read yet, written and not read
 * by the master's holder) are not saved: the kernel offers no way to read
 * them without taking them away.
 */
#ifndef BERTH_CR_TTY_H
#define BERTH_CR_TTY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"
#include "image.h"
#include "records.h"

/* ---- checkpoint ---- */

struct cr_tty_dfile;
struct cr_tty_dump {
	struct cr_tty_dfile *f;
	int n;
};

/* Is a character device of this number a terminal berth saves (pty ends, /dev/tty, /dev/console)? */
bool cr_tty_is(dev_t rdev);

/* Note the tty description id (fd of pid, sb its stat) after its FILE record. */
int cr_tty_note(struct cr_tty_dump *t, uint32_t id, pid_t pid, pid_t vpid, int fd,
		const struct stat *sb, berth_error_t *err);

/* A process of the tree: pid in our namespace, pid and process group in the tree's. */
struct cr_tty_proc {
	pid_t pid, vpid, vpgid;
};

/*
 * With every file noted (the tree still stopped): write one TTY record per
 * terminal description into files (masters first).  A slave whose master
 * is not in the tree is refused unless shell_job.
 */
int cr_tty_dump_finish(struct cr_tty_dump *t, struct cr_img *files, const struct cr_tty_proc *procs,
		       int nprocs, bool shell_job, berth_error_t *err);
void cr_tty_dump_free(struct cr_tty_dump *t);

/* ---- restore ---- */

struct cr_tty_rfile;
struct cr_tty_restore {
	struct cr_tty_rfile *f;
	int n;
	int ext_fd;   /* the restorer's terminal for external slaves, -1 without */
	bool ext_new; /* ext_fd is a new pty: it gets the saved window size too */
};

/* Opens a saved path where the restored tree will see it (its root first). */
typedef int (*cr_tty_open_fn)(void *arg, const char *path, int flags);

/*
 * One TTY record (path: the FILE's path, flags its open flags): make the
 * description in *fd.  master_fd: the restored master of a slave, else -1.
 */
int cr_tty_restore_file(struct cr_tty_restore *t, const struct cr_r_tty *r, const char *path,
			int flags, int master_fd, cr_tty_open_fn open_fn, void *open_arg, int *fd,
			berth_error_t *err);
/* After every file: lock what was locked. */
int cr_tty_restore_finish(struct cr_tty_restore *t, berth_error_t *err);
/*
 * The terminal process vpid (a session leader) had as controlling terminal:
 * *file_id gets a description of it, *fg the foreground process group (0:
 * leave it).  False when there is none.
 */
bool cr_tty_ctty(const struct cr_tty_restore *t, uint32_t vpid, uint32_t *file_id, uint32_t *fg);
void cr_tty_restore_free(struct cr_tty_restore *t);

/* Does the image in imgdir hold a terminal whose master was outside the tree? */
int cr_tty_image_external(const char *imgdir, bool *has, char *what, size_t whatlen,
			  berth_error_t *err);

/*
 * A new pty for a restored tree's external terminal: its master is sent
 * over the AF_UNIX socket at path (like `create --console-socket`), *slave
 * gets the other end.
 */
int cr_tty_console(const char *path, int *slave, berth_error_t *err);

#endif
