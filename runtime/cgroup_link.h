/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime's one link to the cgroup module (cgroup.h).  Until the
 * module's implementation is in the tree its functions are weak references:
 * berth_cgroup_available() is then false and containers get no cgroup.
 * Dropping the pragmas below is the whole integration.
 */
#ifndef BERTH_CGROUP_LINK_H
#define BERTH_CGROUP_LINK_H

#include <stdbool.h>

#include "cgroup.h"

#ifdef BERTH_CGROUP_WEAK
#pragma weak berth_cgroup_resources_parse
#pragma weak berth_cgroup_resources_free
#pragma weak berth_cgroup_create
#pragma weak berth_cgroup_enter
#pragma weak berth_cgroup_kill
#pragma weak berth_cgroup_freeze
#pragma weak berth_cgroup_destroy
#pragma weak berth_cgroup_to_json
#pragma weak berth_cgroup_from_json
#pragma weak berth_cgroup_free
#pragma weak berth_cgroup_mount
#endif

static inline bool berth_cgroup_available(void)
{
#ifdef BERTH_CGROUP_WEAK
	return berth_cgroup_create != NULL && berth_cgroup_from_json != NULL;
#else
	return true;
#endif
}

#endif
