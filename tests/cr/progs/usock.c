/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unix socketpairs across a restore.  A parent writes numbered lines into a
 * stream socketpair in bursts; its child reads them slowly and checks the
 * sequence ("child C parent P got N", "GAP ..." on a hole).  Three datagrams
 * wait in a datagram socketpair until SIGUSR1, when the parent reads and
 * prints them ("dgram X").
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/cr/progs/numbered.h"

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	usr1 = 1;
}

int main(void)
{
	int sp[2], dg[2];
	struct sigaction sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) < 0)
		return 1;
	send(dg[0], "one", 3, 0);
	send(dg[0], "two", 3, 0);
	send(dg[0], "three", 5, 0);
	if (fork() == 0) {
		FILE *in = fdopen(sp[1], "r");

		close(sp[0]);
		read_numbered(in);
		return 0;
	}
	close(sp[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART; /* a write blocked on a full socket must not fail with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	for (unsigned long n = 1;; n++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "%lu\n", n);

		if (write(sp[0], line, len) != len)
			return 1;
		if (n % 100 == 0) {
			struct timespec ts = { 0, 150 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (usr1) {
			char buf[16];
			ssize_t r;

			usr1 = 0;
			while ((r = recv(dg[1], buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
				buf[r] = 0;
				printf("dgram %s\n", buf);
			}
		}
	}
}
