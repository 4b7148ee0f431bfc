/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"

int berth_cli_one_id(const char *verb, int argc, char **argv, int optind_, const char **id,
		     berth_error_t *err)
{
	if (optind_ >= argc)
		return berth_error(err, EINVAL, "%s: missing container ID", verb);
	if (optind_ + 1 < argc)
		return berth_error(err, EINVAL, "%s: unexpected argument `%s`", verb, argv[optind_ + 1]);
	if (berth_id_validate(argv[optind_], err) < 0)
		return berth_error_wrap(err, "%s", verb);
	*id = argv[optind_];
	return 0;
}

int berth_cli_uint(const char *opt, const char *val, int *out, berth_error_t *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || *end || v < 0 || v > 1 << 20 || end == val)
		return berth_error(err, EINVAL, "%s: `%s` is not a valid number", opt, val);
	*out = (int)v;
	return 0;
}

int berth_cli_bad_option(const char *verb, int argc, char **argv, berth_error_t *err)
{
	const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";

	if (optopt && optopt != '?')
		return berth_error(err, EINVAL, "%s: bad option `-%c` (see berth %s --help)", verb,
				   optopt, verb);
	return berth_error(err, EINVAL, "%s: bad option `%s` (see berth %s --help)", verb, arg, verb);
}

/* Wait for the container's init (our child), passing on the signals we get. */
void berth_cli_block_forwarded(sigset_t *fwd, bool block)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

	sigemptyset(fwd);
	if (!block)
		return;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(fwd, sigs[i]);
	sigprocmask(SIG_BLOCK, fwd, NULL);
}

int berth_cli_wait(pid_t pid, const sigset_t *fwd)
{
	cleanup_close int sfd = signalfd(-1, fwd, SFD_CLOEXEC);
	cleanup_close int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status = 0;

	while (sfd >= 0 && pfd >= 0) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = pfd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN)
			break;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				syscall(SYS_pidfd_send_signal, pfd, (int)si.ssi_signo, NULL, 0);
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 255;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

