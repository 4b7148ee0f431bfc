/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The --log, --log-format and --debug options, set once by main(). */
static struct {
	const char *path;
	bool json, debug;
	int fd; /* with --debug: the log kept open, close-on-exec, else -1 */
} opts = { .fd = -1 };

/*
 * Lowest fd number for the kept log: above the fds a caller passes on with
 * --preserve-fds or LISTEN_FDS (3, 4, ...), which lose close-on-exec.
 */
#define LOG_FD_MIN 100

void berth_log_setup(const char *path, bool json, bool debug)
{
	opts.path = path;
	opts.json = json;
	opts.debug = debug;
	if (opts.fd < 0 && debug && path) {
		/*
		 * Kept open so that the container process can still log its last
		 * step (exec) after pivot_root, where the path is out of reach;
		 * close-on-exec, so it never reaches the container's program.
		 */
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);

		if (fd >= 0) {
			opts.fd = fcntl(fd, F_DUPFD_CLOEXEC, LOG_FD_MIN);
			close(fd);
		}
	}
}

bool berth_log_debug_enabled(void)
{
	return opts.debug;
}

static const char *level_name(enum berth_log_level level)
{
	switch (level) {
	case BERTH_LOG_ERROR: return "error";
	case BERTH_LOG_WARN: return "warning";
	default: return "debug";
	}
}

void berth_log_line(enum berth_log_level level, const char *msg)
{
	char now[64];
	char *line = NULL;
	int fd, len = -1;

	if (opts.path == NULL)
		return;
	/* 2006-01-02T15:04:05.000000000Z, what runc writes in its log */
	berth_rfc3339_now(now, sizeof(now));
	if (opts.json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", level_name(level), "msg", msg,
				      "time", now);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (s)
			len = asprintf(&line, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		json_t *q = json_string(msg);
		/* the message quoted and escaped like a JSON string, as logrus does */
		char *s = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;

		if (s)
			len = asprintf(&line, "time=\"%s\" level=%s msg=%s\n", now, level_name(level),
				       s);
		free(s);
		json_decref(q);
	}
	if (len < 0)
		return;
	/* one write(2) per line on an O_APPEND file: lines of concurrent processes do not mix */
	if (opts.fd >= 0 && write(opts.fd, line, (size_t)len) == len) {
		free(line);
		return;
	}
	fd = open(opts.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)len) < 0) {
			/* nowhere left to report it */
		}
		close(fd);
	}
	free(line);
}

static void vlog(enum berth_log_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (level == BERTH_LOG_WARN)
		fprintf(stderr, "berth: warning: %s\n", msg);
	berth_log_line(level, msg);
	free(msg);
}

void berth_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!opts.debug || opts.path == NULL)
		return;
	va_start(ap, fmt);
	vlog(BERTH_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void berth_log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(BERTH_LOG_WARN, fmt, ap);
	va_end(ap);
}
