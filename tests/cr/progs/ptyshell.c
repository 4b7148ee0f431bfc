/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A pty for the terminal tests, driven through files:
 *   ptyshell spawn ROWS COLS PROG [ARGS...]
 *       make a pty of that size, run PROG on its slave (a new session, the
 *       slave its controlling terminal and fds 0-2), print PROG's pid on
 *       stderr, then hold the master;
 *   ptyshell recv SOCKET
 *       listen on SOCKET, hold the pty master received there.
 * Holding the master: what is appended to stdin (a regular file, read on
 * as it grows) is typed into it, what comes out of it goes to stdout.
 * Ends when the slave side is closed.  With PTY_PACKET=1 in the environment,
 * spawn puts the master in packet mode (TIOCPKT) and drops each read's
 * leading status byte, so the output is only right while the mode holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int packet;

static int relay(int master)
{
	char buf[4096];

	fcntl(master, F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n > 0 && write(master, buf, n) != n)
			return 1;
		n = read(master, buf, sizeof(buf));
		if (n > 0 && packet && buf[0] == 0 && write(1, buf + 1, n - 1) != n - 1)
			return 1;
		if (n > 0 && !packet && write(1, buf, n) != n)
			return 1;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 0; /* EIO: no slave open any more */
		usleep(5000);
	}
}

static int spawn(int argc, char **argv)
{
	struct winsize ws = { .ws_row = atoi(argv[2]), .ws_col = atoi(argv[3]) };
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	pid_t pid;

	const char *pkt = getenv("PTY_PACKET");

	packet = pkt && strcmp(pkt, "1") == 0;
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ioctl(master, TIOCSWINSZ, &ws) < 0 || (packet && ioctl(master, TIOCPKT, &packet) < 0)) {
		perror("ptyshell: pty");
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		int s;

		setsid();
		s = open(ptsname(master), O_RDWR);
		if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0) {
			perror("ptyshell: slave");
			_exit(1);
		}
		close(master);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		if (s > 2)
			close(s);
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	fprintf(stderr, "%d\n", (int)pid);
	fclose(stderr);
	(void)argc;
	return relay(master);
}

static int recv_master(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char data[128], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int l = socket(AF_UNIX, SOCK_STREAM, 0), s, master = -1;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    (s = accept(l, NULL, NULL)) < 0 || recvmsg(s, &m, 0) < 0) {
		perror("ptyshell: console socket");
		return 1;
	}
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&master, CMSG_DATA(c), sizeof(int));
	if (master < 0) {
		fprintf(stderr, "ptyshell: no fd received\n");
		return 1;
	}
	close(s);
	close(l);
	unlink(path);
	return relay(master);
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "spawn") == 0)
		return spawn(argc, argv);
	if (argc == 3 && strcmp(argv[1], "recv") == 0)
		return recv_master(argv[2]);
	fprintf(stderr, "usage: ptyshell spawn ROWS COLS PROG [ARGS...] | recv SOCKET\n");
	return 2;
}
