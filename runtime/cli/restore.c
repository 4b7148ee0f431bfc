/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth restore [--image-path DIR] [--work-path DIR] [--bundle DIR] [--detach]
 *               [--pid-file F] [--console-socket S] [--tcp-established] ID
 *
 * Builds the container like `run` does (namespaces, cgroup, rootfs mounts
 * from the bundle's config.json), but its init stops once the rootfs is
 * ready, before rlimits, capabilities, seccomp and the user are applied.
 * The engine (runtime/cr/) then turns that init into the image's pid 1 and
 * recreates the rest of the tree inside it with the saved pids.  An image
 * with an external terminal (checkpoint --shell-job of a container with a
 * console) needs --console-socket: the init's new console becomes that
 * terminal of the restored processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "cli.h"
#include "console.h"
#include "container.h"
#include "cr/cr.h"
#include "cr/tty.h"
#include "linux.h"
#include "sync.h"
#include "util.h"

/* Messages on the sync socket after READY: an fd with its number, then done. */
#include "cr_report.h"

#define MSG_FD   'F'
#define MSG_DONE 'D'

/*
 * In the container init: take the restorer's file descriptions at their
 * numbers, then wait to be seized.  The engine replaces everything else.
 */
static void init_hook(void *arg, int sync)
{
	struct rlimit rl;
	char buf[32];

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (berth_sync_send(sync, BERTH_MSG_READY, NULL) < 0)
		_exit(1);
	for (;;) {
		int fd = -1, want;
		ssize_t n = berth_sync_recv(sync, buf, sizeof(buf) - 1, &fd);

		if (n <= 0)
			_exit(1); /* the restorer went away */
		buf[n] = '\0';
		if (buf[0] == MSG_DONE)
			break;
		want = atoi(buf + 1);
		if (buf[0] != MSG_FD || fd < 0 || want < 3)
			_exit(1);
		if (fd != want && (dup3(fd, want, O_CLOEXEC) < 0 || close(fd) < 0))
			_exit(1);
	}
	if (berth_sync_send(sync, MSG_DONE, NULL) < 0)
		_exit(1);
	for (;;)
		pause();
}

static int pass_fds(void *arg, const int *fds, int n, berth_error_t *err)
{
	int sync = *(int *)arg, fd = -1;
	char buf[32];
	ssize_t len;

	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%c%d", MSG_FD, fds[i]);
		if (berth_send_fd(sync, fds[i], buf, err) < 0)
			return -1;
	}
	if (berth_sync_send(sync, MSG_DONE, NULL) < 0)
		return berth_error_errno(err, errno, "send");
	len = berth_sync_recv(sync, buf, sizeof(buf), &fd);
	if (fd >= 0)
		close(fd);
	if (len <= 0 || buf[0] != MSG_DONE)
		return berth_error(err, EIO, "the container init exited");
	return 0;
}

/*
 * The new console of the container init (process.terminal: made inside the
 * container, its master sent to --console-socket): the init's fd 0.
 */
static int console_slave(pid_t init, int *fd, berth_error_t *err)
{
	int pidfd = (int)syscall(SYS_pidfd_open, init, 0);

	*fd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, 0, 0);
	if (pidfd >= 0)
		close(pidfd);
	if (*fd < 0 || !isatty(*fd))
		return berth_error_errno(err, *fd < 0 ? errno : ENOTTY,
					 "the container's console (process.terminal)");
	return 0;
}

/* The bundle recorded by `checkpoint` in DIR/container.json. */
static int saved_bundle(const char *image, char **out, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_json json_t *j = NULL;
	json_error_t je;
	const char *b;

	if (asprintf(&path, "%s/container.json", image) < 0)
		return berth_error_errno(err, ENOMEM, "restore");
	j = json_load_file(path, 0, &je);
	if (j == NULL)
		return berth_error(err, EINVAL, "`%s`: %s (give --bundle)", path, je.text);
	b = json_string_value(json_object_get(j, "bundle"));
	if (b == NULL)
		return berth_error(err, EINVAL, "`%s`: no bundle (give --bundle)", path);
	*out = strdup(b);
	return *out ? 0 : berth_error_errno(err, ENOMEM, "restore");
}

/*
 * The cgroup limits of the checkpointed container: linux.resources of the
 * image's config.json (`berth update` records its changes there), read
 * before anything is made; *out stays NULL when there are none.
 */
static int saved_limits(const char *image, struct berth_cgroup_resources **out,
			berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_json json_t *j = NULL;
	json_error_t je;
	json_t *r;

	*out = NULL;
	if (asprintf(&path, "%s/config.json", image) < 0)
		return berth_error_errno(err, ENOMEM, "restore");
	j = json_load_file(path, 0, &je);
	if (j == NULL)
		return berth_error(err, EINVAL, "`%s`: %s", path, je.text);
	r = json_object_get(json_object_get(j, "linux"), "resources");
	if (r && berth_cgroup_resources_parse(r, out, err) < 0)
		return berth_error_wrap(err, "`%s`: linux.resources", path);
	return 0;
}

static void free_limits(struct berth_cgroup_resources **r)
{
	if (*r)
		berth_cgroup_resources_free(*r);
}

/* The numbers of a checkpoint or restore: to stderr with --debug, to WORK/NAME with --work-path. */
void berth_cli_cr_report(const char *text, bool debug, const char *work, const char *name)
{
	cleanup_free char *path = NULL;
	berth_error_t e = NULL;

	if (text == NULL)
		return;
	if (debug)
		fputs(text, stderr);
	if (work && asprintf(&path, "%s/%s", work, name) >= 0 &&
	    berth_write_file_atomic(path, text, strlen(text), 0600, false, &e) < 0) {
		fprintf(stderr, "berth: warning: %s\n", e->msg);
		berth_error_release(&e);
	}
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

int berth_cmd_restore(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
		{ "image-path", required_argument, NULL, 'i' },
		{ "work-path", required_argument, NULL, 'w' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "tcp-established", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_create_opts o = { .systemd_cgroup = g->systemd_cgroup, .run = true };
	cleanup_container struct berth_container *c = NULL;
	cleanup_free char *bundle = NULL, *report = NULL;
	cleanup_close int sync = -1;
	__attribute__((cleanup(free_limits))) struct berth_cgroup_resources *limits = NULL;
	struct cr_restore_opts ro = { 0 };
	struct cr_stats st;
	const char *image = "checkpoint", *work = NULL;
	bool detach = false;
	uint32_t root_vpid;
	bool ext_tty;
	char tty_name[64];
	sigset_t fwd;
	struct timespec t0;
	double t_verify, t_create;
	pid_t root;
	int ch, ret;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			image = optarg;
			break;
		case 'w':
			work = optarg;
			break;
		case 'b':
			o.bundle = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 't':
			ro.tcp_established = true;
			break;
		default:
			return berth_cli_bad_option("restore", argc, argv, err), 1;
		}
	}
	if (berth_cli_one_id("restore", argc, argv, optind, &o.id, err) < 0)
		return 1;
	if (work && berth_mkdir_p(work, 0700, err) < 0)
		return berth_error_wrap(err, "restore `%s`: work path", o.id), 1;
	/* Nothing is created for an image that cannot be read to its end. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cr_image_verify(image, &root_vpid, err) < 0 ||
	    cr_image_check_tcp(image, ro.tcp_established, err) < 0)
		return berth_error_wrap(err, "restore `%s`", o.id), 1;
	if (root_vpid != 1)
		return berth_error(err, EINVAL,
				   "restore `%s`: image `%s`: its root process has pid %u, not 1: "
				   "not the image of a container with its own pid namespace",
				   o.id, image, root_vpid),
		       1;
	if (saved_limits(image, &limits, err) < 0)
		return berth_error_wrap(err, "restore `%s`", o.id), 1;
	if (cr_tty_image_external(image, &ext_tty, tty_name, sizeof(tty_name), err) < 0)
		return berth_error_wrap(err, "restore `%s`", o.id), 1;
	if (ext_tty && o.console_socket == NULL)
		return berth_error(err, EINVAL,
				   "restore `%s`: image `%s`: terminal `%s` had its pty master outside "
				   "the container: give --console-socket",
				   o.id, image, tty_name),
		       1;
	if (o.bundle == NULL) {
		if (saved_bundle(image, &bundle, err) < 0)
			return berth_error_wrap(err, "restore `%s`", o.id), 1;
		o.bundle = bundle;
	}
	o.init_hook = init_hook;
	t_verify = ms_since(&t0);
	if (berth_container_create(g->root, &o, &c, &sync, err) < 0)
		return berth_error_wrap(err, "restore"), 1;
	/* Before the memory is filled in: it is charged to the container's cgroup. */
	t_create = ms_since(&t0) - t_verify;
	ro.root_pid = c->pid;
	ro.pass_fds = pass_fds;
	ro.pass_arg = &sync;
	ro.stdio_from_caller = true;
	if (ext_tty && console_slave(c->pid, &ro.tty_fd, err) < 0) {
		berth_error_t e = NULL;

		berth_container_destroy(c, &e);
		berth_error_release(&e);
		return berth_error_wrap(err, "restore `%s`", o.id), 1;
	}
	ro.shell_job = ro.tty_new = ext_tty;
	berth_cli_block_forwarded(&fwd, !detach);
	ret = (c->cgroup && limits && berth_cgroup_update(c->cgroup, limits, err) < 0) ||
	      cr_restore_tree(image, &ro, &root, &st, err) < 0;
	if (ext_tty)
		close(ro.tty_fd);
	if (ret) {
		berth_error_t e = NULL;

		berth_container_destroy(c, &e);
		berth_error_release(&e);
		return berth_error_wrap(err, "restore `%s`", o.id), 1;
	}
	c->status = BERTH_STATUS_RUNNING;
	if (berth_container_save(c, err) < 0) {
		berth_error_t e = NULL;

		berth_container_destroy(c, &e);
		berth_error_release(&e);
		return berth_error_wrap(err, "restore `%s`", o.id), 1;
	}
	if (asprintf(&report,
		     "restore %s: %llu processes, %llu files; image check %.1f ms, container %.1f ms, "
		     "processes %.1f ms\n",
		     o.id, (unsigned long long)st.nproc, (unsigned long long)st.nfiles, t_verify,
		     t_create, ms_since(&t0) - t_verify - t_create) < 0)
		report = NULL;
	berth_cli_cr_report(report, g->debug, work, "restore.log");
	berth_container_unlock(c);
	if (detach)
		return 0;
	{
		int status = berth_cli_wait(c->pid, &fwd);

		if (berth_container_lock(c, err) < 0 || berth_container_destroy(c, err) < 0)
			return berth_error_wrap(err, "restore `%s`", o.id), 1;
		return status;
	}
}
