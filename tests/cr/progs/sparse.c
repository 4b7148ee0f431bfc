/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sparse FILE: memory whose saved pages are scattered.  A 64 MiB anonymous
 * mapping with every third page written (and one 4 MiB run), a mapping
 * written and then made PROT_NONE, and a private mapping of FILE (which it
 * creates, 16 pages) with pages 2 and 9 changed.  Prints "ready N" (N: the
 * pages written, all mappings), then sleeps; on SIGUSR1 it checks every page
 * (written ones hold their pattern, the others zeros or the file's bytes)
 * and prints "verified" or "BAD <what> page N".
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG      4096UL
#define NPAGES  16384UL /* 64 MiB */
#define RUN0    8192UL  /* pages RUN0.. RUN0 + 1023 are all written */
#define NONE_PG 8UL
#define FILE_PG 16UL

static volatile sig_atomic_t check;
static volatile unsigned int sink;

static void on_usr1(int sig)
{
	check = 1;
}

static int written(size_t p)
{
	return p % 3 == 0 || (p >= RUN0 && p < RUN0 + 1024);
}

static void fill(unsigned char *pg, size_t p, unsigned int salt)
{
	for (size_t i = 0; i < PG; i += 512)
		memcpy(pg + i, &(uint64_t){ p * 2654435761u + i + salt }, 8);
}

/* The page holds fill()'s pattern over bytes of value base. */
static int same(const unsigned char *pg, size_t p, unsigned int salt, int base)
{
	unsigned char want[PG];

	memset(want, base, sizeof(want));
	fill(want, p, salt);
	return memcmp(pg, want, PG) == 0;
}

static int zero(const unsigned char *pg)
{
	for (size_t i = 0; i < PG; i++)
		if (pg[i])
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	unsigned char *anon, *none, *file, buf[PG];
	size_t n = 0;
	struct sigaction sa;
	int fd;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 1;
	for (size_t p = 0; p < FILE_PG; p++) {
		memset(buf, (int)('a' + p), PG);
		if (write(fd, buf, PG) != (ssize_t)PG)
			return 1;
	}
	anon = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, NONE_PG * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	file = mmap(NULL, FILE_PG * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (anon == MAP_FAILED || none == MAP_FAILED || file == MAP_FAILED)
		return 1;
	close(fd);
	for (size_t p = 0; p < NPAGES; p++)
		if (written(p)) {
			fill(anon + p * PG, p, 0);
			n++;
		}
	for (size_t p = 0; p < NONE_PG; p += 2, n++)
		fill(none + p * PG, p, 1);
	if (mprotect(none, NONE_PG * PG, PROT_NONE) < 0)
		return 1;
	fill(file + 2 * PG, 2, 2);
	fill(file + 9 * PG, 9, 2);
	n += 2;
	/* read (not written) pages of the file mapping are the file's: not saved */
	for (size_t p = 0; p < FILE_PG; p++)
		sink += file[p * PG];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	printf("ready %zu\n", n);
	for (;;) {
		const char *bad = NULL;
		size_t p;

		pause();
		if (!check)
			continue;
		check = 0;
		for (p = 0; p < NPAGES && !bad; p++)
			if (written(p) ? !same(anon + p * PG, p, 0, 0) : !zero(anon + p * PG))
				bad = "anon";
		if (!bad && mprotect(none, NONE_PG * PG, PROT_READ) < 0)
			return 1;
		for (p = 0; p < NONE_PG && !bad; p++)
			if (p % 2 == 0 ? !same(none + p * PG, p, 1, 0) : !zero(none + p * PG))
				bad = "prot_none";
		if (!bad && mprotect(none, NONE_PG * PG, PROT_NONE) < 0)
			return 1;
		for (p = 0; p < FILE_PG && !bad; p++) {
			memset(buf, (int)('a' + p), PG);
			if (p == 2 || p == 9 ? !same(file + p * PG, p, 2, 'a' + (int)p) : memcmp(file + p * PG, buf, PG))
				bad = "file";
		}
		if (bad)
			printf("BAD %s page %zu\n", bad, p - 1);
		else
			printf("verified\n");
	}
}
