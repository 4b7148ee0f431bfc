/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Driving the OCI runtime through its command line (create, start, exec,
 * delete), the way conmon drives runc.  Any runc-compatible binary works.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim/shim.h"
#include "util.h"

int shim_listen_unix(const char *path, int backlog, berth_error_t *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return berth_error(err, ENAMETOOLONG, "socket path `%s` is too long", path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "socket `%s`", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, backlog) < 0) {
		int e = errno;
		close(fd);
		return berth_error_errno(err, e, "listen on `%s`", path);
	}
	return fd;
}

/* The runtime connects to --console-socket and sends the pty master with SCM_RIGHTS. */
int shim_receive_console(int listen_fd, berth_error_t *err)
{
	char data[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	cleanup_close int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int fd;

	if (conn < 0)
		return berth_error_errno(err, errno, "accept on the console socket");
	if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "receive the console");
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return berth_error(err, EPROTO, "the runtime sent no console file descriptor");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The last line the runtime wrote, which is its error.  runc-style log lines
 * (time="..." level=error msg="...") are reduced to their msg.
 */
void shim_last_error_line(char *msg, size_t size, const char *buf, size_t n)
{
	const char *end = buf + n, *start, *m;
	size_t o = 0;

	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > buf && start[-1] != '\n')
		start--;
	m = memmem(start, (size_t)(end - start), "msg=\"", 5);
	if (m == NULL) {
		if (end > start)
			snprintf(msg, size, "%.*s", (int)(end - start), start);
		return;
	}
	for (m += 5; m < end && *m != '"' && o + 1 < size; m++) {
		if (*m == '\\' && m + 1 < end)
			m++;
		msg[o++] = *m;
	}
	msg[o] = '\0';
}

/* Read what is there into buf, keeping only the tail: the last line is what we report. */
static ssize_t collect(int fd, char *buf, size_t size, size_t *n)
{
	ssize_t k = read(fd, buf + *n, size - 1 - *n);

	if (k > 0) {
		*n += (size_t)k;
		if (*n == size - 1) {
			memmove(buf, buf + *n / 2, *n - *n / 2);
			*n -= *n / 2;
		}
	}
	return k;
}

static void child_exec(struct shim_rt_call *call, int errw)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int in = call->in_fd >= 0 ? call->in_fd : devnull;
	int out = call->out_fd >= 0 ? call->out_fd : devnull;
	int er = call->err_fd >= 0 ? call->err_fd : errw;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* dup2 of an fd onto itself keeps O_CLOEXEC; move everything above 2 first. */
	in = fcntl(in, F_DUPFD_CLOEXEC, 3);
	out = fcntl(out, F_DUPFD_CLOEXEC, 3);
	er = fcntl(er, F_DUPFD_CLOEXEC, 3);
	if (in < 0 || out < 0 || er < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(er, 2) < 0)
		_exit(126);
	if (strcmp(call->argv[0], SHIM_RUNTIME_BUILTIN) == 0) {
		int argc = 0;
		/* no exec closes the shim's descriptors for us */
		syscall(SYS_close_range, 3, ~0U, 0);
		while (call->argv[argc])
			argc++;
		_exit(shim_builtin_runtime(argc, call->argv));
	}
	execv(call->argv[0], call->argv);
	dprintf(2, "berth-shim: exec `%s`: %s\n", call->argv[0], strerror(errno));
	_exit(127);
}

void shim_strip_prog(char *msg, const char *runtime)
{
	const char *base = strrchr(runtime, '/');
	size_t n;

	base = base ? base + 1 : runtime;
	if (strcmp(base, SHIM_RUNTIME_BUILTIN) == 0)
		base = "berth";
	n = strlen(base);
	if (strncmp(msg, base, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		memmove(msg, msg + n + 2, strlen(msg + n + 2) + 1);
}

int shim_rt_run(struct shim_rt_call *call, berth_error_t *err)
{
	cleanup_close int errr = -1;
	cleanup_close int errw = -1;
	cleanup_close int pidfd = -1;
	char buf[4096];
	size_t n = 0;
	bool exited = false;
	int p[2];
	pid_t pid;

	call->console_fd = -1;
	call->msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return berth_error_errno(err, errno, "pipe");
	errr = p[0];
	errw = p[1];
	pid = fork();
	if (pid < 0)
		return berth_error_errno(err, errno, "fork `%s`", call->argv[0]);
	if (pid == 0)
		child_exec(call, errw);
	close(steal_fd(&errw));
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	/*
	 * Wait for the runtime, collecting its stderr and the console as they
	 * come.  Not for EOF on stderr: the container's init may hold it until
	 * it execs the process.
	 */
	while (!exited) {
		struct pollfd pfd[3] = {
			{ .fd = errr, .events = POLLIN },
			{ .fd = call->console_fd < 0 ? call->console_listen : -1, .events = POLLIN },
			{ .fd = exited ? -1 : pidfd, .events = POLLIN },
		};
		int r = poll(pfd, 3, pidfd < 0 && !exited ? 10 : -1);

		if (r < 0 && errno != EINTR)
			return berth_error_errno(err, errno, "poll");
		if (pfd[0].revents) {
			if (collect(errr, buf, sizeof(buf), &n) <= 0)
				close(steal_fd(&errr));
		}
		if (pfd[1].revents) {
			call->console_fd = shim_receive_console(call->console_listen, err);
			if (call->console_fd < 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				return -1;
			}
		}
		if (!exited && (pidfd < 0 || pfd[2].revents)) {
			pid_t w = waitpid(pid, &call->status, pidfd < 0 ? WNOHANG : 0);
			if (w == pid)
				exited = true;
		}
	}
	if (errr >= 0)
		while (collect(errr, buf, sizeof(buf), &n) > 0)
			;
	shim_last_error_line(call->msg, sizeof(call->msg), buf, n);
	shim_strip_prog(call->msg, call->argv[0]);
	if (call->console_listen >= 0 && call->console_fd < 0 && WIFEXITED(call->status) &&
	    WEXITSTATUS(call->status) == 0) {
		struct pollfd pfd = { .fd = call->console_listen, .events = POLLIN };
		if (poll(&pfd, 1, 0) == 1)
			call->console_fd = shim_receive_console(call->console_listen, err);
	}
	return 0;
}
