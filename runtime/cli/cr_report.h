/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What checkpoint and restore share (runtime/cli/restore.c). */
#ifndef BERTH_CLI_CR_REPORT_H
#define BERTH_CLI_CR_REPORT_H

#include <stdbool.h>

/* The numbers of a checkpoint or restore: to stderr with --debug, to WORK/NAME with --work-path. */
void berth_cli_cr_report(const char *text, bool debug, const char *work, const char *name);

#endif
