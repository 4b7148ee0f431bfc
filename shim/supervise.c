/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor loop of berth-shim: one epoll loop over the container's
 * stdio, the exec sessions' stdio, the attach socket and its clients, a
 * signalfd (SIGCHLD and the signals to forward) and a timerfd (restart
 * back-off).  Single-threaded and allocation-light so an idle shim stays small.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "shim/attach.h"
#include "shim/shim.h"
#include "util.h"

/* A reader with more than this much output queued pauses the producer. */
#define OUT_CAP (1 << 20)
#define IO_CHUNK (256 * 1024)
/* Largest frame a client may send (stdin data). */
#define CLIENT_CHUNK (64 * 1024)
/* Output pipes this big let a busy container run ahead between our reads. */
#define PIPE_SIZE (1024 * 1024)
#define MAX_EXECS 64
/* Idle this long, the shim unmaps its text (shim_trim_text()). */
#define TRIM_IDLE_MS 100

enum ev_kind { EV_LISTEN, EV_SIGNAL, EV_TIMER, EV_OUT, EV_ERR, EV_IN, EV_CLIENT };

struct ev {
	enum ev_kind kind;
	void *obj;
};

struct client;

struct session {
	bool is_exec;
	pid_t pid;
	int in_fd, out_fd, err_fd, tty_fd;
	struct ev ev_out, ev_err, ev_in;
	bool paused, in_watched;
	char *inbuf;
	size_t inlen;
	bool close_in, dead;
	struct client *owner; /* exec: the client that asked for it */
	char pidfile[PATH_MAX];
	struct session *next;
};

/* CLIENT_CKPT: a checkpoint is being taken while the client stays connected. */
enum client_mode { CLIENT_NEW, CLIENT_ATTACH, CLIENT_EXEC, CLIENT_WAIT, CLIENT_DONE, CLIENT_CKPT };

struct client {
	int fd;
	struct ev ev;
	enum client_mode mode;
	char req[SHIM_REQ_MAX];
	size_t reqlen;
	unsigned char *rbuf; /* frames from the client */
	size_t rlen;
	char *obuf; /* frames to the client */
	size_t olen, ooff;
	bool stdin_owner, want_out, dead, close_after_flush;
	struct session *exec;
	struct client *next;
};

struct shim {
	struct shim_opts *o;
	int epfd, sigfd, listen_fd, timer_fd;
	struct shim_log log;
	struct session ctr;
	struct session *execs;
	struct client *clients;
	int exec_seq, nexecs;
	bool running, done;
	bool trim; /* started, or an exec session came or went: shim_trim_text() once idle */
	bool start_asked; /* --attach-first: a `start` request came (no attach needed) */
	bool straight;    /* --wait-fd said `s`: no start to wait for, the attach request follows */
	bool early_exit;  /* the container was reaped before it was marked running ... */
	int early_status; /* ... with this status: its exit once it is */
	struct client *first; /* the --attach-fd client */
	bool restoring;     /* the next spawn of the container is a restore (--restore) */
	bool checkpointing; /* an exit of the container now is the end of a checkpoint */
	int restarts, backoff_step, dirfd;
	struct timespec started;
	char memcg_file[PATH_MAX];
	long long oom_base;
	char exit_payload[64];
	char path_buf[PATH_MAX];
	char sock_buf[108];
};

static char iobuf[IO_CHUNK];

static const char *state_path(struct shim *s, const char *name)
{
	snprintf(s->path_buf, sizeof(s->path_buf), "%s/%s", s->o->state_dir, name);
	return s->path_buf;
}

/*
 * Socket paths are limited to 107 bytes; state directories named after
 * 64-character IDs under temp roots are longer.  Going through our open
 * directory in /proc keeps every socket path short (the runtime can use it too).
 */
static const char *sock_path(struct shim *s, const char *name)
{
	snprintf(s->sock_buf, sizeof(s->sock_buf), "/proc/%d/fd/%d/%s", (int)getpid(), s->dirfd,
		 name);
	return s->sock_buf;
}

static void ep_add(struct shim *s, int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e);
}

static void ep_del(struct shim *s, int fd)
{
	if (fd >= 0)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void ep_mod(struct shim *s, int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &e);
}

/* ---- clients ---------------------------------------------------------- */

static void client_flush(struct shim *s, struct client *c)
{
	while (c->ooff < c->olen) {
		ssize_t k = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->dead = true;
			break;
		}
		c->ooff += (size_t)k;
	}
	if (c->ooff == c->olen) {
		c->ooff = c->olen = 0;
		if (c->close_after_flush)
			c->dead = true;
	}
	if (!c->dead)
		ep_mod(s, c->fd, EPOLLIN | (c->olen ? EPOLLOUT : 0), &c->ev);
}

static void client_send(struct shim *s, struct client *c, int type, const void *data, size_t len)
{
	unsigned char hdr[SHIM_FRAME_HDR];
	size_t need;

	if (c->dead)
		return;
	if (c->ooff > 0 && c->ooff == c->olen)
		c->ooff = c->olen = 0;
	need = c->olen + SHIM_FRAME_HDR + len;
	if (need > OUT_CAP * 8) {
		/* a reader that stopped reading altogether is dropped */
		c->dead = true;
		return;
	}
	if (c->ooff > 0) {
		memmove(c->obuf, c->obuf + c->ooff, c->olen - c->ooff);
		c->olen -= c->ooff;
		c->ooff = 0;
		need = c->olen + SHIM_FRAME_HDR + len;
	}
	char *nb = realloc(c->obuf, need);
	if (nb == NULL) {
		c->dead = true;
		return;
	}
	c->obuf = nb;
	shim_frame_header(hdr, type, (uint32_t)len);
	memcpy(c->obuf + c->olen, hdr, SHIM_FRAME_HDR);
	if (len)
		memcpy(c->obuf + c->olen + SHIM_FRAME_HDR, data, len);
	c->olen = need;
	client_flush(s, c);
}

static void client_fail(struct shim *s, struct client *c, const char *msg)
{
	client_send(s, c, SHIM_FRAME_FAIL, msg, strlen(msg));
	c->mode = CLIENT_DONE;
	c->close_after_flush = true;
	client_flush(s, c);
}

static void client_free(struct shim *s, struct client *c)
{
	ep_del(s, c->fd);
	close(c->fd);
	if (c->exec)
		c->exec->owner = NULL;
	free(c->rbuf);
	free(c->obuf);
	free(c);
}

static void sweep_clients(struct shim *s)
{
	struct client **pp = &s->clients;

	while (*pp) {
		struct client *c = *pp;
		if (c->dead) {
			*pp = c->next;
			client_free(s, c);
		} else {
			pp = &c->next;
		}
	}
}

/* ---- sessions (the container and exec processes) --------------------- */

static void session_reset(struct session *ss)
{
	ss->pid = 0;
	ss->in_fd = ss->out_fd = ss->err_fd = ss->tty_fd = -1;
	ss->paused = ss->in_watched = ss->close_in = false;
	free(ss->inbuf);
	ss->inbuf = NULL;
	ss->inlen = 0;
}

/* Explicit EPOLL_CTL_DEL first: a dup'ed pty master would keep the registration alive. */
static void session_close_fds(struct shim *s, struct session *ss)
{
	int *fds[] = { &ss->in_fd, &ss->out_fd, &ss->err_fd, &ss->tty_fd };
	const size_t nfds = sizeof(fds) / sizeof(fds[0]);

	for (size_t i = 0; i < nfds; i++) {
		int fd = *fds[i];
		if (fd < 0)
			continue;
		ep_del(s, fd);
		close(fd);
		for (size_t j = i; j < nfds; j++)
			if (*fds[j] == fd)
				*fds[j] = -1;
	}
	ss->in_watched = false;
}

static void session_watch(struct shim *s, struct session *ss)
{
	ss->ev_out = (struct ev){ EV_OUT, ss };
	ss->ev_err = (struct ev){ EV_ERR, ss };
	ss->ev_in = (struct ev){ EV_IN, ss };
	if (ss->out_fd >= 0)
		ep_add(s, ss->out_fd, EPOLLIN, &ss->ev_out);
	if (ss->err_fd >= 0)
		ep_add(s, ss->err_fd, EPOLLIN, &ss->ev_err);
}

static void session_pause(struct shim *s, struct session *ss, bool pause)
{
	if (ss->paused == pause)
		return;
	ss->paused = pause;
	if (ss->out_fd >= 0)
		ep_mod(s, ss->out_fd, pause ? 0 : EPOLLIN, &ss->ev_out);
	if (ss->err_fd >= 0)
		ep_mod(s, ss->err_fd, pause ? 0 : EPOLLIN, &ss->ev_err);
}

/* Output of a session: the container's goes to the log and every attached reader. */
static void session_output(struct shim *s, struct session *ss, bool is_err, const char *buf,
			   size_t n)
{
	int type = is_err ? SHIM_FRAME_STDERR : SHIM_FRAME_STDOUT;

	if (ss->is_exec) {
		if (ss->owner)
			client_send(s, ss->owner, type, buf, n);
		return;
	}
	berth_error_t err = NULL;
	if (shim_log_write(&s->log, is_err ? "stderr" : "stdout", buf, n, &err) < 0) {
		/* a full disk must not stop the container: stop logging, keep serving readers */
		berth_error_release(&err);
		shim_log_close(&s->log);
	}
	for (struct client *c = s->clients; c; c = c->next)
		if (c->mode == CLIENT_ATTACH && c->want_out)
			client_send(s, c, type, buf, n);
}

/* Read one chunk; returns false at EOF/EIO (the fd is then closed). */
static bool session_read(struct shim *s, struct session *ss, bool is_err)
{
	int *fdp = is_err ? &ss->err_fd : &ss->out_fd;
	ssize_t k = read(*fdp, iobuf, sizeof(iobuf));

	if (k > 0) {
		session_output(s, ss, is_err, iobuf, (size_t)k);
		return true;
	}
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	ep_del(s, *fdp);
	if (*fdp == ss->tty_fd) {
		/* pty master: EIO once every slave is closed; keep it for the final close */
		*fdp = -1;
	} else {
		close(*fdp);
		*fdp = -1;
	}
	return false;
}

/* After the process is reaped nobody writes any more: take all that is left. */
static void session_drain(struct shim *s, struct session *ss)
{
	for (int i = 0; i < 2; i++) {
		int *fdp = i ? &ss->err_fd : &ss->out_fd;
		while (*fdp >= 0) {
			ssize_t k = read(*fdp, iobuf, sizeof(iobuf));
			if (k > 0) {
				session_output(s, ss, i == 1, iobuf, (size_t)k);
				continue;
			}
			if (k < 0 && errno == EINTR)
				continue;
			break;
		}
	}
}

static void session_write_stdin(struct shim *s, struct session *ss)
{
	while (ss->inlen > 0 && ss->in_fd >= 0) {
		ssize_t k = write(ss->in_fd, ss->inbuf, ss->inlen);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				ss->inlen = 0; /* reader gone: drop input */
			break;
		}
		memmove(ss->inbuf, ss->inbuf + k, ss->inlen - (size_t)k);
		ss->inlen -= (size_t)k;
	}
	if (ss->in_fd < 0)
		return;
	if (ss->inlen == 0 && ss->close_in && ss->in_fd != ss->tty_fd) {
		if (ss->in_watched)
			ep_del(s, ss->in_fd);
		close(ss->in_fd);
		ss->in_fd = -1;
		ss->in_watched = false;
		return;
	}
	bool want = ss->inlen > 0;
	if (want && !ss->in_watched)
		ep_add(s, ss->in_fd, EPOLLOUT, &ss->ev_in);
	else if (!want && ss->in_watched)
		ep_del(s, ss->in_fd);
	ss->in_watched = want;
}

/* ---- memory cgroup: was the container OOM-killed? --------------------- */

static long long read_oom_kills(const char *file)
{
	char *buf = NULL, *p;
	long long v = -1;

	if (file[0] == '\0' || berth_read_file(file, &buf, NULL, NULL) < 0)
		return -1;
	p = strstr(buf, "oom_kill ");
	if (p && (p == buf || p[-1] == '\n'))
		v = strtoll(p + 9, NULL, 10);
	free(buf);
	return v;
}

/*
 * Find the container's memory cgroup from /proc/PID/cgroup: the v1 "memory"
 * hierarchy (memory.oom_control has oom_kill) or, without one, the unified
 * hierarchy (memory.events), mounted at /sys/fs/cgroup or, on hybrid hosts,
 * /sys/fs/cgroup/unified.
 */
static void find_memcg(struct shim *s, pid_t pid)
{
	char path[64], *buf = NULL, *line, *save = NULL, *v2 = NULL;
	const char *v1 = NULL;

	s->memcg_file[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (berth_read_file(path, &buf, NULL, NULL) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		for (char *tok = c1 + 1, *sv = NULL, *t; (t = strtok_r(tok, ",", &sv)); tok = NULL)
			if (strcmp(t, "memory") == 0)
				v1 = c2 + 1;
		if (c1[1] == '\0' && strcmp(line, "0:") == 0)
			v2 = c2 + 1;
	}
	if (v1)
		snprintf(s->memcg_file, sizeof(s->memcg_file),
			 "/sys/fs/cgroup/memory%s/memory.oom_control", v1);
	else if (v2) {
		snprintf(s->memcg_file, sizeof(s->memcg_file),
			 "/sys/fs/cgroup/unified%s/memory.events", v2);
		if (access(s->memcg_file, R_OK) < 0)
			snprintf(s->memcg_file, sizeof(s->memcg_file),
				 "/sys/fs/cgroup%s/memory.events", v2);
	}
	free(buf);
	s->oom_base = read_oom_kills(s->memcg_file);
}

/* ---- starting and ending the container ------------------------------- */

static int rt_argv(struct shim *s, char **argv, const char *verb)
{
	int n = 0;

	argv[n++] = (char *)s->o->runtime;
	if (s->o->runtime_root) {
		argv[n++] = "--root";
		argv[n++] = (char *)s->o->runtime_root;
	}
	argv[n++] = (char *)verb;
	return n;
}

static void rt_delete(struct shim *s)
{
	if (strcmp(s->o->runtime, SHIM_RUNTIME_BUILTIN) == 0) {
		/* in the shim itself: it is about to exit, or trims its text again */
		shim_builtin_forget();
		shim_builtin_delete(s->o->runtime_root, s->o->id);
		s->trim = true;
		return;
	}
	char *argv[8];
	int n = rt_argv(s, argv, "delete");
	struct shim_rt_call call = { .argv = argv, .in_fd = -1, .out_fd = -1, .err_fd = -1,
				     .console_listen = -1 };

	argv[n++] = "--force";
	argv[n++] = (char *)s->o->id;
	argv[n] = NULL;
	shim_rt_run(&call, NULL);
	if (call.console_fd >= 0)
		close(call.console_fd);
}

static int read_pid_file(const char *path, pid_t *pid, berth_error_t *err)
{
	cleanup_free char *buf = NULL;

	if (berth_read_file(path, &buf, NULL, err) < 0)
		return -1;
	*pid = (pid_t)strtol(buf, NULL, 10);
	if (*pid <= 0)
		return berth_error(err, EINVAL, "`%s` holds no pid", path);
	return 0;
}

static void set_nonblock(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static bool rt_failed(const struct shim_rt_call *c)
{
	return !WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0;
}

/*
 * Run `runtime create` then `runtime exec` or `runtime start` for a session:
 * pipes (or a pty through --console-socket) for its stdio.
 */
static int session_spawn(struct shim *s, struct session *ss, bool tty, bool want_stdin,
			 const char *process, berth_error_t *err)
{
	char *argv[20], sock[108], name[32];
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	cleanup_close int console_listen = -1;
	struct shim_rt_call call = { .argv = argv, .in_fd = -1, .out_fd = -1, .err_fd = -1,
				     .console_listen = -1 };
	int n, ret = -1;

	session_reset(ss);
	snprintf(name, sizeof(name), "console-%d.sock", ss->is_exec ? s->exec_seq : 0);
	snprintf(sock, sizeof(sock), "%s", sock_path(s, name));
	if (tty) {
		console_listen = shim_listen_unix(sock, 1, err);
		if (console_listen < 0)
			return -1;
		call.console_listen = console_listen;
	} else {
		if ((want_stdin && pipe2(inp, O_CLOEXEC) < 0) || pipe2(outp, O_CLOEXEC) < 0 ||
		    pipe2(errp, O_CLOEXEC) < 0) {
			ret = berth_error_errno(err, errno, "pipe");
			goto out;
		}
		call.in_fd = inp[0];
		call.out_fd = outp[1];
		call.err_fd = errp[1];
	}

	const char *verb = ss->is_exec ? "exec" : s->restoring ? "restore" : "create";
	/* built in, the container is created right here (shim_builtin_create()) */
	const bool direct = !ss->is_exec && !s->restoring &&
			    strcmp(s->o->runtime, SHIM_RUNTIME_BUILTIN) == 0;
	n = rt_argv(s, argv, verb);
	if (ss->is_exec) {
		argv[n++] = "--detach";
		argv[n++] = "--process";
		argv[n++] = (char *)process;
	} else {
		argv[n++] = "--bundle";
		argv[n++] = (char *)s->o->bundle;
	}
	if (s->restoring) {
		argv[n++] = "--detach";
		argv[n++] = "--image-path";
		argv[n++] = (char *)s->o->restore_image;
		if (s->o->restore_tcp)
			argv[n++] = "--tcp-established";
	}
	argv[n++] = "--pid-file";
	argv[n++] = ss->pidfile;
	if (tty) {
		argv[n++] = "--console-socket";
		argv[n++] = sock;
	}
	argv[n++] = (char *)s->o->id;
	argv[n] = NULL;
	unlink(ss->pidfile);
	if (direct) {
		const int stdio[3] = { inp[0], outp[1], errp[1] };
		char v[16];
		if (shim_builtin_create(s->o->runtime_root, s->o->id, s->o->bundle, !s->straight,
					tty ? sock : NULL, stdio, &ss->pid, err) < 0)
			goto out;
		/* the pid file the runtime would have written */
		berth_write_file_atomic(ss->pidfile, v, (size_t)snprintf(v, sizeof(v), "%d", (int)ss->pid),
					0644, false, NULL);
		/* the init sent the pty master before it reported ready: it is queued */
		if (tty && (call.console_fd = shim_receive_console(console_listen, err)) < 0) {
			shim_builtin_forget();
			goto out;
		}
	} else if (shim_rt_run(&call, err) < 0) {
		goto out;
	}
	/* Our copies of the child ends go now so EOF means the container closed them. */
	if (inp[0] >= 0)
		close(steal_fd(&inp[0]));
	if (outp[1] >= 0)
		close(steal_fd(&outp[1]));
	if (errp[1] >= 0)
		close(steal_fd(&errp[1]));
	if (!direct && rt_failed(&call)) {
		/* In pipe mode the runtime's complaint went to the container's stderr. */
		if (call.msg[0] == '\0' && errp[0] >= 0) {
			char buf[4096];
			ssize_t k;
			set_nonblock(errp[0]);
			k = read(errp[0], buf, sizeof(buf) - 1);
			if (k > 0) {
				shim_last_error_line(call.msg, sizeof(call.msg), buf, (size_t)k);
				shim_strip_prog(call.msg, argv[0]);
			}
		}
		{
			/* berth's own message already starts with the verb: "create `ID`: ..." */
			size_t vl = strlen(verb);
			if (strncmp(call.msg, verb, vl) == 0 && call.msg[vl] == ' ')
				ret = berth_error(err, 0, "%s", call.msg);
			else
				ret = berth_error(err, 0, "%s: %s", verb,
						  call.msg[0] ? call.msg : "the runtime failed");
		}
		if (call.console_fd >= 0)
			close(call.console_fd);
		goto out;
	}
	if (!direct && read_pid_file(ss->pidfile, &ss->pid, err) < 0) {
		if (call.console_fd >= 0)
			close(call.console_fd);
		goto out;
	}
	if (tty) {
		if (call.console_fd < 0) {
			ret = berth_error(err, EPROTO, "the runtime sent no terminal for `%s`",
					  s->o->id);
			goto out;
		}
		ss->tty_fd = ss->out_fd = call.console_fd;
		ss->in_fd = fcntl(call.console_fd, F_DUPFD_CLOEXEC, 3);
	} else {
		ss->in_fd = steal_fd(&inp[1]);
		ss->out_fd = steal_fd(&outp[0]);
		ss->err_fd = steal_fd(&errp[0]);
		fcntl(ss->out_fd, F_SETPIPE_SZ, PIPE_SIZE); /* best effort: the default works too */
	}
	set_nonblock(ss->in_fd);
	set_nonblock(ss->out_fd);
	set_nonblock(ss->err_fd);
	session_watch(s, ss);
	ret = 0;
out:
	if (tty)
		unlinkat(s->dirfd, name, 0);
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return ret;
}

static void write_status(struct shim *s, const char *state)
{
	char buf[256], ts[48];
	int n;

	shim_format_time(ts, sizeof(ts));
	n = snprintf(buf, sizeof(buf),
		     "{\"state\":\"%s\",\"pid\":%d,\"shim_pid\":%d,\"restarts\":%d,\"at\":\"%s\"}\n",
		     state, (int)s->ctr.pid, (int)getpid(), s->restarts, ts);
	berth_write_file_atomic(state_path(s, "status"), buf, (size_t)n, 0644, false, NULL);
}

static int create_container(struct shim *s, berth_error_t *err)
{
	s->ctr.is_exec = false;
	snprintf(s->ctr.pidfile, sizeof(s->ctr.pidfile), "%s/pid", s->o->state_dir);
	if (session_spawn(s, &s->ctr, s->o->terminal, s->o->stdin_open, NULL, err) < 0) {
		rt_delete(s);
		return -1;
	}
	find_memcg(s, s->ctr.pid);
	write_status(s, "created");
	return 0;
}

static void container_exited(struct shim *s, int status);

static int run_start(struct shim *s, berth_error_t *err)
{
	char *argv[8];
	int n;
	struct shim_rt_call call = { .argv = argv, .in_fd = -1, .out_fd = -1, .err_fd = -1,
				     .console_listen = -1 };

	n = rt_argv(s, argv, "start");
	argv[n++] = (char *)s->o->id;
	argv[n] = NULL;
	/*
	 * Built in, start is no child at all: it opens the container's exec.fifo
	 * (libberth) right here, before the shim's text is trimmed.
	 */
	if (strcmp(s->o->runtime, SHIM_RUNTIME_BUILTIN) == 0) {
		berth_error_t rerr = NULL;
		/* (the container was created in the shim: shim_builtin_create()) */
		bool failed = shim_builtin_run(&rerr) < 0;
		call.status = failed ? 1 << 8 : 0;
		if (failed) {
			const char *m = rerr ? rerr->msg : "failed";
			/* "start `ID`: why" from libberth: we name the verb and ID ourselves */
			if (strncmp(m, "start `", 7) == 0 && strstr(m, "`: "))
				m = strstr(m, "`: ") + 3;
			snprintf(call.msg, sizeof(call.msg), "%s", m);
		}
		berth_error_release(&rerr);
	}
	if ((strcmp(s->o->runtime, SHIM_RUNTIME_BUILTIN) != 0 && shim_rt_run(&call, err) < 0) ||
	    rt_failed(&call)) {
		/*
		 * A process that ran and exited at once can make a runtime's start
		 * report failure ("cannot start a container that has stopped").  If
		 * our child has ended, it was started: its status tells the rest.
		 */
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)s->ctr.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == s->ctr.pid) {
			berth_error_release(err);
			goto started;
		}
		if (call.msg[0])
			berth_error(err, 0, "start %s: %s", s->o->id, call.msg);
		else if (err && *err == NULL)
			berth_error(err, 0, "start %s: the runtime failed", s->o->id);
		session_drain(s, &s->ctr);
		session_close_fds(s, &s->ctr);
		rt_delete(s);
		return -1;
	}
started:
	s->running = true;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	write_status(s, "running");
	if (s->early_exit) {
		s->early_exit = false;
		container_exited(s, s->early_status);
	}
	return 0;
}

/* --restore: the runtime rebuilds the container from the checkpoint, with our pipes as its stdio. */
static int restore_container(struct shim *s, berth_error_t *err)
{
	int ret;

	s->restoring = true;
	ret = create_container(s, err);
	/* a restart (--restart) runs the container from scratch */
	s->restoring = false;
	if (ret < 0)
		return -1;
	s->running = true;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	write_status(s, "running");
	return 0;
}

static int start_container(struct shim *s, berth_error_t *err)
{
	if (create_container(s, err) < 0)
		return -1;
	return run_start(s, err);
}

/* Like podman: 127 when the command is not there, 126 when it cannot run, else 125. */
static int engine_code_for_start(const char *msg)
{
	if (strstr(msg, "not found") || strstr(msg, "o such file or directory"))
		return 127;
	if (strstr(msg, "ermission denied") || strstr(msg, "xec format error"))
		return 126;
	return 125;
}

static void finish(struct shim *s, int code, int sig, bool oom)
{
	char buf[256], ts[48];
	int n;

	shim_format_time(ts, sizeof(ts));
	n = snprintf(buf, sizeof(buf),
		     "{\"exit_code\":%d,\"signal\":%d,\"oom_killed\":%s,\"restarts\":%d,"
		     "\"exited_at\":\"%s\"%s}\n",
		     code, sig, oom ? "true" : "false", s->restarts, ts,
		     s->o->checkpointed ? ",\"checkpointed\":true" : "");
	/* a checkpointed container stays for its restore: its exit file too */
	berth_write_file_atomic(state_path(s, "exit"), buf, (size_t)n, 0644,
				!s->o->no_sync_exit || s->o->checkpointed, NULL);
	write_status(s, s->o->checkpointed ? "checkpointed" : "exited");
	snprintf(s->exit_payload, sizeof(s->exit_payload), "%d %d %d", code, sig, oom ? 1 : 0);
	for (struct client *c = s->clients; c; c = c->next) {
		if (c->mode == CLIENT_ATTACH || c->mode == CLIENT_WAIT) {
			client_send(s, c, SHIM_FRAME_EXIT, s->exit_payload, strlen(s->exit_payload));
			c->close_after_flush = true;
			client_flush(s, c);
		}
	}
	s->done = true;
}

static bool should_restart(struct shim *s, int code)
{
	switch (s->o->restart) {
	case SHIM_RESTART_ALWAYS:
		return true;
	case SHIM_RESTART_ON_FAILURE:
		return code != 0 && (s->o->restart_max == 0 || s->restarts < s->o->restart_max);
	default:
		return false;
	}
}

static void container_exited(struct shim *s, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	long long kills = read_oom_kills(s->memcg_file);
	bool oom = kills > 0 && kills > s->oom_base;
	struct timespec now;

	session_drain(s, &s->ctr);
	session_close_fds(s, &s->ctr);
	s->running = false;
	if (s->checkpointing) {
		/* the dump ended it: no exit of its own, no restart; the shim's work is done */
		s->o->checkpointed = true;
		finish(s, 0, 0, false);
		rt_delete(s);
		return;
	}
	if (!should_restart(s, code)) {
		/*
		 * The exit status first: callers waiting for it go on with their
		 * own teardown while the runtime's state is deleted.  Whoever must
		 * know that the cgroup is gone waits for the shim to exit.
		 */
		finish(s, code, sig, oom);
		rt_delete(s);
		return;
	}
	rt_delete(s);
	{
		/* 100 ms doubling to 12.8 s; a run longer than 10 s starts the back-off over */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - s->started.tv_sec > 10)
			s->backoff_step = 0;
		long ms = 100L << (s->backoff_step < 7 ? s->backoff_step : 7);
		s->backoff_step++;
		struct itimerspec its = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };
		timerfd_settime(s->timer_fd, 0, &its, NULL);
		write_status(s, "restarting");
	}
}

static void restart_container(struct shim *s)
{
	berth_error_t err = NULL;

	s->restarts++;
	if (start_container(s, &err) < 0) {
		char line[1024];
		snprintf(line, sizeof(line), "restart: %s\n", err ? err->msg : "failed");
		berth_error_release(&err);
		if (s->log.fd >= 0)
			shim_log_write(&s->log, "stderr", line, strlen(line), NULL);
		finish(s, 125, 0, false);
	}
}

/* ---- requests on the attach socket ------------------------------------ */

static void start_exec(struct shim *s, struct client *c, const char *args)
{
	int tty = 0, in = 0, off = 0;
	struct session *ss;
	berth_error_t err = NULL;

	if (sscanf(args, "%d %d %n", &tty, &in, &off) < 2 || args[off] == '\0')
		return client_fail(s, c, "bad exec request");
	if (!s->running)
		return client_fail(s, c, "the container is not running");
	if (s->nexecs >= MAX_EXECS)
		return client_fail(s, c, "too many exec sessions");
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL)
		return client_fail(s, c, "out of memory");
	ss->is_exec = true;
	s->exec_seq++;
	snprintf(ss->pidfile, sizeof(ss->pidfile), "%s/exec-%d.pid", s->o->state_dir, s->exec_seq);
	if (session_spawn(s, ss, tty, in, args + off, &err) < 0) {
		client_fail(s, c, err ? err->msg : "exec failed");
		berth_error_release(&err);
		unlink(ss->pidfile);
		free(ss);
		return;
	}
	unlink(ss->pidfile);
	ss->owner = c;
	ss->next = s->execs;
	s->execs = ss;
	s->nexecs++;
	s->trim = true;
	c->exec = ss;
	c->mode = CLIENT_EXEC;
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)ss->pid);
	client_send(s, c, SHIM_FRAME_OK, pid, strlen(pid));
}

static void handle_request(struct shim *s, struct client *c)
{
	char *req = c->req;

	if (strcmp(req, "attach") == 0 || strcmp(req, "attach stdin") == 0) {
		if (req[6] && s->ctr.in_fd < 0)
			return client_fail(s, c, "the container's stdin is not open");
		if (req[6]) {
			for (struct client *o = s->clients; o; o = o->next)
				if (o->stdin_owner)
					return client_fail(s, c, "stdin is already attached");
			c->stdin_owner = true;
		}
		c->mode = CLIENT_ATTACH;
		c->want_out = true;
		client_send(s, c, SHIM_FRAME_OK, NULL, 0);
		if (s->done) {
			client_send(s, c, SHIM_FRAME_EXIT, s->exit_payload, strlen(s->exit_payload));
			c->close_after_flush = true;
			client_flush(s, c);
		}
	} else if (strcmp(req, "wait") == 0) {
		c->mode = CLIENT_WAIT;
		client_send(s, c, SHIM_FRAME_OK, NULL, 0);
		if (s->done) {
			client_send(s, c, SHIM_FRAME_EXIT, s->exit_payload, strlen(s->exit_payload));
			c->close_after_flush = true;
			client_flush(s, c);
		}
	} else if (strncmp(req, "kill ", 5) == 0) {
		int sig = atoi(req + 5);
		if (sig <= 0 || sig >= NSIG)
			return client_fail(s, c, "bad signal");
		if (!s->running)
			return client_fail(s, c, "the container is not running");
		if (kill(s->ctr.pid, sig) < 0)
			return client_fail(s, c, strerror(errno));
		client_send(s, c, SHIM_FRAME_OK, NULL, 0);
		c->mode = CLIENT_DONE;
		c->close_after_flush = true;
		client_flush(s, c);
	} else if (strcmp(req, "start") == 0) {
		/* --attach-first without attaching (berthctl run -d once the network is up) */
		s->start_asked = true;
		client_send(s, c, SHIM_FRAME_OK, NULL, 0);
		c->mode = CLIENT_DONE;
		c->close_after_flush = true;
		client_flush(s, c);
	} else if (strcmp(req, "checkpoint") == 0) {
		/*
		 * The caller dumps the container and keeps this connection until it is
		 * done: the container's exit meanwhile is its checkpoint.  A caller
		 * that goes while the container still runs takes the mark back.
		 */
		if (!s->running)
			return client_fail(s, c, "the container is not running");
		s->checkpointing = true;
		c->mode = CLIENT_CKPT;
		client_send(s, c, SHIM_FRAME_OK, NULL, 0);
	} else if (strncmp(req, "exec ", 5) == 0) {
		start_exec(s, c, req + 5);
	} else {
		client_fail(s, c, "unknown request");
	}
}

static struct session *client_session(struct shim *s, struct client *c)
{
	if (c->mode == CLIENT_EXEC)
		return c->exec;
	if (c->mode == CLIENT_ATTACH && (c->stdin_owner || s->ctr.tty_fd >= 0))
		return &s->ctr;
	return NULL;
}

static void handle_frames(struct shim *s, struct client *c)
{
	size_t off = 0;

	while (c->rlen - off >= SHIM_FRAME_HDR) {
		unsigned char *h = c->rbuf + off;
		uint32_t len = shim_frame_len(h);
		if (len > CLIENT_CHUNK) {
			c->dead = true;
			return;
		}
		if (c->rlen - off < SHIM_FRAME_HDR + len)
			break;
		struct session *ss = client_session(s, c);
		unsigned char *p = h + SHIM_FRAME_HDR;
		if (ss && h[0] == SHIM_FRAME_STDIN && len > 0 &&
		    (c->stdin_owner || c->mode == CLIENT_EXEC) && ss->in_fd >= 0) {
			char *nb = realloc(ss->inbuf, ss->inlen + len);
			if (nb && ss->inlen + len <= OUT_CAP * 4) {
				ss->inbuf = nb;
				memcpy(ss->inbuf + ss->inlen, p, len);
				ss->inlen += len;
			} else if (nb) {
				ss->inbuf = nb;
			}
			session_write_stdin(s, ss);
		} else if (ss && h[0] == SHIM_FRAME_CLOSE && (c->stdin_owner || c->mode == CLIENT_EXEC)) {
			ss->close_in = true;
			session_write_stdin(s, ss);
		} else if (ss && h[0] == SHIM_FRAME_RESIZE && len == 4 && ss->tty_fd >= 0) {
			struct winsize ws = { .ws_row = (unsigned short)(p[0] << 8 | p[1]),
					      .ws_col = (unsigned short)(p[2] << 8 | p[3]) };
			ioctl(ss->tty_fd, TIOCSWINSZ, &ws);
		}
		off += SHIM_FRAME_HDR + len;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static void client_readable(struct shim *s, struct client *c)
{
	if (c->mode == CLIENT_NEW) {
		ssize_t k = read(c->fd, c->req + c->reqlen, sizeof(c->req) - 1 - c->reqlen);
		if (k <= 0) {
			if (k == 0 || (errno != EAGAIN && errno != EINTR))
				c->dead = true;
			return;
		}
		c->reqlen += (size_t)k;
		c->req[c->reqlen] = '\0';
		char *nl = memchr(c->req, '\n', c->reqlen);
		if (nl == NULL) {
			if (c->reqlen == sizeof(c->req) - 1)
				client_fail(s, c, "request too long");
			return;
		}
		/* bytes after the request line are frames already */
		size_t rest = c->reqlen - (size_t)(nl + 1 - c->req);
		*nl = '\0';
		if (rest) {
			c->rbuf = malloc(CLIENT_CHUNK + SHIM_FRAME_HDR);
			if (c->rbuf == NULL) {
				c->dead = true;
				return;
			}
			memcpy(c->rbuf, nl + 1, rest);
			c->rlen = rest;
		}
		handle_request(s, c);
		if (c->rlen)
			handle_frames(s, c);
		return;
	}
	if (c->rbuf == NULL) {
		c->rbuf = malloc(CLIENT_CHUNK + SHIM_FRAME_HDR);
		if (c->rbuf == NULL) {
			c->dead = true;
			return;
		}
	}
	ssize_t k = read(c->fd, c->rbuf + c->rlen, CLIENT_CHUNK + SHIM_FRAME_HDR - c->rlen);
	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
		if (c->mode == CLIENT_CKPT && s->running)
			s->checkpointing = false;
		/* detach; an exec's stdin is closed so that `cat` and friends end */
		if (c->mode == CLIENT_EXEC && c->exec) {
			c->exec->close_in = true;
			session_write_stdin(s, c->exec);
		}
		c->dead = true;
		return;
	}
	if (k > 0) {
		c->rlen += (size_t)k;
		handle_frames(s, c);
	}
}

static bool add_client(struct shim *s, int fd)
{
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return false;
	}
	c->fd = fd;
	c->ev = (struct ev){ EV_CLIENT, c };
	c->next = s->clients;
	s->clients = c;
	ep_add(s, fd, EPOLLIN, &c->ev);
	return true;
}

static void accept_clients(struct shim *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0 || !add_client(s, fd))
			return;
	}
}

/* ---- the loop --------------------------------------------------------- */

static void exec_exited(struct shim *s, struct session *ss, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	char payload[64];

	session_drain(s, ss);
	session_close_fds(s, ss);
	if (ss->owner) {
		snprintf(payload, sizeof(payload), "%d %d 0", code,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		client_send(s, ss->owner, SHIM_FRAME_EXIT, payload, strlen(payload));
		ss->owner->close_after_flush = true;
		ss->owner->exec = NULL;
		client_flush(s, ss->owner);
	}
	/* freed after this round of events, which may still name it */
	ss->dead = true;
	s->trim = true;
}

static void sweep_sessions(struct shim *s)
{
	struct session **pp = &s->execs;

	while (*pp) {
		struct session *ss = *pp;
		if (ss->dead) {
			*pp = ss->next;
			s->nexecs--;
			free(ss->inbuf);
			free(ss);
		} else {
			pp = &ss->next;
		}
	}
}

static void reap(struct shim *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (s->running && pid == s->ctr.pid) {
			container_exited(s, status);
			continue;
		}
		/* a container that needs no start can be done before we call it running */
		if (!s->running && !s->done && s->ctr.pid > 0 && pid == s->ctr.pid) {
			s->early_exit = true;
			s->early_status = status;
			continue;
		}
		for (struct session *ss = s->execs; ss; ss = ss->next) {
			if (!ss->dead && ss->pid == pid) {
				exec_exited(s, ss, status);
				break;
			}
		}
	}
}

static void handle_signals(struct shim *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		/* Asked to stop: pass it on, or give up a pending restart. */
		if (s->running)
			kill(s->ctr.pid, (int)si.ssi_signo);
		else if (!s->done) {
			struct itimerspec off = { 0 };
			timerfd_settime(s->timer_fd, 0, &off, NULL);
			finish(s, 128 + (int)si.ssi_signo, (int)si.ssi_signo, false);
		}
	}
	reap(s);
}

static void update_pauses(struct shim *s)
{
	bool ctr_full = false;

	for (struct client *c = s->clients; c; c = c->next)
		if (c->mode == CLIENT_ATTACH && c->olen - c->ooff > OUT_CAP)
			ctr_full = true;
	if (s->running)
		session_pause(s, &s->ctr, ctr_full);
	for (struct session *ss = s->execs; ss; ss = ss->next)
		session_pause(s, ss, ss->owner && ss->owner->olen - ss->owner->ooff > OUT_CAP);
}

static int setup(struct shim *s, berth_error_t *err)
{
	sigset_t mask;
	static struct ev ev_listen = { EV_LISTEN, NULL }, ev_sig = { EV_SIGNAL, NULL },
			 ev_timer = { EV_TIMER, NULL };

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->sigfd < 0 || s->epfd < 0 || s->timer_fd < 0)
		return berth_error_errno(err, errno, "set up the event loop");
	s->dirfd = open(s->o->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return berth_error_errno(err, errno, "open `%s`", s->o->state_dir);
	s->listen_fd = shim_listen_unix(sock_path(s, "attach"), 16, err);
	if (s->listen_fd < 0)
		return -1;
	if (shim_log_open(&s->log, s->o->log_path, s->o->log_max_size, s->o->log_max_files, err) < 0)
		return -1;
	ep_add(s, s->listen_fd, EPOLLIN, &ev_listen);
	ep_add(s, s->sigfd, EPOLLIN, &ev_sig);
	ep_add(s, s->timer_fd, EPOLLIN, &ev_timer);
	session_reset(&s->ctr);
	/* the caller's end of a socket pair: a client that connected before we listened */
	if (s->o->attach_fd >= 0) {
		set_nonblock(s->o->attach_fd);
		if (add_client(s, s->o->attach_fd))
			s->first = s->clients;
		s->o->attach_fd = -1;
	}
	return 0;
}

static void sync_reply(struct shim_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sync_reply(struct shim_opts *o, const char *fmt, ...)
{
	char buf[1100];
	va_list ap;
	int n;

	if (o->sync_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	berth_write_all(o->sync_fd, buf, (size_t)n);
	close(o->sync_fd);
	o->sync_fd = -1;
}

/* One epoll_wait and its events; how many there were (0: timeout). */
static int loop_once(struct shim *s, int timeout)
{
	struct epoll_event evs[16];
	int n = epoll_wait(s->epfd, evs, 16, timeout);

	for (int i = 0; i < n; i++) {
		struct ev *ev = evs[i].data.ptr;
		struct session *ss = ev->obj;
		switch (ev->kind) {
		case EV_LISTEN:
			accept_clients(s);
			break;
		case EV_SIGNAL:
			handle_signals(s);
			break;
		case EV_TIMER: {
			uint64_t ticks;
			if (read(s->timer_fd, &ticks, sizeof(ticks)) > 0 && !s->done)
				restart_container(s);
			break;
		}
		case EV_OUT:
		case EV_ERR:
			if ((ev->kind == EV_OUT ? ss->out_fd : ss->err_fd) >= 0)
				session_read(s, ss, ev->kind == EV_ERR);
			break;
		case EV_IN:
			session_write_stdin(s, ss);
			break;
		case EV_CLIENT: {
			struct client *c = ev->obj;
			if (c->dead)
				break;
			if (evs[i].events & EPOLLOUT)
				client_flush(s, c);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				client_readable(s, c);
			break;
		}
		}
	}
	sweep_clients(s);
	sweep_sessions(s);
	update_pauses(s);
	return n;
}

/*
 * The shim's binary carries libberth for its forked runtime children; the
 * kernel maps file pages around every fault (64 KiB), so the start-up path
 * leaves most of the text mapped in the long-lived parent.  Unmapping it from
 * our page tables (the pages stay in the page cache, shared) lets the idle
 * loop map back only what it runs.
 */
extern char __executable_start[], etext[];

static void shim_trim_text(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)__executable_start & ~(uintptr_t)(pg - 1);
	uintptr_t end = ((uintptr_t)etext + (uintptr_t)pg - 1) & ~(uintptr_t)(pg - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

/*
 * Straight: the process may be writing already.  Its pipes are read only in
 * the loop, so the attach request is taken first and nothing it writes is
 * missed (the caller sent it right after the go; 30 s at most, as for
 * --attach-first).
 */
static void await_first_request(struct shim *s)
{
	struct client *c = s->first;
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (c && c->mode == CLIENT_NEW && !c->dead) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= 30 || poll(&p, 1, 1000) < 0)
			break;
		if (p.revents)
			client_readable(s, c);
	}
}

static bool someone_attached(struct shim *s)
{
	for (struct client *c = s->clients; c; c = c->next)
		if (c->mode == CLIENT_ATTACH)
			return true;
	return false;
}

int shim_supervise(struct shim_opts *o, berth_error_t *err)
{
	struct shim s = { .o = o, .epfd = -1, .sigfd = -1, .listen_fd = -1, .timer_fd = -1,
			  .dirfd = -1 };

	s.log.fd = -1;
	int ret = setup(&s, err);

	if (ret == 0 && o->wait_fd >= 0) {
		/* the caller still makes the bundle; EOF: it gave up */
		char go;
		ssize_t k;
		do
			k = read(o->wait_fd, &go, 1);
		while (k < 0 && errno == EINTR);
		close(o->wait_fd);
		o->wait_fd = -1;
		/* `s`: the caller's attach request follows at once; the init need not wait for it */
		s.straight = k == 1 && go == 's' && s.first && strcmp(o->runtime, SHIM_RUNTIME_BUILTIN) == 0;
		if (k != 1) {
			o->called_off = true;
			unlink(state_path(&s, "attach"));
			shim_log_close(&s.log);
			return 0;
		}
	}
	if (ret == 0 && o->restore_image) {
		o->attach_first = false;
		ret = restore_container(&s, err);
	} else if (ret == 0 && (create_container(&s, err) < 0 ||
				(!o->attach_first && run_start(&s, err) < 0))) {
		ret = -1;
	}
	if (ret < 0) {
		sync_reply(o, "error %s\n", err && *err ? (*err)->msg : "failed");
		unlink(state_path(&s, "attach"));
		return -1;
	}
	sync_reply(o, "ok %d\n", (int)s.ctr.pid);
	if (s.straight)
		await_first_request(&s);
	if (o->attach_first) {
		/* The caller attaches before the process runs, so it sees all of its output. */
		struct timespec t0, now;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!s.straight && !someone_attached(&s) && !s.start_asked) {
			loop_once(&s, 100);
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec >= 30)
				break;
		}
		if (run_start(&s, err) < 0) {
			char line[1100];
			snprintf(line, sizeof(line), "%s\n", *err ? (*err)->msg : "start failed");
			berth_error_release(err);
			session_output(&s, &s.ctr, true, line, strlen(line));
			finish(&s, engine_code_for_start(line), 0, false);
		}
	}

	/*
	 * The text goes once the shim has been idle for TRIM_IDLE_MS: a
	 * container that ends before is not made to fault it back in for its
	 * exit and the runtime's delete.
	 */
	s.trim = true;
	while (!s.done || s.clients) {
		if (s.done) {
			/* readers that do not read the final frames are not waited for */
			struct epoll_event ev;
			if (epoll_wait(s.epfd, &ev, 1, 1000) == 0)
				break;
		}
		if (loop_once(&s, s.trim ? TRIM_IDLE_MS : -1) == 0 && s.trim) {
			shim_trim_text();
			s.trim = false;
		}
	}
	unlink(state_path(&s, "attach"));
	shim_log_close(&s.log);
	return 0;
}
