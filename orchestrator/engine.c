/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's state files, names, network namespaces, and the shim's lifecycle. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netplugins/cni.h"
#include "orchestrator/engine.h"
#include "storage/storage.h"
#include "util.h"

static char *path_join(const char *a, const char *b)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

int engine_paths_init(struct berthctl_opts *o, const char *id, struct engine_paths *p,
		      berth_error_t *err)
{
	memset(p, 0, sizeof(*p));
	if (asprintf(&p->dir, "%s/engine/containers/%s", o->root, id) < 0 ||
	    asprintf(&p->bundle, "%s/bundle", p->dir) < 0 ||
	    asprintf(&p->log, "%s/ctr.log", p->dir) < 0 ||
	    asprintf(&p->state, "%s/engine/%s", o->runroot, id) < 0 ||
	    asprintf(&p->netns, "%s/netns/%s", o->runroot, id) < 0 ||
	    asprintf(&p->rtroot, "%s/runtime", o->runroot) < 0)
		return berth_error_errno(err, ENOMEM, "container `%s`", id);
	return 0;
}

void engine_paths_free(struct engine_paths *p)
{
	free(p->dir);
	free(p->bundle);
	free(p->log);
	free(p->state);
	free(p->netns);
	free(p->rtroot);
	memset(p, 0, sizeof(*p));
}

void engine_ctr_free(struct engine_ctr *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	if (c->rec)
		json_decref(c->rec);
	engine_paths_free(&c->p);
	free(c);
}

static int ctr_load(struct berthctl_opts *o, const char *id, struct engine_ctr **out,
		    berth_error_t *err)
{
	struct engine_ctr *c = calloc(1, sizeof(*c));
	cleanup_free char *file = NULL;

	if (c == NULL)
		return berth_error_errno(err, ENOMEM, "container `%s`", id);
	c->lock_fd = -1;
	snprintf(c->id, sizeof(c->id), "%s", id);
	if (engine_paths_init(o, id, &c->p, err) < 0 ||
	    (file = path_join(c->p.dir, "container.json")) == NULL ||
	    berth_json_load_file(file, &c->rec, err) < 0) {
		engine_ctr_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int engine_ctr_save(struct engine_ctr *c, berth_error_t *err)
{
	cleanup_free char *file = path_join(c->p.dir, "container.json");
	cleanup_free char *text = json_dumps(c->rec, JSON_INDENT(1) | JSON_SORT_KEYS);

	if (file == NULL || text == NULL)
		return berth_error_errno(err, ENOMEM, "save container `%s`", c->id);
	return berth_write_file_atomic(file, text, strlen(text), 0600, false, err);
}

/*
 * The lock file exists from `create` until removal, which unlinks it while
 * holding it.  So it is never created here (a remover that came second would
 * lock a new file of its own and race the first one), and a lock whose file
 * is gone once we hold it means the container has been removed meanwhile:
 * *gone is set, with ENOENT.
 */
static int ctr_lock(struct engine_ctr *c, bool *gone, berth_error_t *err)
{
	cleanup_free char *file = path_join(c->p.dir, "lock");
	cleanup_free char *rec = path_join(c->p.dir, "container.json");
	struct stat sb;
	int fd;

	*gone = false;
	if (c->lock_fd >= 0)
		return c->lock_fd;
	if (file == NULL || rec == NULL)
		return berth_error_errno(err, ENOMEM, "lock container `%.12s`", c->id);
	fd = open(file, O_RDWR | O_CLOEXEC);
	/* a container from before lock files were made at create time */
	if (fd < 0 && errno == ENOENT && access(rec, F_OK) == 0)
		fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*gone = errno == ENOENT;
		return berth_error_errno(err, errno, "lock container `%.12s`", c->id);
	}
	while (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		close(fd);
		return berth_error_errno(err, e, "lock container `%.12s`", c->id);
	}
	if (fstat(fd, &sb) == 0 && sb.st_nlink == 0) {
		close(fd);
		*gone = true;
		return berth_error(err, ENOENT, "container `%.12s`: removed meanwhile", c->id);
	}
	c->lock_fd = fd;
	return fd;
}

int engine_ctr_lock(struct engine_ctr *c, berth_error_t *err)
{
	bool gone;

	return ctr_lock(c, &gone, err);
}

int engine_ctr_lock_create(struct engine_ctr *c, berth_error_t *err)
{
	cleanup_free char *file = path_join(c->p.dir, "lock");
	int fd = file ? open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;

	if (fd < 0)
		return berth_error_errno(err, file ? errno : ENOMEM, "lock file of container `%.12s`",
					 c->id);
	close(fd);
	return 0;
}

static void engine_ctr_unlock(struct engine_ctr *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
}

static bool is_hex_id(const char *s, size_t min)
{
	size_t n = strlen(s);

	if (n < min || n > ENGINE_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int engine_ctr_list(struct berthctl_opts *o, char ***ids, berth_error_t *err)
{
	cleanup_free char *dir = NULL;
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	if (asprintf(&dir, "%s/engine/containers", o->root) < 0)
		return berth_error_errno(err, ENOMEM, "list containers");
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return berth_error_errno(err, ENOMEM, "list containers");
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!is_hex_id(e->d_name, ENGINE_ID_LEN))
			continue;
		char **nv = realloc(v, (n + 2) * sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		v[n++] = strdup(e->d_name);
		v[n] = NULL;
	}
	*ids = v;
	return 0;
}

int engine_ctr_lookup(struct berthctl_opts *o, const char *ref, struct engine_ctr **out,
		      berth_error_t *err)
{
	cleanup_free char *link = NULL;
	cleanup_strv char **ids = NULL;
	char target[ENGINE_ID_LEN + 2];
	const char *found = NULL;
	ssize_t n;

	if (ref[0] == '\0' || strchr(ref, '/') || strcmp(ref, ".") == 0 || strcmp(ref, "..") == 0)
		return berth_error(err, EINVAL, "container `%s`: not a valid name or ID", ref);
	if (asprintf(&link, "%s/engine/names/%s", o->root, ref) < 0)
		return berth_error_errno(err, ENOMEM, "container `%s`", ref);
	n = readlink(link, target, sizeof(target) - 1);
	if (n == ENGINE_ID_LEN) {
		target[n] = '\0';
		if (ctr_load(o, target, out, NULL) == 0)
			return 0;
	}
	if (is_hex_id(ref, 3) && engine_ctr_list(o, &ids, err) == 0) {
		for (char **id = ids; *id; id++) {
			if (strncmp(*id, ref, strlen(ref)) != 0)
				continue;
			if (found)
				return berth_error(err, EINVAL,
						   "container `%s`: the prefix is not unique", ref);
			found = *id;
		}
		if (found)
			return ctr_load(o, found, out, err);
	}
	return berth_error(err, ENOENT, "container `%s`: no such container", ref);
}

int engine_name_reserve(struct berthctl_opts *o, const char *name, const char *id,
			berth_error_t *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *link = NULL;
	char other[ENGINE_ID_LEN + 2];
	ssize_t n;

	if (asprintf(&dir, "%s/engine/names", o->root) < 0 ||
	    asprintf(&link, "%s/%s", dir, name) < 0)
		return berth_error_errno(err, ENOMEM, "name `%s`", name);
	if (berth_mkdir_p(dir, 0700, err) < 0)
		return -1;
	if (symlink(id, link) == 0)
		return 0;
	if (errno != EEXIST)
		return berth_error_errno(err, errno, "reserve name `%s`", name);
	n = readlink(link, other, sizeof(other) - 1);
	other[n > 0 ? n : 0] = '\0';
	return berth_error(err, EEXIST, "name `%s` is already in use by container %.12s", name,
			   other);
}

void engine_name_release(struct berthctl_opts *o, const char *name)
{
	char *link = NULL;

	if (name && asprintf(&link, "%s/engine/names/%s", o->root, name) > 0) {
		unlink(link);
		free(link);
	}
}

const char *engine_status_name(enum engine_status s)
{
	switch (s) {
	case ENGINE_CREATED:
		return "created";
	case ENGINE_RUNNING:
		return "running";
	case ENGINE_EXITED:
		return "exited";
	default:
		return "unknown";
	}
}

static bool pid_alive(pid_t pid)
{
	char path[64], *buf = NULL;
	bool alive;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (berth_read_file(path, &buf, NULL, NULL) < 0)
		return false;
	char *rp = strrchr(buf, ')');
	alive = rp && rp[1] == ' ' && rp[2] != 'Z';
	free(buf);
	return alive;
}

bool engine_wait_pid(pid_t pid, int timeout_ms)
{
	int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	if (fd < 0)
		return !pid_alive(pid);
	while ((r = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	close(fd);
	return r > 0;
}

void engine_ctr_state(struct engine_ctr *c, struct engine_state *st)
{
	cleanup_free char *exitf = path_join(c->p.state, "exit");
	cleanup_free char *statusf = path_join(c->p.state, "status");
	cleanup_json json_t *ex = NULL;
	cleanup_json json_t *status = NULL;

	memset(st, 0, sizeof(*st));
	st->status = ENGINE_CREATED;
	if (statusf && berth_json_load_file(statusf, &status, NULL) == 0) {
		st->pid = (pid_t)json_integer_value(json_object_get(status, "pid"));
		st->shim_pid = (pid_t)json_integer_value(json_object_get(status, "shim_pid"));
		st->restarts = (int)json_integer_value(json_object_get(status, "restarts"));
		st->status = pid_alive(st->shim_pid) ? ENGINE_RUNNING : ENGINE_STOPPED_UNKNOWN;
	}
	if (exitf && berth_json_load_file(exitf, &ex, NULL) == 0) {
		st->status = ENGINE_EXITED;
		st->exit_code = (int)json_integer_value(json_object_get(ex, "exit_code"));
		st->signal = (int)json_integer_value(json_object_get(ex, "signal"));
		st->oom_killed = json_is_true(json_object_get(ex, "oom_killed"));
		st->checkpointed = json_is_true(json_object_get(ex, "checkpointed"));
		st->restarts = (int)json_integer_value(json_object_get(ex, "restarts"));
		snprintf(st->exited_at, sizeof(st->exited_at), "%s",
			 json_string_value(json_object_get(ex, "exited_at")) ?: "");
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * The shim renames its exit file into the state directory, or dies: both
 * wake us (inotify, pidfd), no polling.
 */
bool engine_wait_stopped(struct engine_ctr *c, int timeout_ms)
{
	struct engine_state st;
	cleanup_close int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cleanup_close int pidfd = -1;
	long deadline = now_ms() + timeout_ms;

	if (in >= 0)
		inotify_add_watch(in, c->p.state, IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF);
	engine_ctr_state(c, &st);
	if (st.status != ENGINE_RUNNING)
		return true;
	pidfd = (int)syscall(SYS_pidfd_open, st.shim_pid, 0);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = in, .events = POLLIN },
					 { .fd = pidfd, .events = POLLIN } };
		long left = deadline - now_ms();
		char buf[4096];

		if (left <= 0)
			return false;
		/* without inotify or pidfd: look again every 10 ms */
		if (poll(pfd, 2, in < 0 || pidfd < 0 ? (left < 10 ? left : 10) : left) < 0 &&
		    errno != EINTR)
			return false;
		while (in >= 0 && read(in, buf, sizeof(buf)) > 0)
			;
		engine_ctr_state(c, &st);
		if (st.status != ENGINE_RUNNING)
			return true;
	}
}

static const char *next_to_self(const char *name, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return name;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return name;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/%s", self, name) >= len)
		return name;
	return buf;
}

const char *engine_runtime(struct berthctl_opts *o)
{
	static char buf[PATH_MAX];

	return o->runtime ? o->runtime : next_to_self("berth", buf, sizeof(buf));
}

const char *engine_shim(struct berthctl_opts *o)
{
	static char buf[PATH_MAX];

	return o->shim ? o->shim : next_to_self("berth-shim", buf, sizeof(buf));
}

/* ---- network namespaces ---------------------------------------------- */

/*
 * unshare(CLONE_NEWNET) in a short-lived thread moves only that thread: no
 * fork of the whole process.  It brings the loopback up (CNI plugins only
 * add eth0) and pins the namespace with a bind mount.  A new network
 * namespace takes the kernel a millisecond or more, so the thread runs while
 * berthctl goes on with the root filesystem and config.json.
 */
static void *netns_thread(void *arg)
{
	struct engine_netns_job *j = arg;
	struct ifreq ifr = { .ifr_name = "lo" };
	int sk;

	if (unshare(CLONE_NEWNET) < 0) {
		j->err = errno;
		j->what = "unshare";
		return NULL;
	}
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk >= 0 && ioctl(sk, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(sk, SIOCSIFFLAGS, &ifr);
	}
	if (sk >= 0)
		close(sk);
	if (mount("/proc/thread-self/ns/net", j->path, NULL, MS_BIND, NULL) < 0) {
		j->err = errno;
		j->what = "bind mount";
	}
	return NULL;
}

int engine_netns_start(struct engine_netns_job *j, const char *path, berth_error_t *err)
{
	cleanup_free char *dir = strdup(path);
	int fd, e;

	*j = (struct engine_netns_job){ .path = path };
	if (dir == NULL)
		return berth_error_errno(err, ENOMEM, "netns `%s`", path);
	*strrchr(dir, '/') = '\0';
	if (berth_mkdir_p(dir, 0755, err) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return berth_error_errno(err, errno, "create netns file `%s`", path);
	close(fd);
	e = pthread_create(&j->thread, NULL, netns_thread, j);
	if (e != 0) {
		unlink(path);
		return berth_error_errno(err, e, "create network namespace `%s`: thread", path);
	}
	j->running = true;
	return 0;
}

int engine_netns_finish(struct engine_netns_job *j, berth_error_t *err)
{
	if (!j->running)
		return 0;
	pthread_join(j->thread, NULL);
	j->running = false;
	if (j->err) {
		unlink(j->path);
		return berth_error_errno(err, j->err, "create network namespace `%s`: %s", j->path,
					 j->what);
	}
	return 0;
}

int engine_netns_create(const char *path, berth_error_t *err)
{
	struct engine_netns_job j;

	if (engine_netns_start(&j, path, err) < 0)
		return -1;
	return engine_netns_finish(&j, err);
}

void engine_netns_remove(const char *path)
{
	umount2(path, MNT_DETACH);
	unlink(path);
}

/* ---- podman's exit codes ---------------------------------------------- */

int engine_exit_code_for(const char *msg)
{
	if (msg == NULL)
		return BERTHCTL_EXIT_ENGINE;
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
	    strstr(msg, "No such file or directory"))
		return 127;
	if (strstr(msg, "permission denied") || strstr(msg, "Permission denied") ||
	    strstr(msg, "is a directory") || strstr(msg, "Is a directory") ||
	    strstr(msg, "exec format error") || strstr(msg, "Exec format error"))
		return 126;
	return BERTHCTL_EXIT_ENGINE;
}

/* ---- signals ---------------------------------------------------------- */

int engine_parse_signal(const char *s, berth_error_t *err)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "ALRM", SIGALRM },
		{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "WINCH", SIGWINCH }, { "PIPE", SIGPIPE },
	};
	const char *n = s;
	char *end;
	long v;

	if (strncasecmp(n, "SIG", 3) == 0)
		n += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(n, names[i].name) == 0)
			return names[i].sig;
	v = strtol(s, &end, 10);
	if (*s && *end == '\0' && v > 0 && v < NSIG)
		return (int)v;
	return berth_error(err, EINVAL, "signal `%s`: not a signal name or number", s);
}

/* ---- starting: the shim ----------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int start_shim(struct berthctl_opts *o, struct engine_ctr *c, bool attach_first,
		      engine_during_fn during, const char *req, const int *attach,
		      struct engine_shim_early *es, pid_t *pid, berth_error_t *err);

int engine_start(struct berthctl_opts *o, struct engine_ctr *c, bool attach_first, pid_t *pid,
		 berth_error_t *err)
{
	return start_shim(o, c, attach_first, NULL, NULL, NULL, NULL, pid, err);
}

/*
 * posix_spawn the shim for container c; *reply_fd reads its answer.  With
 * go_fd, it waits for a byte there before it creates the container.
 */
static int spawn_shim(struct berthctl_opts *o, struct engine_ctr *c, bool attach_first,
		      const int *attach, int *go_fd, pid_t *child_out, int *reply_fd,
		      berth_error_t *err)
{
	const char *shim = engine_shim(o);
	char sync_arg[16], attach_arg[16], wait_arg[16];
	char *argv[56];
	int n = 0, p[2], g[2] = { -1, -1 };
	pid_t child;

	if (access(shim, X_OK) < 0)
		return berth_error_errno(err, errno, "shim `%s`", shim);
	if (berth_mkdir_p(c->p.state, 0700, err) < 0)
		return -1;
	/* A restart of an exited container: the previous run's files go. */
	for (const char *f = "exit\0status\0pid\0attach\0shim.pid\0"; *f; f += strlen(f) + 1) {
		char *path = path_join(c->p.state, f);
		if (path) {
			unlink(path);
			free(path);
		}
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "pipe");
	/* a socket: a shim that failed early gives EPIPE there, not SIGPIPE */
	if (go_fd && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g) < 0) {
		close(p[0]);
		close(p[1]);
		return berth_error_errno(err, errno, "socketpair");
	}
	snprintf(sync_arg, sizeof(sync_arg), "%d", p[1]);
	argv[n++] = (char *)shim;
	/* libberth inside the shim unless another runtime binary was asked for */
	argv[n++] = "--runtime";
	argv[n++] = o->runtime ? (char *)o->runtime : "builtin";
	argv[n++] = "--runtime-root";
	argv[n++] = c->p.rtroot;
	argv[n++] = "--bundle";
	argv[n++] = c->p.bundle;
	argv[n++] = "--state-dir";
	argv[n++] = c->p.state;
	argv[n++] = "--log-path";
	argv[n++] = c->p.log;
	argv[n++] = "--log-max-size";
	argv[n++] = "104857600";
	argv[n++] = "--log-max-files";
	argv[n++] = "2";
	argv[n++] = "--sync-fd";
	argv[n++] = sync_arg;
	argv[n++] = "--foreground";
	if (attach) {
		snprintf(attach_arg, sizeof(attach_arg), "%d", attach[1]);
		argv[n++] = "--attach-fd";
		argv[n++] = attach_arg;
	}
	if (json_is_true(json_object_get(c->rec, "tty")))
		argv[n++] = "--terminal";
	if (json_is_true(json_object_get(c->rec, "stdin")))
		argv[n++] = "--stdin";
	if (jstr(c->rec, "restart")) {
		argv[n++] = "--restart";
		argv[n++] = (char *)jstr(c->rec, "restart");
	}
	if (attach_first)
		argv[n++] = "--attach-first";
	if (go_fd) {
		snprintf(wait_arg, sizeof(wait_arg), "%d", g[0]);
		argv[n++] = "--wait-fd";
		argv[n++] = wait_arg;
	}
	if (c->restore_image) {
		argv[n++] = "--restore";
		argv[n++] = (char *)c->restore_image;
		if (c->restore_tcp)
			argv[n++] = "--tcp-established";
	}
	/*
	 * --rm: the shim cleans up even when the berthctl that ran it is gone;
	 * a berthctl holding the container's lock (run --rm in the foreground)
	 * does it itself, and the shim then has nothing to run.
	 */
	static char self[PATH_MAX];
	cleanup_free char *lockfile = path_join(c->p.dir, "lock");
	if (json_is_true(json_object_get(c->rec, "rm")) && lockfile) {
		/* removed at exit: its exit file need not survive a crash */
		argv[n++] = "--no-sync-exit";
		argv[n++] = "--exit-command-lock";
		argv[n++] = lockfile;
		argv[n++] = "--exit-command";
		argv[n++] = (char *)next_to_self("berthctl", self, sizeof(self));
		argv[n++] = "--exit-command-arg";
		argv[n++] = "--root";
		argv[n++] = "--exit-command-arg";
		argv[n++] = (char *)o->root;
		argv[n++] = "--exit-command-arg";
		argv[n++] = "--runroot";
		argv[n++] = "--exit-command-arg";
		argv[n++] = (char *)o->runroot;
		argv[n++] = "--exit-command-arg";
		argv[n++] = "cleanup";
		argv[n++] = "--exit-command-arg";
		argv[n++] = c->id;
	}
	argv[n++] = c->id;
	argv[n] = NULL;

	/*
	 * posix_spawn: a vfork, nothing of berthctl is copied.  The shim starts
	 * in a session of its own with its stdio on /dev/null, so it has no
	 * detaching of its own to do (--foreground): it stays our child until we
	 * exit (a zombie until then, if it ends first) and is re-parented then.
	 */
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	/* the same fd: only its close-on-exec flag is cleared */
	posix_spawn_file_actions_adddup2(&fa, p[1], p[1]);
	if (attach)
		posix_spawn_file_actions_adddup2(&fa, attach[1], attach[1]);
	if (go_fd)
		posix_spawn_file_actions_adddup2(&fa, g[0], g[0]);
	int e = posix_spawn(&child, shim, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(p[1]);
	if (g[0] >= 0)
		close(g[0]);
	if (e != 0) {
		close(p[0]);
		if (g[1] >= 0)
			close(g[1]);
		int ret = berth_error_errno(err, e, "exec `%s`", shim);
		if (*err)
			(*err)->code = engine_exit_code_for((*err)->msg);
		return ret;
	}
	*child_out = child;
	*reply_fd = p[0];
	if (go_fd)
		*go_fd = g[1];
	return 0;
}

/*
 * The shim for container c.  With a socket pair attach, attach[1] is the
 * shim's first attach client and attach[0] sends req once during() is done.
 * With es: spawned first (no during, no answer awaited), waiting for the
 * go; then again, to give the go and go on from there.
 */
static int start_shim(struct berthctl_opts *o, struct engine_ctr *c, bool attach_first,
		      engine_during_fn during, const char *req, const int *attach,
		      struct engine_shim_early *es, pid_t *pid, berth_error_t *err)
{
	berth_error_t during_err = NULL;
	int during_ret = 0;
	const char *shim = engine_shim(o);
	char buf[2048];
	int p[2];
	size_t got = 0;
	pid_t child;

	if (es) {
		/* the bundle is complete: let the waiting shim create the container */
		child = es->child;
		p[0] = steal_fd(&es->reply_fd);
		/*
		 * `s`: nothing to do before the process runs and our attach
		 * request comes right away: it need not wait for a start.
		 * Failing, the shim has exited: its answer says why.
		 */
		(void)send(es->go_fd, during == NULL && attach ? "s" : "g", 1, MSG_NOSIGNAL);
		close(steal_fd(&es->go_fd));
	} else if (spawn_shim(o, c, attach_first, attach, NULL, &child, &p[0], err) < 0) {
		return -1;
	}
	if (during)
		during_ret = during(o, c, &during_err);
	/* the request waits in the socket until the shim has created the container */
	if (attach && during_ret == 0 &&
	    (berth_write_all(attach[0], req, strlen(req)) < 0 ||
	     berth_write_all(attach[0], "\n", 1) < 0))
		during_ret = berth_error_errno(&during_err, errno, "talk to the shim of `%.12s`", c->id);
	for (;;) {
		ssize_t k = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
		/* one line is the whole answer: no need to wait for every copy of the fd to close */
		if (got == sizeof(buf) - 1 || memchr(buf, '\n', got))
			break;
	}
	close(p[0]);
	buf[got] = '\0';
	/* a shim that failed exits right after its answer */
	if (strncmp(buf, "ok ", 3) != 0)
		waitpid(child, NULL, 0);
	if (during_ret < 0) {
		*err = during_err;
		return -1;
	}
	if (strncmp(buf, "ok ", 3) == 0) {
		*pid = (pid_t)atoi(buf + 3);
		return 0;
	}
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	if (strncmp(buf, "error ", 6) == 0) {
		int ret = berth_error(err, 0, "%s", buf + 6);
		/* 126/127 are about the container's command, not a missing runtime binary */
		(*err)->code = strncmp(buf + 6, "runtime `", 9) == 0 ? BERTHCTL_EXIT_ENGINE
								   : engine_exit_code_for(buf + 6);
		return ret;
	}
	return berth_error(err, EIO, "shim `%s` exited without starting the container", shim);
}

void engine_shim_early_init(struct engine_shim_early *es, bool attach_first, bool attached)
{
	*es = (struct engine_shim_early){ .attach_first = attach_first, .attached = attached,
					  .reply_fd = -1, .go_fd = -1, .attach = { -1, -1 } };
}

int engine_shim_spawn(struct berthctl_opts *o, struct engine_ctr *c, struct engine_shim_early *es,
		      berth_error_t *err)
{
	if (es->attached &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, es->attach) < 0)
		return berth_error_errno(err, errno, "socketpair");
	if (spawn_shim(o, c, es->attach_first, es->attached ? es->attach : NULL, &es->go_fd,
		       &es->child, &es->reply_fd, err) < 0) {
		engine_shim_abort(es);
		return -1;
	}
	es->spawned = true;
	return 0;
}

int engine_shim_go(struct berthctl_opts *o, struct engine_ctr *c, struct engine_shim_early *es,
		   engine_during_fn during, const char *req, int *fd, pid_t *pid,
		   berth_error_t *err)
{
	int ret = start_shim(o, c, es->attach_first, during, req,
			     es->attached ? es->attach : NULL, es, pid, err);

	/* from here on it is the shim of a container (gone if it failed, see start_shim()) */
	es->spawned = false;
	if (ret == 0 && fd)
		*fd = steal_fd(&es->attach[0]);
	engine_shim_abort(es);
	return ret;
}

void engine_shim_abort(struct engine_shim_early *es)
{
	/* EOF instead of the go: the shim exits having created nothing */
	if (es->go_fd >= 0)
		close(steal_fd(&es->go_fd));
	if (es->reply_fd >= 0)
		close(steal_fd(&es->reply_fd));
	for (int i = 0; i < 2; i++)
		if (es->attach[i] >= 0)
			close(steal_fd(&es->attach[i]));
	if (es->spawned)
		waitpid(es->child, NULL, 0);
	es->spawned = false;
}

/* ---- removal ---------------------------------------------------------- */

int engine_wrap_once(berth_error_t *err, const char *fmt, ...)
{
	char ctx[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (err && *err && strncmp((*err)->msg, ctx, strlen(ctx)) == 0)
		return -1;
	return berth_error_wrap(err, "%s", ctx);
}

static struct cni_opts engine_cni_opts(struct berthctl_opts *o, char **cache)
{
	struct cni_opts co = { .conf_dir = o->cni_config_dir, .plugin_path = o->cni_plugin_dir };

	if (asprintf(cache, "%s/cni", o->root) > 0)
		co.cache_dir = *cache;
	return co;
}

int engine_cni_add(struct berthctl_opts *o, struct engine_ctr *c, const char *network,
		   const struct engine_port *ports, size_t nports, char **ip, berth_error_t *err)
{
	cleanup_free char *cache = NULL;
	struct cni_opts co = engine_cni_opts(o, &cache);
	struct cni_network *net = NULL;
	struct cni_result *res = NULL;
	struct cni_port_mapping maps[64];
	int ret;

	if (nports > 64)
		return berth_error(err, E2BIG, "too many port mappings");
	for (size_t i = 0; i < nports; i++) {
		memset(&maps[i], 0, sizeof(maps[i]));
		maps[i].host_port = ports[i].host;
		maps[i].container_port = ports[i].ctr;
		snprintf(maps[i].protocol, sizeof(maps[i].protocol), "%s", ports[i].proto);
	}
	/* an address asked for (a restored container's old one): CNI_ARGS IP, as berth-ipam reads it */
	const char *want = jstr(c->rec, "ip_request");
	char args[96];
	snprintf(args, sizeof(args), "IgnoreUnknown=1;IP=%s", want ? want : "");
	struct cni_attachment att = { .container_id = c->id, .netns = c->p.netns, .ifname = "eth0",
				      .args = want ? args : NULL, .port_mappings = maps,
				      .n_port_mappings = nports };
	if (cni_network_load(&co, network, &net, err) < 0)
		return engine_wrap_once(err, "network `%s`", network);
	ret = cni_add(&co, net, &att, &res, err);
	cni_network_free(net);
	if (ret < 0)
		return engine_wrap_once(err, "network `%s`", network);
	if (res->n_ips > 0) {
		char *slash;
		*ip = strdup(res->ips[0].address);
		if (*ip && (slash = strchr(*ip, '/')))
			*slash = '\0';
	}
	cni_result_free(res);
	return 0;
}

/* DEL gets the same runtimeConfig as ADD had: portmap needs the mappings to undo them. */
static void engine_cni_del(struct berthctl_opts *o, struct engine_ctr *c)
{
	cleanup_free char *cache = NULL;
	struct cni_opts co = engine_cni_opts(o, &cache);
	struct cni_port_mapping maps[64];
	size_t n = 0, i;
	json_t *jp;

	json_array_foreach (json_object_get(c->rec, "ports"), i, jp) {
		if (n == 64)
			break;
		memset(&maps[n], 0, sizeof(maps[n]));
		maps[n].host_port = (uint16_t)json_integer_value(json_object_get(jp, "host"));
		maps[n].container_port = (uint16_t)json_integer_value(json_object_get(jp, "container"));
		snprintf(maps[n].protocol, sizeof(maps[n].protocol), "%s", jstr(jp, "proto") ?: "tcp");
		n++;
	}
	struct cni_attachment att = { .container_id = c->id, .netns = c->p.netns, .ifname = "eth0",
				      .port_mappings = maps, .n_port_mappings = n };

	cni_del(&co, NULL, &att, NULL);
}

static void runtime_delete(struct berthctl_opts *o, struct engine_ctr *c)
{
	pid_t pid = fork();

	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execl(engine_runtime(o), engine_runtime(o), "--root", c->p.rtroot, "delete", "--force",
		      c->id, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* rm -rf that never crosses into another filesystem (an overlay still mounted, a volume). */
static void rm_tree_dev(const char *path, dev_t dev)
{
	struct stat sb;
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;

	if (lstat(path, &sb) < 0)
		return;
	if (!S_ISDIR(sb.st_mode)) {
		unlink(path);
		return;
	}
	if (sb.st_dev != dev)
		return;
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p = path_join(path, e->d_name);
		if (p == NULL)
			continue;
		rm_tree_dev(p, dev);
		free(p);
	}
	rmdir(path);
}

void engine_rm_tree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		rm_tree_dev(path, sb.st_dev);
}

static bool rec_uses(json_t *rec, const char *key, const char *value)
{
	json_t *v = json_object_get(rec, key);
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strcmp(key, "network") == 0 && strcmp(s, "default") == 0)
			s = CNI_DEFAULT_NETWORK;
		return strcmp(s, value) == 0;
	}
	json_array_foreach (v, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), value) == 0)
			return true;
	return false;
}

int engine_ctrs_using(struct berthctl_opts *o, const char *key, const char *value, char ***ids,
		      berth_error_t *err)
{
	cleanup_strv char **all = NULL;
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;

	if (v == NULL || engine_ctr_list(o, &all, err) < 0) {
		free(v);
		return v ? -1 : berth_error_errno(err, ENOMEM, "list containers");
	}
	for (char **id = all; *id; id++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		if (engine_ctr_lookup(o, *id, &c, NULL) < 0 || !rec_uses(c->rec, key, value))
			continue;
		char **nv = realloc(v, (n + 2) * sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		v[n++] = strdup(*id);
		v[n] = NULL;
	}
	*ids = v;
	return 0;
}

int engine_remove(struct berthctl_opts *o, struct engine_ctr *c, bool force, berth_error_t *err)
{
	struct engine_state st;
	const char *network = jstr(c->rec, "network");
	pid_t shim_pid;
	int ret = 0;

	engine_ctr_state(c, &st);
	if (st.status == ENGINE_RUNNING) {
		if (!force)
			return berth_error(err, EBUSY,
					   "container `%.12s` is running: stop it first or use -f",
					   c->id);
		kill(st.shim_pid, SIGKILL);
		if (st.pid > 0)
			kill(st.pid, SIGKILL);
		engine_wait_pid(st.shim_pid, 2000);
	}
	bool gone;
	if (ctr_lock(c, &gone, err) < 0) {
		if (!gone)
			return -1;
		/* another remover (the shim's exit command, a second rm) was first */
		berth_error_release(err);
		return 0;
	}
	cleanup_free char *rec = path_join(c->p.dir, "container.json");
	if (rec == NULL || access(rec, F_OK) < 0) {
		engine_ctr_unlock(c);
		return 0;
	}
	/* A shim that recorded the exit deletes the runtime's state itself. */
	engine_ctr_state(c, &st);
	shim_pid = st.shim_pid;
	if (st.status != ENGINE_EXITED)
		runtime_delete(o, c);
	if (network && strcmp(network, "host") != 0) {
		if (strcmp(network, "none") != 0)
			engine_cni_del(o, c);
		engine_netns_remove(c->p.netns);
	}
	{
		cleanup_storage_store struct storage_store *stor = NULL;
		if (storage_store_open(o->root, &stor, err) < 0 ||
		    storage_rootfs_remove(stor, c->id, err) < 0)
			ret = berth_error_wrap(err, "remove container `%.12s`", c->id);
	}
	if (ret == 0) {
		engine_rm_tree(c->p.state);
		engine_name_release(o, jstr(c->rec, "name"));
		unlink(rec);
		/*
		 * Gone for everyone now: the lock file goes and the lock with it,
		 * so a shim waiting for it (--exit-command-lock) exits while the
		 * rest of the directory is removed.
		 */
		cleanup_free char *lockfile = path_join(c->p.dir, "lock");
		if (lockfile)
			unlink(lockfile);
		engine_ctr_unlock(c);
		engine_rm_tree(c->p.dir);
	}
	engine_ctr_unlock(c);
	/* That deletion may still be running (cgroups): it is done when the shim is gone. */
	if (ret == 0 && shim_pid > 0)
		engine_wait_pid(shim_pid, 10000);
	return ret;
}

int engine_release_users(struct berthctl_opts *o, const char *what, const char *key,
			 const char *name, bool force, berth_error_t *err)
{
	cleanup_strv char **users = NULL;

	if (engine_ctrs_using(o, key, name, &users, err) < 0)
		return -1;
	if (users[0] && !force)
		return berth_error(err, EBUSY,
				   "%s `%s`: in use by container %.12s (remove it first, or use -f)",
				   what, name, users[0]);
	for (char **u = users; *u; u++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		if (engine_ctr_lookup(o, *u, &c, NULL) == 0 && engine_remove(o, c, true, err) < 0)
			return berth_error_wrap(err, "%s `%s`", what, name);
	}
	return 0;
}

int engine_list_opts(int argc, char **argv, const char *cmd, bool *json, bool *quiet)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*json = *quiet = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (c == 'q') {
			*quiet = true;
		} else if (c == 'f' && strcmp(optarg, "json") == 0) {
			*json = true;
		} else {
			fprintf(stderr, "berthctl: %s: only -q and --format json are known\n", cmd);
			return -1;
		}
	}
	return 0;
}

int engine_rm_opts(int argc, char **argv, const char *cmd, bool *force)
{
	int opt;

	*force = false;
	optind = 1;
	while ((opt = getopt(argc, argv, "f")) != -1) {
		if (opt != 'f') {
			fprintf(stderr, "berthctl: %s: bad usage (see berthctl(1))\n", cmd);
			return -1;
		}
		*force = true;
	}
	if (optind >= argc) {
		fprintf(stderr, "berthctl: %s: which one?\n", cmd);
		return -1;
	}
	return 0;
}
