/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth checkpoint [--image-path DIR] [--work-path DIR] [--leave-running]
 *                  [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] ID
 *
 * Freezes the container's cgroup, dumps its process tree with berth's own
 * engine (runtime/cr/) into DIR together with the container's config, and
 * then stops and deletes the container unless --leave-running.  The
 * numbers of the dump go to WORK/dump.log (and stderr with --debug).
 * --shell-job: a terminal whose pty master is outside the container (its
 * console, handed out through --console-socket) is saved as external;
 * restore then needs --console-socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cleanup.h"
#include "cli.h"
#include "cr_report.h"
#include "util.h"

int berth_cmd_checkpoint(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
		{ "image-path", required_argument, NULL, 'i' },
		{ "work-path", required_argument, NULL, 'w' },
		{ "leave-running", no_argument, NULL, 'l' },
		{ "tcp-established", no_argument, NULL, 't' },
		{ "ext-unix-sk", no_argument, NULL, 'x' },
		{ "shell-job", no_argument, NULL, 's' },
		{ "file-locks", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_checkpoint_opts o = { .image = "checkpoint", .destroy = true };
	struct cr_stats st;
	const char *work = NULL, *id;
	cleanup_free char *report = NULL;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			o.image = optarg;
			break;
		case 'w':
			work = optarg;
			break;
		case 'l':
			o.leave_running = true;
			break;
		case 's':
			o.shell_job = true;
			break;
		case 't':
			o.tcp_established = true;
			break;
		case 'x':
			o.ext_unix_sk = true;
			break;
		case 'f':
			o.file_locks = true;
			break;
		default:
			return berth_cli_bad_option("checkpoint", argc, argv, err), 1;
		}
	}
	if (berth_cli_one_id("checkpoint", argc, argv, optind, &id, err) < 0)
		return 1;
	if (work && berth_mkdir_p(work, 0700, err) < 0)
		return berth_error_wrap(err, "checkpoint `%s`: work path", id), 1;
	if (berth_container_checkpoint(g->root, id, &o, &st, err) < 0)
		return 1;
	if (asprintf(&report, "checkpoint %s: %llu processes, %llu bytes of memory, frozen %.1f ms\n",
		     id, (unsigned long long)st.nproc, (unsigned long long)st.page_bytes,
		     st.frozen_ns / 1e6) < 0)
		report = NULL;
	berth_cli_cr_report(report, g->debug, work, "dump.log");
	return 0;
}
