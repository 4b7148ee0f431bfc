/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A parent with two children it has not waited for: one exited with 7,
 * one killed by SIGTERM.  It prints "zombies A B" once both are zombies,
 * then waits (without reaping) until the file argv[1] exists, and only
 * then waits for them and prints "A exited N" / "B killed by signal S".
 */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void report(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		printf("%d not waited for\n", pid);
	else if (WIFEXITED(st))
		printf("%d exited %d\n", pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%d killed by signal %d\n", pid, WTERMSIG(st));
	else
		printf("%d status %#x\n", pid, st);
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct stat sb;
	siginfo_t si;
	pid_t a, b;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	a = fork();
	if (a == 0)
		_exit(7);
	b = fork();
	if (b == 0) {
		for (;;)
			pause();
	}
	if (a < 0 || b < 0 || kill(b, SIGTERM) < 0)
		return 1;
	/* Zombies now: seen, not reaped. */
	if (waitid(P_PID, a, &si, WEXITED | WNOWAIT) < 0 ||
	    waitid(P_PID, b, &si, WEXITED | WNOWAIT) < 0)
		return 1;
	printf("zombies %d %d\n", a, b);
	while (stat(argv[1], &sb) < 0)
		nanosleep(&ts, NULL);
	report(a);
	report(b);
	return 0;
}
