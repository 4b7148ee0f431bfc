/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "exec_guard.h"
#include "seccomp_filter.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int berth_listen_fds(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	char *end;
	long n;

	if (fds == NULL)
		return 0;
	if (pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	if (*end || n < 0 || n > 1000)
		return 0;
	return (int)n;
}

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (char **e = env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int open_exe(const char *path, int *fd)
{
	struct stat st;

	*fd = open(path, O_PATH | O_CLOEXEC);
	if (*fd < 0)
		return -1;
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode) || faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : errno ? errno : EACCES;
		close(*fd);
		*fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

/* args[0] in the container's PATH (from the process env), as execvp does. */
static int lookup_exe(const struct berth_process *p, int *fd, char **path, berth_error_t *err)
{
	const char *name = p->args[0];
	const char *search = env_get(p->env, "PATH");
	int last = ENOENT;

	if (strchr(name, '/')) {
		if (open_exe(name, fd) < 0)
			return berth_error_errno(err, errno, "exec `%s`", name);
		*path = strdup(name);
		return *path ? 0 : berth_error_errno(err, ENOMEM, "exec");
	}
	if (search == NULL)
		search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*search) {
		const char *colon = strchrnul(search, ':');
		char buf[PATH_MAX];
		int len = (int)(colon - search);

		if (snprintf(buf, sizeof(buf), "%.*s/%s", len ? len : 1, len ? search : ".", name) <
		    (int)sizeof(buf)) {
			if (open_exe(buf, fd) == 0) {
				*path = strdup(buf);
				return *path ? 0 : berth_error_errno(err, ENOMEM, "exec");
			}
			if (errno != ENOENT && errno != ENOTDIR)
				last = errno;
		}
		search = *colon ? colon + 1 : colon;
	}
	if (last != ENOENT)
		return berth_error_errno(err, last, "exec `%s`", name);
	return berth_error(err, ENOENT, "exec `%s`: executable file not found in $PATH", name);
}

static int set_user(const struct berth_process *p, berth_error_t *err)
{
	if (setgroups(p->n_additional_gids, p->additional_gids) < 0 && errno != EPERM)
		return berth_error_errno(err, errno, "setgroups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return berth_error_errno(err, errno, "setgid %u", (unsigned)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return berth_error_errno(err, errno, "setuid %u", (unsigned)p->uid);
	return 0;
}

int berth_process_prepare(const struct berth_exec_setup *s, int *exe_fd, char **exe_path,
			  int *notify_fd, berth_error_t *err)
{
	const struct berth_process *p = s->proc;
	cleanup_close int fd = -1;
	cleanup_free char *path = NULL;
	int nfd = -1;

	*notify_fd = -1;
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return berth_error_errno(err, errno, "process.rlimits[%zu]", i);
	}
	umask(p->has_umask ? p->umask : 022);
	if (chdir(p->cwd) < 0)
		return berth_error_errno(err, errno, "chdir to cwd `%s`", p->cwd);
	if (lookup_exe(p, &fd, &path, err) < 0)
		return -1;
	if (s->guard && berth_exec_guard_check(s->guard, fd, err) < 0)
		return -1;
	if (s->seccomp && !p->no_new_privileges && berth_seccomp_load(s->seccomp, &nfd, err) < 0)
		return berth_error_wrap(err, "seccomp");
	if (s->caps) {
		if (berth_caps_drop_bounding(s->caps, err) < 0 ||
		    berth_caps_keep_on_setuid(true, err) < 0)
			goto fail;
	}
	if (set_user(p, err) < 0)
		goto fail;
	if (s->caps) {
		/* runc raises only the ambient capabilities that are also permitted and
		 * inheritable (the kernel's rule) and skips the rest; its own `spec` lists
		 * ambient ones without inheritable, so do the same. */
		struct berth_caps c = *s->caps;

		c.ambient &= c.permitted & c.inheritable;
		if (berth_caps_keep_on_setuid(false, err) < 0 || berth_caps_apply(&c, err) < 0)
			goto fail;
	}
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		berth_error_errno(err, errno, "set no_new_privs");
		goto fail;
	}
	/* Whatever berth or its caller left open must not reach the container. */
	if (syscall(SYS_close_range, 3 + s->keep_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		berth_error_errno(err, errno, "close_range");
		goto fail;
	}
	for (int k = 0; k < s->keep_fds; k++) {
		int flags = fcntl(3 + k, F_GETFD);
		if (flags >= 0)
			fcntl(3 + k, F_SETFD, flags & ~FD_CLOEXEC);
	}
	if (s->seccomp && p->no_new_privileges && berth_seccomp_load(s->seccomp, &nfd, err) < 0) {
		berth_error_wrap(err, "seccomp");
		goto fail;
	}
	*notify_fd = nfd;
	*exe_fd = steal_fd(&fd);
	*exe_path = steal_pointer(&path);
	return 0;
fail:
	if (nfd >= 0)
		close(nfd);
	return -1;
}

int berth_process_exec(const struct berth_process *p, int exe_fd, const char *exe_path,
		       berth_error_t *err)
{
	syscall(SYS_execveat, exe_fd, "", p->args, p->env, AT_EMPTY_PATH);
	/* A "#!" script cannot be run from a close-on-exec fd (its interpreter would
	 * need /dev/fd/N); the guard already checked the interpreter chain. */
	if (errno == ENOENT)
		execve(exe_path, p->args, p->env);
	return berth_error_errno(err, errno, "exec `%s`", p->args[0]);
}
