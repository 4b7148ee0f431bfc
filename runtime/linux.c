/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "console.h"
#include "exec_guard.h"
#include "hooks.h"
#include "log.h"
#include "mount.h"
#include "process.h"
#include "seccomp_filter.h"
#include "sync.h"
#include "util.h"

struct init_ctx {
	const struct berth_create_opts *o;
	struct berth_container *c;
	const struct berth_config *cfg;
	const struct berth_caps *caps;
	const struct berth_seccomp *seccomp;
	struct berth_exec_guard guard;
	int sync;         /* child's end */
	int state_dir;    /* O_PATH fd of the state directory (exec.fifo) */
	int console;      /* console socket or -1 */
	int ns_fd[BERTH_NS_COUNT];
	bool new_user;
	int unshare_flags; /* created in the child after GO */
};

int berth_sync_send(int fd, char type, const char *text)
{
	size_t len = text ? strlen(text) : 0;
	cleanup_free char *buf = malloc(len + 1);

	if (buf == NULL)
		return -1;
	buf[0] = type;
	if (len)
		memcpy(buf + 1, text, len);
	while (send(fd, buf, len + 1, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * The signals not at their default disposition: ignored (SigIgn) or caught
 * (SigCgt), one read of /proc/self/status instead of a system call for each of
 * the 64 signals (each costs microseconds, more in a virtual machine).  Without
 * /proc, all of them.
 */
static uint64_t signals_not_default(void)
{
	static const char *const keys[] = { "\nSigIgn:", "\nSigCgt:" };
	cleanup_close int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	char buf[4096];
	uint64_t mask = 0;
	size_t off = 0;
	ssize_t n;

	if (fd < 0)
		return ~0ULL;
	while (off < sizeof(buf) - 1 && (n = read(fd, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *p = strstr(buf, keys[i]);
		char *end;

		if (p == NULL)
			return ~0ULL;
		p += strlen(keys[i]);
		mask |= strtoull(p, &end, 16);
		if (end == p)
			return ~0ULL;
	}
	return mask;
}

ssize_t berth_sync_child_enter(struct berth_container *c, int sync, char *buf, size_t len)
{
	uint64_t reset = signals_not_default();
	sigset_t none;
	int passed = -1;
	ssize_t n;

	/*
	 * The program starts with every signal at its default, whatever the caller
	 * ignored.  The raw system call reaches the two signals glibc keeps for
	 * itself (32, 33), which signal() refuses but a caller may have ignored.
	 */
	for (int sig = 1; sig < NSIG && sig <= 64; sig++) {
		struct {
			void (*handler)(int);
			unsigned long flags;
			void (*restorer)(void);
			unsigned long mask;
		} dfl = { SIG_DFL, 0, NULL, 0 };

		if (sig != SIGKILL && sig != SIGSTOP && (reset & (1ULL << (sig - 1))))
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The lock is the runtime's: holding it until execve would block `start`. */
	berth_container_unlock(c);
	/* Until execve this process is berth: keep /proc/<pid>/exe and its memory away
	 * from processes in the container (the CVE-2019-5736 class). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	n = berth_sync_recv(sync, buf, len, &passed);
	if (passed >= 0)
		close(passed);
	if (n <= 0 || buf[0] != BERTH_MSG_GO)
		_exit(1);
	return n;
}

ssize_t berth_sync_recv(int fd, char *buf, size_t len, int *passed)
{
	berth_error_t e = NULL;
	int n = berth_recv_fd(fd, passed, buf, len, &e);

	berth_error_release(&e);
	return n;
}

static char *rfc3339_now(void)
{
	char buf[48];

	berth_rfc3339_now(buf, sizeof(buf));
	return strdup(buf);
}

char *berth_container_state_text(struct berth_container *c, enum berth_status s)
{
	enum berth_status saved = c->status;
	json_t *j;
	char *text;

	c->status = s;
	j = berth_container_oci_state(c);
	c->status = saved;
	if (j == NULL)
		return NULL;
	/* The hook's view: the status we are in, not the live one. */
	json_object_set_new(j, "status", json_string(berth_status_name(s)));
	json_object_set_new(j, "pid", json_integer(c->pid));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

/* ---- the container process ------------------------------------------------ */

static __attribute__((noreturn)) void child_fail(struct init_ctx *x, berth_error_t *err)
{
	const char *msg = *err ? (*err)->msg : "container init failed";

	if (x->sync < 0 || berth_sync_send(x->sync, BERTH_MSG_ERROR, msg) < 0)
		fprintf(stderr, "berth: %s\n", msg);
	_exit(1);
}

static int set_time_offsets(const struct berth_config *cfg, berth_error_t *err)
{
	char buf[128];
	cleanup_close int fd = -1;

	if (unshare(CLONE_NEWTIME) < 0)
		return berth_error_errno(err, errno, "time namespace");
	if (cfg->has_time_offsets) {
		snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
			 (long long)cfg->monotonic_secs, cfg->monotonic_nsecs,
			 (long long)cfg->boottime_secs, cfg->boottime_nsecs);
		if (berth_write_file("/proc/self/timens_offsets", buf, err) < 0)
			return berth_error_wrap(err, "linux.timeOffsets");
	}
	/* unshare(CLONE_NEWTIME) only affects children: enter it ourselves. */
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		return berth_error_errno(err, errno, "enter time namespace");
	return 0;
}

static int join_namespaces(struct init_ctx *x, berth_error_t *err)
{
	/* mount last: it changes our root */
	static const enum berth_ns_type order[] = { BERTH_NS_IPC, BERTH_NS_UTS,	   BERTH_NS_NET,
						    BERTH_NS_CGROUP, BERTH_NS_TIME, BERTH_NS_MNT };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum berth_ns_type t = order[i];
		if (x->ns_fd[t] < 0)
			continue;
		if (setns(x->ns_fd[t], berth_ns_flag(t)) < 0)
			return berth_error_errno(err, errno, "join %s namespace `%s`", berth_ns_name(t),
						 x->cfg->ns[t].path);
		close(x->ns_fd[t]);
		x->ns_fd[t] = -1;
	}
	return 0;
}

/*
 * run without --pid-file: the runtime does nothing between "created" and
 * "started" that the program must wait for (run blocks the signals it forwards
 * before create), so the init goes on to execve right after READY instead of
 * waiting for START: one round trip between the two processes less.  A caller
 * with work of its own in between says so with hold.
 */
static bool run_straight(const struct berth_create_opts *o)
{
	return o->run && !o->pid_file && !o->init_hook && !o->hold;
}

static int wait_start(struct init_ctx *x, berth_error_t *err)
{
	if (run_straight(x->o))
		return 0;
	if (x->o->run) {
		char buf[16];
		int fd = -1;
		ssize_t n = berth_sync_recv(x->sync, buf, sizeof(buf), &fd);
		if (fd >= 0)
			close(fd);
		if (n <= 0 || buf[0] != BERTH_MSG_START)
			_exit(1); /* the runtime went away: never run the program */
		return 0;
	}
	/* Blocks until `berth start` opens the fifo for reading. */
	cleanup_close int fifo = openat(x->state_dir, "exec.fifo", O_WRONLY | O_CLOEXEC);
	if (fifo < 0)
		return berth_error_errno(err, errno, "open exec.fifo");
	if (write(fifo, "0", 1) != 1)
		return berth_error_errno(err, errno, "write exec.fifo");
	return 0;
}

/*
 * create: the program's user (the mapped root or process.user, capabilities
 * already dropped) must be able to open exec.fifo once `start` comes; find out
 * now, while `create` still listens, rather than exit unseen later.
 */
static int check_exec_fifo(struct init_ctx *x, berth_error_t *err)
{
	if (x->o->run)
		return 0;
	if (faccessat(x->state_dir, "exec.fifo", W_OK, AT_EACCESS) < 0 &&
	    (errno == EACCES || errno == ENOENT))
		return berth_error_errno(err, errno, "open exec.fifo (uid %u in the container)",
					       (unsigned)geteuid());
	return 0;
}

/* Socket activation passes through: the program finds its fds at 3.. as PID 1. */
static int add_listen_env(struct berth_process *p, int n)
{
	size_t len = 0;
	char **env;

	while (p->env[len])
		len++;
	env = realloc(p->env, (len + 3) * sizeof(char *));
	if (env == NULL)
		return -1;
	p->env = env;
	if (asprintf(&env[len], "LISTEN_FDS=%d", n) < 0 || (env[len + 1] = strdup("LISTEN_PID=1")) == NULL)
		return -1;
	env[len + 2] = NULL;
	return 0;
}

static int loopback_up(berth_error_t *err)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	cleanup_close int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sk < 0 || ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
		return berth_error_errno(err, errno, "loopback interface");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
		return berth_error_errno(err, errno, "bring up the loopback interface");
	return 0;
}

static __attribute__((noreturn)) void container_init(struct init_ctx *x)
{
	const struct berth_config *cfg = x->cfg;
	struct berth_rootfs rootfs = {
		.cfg = cfg,
		.rootfs = x->c->rootfs,
		.cgroup = x->c->cgroup,
		.userns = x->new_user || cfg->ns[BERTH_NS_USER].path,
		.cgroupns = cfg->ns[BERTH_NS_CGROUP].enabled,
		.no_pivot = x->o->no_pivot,
		.root_fd = -1,
	};
	berth_error_t err = NULL;
	struct berth_exec_setup setup = {
		.proc = &cfg->process,
		.caps = x->caps,
		.seccomp = x->seccomp,
		.guard = &x->guard,
		.keep_fds = berth_listen_fds() + x->o->preserve_fds,
	};
	const bool mnt_joined = cfg->ns[BERTH_NS_MNT].path != NULL;
	cleanup_free char *state = NULL;
	char *exe_path = NULL;
	int exe_fd = -1, notify_fd = -1;
	char buf[65536];

	berth_sync_child_enter(x->c, x->sync, buf, sizeof(buf));
	state = strdup(buf + 1);
	if (state == NULL)
		_exit(1);

	if (cfg->ns[BERTH_NS_USER].path && setns(x->ns_fd[BERTH_NS_USER], CLONE_NEWUSER) < 0) {
		berth_error_errno(&err, errno, "join user namespace `%s`", cfg->ns[BERTH_NS_USER].path);
		child_fail(x, &err);
	}
	if (x->new_user || cfg->ns[BERTH_NS_USER].path) {
		/* become root of the user namespace (when 0 is mapped) */
		if (setresgid(0, 0, 0) == 0)
			setresuid(0, 0, 0);
	}
	if (x->unshare_flags && unshare(x->unshare_flags) < 0) {
		berth_error_errno(&err, errno, "create namespaces");
		child_fail(x, &err);
	}
	if (join_namespaces(x, &err) < 0)
		child_fail(x, &err);
	/* A network namespace made for the container has its loopback up, as with runc and crun. */
	if (cfg->ns[BERTH_NS_NET].enabled && !cfg->ns[BERTH_NS_NET].path && loopback_up(&err) < 0)
		child_fail(x, &err);
	if (cfg->ns[BERTH_NS_CGROUP].enabled && !cfg->ns[BERTH_NS_CGROUP].path &&
	    unshare(CLONE_NEWCGROUP) < 0) {
		berth_error_errno(&err, errno, "create cgroup namespace");
		child_fail(x, &err);
	}
	if (cfg->ns[BERTH_NS_TIME].enabled && !cfg->ns[BERTH_NS_TIME].path &&
	    set_time_offsets(cfg, &err) < 0)
		child_fail(x, &err);
	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) {
		berth_error_errno(&err, errno, "set hostname `%s`", cfg->hostname);
		child_fail(x, &err);
	}
	if (cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0) {
		berth_error_errno(&err, errno, "set domainname `%s`", cfg->domainname);
		child_fail(x, &err);
	}
	/* A joined mount namespace is another container's root, already set up:
	 * setns made its root ours; nothing is mounted again. */
	if (!mnt_joined && berth_rootfs_prepare(&rootfs, &err) < 0)
		child_fail(x, &err);
	if (berth_hooks_run(cfg, BERTH_HOOK_CREATE_CONTAINER, state, &err) < 0)
		child_fail(x, &err);
	if (mnt_joined ? berth_rootfs_sysctl(cfg, &err) < 0
		       : berth_rootfs_pivot(&rootfs, &err) < 0 || berth_rootfs_finish(&rootfs, &err) < 0)
		child_fail(x, &err);
	if (!x->o->no_new_keyring &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, x->c->id, 0, 0, 0) < 0 &&
	    errno != ENOSYS && errno != EPERM && errno != EACCES && errno != EDQUOT) {
		berth_error_errno(&err, errno, "join session keyring");
		child_fail(x, &err);
	}
	if (x->console >= 0) {
		if (berth_console_setup(x->console, cfg->process.console_height,
					cfg->process.console_width, &err) < 0)
			child_fail(x, &err);
		close(x->console);
		x->console = -1;
	}
	if (x->o->init_hook)
		x->o->init_hook(x->o->init_hook_arg, x->sync);
	if (berth_listen_fds() > 0 && add_listen_env(&x->c->config->process, berth_listen_fds()) < 0) {
		berth_error_errno(&err, ENOMEM, "LISTEN_FDS");
		child_fail(x, &err);
	}
	if (berth_process_prepare(&setup, &exe_fd, &exe_path, &notify_fd, &err) < 0)
		child_fail(x, &err);
	if (notify_fd >= 0) {
		if (berth_send_fd(x->sync, notify_fd, "N", &err) < 0)
			child_fail(x, &err);
		close(notify_fd);
	}
	if (check_exec_fifo(x, &err) < 0)
		child_fail(x, &err);
	if (berth_sync_send(x->sync, BERTH_MSG_READY, NULL) < 0)
		_exit(1);
	if (wait_start(x, &err) < 0)
		child_fail(x, &err);
	if (cfg->hooks[BERTH_HOOK_START_CONTAINER].n) {
		cleanup_free char *st = berth_container_state_text(x->c, BERTH_STATUS_RUNNING);
		if (berth_hooks_run(cfg, BERTH_HOOK_START_CONTAINER, st ? st : state, &err) < 0)
			child_fail(x, &err);
	}
	berth_log_debug("exec: `%s` in container `%s`", exe_path, x->c->id);
	berth_process_exec(&cfg->process, exe_fd, exe_path, &err);
	child_fail(x, &err);
}

/* ---- the runtime side ------------------------------------------------------- */

struct create_res {
	bool dir_made;
	pid_t pid;
	int sync;
	int console;
	int ns_fd[BERTH_NS_COUNT];
	struct berth_caps *caps;
	struct berth_seccomp *seccomp;
	struct berth_cgroup_resources *res;
};

static void create_res_release(struct create_res *r, struct berth_container *c)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	if (c && c->cgroup) {
		berth_error_t e = NULL;
		berth_cgroup_destroy(c->cgroup, &e);
		berth_error_release(&e);
	}
	if (c && r->dir_made) {
		berth_error_t e = NULL;
		berth_container_remove_state(c, &e);
		berth_error_release(&e);
	}
	if (r->sync >= 0)
		close(r->sync);
	if (r->console >= 0)
		close(r->console);
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (r->ns_fd[t] >= 0)
			close(r->ns_fd[t]);
	berth_caps_free(r->caps);
	berth_seccomp_free(r->seccomp);
	if (r->res)
		berth_cgroup_resources_free(r->res);
}

static int write_id_maps(pid_t pid, const struct berth_config *cfg, berth_error_t *err)
{
	for (int g = 0; g < 2; g++) {
		const struct berth_id_map *m = g ? cfg->gid_maps : cfg->uid_maps;
		size_t n = g ? cfg->n_gid_maps : cfg->n_uid_maps;
		char path[64], buf[4096];
		size_t off = 0;

		if (n == 0)
			continue;
		for (size_t i = 0; i < n && off < sizeof(buf); i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n",
						m[i].container_id, m[i].host_id, m[i].size);
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, g ? "gid_map" : "uid_map");
		if (berth_write_file(path, buf, err) < 0)
			return berth_error_wrap(err, "linux.%s", g ? "gidMappings" : "uidMappings");
	}
	return 0;
}

/* The host id that id 0 of the container maps to (0 without a mapping). */
static unsigned int root_host_id(const struct berth_id_map *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].container_id == 0)
			return m[i].host_id;
	return 0;
}

/*
 * As runc: owned by the host ids of the container's root and writable by any
 * user of the container (process.user may be another one, without
 * capabilities); only the init reaches it, through its fd of the state
 * directory, as the state root is 0700.
 */
static int make_exec_fifo(const char *dir, const struct berth_config *cfg, berth_error_t *err)
{
	char path[PATH_MAX];
	bool mapped = cfg->ns[BERTH_NS_USER].enabled && !cfg->ns[BERTH_NS_USER].path;

	snprintf(path, sizeof(path), "%s/exec.fifo", dir);
	if (mkfifo(path, 0600) < 0)
		return berth_error_errno(err, errno, "mkfifo `%s`", path);
	if (mapped && chown(path, root_host_id(cfg->uid_maps, cfg->n_uid_maps),
			    root_host_id(cfg->gid_maps, cfg->n_gid_maps)) < 0)
		return berth_error_errno(err, errno, "chown `%s`", path);
	if (chmod(path, 0622) < 0)
		return berth_error_errno(err, errno, "chmod `%s`", path);
	return 0;
}

static int check_config(const struct berth_config *cfg, berth_error_t *err)
{
	if (!cfg->has_process)
		return berth_error(err, EINVAL, "process: missing required field");
	if (!cfg->ns[BERTH_NS_MNT].enabled)
		return berth_error(err, EINVAL, "linux.namespaces: a mount namespace is required");
	if (cfg->ns[BERTH_NS_USER].path && cfg->ns[BERTH_NS_PID].enabled &&
	    !cfg->ns[BERTH_NS_PID].path)
		return berth_error(err, ENOTSUP,
				   "unsupported: a new pid namespace in a user namespace joined by path");
	if ((cfg->hostname || cfg->domainname) && !cfg->ns[BERTH_NS_UTS].enabled)
		return berth_error(err, EINVAL,
				   "hostname: needs its own uts namespace (linux.namespaces)");
	if (cfg->ns[BERTH_NS_USER].enabled && !cfg->ns[BERTH_NS_USER].path &&
	    (cfg->n_uid_maps == 0 || cfg->n_gid_maps == 0))
		return berth_error(err, EINVAL,
				   "linux.uidMappings: a user namespace needs uid and gid mappings");
	if (cfg->has_time_offsets && !(cfg->ns[BERTH_NS_TIME].enabled && !cfg->ns[BERTH_NS_TIME].path))
		return berth_error(err, EINVAL, "linux.timeOffsets: needs a new time namespace");
	return 0;
}

/*
 * jansson seeds its hash function from /dev/urandom on the first object (three
 * system calls); the kernel already gave every process 16 random bytes.  A
 * no-op when objects exist already.
 */
static void seed_json(void)
{
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	uint32_t seed = 0;

	if (rnd)
		memcpy(&seed, rnd + 8, sizeof(seed));
	if (seed)
		json_object_seed(seed);
}

static int read_config(const char *bundle, char **text, struct berth_config **cfg,
		       berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_json json_t *j = NULL;
	json_error_t jerr;

	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return berth_error_errno(err, ENOMEM, "config");
	if (berth_read_file(path, text, NULL, err) < 0)
		return -1;
	seed_json();
	j = json_loads(*text, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return berth_error(err, EINVAL, "`%s`:%d:%d: %s", path, jerr.line, jerr.column,
				   jerr.text);
	if (berth_config_parse(j, cfg, err) < 0)
		return berth_error_wrap(err, "`%s`", path);
	return 0;
}

/* A file in the fresh state directory: nobody reads it before state.json exists. */
static int write_new_file(const char *path, const char *text, berth_error_t *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t len = strlen(text);

	if (fd < 0)
		return berth_error_errno(err, errno, "create `%s`", path);
	if (berth_write_all(fd, text, len) != (ssize_t)len)
		return berth_error_errno(err, errno, "write `%s`", path);
	return 0;
}

static int wait_ready(struct berth_container *c, struct create_res *r, berth_error_t *err)
{
	char buf[8192];

	for (;;) {
		int fd = -1;
		ssize_t n = berth_sync_recv(r->sync, buf, sizeof(buf), &fd);

		if (n <= 0)
			return berth_error(err, EIO, "container init exited during setup");
		if (buf[0] == BERTH_MSG_READY)
			return 0;
		if (buf[0] == BERTH_MSG_ERROR)
			return berth_error(err, 0, "%s", buf + 1);
		if (buf[0] == BERTH_MSG_NOTIFY || fd >= 0) {
			cleanup_free char *st = berth_container_state_text(c, BERTH_STATUS_CREATING);
			json_t *sj = st ? json_loads(st, 0, NULL) : NULL;
			int ret = -1;

			if (fd >= 0 && r->seccomp && sj)
				ret = berth_seccomp_send_listener(r->seccomp, fd, c->pid, sj, err);
			json_decref(sj);
			if (fd >= 0)
				close(fd);
			if (ret < 0)
				return berth_error_wrap(err, "seccomp listener");
		}
	}
}

static bool hooks_need_state(const struct berth_config *cfg)
{
	static const enum berth_hook_stage stages[] = {
		BERTH_HOOK_PRESTART, BERTH_HOOK_CREATE_RUNTIME, BERTH_HOOK_CREATE_CONTAINER,
		BERTH_HOOK_START_CONTAINER,
	};

	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (cfg->hooks[stages[i]].n)
			return true;
	return false;
}

static int create(const char *state_root, const struct berth_create_opts *o,
		  struct berth_container **out, int *sync_fd, berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	cleanup_free char *config_text = NULL, *bundle = NULL, *rootfs = NULL, *text = NULL;
	struct create_res r = { .sync = -1, .console = -1 };
	struct init_ctx x = { .o = o, .sync = -1, .state_dir = -1, .console = -1 };
	struct berth_config *cfg = NULL;
	struct clone_args ca = { .exit_signal = SIGCHLD };
	int sp[2] = { -1, -1 };
	int own_pidns = -1;
	char buf[PATH_MAX];
	int ret = -1;

	for (int t = 0; t < BERTH_NS_COUNT; t++)
		r.ns_fd[t] = x.ns_fd[t] = -1;
	if (berth_id_validate(o->id, err) < 0)
		return -1;
	bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (bundle == NULL)
		return berth_error_errno(err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return berth_error_errno(err, ENOMEM, "create");
	c->lock_fd = -1;
	c->id = strdup(o->id);
	c->state_root = strdup(state_root);
	c->owner = strdup("");
	c->created = rfc3339_now();
	c->systemd_cgroup = o->systemd_cgroup;
	if (!c->id || !c->state_root || !c->owner || !c->created ||
	    asprintf(&c->dir, "%s/%s", state_root, o->id) < 0)
		return berth_error_errno(err, ENOMEM, "create");
	if (read_config(bundle, &config_text, &cfg, err) < 0)
		return -1;
	c->config = cfg;
	if (check_config(cfg, err) < 0)
		return berth_error_wrap(err, "`%s/config.json`", bundle);
	snprintf(buf, sizeof(buf), "%s%s%s", cfg->root_path[0] == '/' ? "" : bundle,
		 cfg->root_path[0] == '/' ? "" : "/", cfg->root_path);
	rootfs = realpath(buf, NULL);
	if (rootfs == NULL)
		return berth_error_errno(err, errno, "rootfs `%s`", buf);
	c->bundle = steal_pointer(&bundle);
	c->rootfs = steal_pointer(&rootfs);
	c->annotations = json_incref(cfg->annotations);
	c->status = BERTH_STATUS_CREATING;

	/* Everything that can be refused is refused before anything exists. */
	if (berth_caps_parse(cfg->process.capabilities, &r.caps, err) < 0 ||
	    berth_seccomp_parse(cfg->seccomp, &r.seccomp, err) < 0 ||
	    berth_cgroup_resources_parse(cfg->resources, &r.res, err) < 0)
		goto out;
	/* Compile the filter here, or take it from the cache, rather than in the
	 * container process, which only loads it.  A dot name: not a container. */
	if (r.seccomp) {
		snprintf(buf, sizeof(buf), "%s/.seccomp-cache", state_root);
		if (berth_seccomp_prepare(r.seccomp, buf, err) < 0) {
			berth_error_wrap(err, "linux.seccomp");
			goto out;
		}
	}
	if (cfg->process.terminal && o->console_socket == NULL) {
		berth_error(err, EINVAL, "process.terminal is true: --console-socket is required");
		goto out;
	}
	if (o->console_socket && !cfg->process.terminal) {
		berth_error(err, EINVAL, "--console-socket given but process.terminal is false");
		goto out;
	}
	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		if (!cfg->ns[t].path)
			continue;
		r.ns_fd[t] = open(cfg->ns[t].path, O_RDONLY | O_CLOEXEC);
		if (r.ns_fd[t] < 0) {
			berth_error_errno(err, errno, "%s namespace `%s`", berth_ns_name(t),
					  cfg->ns[t].path);
			goto out;
		}
	}
	if (berth_exec_guard_init(&x.guard, err) < 0)
		goto out;

	/* Usually there: one mkdir rather than one for each path component. */
	if (mkdir(state_root, 0700) < 0 && errno != EEXIST && berth_mkdir_p(state_root, 0700, err) < 0)
		goto out;
	/* 0711: the init, maybe the mapped root of a user namespace, opens exec.fifo
	 * through its fd of this directory; the files in it stay 0600. */
	if (mkdir(c->dir, 0711) < 0) {
		if (errno == EEXIST)
			berth_error(err, EEXIST, "container `%s` already exists", o->id);
		else
			berth_error_errno(err, errno, "create `%s`", c->dir);
		goto out;
	}
	r.dir_made = true;
	c->lock_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->lock_fd < 0 || flock(c->lock_fd, LOCK_EX) < 0) {
		berth_error_errno(err, errno, "lock `%s`", c->dir);
		goto out;
	}
	snprintf(buf, sizeof(buf), "%s/config.json", c->dir);
	if (write_new_file(buf, config_text, err) < 0)
		goto out;
	if (!o->run) {
		if (make_exec_fifo(c->dir, cfg, err) < 0)
			goto out;
	}
	if (o->console_socket && berth_console_connect(o->console_socket, &r.console, err) < 0)
		goto out;
	if (berth_cgroup_create(cfg->cgroups_path, o->id, r.res, 0, &c->cgroup, err) < 0)
		goto out;
	if (c->cgroup)
		c->cgroup_json = berth_cgroup_to_json(c->cgroup);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		berth_error_errno(err, errno, "socketpair");
		goto out;
	}
	r.sync = sp[0];

	/* What clone3 creates and what the child creates itself after GO. */
	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		if (!cfg->ns[t].enabled || cfg->ns[t].path || t == BERTH_NS_CGROUP || t == BERTH_NS_TIME)
			continue;
		if (cfg->ns[BERTH_NS_USER].path && t != BERTH_NS_PID)
			x.unshare_flags |= berth_ns_flag(t);
		else
			ca.flags |= (unsigned)berth_ns_flag(t);
	}
	x.new_user = cfg->ns[BERTH_NS_USER].enabled && !cfg->ns[BERTH_NS_USER].path;
	x.c = c;
	x.cfg = cfg;
	x.caps = r.caps;
	x.seccomp = r.seccomp;
	x.sync = sp[1];
	if (r.seccomp) { /* the listener fd goes out as soon as the filter is loaded */
		r.seccomp->pass_listener = true;
		r.seccomp->listener_sock = sp[1];
	}
	x.console = r.console;
	memcpy(x.ns_fd, r.ns_fd, sizeof(x.ns_fd));
	x.state_dir = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x.state_dir < 0) {
		berth_error_errno(err, errno, "open `%s`", c->dir);
		goto out;
	}
	if (r.ns_fd[BERTH_NS_PID] >= 0) {
		/* Our children are born in the joined pid namespace; we return to ours after. */
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || setns(r.ns_fd[BERTH_NS_PID], CLONE_NEWPID) < 0) {
			berth_error_errno(err, errno, "join pid namespace `%s`", cfg->ns[BERTH_NS_PID].path);
			if (own_pidns >= 0)
				close(own_pidns);
			goto out;
		}
	}
	r.pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (r.pid == 0)
		container_init(&x);
	if (own_pidns >= 0) {
		setns(own_pidns, CLONE_NEWPID);
		close(own_pidns);
	}
	close(sp[1]);
	close(x.state_dir);
	if (r.pid < 0) {
		r.pid = 0;
		berth_error_errno(err, errno, "clone");
		goto out;
	}
	c->pid = r.pid;
	c->pid_start = berth_pid_start_time(r.pid);
	if (x.new_user && write_id_maps(r.pid, cfg, err) < 0)
		goto out;
	if (c->cgroup && berth_cgroup_enter(c->cgroup, r.pid, err) < 0)
		goto out;
	if (cfg->process.has_oom_score_adj) {
		snprintf(buf, sizeof(buf), "/proc/%d/oom_score_adj", (int)r.pid);
		char v[16];
		snprintf(v, sizeof(v), "%d", cfg->process.oom_score_adj);
		if (berth_write_file(buf, v, err) < 0)
			goto out;
	}
	/* Hooks may ask `berth state` about us; otherwise the first state.json
	 * written is the created one (each write is a new inode and a rename). */
	if ((cfg->hooks[BERTH_HOOK_PRESTART].n || cfg->hooks[BERTH_HOOK_CREATE_RUNTIME].n ||
	     cfg->hooks[BERTH_HOOK_CREATE_CONTAINER].n) &&
	    berth_container_save(c, err) < 0)
		goto out;
	/* The state goes to the hooks only: without them, GO carries nothing. */
	text = hooks_need_state(cfg) ? berth_container_state_text(c, BERTH_STATUS_CREATING)
				     : strdup("");
	if (text == NULL) {
		berth_error(err, ENOMEM, "state");
		goto out;
	}
	if (berth_hooks_run(cfg, BERTH_HOOK_PRESTART, text, err) < 0 ||
	    berth_hooks_run(cfg, BERTH_HOOK_CREATE_RUNTIME, text, err) < 0)
		goto out;
	if (berth_sync_send(r.sync, BERTH_MSG_GO, text) < 0) {
		berth_error_errno(err, errno, "start container init");
		goto out;
	}
	if (wait_ready(c, &r, err) < 0)
		goto out;
	c->status = BERTH_STATUS_CREATED;
	/* run saves once the program runs */
	if (!o->run && berth_container_save(c, err) < 0)
		goto out;
	if (o->pid_file) {
		char v[16];
		int len = snprintf(v, sizeof(v), "%d", (int)r.pid);
		if (berth_write_file_atomic(o->pid_file, v, (size_t)len, 0644, false, err) < 0)
			goto out;
	}
	if (sync_fd) {
		*sync_fd = r.sync;
		r.sync = -1;
	}
	r.pid = 0;
	r.dir_made = false;
	c->config = cfg;
	cfg = NULL;
	*out = steal_pointer(&c);
	ret = 0;
out:
	if (ret < 0) {
		if (c) {
			c->config = NULL;
			create_res_release(&r, c);
			berth_config_free(cfg);
		}
		return -1;
	}
	create_res_release(&r, NULL);
	return 0;
}

int berth_container_create(const char *state_root, const struct berth_create_opts *o,
			   struct berth_container **out, int *sync_fd, berth_error_t *err)
{
	if (create(state_root, o, out, sync_fd, err) < 0)
		return berth_error_wrap(err, "create `%s`", o->id);
	return 0;
}

/* ---- start, kill, destroy ---------------------------------------------------- */

static int pidfd_of(const struct berth_container *c)
{
	int fd = (int)syscall(SYS_pidfd_open, c->pid, 0);

	/* the pid may have been reused between open and now */
	if (fd >= 0 && !berth_container_alive(c)) {
		close(fd);
		return -1;
	}
	return fd;
}

int berth_container_wait_exit(struct berth_container *c, int timeout_ms)
{
	cleanup_close int fd = pidfd_of(c);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd < 0)
		return 0;
	if (poll(&p, 1, timeout_ms) > 0)
		return 0;
	/* a zombie waiting for its parent counts as exited */
	return berth_container_alive(c) ? -1 : 0;
}

/* Now running: record it, then the poststart hooks (their failure is a warning). */
static int mark_running(struct berth_container *c, berth_error_t *err)
{
	cleanup_free char *text = NULL;
	berth_error_t warn = NULL;

	c->status = BERTH_STATUS_RUNNING;
	if (berth_container_save(c, err) < 0)
		return -1;
	if (c->config == NULL || c->config->hooks[BERTH_HOOK_POSTSTART].n == 0)
		return 0;
	text = berth_container_state_text(c, BERTH_STATUS_RUNNING);
	if (text && berth_hooks_run(c->config, BERTH_HOOK_POSTSTART, text, &warn) < 0) {
		fprintf(stderr, "berth: warning: %s\n", warn->msg);
		berth_error_release(&warn);
	}
	return 0;
}

int berth_container_start(struct berth_container *c, berth_error_t *err)
{
	cleanup_close int fifo = -1, pfd = -1;
	cleanup_free char *path = NULL;
	char b;

	switch (berth_container_status(c)) {
	case BERTH_STATUS_CREATED:
		break;
	case BERTH_STATUS_STOPPED:
		return berth_error(err, EINVAL, "cannot start a container that has stopped");
	default:
		return berth_error(err, EINVAL, "cannot start an already running container");
	}
	if (asprintf(&path, "%s/exec.fifo", c->dir) < 0)
		return berth_error_errno(err, ENOMEM, "start");
	fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		return berth_error_errno(err, errno, "open `%s`", path);
	pfd = pidfd_of(c);
	if (pfd < 0)
		return berth_error(err, ESRCH, "cannot start a container that has stopped");
	for (;;) {
		struct pollfd p[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pfd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return berth_error_errno(err, errno, "wait for the container");
		n = read(fifo, &b, 1);
		if (n == 1)
			break;
		if (p[1].revents & POLLIN)
			return berth_error(err, ESRCH, "the container exited before it started");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return berth_error_errno(err, errno, "read `%s`", path);
		if (n == 0 && (p[0].revents & POLLHUP)) {
			/* writer closed without data: it failed; give it time to exit */
			usleep(1000);
		}
	}
	unlink(path);
	return mark_running(c, err);
}

int berth_container_start_sync(struct berth_container *c, const struct berth_create_opts *o,
			       int sync_fd, berth_error_t *err)
{
	char buf[8192];
	int fd = -1;
	ssize_t n;

	if (!run_straight(o) && berth_sync_send(sync_fd, BERTH_MSG_START, NULL) < 0)
		return berth_error_errno(err, errno, "start `%s`", c->id);
	/* EOF: the socket closed on execve.  A message: the exec failed. */
	n = berth_sync_recv(sync_fd, buf, sizeof(buf), &fd);
	if (fd >= 0)
		close(fd);
	if (n > 0 && buf[0] == BERTH_MSG_ERROR)
		return berth_error(err, 0, "start `%s`: %s", c->id, buf + 1);
	return mark_running(c, err);
}

int berth_container_kill(struct berth_container *c, int sig, bool all, berth_error_t *err)
{
	enum berth_status s = berth_container_status(c);
	cleanup_close int pfd = -1;

	if (s == BERTH_STATUS_STOPPED)
		return berth_error(err, ESRCH, "container `%s` is not running", c->id);
	if (all && c->cgroup) {
		if (berth_cgroup_kill(c->cgroup, sig, err) < 0)
			return berth_error_wrap(err, "kill `%s`", c->id);
		return 0;
	}
	pfd = pidfd_of(c);
	if (pfd < 0)
		return berth_error(err, ESRCH, "container `%s` is not running", c->id);
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		return berth_error_errno(err, errno, "kill `%s`", c->id);
	return 0;
}

int berth_container_destroy(struct berth_container *c, berth_error_t *err)
{
	cleanup_free char *text = NULL;
	berth_error_t warn = NULL;

	if (berth_container_alive(c)) {
		if (c->cgroup) {
			if (berth_cgroup_kill(c->cgroup, SIGKILL, &warn) < 0)
				berth_error_release(&warn);
			if (c->status == BERTH_STATUS_PAUSED && berth_cgroup_freeze(c->cgroup, false, &warn) < 0)
				berth_error_release(&warn);
		}
		berth_container_kill(c, SIGKILL, false, &warn);
		berth_error_release(&warn);
		if (berth_container_wait_exit(c, 10000) < 0)
			return berth_error(err, EBUSY, "container `%s`: init did not exit after SIGKILL",
					   c->id);
	}
	if (c->cgroup) {
		pid_t *pids = NULL;
		size_t n = 0;

		/* processes that outlived the init (no pid namespace, or exec'd ones) */
		if (berth_cgroup_pids(c->cgroup, &pids, &n, &warn) == 0 && n > 0 &&
		    berth_cgroup_kill(c->cgroup, SIGKILL, &warn) < 0)
			berth_error_release(&warn);
		berth_error_release(&warn);
		free(pids);
		if (berth_cgroup_destroy(c->cgroup, err) < 0)
			return berth_error_wrap(err, "delete `%s`", c->id);
	}
	if (c->config && c->config->hooks[BERTH_HOOK_POSTSTOP].n)
		text = berth_container_state_text(c, BERTH_STATUS_STOPPED);
	if (text && c->config && berth_hooks_run(c->config, BERTH_HOOK_POSTSTOP, text, &warn) < 0) {
		fprintf(stderr, "berth: warning: %s\n", warn->msg);
		berth_error_release(&warn);
	}
	if (berth_container_remove_state(c, err) < 0)
		return berth_error_wrap(err, "delete `%s`", c->id);
	return 0;
}
