/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The options create and run share (runtime/cli/create.c). */
#ifndef BERTH_CLI_CREATE_OPTS_H
#define BERTH_CLI_CREATE_OPTS_H

#include <stdbool.h>

#include "error.h"
#include "linux.h"

/* detach/keep NULL: the verb has no such option. */
int berth_cli_create_opts(const char *verb, int argc, char **argv, struct berth_create_opts *o,
			  bool *detach, bool *keep, berth_error_t *err);

#endif
