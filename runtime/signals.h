/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signal names and numbers as `berth kill` accepts them. */
#ifndef BERTH_SIGNALS_H
#define BERTH_SIGNALS_H

#include "error.h"

/*
 * "KILL", "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1" to a signal number.
 * Errors: `unknown signal "FOO"`.
 */
int berth_signal_parse(const char *s, int *sig, berth_error_t *err);

#endif
