/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pseudo-terminals across checkpoint/restore (see tty.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "tty.h"
#include "util.h"

/* struct termios2 of the kernel (<asm/termbits.h> clashes with <termios.h>). */
struct ktermios2 {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
	uint32_t ispeed, ospeed;
};
#define K_TCGETS2 _IOR('T', 0x2A, struct ktermios2)
#define K_TCSETS2 _IOW('T', 0x2B, struct ktermios2)
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define PTY_SLAVE_MAJOR 136 /* 136-143: Unix98 pty slaves */

struct cr_tty_dfile {
	uint32_t id;
	pid_t pid, vpid;
	int fd;
	int kind;  /* CR_TTY_MASTER or CR_TTY_SLAVE (external decided at the end) */
	dev_t rdev; /* the slave's device number */
};

struct cr_tty_rfile {
	uint32_t id, ctty_sid, fg;
	int fd;
	bool lock;
};

bool cr_tty_is(dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	return (ma == 5 && mi <= 2) || (ma >= PTY_SLAVE_MAJOR && ma <= PTY_SLAVE_MAJOR + 7);
}

static int grab_fd(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), r = -1;

	if (pidfd >= 0) {
		r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		close(pidfd);
	}
	return r;
}

int cr_tty_note(struct cr_tty_dump *t, uint32_t id, pid_t pid, pid_t vpid, int fd,
		const struct stat *sb, berth_error_t *err)
{
	struct cr_tty_dfile *n, d = { id, pid, vpid, fd, CR_TTY_SLAVE, sb->st_rdev };
	cleanup_close int own = -1;
	unsigned int v;

	if (major(sb->st_rdev) == 5) {
		own = grab_fd(pid, fd);
		if (own < 0)
			return berth_error_errno(err, errno, "process %d: fd %d: get terminal", vpid,
						 fd);
		if (minor(sb->st_rdev) == 2) { /* a master: its slave is pts/N */
			if (ioctl(own, TIOCGPTN, &v) < 0)
				return berth_error_errno(err, errno, "process %d: fd %d: pty number",
							 vpid, fd);
			d.kind = CR_TTY_MASTER;
			d.rdev = makedev(PTY_SLAVE_MAJOR, v);
		} else { /* /dev/tty, /dev/console: the terminal behind it */
			if (ioctl(own, TIOCGDEV, &v) < 0)
				return berth_error_errno(err, errno, "process %d: fd %d: terminal",
							 vpid, fd);
			d.rdev = makedev(major(v), minor(v)); /* new_encode_dev() */
			if (major(d.rdev) < PTY_SLAVE_MAJOR || major(d.rdev) > PTY_SLAVE_MAJOR + 7)
				return berth_error(err, ENOTSUP,
						   "process %d: fd %d (terminal %u:%u): unsupported "
						   "resource: not a pseudo-terminal",
						   vpid, fd, major(d.rdev), minor(d.rdev));
		}
	}
	n = realloc(t->f, (t->n + 1) * sizeof(*n));
	if (n == NULL)
		return berth_error_errno(err, ENOMEM, "terminals");
	t->f = n;
	n[t->n++] = d;
	return 0;
}

/* pgrp, session, tty_nr, tpgid of /proc/PID/stat (our pid namespace's numbers). */
static int proc_tty(pid_t pid, long v[4], berth_error_t *err)
{
	char path[64];
	cleanup_free char *buf = NULL;
	size_t len;
	char *s;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (berth_read_file(path, &buf, &len, err) < 0)
		return -1;
	s = strrchr(buf, ')');
	if (s == NULL || sscanf(s + 2, "%*c %*d %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3]) != 4)
		return berth_error(err, EBADMSG, "process %d: bad stat", (int)pid);
	return 0;
}

static int tty_state(const struct cr_tty_dfile *d, struct cr_r_tty *r, berth_error_t *err)
{
	cleanup_close int fd = grab_fd(d->pid, d->fd);
	struct ktermios2 tio;
	struct winsize ws;
	int v;

	if (fd < 0 || ioctl(fd, K_TCGETS2, &tio) < 0 || ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return berth_error_errno(err, errno, "process %d: fd %d: terminal state", d->vpid,
					 d->fd);
	r->iflag = tio.iflag;
	r->oflag = tio.oflag;
	r->cflag = tio.cflag;
	r->lflag = tio.lflag;
	r->ispeed = tio.ispeed;
	r->ospeed = tio.ospeed;
	r->line = tio.line;
	memcpy(r->cc, tio.cc, sizeof(r->cc));
	r->rows = ws.ws_row;
	r->cols = ws.ws_col;
	r->xpixel = ws.ws_xpixel;
	r->ypixel = ws.ws_ypixel;
	if (d->kind == CR_TTY_MASTER) {
		if (ioctl(fd, TIOCGPTLCK, &v) == 0 && v)
			r->flags |= CR_TTY_LOCKED;
		if (ioctl(fd, TIOCGPKT, &v) == 0 && v)
			r->flags |= CR_TTY_PACKET;
	}
	return 0;
}

int cr_tty_dump_finish(struct cr_tty_dump *t, struct cr_img *files, const struct cr_tty_proc *procs,
		       int nprocs, bool shell_job, berth_error_t *err)
{
	long (*st)[4];
	int ret = -1;

	if (t->n == 0)
		return 0;
	st = calloc(nprocs, sizeof(*st));
	if (st == NULL)
		return berth_error_errno(err, ENOMEM, "terminals");
	for (int i = 0; i < nprocs; i++)
		if (proc_tty(procs[i].pid, st[i], err) < 0)
			goto out;
	/* Masters first: a slave is made from its master. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < t->n; i++) {
			const struct cr_tty_dfile *d = &t->f[i];
			struct cr_r_tty r;
			char path[64];

			if ((d->kind == CR_TTY_MASTER) != (pass == 0))
				continue;
			memset(&r, 0, sizeof(r));
			r.id = d->id;
			r.kind = d->kind;
			r.index = minor(d->rdev) + ((major(d->rdev) - PTY_SLAVE_MAJOR) << 20);
			for (int j = 0; j < t->n && d->kind == CR_TTY_SLAVE; j++)
				if (t->f[j].kind == CR_TTY_MASTER && t->f[j].rdev == d->rdev)
					r.master_id = t->f[j].id;
			if (d->kind == CR_TTY_SLAVE && r.master_id == 0) {
				if (!shell_job) {
					ret = berth_error(err, ENOTSUP,
							  "process %d: fd %d (/dev/pts/%u, terminal): "
							  "unsupported resource: its pty master is "
							  "outside the checkpointed tree (checkpoint "
							  "with --shell-job)",
							  d->vpid, d->fd, r.index);
					goto out;
				}
				r.kind = CR_TTY_EXTERNAL;
			}
			if (tty_state(d, &r, err) < 0)
				goto out;
			/* Who has it as controlling terminal, and its foreground group. */
			for (int p = 0; p < nprocs; p++) {
				dev_t ctty = makedev(major(st[p][2]), minor(st[p][2]));

				if (st[p][2] == 0 || ctty != d->rdev)
					continue;
				if (st[p][1] == procs[p].pid)
					r.ctty_sid = (uint32_t)procs[p].vpid;
				for (int q = 0; q < nprocs && st[p][3] > 0; q++)
					if (st[q][0] == st[p][3])
						r.fg_pgrp = (uint32_t)procs[q].vpgid;
			}
			snprintf(path, sizeof(path), "/dev/pts/%u", r.index);
			if (cr_img_write(files, CR_REC_TTY, &r, sizeof(r), path, strlen(path) + 1,
					 err) < 0)
				goto out;
		}
	ret = 0;
out:
	free(st);
	return ret;
}

void cr_tty_dump_free(struct cr_tty_dump *t)
{
	free(t->f);
	t->f = NULL;
	t->n = 0;
}

/* ---- restore ---- */

static int set_state(int fd, const struct cr_r_tty *r, bool winsize, berth_error_t *err)
{
	struct ktermios2 tio;
	struct winsize ws = { r->rows, r->cols, r->xpixel, r->ypixel };

	memset(&tio, 0, sizeof(tio));
	tio.iflag = r->iflag;
	tio.oflag = r->oflag;
	tio.cflag = r->cflag;
	tio.lflag = r->lflag;
	tio.ispeed = r->ispeed;
	tio.ospeed = r->ospeed;
	tio.line = r->line;
	memcpy(tio.cc, r->cc, sizeof(tio.cc));
	if (ioctl(fd, K_TCSETS2, &tio) < 0)
		return berth_error_errno(err, errno, "set terminal attributes");
	if (winsize && ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return berth_error_errno(err, errno, "set terminal size");
	return 0;
}

int cr_tty_restore_file(struct cr_tty_restore *t, const struct cr_r_tty *r, const char *path,
			int flags, int master_fd, cr_tty_open_fn open_fn, void *open_arg, int *fd,
			berth_error_t *err)
{
	struct cr_tty_rfile *n = realloc(t->f, (t->n + 1) * sizeof(*n));
	int zero = 0, pkt = 1;

	if (n == NULL)
		return berth_error_errno(err, ENOMEM, "terminals");
	t->f = n;
	n = &t->f[t->n];
	memset(n, 0, sizeof(*n));
	n->id = r->id;
	n->ctty_sid = r->ctty_sid;
	n->fg = r->fg_pgrp;
	n->fd = -1;
	switch (r->kind) {
	case CR_TTY_MASTER:
		*fd = open_fn(open_arg, path, O_RDWR | O_NOCTTY | O_CLOEXEC | (flags & O_NONBLOCK));
		if (*fd < 0)
			return berth_error_errno(err, errno, "open pty master `%s`", path);
		if (ioctl(*fd, TIOCSPTLCK, &zero) < 0)
			return berth_error_errno(err, errno, "unlock pty `%s`", path);
		if ((r->flags & CR_TTY_PACKET) && ioctl(*fd, TIOCPKT, &pkt) < 0)
			return berth_error_errno(err, errno, "pty `%s`: packet mode", path);
		n->lock = r->flags & CR_TTY_LOCKED;
		n->fd = *fd;
		break;
	case CR_TTY_SLAVE:
		if (master_fd < 0)
			return berth_error(err, EBADMSG, "files.img: pty slave `%s` without its master",
					   path);
		*fd = ioctl(master_fd, TIOCGPTPEER,
			    (flags & (O_ACCMODE | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC);
		if (*fd < 0)
			return berth_error_errno(err, errno, "open pty slave (was `%s`)", path);
		break;
	case CR_TTY_EXTERNAL:
		if (t->ext_fd < 0)
			return berth_error(err, ENOTSUP,
					   "terminal `%s`: its pty master was outside the "
					   "checkpointed tree: restore with --shell-job or "
					   "--console-socket",
					   path);
		if (!isatty(t->ext_fd))
			return berth_error_errno(err, ENOTTY,
						 "terminal `%s`: the restorer's terminal (fd %d)",
						 path, t->ext_fd);
		*fd = fcntl(t->ext_fd, F_DUPFD_CLOEXEC, 3);
		if (*fd < 0)
			return berth_error_errno(err, errno, "terminal `%s`", path);
		break;
	default:
		return berth_error(err, EBADMSG, "files.img: terminal `%s` of unknown kind %u", path,
				   r->kind);
	}
	t->n++;
	if (set_state(*fd, r, r->kind != CR_TTY_EXTERNAL || t->ext_new, err) < 0)
		return berth_error_wrap(err, "terminal `%s`", path);
	return 0;
}

int cr_tty_restore_finish(struct cr_tty_restore *t, berth_error_t *err)
{
	int one = 1;

	for (int i = 0; i < t->n; i++)
		if (t->f[i].lock && ioctl(t->f[i].fd, TIOCSPTLCK, &one) < 0)
			return berth_error_errno(err, errno, "lock pty");
	return 0;
}

bool cr_tty_ctty(const struct cr_tty_restore *t, uint32_t vpid, uint32_t *file_id, uint32_t *fg)
{
	for (int i = 0; i < t->n; i++)
		if (t->f[i].ctty_sid == vpid) {
			*file_id = t->f[i].id;
			*fg = t->f[i].fg;
			return true;
		}
	return false;
}

void cr_tty_restore_free(struct cr_tty_restore *t)
{
	free(t->f);
	t->f = NULL;
	t->n = 0;
}

int cr_tty_image_external(const char *imgdir, bool *has, char *what, size_t whatlen,
			  berth_error_t *err)
{
	cleanup_close int dirfd = open(imgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct cr_img img;
	struct cr_rec_header h;
	int r, ret = -1;

	*has = false;
	if (dirfd < 0)
		return berth_error_errno(err, errno, "image `%s`", imgdir);
	if (cr_img_open(&img, dirfd, "files.img", CR_KIND_FILES, err) < 0)
		return berth_error_wrap(err, "image `%s`", imgdir);
	while ((r = cr_img_next(&img, &h, err)) > 0) {
		cleanup_free void *p = NULL;

		if (cr_img_read_all(&img, 0, &p, err) < 0)
			goto out;
		if (h.type == CR_REC_TTY && h.len > sizeof(struct cr_r_tty) &&
		    ((struct cr_r_tty *)p)->kind == CR_TTY_EXTERNAL && !*has) {
			*has = true;
			snprintf(what, whatlen, "%s", (char *)p + sizeof(struct cr_r_tty));
		}
	}
	ret = r < 0 ? -1 : 0;
out:
	cr_img_close(&img);
	return ret < 0 ? berth_error_wrap(err, "image `%s`", imgdir) : 0;
}

int cr_tty_console(const char *path, int *slave, berth_error_t *err)
{
	cleanup_close int sock = -1, master = -1;
	char name[64];
	int zero = 0;

	if (berth_console_connect(path, &sock, err) < 0)
		return -1;
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berth_error_errno(err, errno, "open /dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &zero) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return berth_error_errno(err, errno, "pty");
	*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return berth_error_errno(err, errno, "open `%s`", name);
	if (berth_send_fd(sock, master, name, err) < 0) {
		close(*slave);
		*slave = -1;
		return berth_error_wrap(err, "console socket `%s`", path);
	}
	return 0;
}
