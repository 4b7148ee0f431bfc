/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UDP sockets and unix sockets with names, listeners or outside peers.
 *
 * Dump: the state comes from a copy of the socket (pidfd_getfd) and, for
 * unix sockets, sock_diag (peer inode, backlog).  Whether a unix peer is in
 * the tree is only known once every process is dumped, so the parameters of
 * those sockets are written last (cr_usk_finish).
 *
 * Restore: every socket of these types is made once all records are read,
 * in the tree's network namespace: listeners and bound sockets first (a
 * socket file left at the path is replaced, with the saved mode), then
 * connections through a listener of the tree are made again with connect()
 * and accept() (so both ends keep their names), datagram sockets are
 * connected to their peer's name, and outside peers (--ext-unix-sk) are
 * connected to again by name.  Queued data goes back in from the peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "cleanup.h"
#include "fdx.h"

struct cr_usk_dump {
	uint32_t id, ino, peer;
	pid_t vpid;
	int fd, type;
	uint32_t flags, backlog, mode;
	struct sockaddr_un name, peername;
	socklen_t namelen, peerlen;
	char what[96];
};

/* A copy of pid's fd in our table. */
static int grab(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), sfd = -1;

	if (pidfd >= 0) {
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		close(pidfd);
	}
	return sfd;
}

static int intopt(int fd, int level, int opt)
{
	int v = 0;
	socklen_t sl = sizeof(v);

	return getsockopt(fd, level, opt, &v, &sl) < 0 ? 0 : v;
}

/* ---- UDP ---- */

int cr_udp_state(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		 const struct cr_r_file *f, berth_error_t *err)
{
	cleanup_close int sfd = grab(pid, fd);
	struct cr_r_file_params pr = { .id = f->id };
	struct cr_r_file_data h = { f->id, 0, 0 };
	struct sockaddr_storage ss, peer;
	socklen_t sl = sizeof(ss), pl = sizeof(peer);

	if (sfd < 0)
		return berth_error_errno(err, errno, "process %d: fd %d (%s): get socket", vpid, fd,
					 link);
	pr.p[0] = (uint64_t)intopt(sfd, SOL_SOCKET, SO_DOMAIN);
	pr.p[1] = (uint64_t)intopt(sfd, SOL_SOCKET, SO_REUSEADDR);
	pr.p[2] = (uint64_t)intopt(sfd, SOL_SOCKET, SO_REUSEPORT);
	pr.p[3] = pr.p[0] == AF_INET6 ? (uint64_t)intopt(sfd, IPPROTO_IPV6, IPV6_V6ONLY) : 0;
	pr.p[4] = (uint64_t)intopt(sfd, SOL_SOCKET, SO_BROADCAST);
	pr.p[5] = getpeername(sfd, (struct sockaddr *)&peer, &pl) == 0;
	if (getsockname(sfd, (struct sockaddr *)&ss, &sl) < 0)
		return berth_error_errno(err, errno, "process %d: fd %d (%s): socket address", vpid,
					 fd, link);
	if (cr_img_write(x->img, CR_REC_FILE_PARAMS, &pr, sizeof(pr), NULL, 0, err) < 0 ||
	    cr_img_write(x->img, CR_REC_FILE_DATA, &h, sizeof(h), &ss, sl, err) < 0)
		return -1;
	h.offset = 1;
	if (pr.p[5] && cr_img_write(x->img, CR_REC_FILE_DATA, &h, sizeof(h), &peer, pl, err) < 0)
		return -1;
	return 0;
}

/* ---- unix sockets: dump ---- */

int cr_unix_diag(pid_t pid, uint32_t ino, struct cr_unix_diag *d, berth_error_t *err)
{
	char path[64];
	cleanup_close int mine = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cleanup_close int theirs = -1, nl = -1;
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req r;
	} req;
	char buf[8192];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct unix_diag_msg *m;
	struct rtattr *a;
	ssize_t n;
	int len;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	theirs = open(path, O_RDONLY | O_CLOEXEC);
	if (mine < 0 || theirs < 0 || setns(theirs, CLONE_NEWNET) < 0)
		return berth_error_errno(err, errno, "enter the network namespace of %d", pid);
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (setns(mine, CLONE_NEWNET) < 0)
		return berth_error_errno(err, errno, "return to our network namespace");
	if (nl < 0)
		return berth_error_errno(err, errno, "sock_diag socket");
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0U;
	req.r.udiag_ino = ino;
	req.r.udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0U;
	if (send(nl, &req, sizeof(req), 0) < 0 || (n = recv(nl, buf, sizeof(buf), 0)) < 0)
		return berth_error_errno(err, errno, "sock_diag");
	if (!NLMSG_OK(h, n) || h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return berth_error(err, EIO, "sock_diag: no answer for socket %u", ino);
	memset(d, 0, sizeof(*d));
	m = NLMSG_DATA(h);
	d->state = m->udiag_state;
	a = (struct rtattr *)(m + 1);
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == UNIX_DIAG_PEER)
			memcpy(&d->peer, RTA_DATA(a), 4);
		else if (a->rta_type == UNIX_DIAG_NAME)
			d->named = true;
		else if (a->rta_type == UNIX_DIAG_RQLEN) {
			struct unix_diag_rqlen *q = RTA_DATA(a);

			d->rqueue = q->udiag_rqueue;
			d->wqueue = q->udiag_wqueue;
		}
	}
	return 0;
}

static bool has_name(socklen_t len)
{
	return len > sizeof(sa_family_t);
}

/* A unix address for messages: the path, or @name for an abstract one. */
static void show_name(const struct sockaddr_un *a, socklen_t len, char *out, size_t olen)
{
	size_t n = has_name(len) ? len - sizeof(sa_family_t) : 0;

	if (n == 0)
		snprintf(out, olen, "(unnamed)");
	else if (a->sun_path[0] == 0)
		snprintf(out, olen, "@%.*s", (int)(n - 1), a->sun_path + 1);
	else
		snprintf(out, olen, "%.*s", (int)strnlen(a->sun_path, n), a->sun_path);
}

int cr_usk_classify(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		    const struct stat *sb, struct cr_r_file *f, berth_error_t *err)
{
	cleanup_close int sfd = grab(pid, fd);
	struct cr_usk_dump s, *n;
	struct cr_unix_diag d, pd;
	char nm[120];

	if (sfd < 0)
		return berth_error_errno(err, errno, "process %d: fd %d (%s): get socket", vpid, fd,
					 link);
	memset(&s, 0, sizeof(s));
	if (cr_unix_diag(pid, (uint32_t)sb->st_ino, &d, err) < 0)
		return berth_error_wrap(err, "process %d: fd %d (%s)", vpid, fd, link);
	s.namelen = sizeof(s.name);
	s.peerlen = sizeof(s.peername);
	if (getsockname(sfd, (struct sockaddr *)&s.name, &s.namelen) < 0)
		s.namelen = 0;
	if (getpeername(sfd, (struct sockaddr *)&s.peername, &s.peerlen) < 0)
		s.peerlen = 0;
	s.type = intopt(sfd, SOL_SOCKET, SO_TYPE);
	if (intopt(sfd, SOL_SOCKET, SO_ACCEPTCONN))
		s.flags |= CR_USK_LISTEN;
	/*
	 * Plain socketpair ends (no names on either side) are dump.c's
	 * CR_FILE_UNIX; an unnamed datagram socket connected to nobody (one
	 * that sends with sendto) is ours, made again as it is.
	 */
	if (!has_name(s.namelen) && !(s.flags & CR_USK_LISTEN)) {
		if (d.peer == 0 && s.type != SOCK_DGRAM)
			return 0;
		if (d.peer == 0)
			goto mine;
		if (cr_unix_diag(pid, d.peer, &pd, err) < 0)
			return berth_error_wrap(err, "process %d: fd %d (%s)", vpid, fd, link);
		if (!pd.named)
			return 0;
	}
mine:
	snprintf(s.what, sizeof(s.what), "unix %s socket",
		 s.type == SOCK_STREAM ? "stream" : s.type == SOCK_DGRAM ? "datagram" : "seqpacket");
	if (s.flags & CR_USK_LISTEN) {
		struct pollfd pf = { sfd, POLLIN, 0 };

		show_name(&s.name, s.namelen, nm, sizeof(nm));
		if (poll(&pf, 1, 0) > 0)
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d (%s, listening unix socket `%s`): "
					   "unsupported resource: connections wait in its accept queue",
					   vpid, fd, link, nm);
		s.backlog = d.wqueue;
	}
	if (has_name(s.namelen) && s.name.sun_path[0]) {
		char path[sizeof(s.name.sun_path) + 64];
		struct stat st;

		/* The socket file's mode, seen from the process's root. */
		snprintf(path, sizeof(path), "/proc/%d/root%.*s", pid,
			 (int)strnlen(s.name.sun_path, s.namelen - sizeof(sa_family_t)),
			 s.name.sun_path);
		s.mode = stat(path, &st) == 0 ? st.st_mode : (S_IFSOCK | 0777);
	}
	s.id = f->id;
	s.ino = (uint32_t)sb->st_ino;
	s.peer = d.peer;
	s.vpid = vpid;
	s.fd = fd;
	n = realloc(x->socks, (x->nsocks + 1) * sizeof(*n));
	if (n == NULL)
		return berth_error_errno(err, ENOMEM, "sockets");
	x->socks = n;
	x->socks[x->nsocks++] = s;
	f->type = CR_FILE_UNIX_SK;
	return 1;
}

static struct cr_usk_dump *dsock(struct cr_fdx_dump *x, uint32_t id)
{
	for (int i = 0; i < x->nsocks; i++)
		if (x->socks[i].id == id)
			return &x->socks[i];
	return NULL;
}

int cr_usk_state(struct cr_fdx_dump *x, pid_t pid, pid_t vpid, int fd, const char *link,
		 const struct cr_r_file *f, berth_error_t *err)
{
	struct cr_usk_dump *s = dsock(x, f->id);
	struct cr_r_file_data h = { f->id, 0, CR_USK_DATA_NAME };

	(void)pid;
	if (s == NULL)
		return berth_error(err, EINVAL, "process %d: fd %d (%s): not classified", vpid, fd,
				   link);
	if (has_name(s->namelen) &&
	    cr_img_write(x->img, CR_REC_FILE_DATA, &h, sizeof(h), &s->name, s->namelen, err) < 0)
		return -1;
	h.offset = CR_USK_DATA_PEER;
	if (has_name(s->peerlen) &&
	    cr_img_write(x->img, CR_REC_FILE_DATA, &h, sizeof(h), &s->peername, s->peerlen, err) < 0)
		return -1;
	return 0;
}

bool cr_usk_queue(struct cr_fdx_dump *x, uint32_t id, int *type)
{
	struct cr_usk_dump *s = dsock(x, id);

	if (s == NULL || (s->flags & CR_USK_LISTEN))
		return false;
	*type = s->type;
	return true;
}

static struct cr_usk_dump *dsock_ino(struct cr_fdx_dump *x, uint32_t ino)
{
	for (int i = 0; i < x->nsocks; i++)
		if (x->socks[i].ino == ino)
			return &x->socks[i];
	return NULL;
}

int cr_usk_finish(struct cr_fdx_dump *x, berth_error_t *err)
{
	for (int i = 0; i < x->nsocks; i++) {
		struct cr_usk_dump *s = &x->socks[i], *l = NULL;
		struct cr_r_file_params pr = { .id = s->id };
		char nm[120];

		if (s->flags & CR_USK_LISTEN)
			goto write;
		if (s->type != SOCK_DGRAM && has_name(s->namelen))
			for (int j = 0; j < x->nsocks && l == NULL; j++)
				if ((x->socks[j].flags & CR_USK_LISTEN) &&
				    x->socks[j].namelen == s->namelen &&
				    memcmp(&x->socks[j].name, &s->name, s->namelen) == 0)
					l = &x->socks[j];
		if (l) {
			s->flags |= CR_USK_ACCEPTED;
			pr.p[5] = l->ino;
		} else if (has_name(s->namelen)) {
			s->flags |= CR_USK_BOUND;
		}
		if (s->peer && dsock_ino(x, s->peer)) {
			s->flags |= CR_USK_PEER;
		} else if (s->peer) {
			show_name(&s->peername, s->peerlen, nm, sizeof(nm));
			if (!x->ext_unix_sk)
				return berth_error(err, ENOTSUP,
						   "process %d: fd %d (socket:[%u], %s connected to "
						   "`%s`): unsupported resource: its peer is outside "
						   "the checkpointed tree (see --ext-unix-sk)",
						   s->vpid, s->fd, s->ino, s->what, nm);
			if (!has_name(s->peerlen))
				return berth_error(err, ENOTSUP,
						   "process %d: fd %d (socket:[%u], %s): unsupported "
						   "resource: its peer outside the tree has no name to "
						   "connect to again",
						   s->vpid, s->fd, s->ino, s->what);
			s->flags |= CR_USK_EXTERNAL;
		}
		if ((s->flags & CR_USK_ACCEPTED) && !(s->flags & CR_USK_PEER))
			return berth_error(err, ENOTSUP,
					   "process %d: fd %d (socket:[%u], %s): unsupported "
					   "resource: accepted connection whose peer is outside the "
					   "checkpointed tree",
					   s->vpid, s->fd, s->ino, s->what);
write:
		pr.p[0] = (uint64_t)s->type;
		pr.p[1] = s->flags;
		pr.p[2] = (s->flags & CR_USK_PEER) ? s->peer : 0;
		pr.p[3] = s->backlog;
		pr.p[4] = s->mode;
		if (cr_img_write(x->img, CR_REC_FILE_PARAMS, &pr, sizeof(pr), NULL, 0, err) < 0)
			return -1;
	}
	return 0;
}

void cr_fdx_dump_free(struct cr_fdx_dump *x)
{
	free(x->socks);
	free(x->locks);
	x->socks = NULL;
	x->locks = NULL;
	x->nsocks = x->nlocks = 0;
}

/* ---- restore ---- */

struct qmsg {
	char *data;
	size_t n;
};

struct cr_usk_restore {
	struct cr_r_file f;
	char *path;
	struct cr_r_file_params p;
	bool has_p, made;
	struct sockaddr_storage name, peer;
	socklen_t namelen, peerlen;
	struct qmsg *q;
	int nq;
	int fd;
};

static struct cr_usk_restore *rsock(struct cr_fdx_restore *x, uint32_t id)
{
	for (int i = 0; i < x->nsocks; i++)
		if (x->socks[i].f.id == id)
			return &x->socks[i];
	return NULL;
}

int cr_fdx_file(struct cr_fdx_restore *x, const struct cr_r_file *f, const char *path,
		berth_error_t *err)
{
	struct cr_usk_restore *n;

	if (f->type != CR_FILE_UDP && f->type != CR_FILE_UNIX_SK)
		return 0;
	n = realloc(x->socks, (x->nsocks + 1) * sizeof(*n));
	if (n == NULL)
		return berth_error_errno(err, ENOMEM, "sockets");
	x->socks = n;
	n = &x->socks[x->nsocks];
	memset(n, 0, sizeof(*n));
	n->f = *f;
	n->fd = -1;
	n->path = strdup(path);
	if (n->path == NULL)
		return berth_error_errno(err, ENOMEM, "sockets");
	x->nsocks++;
	return 1;
}

int cr_fdx_params(struct cr_fdx_restore *x, const struct cr_r_file_params *p, berth_error_t *err)
{
	struct cr_usk_restore *s = rsock(x, p->id);

	if (s == NULL)
		return 0;
	if (s->has_p)
		return berth_error(err, EBADMSG, "files.img: parameters given twice");
	s->p = *p;
	s->has_p = true;
	return 1;
}

int cr_fdx_data(struct cr_fdx_restore *x, const struct cr_r_file_data *d, const void *data,
		size_t n, berth_error_t *err)
{
	struct cr_usk_restore *s = rsock(x, d->id);
	bool udp;
	struct qmsg *q;

	if (s == NULL)
		return 0;
	udp = s->f.type == CR_FILE_UDP;
	if ((udp && d->offset <= 1) || (!udp && d->offset != CR_USK_DATA_QUEUE)) {
		bool own = udp ? d->offset == 0 : d->offset == CR_USK_DATA_NAME;

		if (n > sizeof(s->name) || (!udp && d->offset > CR_USK_DATA_PEER))
			return berth_error(err, EBADMSG, "files.img: bad socket address of `%s`",
					   s->path);
		memcpy(own ? &s->name : &s->peer, data, n);
		*(own ? &s->namelen : &s->peerlen) = (socklen_t)n;
		return 1;
	}
	if (udp)
		return berth_error(err, EBADMSG, "files.img: bad record of `%s`", s->path);
	q = realloc(s->q, (s->nq + 1) * sizeof(*q));
	if (q == NULL)
		return berth_error_errno(err, ENOMEM, "socket queue");
	s->q = q;
	q[s->nq].data = malloc(n ? n : 1);
	if (q[s->nq].data == NULL)
		return berth_error_errno(err, ENOMEM, "socket queue");
	memcpy(q[s->nq].data, data, n);
	q[s->nq++].n = n;
	return 1;
}

static int make_udp(struct cr_usk_restore *s, berth_error_t *err)
{
	int one = 1, v6only = (int)s->p.p[3];
	const struct sockaddr_in6 *a6 = (const void *)&s->name;
	const struct sockaddr_in *a4 = (const void *)&s->name;
	bool bound = s->namelen && (s->p.p[0] == AF_INET6 ? a6->sin6_port : a4->sin_port);

	s->fd = socket((int)s->p.p[0], SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s->fd < 0)
		return berth_error_errno(err, errno, "recreate `%s`", s->path);
	if ((s->p.p[1] && setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    (s->p.p[2] && setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    (s->p.p[4] && setsockopt(s->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0) ||
	    (s->p.p[0] == AF_INET6 &&
	     setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0))
		return berth_error_errno(err, errno, "`%s` (UDP socket): options", s->path);
	if (bound && bind(s->fd, (struct sockaddr *)&s->name, s->namelen) < 0)
		return berth_error_errno(err, errno, "`%s` (UDP socket): bind to its address again",
					 s->path);
	if (s->p.p[5] && connect(s->fd, (struct sockaddr *)&s->peer, s->peerlen) < 0)
		return berth_error_errno(err, errno, "`%s` (UDP socket): connect to its peer again",
					 s->path);
	return 0;
}

enum { OP_BIND, OP_CONNECT };

/*
 * bind or connect fd to a unix address.  A path is taken in the root of
 * root_pid (when set): the call is made by a child chrooted there, on the
 * same socket.  For bind, a socket file left at the path is replaced and
 * the new one gets mode.
 */
static int unix_op(pid_t root_pid, int op, int fd, const struct sockaddr_storage *a, socklen_t len,
		   mode_t mode)
{
	const struct sockaddr_un *un = (const void *)a;
	bool path = has_name(len) && un->sun_path[0] != 0;
	char p[sizeof(un->sun_path) + 1];
	pid_t child = 0;
	int r, st;

	if (path && root_pid) {
		child = fork();
		if (child < 0)
			return -1;
		if (child > 0) {
			if (waitpid(child, &st, 0) < 0)
				return -1;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				return 0;
			errno = WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
			return -1;
		}
		snprintf(p, sizeof(p), "/proc/%d/root", (int)root_pid);
		if (chroot(p) < 0 || chdir("/") < 0)
			_exit(errno);
	}
	if (path && op == OP_BIND) {
		struct stat sb;

		snprintf(p, sizeof(p), "%.*s", (int)strnlen(un->sun_path, len - sizeof(sa_family_t)),
			 un->sun_path);
		if (lstat(p, &sb) == 0 && S_ISSOCK(sb.st_mode))
			unlink(p);
	}
	r = op == OP_BIND ? bind(fd, (const struct sockaddr *)a, len)
			  : connect(fd, (const struct sockaddr *)a, len);
	if (r == 0 && path && op == OP_BIND && (mode & 07777))
		r = chmod(p, mode & 07777);
	if (child == 0 && path && root_pid)
		_exit(r < 0 ? errno : 0);
	return r;
}

static struct cr_usk_restore *rsock_ino(struct cr_fdx_restore *x, uint64_t ino)
{
	for (int i = 0; i < x->nsocks; i++)
		if (x->socks[i].f.type == CR_FILE_UNIX_SK && x->socks[i].f.ino == ino)
			return &x->socks[i];
	return NULL;
}

static int new_unix(struct cr_usk_restore *s, berth_error_t *err)
{
	if (s->fd >= 0)
		return 0;
	s->fd = socket(AF_UNIX, (int)s->p.p[0] | SOCK_CLOEXEC, 0);
	return s->fd < 0 ? berth_error_errno(err, errno, "recreate `%s`", s->path) : 0;
}

static const char *shown(const struct cr_usk_restore *s, bool peer, char *buf, size_t len)
{
	show_name((const void *)(peer ? &s->peer : &s->name), peer ? s->peerlen : s->namelen, buf,
		  len);
	return buf;
}

/* Listeners and sockets bound to a name of their own. */
static int make_named(struct cr_fdx_restore *x, struct cr_usk_restore *s, berth_error_t *err)
{
	uint32_t fl = (uint32_t)s->p.p[1];
	char nm[120];

	if (!(fl & (CR_USK_LISTEN | CR_USK_BOUND)))
		return 0;
	if (new_unix(s, err) < 0)
		return -1;
	if (has_name(s->namelen) &&
	    unix_op(x->root_pid, OP_BIND, s->fd, &s->name, s->namelen, (mode_t)s->p.p[4]) < 0)
		return berth_error_errno(err, errno, "`%s` (unix socket): bind to `%s` again",
					 s->path, shown(s, false, nm, sizeof(nm)));
	if ((fl & CR_USK_LISTEN) && listen(s->fd, s->p.p[3] ? (int)s->p.p[3] : SOMAXCONN) < 0)
		return berth_error_errno(err, errno, "`%s` (unix socket): listen on `%s` again",
					 s->path, shown(s, false, nm, sizeof(nm)));
	return 0;
}

/* A connected socket (not a listener), and its peer when that is made with it. */
static int make_connected(struct cr_fdx_restore *x, struct cr_usk_restore *s, berth_error_t *err)
{
	uint32_t fl = (uint32_t)s->p.p[1];
	struct cr_usk_restore *q = (fl & CR_USK_PEER) ? rsock_ino(x, s->p.p[2]) : NULL;
	char nm[120];
	int sv[2];

	if (s->made || (fl & CR_USK_LISTEN))
		return 0;
	s->made = true;
	if (fl & CR_USK_EXTERNAL) {
		/* --ext-unix-sk: connect to the same name again (the outside listener or socket). */
		if (new_unix(s, err) < 0)
			return -1;
		if (unix_op(x->root_pid, OP_CONNECT, s->fd, &s->peer, s->peerlen, 0) < 0)
			return berth_error_errno(err, errno,
						 "`%s` (unix socket, outside peer): connect to `%s` "
						 "again",
						 s->path, shown(s, true, nm, sizeof(nm)));
		return 0;
	}
	if (fl & CR_USK_PEER && q == NULL)
		return berth_error(err, EBADMSG, "files.img: `%s`: peer not in the image", s->path);
	if (q == NULL)
		return new_unix(s, err); /* bound (made already) or not connected */
	if (s->p.p[0] == SOCK_DGRAM) {
		/* Connect to the peer's name (it is bound by now). */
		if (new_unix(s, err) < 0)
			return -1;
		if (!has_name(q->namelen))
			return berth_error(err, ENOTSUP,
					   "`%s` (unix datagram socket): its peer has no name to "
					   "connect to",
					   s->path);
		if (unix_op(x->root_pid, OP_CONNECT, s->fd, &q->name, q->namelen, 0) < 0)
			return berth_error_errno(err, errno, "`%s` (unix socket): connect to `%s`",
						 s->path, shown(q, false, nm, sizeof(nm)));
		return 0;
	}
	if ((uint32_t)q->p.p[1] & CR_USK_ACCEPTED)
		return make_connected(x, q, err) < 0 ? -1 : new_unix(s, err);
	q->made = true;
	if (fl & CR_USK_ACCEPTED) {
		/* Through the listener again: connect, accept, and both ends have their names. */
		struct cr_usk_restore *l = rsock_ino(x, s->p.p[5]);
		struct ucred cr;
		socklen_t cl = sizeof(cr);

		if (l == NULL || l->fd < 0)
			return berth_error(err, EBADMSG, "files.img: `%s`: listener not in the image",
					   s->path);
		if (new_unix(q, err) < 0)
			return -1;
		if (unix_op(x->root_pid, OP_CONNECT, q->fd, &l->name, l->namelen, 0) < 0)
			return berth_error_errno(err, errno, "`%s` (unix socket): connect to `%s`",
						 q->path, shown(l, false, nm, sizeof(nm)));
		s->fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (s->fd < 0)
			return berth_error_errno(err, errno, "`%s` (unix socket): accept on `%s`",
						 s->path, shown(l, false, nm, sizeof(nm)));
		/* Someone outside may have connected first: ours comes from this process. */
		if (getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
		    (cr.pid != getpid() && cr.pid != 0))
			return berth_error(err, EAGAIN,
					   "`%s` (unix socket): another process connected to `%s` "
					   "during the restore",
					   s->path, nm);
		return 0;
	}
	/* No listener in between any more: a socketpair (the names are not kept). */
	if (s->fd >= 0 || q->fd >= 0)
		return berth_error(err, ENOTSUP, "`%s` (unix socket): bound and connected",
				   s->path);
	if (socketpair(AF_UNIX, (int)s->p.p[0] | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_errno(err, errno, "socketpair");
	s->fd = sv[0];
	q->fd = sv[1];
	return 0;
}

/* Put back what waited in s's receive queue: sent by its peer. */
static int refill(struct cr_fdx_restore *x, struct cr_usk_restore *s, berth_error_t *err)
{
	uint32_t fl = (uint32_t)s->p.p[1];
	struct cr_usk_restore *q = (fl & CR_USK_PEER) ? rsock_ino(x, s->p.p[2]) : NULL;
	cleanup_close int tmp = -1;
	int from = q ? q->fd : -1;
	bool dgram = s->p.p[0] == SOCK_DGRAM;

	if (s->nq == 0 || (fl & CR_USK_EXTERNAL))
		return 0; /* what an outside peer had sent is lost */
	if (from < 0 && dgram && has_name(s->namelen)) {
		tmp = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		from = tmp;
	}
	if (from < 0)
		return 0; /* nobody can send to it any more: what waited is lost */
	for (int i = 0; i < s->nq; i++) {
		ssize_t n = dgram && has_name(s->namelen)
				    ? sendto(from, s->q[i].data, s->q[i].n, MSG_DONTWAIT,
					     (struct sockaddr *)&s->name, s->namelen)
				    : send(from, s->q[i].data, s->q[i].n, MSG_DONTWAIT);

		if (n != (ssize_t)s->q[i].n)
			return berth_error_errno(err, n < 0 ? errno : EIO,
						 "`%s` (unix socket): refill its queue", s->path);
	}
	return 0;
}

int cr_fdx_make(struct cr_fdx_restore *x, berth_error_t *err)
{
	for (int i = 0; i < x->nsocks; i++)
		if (!x->socks[i].has_p)
			return berth_error(err, EBADMSG, "files.img: `%s` without its state",
					   x->socks[i].path);
	for (int i = 0; i < x->nsocks; i++)
		if (x->socks[i].f.type == CR_FILE_UDP ? make_udp(&x->socks[i], err) < 0
						       : make_named(x, &x->socks[i], err) < 0)
			return -1;
	for (int i = 0; i < x->nsocks; i++)
		if (x->socks[i].f.type == CR_FILE_UNIX_SK && make_connected(x, &x->socks[i], err) < 0)
			return -1;
	for (int i = 0; i < x->nsocks; i++) {
		struct cr_usk_restore *s = &x->socks[i];

		if (s->f.type == CR_FILE_UNIX_SK && refill(x, s, err) < 0)
			return -1;
		if (s->fd < 0)
			return berth_error(err, EBADMSG, "files.img: `%s` was not made", s->path);
		if (fcntl(s->fd, F_SETFL, s->f.flags & ~O_ACCMODE) < 0)
			return berth_error_errno(err, errno, "`%s`: flags", s->path);
	}
	return 0;
}

int cr_fdx_take(struct cr_fdx_restore *x, uint32_t id)
{
	struct cr_usk_restore *s = rsock(x, id);
	int fd;

	if (s == NULL)
		return -1;
	fd = s->fd;
	s->fd = -1;
	return fd;
}

void cr_fdx_restore_free(struct cr_fdx_restore *x)
{
	for (int i = 0; i < x->nsocks; i++) {
		struct cr_usk_restore *s = &x->socks[i];

		if (s->fd >= 0)
			close(s->fd);
		for (int k = 0; k < s->nq; k++)
			free(s->q[k].data);
		free(s->q);
		free(s->path);
	}
	free(x->socks);
	free(x->locks);
	x->socks = NULL;
	x->locks = NULL;
	x->nsocks = x->nlocks = 0;
}
