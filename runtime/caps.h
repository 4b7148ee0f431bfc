/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux capabilities of the container process (runtime-spec
 * process.capabilities: bounding, effective, inheritable, permitted, ambient).
 *
 * Parse at the edge with berth_caps_parse(); the container process then
 * applies the sets in this exact order (runc's order; every step runs in the
 * container process, after the namespaces, mounts and pivot_root, and after
 * the seccomp filter when noNewPrivileges is false, see seccomp_filter.h):
 *
 *   1. berth_caps_drop_bounding(caps)   still uid 0 with CAP_SETPCAP: drops
 *                                       every capability not in "bounding"
 *   2. berth_caps_keep_on_setuid(true)  PR_SET_KEEPCAPS, so that the
 *                                       permitted set survives step 3
 *   3. setgroups/setgid/setuid          done by the runtime (process.user)
 *   4. berth_caps_keep_on_setuid(false) clear PR_SET_KEEPCAPS again
 *   5. berth_caps_apply(caps)           capset(effective, permitted,
 *                                       inheritable), then raise "ambient"
 *                                       (the only set that survives execve of
 *                                       a non-setuid binary for uid != 0)
 *   6. (noNewPrivileges) seccomp, then execve
 *
 * When process.capabilities is absent the process keeps what it has (runc);
 * berth_caps_parse() then returns caps with present == false and the apply
 * functions do nothing.  An absent list inside the object is an empty set.
 *
 * berth exec --cap NAME: parse the process, then
 * berth_caps_from_names() + berth_caps_add() (bounding, effective and
 * permitted; not inheritable, as runc since 1.1.2), then the same sequence.
 */
#ifndef BERTH_CAPS_H
#define BERTH_CAPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct berth_caps {
	bool present; /* process.capabilities was given */
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
	/*
	 * Names that are valid capabilities but above the running kernel's
	 * CAP_LAST_CAP: ignored (as runc does) and listed here, NULL-terminated;
	 * berth_caps_parse() warns once naming them all.  NULL when none.
	 */
	char **ignored;
};

/*
 * Parse process.capabilities (may be NULL: present == false).  Errors name
 * the set and the entry: `capabilities.bounding[2]: unknown capability
 * "CAP_FOO"`; wrong JSON types are errors too.
 */
int berth_caps_parse(json_t *capabilities, struct berth_caps **out, berth_error_t *err);
/* The same, with an explicit last capability (tests; the kernel's otherwise). */
int berth_caps_parse_last(json_t *capabilities, int last_cap, struct berth_caps **out,
			  berth_error_t *err);
void berth_caps_free(struct berth_caps *caps);
static inline void cleanup_capsp(struct berth_caps **c)
{
	berth_caps_free(*c);
}
#define cleanup_caps __attribute__((cleanup(cleanup_capsp)))

/*
 * Names ("CAP_NET_ADMIN", also accepted without the CAP_ prefix and in any
 * case, as runc's exec --cap) to a mask; unknown names are an error naming
 * them.  Names above the kernel's last capability are skipped silently.
 */
int berth_caps_from_names(const char *const *names, size_t n, uint64_t *mask, berth_error_t *err);
/*
 * exec --cap: add mask to the bounding, effective and permitted sets, and to
 * the ambient set where the process already has it inheritable; never to the
 * inheritable set (CVE-2022-29162).  Marks caps present.
 */
void berth_caps_add(struct berth_caps *caps, uint64_t mask);

/* "CAP_NET_ADMIN" for 12; NULL for numbers berth does not know. */
const char *berth_cap_name(int cap);
/* Highest capability number berth knows by name (CAP_CHECKPOINT_RESTORE). */
int berth_cap_max_known(void);
/* The running kernel's CAP_LAST_CAP (/proc/sys/kernel/cap_last_cap). */
int berth_cap_last(void);

/* Step 1: PR_CAPBSET_DROP for every capability not in caps->bounding. */
int berth_caps_drop_bounding(const struct berth_caps *caps, berth_error_t *err);
/* Steps 2 and 4: PR_SET_KEEPCAPS on/off around the runtime's setuid. */
int berth_caps_keep_on_setuid(bool keep, berth_error_t *err);
/* Step 5: capset the three sets, then clear and raise the ambient set. */
int berth_caps_apply(const struct berth_caps *caps, berth_error_t *err);

#endif
