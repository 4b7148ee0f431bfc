// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * runtime-rss CMD [ARG...] — run CMD and print the peak resident set size, in
 * KiB, of the largest process of its whole tree, then exit with CMD's status.
 *
 * Why not GNU time: wait4() only folds in descendants that were waited for
 * inside the tree.  A runtime that daemonizes (double fork: the container's
 * monitor or init outlives its parent) leaves orphans that the kernel
 * reparents to init, and their memory would be missed.  Becoming a child
 * subreaper makes every orphan of the tree our child; reaping them all folds
 * their peak RSS into RUSAGE_CHILDREN, so every runtime is measured the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status, rc = 0;
	pid_t pid, got;

	if (argc < 2) {
		fprintf(stderr, "usage: runtime-rss CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "runtime-rss: become a subreaper: %s\n", strerror(errno));
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "runtime-rss: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "runtime-rss: run \"%s\": %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	/* Reap the command and every orphan of its tree until none is left. */
	while ((got = wait(&status)) > 0 || errno == EINTR) {
		if (got == pid)
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0) {
		fprintf(stderr, "runtime-rss: getrusage: %s\n", strerror(errno));
		return 2;
	}
	printf("%ld\n", ru.ru_maxrss);
	return rc;
}
