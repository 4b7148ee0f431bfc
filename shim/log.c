/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container log in the CRI format, the one kubelet, crictl and podman's
 * k8s-file driver read:
 *
 *   2026-11-25T14:11:34.123456789Z stdout F a complete line
 *   2026-11-25T14:11:34.123456789Z stdout P the start of a line whose rest ...
 *   2026-11-25T14:11:34.123456790Z stdout F ... came in the next read
 *
 * Each read from the container's pipe becomes one write(2) of whole records,
 * so a reader never sees half a record and rotation (which happens between
 * writes) never splits one.  A chunk that ends without a newline is logged as
 * a P record at once rather than held back: that keeps the log in step with
 * the output (prompts show up) at the cost of a P/F pair now and then.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim/shim.h"
#include "util.h"

/* Longest piece of one line in one record; longer lines become P records. */
#define LOG_CHUNK (64 * 1024)
#define LOG_REC_OVERHEAD 48
/* Formatting buffer: one write(2) of whole records each time it fills. */
#define LOG_BUF (512 * 1024 + LOG_CHUNK + LOG_REC_OVERHEAD)

void shim_format_time(char *out, size_t len)
{
	berth_rfc3339_now(out, len);
}

int shim_log_open(struct shim_log *log, const char *path, off_t max_size, int max_files,
		  berth_error_t *err)
{
	struct stat st;

	log->path = path;
	log->max_size = max_size;
	log->max_files = max_files < 1 ? 1 : max_files;
	log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (log->fd < 0)
		return berth_error_errno(err, errno, "open log `%s`", path);
	log->size = fstat(log->fd, &st) == 0 ? st.st_size : 0;
	log->last_sec = -1;
	return 0;
}

void shim_log_close(struct shim_log *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
	free(log->buf);
	log->buf = NULL;
}

/* log -> log.1 -> log.2 ...; the oldest beyond max_files is dropped. */
static int log_rotate(struct shim_log *log, berth_error_t *err)
{
	char from[4096], to[4096];

	for (int i = log->max_files; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", log->path);
		else
			snprintf(from, sizeof(from), "%s.%d", log->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", log->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			return berth_error_errno(err, errno, "rotate log `%s`", from);
	}
	close(log->fd);
	log->fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (log->fd < 0)
		return berth_error_errno(err, errno, "open log `%s`", log->path);
	log->size = 0;
	return 0;
}

static size_t log_stamp(struct shim_log *log, char *out)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != log->last_sec) {
		berth_utc(ts.tv_sec, &tm);
		strftime(log->sec_str, sizeof(log->sec_str), "%Y-%m-%dT%H:%M:%S", &tm);
		log->last_sec = ts.tv_sec;
	}
	return (size_t)sprintf(out, "%s.%09ldZ", log->sec_str, ts.tv_nsec);
}

static int log_flush(struct shim_log *log, size_t n, berth_error_t *err)
{
	if (n == 0)
		return 0;
	if (log->max_size > 0 && log->size > 0 && log->size + (off_t)n > log->max_size &&
	    log_rotate(log, err) < 0)
		return -1;
	if (berth_write_all(log->fd, log->buf, n) < 0)
		return berth_error_errno(err, errno, "write log `%s`", log->path);
	log->size += (off_t)n;
	return 0;
}

int shim_log_write(struct shim_log *log, const char *stream, const char *data, size_t len,
		   berth_error_t *err)
{
	char stamp[48];
	size_t slen, stream_len = strlen(stream), n = 0;

	if (log->fd < 0 || len == 0)
		return 0;
	if (log->buf == NULL) {
		log->buf = malloc(LOG_BUF);
		if (log->buf == NULL)
			return berth_error_errno(err, ENOMEM, "log `%s`", log->path);
	}
	slen = log_stamp(log, stamp);
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t line = nl ? (size_t)(nl - data) : len;
		size_t take = line;
		bool full = nl != NULL;
		size_t need;

		/* Records longer than the buffer are cut into P pieces. */
		if (take > LOG_CHUNK) {
			take = LOG_CHUNK;
			full = false;
		}
		need = slen + stream_len + take + 6;
		if (n + need > LOG_BUF) {
			if (log_flush(log, n, err) < 0)
				return -1;
			n = 0;
		}
		memcpy(log->buf + n, stamp, slen);
		n += slen;
		log->buf[n++] = ' ';
		memcpy(log->buf + n, stream, stream_len);
		n += stream_len;
		log->buf[n++] = ' ';
		log->buf[n++] = full ? 'F' : 'P';
		log->buf[n++] = ' ';
		memcpy(log->buf + n, data, take);
		n += take;
		log->buf[n++] = '\n';
		if (full)
			take++;
		data += take;
		len -= take;
	}
	return log_flush(log, n, err);
}
