/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpecho PORT [ADDR]: listens on ADDR:PORT (127.0.0.1, or an IPv6 address
 * such as ::1) and serves one connection after the other, line by line:
 *   "hold S"  answers, then reads nothing for S seconds
 *   "big K"   answers with K lines "block %08d" (1..K)
 *   anything else: "pid P n N: LINE", N counting the lines of all
 *             connections in memory
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int answer(int c, const char *line, unsigned long *count)
{
	char out[512];
	int len;

	if (strncmp(line, "big ", 4) == 0) {
		long k = atol(line + 4);

		for (long i = 1; i <= k; i++) {
			len = snprintf(out, sizeof(out), "block %08ld\n", i);
			if (write_all(c, out, (size_t)len) < 0)
				return -1;
		}
		return 0;
	}
	len = snprintf(out, sizeof(out), "pid %d n %lu: %s\n", getpid(), ++*count, line);
	if (write_all(c, out, (size_t)len) < 0)
		return -1;
	if (strncmp(line, "hold ", 5) == 0)
		sleep((unsigned int)atoi(line + 5));
	return 0;
}

static void serve(int c, unsigned long *count)
{
	char buf[4096];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(c, buf + have, sizeof(buf) - 1 - have);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = 0;
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = 0;
			if (answer(c, buf, count) < 0)
				return;
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			have = 0; /* a line too long: dropped */
	}
}

int main(int argc, char **argv)
{
	const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	unsigned long count = 0;
	int one = 1, s;

	if (argc < 2)
		return 2;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)atoi(argv[1]));
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)atoi(argv[1]));
	} else {
		return 2;
	}
	s = socket(ss.ss_family, SOCK_STREAM, 0);
	if (s < 0)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, sizeof(ss)) < 0 || listen(s, 16) < 0)
		return 1;
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		serve(c, &count);
		close(c);
	}
}
