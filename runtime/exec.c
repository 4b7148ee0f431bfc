/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "console.h"
#include "exec_guard.h"
#include "linux.h"
#include "log.h"
#include "process.h"
#include "seccomp_filter.h"
#include "sync.h"
#include "util.h"

struct exec_ctx {
	struct berth_container *c;
	const struct berth_exec_opts *o;
	const struct berth_caps *caps;
	const struct berth_seccomp *seccomp;
	struct berth_exec_guard guard;
	int ns_fd[BERTH_NS_COUNT];
	int sync;
	int console;
};

static __attribute__((noreturn)) void exec_fail(struct exec_ctx *x, berth_error_t *err)
{
	const char *msg = *err ? (*err)->msg : "exec failed";

	if (berth_sync_send(x->sync, BERTH_MSG_ERROR, msg) < 0)
		fprintf(stderr, "berth: %s\n", msg);
	_exit(1);
}

static __attribute__((noreturn)) void exec_child(struct exec_ctx *x)
{
	/* user first: the other namespaces belong to it; mount last: it changes our root */
	static const enum berth_ns_type order[] = { BERTH_NS_USER, BERTH_NS_IPC,    BERTH_NS_UTS,
						    BERTH_NS_NET,  BERTH_NS_CGROUP, BERTH_NS_TIME,
						    BERTH_NS_MNT };
	struct berth_exec_setup setup = {
		.proc = x->o->proc,
		.caps = x->caps,
		.seccomp = x->seccomp,
		.guard = &x->guard,
		.keep_fds = x->o->preserve_fds,
	};
	berth_error_t err = NULL;
	char *exe_path = NULL;
	int exe_fd = -1, notify_fd = -1;
	char buf[64];

	berth_sync_child_enter(x->c, x->sync, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum berth_ns_type t = order[i];
		if (x->ns_fd[t] < 0)
			continue;
		if (setns(x->ns_fd[t], berth_ns_flag(t)) < 0) {
			berth_error_errno(&err, errno, "join %s namespace", berth_ns_name(t));
			exec_fail(x, &err);
		}
		close(x->ns_fd[t]);
	}
	if (x->console >= 0) {
		if (berth_console_setup(x->console, x->o->proc->console_height,
					x->o->proc->console_width, &err) < 0)
			exec_fail(x, &err);
		close(x->console);
	}
	if (berth_process_prepare(&setup, &exe_fd, &exe_path, &notify_fd, &err) < 0)
		exec_fail(x, &err);
	if (notify_fd >= 0) {
		if (berth_send_fd(x->sync, notify_fd, "N", &err) < 0)
			exec_fail(x, &err);
		close(notify_fd);
	}
	berth_log_debug("exec: `%s` in container `%s`", exe_path, x->c->id);
	berth_process_exec(x->o->proc, exe_fd, exe_path, &err);
	exec_fail(x, &err);
}

/* fd of the container's namespace t, or -1 when it is ours already (nothing to join). */
static int open_ns(pid_t pid, enum berth_ns_type t, int *out, berth_error_t *err)
{
	char path[64], own[64];
	struct stat a, b;

	*out = -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, berth_ns_proc_name(t));
	snprintf(own, sizeof(own), "/proc/self/ns/%s", berth_ns_proc_name(t));
	if (stat(path, &a) < 0) {
		if (errno == ENOENT && t == BERTH_NS_TIME)
			return 0;
		return berth_error_errno(err, errno, "namespace `%s`", path);
	}
	if (stat(own, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return 0;
	*out = open(path, O_RDONLY | O_CLOEXEC);
	if (*out < 0)
		return berth_error_errno(err, errno, "namespace `%s`", path);
	return 0;
}

int berth_container_exec(struct berth_container *c, const struct berth_exec_opts *o, pid_t *pid_out,
			 berth_error_t *err)
{
	cleanup_caps struct berth_caps *caps = NULL;
	cleanup_seccomp struct berth_seccomp *seccomp = NULL;
	struct exec_ctx x = { .c = c, .o = o, .sync = -1, .console = -1 };
	struct clone_args ca = { .exit_signal = SIGCHLD };
	cleanup_close int sync = -1, own_pidns = -1;
	int sp[2];
	pid_t pid = -1;
	enum berth_status s = berth_container_status(c);
	char buf[8192];
	int ret = -1;

	for (int t = 0; t < BERTH_NS_COUNT; t++)
		x.ns_fd[t] = -1;
	if (s == BERTH_STATUS_STOPPED)
		return berth_error(err, EINVAL, "cannot exec in a stopped container");
	if (s == BERTH_STATUS_PAUSED)
		return berth_error(err, EINVAL, "cannot exec in a paused container");
	if (o->proc->terminal && o->console_socket == NULL)
		return berth_error(err, EINVAL, "--tty needs --console-socket");
	if (berth_caps_parse(o->proc->capabilities, &caps, err) < 0)
		return -1;
	if (o->add_caps) {
		if (caps == NULL && berth_caps_parse(NULL, &caps, err) < 0)
			return -1;
		berth_caps_add(caps, o->add_caps);
	}
	/* compiled here, on the host, with the cache create uses: the process only loads it */
	if (berth_seccomp_parse(c->config->seccomp, &seccomp, err) < 0 ||
	    berth_seccomp_prepare_in(seccomp, c->state_root, err) < 0 ||
	    berth_exec_guard_init(&x.guard, err) < 0)
		return -1;
	x.caps = caps;
	x.seccomp = seccomp;
	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		if (!c->config->ns[t].enabled)
			continue;
		if (open_ns(c->pid, t, &x.ns_fd[t], err) < 0)
			goto out;
	}
	/* the namespaces must still be the container's: its pid may not have been reused */
	if (!berth_container_alive(c)) {
		berth_error(err, ESRCH, "cannot exec in a stopped container");
		goto out;
	}
	if (o->console_socket && berth_console_connect(o->console_socket, &x.console, err) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		berth_error_errno(err, errno, "socketpair");
		goto out;
	}
	sync = sp[0];
	x.sync = sp[1];
	if (seccomp) {
		seccomp->pass_listener = true;
		seccomp->listener_sock = sp[1];
	}
	if (x.ns_fd[BERTH_NS_PID] >= 0) {
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || setns(x.ns_fd[BERTH_NS_PID], CLONE_NEWPID) < 0) {
			berth_error_errno(err, errno, "join pid namespace");
			close(sp[1]);
			goto out;
		}
	}
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		exec_child(&x);
	if (own_pidns >= 0)
		setns(own_pidns, CLONE_NEWPID);
	close(sp[1]);
	if (pid < 0) {
		berth_error_errno(err, errno, "clone");
		goto out;
	}
	if (c->cgroup && berth_cgroup_enter(c->cgroup, pid, err) < 0)
		goto out;
	if (berth_sync_send(sync, BERTH_MSG_GO, NULL) < 0) {
		berth_error_errno(err, errno, "exec");
		goto out;
	}
	/* EOF: the socket closed on execve. */
	for (;;) {
		int fd = -1;
		ssize_t n = berth_sync_recv(sync, buf, sizeof(buf), &fd);

		if (n <= 0)
			break;
		if (buf[0] == BERTH_MSG_ERROR) {
			berth_error(err, 0, "%s", buf + 1);
			goto out;
		}
		if (fd >= 0) {
			cleanup_free char *st = berth_container_state_text(c, BERTH_STATUS_RUNNING);
			json_t *sj = st ? json_loads(st, 0, NULL) : NULL;
			int r = seccomp ? berth_seccomp_send_listener(seccomp, fd, pid, sj, err) : 0;

			json_decref(sj);
			close(fd);
			if (r < 0)
				goto out;
		}
	}
	berth_log_debug("exec `%s`: process %d runs", c->id, (int)pid);
	*pid_out = pid;
	pid = -1;
	ret = 0;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (x.ns_fd[t] >= 0)
			close(x.ns_fd[t]);
	if (x.console >= 0)
		close(x.console);
	return ret;
}
