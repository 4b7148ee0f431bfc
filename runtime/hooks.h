/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OCI hooks: each runs with the container state JSON on stdin, one after the other. */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include "config.h"
#include "error.h"

const char *berth_hook_stage_name(enum berth_hook_stage s);

/*
 * Run the hooks of one stage in order; stop at the first that fails (exit
 * status not 0, killed, or still running after its timeout: it is then
 * killed).  Errors: `prestart hook `/bin/x`: exited with status 3`.
 */
int berth_hooks_run(const struct berth_config *cfg, enum berth_hook_stage s, const char *state,
		    berth_error_t *err);

#endif
