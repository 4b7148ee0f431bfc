/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rebuilding a process tree from a checkpoint image.
 *
 * Every process starts as a copy of the restorer (clone3 with set_tid for
 * the root; clone3 run inside the restored parent for the others), stopped
 * under ptrace.  A small "trampoline" mapping holding one syscall
 * instruction and a data area is placed where no saved mapping lives;
 * everything else is done by system calls the restorer makes the process
 * run from there: move the vDSO to its saved place, unmap the rest, map
 * the saved areas, install fds, threads, signals.  The page data is
 * written with process_vm_writev.  Finally the trampoline is unmapped, the
 * saved registers are set and the process is let go.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/timerfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cr.h"
#include "fdx.h"
#include "image.h"
#include "maps.h"
#include "pages.h"
#include "ptrace.h"
#include "records.h"
#include "tcp.h"
#include "tty.h"
#include "util.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#define TRAMP_SIZE   (64UL << 10)
#define TMP_SIZE     (1UL << 20) /* where the vDSO waits while the space is cleared */
#define TASK_TOP     0x7ffffffff000UL
#define D_ARGS       0x1000 /* offsets in the trampoline's data area */
#define D_TIDS       0x1200
#define D_PATH       0x2000
#define D_AUXV       0x4000
#define D_FILTER     0x6000 /* a seccomp filter: up to 4096 instructions */
#define RESTORE_OPTS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | \
		      PTRACE_O_EXITKILL)

struct rthread {
	struct cr_r_thread r;
	char name[16]; /* comm; empty in images that predate it */
	unsigned char *xstate;
	size_t xlen;
	struct cr_thread ctl;
};

struct rsig {
	uint32_t tid;
	unsigned char si[128];
};

struct rvma {
	struct cr_r_vma v;
	char *path;
};

struct rproc {
	struct cr_r_process pr;
	uint32_t *tids;
	struct cr_r_task task;
	bool has_task;
	char *paths[4];
	void *auxv;
	size_t auxvlen;
	struct rthread *threads;
	int nthreads;
	struct cr_r_sigaction sa[65];
	bool has_sa[65];
	struct rsig *sigs;
	int nsigs;
	struct rvma *vmas;
	int nvmas;
	struct cr_r_creds creds;
	uint32_t *groups;
	bool has_creds;
	struct cr_r_seccomp *filters; /* filters[i].len instructions at filter_data[i] */
	void **filter_data;
	int nfilters;
	struct cr_r_fd *fds;
	int nfds;
	pid_t pid; /* in our namespace, once created */
	bool zombie;     /* CR_PROC_ZOMBIE: created, then made to exit with status */
	uint32_t status;
};

struct rfile {
	struct cr_r_file f;
	char *path;
	int fd;       /* ours, at a high number inherited by the restored processes */
	int other;    /* the other end of a pipe / the write fd of a recreated file */
	char *unlink; /* a recreated deleted file, unlinked when its data is in */
	uint64_t peer; /* unix sockets: the peer's inode */
	int backlog;   /* listening sockets, until listen() */
	bool listening;
	bool from_caller; /* one of our fds 0-2 (stdio_from_caller) */
	struct cr_r_tcp *tcp; /* established TCP connections, in repair mode until the end */
};

struct rctx {
	struct cr_r_epoll_tfd *epolls;
	int nepolls;
	int dirfd;
	struct cr_r_inventory inv;
	struct rproc *procs;
	int nprocs;
	struct rfile *files;
	int nfiles;
	int fdbase;
	unsigned long tramp;
	char *buf; /* CR_PAGES_BUF bytes, for page data */
	struct cr_stats *st;
	const struct cr_restore_opts *o;
	int rootfd; /* O_PATH of the given root process's root directory, or -1 */
	struct cr_tty_restore ttys;
	struct cr_fdx_restore fdx; /* UDP and named unix sockets, file locks */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define GROW(arr, n, err, what)                                                            \
	({                                                                                 \
		void *_p = realloc((arr), ((n) + 1) * sizeof(*(arr)));                     \
		if (_p == NULL)                                                            \
			return berth_error_errno(err, ENOMEM, "%s", what);                 \
		(arr) = _p;                                                                \
		memset(&(arr)[(n)], 0, sizeof(*(arr)));                                    \
		&(arr)[(n)++];                                                             \
	})

/* ---- reading the image ---- */

static int read_inventory(struct rctx *c, berth_error_t *err)
{
	struct cr_img img;
	struct cr_rec_header h;
	cleanup_free void *p = NULL;
	int ret = -1, r;

	if (cr_img_open(&img, c->dirfd, "inventory.img", CR_KIND_INVENTORY, err) < 0)
		goto out;
	while ((r = cr_img_next(&img, &h, err)) > 0) {
		free(p);
		p = NULL;
		if (cr_img_read_all(&img, h.type == CR_REC_INVENTORY ? sizeof(c->inv) : 0, &p,
				    err) < 0)
			goto out;
		if (h.type == CR_REC_INVENTORY)
			memcpy(&c->inv, p, sizeof(c->inv));
	}
	if (r < 0)
		goto out;
	if (c->inv.arch != CR_ARCH_X86_64 || c->inv.page_size != CR_PAGE || c->inv.nproc == 0) {
		ret = berth_error(err, EINVAL, "image: made for another architecture");
		goto out;
	}
	ret = 0;
out:
	cr_img_close(&img);
	return ret;
}

static struct rproc *proc_by_vpid(struct rctx *c, uint32_t vpid)
{
	for (int i = 0; i < c->nprocs; i++)
		if (c->procs[i].pr.pid == vpid)
			return &c->procs[i];
	return NULL;
}

static struct rthread *thread_by_vtid(struct rproc *p, uint32_t tid)
{
	for (int i = 0; i < p->nthreads; i++)
		if (p->threads[i].r.tid == tid)
			return &p->threads[i];
	return NULL;
}

static int read_pstree(struct rctx *c, berth_error_t *err)
{
	struct cr_img img;
	struct cr_rec_header h;
	int ret = -1, r;

	if (cr_img_open(&img, c->dirfd, "pstree.img", CR_KIND_PSTREE, err) < 0)
		goto out;
	while ((r = cr_img_next(&img, &h, err)) > 0) {
		cleanup_free void *p = NULL;
		struct rproc *rp;

		if (cr_img_read_all(&img, 0, &p, err) < 0)
			goto out;
		if (h.type != CR_REC_PROCESS)
			continue;
		rp = realloc(c->procs, (c->nprocs + 1) * sizeof(*rp));
		if (rp == NULL || h.len < sizeof(rp->pr)) {
			ret = berth_error(err, EBADMSG, "pstree.img: bad process record");
			goto out;
		}
		c->procs = rp;
		rp = &c->procs[c->nprocs++];
		memset(rp, 0, sizeof(*rp));
		memcpy(&rp->pr, p, sizeof(rp->pr));
		if (rp->pr.nthreads == 0 || rp->pr.nthreads > 100000 ||
		    h.len < sizeof(rp->pr) + rp->pr.nthreads * 4) {
			ret = berth_error(err, EBADMSG, "pstree.img: bad thread list");
			goto out;
		}
		if (rp->pr.flags & ~CR_PROC_ZOMBIE) {
			ret = berth_error(err, EBADMSG, "pstree.img: process %u: unknown flags %#x",
					  rp->pr.pid, rp->pr.flags);
			goto out;
		}
		if (rp->pr.flags & CR_PROC_ZOMBIE) {
			uint32_t st;

			if (rp->pr.nthreads != 1 || h.len < sizeof(rp->pr) + 8) {
				ret = berth_error(err, EBADMSG,
						  "pstree.img: process %u: bad zombie record",
						  rp->pr.pid);
				goto out;
			}
			memcpy(&st, (char *)p + sizeof(rp->pr) + 4, 4);
			if (!WIFEXITED(st) && !WIFSIGNALED(st)) {
				ret = berth_error(err, EBADMSG,
						  "pstree.img: process %u: bad exit status %#x",
						  rp->pr.pid, st);
				goto out;
			}
			rp->zombie = true;
			rp->status = st;
		}
		rp->tids = malloc(rp->pr.nthreads * 4);
		if (rp->tids == NULL)
			goto out;
		memcpy(rp->tids, (char *)p + sizeof(rp->pr), rp->pr.nthreads * 4);
	}
	if (r < 0)
		goto out;
	if ((uint32_t)c->nprocs != c->inv.nproc || c->procs[0].pr.pid != c->inv.root_pid) {
		ret = berth_error(err, EBADMSG, "pstree.img does not match inventory.img");
		goto out;
	}
	ret = 0;
out:
	cr_img_close(&img);
	return ret;
}

static int core_record(struct rproc *rp, const struct cr_rec_header *h, void *p,
		       berth_error_t *err)
{
	switch (h->type) {
	case CR_REC_TASK:
		memcpy(&rp->task, p, sizeof(rp->task));
		rp->has_task = true;
		break;
	case CR_REC_PATH: {
		struct cr_r_path *ph = p;

		if (ph->tag >= 1 && ph->tag <= 3) {
			free(rp->paths[ph->tag]);
			rp->paths[ph->tag] = strdup((char *)p + sizeof(*ph));
		}
		break;
	}
	case CR_REC_AUXV:
		free(rp->auxv);
		rp->auxv = malloc(h->len);
		if (rp->auxv == NULL)
			return berth_error_errno(err, ENOMEM, "auxv");
		memcpy(rp->auxv, p, h->len);
		rp->auxvlen = h->len;
		break;
	case CR_REC_THREAD: {
		struct rthread *t = GROW(rp->threads, rp->nthreads, err, "threads");

		memcpy(&t->r, p, sizeof(t->r));
		if (h->len > sizeof(t->r)) {
			size_t n = h->len - sizeof(t->r);

			memcpy(t->name, (char *)p + sizeof(t->r), n < 15 ? n : 15);
			t->name[15] = '\0';
		}
		break;
	}
	case CR_REC_XSTATE: {
		struct rthread *t = thread_by_vtid(rp, ((struct cr_r_xstate *)p)->tid);

		if (t == NULL)
			return berth_error(err, EBADMSG, "fpu state of an unknown thread");
		t->xlen = h->len - sizeof(struct cr_r_xstate);
		t->xstate = malloc(t->xlen);
		if (t->xstate == NULL)
			return berth_error_errno(err, ENOMEM, "fpu state");
		memcpy(t->xstate, (char *)p + sizeof(struct cr_r_xstate), t->xlen);
		break;
	}
	case CR_REC_SIGACTION: {
		struct cr_r_sigaction *sa = p;

		if (sa->sig >= 1 && sa->sig <= 64) {
			rp->sa[sa->sig] = *sa;
			rp->has_sa[sa->sig] = true;
		}
		break;
	}
	case CR_REC_SIGINFO: {
		struct rsig *s = GROW(rp->sigs, rp->nsigs, err, "signals");

		s->tid = ((struct cr_r_siginfo *)p)->tid;
		memcpy(s->si, (char *)p + sizeof(struct cr_r_siginfo), 128);
		break;
	}
	case CR_REC_VMA: {
		struct rvma *v = GROW(rp->vmas, rp->nvmas, err, "mappings");

		memcpy(&v->v, p, sizeof(v->v));
		if (h->len > sizeof(v->v) && ((char *)p)[sizeof(v->v)])
			v->path = strdup((char *)p + sizeof(v->v));
		if (v->v.start >= v->v.end || v->v.end > TASK_TOP || (v->v.start % CR_PAGE))
			return berth_error(err, EBADMSG, "bad mapping record");
		break;
	}
	case CR_REC_CREDS:
		memcpy(&rp->creds, p, sizeof(rp->creds));
		if (rp->creds.ngroups > 64 ||
		    h->len != sizeof(rp->creds) + rp->creds.ngroups * 4 ||
		    (rp->creds.seccomp != 0 && rp->creds.seccomp != 2))
			return berth_error(err, EBADMSG, "bad credentials record");
		free(rp->groups);
		rp->groups = malloc(rp->creds.ngroups * 4 + 4);
		if (rp->groups == NULL)
			return berth_error_errno(err, ENOMEM, "groups");
		memcpy(rp->groups, (char *)p + sizeof(rp->creds), rp->creds.ngroups * 4);
		rp->has_creds = true;
		break;
	case CR_REC_SECCOMP: {
		struct cr_r_seccomp *f = p;
		void **d;

		if (f->len == 0 || f->len > 4096 || h->len != sizeof(*f) + (uint64_t)f->len * 8 ||
		    f->index != (uint32_t)rp->nfilters)
			return berth_error(err, EBADMSG, "bad seccomp filter record");
		d = realloc(rp->filter_data, (rp->nfilters + 1) * sizeof(*d));
		if (d == NULL)
			return berth_error_errno(err, ENOMEM, "seccomp");
		rp->filter_data = d;
		d[rp->nfilters] = malloc((size_t)f->len * 8);
		if (d[rp->nfilters] == NULL)
			return berth_error_errno(err, ENOMEM, "seccomp");
		memcpy(d[rp->nfilters], (char *)p + sizeof(*f), (size_t)f->len * 8);
		*GROW(rp->filters, rp->nfilters, err, "seccomp") = *f;
		break;
	}
	case CR_REC_FD: {
		struct cr_r_fd *f = GROW(rp->fds, rp->nfds, err, "fds");

		memcpy(f, p, sizeof(*f));
		break;
	}
	default:
		return berth_error(err, EBADMSG, "unknown record type %u", h->type);
	}
	return 0;
}

static size_t min_len(uint32_t type)
{
	switch (type) {
	case CR_REC_TASK:
		return sizeof(struct cr_r_task);
	case CR_REC_PATH:
		return sizeof(struct cr_r_path);
	case CR_REC_THREAD:
		return sizeof(struct cr_r_thread);
	case CR_REC_XSTATE:
		return sizeof(struct cr_r_xstate);
	case CR_REC_SIGACTION:
		return sizeof(struct cr_r_sigaction);
	case CR_REC_SIGINFO:
		return sizeof(struct cr_r_siginfo) + 128;
	case CR_REC_VMA:
		return sizeof(struct cr_r_vma);
	case CR_REC_FD:
		return sizeof(struct cr_r_fd);
	case CR_REC_CREDS:
		return sizeof(struct cr_r_creds);
	case CR_REC_SECCOMP:
		return sizeof(struct cr_r_seccomp);
	}
	return 0;
}

static int read_core(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	char name[64];
	struct cr_img img;
	struct cr_rec_header h;
	int ret = -1, r;

	snprintf(name, sizeof(name), "core-%u.img", rp->pr.pid);
	if (cr_img_open(&img, c->dirfd, name, CR_KIND_CORE, err) < 0)
		goto out;
	while ((r = cr_img_next(&img, &h, err)) > 0) {
		cleanup_free void *p = NULL;

		if (cr_img_read_all(&img, min_len(h.type), &p, err) < 0)
			goto out;
		if (core_record(rp, &h, p, err) < 0) {
			berth_error_wrap(err, "image file `%s`", name);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (!rp->has_task || rp->nthreads != (int)rp->pr.nthreads) {
		ret = berth_error(err, EBADMSG, "image file `%s`: incomplete", name);
		goto out;
	}
	ret = 0;
out:
	cr_img_close(&img);
	return ret;
}

/* ---- files: opened here, inherited by every restored process ---- */

static struct rfile *file_by_id(struct rctx *c, uint32_t id)
{
	for (int i = 0; i < c->nfiles; i++)
		if (c->files[i].f.id == id)
			return &c->files[i];
	return NULL;
}

static struct rfile *file_by_ino(struct rctx *c, uint32_t type, uint64_t ino)
{
	for (int i = 0; i < c->nfiles; i++)
		if (c->files[i].f.type == type && c->files[i].f.ino == ino)
			return &c->files[i];
	return NULL;
}

static int to_high(struct rctx *c, int *fd, berth_error_t *err)
{
	int n;

	if (*fd < 0)
		return 0;
	n = fcntl(*fd, F_DUPFD_CLOEXEC, c->fdbase);
	if (n < 0)
		return berth_error_errno(err, errno, "move fd");
	close(*fd);
	*fd = n;
	return 0;
}

/*
 * Open a saved path: in the given root process's root first (a container's
 * own files), else in ours (files the container was handed from outside,
 * e.g. its stdout).  *used (if asked) gets a path naming the same file for us.
 */
static int open_path(struct rctx *c, const char *path, int flags, mode_t mode, char **used)
{
	int fd = -1;

	if (c->rootfd >= 0) {
		struct open_how how = { .flags = (uint64_t)flags,
					.mode = (flags & O_CREAT) ? mode : 0,
					.resolve = RESOLVE_IN_ROOT };

		fd = (int)syscall(SYS_openat2, c->rootfd, path, &how, sizeof(how));
		if (fd >= 0 && used &&
		    asprintf(used, "/proc/%d/root%s", (int)c->o->root_pid, path) < 0) {
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		if (fd >= 0 || errno != ENOENT)
			return fd;
	}
	fd = open(path, flags, mode);
	if (fd >= 0 && used && (*used = strdup(path)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

static int open_deleted(struct rctx *c, struct rfile *rf, berth_error_t *err)
{
	int fd = open_path(c, rf->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, rf->f.mode & 07777,
			   &rf->unlink);
	cleanup_free char *alt = NULL;

	if (fd < 0 && errno == EEXIST) {
		/* The name is taken again: recreate it next to it. */
		if (asprintf(&alt, "%s.berth-restore.%d", rf->path, getpid()) < 0)
			return berth_error_errno(err, ENOMEM, "file");
		fd = open_path(c, alt, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, rf->f.mode & 07777,
			       &rf->unlink);
	}
	if (fd < 0)
		return berth_error_errno(err, errno, "recreate deleted file `%s`", rf->path);
	rf->other = fd;
	rf->fd = open(rf->unlink, (rf->f.flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC);
	if (rf->fd < 0)
		return berth_error_errno(err, errno, "reopen deleted file `%s`", rf->path);
	return 0;
}

static int open_pipe(struct rctx *c, struct rfile *rf, berth_error_t *err)
{
	int p[2];
	bool rd = (rf->f.flags & O_ACCMODE) == O_RDONLY;

	/* Another description of a pipe already made: open the pipe again. */
	for (int i = 0; i < c->nfiles; i++) {
		struct rfile *o = &c->files[i];
		char path[64];

		if (o == rf || o->f.type != CR_FILE_PIPE || o->f.ino != rf->f.ino || o->fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", o->fd);
		rf->fd = open(path, (rd ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NONBLOCK);
		if (rf->fd < 0)
			return berth_error_errno(err, errno, "reopen pipe");
		return fcntl(rf->fd, F_SETFL, rf->f.flags) < 0 ? -1 : 0;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "pipe");
	if (rf->f.pipe_size)
		fcntl(p[0], F_SETPIPE_SZ, rf->f.pipe_size);
	rf->fd = rd ? p[0] : p[1];
	rf->other = rd ? p[1] : p[0];
	fcntl(rf->fd, F_SETFL, rf->f.flags);
	return 0;
}

static int fifo_path(void *arg, const char *path, int flags)
{
	return open_path(arg, path, flags, 0, NULL);
}

/* A named FIFO: the descriptions of one FIFO share the first one's keeper (its buffer). */
static int open_fifo(struct rctx *c, struct rfile *rf, berth_error_t *err)
{
	int same = -1;

	for (int i = 0; i < c->nfiles; i++)
		if (&c->files[i] != rf && c->files[i].f.type == CR_FILE_FIFO &&
		    c->files[i].f.ino == rf->f.ino && c->files[i].other >= 0)
			same = c->files[i].other;
	return cr_fifo_open(&rf->f, rf->path, same, fifo_path, c, &rf->fd, &rf->other, err);
}

static int open_file(struct rctx *c, struct rfile *rf, berth_error_t *err)
{
	int flags = (rf->f.flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC;

	switch (rf->f.type) {
	case CR_FILE_REG:
		if (rf->f.deleted) {
			if (open_deleted(c, rf, err) < 0)
				return -1;
		} else {
			rf->fd = open_path(c, rf->path, flags, 0, NULL);
		}
		break;
	case CR_FILE_DIR:
	case CR_FILE_CHR:
		rf->fd = open_path(c, rf->path, flags, 0, NULL);
		break;
	case CR_FILE_MEMFD: {
		char name[256];
		const char *s = rf->path + 7;
		size_t n = strlen(s);

		if (n > 10 && strcmp(s + n - 10, " (deleted)") == 0)
			n -= 10;
		snprintf(name, sizeof(name), "%.*s", (int)(n > 240 ? 240 : n), s);
		rf->fd = memfd_create(name, MFD_CLOEXEC);
		if (rf->fd >= 0)
			fcntl(rf->fd, F_SETFL, rf->f.flags);
		break;
	}
	case CR_FILE_PIPE:
		if (open_pipe(c, rf, err) < 0)
			return -1;
		break;
	case CR_FILE_EPOLL:
		rf->fd = epoll_create1(EPOLL_CLOEXEC);
		break;
	case CR_FILE_FIFO:
		if (open_fifo(c, rf, err) < 0)
			return -1;
		break;
	case CR_FILE_UDP:
	case CR_FILE_UNIX_SK:
		return cr_fdx_file(&c->fdx, &rf->f, rf->path, err) < 0 ? -1 : 0;
	case CR_FILE_EVENTFD:
	case CR_FILE_SIGNALFD:
	case CR_FILE_TIMERFD:
	case CR_FILE_UNIX:
	case CR_FILE_TCP_LISTEN:
	case CR_FILE_TTY:
	case CR_FILE_TCP:
		return 0; /* made when their parameters come */
	default:
		return berth_error(err, EBADMSG, "files.img: unknown file type %u", rf->f.type);
	}
	if (rf->fd < 0)
		return berth_error_errno(err, errno, "open `%s`", rf->path);
	if ((rf->f.type == CR_FILE_REG || rf->f.type == CR_FILE_DIR) && !rf->f.deleted &&
	    lseek(rf->fd, (off_t)rf->f.pos, SEEK_SET) < 0 && errno != ESPIPE)
		return berth_error_errno(err, errno, "seek `%s`", rf->path);
	return 0;
}

static int file_data(struct rctx *c, struct rfile *rf, const struct cr_r_file_data *d,
		     const char *data, size_t n, berth_error_t *err)
{
	int fd = rf->f.type == CR_FILE_MEMFD ? rf->fd : rf->other;

	if (rf->f.type == CR_FILE_TCP_LISTEN) {
		if (rf->fd < 0 || bind(rf->fd, (const struct sockaddr *)data, (socklen_t)n) < 0 ||
		    listen(rf->fd, rf->backlog) < 0)
			return berth_error_errno(err, rf->fd < 0 ? EBADMSG : errno,
						 "listen again on `%s`", rf->path);
		rf->listening = true;
		return 0;
	}
	if (rf->f.type == CR_FILE_UNIX) {
		/* It waits in rf's queue: send it from the peer end. */
		struct rfile *peer = file_by_ino(c, CR_FILE_UNIX, rf->peer);
		int sfd = rf->other >= 0 ? rf->other : peer ? peer->fd : -1;

		if (sfd < 0 || send(sfd, data, n, MSG_DONTWAIT) != (ssize_t)n)
			return berth_error_errno(err, sfd < 0 ? EBADMSG : errno,
						 "refill unix socket queue");
		return 0;
	}
	if (rf->f.type == CR_FILE_PIPE || rf->f.type == CR_FILE_FIFO) {
		if (berth_write_all(rf->other >= 0 && (rf->f.flags & O_ACCMODE) == O_RDONLY
					    ? rf->other
					    : rf->fd,
				    data, n) != (ssize_t)n)
			return berth_error_errno(err, errno, "refill pipe");
		return 0;
	}
	if (fd < 0 || pwrite(fd, data, n, (off_t)d->offset) != (ssize_t)n)
		return berth_error_errno(err, errno, "write content of `%s`", rf->path);
	return 0;
}

/* A socketpair end: the pair is made with the first end, the second takes the other fd. */
static int open_unix(struct rctx *c, struct rfile *rf, const struct cr_r_file_params *p,
		     berth_error_t *err)
{
	struct rfile *peer = file_by_ino(c, CR_FILE_UNIX, p->p[0]);
	int sv[2];

	rf->peer = p->p[0];
	if (peer && peer->other >= 0) {
		rf->fd = peer->other;
		peer->other = -1;
	} else {
		if (socketpair(AF_UNIX, (int)p->p[1] | SOCK_CLOEXEC, 0, sv) < 0)
			return berth_error_errno(err, errno, "socketpair");
		rf->fd = sv[0];
		rf->other = sv[1];
	}
	if (rf->f.flags & O_NONBLOCK)
		fcntl(rf->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static int file_params(struct rctx *c, struct rfile *rf, const struct cr_r_file_params *p,
		       berth_error_t *err)
{
	bool nb = rf->f.flags & O_NONBLOCK;

	if (rf->fd >= 0)
		return berth_error(err, EBADMSG, "files.img: parameters given twice");
	switch (rf->f.type) {
	case CR_FILE_EVENTFD:
		rf->fd = eventfd((unsigned int)p->p[0], EFD_CLOEXEC | (nb ? EFD_NONBLOCK : 0) |
								(p->p[1] ? EFD_SEMAPHORE : 0));
		if (rf->fd >= 0 && p->p[0] > UINT32_MAX) { /* eventfd() takes 32 bits */
			uint64_t more = p->p[0] - (unsigned int)p->p[0];

			if (write(rf->fd, &more, 8) != 8)
				return berth_error_errno(err, errno, "restore eventfd count");
		}
		break;
	case CR_FILE_SIGNALFD: {
		sigset_t m;

		sigemptyset(&m);
		for (int sig = 1; sig <= 64; sig++)
			if (p->p[0] & (1ULL << (sig - 1)))
				sigaddset(&m, sig);
		rf->fd = signalfd(-1, &m, SFD_CLOEXEC | (nb ? SFD_NONBLOCK : 0));
		break;
	}
	case CR_FILE_TIMERFD: {
		struct itimerspec its = { { (time_t)p->p[5], (long)p->p[6] },
					  { (time_t)p->p[3], (long)p->p[4] } };
		uint64_t ticks = p->p[1];

		/*
		 * A periodic timer that expired and was not read yet shows 0 left: the
		 * kernel re-arms it only on the read.  Armed with 0 it would be off for
		 * good; it is due, so it fires at once.
		 */
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0 &&
		    (its.it_interval.tv_sec || its.it_interval.tv_nsec))
			its.it_value.tv_nsec = 1;
		rf->fd = timerfd_create((int)p->p[0], TFD_CLOEXEC | (nb ? TFD_NONBLOCK : 0));
		if (rf->fd >= 0 && timerfd_settime(rf->fd, 0, &its, NULL) < 0)
			return berth_error_errno(err, errno, "restore timerfd");
		if (rf->fd >= 0 && ticks && ioctl(rf->fd, TFD_IOC_SET_TICKS, &ticks) < 0)
			return berth_error_errno(err, errno, "restore timerfd ticks");
		break;
	}
	case CR_FILE_UNIX:
		return open_unix(c, rf, p, err);
	case CR_FILE_TCP_LISTEN: {
		int one = 1, v6only = (int)p->p[3];

		/* Bound and listening when its address comes (FILE_DATA). */
		rf->fd = socket((int)p->p[0], SOCK_STREAM | SOCK_CLOEXEC | (nb ? SOCK_NONBLOCK : 0),
				0);
		if (rf->fd >= 0 && p->p[1])
			setsockopt(rf->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (rf->fd >= 0 && p->p[2])
			setsockopt(rf->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		if (rf->fd >= 0 && p->p[0] == AF_INET6)
			setsockopt(rf->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
		rf->backlog = (int)p->p[4];
		break;
	}
	default:
		return berth_error(err, EBADMSG, "files.img: parameters of a file without any");
	}
	if (rf->fd < 0)
		return berth_error_errno(err, errno, "recreate `%s`", rf->path);
	return 0;
}

static int tty_open_path(void *arg, const char *path, int flags)
{
	return open_path(arg, path, flags, 0, NULL);
}

static int tty_file(struct rctx *c, const struct cr_r_tty *t, const char *path,
		    berth_error_t *err)
{
	struct rfile *rf = file_by_id(c, t->id);
	struct rfile *m = t->master_id ? file_by_id(c, t->master_id) : NULL;

	if (rf == NULL || rf->f.type != CR_FILE_TTY || rf->fd >= 0 || (t->master_id && m == NULL))
		return berth_error(err, EBADMSG, "files.img: bad terminal record (`%s`)", path);
	return cr_tty_restore_file(&c->ttys, t, rf->path, (int)rf->f.flags, m ? m->fd : -1,
				   tty_open_path, c, &rf->fd, err);
}

/* Is rf a pipe end whose other end no description in the image has? */
static bool external_pipe(struct rctx *c, const struct rfile *rf)
{
	bool rd = (rf->f.flags & O_ACCMODE) == O_RDONLY;

	if (rf->f.type != CR_FILE_PIPE)
		return false;
	for (int i = 0; i < c->nfiles; i++) {
		const struct rfile *o = &c->files[i];

		if (o != rf && o->f.type == CR_FILE_PIPE && o->f.ino == rf->f.ino &&
		    ((o->f.flags & O_ACCMODE) == O_RDONLY) != rd)
			return false;
	}
	return true;
}

static int caller_stdio(struct rctx *c, berth_error_t *err)
{
	struct rproc *root = &c->procs[0];

	for (int i = 0; i < root->nfds; i++) {
		struct rfile *rf = file_by_id(c, root->fds[i].file_id);
		int n = (int)root->fds[i].fd, fd;

		if (n > 2 || rf == NULL || rf->from_caller || !external_pipe(c, rf) ||
		    fcntl(n, F_GETFD) < 0)
			continue;
		fd = fcntl(n, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return berth_error_errno(err, errno, "fd %d", n);
		close(rf->fd);
		if (rf->other >= 0)
			close(rf->other);
		rf->fd = fd;
		rf->other = -1;
		rf->from_caller = true;
	}
	return 0;
}

/* An established connection: made in repair mode, let go by tcp_done(). */
static int tcp_record(struct rctx *c, const void *p, size_t len, berth_error_t *err)
{
	const struct cr_r_tcp *r = p;
	struct rfile *rf = file_by_id(c, r->id);

	if (rf == NULL || rf->f.type != CR_FILE_TCP || rf->fd >= 0)
		return berth_error(err, EBADMSG, "files.img: TCP state of unknown file");
	if (!c->o->tcp_established)
		return berth_error(err, ENOTSUP,
				   "`%s`: the image holds an established TCP connection: restore "
				   "it with --tcp-established",
				   rf->path);
	return cr_tcp_restore(r, (const char *)p + sizeof(*r), len - sizeof(*r), rf->f.flags,
			      &rf->fd, &rf->tcp, err);
}

static int tcp_done(struct rctx *c, berth_error_t *err)
{
	for (int i = 0; i < c->nfiles; i++)
		if (c->files[i].tcp &&
		    cr_tcp_restore_done(c->files[i].fd, c->files[i].tcp, c->o->root_pid, err) < 0)
			return -1;
	return 0;
}

static int read_files(struct rctx *c, berth_error_t *err)
{
	struct cr_img img;
	struct cr_rec_header h;
	int ret = -1, r;

	if (cr_img_open(&img, c->dirfd, "files.img", CR_KIND_FILES, err) < 0)
		goto out;
	while ((r = cr_img_next(&img, &h, err)) > 0) {
		cleanup_free void *p = NULL;

		if (cr_img_read_all(&img, h.type == CR_REC_FILE	      ? sizeof(struct cr_r_file)
					  : h.type == CR_REC_FILE_PARAMS ? sizeof(struct cr_r_file_params)
					  : h.type == CR_REC_EPOLL_TFD   ? sizeof(struct cr_r_epoll_tfd)
					  : h.type == CR_REC_TTY	 ? sizeof(struct cr_r_tty)
					  : h.type == CR_REC_TCP	 ? sizeof(struct cr_r_tcp)
									 : sizeof(struct cr_r_file_data),
				    &p, err) < 0)
			goto out;
		if (h.type == CR_REC_FILE_LOCK) {
			if (cr_fdx_lock(&c->fdx, p, h.len, err) < 0)
				goto out;
		} else if (h.type == CR_REC_FILE_PARAMS) {
			struct rfile *rf = file_by_id(c, ((struct cr_r_file_params *)p)->id);
			int x = cr_fdx_params(&c->fdx, p, err);

			if (x < 0)
				goto out;
			if (x > 0)
				continue;
			if (rf == NULL) {
				ret = berth_error(err, EBADMSG, "files.img: state of unknown file");
				goto out;
			}
			if (file_params(c, rf, p, err) < 0)
				goto out;
		} else if (h.type == CR_REC_TTY) {
			if (tty_file(c, p, (char *)p + sizeof(struct cr_r_tty), err) < 0)
				goto out;
		} else if (h.type == CR_REC_TCP) {
			if (tcp_record(c, p, h.len, err) < 0)
				goto out;
		} else if (h.type == CR_REC_EPOLL_TFD) {
			struct cr_r_epoll_tfd *e = realloc(c->epolls, (c->nepolls + 1) * sizeof(*e));

			if (e == NULL)
				goto out;
			c->epolls = e;
			memcpy(&c->epolls[c->nepolls++], p, sizeof(*e));
		} else if (h.type == CR_REC_FILE) {
			struct rfile *rf = realloc(c->files, (c->nfiles + 1) * sizeof(*rf));

			if (rf == NULL)
				goto out;
			c->files = rf;
			rf = &c->files[c->nfiles++];
			memset(rf, 0, sizeof(*rf));
			memcpy(&rf->f, p, sizeof(rf->f));
			rf->fd = rf->other = -1;
			rf->path = strdup((char *)p + sizeof(rf->f));
			if (rf->path == NULL || open_file(c, rf, err) < 0)
				goto out;
		} else if (h.type == CR_REC_FILE_DATA) {
			struct cr_r_file_data *d = p;
			struct rfile *rf = file_by_id(c, d->id);
			int x = cr_fdx_data(&c->fdx, d, (char *)p + sizeof(*d), h.len - sizeof(*d), err);

			if (x < 0)
				goto out;
			if (x > 0)
				continue;
			if (rf == NULL) {
				ret = berth_error(err, EBADMSG, "files.img: data of unknown file");
				goto out;
			}
			if (file_data(c, rf, d, (char *)p + sizeof(*d), h.len - sizeof(*d), err) < 0)
				goto out;
		} else {
			ret = berth_error(err, EBADMSG, "files.img: unknown record type %u",
					  h.type);
			goto out;
		}
	}
	if (r < 0 || cr_fdx_make(&c->fdx, err) < 0)
		goto out;
	for (int i = 0; i < c->nfiles; i++)
		if (c->files[i].f.type == CR_FILE_UDP || c->files[i].f.type == CR_FILE_UNIX_SK)
			c->files[i].fd = cr_fdx_take(&c->fdx, c->files[i].f.id);
	if (c->o->stdio_from_caller && caller_stdio(c, err) < 0)
		goto out;
	if (cr_tty_restore_finish(&c->ttys, err) < 0)
		goto out;
	/* Move every description above the highest fd a restored process uses. */
	for (int i = 0; i < c->nfiles; i++) {
		struct rfile *rf = &c->files[i];

		if (rf->fd < 0 || (rf->f.type == CR_FILE_TCP_LISTEN && !rf->listening)) {
			ret = berth_error(err, EBADMSG, "files.img: `%s` without its state",
					  rf->path);
			goto out;
		}
		/* Offsets of files whose content was written here: now that it is in. */
		if (((rf->f.deleted && rf->f.type == CR_FILE_REG) || rf->f.type == CR_FILE_MEMFD) &&
		    lseek(rf->fd, (off_t)rf->f.pos, SEEK_SET) < 0) {
			ret = berth_error_errno(err, errno, "seek `%s`", rf->path);
			goto out;
		}
		if (to_high(c, &rf->fd, err) < 0 || to_high(c, &rf->other, err) < 0)
			goto out;
	}
	ret = 0;
out:
	cr_img_close(&img);
	if (ret < 0)
		berth_error_wrap(err, "restore files");
	return ret;
}

/* ---- working inside a restored process ---- */

static int rsys(struct rctx *c, struct rthread *t, long nr, long a0, long a1, long a2, long a3,
		long a4, long a5, long *out, berth_error_t *err)
{
	long a[6] = { a0, a1, a2, a3, a4, a5 }, ret;

	if (cr_syscall(&t->ctl, nr, a, &ret, NULL, err) < 0)
		return -1;
	if (out)
		*out = ret;
	else if (ret < 0 && ret > -4096)
		return berth_error_errno(err, (int)-ret, "syscall %ld in process %d", nr,
					 t->ctl.tid);
	return 0;
}

#define RSYS(c, t, nr, ...)                                                                \
	({                                                                                 \
		long _a[6] = { __VA_ARGS__ };                                              \
		rsys(c, t, nr, _a[0], _a[1], _a[2], _a[3], _a[4], _a[5], NULL, err);       \
	})

static int put(struct rctx *c, pid_t pid, unsigned long off, const void *data, size_t len,
	       berth_error_t *err)
{
	struct iovec l = { (void *)data, len }, r = { (void *)(c->tramp + off), len };

	if (off + len > TRAMP_SIZE)
		return berth_error(err, E2BIG, "restore: %zu bytes do not fit", len);
	if (process_vm_writev(pid, &l, 1, &r, 1, 0) != (ssize_t)len)
		return berth_error_errno(err, errno, "process %d: write memory", pid);
	return 0;
}

/* A free place for the trampoline (and the vDSO's waiting room) in every layout involved. */
static int place_trampoline(struct rctx *c, berth_error_t *err)
{
	struct cr_vma *self = NULL;
	int nself = 0;
	unsigned long need = TRAMP_SIZE + TMP_SIZE, cand = 0x10000000UL;
	bool moved = true;

	struct cr_vma *given = NULL;
	int ngiven = 0;

	if (cr_read_maps(getpid(), &self, &nself, err) < 0)
		return -1;
	if (c->o->root_pid && cr_read_maps(c->o->root_pid, &given, &ngiven, err) < 0) {
		cr_free_maps(self, nself);
		return -1;
	}
	while (moved && cand + need < TASK_TOP) {
		moved = false;
		for (int i = 0; i < nself + ngiven; i++) {
			struct cr_vma *m = i < nself ? &self[i] : &given[i - nself];

			if (m->start < cand + need && m->end > cand) {
				cand = (m->end + 0xfffff) & ~0xfffffUL;
				moved = true;
			}
		}
		for (int p = 0; p < c->nprocs; p++)
			for (int i = 0; i < c->procs[p].nvmas; i++) {
				struct cr_r_vma *v = &c->procs[p].vmas[i].v;

				if (v->start < cand + need && v->end > cand) {
					cand = (v->end + 0xfffff) & ~0xfffffUL;
					moved = true;
				}
			}
	}
	cr_free_maps(self, nself);
	cr_free_maps(given, ngiven);
	if (cand + need >= TASK_TOP)
		return berth_error(err, ENOMEM, "restore: no room for the restorer mapping");
	c->tramp = cand;
	return 0;
}

static int child_idle(void *arg)
{
	for (;;)
		syscall(SYS_pause);
	return 0;
}

static pid_t clone_root(pid_t tid)
{
	struct clone_args a;
	pid_t set[1] = { tid };
	long r;

	memset(&a, 0, sizeof(a));
	a.exit_signal = SIGCHLD;
	a.set_tid = (uintptr_t)set;
	a.set_tid_size = 1;
	r = syscall(SYS_clone3, &a, sizeof(a));
	if (r == 0)
		child_idle(NULL);
	return (pid_t)r;
}

/* Map the trampoline in a fresh copy of ourselves, using our own vDSO's syscall. */
static int setup_trampoline(struct rctx *c, struct rthread *t, berth_error_t *err)
{
	static const unsigned char code[] = { 0x0f, 0x05 }; /* syscall */
	unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
	long ret;

	if (vdso == 0)
		return berth_error(err, ENOTSUP, "restore: no vDSO");
	if (cr_find_syscall_insn(getpid(), vdso, vdso + 2 * CR_PAGE, &t->ctl.syscall_ip, err) < 0)
		return -1;
	if (rsys(c, t, SYS_mmap, c->tramp, TRAMP_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0, &ret, err) < 0)
		return -1;
	if ((unsigned long)ret != c->tramp)
		return berth_error_errno(err, ret < 0 ? (int)-ret : EEXIST,
					 "restore: map the restorer at %#lx", c->tramp);
	if (put(c, t->ctl.tid, 0, code, sizeof(code), err) < 0)
		return -1;
	t->ctl.syscall_ip = c->tramp;
	return 0;
}

static int set_session(struct rctx *c, struct rproc *rp, struct rproc *parent, berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];
	long ret;

	if (rp->pr.sid == rp->pr.pid)
		return rsys(c, t, SYS_setsid, 0, 0, 0, 0, 0, 0, &ret, err);
	if (rp->pr.pgid == rp->pr.pid)
		return rsys(c, t, SYS_setpgid, 0, 0, 0, 0, 0, 0, &ret, err);
	if (parent && rp->pr.pgid != parent->pr.pgid)
		return rsys(c, t, SYS_setpgid, 0, rp->pr.pgid, 0, 0, 0, 0, &ret, err);
	return 0;
}

/*
 * A session leader's controlling terminal (runtime/cr/tty.c), through our
 * descriptor of it, which the process holds too while it is restored.
 * fg: set the foreground process group, once every group exists; else
 * take the terminal, right after the session is made, so the processes
 * forked from the leader later have it too.
 */
static int restore_ctty(struct rctx *c, struct rproc *rp, bool fg, berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];
	struct rfile *rf;
	uint32_t id, pgrp;
	long ret;

	if (rp->pr.sid != rp->pr.pid || !cr_tty_ctty(&c->ttys, rp->pr.pid, &id, &pgrp) ||
	    (rf = file_by_id(c, id)) == NULL)
		return 0;
	if (fg) {
		if (pgrp && (put(c, rp->pid, D_ARGS, &pgrp, sizeof(pgrp), err) < 0 ||
			     RSYS(c, t, SYS_ioctl, rf->fd, TIOCSPGRP, c->tramp + D_ARGS) < 0))
			return berth_error_wrap(err, "process %u: terminal `%s`: foreground group %u",
						rp->pr.pid, rf->path, pgrp);
		return 0;
	}
	/* Taken from another session (the restorer's terminal) if need be. */
	if (rsys(c, t, SYS_ioctl, rf->fd, TIOCSCTTY, 0, 0, 0, 0, &ret, err) < 0 ||
	    (ret == -EPERM && rsys(c, t, SYS_ioctl, rf->fd, TIOCSCTTY, 1, 0, 0, 0, &ret, err) < 0))
		return -1;
	if (ret < 0)
		return berth_error_errno(err, (int)-ret, "process %u: controlling terminal `%s`",
					 rp->pr.pid, rf->path);
	return 0;
}

/* The pid of a process of ours in its own (innermost) pid namespace. */
static long ns_pid(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "NSpid:", 6) == 0) {
			char *last = strrchr(line, '\t');
			v = last ? strtol(last + 1, NULL, 10) : -1;
		}
	fclose(f);
	return v;
}

/* The root is the given process: it takes our fds, then it is seized like a copy of ours. */
static int adopt_root(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	long vpid = ns_pid(c->o->root_pid);
	int n = 0, ret = 0, *fds;

	if (vpid != (long)rp->pr.pid)
		return berth_error(err, EINVAL,
				   "the image's root process has pid %u, the new one has %ld in its "
				   "pid namespace", rp->pr.pid, vpid);
	fds = calloc((size_t)c->nfiles + 1, sizeof(int));
	if (fds == NULL)
		return berth_error_errno(err, ENOMEM, "restore");
	for (int i = 0; i < c->nfiles; i++)
		if (c->files[i].fd >= 0)
			fds[n++] = c->files[i].fd;
	if (c->o->pass_fds && c->o->pass_fds(c->o->pass_arg, fds, n, err) < 0)
		ret = berth_error_wrap(err, "hand the files to process %d", (int)c->o->root_pid);
	free(fds);
	rp->pid = c->o->root_pid;
	return ret;
}

/* Create process rp with its saved pid: from us (root) or from inside its parent. */
static int create_proc(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];
	struct rproc *parent = rp == &c->procs[0] ? NULL : proc_by_vpid(c, rp->pr.ppid);

	if (parent == NULL && rp != &c->procs[0])
		return berth_error(err, EBADMSG, "process %u: parent %u not in the image",
				   rp->pr.pid, rp->pr.ppid);
	if ((parent && parent->zombie) || (parent == NULL && rp->zombie))
		return berth_error(err, EBADMSG, "process %u: bad tree: %s is a zombie", rp->pr.pid,
				   parent ? "its parent" : "the root");
	if (parent == NULL) {
		if (c->o->root_pid) {
			if (adopt_root(c, rp, err) < 0)
				return -1;
		} else {
			rp->pid = clone_root((pid_t)rp->pr.pid);
		}
		if (rp->pid < 0)
			return berth_error_errno(err, errno, "create process with pid %u",
						 rp->pr.pid);
		t->ctl.tid = rp->pid;
		if (cr_seize(&t->ctl, RESTORE_OPTS, err) < 0 || setup_trampoline(c, t, err) < 0)
			return -1;
	} else {
		struct clone_args a;
		uint32_t set = rp->pr.pid;
		struct rthread *pt = &parent->threads[0];
		pid_t newpid = 0;
		long ret, args[6] = { 0 };

		memset(&a, 0, sizeof(a));
		a.exit_signal = SIGCHLD;
		a.set_tid = c->tramp + D_TIDS;
		a.set_tid_size = 1;
		if (put(c, parent->pid, D_ARGS, &a, sizeof(a), err) < 0 ||
		    put(c, parent->pid, D_TIDS, &set, sizeof(set), err) < 0)
			return -1;
		args[0] = c->tramp + D_ARGS;
		args[1] = sizeof(a);
		if (cr_syscall(&pt->ctl, SYS_clone3, args, &ret, &newpid, err) < 0)
			return -1;
		if (ret < 0 || newpid <= 0)
			return berth_error_errno(err, (int)-ret, "create process with pid %u",
						 rp->pr.pid);
		rp->pid = newpid;
		t->ctl.tid = newpid;
		t->ctl.seized = true;
		if (cr_wait_new(newpid, err) < 0 || cr_get_regs(newpid, &t->ctl.regs, err) < 0)
			return -1;
		t->ctl.syscall_ip = c->tramp;
	}
	if (set_session(c, rp, parent, err) < 0)
		return -1;
	return restore_ctty(c, rp, false, err);
}

static struct rvma *special(struct rproc *rp, uint32_t kind)
{
	for (int i = 0; i < rp->nvmas; i++)
		if (rp->vmas[i].v.kind == kind)
			return &rp->vmas[i];
	return NULL;
}

/* Move our (inherited) vDSO pieces to the saved addresses; the code expects them there. */
static int move_vdso(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	static const uint32_t kinds[] = { CR_VMA_VVAR, CR_VMA_VVAR_VCLOCK, CR_VMA_VDSO };
	static const char *const names[] = { "[vvar]", "[vvar_vclock]", "[vdso]" };
	struct cr_vma *cur = NULL;
	int ncur = 0, ret = -1;
	unsigned long base = 0, tmp = c->tramp + TRAMP_SIZE;
	uint64_t cs[3] = { 0 }, ce[3] = { 0 };

	if (cr_read_maps(rp->pid, &cur, &ncur, err) < 0)
		return -1;
	for (int i = 0; i < ncur; i++)
		for (int k = 0; k < 3; k++)
			if (cur[i].kind == kinds[k]) {
				cs[k] = cur[i].start;
				ce[k] = cur[i].end;
				if (base == 0 || cur[i].start < base)
					base = cur[i].start;
			}
	for (int k = 0; k < 3; k++) {
		struct rvma *want = special(rp, kinds[k]);

		if ((want == NULL) != (cs[k] == 0) ||
		    (want && want->v.end - want->v.start != ce[k] - cs[k])) {
			ret = berth_error(err, ENOTSUP,
					  "process %u: %s differs from the checkpointed kernel's",
					  rp->pr.pid, names[k]);
			goto out;
		}
	}
	for (int step = 0; step < 2; step++)
		for (int k = 0; k < 3; k++) {
			struct rvma *want = special(rp, kinds[k]);
			unsigned long from, to, len = ce[k] - cs[k];

			if (want == NULL)
				continue;
			from = step == 0 ? cs[k] : tmp + (cs[k] - base);
			to = step == 0 ? tmp + (cs[k] - base) : want->v.start;
			if (RSYS(c, &rp->threads[0], SYS_mremap, from, len, len,
				 MREMAP_MAYMOVE | MREMAP_FIXED, to) < 0)
				goto out;
		}
	ret = 0;
out:
	cr_free_maps(cur, ncur);
	return ret;
}

/* Our copy's rseq area goes away with the rest: unregister it first. */
static int drop_rseq(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	struct {
		uint64_t ptr;
		uint32_t size, sig, flags, pad;
	} rs;

	memset(&rs, 0, sizeof(rs));
	if (ptrace(0x420f /* PTRACE_GET_RSEQ_CONFIGURATION */, rp->pid, sizeof(rs), &rs) <= 0 ||
	    rs.ptr == 0)
		return 0;
	return RSYS(c, &rp->threads[0], SYS_rseq, rs.ptr, rs.size, 1 /* UNREGISTER */, rs.sig);
}

static int cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int clear_space(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	uint64_t keep[8][2];
	int n = 0;
	uint64_t at = 0;

	keep[n][0] = c->tramp;
	keep[n++][1] = c->tramp + TRAMP_SIZE;
	for (int i = 0; i < rp->nvmas && n < 8; i++)
		if (rp->vmas[i].v.kind >= CR_VMA_VDSO && rp->vmas[i].v.kind <= CR_VMA_VVAR_VCLOCK) {
			keep[n][0] = rp->vmas[i].v.start;
			keep[n++][1] = rp->vmas[i].v.end;
		}
	qsort(keep, n, sizeof(keep[0]), cmp_range);
	for (int i = 0; i <= n; i++) {
		uint64_t end = i < n ? keep[i][0] : TASK_TOP;

		if (end > at && RSYS(c, &rp->threads[0], SYS_munmap, at, end - at) < 0)
			return -1;
		if (i < n)
			at = keep[i][1];
	}
	return 0;
}

static int put_path(struct rctx *c, struct rproc *rp, const char *path, berth_error_t *err)
{
	return put(c, rp->pid, D_PATH, path, strlen(path) + 1, err);
}

static int map_vmas(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];

	for (int i = 0; i < rp->nvmas; i++) {
		struct cr_r_vma *v = &rp->vmas[i].v;
		uint32_t prot = v->prot, flags = MAP_FIXED | (v->flags & (MAP_SHARED | MAP_PRIVATE));
		long fd = -1, ret;

		if (v->kind != CR_VMA_ANON && v->kind != CR_VMA_FILE)
			continue;
		if (v->flags & MAP_PRIVATE)
			prot |= PROT_WRITE; /* for the page data; set back afterwards */
		if (v->kind == CR_VMA_ANON) {
			flags |= MAP_ANONYMOUS | (v->flags & MAP_GROWSDOWN);
		} else {
			int oflags = (v->flags & MAP_SHARED) && (v->prot & PROT_WRITE) ? O_RDWR
										      : O_RDONLY;

			if (put_path(c, rp, rp->vmas[i].path, err) < 0 ||
			    rsys(c, t, SYS_openat, AT_FDCWD, c->tramp + D_PATH, oflags | O_CLOEXEC,
				 0, 0, 0, &fd, err) < 0)
				return -1;
			if (fd < 0)
				return berth_error_errno(err, (int)-fd, "process %u: open `%s`",
							 rp->pr.pid, rp->vmas[i].path);
		}
		if (rsys(c, t, SYS_mmap, v->start, v->end - v->start, prot, flags, fd,
			 v->kind == CR_VMA_FILE ? v->pgoff : 0, &ret, err) < 0)
			return -1;
		if (fd >= 0)
			RSYS(c, t, SYS_close, fd);
		if ((uint64_t)ret != v->start)
			return berth_error_errno(err, ret < 0 ? (int)-ret : EFAULT,
						 "process %u: map %#" PRIx64 "-%#" PRIx64 " (%s)",
						 rp->pr.pid, v->start, v->end,
						 rp->vmas[i].path ? rp->vmas[i].path : "anon");
	}
	return 0;
}

static int fill_pages(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	char name[64];
	struct cr_img img;
	int ret = -1;
	uint64_t t0 = now_ns();

	snprintf(name, sizeof(name), "pages-%u.img", rp->pr.pid);
	if (cr_img_open(&img, c->dirfd, name, CR_KIND_PAGES, err) == 0)
		ret = cr_restore_pages(rp->pid, &img, c->buf, &c->st->page_bytes, err);
	c->st->pages_ns += now_ns() - t0;
	cr_img_close(&img);
	return ret;
}

static int protect_vmas(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	for (int i = 0; i < rp->nvmas; i++) {
		struct cr_r_vma *v = &rp->vmas[i].v;

		if ((v->kind == CR_VMA_ANON || v->kind == CR_VMA_FILE) && (v->flags & MAP_PRIVATE) &&
		    !(v->prot & PROT_WRITE) &&
		    RSYS(c, &rp->threads[0], SYS_mprotect, v->start, v->end - v->start, v->prot) < 0)
			return -1;
	}
	return 0;
}

static int restore_mm(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	struct prctl_mm_map m;
	struct rthread *t = &rp->threads[0];
	long exe = -1, ret;

	memset(&m, 0, sizeof(m));
	m.start_code = rp->task.start_code;
	m.end_code = rp->task.end_code;
	m.start_data = rp->task.start_data;
	m.end_data = rp->task.end_data;
	m.start_brk = rp->task.start_brk;
	m.brk = rp->task.brk;
	m.start_stack = rp->task.start_stack;
	m.arg_start = rp->task.arg_start;
	m.arg_end = rp->task.arg_end;
	m.env_start = rp->task.env_start;
	m.env_end = rp->task.env_end;
	if (rp->auxvlen > 0x1000)
		return berth_error(err, EBADMSG, "process %u: auxv too large", rp->pr.pid);
	if (rp->auxvlen && put(c, rp->pid, D_AUXV, rp->auxv, rp->auxvlen, err) < 0)
		return -1;
	m.auxv = (__u64 *)(c->tramp + D_AUXV);
	m.auxv_size = rp->auxvlen;
	if (rp->paths[CR_PATH_EXE]) {
		if (put_path(c, rp, rp->paths[CR_PATH_EXE], err) < 0 ||
		    rsys(c, t, SYS_openat, AT_FDCWD, c->tramp + D_PATH, O_RDONLY | O_CLOEXEC, 0, 0, 0,
			 &exe, err) < 0)
			return -1;
	}
	m.exe_fd = exe >= 0 ? (uint32_t)exe : (uint32_t)-1;
	if (put(c, rp->pid, D_ARGS, &m, sizeof(m), err) < 0 ||
	    rsys(c, t, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, c->tramp + D_ARGS, sizeof(m), 0, 0,
		 &ret, err) < 0)
		return -1;
	if (ret < 0 && exe >= 0) {
		/* The executable may be gone: keep the rest. */
		m.exe_fd = (uint32_t)-1;
		if (put(c, rp->pid, D_ARGS, &m, sizeof(m), err) < 0 ||
		    rsys(c, t, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, c->tramp + D_ARGS, sizeof(m),
			 0, 0, &ret, err) < 0)
			return -1;
	}
	if (exe >= 0)
		RSYS(c, t, SYS_close, exe);
	if (ret < 0)
		return berth_error_errno(err, (int)-ret, "process %u: set memory layout",
					 rp->pr.pid);
	return 0;
}

static int restore_fs(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];

	if (rp->paths[CR_PATH_ROOT] && strcmp(rp->paths[CR_PATH_ROOT], "/") != 0) {
		if (put_path(c, rp, rp->paths[CR_PATH_ROOT], err) < 0 ||
		    RSYS(c, t, SYS_chroot, c->tramp + D_PATH) < 0)
			return berth_error_wrap(err, "process %u: root", rp->pr.pid);
	}
	if (rp->paths[CR_PATH_CWD] &&
	    (put_path(c, rp, rp->paths[CR_PATH_CWD], err) < 0 ||
	     RSYS(c, t, SYS_chdir, c->tramp + D_PATH) < 0))
		return berth_error_wrap(err, "process %u: cwd `%s`", rp->pr.pid,
					rp->paths[CR_PATH_CWD]);
	if (RSYS(c, t, SYS_umask, rp->task.umask) < 0 ||
	    RSYS(c, t, SYS_personality, rp->task.personality) < 0)
		return -1;
	for (int r = 0; r < 16; r++) {
		struct rlimit rl = { rp->task.rlim[r][0], rp->task.rlim[r][1] };

		if (prlimit(rp->pid, r, &rl, NULL) < 0)
			return berth_error_errno(err, errno, "process %u: limit %d", rp->pr.pid, r);
	}
	return 0;
}

static int restore_sigactions(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	for (int sig = 1; sig <= 64; sig++) {
		uint64_t ka[4] = { 0 };

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (rp->has_sa[sig]) {
			ka[0] = rp->sa[sig].handler;
			ka[1] = rp->sa[sig].flags;
			ka[2] = rp->sa[sig].restorer;
			ka[3] = rp->sa[sig].mask;
		}
		if (put(c, rp->pid, D_ARGS, ka, sizeof(ka), err) < 0 ||
		    RSYS(c, &rp->threads[0], SYS_rt_sigaction, sig, c->tramp + D_ARGS, 0, 8) < 0)
			return berth_error_wrap(err, "process %u: signal %d", rp->pr.pid, sig);
	}
	return 0;
}

/*
 * The locks the process held, taken by itself on its fds (so /proc/locks
 * shows its pid), after its last close: closing any fd of a file drops the
 * process's POSIX locks on it.
 */
static int restore_locks(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];

	for (int i = 0; i < c->fdx.nlocks; i++) {
		struct cr_r_file_lock *l = &c->fdx.locks[i];
		struct flock fl;
		long ret;

		if (l->pid != rp->pr.pid)
			continue;
		memset(&fl, 0, sizeof(fl));
		fl.l_type = (short)l->type;
		fl.l_whence = SEEK_SET;
		fl.l_start = (off_t)l->start;
		fl.l_len = (off_t)l->len;
		if (l->kind != CR_LOCK_FLOCK && put(c, rp->pid, D_ARGS, &fl, sizeof(fl), err) < 0)
			return -1;
		if (l->kind == CR_LOCK_FLOCK
			    ? rsys(c, t, SYS_flock, l->fd,
				   (l->type == F_WRLCK ? LOCK_EX : LOCK_SH) | LOCK_NB, 0, 0, 0, 0, &ret,
				   err) < 0
			    : rsys(c, t, SYS_fcntl, l->fd,
				   l->kind == CR_LOCK_OFD ? F_OFD_SETLK : F_SETLK, c->tramp + D_ARGS,
				   0, 0, 0, &ret, err) < 0)
			return -1;
		if (ret < 0)
			return berth_error_errno(err, (int)-ret, "process %u: fd %u: take its %s lock again",
						 rp->pr.pid, l->fd,
						 l->kind == CR_LOCK_FLOCK ? "flock" :
						 l->kind == CR_LOCK_OFD ? "OFD" : "POSIX");
	}
	return 0;
}

static int restore_fds(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];

	if (RSYS(c, t, SYS_close_range, 0, c->fdbase - 1, 0) < 0)
		return -1;
	for (int i = 0; i < rp->nfds; i++) {
		struct rfile *rf = file_by_id(c, rp->fds[i].file_id);

		if (rf == NULL || (int)rp->fds[i].fd >= c->fdbase)
			return berth_error(err, EBADMSG, "process %u: fd %u: bad record",
					   rp->pr.pid, rp->fds[i].fd);
		if (RSYS(c, t, SYS_dup3, rf->fd, rp->fds[i].fd,
			 (rp->fds[i].fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			return berth_error_wrap(err, "process %u: fd %u", rp->pr.pid,
						rp->fds[i].fd);
	}
	/* epoll watches (file, fd number): register from the process, with its numbers. */
	for (int i = 0; i < c->nepolls; i++) {
		struct cr_r_epoll_tfd *e = &c->epolls[i];
		unsigned char ev[12]; /* struct epoll_event, packed on x86-64 */

		if (e->pid != rp->pr.pid)
			continue;
		memcpy(ev, &e->events, 4);
		memcpy(ev + 4, &e->data, 8);
		if (put(c, rp->pid, D_ARGS, ev, sizeof(ev), err) < 0 ||
		    RSYS(c, t, SYS_epoll_ctl, e->epfd, EPOLL_CTL_ADD, e->tfd, c->tramp + D_ARGS) < 0)
			return berth_error_wrap(err, "process %u: epoll fd %u: watch fd %u",
						rp->pr.pid, e->epfd, e->tfd);
	}
	if (restore_ctty(c, rp, true, err) < 0)
		return -1;
	if (RSYS(c, t, SYS_close_range, c->fdbase, ~0U, 0) < 0)
		return -1;
	return restore_locks(c, rp, err);
}

static int create_threads(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	for (int i = 1; i < rp->nthreads; i++) {
		struct rthread *t = &rp->threads[i];
		struct clone_args a;
		uint32_t set = t->r.tid;
		long ret, args[6] = { 0 };
		pid_t newtid = 0;

		memset(&a, 0, sizeof(a));
		a.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM;
		a.stack = c->tramp + D_PATH;
		a.stack_size = 0x1000;
		a.set_tid = c->tramp + D_TIDS;
		a.set_tid_size = 1;
		if (put(c, rp->pid, D_ARGS, &a, sizeof(a), err) < 0 ||
		    put(c, rp->pid, D_TIDS, &set, sizeof(set), err) < 0)
			return -1;
		args[0] = c->tramp + D_ARGS;
		args[1] = sizeof(a);
		if (cr_syscall(&rp->threads[0].ctl, SYS_clone3, args, &ret, &newtid, err) < 0)
			return -1;
		if (ret < 0 || newtid <= 0)
			return berth_error_errno(err, (int)-ret, "process %u: create thread %u",
						 rp->pr.pid, t->r.tid);
		t->ctl.tid = newtid;
		t->ctl.seized = true;
		if (cr_wait_new(newtid, err) < 0 || cr_get_regs(newtid, &t->ctl.regs, err) < 0)
			return -1;
		t->ctl.syscall_ip = c->tramp;
	}
	return 0;
}

static int restore_thread(struct rctx *c, struct rproc *rp, struct rthread *t, berth_error_t *err)
{
	uint64_t all = ~0ULL;

	if (ptrace(PTRACE_SETSIGMASK, t->ctl.tid, 8, &all) < 0)
		return berth_error_errno(err, errno, "thread %u: signal mask", t->r.tid);
	if (t->name[0] && (put(c, rp->pid, D_ARGS, t->name, sizeof(t->name), err) < 0 ||
			   RSYS(c, t, SYS_prctl, PR_SET_NAME, c->tramp + D_ARGS) < 0))
		return berth_error_wrap(err, "thread %u: name", t->r.tid);
	if (RSYS(c, t, SYS_set_tid_address, t->r.tid_address) < 0)
		return -1;
	if (t->r.robust_head && RSYS(c, t, SYS_set_robust_list, t->r.robust_head,
				     t->r.robust_len) < 0)
		return -1;
	if (t->r.rseq_addr && RSYS(c, t, SYS_rseq, t->r.rseq_addr, t->r.rseq_len, 0,
				   t->r.rseq_sig) < 0)
		return berth_error_wrap(err, "thread %u: rseq", t->r.tid);
	if (!(t->r.ss_flags & SS_DISABLE)) {
		uint64_t ss[3] = { t->r.ss_sp, t->r.ss_flags & ~SS_ONSTACK, t->r.ss_size };

		if (put(c, rp->pid, D_ARGS, ss, sizeof(ss), err) < 0 ||
		    RSYS(c, t, SYS_sigaltstack, c->tramp + D_ARGS, 0) < 0)
			return berth_error_wrap(err, "thread %u: signal stack", t->r.tid);
	}
	return 0;
}

static int restore_signals(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	for (int i = 0; i < rp->nsigs; i++) {
		struct rsig *s = &rp->sigs[i];
		siginfo_t si;

		memcpy(&si, s->si, sizeof(si));
		if (put(c, rp->pid, D_ARGS, s->si, 128, err) < 0)
			return -1;
		if (s->tid ? RSYS(c, &rp->threads[0], SYS_rt_tgsigqueueinfo, rp->pr.pid, s->tid,
				  si.si_signo, c->tramp + D_ARGS)
			   : RSYS(c, &rp->threads[0], SYS_rt_sigqueueinfo, rp->pr.pid, si.si_signo,
				  c->tramp + D_ARGS))
			return berth_error_wrap(err, "process %u: signal %d", rp->pr.pid,
						si.si_signo);
	}
	return 0;
}

/* The thread's seccomp filters, oldest first (the saved index 0 is the newest). */
static int install_filters(struct rctx *c, struct rproc *rp, struct rthread *t,
			   berth_error_t *err)
{
	for (int i = rp->nfilters - 1; i >= 0; i--) {
		struct {
			uint16_t len, pad[3];
			uint64_t filter;
		} prog = { (uint16_t)rp->filters[i].len, { 0 }, c->tramp + D_FILTER };

		if (put(c, rp->pid, D_FILTER, rp->filter_data[i], (size_t)prog.len * 8, err) < 0 ||
		    put(c, rp->pid, D_ARGS, &prog, sizeof(prog), err) < 0)
			return -1;
		if (RSYS(c, t, SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0,
			 c->tramp + D_ARGS) < 0)
			return berth_error_wrap(err, "thread %u: seccomp filter %d", t->r.tid, i);
	}
	return 0;
}

/*
 * Credentials, in the order the runtime applies them to a container's
 * program: bounding set, filters (before the ids when no_new_privs is off:
 * loading them needs CAP_SYS_ADMIN then), groups and ids with the
 * capabilities kept, the capability sets, ambient ones, no_new_privs,
 * filters.  Per thread: credentials belong to threads.
 */
static int restore_creds(struct rctx *c, struct rproc *rp, struct rthread *t, int last_cap,
			 berth_error_t *err)
{
	struct cr_r_creds *cr = &rp->creds;
	struct {
		uint32_t version;
		int pid;
		struct {
			uint32_t eff, prm, inh;
		} d[2];
	} caps = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0,
		   { { (uint32_t)cr->cap_eff, (uint32_t)cr->cap_prm, (uint32_t)cr->cap_inh },
		     { (uint32_t)(cr->cap_eff >> 32), (uint32_t)(cr->cap_prm >> 32),
		       (uint32_t)(cr->cap_inh >> 32) } } };
	long ret = 0;

	for (int cap = 0; cap <= last_cap; cap++)
		if (!(cr->cap_bnd & (1ULL << cap)) &&
		    RSYS(c, t, SYS_prctl, PR_CAPBSET_DROP, cap) < 0)
			return berth_error_wrap(err, "thread %u: bounding set", t->r.tid);
	if (cr->seccomp == 2 && !cr->no_new_privs && install_filters(c, rp, t, err) < 0)
		return -1;
	if (put(c, rp->pid, D_ARGS, rp->groups, cr->ngroups * 4, err) < 0 ||
	    put(c, rp->pid, D_TIDS, &caps, sizeof(caps), err) < 0)
		return -1;
	/* A user namespace may deny setgroups; the ids are what matters then. */
	if (rsys(c, t, SYS_setgroups, cr->ngroups, c->tramp + D_ARGS, 0, 0, 0, 0, &ret, err) < 0 ||
	    (ret < 0 && ret != -EPERM))
		return berth_error_errno(err, ret < 0 ? (int)-ret : EIO, "thread %u: groups",
					 t->r.tid);
	if (RSYS(c, t, SYS_prctl, PR_SET_KEEPCAPS, 1) < 0 ||
	    RSYS(c, t, SYS_setresgid, cr->gid[0], cr->gid[1], cr->gid[2]) < 0 ||
	    RSYS(c, t, SYS_setfsgid, cr->gid[3]) < 0 ||
	    RSYS(c, t, SYS_setresuid, cr->uid[0], cr->uid[1], cr->uid[2]) < 0 ||
	    RSYS(c, t, SYS_setfsuid, cr->uid[3]) < 0 ||
	    RSYS(c, t, SYS_capset, c->tramp + D_TIDS, c->tramp + D_TIDS + 8) < 0 ||
	    RSYS(c, t, SYS_prctl, PR_SET_KEEPCAPS, 0) < 0)
		return berth_error_wrap(err, "thread %u: credentials", t->r.tid);
	for (int cap = 0; cap <= last_cap; cap++)
		if ((cr->cap_amb & (1ULL << cap)) &&
		    RSYS(c, t, SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap) < 0)
			return berth_error_wrap(err, "thread %u: ambient capabilities", t->r.tid);
	if (cr->no_new_privs && RSYS(c, t, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1) < 0)
		return berth_error_wrap(err, "thread %u: no_new_privs", t->r.tid);
	if (cr->seccomp == 2 && cr->no_new_privs && install_filters(c, rp, t, err) < 0)
		return -1;
	return 0;
}

/*
 * The saved ids are the host's view (/proc/PID/status); the process may be
 * in a user namespace: map each through its uid_map/gid_map ("ns host count").
 */
static int map_ids(pid_t pid, const char *which, uint32_t *ids, uint32_t n, berth_error_t *err)
{
	char path[64], line[128];
	cleanup_fclose FILE *f = NULL;
	unsigned long m[32][3];
	int nm = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	f = fopen(path, "re");
	if (f == NULL)
		return berth_error_errno(err, errno, "open `%s`", path);
	while (nm < 32 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lu %lu %lu", &m[nm][0], &m[nm][1], &m[nm][2]) == 3)
			nm++;
	for (uint32_t i = 0; i < n; i++) {
		int k;

		for (k = 0; k < nm; k++)
			if (ids[i] >= m[k][1] && ids[i] - m[k][1] < m[k][2])
				break;
		if (k == nm)
			return berth_error(err, EINVAL, "id %u is not mapped in `%s`", ids[i], path);
		ids[i] = (uint32_t)(ids[i] - m[k][1] + m[k][0]);
	}
	return 0;
}

static int last_cap(void)
{
	cleanup_free char *s = NULL;
	size_t len;
	berth_error_t e = NULL;
	int v = 40;

	if (berth_read_file("/proc/sys/kernel/cap_last_cap", &s, &len, &e) == 0)
		v = atoi(s);
	berth_error_release(&e);
	return v > 0 && v < 64 ? v : 40;
}

/*
 * A zombie: the process, made in its parent with its pid and groups like
 * any other, exits now with its saved status.  We are its tracer and wait
 * for it first; the kernel then hands it to its parent as a zombie, which
 * the parent waits for when it runs again.  A killing signal is raised
 * with its default action and no core dump (the process is made
 * undumpable).  The parent must not ignore SIGCHLD meanwhile (the child
 * would be reaped at once): its saved actions are set later; the SIGCHLD
 * it is sent is dropped, as the original one was taken before the
 * checkpoint.
 */
static int make_zombie(struct rctx *c, struct rproc *rp, struct rproc *parent,
		       berth_error_t *err)
{
	struct rthread *t = &rp->threads[0];
	struct user_regs_struct r;
	uint64_t act[4] = { 0 }, set;
	struct timespec zero = { 0, 0 };
	int sig = WIFSIGNALED(rp->status) ? WTERMSIG(rp->status) : 0, st = 0;
	long ret;

	if (put(c, parent->pid, D_ARGS, act, sizeof(act), err) < 0 ||
	    RSYS(c, &parent->threads[0], SYS_rt_sigaction, SIGCHLD, c->tramp + D_ARGS, 0, 8) < 0)
		return berth_error_wrap(err, "process %u: zombie %u", parent->pr.pid, rp->pr.pid);
	if (sig) {
		if (sig < 1 || sig > 64 || sig == SIGKILL || sig == SIGSTOP) {
			if (sig != SIGKILL)
				return berth_error(err, EBADMSG, "process %u: bad signal %d",
						   rp->pr.pid, sig);
		} else {
			set = 1ULL << (sig - 1);
			if (put(c, rp->pid, D_ARGS, act, sizeof(act), err) < 0 ||
			    put(c, rp->pid, D_ARGS + 64, &set, sizeof(set), err) < 0 ||
			    RSYS(c, t, SYS_prctl, PR_SET_DUMPABLE, 0) < 0 ||
			    RSYS(c, t, SYS_rt_sigaction, sig, c->tramp + D_ARGS, 0, 8) < 0 ||
			    RSYS(c, t, SYS_rt_sigprocmask, SIG_UNBLOCK, c->tramp + D_ARGS + 64, 0,
				 8) < 0)
				return berth_error_wrap(err, "process %u: zombie", rp->pr.pid);
		}
	}
	/* The last call: exit_group(code) or tgkill(self, sig); it does not come back. */
	r = t->ctl.regs;
	r.rip = t->ctl.syscall_ip;
	r.orig_rax = (unsigned long)-1;
	r.rax = sig ? SYS_tgkill : SYS_exit_group;
	r.rdi = sig ? rp->pr.pid : (unsigned long)WEXITSTATUS(rp->status);
	r.rsi = rp->pr.pid;
	r.rdx = sig;
	if (cr_set_regs(t->ctl.tid, &r, err) < 0)
		return -1;
	for (int i = 0, deliver = 0; i < 1000; i++) {
		if (ptrace(PTRACE_CONT, t->ctl.tid, 0, deliver) < 0)
			return berth_error_errno(err, errno, "process %u: zombie", rp->pr.pid);
		while (waitpid(t->ctl.tid, &st, __WALL) < 0)
			if (errno != EINTR)
				return berth_error_errno(err, errno, "process %u: zombie",
							 rp->pr.pid);
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		/* Our signal is let through; others (and event stops) are not. */
		deliver = (st >> 16) == 0 && sig && WSTOPSIG(st) == sig ? sig : 0;
	}
	t->ctl.seized = false;
	if ((uint32_t)(st & 0xff7f) != rp->status)
		return berth_error(err, EIO, "process %u: zombie: status %#x, not %#x", rp->pr.pid,
				   st, rp->status);
	/* Drop the SIGCHLD, whether the parent blocks it or not (then it is lost in a stop). */
	set = 1ULL << (SIGCHLD - 1);
	if (put(c, parent->pid, D_ARGS, &set, sizeof(set), err) < 0 ||
	    put(c, parent->pid, D_ARGS + 64, &zero, sizeof(zero), err) < 0 ||
	    rsys(c, &parent->threads[0], SYS_rt_sigtimedwait, c->tramp + D_ARGS, 0,
		 c->tramp + D_ARGS + 64, 8, 0, 0, &ret, err) < 0)
		return berth_error_wrap(err, "process %u: zombie %u", parent->pr.pid, rp->pr.pid);
	return 0;
}

static int finish_proc(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	if (RSYS(c, &rp->threads[0], SYS_munmap, c->tramp, TRAMP_SIZE) < 0)
		return -1;
	for (int i = 0; i < rp->nthreads; i++) {
		struct rthread *t = &rp->threads[i];
		struct iovec iov = { t->xstate, t->xlen };

		memcpy(&t->ctl.regs, t->r.regs, sizeof(t->ctl.regs));
		if (cr_set_regs(t->ctl.tid, &t->ctl.regs, err) < 0)
			return -1;
		if (t->xlen && ptrace(PTRACE_SETREGSET, t->ctl.tid, NT_X86_XSTATE, &iov) < 0)
			return berth_error_errno(err, errno, "thread %u: fpu state", t->r.tid);
		if (ptrace(PTRACE_SETSIGMASK, t->ctl.tid, 8, &t->r.sigmask) < 0)
			return berth_error_errno(err, errno, "thread %u: signal mask", t->r.tid);
	}
	return 0;
}

static int restore_proc(struct rctx *c, struct rproc *rp, berth_error_t *err)
{
	if (drop_rseq(c, rp, err) < 0 || move_vdso(c, rp, err) < 0 || clear_space(c, rp, err) < 0 || map_vmas(c, rp, err) < 0 ||
	    fill_pages(c, rp, err) < 0 || protect_vmas(c, rp, err) < 0 ||
	    restore_mm(c, rp, err) < 0 || restore_fs(c, rp, err) < 0 ||
	    restore_sigactions(c, rp, err) < 0 || restore_fds(c, rp, err) < 0 ||
	    create_threads(c, rp, err) < 0)
		return -1;
	for (int i = 0; i < rp->nthreads; i++)
		if (restore_thread(c, rp, &rp->threads[i], err) < 0)
			return -1;
	if (restore_signals(c, rp, err) < 0)
		return -1;
	if (rp->has_creds) {
		int lc = last_cap();

		if (map_ids(rp->pid, "uid_map", rp->creds.uid, 4, err) < 0 ||
		    map_ids(rp->pid, "gid_map", rp->creds.gid, 4, err) < 0 ||
		    map_ids(rp->pid, "gid_map", rp->groups, rp->creds.ngroups, err) < 0)
			return berth_error_wrap(err, "process %u: credentials", rp->pr.pid);

		for (int i = 0; i < rp->nthreads; i++)
			if (restore_creds(c, rp, &rp->threads[i], lc, err) < 0)
				return -1;
	}
	if (finish_proc(c, rp, err) < 0)
		return -1;
	return 0;
}

static int check_pids_free(struct rctx *c, berth_error_t *err)
{
	for (int i = 0; i < c->nprocs; i++)
		for (uint32_t t = 0; t < c->procs[i].pr.nthreads; t++) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%u", c->procs[i].tids[t]);
			if (access(path, F_OK) == 0)
				return berth_error(err, EEXIST,
						   "pid %u is in use in this pid namespace",
						   c->procs[i].tids[t]);
		}
	return 0;
}

static void ctx_free(struct rctx *c)
{
	for (int i = 0; i < c->nprocs; i++) {
		struct rproc *rp = &c->procs[i];

		for (int t = 0; t < rp->nthreads; t++)
			free(rp->threads[t].xstate);
		for (int k = 0; k < 4; k++)
			free(rp->paths[k]);
		for (int v = 0; v < rp->nvmas; v++)
			free(rp->vmas[v].path);
		free(rp->threads);
		free(rp->tids);
		free(rp->auxv);
		free(rp->sigs);
		free(rp->vmas);
		free(rp->fds);
		free(rp->groups);
		for (int f = 0; f < rp->nfilters; f++)
			free(rp->filter_data[f]);
		free(rp->filter_data);
		free(rp->filters);
	}
	free(c->procs);
	for (int i = 0; i < c->nfiles; i++) {
		struct rfile *rf = &c->files[i];

		if (rf->fd >= 0)
			close(rf->fd);
		if (rf->other >= 0)
			close(rf->other);
		if (rf->unlink)
			unlink(rf->unlink);
		free(rf->unlink);
		free(rf->path);
		free(rf->tcp);
	}
	free(c->files);
	free(c->epolls);
	cr_tty_restore_free(&c->ttys);
	cr_fdx_restore_free(&c->fdx);
	cr_pages_buf_free(c->buf);
	if (c->dirfd >= 0)
		close(c->dirfd);
	if (c->rootfd >= 0)
		close(c->rootfd);
}

static int restore_all(struct rctx *c, berth_error_t *err)
{
	int maxfd = 2, ret;
	struct rlimit rl;

	if (read_inventory(c, err) < 0 || read_pstree(c, err) < 0)
		return -1;
	for (int i = 0; i < c->nprocs; i++) {
		struct rproc *rp = &c->procs[i];

		if (rp->zombie) { /* no core: just the leader, to be created and to exit */
			rp->threads = calloc(1, sizeof(*rp->threads));
			if (rp->threads == NULL)
				return berth_error_errno(err, ENOMEM, "restore");
			rp->nthreads = 1;
			rp->threads[0].r.tid = rp->pr.pid;
			continue;
		}
		if (read_core(c, rp, err) < 0)
			return -1;
		for (int f = 0; f < c->procs[i].nfds; f++)
			if ((int)c->procs[i].fds[f].fd > maxfd)
				maxfd = c->procs[i].fds[f].fd;
		if (c->procs[i].threads[0].r.tid != c->procs[i].pr.pid)
			return berth_error(err, EBADMSG, "process %u: leader thread missing",
					   c->procs[i].pr.pid);
	}
	/* A given root has its own pid namespace, empty but for it: clone3 finds a taken pid. */
	if (!c->o->root_pid && check_pids_free(c, err) < 0)
		return -1;
	c->fdbase = (maxfd + 64) & ~31;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (c->o->root_pid) {
		/* Its root for the paths, its network namespace for the sockets. */
		char path[64];
		cleanup_close int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		cleanup_close int theirs = -1;

		snprintf(path, sizeof(path), "/proc/%d/root", (int)c->o->root_pid);
		c->rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->o->root_pid);
		theirs = open(path, O_RDONLY | O_CLOEXEC);
		if (c->rootfd < 0 || own < 0 || theirs < 0 || setns(theirs, CLONE_NEWNET) < 0)
			return berth_error_errno(err, errno, "enter process %d",
						 (int)c->o->root_pid);
		ret = read_files(c, err);
		if (setns(own, CLONE_NEWNET) < 0 && ret == 0)
			ret = berth_error_errno(err, errno, "return to our network namespace");
	} else {
		ret = read_files(c, err);
	}
	if (ret < 0 || place_trampoline(c, err) < 0)
		return -1;
	for (int i = 0; i < c->nprocs; i++)
		if (create_proc(c, &c->procs[i], err) < 0)
			return -1;
	/* Every group exists: the zombies exit now, before anything runs. */
	for (int i = 0; i < c->nprocs; i++)
		if (c->procs[i].zombie &&
		    make_zombie(c, &c->procs[i], proc_by_vpid(c, c->procs[i].pr.ppid), err) < 0)
			return -1;
	for (int i = 0; i < c->nprocs; i++)
		if (!c->procs[i].zombie && restore_proc(c, &c->procs[i], err) < 0)
			return -1;
	if (tcp_done(c, err) < 0)
		return -1;
	for (int i = 0; i < c->nprocs; i++)
		for (int t = 0; t < c->procs[i].nthreads && !c->procs[i].zombie; t++) {
			struct cr_thread *ct = &c->procs[i].threads[t].ctl;

			if (ptrace(PTRACE_DETACH, ct->tid, 0, 0) < 0)
				return berth_error_errno(err, errno, "release thread %d", ct->tid);
			ct->seized = false;
		}
	return 0;
}

int cr_restore_tree(const char *imgdir, const struct cr_restore_opts *o, pid_t *root,
		    struct cr_stats *st, berth_error_t *err)
{
	struct rctx c;
	struct cr_stats dummy = { 0 };
	int ret;

	static const struct cr_restore_opts none = { 0 };

	memset(&c, 0, sizeof(c));
	c.o = o ? o : &none;
	c.rootfd = -1;
	c.ttys.ext_fd = c.o->shell_job ? c.o->tty_fd : -1;
	c.ttys.ext_new = c.o->tty_new;
	c.fdx.root_pid = c.o->root_pid;
	c.st = st ? st : &dummy;
	memset(c.st, 0, sizeof(*c.st));
	c.dirfd = open(imgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dirfd < 0)
		return berth_error_errno(err, errno, "restore: open image directory `%s`", imgdir);
	c.buf = cr_pages_buf();
	if (c.buf == NULL) {
		ctx_free(&c);
		return berth_error_errno(err, errno, "restore: buffer");
	}
	ret = restore_all(&c, err);
	if (ret < 0) {
		/* Nothing half-made may run: kill what was created. */
		for (int i = c.nprocs - 1; i >= 0; i--)
			if (c.procs[i].pid > 0)
				kill(c.procs[i].pid, SIGKILL);
		if (c.nprocs && c.procs[0].pid > 0)
			waitpid(c.procs[0].pid, NULL, __WALL);
	} else {
		*root = c.procs[0].pid;
		c.st->nproc = c.nprocs;
		c.st->nfiles = c.nfiles;
	}
	ctx_free(&c);
	return ret < 0 ? berth_error_wrap(err, "restore from `%s`", imgdir) : 0;
}
