/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A parent writes numbered lines into a pipe in bursts, faster than its
 * child reads them, so the pipe holds data most of the time.  The child
 * checks the sequence and prints "child C parent P got N" (and "GAP" on a
 * missing or repeated number).  A restored tree must go on without a gap.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tests/cr/progs/numbered.h"

int main(void)
{
	int p[2];
	pid_t child;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(p) < 0)
		return 1;
	child = fork();
	if (child == 0) {
		FILE *in = fdopen(p[0], "r");

		close(p[1]);
		read_numbered(in);
		printf("child: pipe closed\n");
		return 0;
	}
	close(p[0]);
	for (unsigned long n = 1;; n++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "%lu\n", n);

		if (write(p[1], line, len) != len)
			return 1;
		if (n % 100 == 0) {
			struct timespec ts = { 0, 150 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}
