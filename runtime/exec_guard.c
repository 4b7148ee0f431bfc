/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "exec_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int berth_exec_guard_init_fd(struct berth_exec_guard *g, int fd, berth_error_t *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berth_error_errno(err, errno, "exec guard: stat the runtime binary");
	g->dev = st.st_dev;
	g->ino = st.st_ino;
	return 0;
}

int berth_exec_guard_init(struct berth_exec_guard *g, berth_error_t *err)
{
	struct stat st;

	if (stat("/proc/self/exe", &st) < 0)
		return berth_error_errno(err, errno, "exec guard: stat /proc/self/exe");
	g->dev = st.st_dev;
	g->ino = st.st_ino;
	return 0;
}

/*
 * The interpreter of a "#!" script, as the kernel's binfmt_script reads it:
 * the first line, blanks skipped, up to the next blank.  0 when there is
 * none (not a script, or unreadable: then the kernel cannot run it as one
 * either, unless the fd is O_PATH, see the header).
 */
static int script_interpreter(int fd, char *out, size_t size)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *p, *end;

	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return 0;
	buf[n] = '\0';
	p = buf + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p;
	while (*end && *end != ' ' && *end != '\t' && *end != '\n')
		end++;
	if (end == p || (size_t)(end - p) >= size)
		return 0;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 1;
}

/*
 * An O_PATH fd (what a runtime opens to execveat() it) cannot be read: reopen
 * it through /proc for reading.  Without /proc mounted no "#!/proc/self/exe"
 * can run either.
 */
static int readable_fd(int fd)
{
	char path[64], c;

	if (pread(fd, &c, 1, 0) >= 0 || errno != EBADF)
		return -1; /* fd itself is readable (or unreadable for another reason) */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int check_level(const struct berth_exec_guard *g, int fd, int depth, const char *what,
		       berth_error_t *err)
{
	char interp[256];
	cleanup_close int next = -1, reopened = -1;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berth_error_errno(err, errno, "exec guard: stat %s", what);
	if (st.st_dev == g->dev && st.st_ino == g->ino)
		return berth_error(err, EPERM,
				   "refusing to execute the berth binary in the container (%s)",
				   what);
	if (!S_ISREG(st.st_mode))
		return 0;
	reopened = readable_fd(fd);
	if (!script_interpreter(reopened >= 0 ? reopened : fd, interp, sizeof(interp)))
		return 0;
	if (depth >= BERTH_EXEC_GUARD_DEPTH)
		return berth_error(err, ELOOP, "exec guard: more than %d levels of \"#!\" at \"%s\"",
				   BERTH_EXEC_GUARD_DEPTH, interp);
	next = open(interp, O_RDONLY | O_CLOEXEC);
	if (next < 0)
		return 0; /* execve fails on its own: nothing of ours can run */
	return check_level(g, next, depth + 1, interp, err);
}

int berth_exec_guard_check(const struct berth_exec_guard *g, int exe_fd, berth_error_t *err)
{
	return check_level(g, exe_fd, 0, "the process executable", err);
}
