/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test driver for the checkpoint/restore engine on plain process trees:
 *   crtool dump PID DIR [--leave-running] [--shell-job] [--tcp-established]
 *                       [--ext-unix-sk] [--file-locks]
 *   crtool restore DIR [--shell-job] [--console-socket PATH] [--tcp-established]
 *                               (prints the restored root pid)
 * --shell-job on restore: our stdin is the terminal of the tree's external
 * ones; --console-socket: a new pty is, its master sent to PATH.
 *   crtool set-version FILE N   (rewrite an image file's format version, for tests)
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cr/cr.h"
#include "cr/image.h"
#include "cr/tty.h"

static int set_version(const char *path, unsigned int v)
{
	struct cr_img_header h;
	int fd = open(path, O_RDWR);

	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return 1;
	h.version = v;
	h.checksum = cr_hash64(&h, offsetof(struct cr_img_header, checksum), 0);
	if (pwrite(fd, &h, sizeof(h), 0) != sizeof(h))
		return 1;
	return close(fd) < 0;
}

int main(int argc, char **argv)
{
	berth_error_t err = NULL;
	struct cr_stats st;

	if (argc >= 4 && strcmp(argv[1], "dump") == 0) {
		struct cr_dump_opts o = { 0 };

		for (int i = 4; i < argc; i++) {
			o.leave_running |= strcmp(argv[i], "--leave-running") == 0;
			o.shell_job |= strcmp(argv[i], "--shell-job") == 0;
			o.tcp_established |= strcmp(argv[i], "--tcp-established") == 0;
			o.ext_unix_sk |= strcmp(argv[i], "--ext-unix-sk") == 0;
			o.file_locks |= strcmp(argv[i], "--file-locks") == 0;
		}
		if (cr_dump_tree(atoi(argv[2]), argv[3], &o, &st, &err) < 0) {
			berth_error_print(stderr, "crtool", &err);
			return 1;
		}
		printf("procs %llu threads %llu files %llu bytes %llu pages_ms %.1f frozen_ms %.1f\n",
		       (unsigned long long)st.nproc, (unsigned long long)st.nthreads,
		       (unsigned long long)st.nfiles, (unsigned long long)st.page_bytes,
		       st.pages_ns / 1e6, st.frozen_ns / 1e6);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "restore") == 0) {
		struct cr_restore_opts o = { 0 };
		pid_t pid;

		for (int i = 3; i < argc; i++) {
			if (strcmp(argv[i], "--shell-job") == 0) {
				o.shell_job = true;
			} else if (strcmp(argv[i], "--tcp-established") == 0) {
				o.tcp_established = true;
			} else if (strcmp(argv[i], "--console-socket") == 0 && i + 1 < argc) {
				if (cr_tty_console(argv[++i], &o.tty_fd, &err) < 0) {
					berth_error_print(stderr, "crtool", &err);
					return 1;
				}
				o.shell_job = o.tty_new = true;
			}
		}
		if (cr_restore_tree(argv[2], &o, &pid, &st, &err) < 0) {
			berth_error_print(stderr, "crtool", &err);
			return 1;
		}
		printf("%d\n", pid);
		fprintf(stderr, "bytes %llu pages_ms %.1f\n", (unsigned long long)st.page_bytes,
			st.pages_ns / 1e6);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "set-version") == 0)
		return set_version(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: crtool dump PID DIR [--leave-running] [--shell-job] "
			"[--tcp-established] [--ext-unix-sk] [--file-locks] | restore DIR [--shell-job] "
			"[--console-socket PATH] [--tcp-established]\n");
	return 2;
}
