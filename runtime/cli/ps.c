/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth ps [--format table|json] ID [ps options]: the container's processes.
 * json: an array of host pids.  table: the host's ps(1) (default "-ef"),
 * with only the header and the lines of the container's processes, as runc
 * does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"
#include "util.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Index of the PID column in ps's header line; -1 when there is none. */
static int pid_column(const char *header)
{
	cleanup_free char *copy = strdup(header);
	char *save = NULL;
	int col = 0;

	if (copy == NULL)
		return -1;
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save), col++)
		if (strcmp(t, "PID") == 0)
			return col;
	return -1;
}

static long field(const char *line, int col)
{
	const char *p = line;

	for (int i = 0;; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return -1;
		if (i == col)
			return strtol(p, NULL, 10);
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
}

static int ps_table(const pid_t *pids, size_t n, char **args, int nargs, berth_error_t *err)
{
	cleanup_fclose FILE *out = NULL;
	cleanup_free char *line = NULL;
	size_t cap = 0;
	int fds[2], status = 0, col = -1;
	bool header = true;
	pid_t child;

	if (pipe(fds) < 0)
		return berth_error_errno(err, errno, "ps: pipe");
	child = fork();
	if (child < 0)
		return berth_error_errno(err, errno, "ps: fork");
	if (child == 0) {
		char **av = calloc((size_t)nargs + 2, sizeof(char *));

		if (av == NULL)
			_exit(127);
		av[0] = "ps";
		for (int i = 0; i < nargs; i++)
			av[i + 1] = args[i];
		if (nargs == 0)
			av[1] = "-ef";
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp("ps", av);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	if (out == NULL) {
		close(fds[0]);
		waitpid(child, NULL, 0);
		return berth_error_errno(err, errno, "ps: read output");
	}
	while (getline(&line, &cap, out) > 0) {
		if (header) {
			col = pid_column(line);
			header = false;
			if (col < 0)
				break;
			fputs(line, stdout);
			continue;
		}
		if (has_pid(pids, n, field(line, col)))
			fputs(line, stdout);
	}
	while (getline(&line, &cap, out) > 0)
		;
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error(err, EINVAL, "ps: `ps` failed (exit status %d)",
				   WIFEXITED(status) ? WEXITSTATUS(status)
						     : 128 + WTERMSIG(status));
	if (col < 0)
		return berth_error(err, EINVAL, "ps: the ps output has no PID column");
	return 0;
}

int berth_cmd_ps(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	cleanup_container struct berth_container *c = NULL;
	cleanup_free pid_t *pids = NULL;
	const char *format = "table", *id;
	size_t n = 0;
	int ch;

	optind = 0;
	opterr = 0;
	/* "+" stops at the ID: what follows it is for ps(1). */
	while ((ch = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (ch != 'f')
			return berth_cli_bad_option("ps", argc, argv, err), 1;
		format = optarg;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return berth_error(err, EINVAL, "ps: --format: `%s` is not table or json", format),
		       1;
	if (berth_cli_one_id("ps", optind < argc ? optind + 1 : argc, argv, optind, &id, err) < 0)
		return 1;
	if (strcmp(format, "json") == 0 && optind + 1 < argc)
		return berth_error(err, EINVAL, "ps: ps options are for --format table only"), 1;
	if (berth_container_load(g->root, id, &c, err) < 0)
		return berth_error_wrap(err, "ps"), 1;
	if (c->cgroup == NULL)
		return berth_error(err, EINVAL, "ps `%s`: container has no cgroup", id), 1;
	if (berth_container_status(c) == BERTH_STATUS_STOPPED)
		return berth_error(err, EINVAL, "ps `%s`: container is stopped", id), 1;
	if (berth_cgroup_pids(c->cgroup, &pids, &n, err) < 0)
		return berth_error_wrap(err, "ps `%s`", id), 1;
	if (strcmp(format, "json") == 0) {
		cleanup_json json_t *arr = json_array();
		cleanup_free char *text = NULL;

		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_integer(pids[i]));
		text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
		if (text == NULL)
			return berth_error(err, ENOMEM, "ps: out of memory"), 1;
		puts(text);
		return 0;
	}
	if (ps_table(pids, n, argv + optind + 1, argc - optind - 1, err) < 0)
		return berth_error_wrap(err, "ps `%s`", id), 1;
	return 0;
}
