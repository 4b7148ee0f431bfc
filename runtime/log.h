/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime's log (runc's --log, --log-format, --debug).  main() calls
 * berth_log_setup() once with the global options; library code then calls
 * berth_log_debug() at its steps and berth_log_warn() for things it ignores.
 *
 * Lines go to the --log file (O_APPEND, one write(2) per line), opened for
 * each line; with --debug it is kept open (close-on-exec, fd >= 100) so
 * that the container process still reaches it after pivot_root.  A line
 * that cannot be written is dropped.
 *   text: time="2006-01-02T15:04:05.000000000Z" level=debug msg="..."
 *   json: {"level":"debug","msg":"...","time":"..."}
 * Debug lines only with --debug; warnings and errors also go to stderr as
 * "berth: warning: ..." (errors are printed by main()).  Without setup
 * (unit tests, other binaries) only warnings are printed, on stderr.
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include <stdbool.h>

enum berth_log_level { BERTH_LOG_ERROR, BERTH_LOG_WARN, BERTH_LOG_DEBUG };

/* path: NULL for stderr only; json: --log-format json.  The strings are borrowed. */
void berth_log_setup(const char *path, bool json, bool debug);
bool berth_log_debug_enabled(void);
/* One line to the log file (not to stderr). */
void berth_log_line(enum berth_log_level level, const char *msg);
void berth_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void berth_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
