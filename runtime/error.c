/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int error_set(berth_error_t *err, int errnum, char *msg)
{
	if (err == NULL) {
		free(msg);
		return errnum > 0 ? -errnum : -1;
	}
	berth_error_release(err);
	*err = calloc(1, sizeof(**err));
	if (*err == NULL) {
		free(msg);
		return -ENOMEM;
	}
	(*err)->errnum = errnum;
	(*err)->msg = msg ? msg : strdup("out of memory");
	return errnum > 0 ? -errnum : -1;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int berth_error_verrno(berth_error_t *err, int errnum, const char *fmt, va_list ap)
{
	char *base = vformat(fmt, ap);
	char *msg = NULL;

	if (base && errnum > 0) {
		if (asprintf(&msg, "%s: %s", base, strerror(errnum)) < 0)
			msg = NULL;
		free(base);
	} else {
		msg = base;
	}
	return error_set(err, errnum, msg);
}

int berth_error(berth_error_t *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	return error_set(err, errnum, msg);
}

int berth_error_errno(berth_error_t *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = berth_error_verrno(err, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

int berth_error_wrap(berth_error_t *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg = NULL;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	ctx = vformat(fmt, ap);
	va_end(ap);
	if (ctx && asprintf(&msg, "%s: %s", ctx, (*err)->msg) >= 0) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(ctx);
	return berth_error_ret(err);
}

int berth_error_ret(const berth_error_t *err)
{
	if (err == NULL || *err == NULL)
		return -1;
	return (*err)->errnum > 0 ? -(*err)->errnum : -1;
}

void berth_error_release(berth_error_t *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

void berth_error_print(FILE *stream, const char *prog, berth_error_t *err)
{
	if (err == NULL || *err == NULL)
		return;
	fprintf(stream, "%s: %s\n", prog, (*err)->msg);
	berth_error_release(err);
}
