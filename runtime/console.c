/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "console.h"

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

#include "cleanup.h"

int berth_console_connect(const char *path, int *fd, berth_error_t *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cleanup_close int s = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return berth_error(err, ENAMETOOLONG, "console socket `%s`: path too long", path);
	strcpy(addr.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return berth_error_errno(err, errno, "console socket");
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_error_errno(err, errno, "connect to console socket `%s`", path);
	*fd = steal_fd(&s);
	return 0;
}

int berth_send_fd(int sock, int fd, const char *name, berth_error_t *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return berth_error_errno(err, errno, "send fd");
	}
	return 0;
}

int berth_recv_fd(int sock, int *fd, char *buf, size_t len, berth_error_t *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_errno(err, errno, "receive fd");
	buf[n] = '\0';
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return (int)n;
}

int berth_console_setup(int sock, unsigned short height, unsigned short width, berth_error_t *err)
{
	cleanup_close int master = -1, slave = -1;
	char name[64];

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berth_error_errno(err, errno, "open /dev/ptmx");
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return berth_error_errno(err, errno, "pty");
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return berth_error_errno(err, errno, "open `%s`", name);
	if (height || width) {
		struct winsize ws = { .ws_row = height, .ws_col = width };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return berth_error_errno(err, errno, "set console size");
	}
	if (berth_send_fd(sock, master, name, err) < 0)
		return berth_error_wrap(err, "console socket");
	if (setsid() < 0 && errno != EPERM)
		return berth_error_errno(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berth_error_errno(err, errno, "set controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return berth_error_errno(err, errno, "dup2 pty");
	return 0;
}
