/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small file and string helpers shared by every berth component. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "cleanup.h"
#include "error.h"

static inline void cleanup_jsonp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(cleanup_jsonp)))

/* Read a whole file (relative to dirfd, or AT_FDCWD) into a NUL-terminated buffer. */
int berth_read_file_at(int dirfd, const char *path, char **out, size_t *len, berth_error_t *err);
static inline int berth_read_file(const char *path, char **out, size_t *len, berth_error_t *err)
{
	return berth_read_file_at(-100 /* AT_FDCWD */, path, out, len, err);
}

/*
 * Write data to path atomically: a temporary file in the same directory,
 * fsync'd when sync is true, then renamed over path.  A crash leaves either
 * the old or the new content, never a half-written file.
 */
int berth_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool sync,
			    berth_error_t *err);

/* Write a string to an existing file (cgroup and /proc knobs). */
int berth_write_file(const char *path, const char *data, berth_error_t *err);

/* mkdir -p; existing directories are fine. */
int berth_mkdir_p(const char *path, mode_t mode, berth_error_t *err);

/* Parse a JSON file with line/column in the error: "config.json:3:14: ...". */
int berth_json_load_file(const char *path, json_t **out, berth_error_t *err);

/* Write and read all of a buffer, retrying on EINTR and short counts. */
ssize_t berth_write_all(int fd, const void *buf, size_t len);
ssize_t berth_read_all(int fd, void *buf, size_t len);

/*
 * t as UTC in *tm, as gmtime_r() does it but without glibc's loading of
 * /etc/localtime on the first call (six system calls in every process).
 */
void berth_utc(time_t t, struct tm *tm);
/* Now as RFC 3339 with nanoseconds in UTC ("2006-01-02T15:04:05.000000000Z"); len >= 40. */
void berth_rfc3339_now(char *out, size_t len);

#endif
