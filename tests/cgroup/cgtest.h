/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers of the cgroup tests: real cgroups named bt-cg-*, removed on teardown. */
#ifndef BERTH_CGTEST_H
#define BERTH_CGTEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

#define CG_ROOT "/sys/fs/cgroup"

static inline void cgt_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Read a file into buf (trailing newline cut); "" when it cannot be read. */
static inline const char *cgt_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

static inline const char *cgt_readf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline const char *cgt_readf(char *buf, size_t len, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return cgt_read(path, buf, len);
}

static inline bool cgt_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Remove dir and everything below it (cgroup directories only hold cgroups). */
static inline void cgt_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *sub = NULL;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
			continue;
		cgt_rmtree(sub);
		free(sub);
	}
	closedir(d);
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		cgt_sleep_ms(20);
}

/* Remove name (an absolute cgroup path) from every hierarchy under /sys/fs/cgroup. */
static inline void cgt_remove_everywhere(const char *name)
{
	DIR *d = opendir(CG_ROOT);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path = NULL;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, CG_ROOT "/%s%s", de->d_name, name) < 0)
			continue;
		cgt_rmtree(path);
		free(path);
	}
	closedir(d);
}

/* rmdir name in every hierarchy, only where it is empty (it may be shared). */
static inline void cgt_rmdir_everywhere(const char *name)
{
	DIR *d = opendir(CG_ROOT);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path = NULL;

		if (de->d_name[0] == '.' || asprintf(&path, CG_ROOT "/%s%s", de->d_name, name) < 0)
			continue;
		rmdir(path);
		free(path);
	}
	closedir(d);
}

/* Does name exist in any hierarchy?  Returns the first hit or NULL. */
static inline const char *cgt_exists_anywhere(const char *name, char *buf, size_t len)
{
	DIR *d = opendir(CG_ROOT);
	struct dirent *de;
	const char *hit = NULL;

	if (d == NULL)
		return NULL;
	while (!hit && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(buf, len, CG_ROOT "/%s%s", de->d_name, name);
		if (cgt_is_dir(buf))
			hit = buf;
	}
	closedir(d);
	return hit;
}

/* A child that sleeps until killed (its own process group, killed on teardown). */
static inline pid_t cgt_spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

/*
 * fork(); the child returns 0 only once the parent called cgt_open_gate(*gate),
 * e.g. after moving it into a cgroup, so whatever it forks lands there too.
 */
static inline pid_t cgt_fork_gated(int *gate)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		close(p[0]);
		return 0;
	}
	close(p[0]);
	*gate = p[1];
	return pid;
}

static inline void cgt_open_gate(int gate)
{
	if (write(gate, "g", 1) != 1)
		fprintf(stdout, "# gate: %s\n", strerror(errno));
	close(gate);
}

static inline void cgt_reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static inline json_t *cgt_json(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fprintf(stdout, "# bad test JSON: %s\n", e.text);
	return j;
}

/* Parse resources JSON; NULL (and a diagnostic) when it does not parse. */
static inline struct berth_cgroup_resources *cgt_res(const char *text)
{
	json_t *j = cgt_json(text);
	struct berth_cgroup_resources *r = NULL;
	berth_error_t err = NULL;

	if (j && berth_cgroup_resources_parse(j, &r, &err) < 0) {
		fprintf(stdout, "# parse: %s\n", err->msg);
		berth_error_release(&err);
		r = NULL;
	}
	json_decref(j);
	return r;
}

#endif
