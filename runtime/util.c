/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t berth_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t berth_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int berth_read_file_at(int dirfd, const char *path, char **out, size_t *len, berth_error_t *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t size = 0, cap = 0;

	if (fd < 0)
		return berth_error_errno(err, errno, "open `%s`", path);
	for (;;) {
		ssize_t n;

		if (cap - size < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nbuf = realloc(buf, ncap);
			if (nbuf == NULL)
				return berth_error_errno(err, ENOMEM, "read `%s`", path);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + size, cap - size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_errno(err, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	buf[size] = '\0';
	if (len)
		*len = size;
	*out = steal_pointer(&buf);
	return 0;
}

int berth_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool sync,
			    berth_error_t *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;

	if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
		return berth_error_errno(err, ENOMEM, "write `%s`", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return berth_error_errno(err, errno, "create `%s`", tmp);
	if (berth_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		int e = errno;
		unlink(tmp);
		return berth_error_errno(err, e, "write `%s`", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return berth_error_errno(err, e, "rename `%s` to `%s`", tmp, path);
	}
	return 0;
}

int berth_write_file(const char *path, const char *data, berth_error_t *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(data);

	if (fd < 0)
		return berth_error_errno(err, errno, "open `%s`", path);
	if (write(fd, data, len) != (ssize_t)len)
		return berth_error_errno(err, errno ? errno : EIO, "write `%s` to `%s`", data, path);
	return 0;
}

int berth_mkdir_p(const char *path, mode_t mode, berth_error_t *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return berth_error(err, ENAMETOOLONG, "mkdir `%s`: invalid path length", path);
	/* mostly it is there already, or only the last component is missing */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "mkdir `%s`", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir `%s`", buf);
	return 0;
}

int berth_json_load_file(const char *path, json_t **out, berth_error_t *err)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL) {
		if (jerr.line < 0)
			return berth_error(err, ENOENT, "`%s`: %s", path, jerr.text);
		return berth_error(err, EINVAL, "`%s`:%d:%d: %s", path, jerr.line, jerr.column,
				   jerr.text);
	}
	*out = j;
	return 0;
}

/*
 * The civil date of a day count since 1970-01-01 (proleptic Gregorian, in
 * 400-year eras of 146097 days, each year starting on March 1st so that the
 * leap day comes last).
 */
static void civil_from_days(long long days, long long *year, unsigned *month, unsigned *day)
{
	long long z = days + 719468; /* days since 0000-03-01 */
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                            /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                      /* March = 0 */

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (long long)yoe + era * 400 + (*month <= 2);
}

void berth_utc(time_t t, struct tm *tm)
{
	long long days = t / 86400, year;
	long long secs = t % 86400;
	unsigned month, day;

	if (secs < 0) {
		days--;
		secs += 86400;
	}
	civil_from_days(days, &year, &month, &day);
	*tm = (struct tm){ .tm_year = (int)(year - 1900), .tm_mon = (int)month - 1, .tm_mday = (int)day,
			   .tm_hour = (int)(secs / 3600), .tm_min = (int)(secs / 60 % 60),
			   .tm_sec = (int)(secs % 60), .tm_wday = (int)((days % 7 + 11) % 7) };
}

void berth_rfc3339_now(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	berth_utc(ts.tv_sec, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}
