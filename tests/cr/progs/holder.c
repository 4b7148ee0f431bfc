/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * holder KIND: opens one resource of KIND (inotify, netlink), then counts
 * like counter.c ("pid N count M" every 10 ms on stdout).
 */
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	volatile unsigned long count = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int fd = -1;

	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "inotify") == 0)
		fd = inotify_init1(0);
	else if (strcmp(argv[1], "netlink") == 0)
		fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return 1;
	setvbuf(stdout, NULL, _IONBF, 0);
	for (;;) {
		count++;
		printf("pid %d count %lu\n", (int)getpid(), count);
		nanosleep(&ts, NULL);
	}
}
