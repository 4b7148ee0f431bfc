/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Named FIFOs and file locks, and the dispatch to the socket types of
 * sockets.c.  A FIFO is reopened by its path; its buffered bytes are saved
 * like a pipe's (dump.c) and written back through a read-write description
 * the restorer keeps until the tree runs.  Locks (--file-locks) are read
 * from the "lock:" lines of /proc/PID/fdinfo/FD and taken again by the
 * restored process itself, on the same fd, before it goes on (restore.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdx.h"

/* "unix", "inet" or "inet6" and the socket type of pid's fd, through a copy of it. */
static int sock_kind(pid_t pid, int fd, int *domain, int *type, int *proto)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), sfd = -1;
	socklen_t sl = sizeof(int);

	*domain = *type = *proto = -1;
	if (pidfd >= 0) {
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		close(pidfd);
	}
	if (sfd < 0)
		return -1;
	getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, domain, &sl);
	sl = sizeof(int);
	getsockopt(sfd, SOL_SOCKET, SO_TYPE, type, &sl);
	sl = sizeof(int);
	getsockopt(sfd, SOL_SOCKET, SO_PROTOCOL, proto, &sl);
	close(sfd);
	return 0;
}

int cr_fdx_classify(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		    const struct stat *sb, struct cr_r_file *f, berth_error_t *err)
{
	int domain, type, proto;
	size_t n = strlen(link);

	if (S_ISFIFO(sb->st_mode) && strncmp(link, "pipe:", 5) != 0) {
		if (n > 10 && strcmp(link + n - 10, " (deleted)") == 0)
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d (%s, FIFO): unsupported resource: its "
					   "path is deleted",
					   vpid, fd, link);
		f->type = CR_FILE_FIFO;
		return 1;
	}
	if (!S_ISSOCK(sb->st_mode) || sock_kind(pid, fd, &domain, &type, &proto) < 0)
		return 0;
	if ((domain == AF_INET || domain == AF_INET6) && type == SOCK_DGRAM &&
	    proto == IPPROTO_UDP) {
		f->type = CR_FILE_UDP;
		return 1;
	}
	if (domain == AF_UNIX)
		return cr_usk_classify(x, pid, vpid, fd, link, sb, f, err);
	return 0;
}

int cr_fdx_state(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		 const struct cr_r_file *f, berth_error_t *err)
{
	switch (f->type) {
	case CR_FILE_UDP:
		return cr_udp_state(x, pid, vpid, fd, link, f, err);
	case CR_FILE_UNIX_SK:
		return cr_usk_state(x, pid, vpid, fd, link, f, err);
	}
	return 0; /* a FIFO's data is saved like a pipe's */
}

/* ---- locks ---- */

/* One "lock:" line of fdinfo: 1 with *l and *owner (its pid in our view) set, 0 if none. */
static int parse_lock(const char *line, struct cr_r_file_lock *l, long *owner, char *kind,
		      size_t klen)
{
	char k[16], adv[16], type[16], end[32];
	long long start;
	long pid;

	if (sscanf(line, "lock: %*d: %15s %15s %15s %ld %*s %lld %31s", k, adv, type, &pid, &start,
		   end) != 6)
		return -1;
	snprintf(kind, klen, "%s", k);
	memset(l, 0, sizeof(*l));
	l->kind = strcmp(k, "FLOCK") == 0 ? CR_LOCK_FLOCK : strcmp(k, "POSIX") == 0 ? CR_LOCK_POSIX :
		  strcmp(k, "OFDLCK") == 0 ? CR_LOCK_OFD : 0;
	l->type = strcmp(type, "WRITE") == 0 ? F_WRLCK : strcmp(type, "READ") == 0 ? F_RDLCK : 0;
	l->start = (uint64_t)start;
	l->len = strcmp(end, "EOF") == 0 ? 0 : (uint64_t)(strtoll(end, NULL, 10) - start + 1);
	*owner = pid;
	return l->kind && l->type && strcmp(adv, "ADVISORY") == 0 ? 1 : -1;
}

int cr_fdx_locks(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, uint32_t file_id,
		 berth_error_t *err)
{
	char path[64], line[256], kind[16];
	cleanup_fclose FILE *in = NULL;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	in = fopen(path, "re");
	if (in == NULL)
		return berth_error_errno(err, errno, "process %d: open `%s`", vpid, path);
	while (fgets(line, sizeof(line), in)) {
		struct cr_r_file_lock l, *n;
		long owner;
		int r, i;

		if (strncmp(line, "lock:", 5) != 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		r = parse_lock(line, &l, &owner, kind, sizeof(kind));
		if (r < 0)
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d: unsupported resource: a file lock or "
					   "lease `%s`",
					   vpid, fd, line + 5 + strspn(line + 5, "\t "));
		if (!x->file_locks)
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d holds a file lock (%s): use --file-locks",
					   vpid, fd, kind);
		l.file_id = file_id;
		l.pid = (uint32_t)vpid;
		l.fd = (uint32_t)fd;
		/* flock and OFD locks belong to the description: once, by whoever took it. */
		for (i = 0; l.kind != CR_LOCK_POSIX && i < x->nlocks; i++)
			if (x->locks[i].file_id == file_id && x->locks[i].kind == l.kind &&
			    x->locks[i].start == l.start && x->locks[i].len == l.len)
				break;
		if (l.kind != CR_LOCK_POSIX && i < x->nlocks) {
			if (owner == pid)
				x->locks[i] = l;
			continue;
		}
		n = realloc(x->locks, (x->nlocks + 1) * sizeof(*n));
		if (n == NULL)
			return berth_error_errno(err, ENOMEM, "locks");
		x->locks = n;
		x->locks[x->nlocks++] = l;
	}
	return 0;
}

int cr_fdx_finish(struct cr_fdx_dump *x, berth_error_t *err)
{
	if (cr_usk_finish(x, err) < 0)
		return -1;
	for (int i = 0; i < x->nlocks; i++)
		if (cr_img_write(x->img, CR_REC_FILE_LOCK, &x->locks[i], sizeof(x->locks[i]), NULL, 0,
				 err) < 0)
			return -1;
	return 0;
}

/* ---- restore ---- */

int cr_fifo_open(const struct cr_r_file *f, const char *path, int same,
		 int (*open_path)(void *arg, const char *path, int flags), void *arg, int *fd,
		 int *keeper, berth_error_t *err)
{
	char self[64];
	int acc = f->flags & O_ACCMODE;

	*fd = *keeper = -1;
	if (same < 0) {
		/* Read-write: opens at once, and the buffer lives while we hold it. */
		same = *keeper = open_path(arg, path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (same < 0)
			return berth_error_errno(err, errno, "open FIFO `%s`", path);
		if (f->pipe_size)
			fcntl(same, F_SETPIPE_SZ, (int)f->pipe_size);
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", same);
	*fd = open(self, acc | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0 || fcntl(*fd, F_SETFL, f->flags & ~O_ACCMODE) < 0)
		return berth_error_errno(err, errno, "open FIFO `%s`", path);
	return 0;
}

int cr_fdx_lock(struct cr_fdx_restore *x, const void *rec, size_t n, berth_error_t *err)
{
	struct cr_r_file_lock *l;

	if (n < sizeof(*l))
		return berth_error(err, EBADMSG, "files.img: bad lock record");
	l = realloc(x->locks, (x->nlocks + 1) * sizeof(*l));
	if (l == NULL)
		return berth_error_errno(err, ENOMEM, "locks");
	x->locks = l;
	memcpy(&x->locks[x->nlocks], rec, sizeof(*l));
	if (x->locks[x->nlocks].kind < CR_LOCK_FLOCK || x->locks[x->nlocks].kind > CR_LOCK_OFD)
		return berth_error(err, EBADMSG, "files.img: lock of unknown kind %u",
				   x->locks[x->nlocks].kind);
	x->nlocks++;
	return 0;
}
