/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files across a restore: DIR/deleted is written, opened and unlinked; DIR/
 * mapped is mapped shared (a counter lives in it) and DIR/private mapped
 * private and changed in memory.  Every 10 ms the program checks what it
 * expects (deleted file content and offset, the private page, the shared
 * counter, a memfd's content) and prints "pid P ok N" or "BAD ...".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[4096], buf[64];
	int del, mfd, pfd, memfd;
	volatile unsigned long *shared;
	char *priv;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned long n = 0;

	if (argc < 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/deleted", argv[1]);
	del = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (del < 0 || write(del, "hello from a deleted file\n", 26) != 26)
		return 1;
	unlink(path);
	lseek(del, 6, SEEK_SET);
	snprintf(path, sizeof(path), "%s/mapped", argv[1]);
	mfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (mfd < 0 || ftruncate(mfd, 4096) < 0)
		return 1;
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	close(mfd);
	snprintf(path, sizeof(path), "%s/private", argv[1]);
	pfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (pfd < 0 || write(pfd, "file content", 12) != 12 || ftruncate(pfd, 8192) < 0)
		return 1;
	priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, pfd, 0);
	close(pfd);
	if (shared == MAP_FAILED || priv == MAP_FAILED)
		return 1;
	memcpy(priv + 4096, "changed in memory", 17);
	memfd = memfd_create("bt-memfd", 0);
	if (memfd < 0 || write(memfd, "memfd content", 13) != 13)
		return 1;
	for (;; n++) {
		ssize_t r = pread(del, buf, 20, 6);

		if (r != 20 || memcmp(buf, "from a deleted file\n", 20) != 0)
			printf("BAD deleted file content\n");
		else if (lseek(del, 0, SEEK_CUR) != 6)
			printf("BAD deleted file offset\n");
		else if (memcmp(priv, "file content", 12) || memcmp(priv + 4096, "changed in memory", 17))
			printf("BAD private mapping\n");
		else if (pread(memfd, buf, 13, 0) != 13 || memcmp(buf, "memfd content", 13) ||
			 lseek(memfd, 0, SEEK_CUR) != 13)
			printf("BAD memfd\n");
		else if (*shared != n)
			printf("BAD shared counter %lu != %lu\n", *shared, n);
		else
			printf("pid %d ok %lu\n", getpid(), n);
		*shared = n + 1;
		nanosleep(&ts, NULL);
	}
}
