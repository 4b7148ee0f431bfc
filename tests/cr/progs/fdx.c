/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Programs for the FIFO, UDP, named unix socket and file lock tests:
 *   fdx fifo PATH          a parent writes numbered lines into the FIFO PATH in
 *                          bursts, its child reads them slowly ("child C got N",
 *                          "GAP ..." on a hole)
 *   fdx udp PORT           UDP echo server on 127.0.0.1:PORT and [::1]:PORT (v6 only),
 *                          answers "pid P n N: MSG"; a third socket bound to
 *                          127.0.0.1:PORT+1 is connected to 127.0.0.1:PORT+2
 *   fdx usk DIR            listens on DIR/sock (mode 0640) and on the abstract name
 *                          @berth-fdx:DIR, answers each line "pid P conn K: LINE"; its
 *                          child sends three datagrams to the server's datagram socket
 *                          DIR/dgram (read and printed as "dgram X" on SIGUSR1), then
 *                          connects to DIR/sock and asks every 20 ms ("child got:
 *                          ANSWER peer PEERNAME")
 *   fdx ask ADDR LINE      one connection to a unix listener (a path or @name), prints
 *                          the answer
 *   fdx dgram-recv PATH    binds a datagram socket to PATH, prints what comes
 *   fdx dgram-send PATH    a datagram socket connected to PATH sends "pid P n N"
 *                          every 20 ms and prints the same line
 *   fdx locks FILE         flock(LOCK_EX) on FILE, a POSIX write lock on bytes 0-9
 *                          and an OFD write lock on bytes 20-29, then counts
 *                          ("pid P count N" every 10 ms)
 *   fdx trylock FILE KIND  exits 0 when a POSIX (or OFD) write lock on bytes 0-9
 *                          (20-29) of FILE can be taken, 1 when it is held elsewhere
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/cr/progs/numbered.h"

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int fifo(const char *path)
{
	int fd;

	unlink(path);
	if (mkfifo(path, 0600) < 0)
		return 1;
	if (fork() == 0) {
		FILE *in = fopen(path, "r");

		if (in == NULL)
			return 1;
		read_numbered(in);
		return 0;
	}
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return 1;
	for (unsigned long n = 1;; n++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "%lu\n", n);

		if (write(fd, line, len) != len)
			return 1;
		if (n % 100 == 0)
			msleep(150);
	}
}

static int udp(int port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct pollfd pf[2];
	int one = 1, s4, s6, sc;
	unsigned long n = 0;

	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4 = socket(AF_INET, SOCK_DGRAM, 0);
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	sc = socket(AF_INET, SOCK_DGRAM, 0);
	if (s4 < 0 || s6 < 0 || sc < 0)
		return 1;
	setsockopt(s4, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(sc, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (bind(s4, (struct sockaddr *)&a4, sizeof(a4)) < 0 ||
	    bind(s6, (struct sockaddr *)&a6, sizeof(a6)) < 0)
		return 1;
	a4.sin_port = htons(port + 1);
	if (bind(sc, (struct sockaddr *)&a4, sizeof(a4)) < 0)
		return 1;
	a4.sin_port = htons(port + 2);
	if (connect(sc, (struct sockaddr *)&a4, sizeof(a4)) < 0)
		return 1;
	printf("pid %d ready\n", getpid());
	pf[0].fd = s4;
	pf[1].fd = s6;
	pf[0].events = pf[1].events = POLLIN;
	for (;;) {
		if (poll(pf, 2, -1) < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			char buf[512], out[600];
			ssize_t r;
			int len;

			if (!(pf[i].revents & POLLIN))
				continue;
			r = recvfrom(pf[i].fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
			if (r <= 0)
				continue;
			buf[r] = 0;
			buf[strcspn(buf, "\n")] = 0;
			len = snprintf(out, sizeof(out), "pid %d n %lu: %s\n", getpid(), ++n, buf);
			sendto(pf[i].fd, out, len, 0, (struct sockaddr *)&from, fl);
		}
	}
}

static socklen_t unix_addr(const char *name, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (name[0] == '@') {
		snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "%s", name + 1);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name + 1));
	}
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", name);
	return sizeof(*a);
}

static int listen_on(const char *name)
{
	struct sockaddr_un a;
	socklen_t len = unix_addr(name, &a);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 16) < 0)
		return -1;
	return fd;
}

static int connect_to(const char *name, int type)
{
	struct sockaddr_un a;
	socklen_t len = unix_addr(name, &a);
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, len) < 0)
		return -1;
	return fd;
}

static int usk_child(const char *dir)
{
	char path[256];
	struct sockaddr_un a;
	socklen_t alen;
	int fd, dg = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(path, sizeof(path), "%s/dgram", dir);
	alen = unix_addr(path, &a);
	if (dg < 0 || sendto(dg, "one", 3, 0, (struct sockaddr *)&a, alen) != 3 ||
	    sendto(dg, "two", 3, 0, (struct sockaddr *)&a, alen) != 3 ||
	    sendto(dg, "three", 5, 0, (struct sockaddr *)&a, alen) != 5)
		return 1;
	snprintf(path, sizeof(path), "%s/sock", dir);
	fd = connect_to(path, SOCK_STREAM);
	if (fd < 0)
		return 1;
	for (unsigned long n = 1;; n++) {
		char buf[256], peer[128] = "";
		struct sockaddr_un pa;
		socklen_t pl = sizeof(pa);
		int len = snprintf(buf, sizeof(buf), "ping %lu\n", n);
		ssize_t r;

		if (write(fd, buf, len) != len || (r = read(fd, buf, sizeof(buf) - 1)) <= 0)
			return 1;
		buf[r] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (getpeername(fd, (struct sockaddr *)&pa, &pl) == 0 && pl > sizeof(sa_family_t))
			snprintf(peer, sizeof(peer), "%s", pa.sun_path);
		printf("child got: %s peer %s\n", buf, peer);
		msleep(20);
	}
}

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	usr1 = 1;
}

static int usk(const char *dir)
{
	char path[256], abs[300];
	struct pollfd pf[64];
	struct sockaddr_un a;
	socklen_t alen;
	int n = 2, conns = 0, dg = socket(AF_UNIX, SOCK_DGRAM, 0);

	signal(SIGUSR1, on_usr1);
	signal(SIGCHLD, SIG_IGN); /* a child checkpointed alone is reaped at once */
	snprintf(path, sizeof(path), "%s/dgram", dir);
	alen = unix_addr(path, &a);
	if (dg < 0 || bind(dg, (struct sockaddr *)&a, alen) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/sock", dir);
	snprintf(abs, sizeof(abs), "@berth-fdx:%s", dir);
	unlink(path);
	pf[0].fd = listen_on(path);
	pf[1].fd = listen_on(abs);
	if (pf[0].fd < 0 || pf[1].fd < 0 || chmod(path, 0640) < 0)
		return 1;
	if (fork() == 0) {
		close(pf[0].fd);
		close(pf[1].fd);
		close(dg);
		return usk_child(dir);
	}
	for (int i = 0; i < 64; i++)
		pf[i].events = POLLIN;
	for (;;) {
		if (usr1) {
			char buf[64];
			ssize_t r;

			usr1 = 0;
			while ((r = recv(dg, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
				buf[r] = 0;
				printf("dgram %s\n", buf);
			}
		}
		if (poll(pf, n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			char buf[256], out[320];
			ssize_t r;

			if (!(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (i < 2) {
				int c = accept(pf[i].fd, NULL, NULL);

				if (c >= 0 && n < 64) {
					pf[n++].fd = c;
					conns++;
				}
				continue;
			}
			r = read(pf[i].fd, buf, sizeof(buf) - 1);
			if (r <= 0) {
				close(pf[i].fd);
				pf[i--] = pf[--n];
				pf[n].events = POLLIN;
				continue;
			}
			buf[r] = 0;
			buf[strcspn(buf, "\n")] = 0;
			r = snprintf(out, sizeof(out), "pid %d conn %d: %s\n", getpid(), conns, buf);
			if (write(pf[i].fd, out, r) != r)
				continue;
		}
	}
}

static int ask(const char *name, const char *line)
{
	int fd = connect_to(name, SOCK_STREAM);
	char buf[512];
	ssize_t r;

	if (fd < 0 || dprintf(fd, "%s\n", line) < 0 || (r = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 1;
	buf[r] = 0;
	fputs(buf, stdout);
	return 0;
}

static int dgram_recv(const char *path)
{
	struct sockaddr_un a;
	socklen_t len = unix_addr(path, &a);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[512];
	ssize_t r;

	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0)
		return 1;
	printf("ready\n");
	while ((r = recv(fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		buf[r] = 0;
		printf("%s\n", buf);
	}
	return 1;
}

static int dgram_send(const char *path)
{
	int fd = connect_to(path, SOCK_DGRAM);

	if (fd < 0)
		return 1;
	for (unsigned long n = 1;; n++) {
		char buf[64];
		int len = snprintf(buf, sizeof(buf), "pid %d n %lu", getpid(), n);

		send(fd, buf, len, 0);
		printf("%s\n", buf);
		msleep(20);
	}
}

static int posix_lock(int fd, int cmd, off_t start)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = 10 };

	return fcntl(fd, cmd, &fl);
}

static int locks(const char *file)
{
	int a = open(file, O_RDWR | O_CREAT, 0644), b = open(file, O_RDWR), c = open(file, O_RDWR);

	if (a < 0 || b < 0 || c < 0 || flock(a, LOCK_EX | LOCK_NB) < 0 ||
	    posix_lock(b, F_SETLK, 0) < 0 || posix_lock(c, F_OFD_SETLK, 20) < 0)
		return 1;
	for (unsigned long n = 1;; n++) {
		printf("pid %d count %lu\n", getpid(), n);
		msleep(10);
	}
}

static int trylock(const char *file, const char *kind)
{
	int fd = open(file, O_RDWR);
	bool ofd = strcmp(kind, "ofd") == 0;

	if (fd < 0)
		return 2;
	if (posix_lock(fd, ofd ? F_OFD_SETLK : F_SETLK, ofd ? 20 : 0) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? 1 : 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "fifo") == 0)
		return fifo(argv[2]);
	if (argc == 3 && strcmp(argv[1], "udp") == 0)
		return udp(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "usk") == 0)
		return usk(argv[2]);
	if (argc == 4 && strcmp(argv[1], "ask") == 0)
		return ask(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "dgram-recv") == 0)
		return dgram_recv(argv[2]);
	if (argc == 3 && strcmp(argv[1], "dgram-send") == 0)
		return dgram_send(argv[2]);
	if (argc == 3 && strcmp(argv[1], "locks") == 0)
		return locks(argv[2]);
	if (argc == 4 && strcmp(argv[1], "trylock") == 0)
		return trylock(argv[2], argv[3]);
	fprintf(stderr, "usage: fdx fifo|udp|usk|ask|dgram-recv|dgram-send|locks|trylock ...\n");
	return 2;
}
