/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth's one error type, shared by runtime, shim, storage, netplugins and
 * orchestrator.
 *
 * Every fallible function returns a negative value on failure and fills a
 * berth_error_t.  Callers add context with berth_error_wrap() and pass the
 * negative value up; the binary's main() prints the message once.
 *
 *   if (mount(...) < 0)
 *           return berth_error_errno(err, errno, "mount `%s` to `%s`", src, dst);
 *   ...
 *   if (ret < 0)
 *           return berth_error_wrap(err, "create `%s`", id);
 *
 * The message then reads: create `web`: mount `/data` to `/srv`: No such file or directory
 */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>
#include <stdio.h>

struct berth_error {
	int errnum; /* errno of the root cause, 0 when there is none */
	int code;   /* optional domain code (CNI error code, exit status, ...) */
	char *msg;  /* full message, context first */
};
typedef struct berth_error *berth_error_t;

/* Set *err (releasing any earlier error); returns -1 (or -errnum when errnum > 0). */
int berth_error(berth_error_t *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with the strerror(errnum) text appended after ": ". */
int berth_error_errno(berth_error_t *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int berth_error_verrno(berth_error_t *err, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Prefix the existing message with context ("context: message"). */
int berth_error_wrap(berth_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void berth_error_release(berth_error_t *err);
/* Print "prog: message" to stream, and release the error. */
void berth_error_print(FILE *stream, const char *prog, berth_error_t *err);
/* Return the value a failing function returns for this error (negative). */
int berth_error_ret(const berth_error_t *err);

#endif
