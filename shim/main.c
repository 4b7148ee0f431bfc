/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth-shim: the per-container supervisor.  See Documentation/engine.md and
 * Documentation/man/berth-shim.8.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim/shim.h"
#include "util.h"

#define MAX_EXIT_ARGS 32

static void usage(FILE *f)
{
	fputs("Usage: berth-shim --bundle DIR --state-dir DIR [OPTIONS] ID\n"
	      "\n"
	      "  --bundle DIR          OCI bundle of the container\n"
	      "  --state-dir DIR       where the shim keeps attach, exit, status, pid\n"
	      "  --runtime PATH        OCI runtime binary (default: berth next to berth-shim);\n"
	      "                        `builtin`: libberth inside the shim, no runtime binary\n"
	      "  --runtime-root DIR    the runtime's --root\n"
	      "  --log-path FILE       CRI log file (default: STATE-DIR/ctr.log)\n"
	      "  --log-max-size BYTES  rotate the log at this size (default: never)\n"
	      "  --log-max-files N     rotated logs kept (default 1)\n"
	      "  -t, --terminal        give the container a pty\n"
	      "  -i, --stdin           keep the container's stdin open for an attach writer\n"
	      "  --restart POLICY      no, on-failure[:N] or always\n"
	      "  --exit-command PATH   run PATH after the container's final exit\n"
	      "  --exit-command-arg A  an argument for it (repeatable)\n"
	      "  --exit-command-lock FILE  first wait for an exclusive flock on FILE; skip the\n"
	      "                        command when FILE is gone (its holder did the work)\n"
	      "  --no-sync-exit        no fsync of the exit file (the container is removed at exit)\n"
	      "  --sync-fd N           write \"ok PID\" or \"error MESSAGE\" there once started\n"
	      "  --attach-fd N         a connected socket: an attach client from the start\n"
	      "  --wait-fd N           set up, then wait for a byte on N before creating the\n"
	      "                        container (the bundle is being made); EOF: exit\n"
	      "  --foreground          do not detach\n"
	      "  --attach-first        create, report, and start once a client attached\n"
	      "  --restore DIR         restore the container from the checkpoint in DIR\n"
	      "                        instead of creating and starting it\n"
	      "  --tcp-established     with --restore: established TCP connections too\n",
	      f);
}

int shim_parse_restart(const char *s, enum shim_restart *policy, int *max, berth_error_t *err)
{
	char *end;

	*max = 0;
	if (strcmp(s, "no") == 0) {
		*policy = SHIM_RESTART_NO;
	} else if (strcmp(s, "always") == 0) {
		*policy = SHIM_RESTART_ALWAYS;
	} else if (strcmp(s, "on-failure") == 0) {
		*policy = SHIM_RESTART_ON_FAILURE;
	} else if (strncmp(s, "on-failure:", 11) == 0) {
		long v;
		errno = 0;
		v = strtol(s + 11, &end, 10);
		if (errno || *end || end == s + 11 || v < 0 || v > INT_MAX)
			return berth_error(err, EINVAL,
					   "restart policy `%s`: the count must be a number", s);
		*policy = SHIM_RESTART_ON_FAILURE;
		*max = (int)v;
	} else {
		return berth_error(err, EINVAL,
				   "restart policy `%s`: expected no, always or on-failure[:N]", s);
	}
	return 0;
}

static char *default_runtime(void)
{
	char self[PATH_MAX], *slash, *path = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	if (asprintf(&path, "%s/berth", self) < 0)
		return NULL;
	return path;
}

/* An inherited fd given on the command line; it is kept from the runtime (close-on-exec). */
static int parse_fd(const char *arg, const char *opt, int *fd, berth_error_t *err)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || end == arg || v < 0 || v > INT_MAX || fcntl((int)v, F_SETFD, FD_CLOEXEC) < 0)
		return berth_error(err, EBADF, "%s `%s`: not an open fd", opt, arg);
	*fd = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct shim_opts *o, char **exit_argv,
		      berth_error_t *err)
{
	enum { OPT_BUNDLE = 256, OPT_STATE, OPT_RUNTIME, OPT_RROOT, OPT_LOG, OPT_LOGMAX, OPT_LOGFILES, OPT_RESTART,
	       OPT_EXIT, OPT_EXITARG, OPT_EXITLOCK, OPT_NOSYNC, OPT_SYNC, OPT_ATTACH_FD, OPT_FG, OPT_ATTACH_FIRST,
	       OPT_RESTORE, OPT_TCP, OPT_WAIT_FD };
	static const struct option longopts[] = {
		{ "bundle", required_argument, NULL, OPT_BUNDLE },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "runtime-root", required_argument, NULL, OPT_RROOT },
		{ "log-path", required_argument, NULL, OPT_LOG },
		{ "log-max-size", required_argument, NULL, OPT_LOGMAX },
		{ "log-max-files", required_argument, NULL, OPT_LOGFILES },
		{ "terminal", no_argument, NULL, 't' },
		{ "stdin", no_argument, NULL, 'i' },
		{ "restart", required_argument, NULL, OPT_RESTART },
		{ "exit-command", required_argument, NULL, OPT_EXIT },
		{ "exit-command-arg", required_argument, NULL, OPT_EXITARG },
		{ "exit-command-lock", required_argument, NULL, OPT_EXITLOCK },
		{ "no-sync-exit", no_argument, NULL, OPT_NOSYNC },
		{ "sync-fd", required_argument, NULL, OPT_SYNC },
		{ "attach-fd", required_argument, NULL, OPT_ATTACH_FD },
		{ "foreground", no_argument, NULL, OPT_FG },
		{ "attach-first", no_argument, NULL, OPT_ATTACH_FIRST },
		{ "restore", required_argument, NULL, OPT_RESTORE },
		{ "tcp-established", no_argument, NULL, OPT_TCP },
		{ "wait-fd", required_argument, NULL, OPT_WAIT_FD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, nexit = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "tih", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BUNDLE:
			o->bundle = optarg;
			break;
		case OPT_STATE:
			o->state_dir = optarg;
			break;
		case OPT_RUNTIME:
			o->runtime = optarg;
			break;
		case OPT_RROOT:
			o->runtime_root = optarg;
			break;
		case OPT_LOG:
			o->log_path = optarg;
			break;
		case OPT_LOGMAX:
			o->log_max_size = strtoll(optarg, &end, 10);
			if (*end || end == optarg || o->log_max_size < 0)
				return berth_error(err, EINVAL, "--log-max-size `%s`: not a size",
						   optarg);
			break;
		case OPT_LOGFILES:
			o->log_max_files = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || o->log_max_files < 1 || o->log_max_files > 100)
				return berth_error(err, EINVAL, "--log-max-files `%s`: 1 to 100",
						   optarg);
			break;
		case 't':
			o->terminal = true;
			break;
		case 'i':
			o->stdin_open = true;
			break;
		case OPT_RESTART:
			if (shim_parse_restart(optarg, &o->restart, &o->restart_max, err) < 0)
				return -1;
			break;
		case OPT_EXIT:
			exit_argv[0] = optarg;
			if (nexit == 0)
				nexit = 1;
			break;
		case OPT_EXITARG:
			if (nexit == 0)
				nexit = 1;
			if (nexit >= MAX_EXIT_ARGS)
				return berth_error(err, E2BIG, "too many --exit-command-arg");
			exit_argv[nexit++] = optarg;
			break;
		case OPT_EXITLOCK:
			o->exit_command_lock = optarg;
			break;
		case OPT_NOSYNC:
			o->no_sync_exit = true;
			break;
		case OPT_SYNC:
			/* never handed on to the runtime: its EOF tells the caller we are done */
			if (parse_fd(optarg, "--sync-fd", &o->sync_fd, err) < 0)
				return -1;
			break;
		case OPT_ATTACH_FD:
			if (parse_fd(optarg, "--attach-fd", &o->attach_fd, err) < 0)
				return -1;
			break;
		case OPT_WAIT_FD:
			if (parse_fd(optarg, "--wait-fd", &o->wait_fd, err) < 0)
				return -1;
			break;
		case OPT_FG:
			o->foreground = true;
			break;
		case OPT_ATTACH_FIRST:
			o->attach_first = true;
			break;
		case OPT_RESTORE:
			o->restore_image = optarg;
			break;
		case OPT_TCP:
			o->restore_tcp = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			/* the caller may be newer: name what we did not take */
			return berth_error(err, EINVAL, "bad usage: option `%s` (see --help)",
					   argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return berth_error(err, EINVAL, "expected one container ID (see --help)");
	o->id = argv[optind];
	if (o->bundle == NULL || o->state_dir == NULL)
		return berth_error(err, EINVAL, "--bundle and --state-dir are required");
	if (nexit > 0 && exit_argv[0] == NULL)
		return berth_error(err, EINVAL, "--exit-command-arg without --exit-command");
	exit_argv[nexit] = NULL;
	if (nexit > 0)
		o->exit_command = exit_argv;
	return 0;
}

/*
 * Absolute paths: the shim moves to / once detached.  One that is absolute
 * already stays as it is (no realpath: a readlink per component).
 */
static int absolutize(const char **path, const char *what, bool must_exist, berth_error_t *err)
{
	if ((*path)[0] == '/') {
		if (must_exist && access(*path, F_OK) < 0)
			return berth_error_errno(err, errno, "%s `%s`", what, *path);
		return 0;
	}
	char *abs = realpath(*path, NULL);

	if (abs == NULL) {
		if (must_exist || (*path)[0] == '/')
			return must_exist ? berth_error_errno(err, errno, "%s `%s`", what, *path) : 0;
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&abs, "%s/%s", cwd, *path) < 0)
			return berth_error_errno(err, errno, "%s `%s`", what, *path);
	}
	*path = abs;
	return 0;
}

static int validate(struct shim_opts *o, berth_error_t *err)
{
	char *p = NULL;

	if (absolutize(&o->bundle, "bundle", true, err) < 0 ||
	    absolutize(&o->state_dir, "state directory", true, err) < 0)
		return -1;
	/* with --wait-fd, config.json is still being written */
	if (o->wait_fd < 0 && (asprintf(&p, "%s/config.json", o->bundle) < 0 || access(p, R_OK) < 0)) {
		int e = errno;
		free(p);
		return berth_error_errno(err, e, "bundle `%s`: config.json", o->bundle);
	}
	free(p);
	if (o->runtime && strcmp(o->runtime, SHIM_RUNTIME_BUILTIN) == 0)
		goto runtime_ok;
	if (o->runtime == NULL)
		o->runtime = default_runtime();
	if (o->runtime == NULL || access(o->runtime, X_OK) < 0)
		return berth_error_errno(err, errno ? errno : ENOENT, "runtime `%s`",
					 o->runtime ? o->runtime : "berth");
	if (absolutize(&o->runtime, "runtime", true, err) < 0)
		return -1;
runtime_ok:
	if (o->restore_image && absolutize(&o->restore_image, "checkpoint", true, err) < 0)
		return -1;
	if (o->runtime_root && absolutize(&o->runtime_root, "runtime root", false, err) < 0)
		return -1;
	if (o->log_path == NULL) {
		if (asprintf(&p, "%s/ctr.log", o->state_dir) < 0)
			return berth_error_errno(err, ENOMEM, "log path");
		o->log_path = p;
	} else if (absolutize(&o->log_path, "log", false, err) < 0) {
		return -1;
	}
	return 0;
}

/*
 * Leave the caller: fork, new session, fork again so the shim is no session
 * leader (it can never reacquire a terminal) and is re-parented to init.
 * The caller learns the outcome through --sync-fd, not from our exit status.
 */
static int detach(struct shim_opts *o, berth_error_t *err)
{
	pid_t pid = fork();
	int status, devnull;

	if (pid < 0)
		return berth_error_errno(err, errno, "fork");
	if (pid > 0) {
		waitpid(pid, &status, 0);
		exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (devnull > 2)
			close(devnull);
	}
	(void)o;
	return 0;
}

/*
 * Whoever holds the lock (a foreground `berthctl run --rm`) is doing the
 * exit command's work itself; once it lets go, a lock file that has been
 * unlinked means the work is done.  If that caller died, the file is still
 * there and the command runs.
 */
static bool exit_command_needed(const char *lock)
{
	struct stat sb;
	int fd;
	bool needed;

	if (lock == NULL)
		return true;
	fd = open(lock, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	needed = fstat(fd, &sb) < 0 || sb.st_nlink > 0;
	close(fd);
	return needed;
}

static void run_exit_command(char **argv, const char *lock)
{
	pid_t pid;

	if (!exit_command_needed(lock))
		return;
	pid = fork();

	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		execv(argv[0], argv);
		_exit(127);
	}
}

int main(int argc, char **argv)
{
	struct shim_opts o = { .sync_fd = -1, .attach_fd = -1, .wait_fd = -1, .log_max_files = 1 };
	char *exit_argv[MAX_EXIT_ARGS + 1] = { NULL };
	berth_error_t err = NULL;
	char pid[16];

	if (parse_args(argc, argv, &o, exit_argv, &err) < 0 || validate(&o, &err) < 0) {
		/* the caller reads the error from the sync fd; without one, from stderr */
		if (o.sync_fd >= 0)
			dprintf(o.sync_fd, "error %s\n", err->msg);
		else
			berth_error_print(stderr, "berth-shim", &err);
		return 125;
	}
	if (!o.foreground && detach(&o, &err) < 0) {
		berth_error_print(stderr, "berth-shim", &err);
		return 125;
	}
	if (chdir("/") < 0)
		return 125;
	umask(022);
	/* Orphans of the container (runtime helpers, exec'd processes) come to us to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	{
		char *path = NULL;
		if (asprintf(&path, "%s/shim.pid", o.state_dir) > 0) {
			berth_write_file_atomic(path, pid, strlen(pid), 0644, false, NULL);
			free(path);
		}
	}
	if (shim_supervise(&o, &err) < 0) {
		berth_error_print(stderr, "berth-shim", &err);
		return 1;
	}
	/* a checkpointed container is not finished: its --rm cleanup waits for the real end */
	if (o.exit_command && !o.checkpointed && !o.called_off)
		run_exit_command(o.exit_command, o.exit_command_lock);
	return 0;
}
