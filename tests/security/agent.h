/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The receiving side of a seccomp agent, shared by the unit test and progs/. */
#ifndef BERTH_TEST_SECURITY_AGENT_H
#define BERTH_TEST_SECURITY_AGENT_H

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Accept one connection on lsock and receive the containerProcessState JSON
 * (NUL-terminated into buf) with the notify fd (SCM_RIGHTS) into *fd.
 */
static inline int agent_receive(int lsock, char *buf, size_t size, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.b,
			     .msg_controllen = sizeof(control.b) };
	struct cmsghdr *cm;
	int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	ssize_t n;

	*fd = -1;
	if (conn < 0)
		return -1;
	n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	close(conn);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return *fd >= 0 ? 0 : -1;
}

#endif
