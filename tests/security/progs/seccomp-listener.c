/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A seccomp agent for the tests: listens on SOCKET, takes one connection,
 * writes the containerProcessState JSON it receives to STATE_FILE, then
 * answers the notifications on the received fd until the container's filter
 * goes away: mkdir and mkdirat fail with ERRNO, every other system call is
 * let through (SECCOMP_USER_NOTIF_FLAG_CONTINUE); it appends "notified NR"
 * lines to STATE_FILE.log.  Exits 0 after the container is gone, 1 on any
 * error.
 *
 *   seccomp-listener SOCKET STATE_FILE ERRNO
 */
#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../agent.h"

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	char buf[8192], log[4096];
	int lsock, fd = -1, answer;
	FILE *f, *l;

	if (argc != 4 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: seccomp-listener SOCKET STATE_FILE ERRNO\n");
		return 1;
	}
	answer = atoi(argv[3]);
	strcpy(addr.sun_path, argv[1]);
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lsock, 1) < 0) {
		perror("seccomp-listener: listen");
		return 1;
	}
	if (agent_receive(lsock, buf, sizeof(buf), &fd) < 0) {
		perror("seccomp-listener: receive");
		return 1;
	}
	close(lsock);
	unlink(argv[1]);
	f = fopen(argv[2], "w");
	if (!f || fputs(buf, f) < 0 || fclose(f) != 0)
		return 1;
	snprintf(log, sizeof(log), "%s.log", argv[2]);
	l = fopen(log, "w");
	if (!l || seccomp_notify_alloc(&req, &resp) < 0)
		return 1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return 1;
		if (p.revents & POLLHUP)
			break; /* every process using the filter is gone */
		if (!(p.revents & POLLIN))
			continue;
		memset(req, 0, sizeof(*req));
		if (seccomp_notify_receive(fd, req) < 0)
			continue; /* the caller died meanwhile */
		fprintf(l, "notified %d pid-set %d\n", req->data.nr, req->pid > 0);
		fflush(l);
		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		if (req->data.nr == SCMP_SYS(mkdir) || req->data.nr == SCMP_SYS(mkdirat))
			resp->error = -answer;
		else
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		seccomp_notify_respond(fd, resp);
	}
	seccomp_notify_free(req, resp);
	fclose(l);
	return 0;
}
