/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berthctl's side of the shim's attach protocol (shim/attach.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "orchestrator/engine.h"
#include "shim/attach.h"
#include "util.h"

static int read_frame(int fd, unsigned char hdr[SHIM_FRAME_HDR], char **payload)
{
	uint32_t len;

	if (berth_read_all(fd, hdr, SHIM_FRAME_HDR) != SHIM_FRAME_HDR)
		return -1;
	len = shim_frame_len(hdr);
	if (len > (1u << 24))
		return -1;
	*payload = malloc(len + 1);
	if (*payload == NULL)
		return -1;
	if (len && berth_read_all(fd, *payload, len) != (ssize_t)len) {
		free(*payload);
		*payload = NULL;
		return -1;
	}
	(*payload)[len] = '\0';
	return (int)len;
}

static int send_frame(int fd, int type, const void *data, size_t len)
{
	unsigned char hdr[SHIM_FRAME_HDR];

	shim_frame_header(hdr, type, (uint32_t)len);
	if (berth_write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? (int)berth_write_all(fd, data, len) : 0;
}

int engine_shim_request(const char *state_dir, const char *req, berth_error_t *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	cleanup_close int dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;

	if (dirfd < 0)
		return berth_error_errno(err, errno, "shim state `%s`", state_dir);
	/* through /proc: state paths can be longer than a socket address allows */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/attach", dirfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return berth_error_errno(err, errno, "connect to the shim in `%s`", state_dir);
	if (berth_write_all(fd, req, strlen(req)) < 0 || berth_write_all(fd, "\n", 1) < 0)
		return berth_error_errno(err, errno, "talk to the shim in `%s`", state_dir);
	if (engine_shim_answer(fd, state_dir, err) < 0)
		return -1;
	return steal_fd(&fd);
}

int engine_shim_answer(int fd, const char *state_dir, berth_error_t *err)
{
	unsigned char hdr[SHIM_FRAME_HDR];
	cleanup_free char *payload = NULL;

	if (read_frame(fd, hdr, &payload) < 0)
		return berth_error(err, EPIPE, "the shim in `%s` closed the connection", state_dir);
	if (hdr[0] == SHIM_FRAME_FAIL)
		return berth_error(err, 0, "%s", payload);
	if (hdr[0] != SHIM_FRAME_OK)
		return berth_error(err, EPROTO, "the shim in `%s` answered frame `%c`", state_dir,
				   hdr[0]);
	return 0;
}

static void send_size(int fd)
{
	struct winsize ws;
	unsigned char p[4];

	if (ioctl(0, TIOCGWINSZ, &ws) < 0)
		return;
	p[0] = (unsigned char)(ws.ws_row >> 8);
	p[1] = (unsigned char)ws.ws_row;
	p[2] = (unsigned char)(ws.ws_col >> 8);
	p[3] = (unsigned char)ws.ws_col;
	send_frame(fd, SHIM_FRAME_RESIZE, p, 4);
}

int engine_shim_stream(int fd, int in_fd, bool tty, bool *detached, int *signal, bool *oom)
{
	struct termios saved, raw;
	bool raw_mode = false, saw_ctrl_p = false;
	int code = -1;
	sigset_t mask, old;
	int sigfd = -1;

	*detached = false;
	if (signal)
		*signal = 0;
	if (oom)
		*oom = false;
	if (tty && isatty(0) && tcgetattr(0, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		raw_mode = tcsetattr(0, TCSANOW, &raw) == 0;
		send_size(fd);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	/* SIGWINCH only matters on a terminal */
	if (raw_mode)
		sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	for (;;) {
		struct pollfd pfd[3] = { { .fd = fd, .events = POLLIN },
					 { .fd = in_fd, .events = POLLIN },
					 { .fd = sigfd, .events = POLLIN } };
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[2].revents) {
			char buf[128];
			if (read(sigfd, buf, sizeof(buf)) > 0)
				send_size(fd);
		}
		if (pfd[0].revents) {
			unsigned char hdr[SHIM_FRAME_HDR];
			char *p = NULL;
			int len = read_frame(fd, hdr, &p);
			if (len < 0)
				break;
			if (hdr[0] == SHIM_FRAME_STDOUT)
				berth_write_all(1, p, (size_t)len);
			else if (hdr[0] == SHIM_FRAME_STDERR)
				berth_write_all(2, p, (size_t)len);
			else if (hdr[0] == SHIM_FRAME_EXIT) {
				int sig = 0, o = 0;
				sscanf(p, "%d %d %d", &code, &sig, &o);
				if (signal)
					*signal = sig;
				if (oom)
					*oom = o;
				free(p);
				break;
			}
			free(p);
		}
		if (in_fd >= 0 && pfd[1].revents) {
			char buf[16384];
			ssize_t k = read(in_fd, buf, sizeof(buf));
			if (k <= 0) {
				send_frame(fd, SHIM_FRAME_CLOSE, NULL, 0);
				in_fd = -1;
				continue;
			}
			if (raw_mode) {
				/* Ctrl-P Ctrl-Q detaches, as with docker and podman */
				for (ssize_t i = 0; i < k; i++) {
					if (saw_ctrl_p && buf[i] == 0x11) {
						*detached = true;
						goto out;
					}
					saw_ctrl_p = buf[i] == 0x10;
				}
			}
			send_frame(fd, SHIM_FRAME_STDIN, buf, (size_t)k);
		}
	}
out:
	if (raw_mode)
		tcsetattr(0, TCSANOW, &saved);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return code;
}
