/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpsrv PORT: listens on 127.0.0.1:PORT; for each connection reads one
 * line and answers "pid P conn N: LINE" (N counts connections in memory).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	unsigned long conns = 0;

	if (argc < 2 || s < 0)
		return 2;
	a.sin_port = htons(atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0)
		return 1;
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		char buf[256], out[320];
		ssize_t n;
		int len;

		if (c < 0)
			continue;
		n = read(c, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			buf[strcspn(buf, "\n")] = 0;
			len = snprintf(out, sizeof(out), "pid %d conn %lu: %s\n", getpid(), ++conns,
				       buf);
			if (write(c, out, len) != len)
				perror("write");
		}
		close(c);
	}
}
