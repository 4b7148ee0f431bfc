/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memhog MIB: fills MIB MiB of anonymous memory with a per-page pattern,
 * prints "ready", then sleeps.  On SIGUSR1 it checks every page and prints
 * "verified N pages" or "BAD page N".
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t check;

static void on_usr1(int sig)
{
	check = 1;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64, pages = mib * 256;
	uint64_t *mem;
	struct sigaction sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mem = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	for (size_t p = 0; p < pages; p++)
		for (size_t w = 0; w < 512; w += 64)
			mem[p * 512 + w] = p * 2654435761u + w;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	printf("ready\n");
	for (;;) {
		pause();
		if (!check)
			continue;
		check = 0;
		for (size_t p = 0; p < pages; p++)
			for (size_t w = 0; w < 512; w += 64)
				if (mem[p * 512 + w] != p * 2654435761u + w) {
					printf("BAD page %zu\n", p);
					goto next;
				}
		printf("verified %zu pages\n", pages);
next:;
	}
}
