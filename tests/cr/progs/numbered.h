/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reading side of the numbered-line streams of the checkpoint/restore
 * test programs (tree, usock, fdx): "N\n" lines from in, read unbuffered so
 * no data hides in stdio across a checkpoint; a gap in the numbering is
 * printed, and every 50th number with who read it; 2 ms between lines.
 * Returns at EOF or on a line that is not a number.
 */
#ifndef BERTH_TESTS_CR_NUMBERED_H
#define BERTH_TESTS_CR_NUMBERED_H

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static inline void read_numbered(FILE *in)
{
	unsigned long expect = 1, got;
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	setvbuf(in, NULL, _IONBF, 0);
	while (fscanf(in, "%lu\n", &got) == 1) {
		if (got != expect)
			printf("GAP expected %lu got %lu\n", expect, got);
		expect = got + 1;
		if (got % 50 == 0)
			printf("child %d parent %d got %lu\n", getpid(), getppid(), got);
		nanosleep(&ts, NULL);
	}
}

#endif
