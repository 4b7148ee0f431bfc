/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dumping a process tree into a checkpoint image. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
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

#define CR_PTRACE_GET_RSEQ_CONFIGURATION 0x420f
struct cr_rseq_conf {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};
#ifndef PTRACE_PEEKSIGINFO_SHARED
#define PTRACE_PEEKSIGINFO_SHARED 1
struct ptrace_peeksiginfo_args {
	uint64_t off;
	uint32_t flags;
	int32_t nr;
};
#endif

#define SEIZE_OPTS (PTRACE_O_TRACESYSGOOD)

struct dproc {
	pid_t pid, vpid, ppid, pgid, sid;
	int nthreads;
	struct cr_thread *threads; /* [0] is the thread group leader */
	unsigned long scratch;     /* on the leader's stack, below the red zone */
	unsigned char saved[256];  /* what was at scratch */
	bool scratch_used;
	bool zombie;     /* exited, not waited for: nothing seized, nthreads 0 */
	uint32_t status; /* a zombie's wait status */
};

struct dfile {
	uint32_t id;
	pid_t pid; /* an owner, for kcmp */
	int fd;
	dev_t dev;
	ino_t ino;
	uint32_t peer; /* unix sockets: the peer's inode */
	pid_t vpid;
};

struct dctx {
	struct dproc *procs;
	int nprocs;
	struct dfile *files;
	int nfiles;
	int dirfd;
	struct cr_img filesimg;
	struct cr_stats *st;
	char *pagebuf; /* CR_PAGES_BUF bytes, for page data */
	bool thawed;
	bool shell_job;
	struct cr_tty_dump ttys;
	bool tcp_established;
	struct cr_tcp_dump tcp;
	struct cr_fdx_dump fdx; /* FIFOs, UDP, named unix sockets, locks */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- freezing the tree ---- */

static struct dproc *find_proc(struct dctx *c, pid_t pid)
{
	for (int i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid)
			return &c->procs[i];
	return NULL;
}

static int add_proc(struct dctx *c, pid_t pid, berth_error_t *err)
{
	struct dproc *n = realloc(c->procs, (c->nprocs + 1) * sizeof(*n));

	if (n == NULL)
		return berth_error_errno(err, ENOMEM, "process %d", pid);
	c->procs = n;
	memset(&n[c->nprocs], 0, sizeof(*n));
	n[c->nprocs].pid = pid;
	c->nprocs++;
	return 0;
}

static bool has_thread(const struct dproc *p, pid_t tid)
{
	for (int i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return true;
	return false;
}

static int stat_fields(pid_t pid, unsigned long long *f, int nf, berth_error_t *err);

/*
 * Whether p has exited and waits for its parent (state Z): a zombie cannot
 * be seized, it is recorded with its wait status instead (stat field 52).
 * Its children, if it had any, have gone to another parent already.
 */
static int check_zombie(struct dproc *p, berth_error_t *err)
{
	char path[64], *s;
	cleanup_free char *buf = NULL;
	size_t len;
	unsigned long long f[53];

	snprintf(path, sizeof(path), "/proc/%d/stat", p->pid);
	if (berth_read_file(path, &buf, &len, err) < 0)
		return berth_error_wrap(err, "process %d", p->pid);
	s = strrchr(buf, ')');
	if (s == NULL || s[1] != ' ')
		return berth_error(err, EINVAL, "process %d: bad stat", p->pid);
	if (s[2] != 'Z')
		return 0;
	/* A leader gone before its other threads is not waited for yet: not a zombie here. */
	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	{
		cleanup_closedir DIR *d = opendir(path);
		struct dirent *e;
		int n = 0;

		while (d && (e = readdir(d)) != NULL)
			n += e->d_name[0] != '.';
		if (n > 1)
			return 0;
	}
	if (stat_fields(p->pid, f, 53, err) < 0)
		return -1;
	p->zombie = true;
	p->status = (uint32_t)f[52] & 0xff7f; /* the core dump bit is not given back */
	free(p->threads);
	p->threads = NULL;
	p->nthreads = 0;
	return 0;
}

/* Seize the threads of p not seized yet; *changed when there were some. */
static int seize_threads(struct dproc *p, bool frozen, bool *changed, berth_error_t *err)
{
	char path[64];
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;

	if (p->zombie)
		return 0;
	if (p->nthreads == 0 && (check_zombie(p, err) < 0 || p->zombie))
		return p->zombie ? 0 : -1;
	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	d = opendir(path);
	if (d == NULL)
		return berth_error_errno(err, errno, "process %d", p->pid);
	/* The leader first, so threads[0] is always the leader. */
	if (!has_thread(p, p->pid) && p->nthreads == 0) {
		p->threads = calloc(1, sizeof(*p->threads));
		if (p->threads == NULL)
			return berth_error_errno(err, ENOMEM, "process %d", p->pid);
		p->threads[0].tid = p->pid;
		p->nthreads = 1;
		if ((frozen ? cr_seize_start(&p->threads[0], SEIZE_OPTS, err)
			    : cr_seize(&p->threads[0], SEIZE_OPTS, err)) < 0) {
			berth_error_t e2 = NULL;

			/*
			 * It may have exited since it was looked at, or while it
			 * was being stopped (its exit was then taken by our wait,
			 * which hands it back to its parent as a zombie).
			 */
			if (err && *err && ((*err)->errnum == EPERM || (*err)->errnum == ESRCH) &&
			    check_zombie(p, &e2) == 0 && p->zombie) {
				berth_error_release(err);
				return 0;
			}
			berth_error_release(&e2);
			if (err && *err && (*err)->errnum == EPERM)
				return berth_error(err, EPERM,
						   "process %d: unsupported resource: it is being "
						   "traced by another process, or cannot be traced",
						   p->pid);
			return -1;
		}
		*changed = true;
	}
	while ((e = readdir(d)) != NULL) {
		pid_t tid = atoi(e->d_name);
		struct cr_thread *n;

		if (tid <= 0 || has_thread(p, tid))
			continue;
		n = realloc(p->threads, (p->nthreads + 1) * sizeof(*n));
		if (n == NULL)
			return berth_error_errno(err, ENOMEM, "process %d", p->pid);
		p->threads = n;
		memset(&n[p->nthreads], 0, sizeof(*n));
		n[p->nthreads].tid = tid;
		p->nthreads++;
		if ((frozen ? cr_seize_start(&n[p->nthreads - 1], SEIZE_OPTS, err)
			    : cr_seize(&n[p->nthreads - 1], SEIZE_OPTS, err)) < 0) {
			if (kill(tid, 0) < 0 && errno == ESRCH) { /* exited meanwhile */
				p->nthreads--;
				continue;
			}
			return berth_error_wrap(err, "process %d", p->pid);
		}
		*changed = true;
	}
	return 0;
}

static int collect_children(struct dctx *c, struct dproc *p, bool *changed, berth_error_t *err)
{
	for (int i = 0; i < p->nthreads; i++) {
		char path[96];
		cleanup_free char *buf = NULL;
		size_t len;
		pid_t pid = p->pid;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", p->pid, p->threads[i].tid);
		if (berth_read_file(path, &buf, &len, err) < 0)
			return -1;
		for (char *s = buf, *tok; (tok = strtok_r(s, " \n", &s)) != NULL;) {
			pid_t child = atoi(tok);

			if (child > 0 && find_proc(c, child) == NULL) {
				if (add_proc(c, child, err) < 0)
					return -1;
				*changed = true;
				p = find_proc(c, pid); /* the array may have moved */
			}
		}
	}
	return 0;
}

static int freeze_tree(struct dctx *c, pid_t root, const struct cr_dump_opts *o,
		       berth_error_t *err)
{
	bool changed = true, frozen = o->thaw != NULL;

	if (add_proc(c, root, err) < 0)
		return -1;
	while (changed) {
		changed = false;
		for (int i = 0; i < c->nprocs; i++) {
			if (seize_threads(&c->procs[i], frozen, &changed, err) < 0)
				return -1;
			if (i == 0 && c->procs[0].zombie)
				return berth_error(err, ESRCH, "process %d has exited (a zombie)", root);
			if (collect_children(c, &c->procs[i], &changed, err) < 0)
				return -1;
		}
	}
	if (!frozen)
		return 0;
	/* Frozen, the tree could not change; thawed, every thread stops for us. */
	c->thawed = true;
	if (o->thaw(o->thaw_arg, err) < 0)
		return -1;
	for (int i = 0; i < c->nprocs; i++)
		for (int t = 0; t < c->procs[i].nthreads; t++)
			if (cr_seize_wait(&c->procs[i].threads[t], err) < 0)
				return berth_error_wrap(err, "process %d", c->procs[i].pid);
	return 0;
}

static void release_tree(struct dctx *c, bool kill_it)
{
	for (int i = 0; i < c->nprocs; i++) {
		struct dproc *p = &c->procs[i];

		if (p->scratch_used && !kill_it) {
			struct iovec l = { p->saved, sizeof(p->saved) };
			struct iovec r = { (void *)p->scratch, sizeof(p->saved) };

			process_vm_writev(p->pid, &l, 1, &r, 1, 0);
		}
		if (kill_it && p->nthreads)
			kill(p->pid, SIGKILL);
		for (int t = 0; t < p->nthreads && !kill_it; t++)
			cr_release(&p->threads[t], NULL);
	}
	/*
	 * Killed tracees stay zombies for their tracer until it has waited for
	 * them, and a pid namespace's init waits for all of them: reap in any order.
	 */
	for (int round = 0, left = 1; kill_it && left && round < 10000; round++) {
		left = 0;
		for (int i = 0; i < c->nprocs; i++)
			for (int t = 0; t < c->procs[i].nthreads; t++) {
				struct cr_thread *th = &c->procs[i].threads[t];
				int st;
				pid_t r;

				if (!th->seized)
					continue;
				r = waitpid(th->tid, &st, __WALL | WNOHANG);
				if (r < 0 || (r == th->tid && (WIFEXITED(st) || WIFSIGNALED(st))))
					th->seized = false;
				else
					left++;
			}
		if (left)
			usleep(1000);
	}
}

/* ---- /proc readers ---- */

static int status_field(pid_t pid, const char *key, char *out, size_t outlen, berth_error_t *err)
{
	char path[64], line[512];
	cleanup_fclose FILE *f = NULL;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return berth_error_errno(err, errno, "process %d: open status", pid);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *v = line + klen + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(out, outlen, "%s", v);
			return 0;
		}
	}
	return berth_error(err, ENOENT, "process %d: no `%s` in status", pid, key);
}

/* The last (innermost namespace) number of a "NSpid:"-style field. */
static int status_ns_last(pid_t pid, const char *key, pid_t *out, berth_error_t *err)
{
	char v[256], *last;

	if (status_field(pid, key, v, sizeof(v), err) < 0)
		return -1;
	last = strrchr(v, '\t');
	*out = atoi(last ? last + 1 : v);
	return 0;
}

static int read_link(const char *path, char **out, berth_error_t *err)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return berth_error_errno(err, errno, "read link `%s`", path);
	buf[n] = 0;
	*out = strdup(buf);
	return *out ? 0 : berth_error_errno(err, ENOMEM, "read link `%s`", path);
}

static int stat_fields(pid_t pid, unsigned long long *f, int nf, berth_error_t *err)
{
	char path[64];
	cleanup_free char *buf = NULL;
	size_t len;
	char *s, *tok;
	int i = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (berth_read_file(path, &buf, &len, err) < 0)
		return -1;
	s = strrchr(buf, ')');
	if (s == NULL)
		return berth_error(err, EINVAL, "process %d: bad stat", pid);
	s += 2;
	memset(f, 0, nf * sizeof(*f));
	while ((tok = strtok_r(s, " \n", &s)) != NULL && i < nf) {
		f[i] = strtoull(tok, NULL, 10);
		i++;
	}
	return 0;
}

/* ---- syscalls run in the tracee, with a scratch area on its stack ---- */

static int scratch_prepare(struct dproc *p, berth_error_t *err)
{
	struct iovec l = { p->saved, sizeof(p->saved) }, r;

	if (p->scratch_used)
		return 0;
	p->scratch = ((p->threads[0].regs.rsp - 1024) & ~63UL) - sizeof(p->saved);
	r.iov_base = (void *)p->scratch;
	r.iov_len = sizeof(p->saved);
	if (process_vm_readv(p->pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(p->saved))
		return berth_error_errno(err, errno, "process %d: read its stack", p->pid);
	p->scratch_used = true;
	return 0;
}

static int scratch_read(struct dproc *p, void *buf, size_t len, berth_error_t *err)
{
	struct iovec l = { buf, len }, r = { (void *)p->scratch, len };

	if (process_vm_readv(p->pid, &l, 1, &r, 1, 0) != (ssize_t)len)
		return berth_error_errno(err, errno, "process %d: read its stack", p->pid);
	return 0;
}

static int inject(struct dproc *p, struct cr_thread *t, long nr, long a0, long a1, long a2,
		  long a3, long *ret, berth_error_t *err)
{
	long a[6] = { a0, a1, a2, a3, 0, 0 };

	t->syscall_ip = p->threads[0].syscall_ip;
	if (cr_syscall(t, nr, a, ret, NULL, err) < 0)
		return berth_error_wrap(err, "process %d", p->pid);
	return 0;
}

/* ---- files ---- */

static int file_data(struct dctx *c, uint32_t id, int fd, uint64_t size, berth_error_t *err)
{
	static const size_t bufsz = 1 << 20;
	cleanup_free char *buf = malloc(bufsz);
	uint64_t off = 0;

	if (buf == NULL)
		return berth_error_errno(err, ENOMEM, "file data");
	while (off < size) {
		ssize_t n = pread(fd, buf, bufsz, (off_t)off);
		struct cr_r_file_data h = { id, 0, off };

		if (n < 0)
			return berth_error_errno(err, errno, "read file data");
		if (n == 0)
			break;
		if (cr_img_write(&c->filesimg, CR_REC_FILE_DATA, &h, sizeof(h), buf, n, err) < 0)
			return -1;
		off += n;
	}
	return 0;
}

/* Copy what sits in a pipe without taking it out: tee into a pipe of ours. */
static int pipe_data(struct dctx *c, uint32_t id, pid_t pid, int fd, berth_error_t *err)
{
	char path[64];
	cleanup_close int rd = -1;
	int tmp[2] = { -1, -1 };
	ssize_t n;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rd < 0)
		return berth_error_errno(err, errno, "open pipe `%s`", path);
	if (pipe2(tmp, O_CLOEXEC | O_NONBLOCK) < 0)
		return berth_error_errno(err, errno, "pipe");
	fcntl(tmp[1], F_SETPIPE_SZ, fcntl(rd, F_GETPIPE_SZ));
	n = tee(rd, tmp[1], INT32_MAX, SPLICE_F_NONBLOCK);
	if (n < 0 && errno != EAGAIN) {
		ret = berth_error_errno(err, errno, "copy pipe `%s`", path);
	} else if (n > 0) {
		cleanup_free char *buf = malloc(n);
		struct cr_r_file_data h = { id, 0, 0 };

		if (buf == NULL || berth_read_all(tmp[0], buf, n) != n)
			ret = berth_error_errno(err, errno ? errno : EIO, "copy pipe `%s`", path);
		else
			ret = cr_img_write(&c->filesimg, CR_REC_FILE_DATA, &h, sizeof(h), buf, n,
					   err);
	}
	close(tmp[0]);
	close(tmp[1]);
	return ret;
}

static int fdinfo(pid_t pid, int fd, unsigned int *flags, uint64_t *pos, berth_error_t *err)
{
	char path[64], line[256];
	cleanup_fclose FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "re");
	if (f == NULL)
		return berth_error_errno(err, errno, "open `%s`", path);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "pos:", 4) == 0)
			*pos = strtoull(line + 4, NULL, 10);
		else if (strncmp(line, "flags:", 6) == 0)
			*flags = strtoul(line + 6, NULL, 8);
	}
	return 0;
}

static bool allowed_chr(dev_t rdev)
{
	/* mem devices: null, zero, full, random, urandom; and /dev/tty */
	unsigned int ma = major(rdev), mi = minor(rdev);

	return (ma == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9));
}

/* The peer inode of an unnamed unix socket, from sock_diag in the socket's netns. */
static int unix_peer(pid_t pid, ino_t ino, uint32_t *peer, bool *named, berth_error_t *err)
{
	struct cr_unix_diag d;

	if (cr_unix_diag(pid, (uint32_t)ino, &d, err) < 0)
		return -1;
	*peer = d.peer;
	*named = d.named;
	return 0;
}

/* What waits in a unix socket's receive queue, peeked (not taken) record by record. */
static int unix_queue(struct dctx *c, uint32_t id, pid_t pid, int fd, int type, berth_error_t *err)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), off = 0, none = -1;
	cleanup_close int sfd = -1;
	cleanup_free char *buf = malloc(1 << 20);
	int ret = 0;

	if (pidfd >= 0) {
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		close(pidfd);
	}
	if (sfd < 0 || buf == NULL)
		return berth_error_errno(err, errno, "get socket");
	if (setsockopt(sfd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
		return berth_error_errno(err, errno, "socket peek offset");
	for (;;) {
		ssize_t n = recv(sfd, buf, 1 << 20, MSG_PEEK | MSG_DONTWAIT);
		struct cr_r_file_data h = { id, 0, 0 };

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			ret = berth_error_errno(err, errno, "peek socket queue");
			break;
		}
		if (n == 0 && type == SOCK_STREAM)
			break;
		if (cr_img_write(&c->filesimg, CR_REC_FILE_DATA, &h, sizeof(h), buf, n, err) < 0) {
			ret = -1;
			break;
		}
	}
	setsockopt(sfd, SOL_SOCKET, SO_PEEK_OFF, &none, sizeof(none));
	return ret;
}

/*
 * A listening TCP socket: its address and options.  Connections waiting in
 * its accept queue cannot be saved: they are a named error.
 */
static int tcp_listener(struct dctx *c, uint32_t id, struct dproc *p, int fd, const char *link,
			bool *is, berth_error_t *err)
{
	int pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0), v = 0;
	cleanup_close int sfd = -1;
	struct cr_r_file_params pr = { .id = id };
	struct cr_r_file_data h = { id, 0, 0 };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(v);
	struct pollfd pf;

	*is = false;
	if (pidfd >= 0) {
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		close(pidfd);
	}
	if (sfd < 0)
		return berth_error_errno(err, errno, "process %d: fd %d: get socket", p->vpid, fd);
	if (getsockopt(sfd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) < 0 || !v)
		return 0;
	*is = true;
	pf.fd = sfd;
	pf.events = POLLIN;
	if (poll(&pf, 1, 0) > 0)
		return berth_error(err, ENOTSUP,
				   "process %d: fd %d (%s, listening TCP socket): unsupported "
				   "resource: connections wait in its accept queue",
				   p->vpid, fd, link);
	if (c == NULL)
		return 0;
	sl = sizeof(int);
	getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &v, &sl);
	pr.p[0] = v;
	sl = sizeof(int);
	getsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &v, &sl);
	pr.p[1] = v;
	sl = sizeof(int);
	getsockopt(sfd, SOL_SOCKET, SO_REUSEPORT, &v, &sl);
	pr.p[2] = v;
	sl = sizeof(int);
	v = 0;
	if (pr.p[0] == AF_INET6)
		getsockopt(sfd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &sl);
	pr.p[3] = v;
	pr.p[4] = SOMAXCONN; /* the backlog is not readable; the largest is always right */
	sl = sizeof(ss);
	if (getsockname(sfd, (struct sockaddr *)&ss, &sl) < 0)
		return berth_error_errno(err, errno, "process %d: fd %d: socket address", p->vpid,
					 fd);
	if (cr_img_write(&c->filesimg, CR_REC_FILE_PARAMS, &pr, sizeof(pr), NULL, 0, err) < 0)
		return -1;
	return cr_img_write(&c->filesimg, CR_REC_FILE_DATA, &h, sizeof(h), &ss, sl, err);
}

/* "netlink socket", "unix stream socket", ...: what an unsupported socket is. */
static const char *what_sock(pid_t pid, int fd, char *out, size_t len)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), sfd = -1, dom = -1, type = -1;
	socklen_t sl = sizeof(int);
	const char *d = "other", *t = "";

	if (pidfd >= 0)
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (sfd >= 0) {
		getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &dom, &sl);
		sl = sizeof(int);
		getsockopt(sfd, SOL_SOCKET, SO_TYPE, &type, &sl);
		close(sfd);
	}
	if (pidfd >= 0)
		close(pidfd);
	d = dom == AF_UNIX ? "unix" : dom == AF_INET ? "inet" : dom == AF_INET6 ? "inet6" :
	    dom == AF_NETLINK ? "netlink" : dom == AF_PACKET ? "packet" : "other";
	t = type == SOCK_STREAM ? " stream" : type == SOCK_DGRAM ? " datagram" :
	    type == SOCK_SEQPACKET ? " seqpacket" : "";
	snprintf(out, len, "%s%s socket", d, t);
	return out;
}

static int dump_file(struct dctx *c, struct dproc *p, int fd, uint32_t *id, berth_error_t *err);

/* The state of eventfd, signalfd, timerfd and epoll files, from their fdinfo. */
static int anon_state(struct dctx *c, struct dproc *p, int fd, const struct cr_r_file *f,
		      berth_error_t *err)
{
	char path[64];
	cleanup_free char *line = NULL;
	size_t cap = 0;
	cleanup_fclose FILE *in = NULL;
	struct cr_r_file_params r = { .id = f->id };
	unsigned long long a, b;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", p->pid, fd);
	in = fopen(path, "re");
	if (in == NULL)
		return berth_error_errno(err, errno, "open `%s`", path);
	while (getline(&line, &cap, in) > 0) {
		unsigned int tfd, events;
		unsigned long long data;

		if (sscanf(line, "eventfd-count: %llx", &a) == 1)
			r.p[0] = a;
		else if (sscanf(line, "eventfd-semaphore: %llu", &a) == 1)
			r.p[1] = a;
		else if (sscanf(line, "sigmask: %llx", &a) == 1)
			r.p[0] = a;
		else if (sscanf(line, "clockid: %llu", &a) == 1)
			r.p[0] = a;
		else if (sscanf(line, "ticks: %llu", &a) == 1)
			r.p[1] = a;
		else if (sscanf(line, "settime flags: %llo", &a) == 1)
			r.p[2] = a;
		else if (sscanf(line, "it_value: (%llu, %llu)", &a, &b) == 2) {
			r.p[3] = a;
			r.p[4] = b;
		} else if (sscanf(line, "it_interval: (%llu, %llu)", &a, &b) == 2) {
			r.p[5] = a;
			r.p[6] = b;
		} else if (sscanf(line, "tfd: %u events: %x data: %llx", &tfd, &events, &data) == 3) {
			struct cr_r_epoll_tfd e = { f->id, p->vpid, fd, tfd, events, 0, data };
			uint32_t tid;

			if (dump_file(c, p, (int)tfd, &tid, err) < 0)
				return berth_error_wrap(err, "watched fd %u", tfd);
			if (cr_img_write(&c->filesimg, CR_REC_EPOLL_TFD, &e, sizeof(e), NULL, 0,
					 err) < 0)
				return -1;
		}
	}
	if (f->type == CR_FILE_EPOLL)
		return 0;
	return cr_img_write(&c->filesimg, CR_REC_FILE_PARAMS, &r, sizeof(r), NULL, 0, err);
}

/* Find or add the open file description behind pid's fd; *id gets its number. */
static int dump_file(struct dctx *c, struct dproc *p, int fd, uint32_t *id, berth_error_t *err)
{
	char path[64];
	cleanup_free char *link = NULL;
	struct stat sb;
	struct cr_r_file f;
	unsigned int flags = 0;
	uint64_t pos = 0;
	size_t plen;
	struct dfile *nf;
	char what[64] = "";
	uint32_t peer = 0;
	int stype = 0;
	bool pipe_seen = false;
	int ret, xt;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, fd);
	if (read_link(path, &link, err) < 0 || stat(path, &sb) < 0)
		return berth_error_errno(err, errno, "process %d: fd %d", p->vpid, fd);
	for (int i = 0; i < c->nfiles; i++) {
		struct dfile *d = &c->files[i];

		if (d->dev == sb.st_dev && d->ino == sb.st_ino &&
		    syscall(SYS_kcmp, d->pid, p->pid, KCMP_FILE, d->fd, fd) == 0) {
			*id = d->id;
			return 0;
		}
	}
	if (fdinfo(p->pid, fd, &flags, &pos, err) < 0)
		return -1;
	memset(&f, 0, sizeof(f));
	f.id = c->nfiles + 1;
	f.flags = flags & ~O_CLOEXEC;
	f.mode = sb.st_mode;
	f.pos = pos;
	f.size = sb.st_size;
	f.ino = sb.st_ino;
	f.rdev = sb.st_rdev;
	plen = strlen(link);
	xt = cr_fdx_classify(&c->fdx, p->pid, p->vpid, fd, link, &sb, &f, err);
	if (xt < 0)
		return -1;
	if (xt > 0) {
		/* a type of fdx.c: FIFO, UDP, unix socket with a name */
	} else if (strcmp(link, "anon_inode:[eventfd]") == 0) {
		f.type = CR_FILE_EVENTFD;
	} else if (strcmp(link, "anon_inode:[signalfd]") == 0) {
		f.type = CR_FILE_SIGNALFD;
	} else if (strcmp(link, "anon_inode:[timerfd]") == 0) {
		f.type = CR_FILE_TIMERFD;
	} else if (strcmp(link, "anon_inode:[eventpoll]") == 0) {
		f.type = CR_FILE_EPOLL;
	} else if (S_ISREG(sb.st_mode) && strncmp(link, "/memfd:", 7) == 0) {
		f.type = CR_FILE_MEMFD;
	} else if (S_ISREG(sb.st_mode)) {
		f.type = CR_FILE_REG;
		if (sb.st_nlink == 0 && plen > 10 && strcmp(link + plen - 10, " (deleted)") == 0) {
			f.deleted = 1;
			link[plen - 10] = 0;
		}
	} else if (S_ISDIR(sb.st_mode)) {
		f.type = CR_FILE_DIR;
	} else if (S_ISCHR(sb.st_mode) && allowed_chr(sb.st_rdev)) {
		f.type = CR_FILE_CHR;
	} else if (S_ISCHR(sb.st_mode) && cr_tty_is(sb.st_rdev)) {
		f.type = CR_FILE_TTY;
	} else if (S_ISFIFO(sb.st_mode) && strncmp(link, "pipe:", 5) == 0) {
		f.type = CR_FILE_PIPE;
		f.pipe_size = 0;
	} else if (S_ISSOCK(sb.st_mode) && strstr(what_sock(p->pid, fd, what, sizeof(what)),
						  "unix") == what) {
		bool named;

		f.type = CR_FILE_UNIX;
		if (unix_peer(p->pid, sb.st_ino, &peer, &named, err) < 0)
			return berth_error_wrap(err, "process %d: fd %d (%s)", p->vpid, fd, link);
		if (named || peer == 0)
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d (%s, %s%s): unsupported resource",
					   p->vpid, fd, link, what,
					   named ? ", bound to a name" : ", not connected");
		stype = strstr(what, "stream")	  ? SOCK_STREAM
			: strstr(what, "seqpacket") ? SOCK_SEQPACKET
						    : SOCK_DGRAM;
	} else if (S_ISSOCK(sb.st_mode) && strstr(what, "inet") == what &&
		   strstr(what, "stream")) {
		bool listening;

		if (tcp_listener(NULL, 0, p, fd, link, &listening, err) < 0)
			return -1;
		if (!listening && !c->tcp_established)
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d (%s, %s, not listening): unsupported "
					   "resource",
					   p->vpid, fd, link, what);
		f.type = listening ? CR_FILE_TCP_LISTEN : CR_FILE_TCP;
	} else if (S_ISSOCK(sb.st_mode)) {
		return berth_error(err, ENOTSUP, "process %d: fd %d (%s, %s): unsupported resource",
				   p->vpid, fd, link, what);
	} else {
		return berth_error(err, ENOTSUP, "process %d: fd %d (%s): unsupported resource",
				   p->vpid, fd, link);
	}
	if (f.type == CR_FILE_PIPE || f.type == CR_FILE_FIFO) {
		cleanup_close int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		if (rd >= 0)
			f.pipe_size = fcntl(rd, F_GETPIPE_SZ);
	}
	for (int i = 0; i < c->nfiles; i++)
		if (c->files[i].dev == sb.st_dev && c->files[i].ino == sb.st_ino)
			pipe_seen = true; /* its buffer is saved with the first end seen */
	nf = realloc(c->files, (c->nfiles + 1) * sizeof(*nf));
	if (nf == NULL)
		return berth_error_errno(err, ENOMEM, "files");
	c->files = nf;
	nf[c->nfiles] = (struct dfile){ f.id, p->pid, fd, sb.st_dev, sb.st_ino, peer, p->vpid };
	c->nfiles++;
	*id = f.id;
	ret = cr_img_write(&c->filesimg, CR_REC_FILE, &f, sizeof(f), link, strlen(link) + 1, err);
	if (ret < 0)
		return -1;
	if (f.deleted || f.type == CR_FILE_MEMFD) {
		cleanup_close int rd = open(path, O_RDONLY | O_CLOEXEC);

		if (rd < 0)
			return berth_error_errno(err, errno, "process %d: fd %d: read %s", p->vpid,
						 fd, link);
		if (file_data(c, f.id, rd, sb.st_size, err) < 0)
			return berth_error_wrap(err, "process %d: fd %d", p->vpid, fd);
	}
	if (f.type >= CR_FILE_EVENTFD && f.type <= CR_FILE_EPOLL &&
	    anon_state(c, p, fd, &f, err) < 0)
		return berth_error_wrap(err, "process %d: fd %d (%s)", p->vpid, fd, link);
	if (f.type == CR_FILE_TTY && cr_tty_note(&c->ttys, f.id, p->pid, p->vpid, fd, &sb, err) < 0)
		return -1;
	if (f.type == CR_FILE_TCP_LISTEN) {
		bool listening;

		if (tcp_listener(c, f.id, p, fd, link, &listening, err) < 0)
			return -1;
	}
	if (f.type == CR_FILE_TCP && cr_tcp_dump(&c->tcp, &c->filesimg, f.id, p->pid, fd, err) < 0)
		return berth_error_wrap(err, "process %d: fd %d (%s)", p->vpid, fd, link);
	if (f.type == CR_FILE_UNIX) {
		struct cr_r_file_params pr = { .id = f.id, .p = { peer, (uint64_t)stype } };

		if (cr_img_write(&c->filesimg, CR_REC_FILE_PARAMS, &pr, sizeof(pr), NULL, 0, err) < 0 ||
		    unix_queue(c, f.id, p->pid, fd, stype, err) < 0)
			return berth_error_wrap(err, "process %d: fd %d (%s)", p->vpid, fd, link);
	}
	if (xt > 0 && cr_fdx_state(&c->fdx, p->pid, p->vpid, fd, link, &f, err) < 0)
		return -1;
	if (f.type == CR_FILE_UNIX_SK && cr_usk_queue(&c->fdx, f.id, &stype) &&
	    unix_queue(c, f.id, p->pid, fd, stype, err) < 0)
		return berth_error_wrap(err, "process %d: fd %d (%s)", p->vpid, fd, link);
	if ((f.type == CR_FILE_PIPE || f.type == CR_FILE_FIFO) && !pipe_seen &&
	    pipe_data(c, f.id, p->pid, fd, err) < 0)
		return berth_error_wrap(err, "process %d: fd %d", p->vpid, fd);
	return 0;
}

static int dump_fds(struct dctx *c, struct dproc *p, struct cr_img *img, berth_error_t *err)
{
	char path[64];
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/fd", p->pid);
	d = opendir(path);
	if (d == NULL)
		return berth_error_errno(err, errno, "process %d: list fds", p->vpid);
	while ((e = readdir(d)) != NULL) {
		struct cr_r_fd r = { 0 };
		unsigned int flags = 0;
		uint64_t pos;

		if (e->d_name[0] == '.')
			continue;
		r.fd = atoi(e->d_name);
		if (dump_file(c, p, r.fd, &r.file_id, err) < 0 ||
		    cr_fdx_locks(&c->fdx, p->pid, p->vpid, r.fd, r.file_id, err) < 0)
			return -1;
		if (fdinfo(p->pid, r.fd, &flags, &pos, err) < 0)
			return -1;
		r.fdflags = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
		if (cr_img_write(img, CR_REC_FD, &r, sizeof(r), NULL, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- one process ---- */

static int write_path(struct cr_img *img, uint32_t tag, const char *s, berth_error_t *err)
{
	struct cr_r_path h = { tag, 0 };

	return cr_img_write(img, CR_REC_PATH, &h, sizeof(h), s, strlen(s) + 1, err);
}

/* The thread's name (comm, at most 15 bytes), as ps and /proc/PID/comm show it. */
static int thread_name(pid_t pid, pid_t tid, char name[16], berth_error_t *err)
{
	char path[64];
	ssize_t n;
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, name, 15)) < 0)
		return berth_error_errno(err, errno, "thread %d: name", tid);
	while (n > 0 && name[n - 1] == '\n')
		n--;
	name[n] = '\0';
	return 0;
}

static int dump_threads(struct dproc *p, struct cr_img *img, berth_error_t *err)
{
	for (int i = 0; i < p->nthreads; i++) {
		struct cr_thread *t = &p->threads[i];
		char name[16];
		struct cr_r_thread r;
		struct cr_rseq_conf rs;
		struct ptrace_peeksiginfo_args pa = { 0, 0, 1 };
		unsigned char si[128], xs[16384];
		struct iovec iov = { xs, sizeof(xs) };
		struct cr_r_xstate xh = { 0 };
		long ret, head = 0;
		size_t hlen = 0;
		uint64_t ss[3];

		memset(&r, 0, sizeof(r));
		if (status_ns_last(t->tid, "NSpid", &t->vtid, err) < 0)
			return -1;
		r.tid = t->vtid;
		memcpy(r.regs, &t->regs, sizeof(r.regs));
		if (ptrace(PTRACE_GETSIGMASK, t->tid, sizeof(r.sigmask), &r.sigmask) < 0)
			return berth_error_errno(err, errno, "thread %d: signal mask", t->tid);
		if (ptrace(CR_PTRACE_GET_RSEQ_CONFIGURATION, t->tid, sizeof(rs), &rs) > 0) {
			r.rseq_addr = rs.rseq_abi_pointer;
			r.rseq_len = rs.rseq_abi_size;
			r.rseq_sig = rs.signature;
		}
		if (syscall(SYS_get_robust_list, t->tid, &head, &hlen) == 0) {
			r.robust_head = head;
			r.robust_len = hlen;
		}
		if (inject(p, t, SYS_prctl, PR_GET_TID_ADDRESS, p->scratch, 0, 0, &ret, err) < 0)
			return -1;
		if (ret == 0 && scratch_read(p, &r.tid_address, 8, err) < 0)
			return -1;
		if (inject(p, t, SYS_sigaltstack, 0, p->scratch, 0, 0, &ret, err) < 0)
			return -1;
		if (ret == 0 && scratch_read(p, ss, sizeof(ss), err) < 0)
			return -1;
		if (ret == 0) { /* stack_t: sp, flags (int), size */
			r.ss_sp = ss[0];
			r.ss_flags = (uint32_t)ss[1];
			r.ss_size = ss[2];
		}
		if (thread_name(p->pid, t->tid, name, err) < 0 ||
		    cr_img_write(img, CR_REC_THREAD, &r, sizeof(r), name, strlen(name) + 1, err) < 0)
			return -1;
		if (ptrace(PTRACE_GETREGSET, t->tid, NT_X86_XSTATE, &iov) < 0)
			return berth_error_errno(err, errno, "thread %d: fpu state", t->tid);
		xh.tid = t->vtid;
		if (cr_img_write(img, CR_REC_XSTATE, &xh, sizeof(xh), xs, iov.iov_len, err) < 0)
			return -1;
		/* Pending signals of the thread, then (leader only) of the process. */
		for (int shared = 0; shared < (i == 0 ? 2 : 1); shared++) {
			struct cr_r_siginfo sh = { shared ? 0 : t->vtid, 0 };

			pa.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0;
			for (pa.off = 0;; pa.off++) {
				long n = ptrace(PTRACE_PEEKSIGINFO, t->tid, &pa, si);

				if (n < 0)
					return berth_error_errno(err, errno, "thread %d: signals",
								 t->tid);
				if (n == 0)
					break;
				if (cr_img_write(img, CR_REC_SIGINFO, &sh, sizeof(sh), si, 128,
						 err) < 0)
					return -1;
			}
		}
		if (t->has_sig) {
			struct cr_r_siginfo sh = { t->vtid, 0 };

			if (cr_img_write(img, CR_REC_SIGINFO, &sh, sizeof(sh), t->siginfo, 128,
					 err) < 0)
				return -1;
		}
	}
	return 0;
}

static int dump_sigactions(struct dproc *p, struct cr_img *img, berth_error_t *err)
{
	for (int sig = 1; sig <= 64; sig++) {
		struct cr_r_sigaction r = { .sig = sig };
		uint64_t ka[4];
		long ret;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (inject(p, &p->threads[0], SYS_rt_sigaction, sig, 0, p->scratch, 8, &ret,
			   err) < 0)
			return -1;
		if (ret < 0)
			return berth_error_errno(err, (int)-ret, "process %d: signal %d action",
						 p->vpid, sig);
		if (scratch_read(p, ka, sizeof(ka), err) < 0)
			return -1;
		if (ka[0] == 0 && ka[1] == 0 && ka[3] == 0)
			continue; /* default action, nothing special */
		r.handler = ka[0];
		r.flags = ka[1];
		r.restorer = ka[2];
		r.mask = ka[3];
		if (cr_img_write(img, CR_REC_SIGACTION, &r, sizeof(r), NULL, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* Numbers of a status field ("Uid:", "Groups:") in base, at most max of them. */
static int status_numbers(pid_t pid, const char *key, int base, uint64_t *out, int max, int *n,
			  berth_error_t *err)
{
	char v[512], *s = v, *end;

	if (status_field(pid, key, v, sizeof(v), err) < 0)
		return -1;
	for (*n = 0; *n < max; (*n)++) {
		unsigned long long x = strtoull(s, &end, base);

		if (end == s)
			break;
		out[*n] = x;
		s = end;
	}
	return 0;
}

/*
 * Credentials of the leader (berth restores them on every thread): ids,
 * groups, capability sets, no_new_privs and the seccomp filters, oldest last.
 */
static int dump_creds(struct dproc *p, struct cr_img *img, berth_error_t *err)
{
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	uint64_t ids[4], groups[64], v[1];
	uint64_t *capv[5];
	struct cr_r_creds cr;
	uint32_t g32[64];
	int n;

	memset(&cr, 0, sizeof(cr));
	capv[0] = &cr.cap_inh, capv[1] = &cr.cap_prm, capv[2] = &cr.cap_eff;
	capv[3] = &cr.cap_bnd, capv[4] = &cr.cap_amb;
	if (status_numbers(p->pid, "Uid", 10, ids, 4, &n, err) < 0 || n != 4)
		return n != 4 ? berth_error(err, EINVAL, "process %d: Uid in status", p->vpid) : -1;
	for (int i = 0; i < 4; i++)
		cr.uid[i] = (uint32_t)ids[i];
	if (status_numbers(p->pid, "Gid", 10, ids, 4, &n, err) < 0 || n != 4)
		return n != 4 ? berth_error(err, EINVAL, "process %d: Gid in status", p->vpid) : -1;
	for (int i = 0; i < 4; i++)
		cr.gid[i] = (uint32_t)ids[i];
	if (status_numbers(p->pid, "Groups", 10, groups, 64, &n, err) < 0)
		return -1;
	if (n == 64)
		return berth_error(err, ENOTSUP, "process %d: more than 63 supplementary groups",
				   p->vpid);
	cr.ngroups = (uint32_t)n;
	for (int i = 0; i < n; i++)
		g32[i] = (uint32_t)groups[i];
	for (int i = 0; i < 5; i++) {
		if (status_numbers(p->pid, caps[i], 16, capv[i], 1, &n, err) < 0)
			return -1;
	}
	if (status_numbers(p->pid, "NoNewPrivs", 10, v, 1, &n, err) < 0)
		return -1;
	cr.no_new_privs = (uint32_t)v[0];
	if (status_numbers(p->pid, "Seccomp", 10, v, 1, &n, err) < 0)
		return -1;
	cr.seccomp = (uint32_t)v[0];
	if (cr.seccomp == 1)
		return berth_error(err, ENOTSUP, "process %d: seccomp strict mode: unsupported resource",
				   p->vpid);
	if (cr_img_write(img, CR_REC_CREDS, &cr, sizeof(cr), g32, cr.ngroups * 4, err) < 0)
		return -1;
	for (uint32_t i = 0; cr.seccomp == 2; i++) {
		struct cr_r_seccomp h = { i, 0 };
		cleanup_free void *insns = NULL;
		long len = ptrace(PTRACE_SECCOMP_GET_FILTER, p->threads[0].tid, i, NULL);

		if (len < 0 && errno == ENOENT)
			break;
		if (len <= 0 || len > 4096)
			return berth_error_errno(err, len < 0 ? errno : EINVAL,
						 "process %d: seccomp filter %u", p->vpid, i);
		insns = calloc((size_t)len, 8);
		if (insns == NULL ||
		    ptrace(PTRACE_SECCOMP_GET_FILTER, p->threads[0].tid, i, insns) != len)
			return berth_error_errno(err, insns ? errno : ENOMEM,
						 "process %d: seccomp filter %u", p->vpid, i);
		h.len = (uint32_t)len;
		if (cr_img_write(img, CR_REC_SECCOMP, &h, sizeof(h), insns, (size_t)len * 8, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * The 16 resource limits, in RLIMIT_* order, from /proc/PID/limits: prlimit()
 * on a process of another user needs CAP_SYS_RESOURCE, which berth may lack.
 */
static int read_limits(struct dproc *p, uint64_t rlim[16][2], berth_error_t *err)
{
	char path[64], line[256];
	cleanup_fclose FILE *f = NULL;
	int r = -1;

	snprintf(path, sizeof(path), "/proc/%d/limits", p->pid);
	f = fopen(path, "re");
	if (f == NULL)
		return berth_error_errno(err, errno, "process %d: limits", p->vpid);
	while (r < 16 && fgets(line, sizeof(line), f)) {
		char *s = line + 26, *end; /* the values start at column 26 */

		if (r < 0) {
			r = 0; /* the heading */
			continue;
		}
		for (int k = 0; k < 2; k++) {
			s += strspn(s, " ");
			if (strncmp(s, "unlimited", 9) == 0) {
				rlim[r][k] = RLIM_INFINITY;
				s += 9;
				continue;
			}
			rlim[r][k] = strtoull(s, &end, 10);
			if (end == s)
				return berth_error(err, EINVAL, "process %d: limits: bad line `%.40s`",
						   p->vpid, line);
			s = end;
		}
		r++;
	}
	if (r < 16)
		return berth_error(err, EINVAL, "process %d: limits: %d of 16", p->vpid, r);
	return 0;
}

static int dump_task(struct dproc *p, struct cr_img *img, berth_error_t *err)
{
	unsigned long long f[53];
	struct cr_r_task t;
	char v[64], path[64];
	cleanup_free char *auxv = NULL, *pers = NULL;
	size_t len;
	long brk;
	static const char *const links[] = { [CR_PATH_CWD] = "cwd", [CR_PATH_EXE] = "exe",
					     [CR_PATH_ROOT] = "root" };

	memset(&t, 0, sizeof(t));
	if (stat_fields(p->pid, f, 53, err) < 0)
		return -1;
	t.start_code = f[26];
	t.end_code = f[27];
	t.start_stack = f[28];
	t.start_data = f[45];
	t.end_data = f[46];
	t.start_brk = f[47];
	t.arg_start = f[48];
	t.arg_end = f[49];
	t.env_start = f[50];
	t.env_end = f[51];
	if (inject(p, &p->threads[0], SYS_brk, 0, 0, 0, 0, &brk, err) < 0)
		return -1;
	t.brk = brk;
	if (status_field(p->pid, "Umask", v, sizeof(v), err) < 0)
		return -1;
	t.umask = strtoul(v, NULL, 8);
	snprintf(path, sizeof(path), "/proc/%d/personality", p->pid);
	if (berth_read_file(path, &pers, &len, err) < 0)
		return -1;
	t.personality = strtoul(pers, NULL, 16);
	if (read_limits(p, t.rlim, err) < 0)
		return -1;
	if (cr_img_write(img, CR_REC_TASK, &t, sizeof(t), NULL, 0, err) < 0)
		return -1;
	for (int i = CR_PATH_CWD; i <= CR_PATH_ROOT; i++) {
		cleanup_free char *s = NULL;

		snprintf(path, sizeof(path), "/proc/%d/%s", p->pid, links[i]);
		if (read_link(path, &s, err) < 0 || write_path(img, i, s, err) < 0)
			return berth_error_wrap(err, "process %d", p->vpid);
	}
	snprintf(path, sizeof(path), "/proc/%d/auxv", p->pid);
	if (berth_read_file(path, &auxv, &len, err) < 0)
		return -1;
	return cr_img_write(img, CR_REC_AUXV, auxv, len, NULL, 0, err);
}

static int dump_mm(struct dctx *c, struct dproc *p, struct cr_vma *v, int nv, struct cr_img *core,
		   berth_error_t *err)
{
	char name[64];
	struct cr_img pages;
	uint64_t t0;
	int ret = -1;

	for (int i = 0; i < nv; i++) {
		struct cr_r_vma r = { v[i].start, v[i].end, v[i].pgoff, v[i].prot, v[i].flags,
				      v[i].kind, 0 };
		const char *pth = v[i].path ? v[i].path : "";

		if (cr_img_write(core, CR_REC_VMA, &r, sizeof(r), pth, strlen(pth) + 1, err) < 0)
			return berth_error_wrap(err, "process %d: memory", p->vpid);
	}
	t0 = now_ns();
	snprintf(name, sizeof(name), "pages-%d.img", p->vpid);
	if (cr_img_create(&pages, c->dirfd, name, CR_KIND_PAGES, err) == 0 &&
	    cr_dump_pages(p->pid, v, nv, &pages, c->pagebuf, &c->st->page_bytes, err) == 0)
		ret = cr_img_finish(&pages, err);
	cr_img_close(&pages);
	c->st->pages_ns += now_ns() - t0;
	return ret < 0 ? berth_error_wrap(err, "process %d: memory", p->vpid) : 0;
}

static int dump_proc(struct dctx *c, struct dproc *p, berth_error_t *err)
{
	char name[64];
	struct cr_img core;
	struct cr_vma *v = NULL;
	int nv = 0, ret = -1;

	if (cr_read_maps(p->pid, &v, &nv, err) < 0)
		return -1;
	for (int i = 0; i < nv; i++) {
		if (v[i].kind == CR_VMA_VDSO &&
		    cr_find_syscall_insn(p->pid, v[i].start, v[i].end, &p->threads[0].syscall_ip,
					 err) < 0)
			goto out_maps;
		if (v[i].kind == 0) {
			ret = berth_error(err, ENOTSUP,
					  "process %d: mapping %#" PRIx64 "-%#" PRIx64
					  " (%s): unsupported resource",
					  p->vpid, v[i].start, v[i].end, v[i].path ? v[i].path : "");
			goto out_maps;
		}
	}
	if (p->threads[0].syscall_ip == 0) {
		ret = berth_error(err, ENOTSUP, "process %d: no [vdso] mapping", p->vpid);
		goto out_maps;
	}
	if (scratch_prepare(p, err) < 0)
		goto out_maps;
	snprintf(name, sizeof(name), "core-%d.img", p->vpid);
	if (cr_img_create(&core, c->dirfd, name, CR_KIND_CORE, err) < 0)
		goto out_core;
	if (dump_task(p, &core, err) < 0 || dump_creds(p, &core, err) < 0 ||
	    dump_threads(p, &core, err) < 0 ||
	    dump_sigactions(p, &core, err) < 0 || dump_fds(c, p, &core, err) < 0 ||
	    dump_mm(c, p, v, nv, &core, err) < 0)
		goto out_core;
	ret = cr_img_finish(&core, err);
out_core:
	cr_img_close(&core);
out_maps:
	cr_free_maps(v, nv);
	return ret;
}

static int write_pstree(struct dctx *c, berth_error_t *err)
{
	struct cr_img img;
	int ret = -1;

	if (cr_img_create(&img, c->dirfd, "pstree.img", CR_KIND_PSTREE, err) < 0)
		goto out;
	for (int i = 0; i < c->nprocs; i++) {
		struct dproc *p = &c->procs[i];
		struct cr_r_process r = { p->vpid, 0, p->pgid, p->sid, p->nthreads, 0 };
		uint32_t tids[p->nthreads + 2];
		size_t n = p->nthreads;
		struct dproc *parent = NULL;
		char v[64];

		if (status_field(p->pid, "PPid", v, sizeof(v), err) < 0)
			goto out;
		parent = find_proc(c, atoi(v));
		r.ppid = parent ? (uint32_t)parent->vpid : 0;
		for (int t = 0; t < p->nthreads; t++)
			tids[t] = p->threads[t].vtid;
		if (p->zombie) {
			r.nthreads = 1;
			r.flags = CR_PROC_ZOMBIE;
			tids[0] = p->vpid;
			tids[1] = p->status;
			n = 2;
		}
		if (cr_img_write(&img, CR_REC_PROCESS, &r, sizeof(r), tids, n * sizeof(tids[0]),
				 err) < 0)
			goto out;
	}
	ret = cr_img_finish(&img, err);
out:
	cr_img_close(&img);
	return ret;
}

static int write_inventory(struct dctx *c, berth_error_t *err)
{
	struct cr_img img;
	struct cr_r_inventory r = { CR_ARCH_X86_64, CR_PAGE, c->nprocs, c->procs[0].vpid, 0, 0 };
	struct timespec ts;
	int ret = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (cr_img_create(&img, c->dirfd, "inventory.img", CR_KIND_INVENTORY, err) == 0 &&
	    cr_img_write(&img, CR_REC_INVENTORY, &r, sizeof(r), NULL, 0, err) == 0)
		ret = cr_img_finish(&img, err);
	cr_img_close(&img);
	return ret;
}

/* The terminals' state and sessions, once every process's files are known. */
static int dump_ttys(struct dctx *c, berth_error_t *err)
{
	struct cr_tty_proc *tp = calloc(c->nprocs, sizeof(*tp));
	int ret;

	if (tp == NULL)
		return berth_error_errno(err, ENOMEM, "terminals");
	for (int i = 0; i < c->nprocs; i++)
		tp[i] = (struct cr_tty_proc){ c->procs[i].pid, c->procs[i].vpid, c->procs[i].pgid };
	ret = cr_tty_dump_finish(&c->ttys, &c->filesimg, tp, c->nprocs, c->shell_job, err);
	free(tp);
	return ret;
}

static int dump_all(struct dctx *c, berth_error_t *err)
{
	for (int i = 0; i < c->nprocs; i++) {
		struct dproc *p = &c->procs[i];

		if (status_ns_last(p->pid, "NSpid", &p->vpid, err) < 0 ||
		    status_ns_last(p->pid, "NSpgid", &p->pgid, err) < 0 ||
		    status_ns_last(p->pid, "NSsid", &p->sid, err) < 0)
			return -1;
	}
	if (cr_img_create(&c->filesimg, c->dirfd, "files.img", CR_KIND_FILES, err) < 0)
		return -1;
	for (int i = 0; i < c->nprocs; i++)
		if (!c->procs[i].zombie && dump_proc(c, &c->procs[i], err) < 0)
			return -1;
	for (int i = 0; i < c->nfiles; i++) {
		bool found = c->files[i].peer == 0;

		for (int j = 0; j < c->nfiles && !found; j++)
			found = c->files[j].ino == c->files[i].peer;
		if (!found)
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d (socket:[%lu], unix socket): unsupported "
					   "resource: its peer is outside the checkpointed tree",
					   c->files[i].vpid, c->files[i].fd,
					   (unsigned long)c->files[i].ino);
	}
	if (dump_ttys(c, err) < 0 || cr_fdx_finish(&c->fdx, err) < 0 ||
	    cr_img_finish(&c->filesimg, err) < 0)
		return -1;
	if (write_pstree(c, err) < 0)
		return -1;
	/* The inventory is written last: an image without it is incomplete. */
	return write_inventory(c, err);
}

static bool in_tree(void *arg, pid_t pid)
{
	return find_proc(arg, pid) != NULL;
}

int cr_dump_tree(pid_t pid, const char *imgdir, const struct cr_dump_opts *o, struct cr_stats *st,
		 berth_error_t *err)
{
	struct dctx c;
	struct cr_stats dummy = { 0 };
	uint64_t t0;
	int ret;

	memset(&c, 0, sizeof(c));
	c.filesimg.fd = -1;
	c.shell_job = o->shell_job;
	c.fdx.img = &c.filesimg;
	c.fdx.ext_unix_sk = o->ext_unix_sk;
	c.fdx.file_locks = o->file_locks;
	c.st = st ? st : &dummy;
	c.tcp_established = o->tcp_established;
	c.tcp.in_tree = in_tree;
	c.tcp.arg = &c;
	memset(c.st, 0, sizeof(*c.st));
	if (berth_mkdir_p(imgdir, 0700, err) < 0)
		return -1;
	c.dirfd = open(imgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dirfd < 0)
		return berth_error_errno(err, errno, "open image directory `%s`", imgdir);
	unlinkat(c.dirfd, "inventory.img", 0);
	c.pagebuf = cr_pages_buf();
	if (c.pagebuf == NULL) {
		close(c.dirfd);
		return berth_error_errno(err, errno, "page buffer");
	}
	t0 = now_ns();
	ret = freeze_tree(&c, pid, o, err);
	if (ret == 0)
		ret = dump_all(&c, err);
	c.st->nproc = c.nprocs;
	for (int i = 0; i < c.nprocs; i++)
		c.st->nthreads += c.procs[i].nthreads;
	c.st->nfiles = c.nfiles;
	if (ret < 0)
		unlinkat(c.dirfd, "inventory.img", 0);
	if (o->thaw && !c.thawed)
		o->thaw(o->thaw_arg, NULL);
	/* Connections leave repair mode before their processes run again. */
	if (ret < 0 || o->leave_running)
		cr_tcp_dump_done(&c.tcp, false);
	release_tree(&c, ret == 0 && !o->leave_running);
	if (ret == 0 && !o->leave_running)
		cr_tcp_dump_done(&c.tcp, true);
	c.st->frozen_ns = now_ns() - t0;
	cr_img_close(&c.filesimg);
	for (int i = 0; i < c.nprocs; i++)
		free(c.procs[i].threads);
	free(c.procs);
	free(c.files);
	cr_tty_dump_free(&c.ttys);
	cr_fdx_dump_free(&c.fdx);
	cr_pages_buf_free(c.pagebuf);
	close(c.dirfd);
	return ret < 0 ? berth_error_wrap(err, "checkpoint process %d", pid) : 0;
}
