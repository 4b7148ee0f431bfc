/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counts in memory and appends "pid N count M" to stdout every 10 ms; a
 * restored copy must go on from the last value with the same pid.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	volatile unsigned long count = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	setvbuf(stdout, NULL, _IONBF, 0);
	for (;;) {
		count++;
		printf("pid %d count %lu\n", (int)getpid(), count);
		nanosleep(&ts, NULL);
	}
}
