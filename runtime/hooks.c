/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

const char *berth_hook_stage_name(enum berth_hook_stage s)
{
	static const char *const names[BERTH_HOOK_COUNT] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
	};
	return names[s];
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_one(const struct berth_hook *h, const char *stage, const char *state,
		   berth_error_t *err)
{
	cleanup_close int pidfd = -1;
	int in[2], status = 0;
	char *const default_args[] = { h->path, NULL };
	char *const empty_env[] = { NULL };
	int64_t deadline = h->timeout > 0 ? now_ms() + (int64_t)h->timeout * 1000 : 0;
	void (*old_pipe)(int);
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "%s hook `%s`", stage, h->path);
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return berth_error_errno(err, errno, "%s hook `%s`: fork", stage, h->path);
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0)
			_exit(127);
		execve(h->path, h->args ? h->args : default_args, h->env ? h->env : empty_env);
		fprintf(stderr, "berth: %s hook `%s`: %s\n", stage, h->path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	/* The hook may not read its stdin at all: a short write is fine.  The old
	 * disposition comes back: an ignored SIGPIPE would survive the container's execve. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	berth_write_all(in[1], state, strlen(state));
	close(in[1]);
	signal(SIGPIPE, old_pipe);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (deadline && pidfd >= 0) {
		for (;;) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			int64_t left = deadline - now_ms();
			int r;

			if (left <= 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				return berth_error(err, ETIMEDOUT, "%s hook `%s`: timed out after %d s",
						   stage, h->path, h->timeout);
			}
			r = poll(&p, 1, (int)left);
			if (r > 0)
				break;
			if (r < 0 && errno != EINTR)
				break;
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return berth_error_errno(err, errno, "%s hook `%s`: wait", stage, h->path);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return berth_error(err, 0, "%s hook `%s`: killed by signal %d", stage, h->path,
				   WTERMSIG(status));
	return berth_error(err, 0, "%s hook `%s`: exited with status %d", stage, h->path,
			   WEXITSTATUS(status));
}

int berth_hooks_run(const struct berth_config *cfg, enum berth_hook_stage s, const char *state,
		    berth_error_t *err)
{
	const struct berth_hooks *hooks = &cfg->hooks[s];

	for (size_t i = 0; i < hooks->n; i++) {
		berth_log_debug("hook %s[%zu]: run `%s`", berth_hook_stage_name(s), i,
				hooks->list[i].path);
		if (run_one(&hooks->list[i], berth_hook_stage_name(s), state, err) < 0)
			return berth_error_ret(err);
	}
	return 0;
}
