/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Established TCP connections in repair mode (see tcp.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "cleanup.h"
#include "cr.h"
#include "tcp.h"

struct cr_tcp_held {
	int fd;		  /* our copy of the socket */
	pid_t pid;	  /* a process in the socket's network namespace */
	struct cr_r_tcp r;
	bool locked, repair;
};

static const char *state_name(int st)
{
	static const char *const n[] = { "?",	      "ESTABLISHED", "SYN_SENT", "SYN_RECV",
					 "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
					 "CLOSE_WAIT", "LAST_ACK",   "LISTEN",	  "CLOSING" };

	return st > 0 && st < (int)(sizeof(n) / sizeof(n[0])) ? n[st] : "?";
}

/* "127.0.0.1:80" or "[::1]:80"; v4-mapped IPv6 addresses as IPv4. */
static const char *endpoint(const struct cr_r_tcp *r, bool local, char *out, size_t len)
{
	const uint8_t *a = local ? r->laddr : r->raddr;
	char s[INET6_ADDRSTRLEN] = "?";

	if (r->family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
		inet_ntop(AF_INET6, a, s, sizeof(s));
		snprintf(out, len, "[%s]:%u", s, local ? r->lport : r->rport);
	} else {
		inet_ntop(AF_INET, r->family == AF_INET6 ? a + 12 : a, s, sizeof(s));
		snprintf(out, len, "%s:%u", s, local ? r->lport : r->rport);
	}
	return out;
}

static const char *conn_name(const struct cr_r_tcp *r, char *out, size_t len)
{
	char l[64], p[64];

	snprintf(out, len, "TCP connection %s -> %s", endpoint(r, true, l, sizeof(l)),
		 endpoint(r, false, p, sizeof(p)));
	return out;
}

/* ---- the network lock: an nftables table dropping the peer's segments ---- */

static void exec_nft(const char *cmd)
{
	static const char *const paths[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft",
					     "/bin/nft" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		execl(paths[i], "nft", cmd, (char *)NULL);
	execlp("nft", "nft", cmd, (char *)NULL);
}

/* Run nft with cmd in the network namespace of nspid (0: ours). */
static int run_nft(pid_t nspid, const char *cmd, bool quiet_missing, berth_error_t *err)
{
	char msg[512] = "", nspath[64];
	int p[2], st = 0;
	ssize_t n = 0, r;
	pid_t child;

	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)nspid);
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "pipe");
	child = fork();
	if (child < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return berth_error_errno(err, e, "run nft");
	}
	if (child == 0) {
		int ns = nspid ? open(nspath, O_RDONLY | O_CLOEXEC) : -1;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nspid && (ns < 0 || setns(ns, CLONE_NEWNET) < 0))
			_exit(125);
		if (null >= 0)
			dup2(null, 0);
		if (null >= 0)
			dup2(null, 1);
		dup2(p[1], 2);
		exec_nft(cmd);
		_exit(127);
	}
	close(p[1]);
	while (n < (ssize_t)sizeof(msg) - 1 && (r = read(p[0], msg + n, sizeof(msg) - 1 - n)) > 0)
		n += r;
	msg[n] = 0;
	close(p[0]);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (quiet_missing && (strstr(msg, "No such file") || strstr(msg, "does not exist")))
		return 0;
	msg[strcspn(msg, "\n")] = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return berth_error(err, ENOENT, "nft: not found");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 125)
		return berth_error(err, EPERM, "enter the network namespace of %d", (int)nspid);
	return berth_error(err, EIO, "nft: %s", msg[0] ? msg : "failed");
}

/* The lock's table: one per connection, named after it. */
static void lock_table(const struct cr_r_tcp *r, char *out, size_t len)
{
	uint8_t key[40];

	memcpy(key, r->laddr, 16);
	memcpy(key + 16, r->raddr, 16);
	memcpy(key + 32, &r->lport, 4);
	memcpy(key + 36, &r->rport, 4);
	snprintf(out, len, "berth_tcp_%016" PRIx64, cr_hash64(key, sizeof(key), r->family));
}

/* nft fails now and then when another ruleset change races with its own: try again. */
static int run_nft_retry(pid_t nspid, const char *cmd, bool quiet_missing, berth_error_t *err)
{
	int ret = -1;

	for (int i = 0; i < 5 && ret < 0; i++) {
		berth_error_t e = NULL;

		if (i)
			usleep(20000 << i);
		ret = run_nft(nspid, cmd, quiet_missing, i == 4 ? err : &e);
		berth_error_release(&e);
	}
	return ret;
}

static int lock(const struct cr_r_tcp *r, pid_t nspid, bool on, berth_error_t *err)
{
	char table[64], cmd[1024], l[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN], name[160];
	bool v6 = r->family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)r->laddr);
	int off = r->family == AF_INET6 && !v6 ? 12 : 0;

	lock_table(r, table, sizeof(table));
	if (!on) {
		snprintf(cmd, sizeof(cmd), "delete table inet %s", table);
		if (run_nft_retry(nspid, cmd, true, err) < 0)
			return berth_error_wrap(err, "unlock %s", conn_name(r, name, sizeof(name)));
		return 0;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, r->laddr + off, l, sizeof(l));
	inet_ntop(v6 ? AF_INET6 : AF_INET, r->raddr + off, p, sizeof(p));
	snprintf(cmd, sizeof(cmd),
		 "add table inet %s\n"
		 "add chain inet %s in { type filter hook input priority -300 ; }\n"
		 "add rule inet %s in %s saddr %s %s daddr %s tcp sport %u tcp dport %u drop\n",
		 table, table, table, v6 ? "ip6" : "ip", p, v6 ? "ip6" : "ip", l, r->rport,
		 r->lport);
	if (run_nft_retry(nspid, cmd, false, err) < 0)
		return berth_error_wrap(err, "lock %s", conn_name(r, name, sizeof(name)));
	return 0;
}

/* ---- dump ---- */

static int sock_addr(const struct sockaddr_storage *ss, uint8_t addr[16], uint32_t *port,
		     uint32_t *scope)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(addr, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &a->sin6_addr, 16);
		*port = ntohs(a->sin6_port);
		if (scope && a->sin6_scope_id)
			*scope = a->sin6_scope_id;
		return 0;
	}
	return -1;
}

/* One queue, peeked: *seq the sequence number of its first byte. */
static int peek_queue(int sfd, int q, uint32_t *seq, char **buf, uint32_t *len, uint32_t *unsent,
		      berth_error_t *err)
{
	const char *what = q == TCP_SEND_QUEUE ? "send queue" : "receive queue";
	int v = 0, n = 0;
	socklen_t sl = sizeof(v);
	ssize_t got;

	if (setsockopt(sfd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) < 0 ||
	    getsockopt(sfd, IPPROTO_TCP, TCP_QUEUE_SEQ, &v, &sl) < 0 ||
	    ioctl(sfd, q == TCP_SEND_QUEUE ? SIOCOUTQ : SIOCINQ, &n) < 0 ||
	    (unsent && ioctl(sfd, SIOCOUTQNSD, unsent) < 0))
		return berth_error_errno(err, errno, "%s", what);
	*len = (uint32_t)n;
	*seq = (uint32_t)v - (uint32_t)n;
	*buf = malloc((size_t)n + 1);
	if (*buf == NULL)
		return berth_error_errno(err, ENOMEM, "%s", what);
	if (n == 0)
		return 0;
	got = recv(sfd, *buf, (size_t)n, MSG_PEEK | MSG_DONTWAIT);
	if (got != n)
		return berth_error_errno(err, got < 0 ? errno : EIO, "%s: read %zd of %d bytes",
					 what, got, n);
	return 0;
}

static uint32_t int_opt(int sfd, int level, int name)
{
	int v = 0;
	socklen_t sl = sizeof(v);

	getsockopt(sfd, level, name, &v, &sl);
	return (uint32_t)v;
}

/* Options, windows and the timestamp clock of a socket in repair mode. */
static int read_state(int sfd, const struct tcp_info *ti, struct cr_r_tcp *r, berth_error_t *err)
{
	struct tcp_repair_window w;
	socklen_t sl = sizeof(w);
	uint32_t ts = 0;

	if (ti->tcpi_options & TCPI_OPT_SACK)
		r->opts |= CR_TCP_SACK;
	if (ti->tcpi_options & TCPI_OPT_TIMESTAMPS)
		r->opts |= CR_TCP_TIMESTAMPS;
	if (ti->tcpi_options & TCPI_OPT_WSCALE) {
		r->opts |= CR_TCP_WSCALE;
		r->snd_wscale = ti->tcpi_snd_wscale;
		r->rcv_wscale = ti->tcpi_rcv_wscale;
	}
	r->mss = int_opt(sfd, IPPROTO_TCP, TCP_MAXSEG); /* the clamp, in repair mode */
	if (getsockopt(sfd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &sl) < 0)
		return berth_error_errno(err, errno, "window");
	r->snd_wl1 = w.snd_wl1;
	r->snd_wnd = w.snd_wnd;
	r->max_window = w.max_window;
	r->rcv_wnd = w.rcv_wnd;
	r->rcv_wup = w.rcv_wup;
	sl = sizeof(ts);
	if (getsockopt(sfd, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &sl) < 0)
		return berth_error_errno(err, errno, "timestamp");
	r->timestamp = ts;
	r->nodelay = int_opt(sfd, IPPROTO_TCP, TCP_NODELAY);
	r->keepalive = int_opt(sfd, SOL_SOCKET, SO_KEEPALIVE);
	r->keepidle = int_opt(sfd, IPPROTO_TCP, TCP_KEEPIDLE);
	r->keepintvl = int_opt(sfd, IPPROTO_TCP, TCP_KEEPINTVL);
	r->keepcnt = int_opt(sfd, IPPROTO_TCP, TCP_KEEPCNT);
	r->reuseaddr = int_opt(sfd, SOL_SOCKET, SO_REUSEADDR);
	r->v6only = r->family == AF_INET6 ? int_opt(sfd, IPPROTO_IPV6, IPV6_V6ONLY) : 0;
	r->sndbuf = int_opt(sfd, SOL_SOCKET, SO_SNDBUF);
	r->rcvbuf = int_opt(sfd, SOL_SOCKET, SO_RCVBUF);
	return 0;
}

/*
 * A process outside the tree that holds the socket ino too, 0 if none.  It
 * would be left with a socket in repair mode (or a dead connection).
 */
static pid_t holder_outside(const struct cr_tcp_dump *d, ino_t ino)
{
	cleanup_closedir DIR *proc = opendir("/proc");
	char want[64];
	struct dirent *e;

	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)ino);
	while (proc && (e = readdir(proc)) != NULL) {
		pid_t pid = (pid_t)atoi(e->d_name);
		cleanup_closedir DIR *fds = NULL;
		struct dirent *f;
		char path[64];

		if (pid <= 0 || pid == getpid() || (d->in_tree && d->in_tree(d->arg, pid)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = opendir(path);
		while (fds && (f = readdir(fds)) != NULL) {
			char fdpath[320], link[64];
			ssize_t n;

			if (f->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%s", (int)pid, f->d_name);
			n = readlink(fdpath, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = 0, strcmp(link, want) == 0))
				return pid;
		}
	}
	return 0;
}

static int get_fd(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), sfd = -1;

	if (pidfd >= 0) {
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		close(pidfd);
	}
	return sfd;
}

int cr_tcp_dump(struct cr_tcp_dump *d, struct cr_img *img, uint32_t id, pid_t pid, int fd,
		berth_error_t *err)
{
	struct cr_r_tcp r = { .id = id };
	struct sockaddr_storage la, ra;
	socklen_t ll = sizeof(la), rl = sizeof(ra), tl;
	struct tcp_info ti;
	struct cr_tcp_held *h;
	struct stat sb;
	pid_t other;
	cleanup_free char *sq = NULL, *rq = NULL;
	char name[160];
	int one = TCP_REPAIR_ON, none = TCP_NO_QUEUE, sfd = get_fd(pid, fd);

	if (sfd < 0)
		return berth_error_errno(err, errno, "get socket");
	memset(&ti, 0, sizeof(ti));
	tl = sizeof(ti);
	if (getsockopt(sfd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0 ||
	    getsockname(sfd, (struct sockaddr *)&la, &ll) < 0 ||
	    getpeername(sfd, (struct sockaddr *)&ra, &rl) < 0) {
		int e = errno;

		close(sfd);
		if (e == ENOTCONN)
			return berth_error(err, ENOTSUP,
					   "TCP socket, not connected: unsupported resource");
		return berth_error_errno(err, e, "TCP socket");
	}
	r.family = la.ss_family;
	r.state = ti.tcpi_state;
	sock_addr(&la, r.laddr, &r.lport, &r.scope_id);
	sock_addr(&ra, r.raddr, &r.rport, &r.scope_id);
	if (ti.tcpi_state != TCP_ESTABLISHED) {
		close(sfd);
		return berth_error(err, ENOTSUP, "%s in state %s: unsupported resource",
				   conn_name(&r, name, sizeof(name)), state_name(ti.tcpi_state));
	}
	if (fstat(sfd, &sb) == 0 && (other = holder_outside(d, sb.st_ino)) != 0) {
		close(sfd);
		return berth_error(err, ENOTSUP,
				   "%s: also held by process %d outside the checkpointed tree: "
				   "unsupported resource",
				   conn_name(&r, name, sizeof(name)), (int)other);
	}
	h = realloc(d->held, (d->n + 1) * sizeof(*h));
	if (h == NULL) {
		close(sfd);
		return berth_error_errno(err, ENOMEM, "TCP socket");
	}
	d->held = h;
	h = &d->held[d->n++];
	memset(h, 0, sizeof(*h));
	h->fd = sfd;
	h->pid = pid;
	h->r = r;
	/* Nothing from the peer may reach it from here on: what we read is all there is. */
	if (lock(&r, pid, true, err) < 0)
		return -1;
	h->locked = true;
	if (setsockopt(sfd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one)) < 0)
		return berth_error_errno(err, errno, "%s: repair mode",
					 conn_name(&r, name, sizeof(name)));
	h->repair = true;
	/* Its state may have moved on before the lock (a FIN from the peer). */
	tl = sizeof(ti);
	if (getsockopt(sfd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0)
		return berth_error_errno(err, errno, "%s", conn_name(&r, name, sizeof(name)));
	if (ti.tcpi_state != TCP_ESTABLISHED)
		return berth_error(err, ENOTSUP, "%s in state %s: unsupported resource",
				   conn_name(&r, name, sizeof(name)), state_name(ti.tcpi_state));
	if (peek_queue(sfd, TCP_SEND_QUEUE, &r.snd_seq, &sq, &r.snd_len, &r.unsent, err) < 0 ||
	    peek_queue(sfd, TCP_RECV_QUEUE, &r.rcv_seq, &rq, &r.rcv_len, NULL, err) < 0 ||
	    setsockopt(sfd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &none, sizeof(none)) < 0 ||
	    read_state(sfd, &ti, &r, err) < 0)
		return berth_error_wrap(err, "%s", conn_name(&r, name, sizeof(name)));
	h->r = r;
	/* The queues follow the head: send queue, then receive queue. */
	if (r.rcv_len && r.snd_len) {
		char *both = realloc(sq, (size_t)r.snd_len + r.rcv_len);

		if (both == NULL)
			return berth_error_errno(err, ENOMEM, "TCP queues");
		sq = both;
		memcpy(sq + r.snd_len, rq, r.rcv_len);
		return cr_img_write(img, CR_REC_TCP, &r, sizeof(r), sq, (size_t)r.snd_len + r.rcv_len,
				    err);
	}
	return cr_img_write(img, CR_REC_TCP, &r, sizeof(r), r.snd_len ? sq : rq,
			    (size_t)r.snd_len + r.rcv_len, err);
}

void cr_tcp_dump_done(struct cr_tcp_dump *d, bool killed)
{
	for (int i = 0; i < d->n; i++) {
		struct cr_tcp_held *h = &d->held[i];
		int off = TCP_REPAIR_OFF;

		if (!killed && h->repair)
			setsockopt(h->fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
		/* Leaving repair mode dropped SO_REUSEADDR. */
		if (!killed && h->repair && h->r.reuseaddr)
			setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &h->r.reuseaddr,
				   sizeof(h->r.reuseaddr));
		if (!killed && h->locked)
			lock(&h->r, h->pid, false, NULL);
		/* Killed: the last reference goes in repair mode, nothing is sent. */
		close(h->fd);
	}
	free(d->held);
	d->held = NULL;
	d->n = 0;
}

/* ---- restore ---- */

static socklen_t make_addr(const struct cr_r_tcp *r, bool local, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (r->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, local ? r->laddr : r->raddr, 4);
		a->sin_port = htons((uint16_t)(local ? r->lport : r->rport));
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

	a->sin6_family = AF_INET6;
	memcpy(&a->sin6_addr, local ? r->laddr : r->raddr, 16);
	a->sin6_port = htons((uint16_t)(local ? r->lport : r->rport));
	a->sin6_scope_id = r->scope_id;
	return sizeof(*a);
}

/* Write a saved queue back into the queue q of a socket in repair mode. */
static int fill_queue(int s, int q, const char *data, size_t len, berth_error_t *err)
{
	if (setsockopt(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) < 0)
		return berth_error_errno(err, errno, "select queue");
	while (len > 0) {
		size_t chunk = len > 65536 ? 65536 : len;
		ssize_t n = send(s, data, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error_errno(err, n < 0 ? errno : EIO, "refill %s",
						 q == TCP_SEND_QUEUE ? "send queue"
								     : "receive queue");
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static int set_int(int s, int level, int name, uint32_t v)
{
	int i = (int)v;

	return setsockopt(s, level, name, &i, sizeof(i));
}

static int restore_sock(int s, const struct cr_r_tcp *r, const char *data, berth_error_t *err)
{
	struct sockaddr_storage ss;
	struct tcp_repair_opt o[4];
	struct tcp_repair_window w = { r->snd_wl1, r->snd_wnd, r->max_window, r->rcv_wnd,
				       r->rcv_wup };
	int no = 0, on = TCP_REPAIR_ON;
	unsigned int nopt = 0;
	socklen_t sl;

	if (setsockopt(s, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
		return berth_error_errno(err, errno, "repair mode");
	/* The address may not be configured yet (a network namespace being set up). */
	if ((r->family == AF_INET ? set_int(s, IPPROTO_IP, IP_FREEBIND, 1)
				  : set_int(s, IPPROTO_IPV6, IPV6_FREEBIND, 1)) < 0 ||
	    (r->family == AF_INET6 && set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, r->v6only) < 0))
		return berth_error_errno(err, errno, "socket options");
	if (set_int(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE) < 0 ||
	    set_int(s, IPPROTO_TCP, TCP_QUEUE_SEQ, r->snd_seq) < 0 ||
	    set_int(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE) < 0 ||
	    set_int(s, IPPROTO_TCP, TCP_QUEUE_SEQ, r->rcv_seq) < 0)
		return berth_error_errno(err, errno, "sequence numbers");
	sl = make_addr(r, true, &ss);
	if (bind(s, (struct sockaddr *)&ss, sl) < 0)
		return berth_error_errno(err, errno, "bind");
	sl = make_addr(r, false, &ss);
	if (connect(s, (struct sockaddr *)&ss, sl) < 0) /* no SYN in repair mode */
		return berth_error_errno(err, errno, "connect");
	if (r->family == AF_INET ? set_int(s, IPPROTO_IP, IP_FREEBIND, 0)
				 : set_int(s, IPPROTO_IPV6, IPV6_FREEBIND, 0))
		return berth_error_errno(err, errno, "socket options");
	o[nopt++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, r->mss };
	if (r->opts & CR_TCP_WSCALE)
		o[nopt++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
						     r->snd_wscale | (r->rcv_wscale << 16) };
	if (r->opts & CR_TCP_SACK)
		o[nopt++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (r->opts & CR_TCP_TIMESTAMPS)
		o[nopt++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(s, IPPROTO_TCP, TCP_REPAIR_OPTIONS, o, nopt * sizeof(o[0])) < 0)
		return berth_error_errno(err, errno, "TCP options");
	if ((r->opts & CR_TCP_TIMESTAMPS) && set_int(s, IPPROTO_TCP, TCP_TIMESTAMP, r->timestamp))
		return berth_error_errno(err, errno, "timestamp");
	/* SO_*BUF take half of what they report; the queues must fit. */
	if (set_int(s, SOL_SOCKET, SO_SNDBUFFORCE, max_u32(r->sndbuf / 2, r->snd_len * 2)) < 0 ||
	    set_int(s, SOL_SOCKET, SO_RCVBUFFORCE, max_u32(r->rcvbuf / 2, r->rcv_len * 2)) < 0)
		return berth_error_errno(err, errno, "buffer sizes");
	/* What was sent is in flight again; the rest is sent normally by cr_tcp_restore_done(). */
	if (fill_queue(s, TCP_SEND_QUEUE, data, r->snd_len - r->unsent, err) < 0 ||
	    fill_queue(s, TCP_RECV_QUEUE, data + r->snd_len, r->rcv_len, err) < 0)
		return -1;
	if (setsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) < 0)
		return berth_error_errno(err, errno, "window");
	if (setsockopt(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, &no, sizeof(no)) < 0 ||
	    set_int(s, IPPROTO_TCP, TCP_NODELAY, r->nodelay) < 0 ||
	    set_int(s, SOL_SOCKET, SO_KEEPALIVE, r->keepalive) < 0 ||
	    (r->keepidle && set_int(s, IPPROTO_TCP, TCP_KEEPIDLE, r->keepidle) < 0) ||
	    (r->keepintvl && set_int(s, IPPROTO_TCP, TCP_KEEPINTVL, r->keepintvl) < 0) ||
	    (r->keepcnt && set_int(s, IPPROTO_TCP, TCP_KEEPCNT, r->keepcnt) < 0))
		return berth_error_errno(err, errno, "socket options");
	return 0;
}

int cr_tcp_restore(const struct cr_r_tcp *r, const void *data, size_t len, unsigned int flags,
		   int *fd, struct cr_r_tcp **keep, berth_error_t *err)
{
	cleanup_close int s = -1;
	char name[160];

	if ((r->family != AF_INET && r->family != AF_INET6) ||
	    len < (size_t)r->snd_len + r->rcv_len || r->unsent > r->snd_len || r->lport > 65535 ||
	    r->rport > 65535)
		return berth_error(err, EBADMSG, "files.img: bad TCP record");
	*keep = malloc(sizeof(*r) + r->unsent);
	if (*keep == NULL)
		return berth_error_errno(err, ENOMEM, "TCP record");
	memcpy(*keep, r, sizeof(*r));
	memcpy(*keep + 1, (const char *)data + r->snd_len - r->unsent, r->unsent);
	s = socket((int)r->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (s < 0)
		return berth_error_errno(err, errno, "restore %s", conn_name(r, name, sizeof(name)));
	if (restore_sock(s, r, data, err) < 0)
		return berth_error_wrap(err, "restore %s", conn_name(r, name, sizeof(name)));
	if ((flags & O_NONBLOCK) && fcntl(s, F_SETFL, O_NONBLOCK) < 0)
		return berth_error_errno(err, errno, "restore %s", conn_name(r, name, sizeof(name)));
	*fd = steal_fd(&s);
	return 0;
}

int cr_tcp_restore_done(int fd, const struct cr_r_tcp *r, pid_t netns_pid, berth_error_t *err)
{
	int off = TCP_REPAIR_OFF;
	char name[160];

	const char *unsent = (const char *)(r + 1);
	size_t left = r->unsent;

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0 ||
	    (r->reuseaddr && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0))
		return berth_error_errno(err, errno, "%s: leave repair mode",
					 conn_name(r, name, sizeof(name)));
	while (left > 0) {
		ssize_t n = send(fd, unsent, left, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error_errno(err, n < 0 ? errno : EIO, "%s: send queue",
						 conn_name(r, name, sizeof(name)));
		unsent += n;
		left -= (size_t)n;
	}
	return lock(r, netns_pid, false, err);
}

int cr_image_check_tcp(const char *imgdir, bool tcp_established, berth_error_t *err)
{
	cleanup_close int dirfd = -1;
	struct cr_img img;
	struct cr_rec_header h;
	int r, ret = 0;

	if (tcp_established)
		return 0;
	dirfd = open(imgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_errno(err, errno, "image `%s`", imgdir);
	if (cr_img_open(&img, dirfd, "files.img", CR_KIND_FILES, err) < 0)
		return berth_error_wrap(err, "image `%s`", imgdir);
	while (ret == 0 && (r = cr_img_next(&img, &h, err)) != 0) {
		cleanup_free void *p = NULL;

		if (r < 0 || cr_img_read_all(&img, 0, &p, err) < 0) {
			ret = -1;
		} else if (h.type == CR_REC_FILE && h.len > sizeof(struct cr_r_file) &&
			   ((struct cr_r_file *)p)->type == CR_FILE_TCP) {
			ret = berth_error(err, ENOTSUP,
					  "`%s`: the image holds an established TCP connection: "
					  "restore it with --tcp-established",
					  (char *)p + sizeof(struct cr_r_file));
		}
	}
	cr_img_close(&img);
	return ret < 0 ? berth_error_wrap(err, "image `%s`", imgdir) : 0;
}
