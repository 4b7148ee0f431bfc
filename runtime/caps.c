/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

/*
 * berth's own table rather than cap_from_name(): the names must not depend
 * on the libcap build, and `berth features` lists exactly these.
 */
static const char *const cap_names[] = {
	"CAP_CHOWN",		"CAP_DAC_OVERRIDE",	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",		"CAP_FSETID",		"CAP_KILL",
	"CAP_SETGID",		"CAP_SETUID",		"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",	"CAP_NET_RAW",		"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",	"CAP_SYS_MODULE",	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",	"CAP_SYS_PTRACE",	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",	"CAP_SYS_BOOT",		"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",	"CAP_SYS_TIME",		"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",		"CAP_LEASE",		"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",	"CAP_SETFCAP",		"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",	"CAP_SYSLOG",		"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",	"CAP_AUDIT_READ",	"CAP_PERFMON",
	"CAP_BPF",		"CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

static const char *const set_names[] = { "bounding", "effective", "inheritable", "permitted",
					 "ambient" };

const char *berth_cap_name(int cap)
{
	return cap >= 0 && cap < N_CAPS ? cap_names[cap] : NULL;
}

int berth_cap_max_known(void)
{
	return N_CAPS - 1;
}

int berth_cap_last(void)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	char *end;
	long v;

	if (berth_read_file("/proc/sys/kernel/cap_last_cap", &buf, &len, NULL) == 0) {
		v = strtol(buf, &end, 10);
		if (end != buf && v >= 0 && v < 64)
			return (int)v;
	}
	/* No /proc (inside a container without it): ask the kernel through libcap. */
	return (int)cap_max_bits() - 1;
}

/* Exact spec name ("CAP_NET_ADMIN") to its number; -1 when unknown. */
static int cap_lookup_exact(const char *name)
{
	for (int i = 0; i < N_CAPS; i++)
		if (strcmp(cap_names[i], name) == 0)
			return i;
	return -1;
}

/* Lenient lookup for the command line: any case, CAP_ prefix optional. */
static int cap_lookup_lenient(const char *name)
{
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;

	for (int i = 0; i < N_CAPS; i++)
		if (strcasecmp(cap_names[i] + 4, bare) == 0)
			return i;
	return -1;
}

void berth_caps_free(struct berth_caps *caps)
{
	if (caps == NULL)
		return;
	cleanup_strvp(&caps->ignored);
	free(caps);
}

static int note_ignored(struct berth_caps *caps, const char *name, berth_error_t *err)
{
	size_t n = 0;
	char **v;

	for (; caps->ignored && caps->ignored[n]; n++)
		if (strcmp(caps->ignored[n], name) == 0)
			return 0;
	v = realloc(caps->ignored, (n + 2) * sizeof(*v));
	if (v == NULL)
		return berth_error_errno(err, ENOMEM, "capabilities");
	caps->ignored = v;
	v[n] = strdup(name);
	v[n + 1] = NULL;
	if (v[n] == NULL)
		return berth_error_errno(err, ENOMEM, "capabilities");
	return 0;
}

static int parse_set(struct berth_caps *caps, json_t *list, const char *set, int last_cap,
		     uint64_t *mask, berth_error_t *err)
{
	size_t i;
	json_t *v;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return berth_error(err, EINVAL, "process.capabilities.%s: expected an array of strings",
				   set);
	json_array_foreach(list, i, v) {
		const char *name = json_string_value(v);
		int cap;

		if (name == NULL)
			return berth_error(err, EINVAL,
					   "process.capabilities.%s[%zu]: expected a string", set, i);
		cap = cap_lookup_exact(name);
		if (cap < 0)
			return berth_error(err, EINVAL,
					   "process.capabilities.%s[%zu]: unknown capability \"%s\"",
					   set, i, name);
		if (cap > last_cap) {
			if (note_ignored(caps, name, err) < 0)
				return -1;
			continue;
		}
		*mask |= UINT64_C(1) << cap;
	}
	return 0;
}

int berth_caps_parse_last(json_t *capabilities, int last_cap, struct berth_caps **out,
			  berth_error_t *err)
{
	struct berth_caps *caps cleanup_caps = calloc(1, sizeof(*caps));
	uint64_t *masks[5];

	if (caps == NULL)
		return berth_error_errno(err, ENOMEM, "process.capabilities");
	masks[0] = &caps->bounding;
	masks[1] = &caps->effective;
	masks[2] = &caps->inheritable;
	masks[3] = &caps->permitted;
	masks[4] = &caps->ambient;
	if (capabilities != NULL && !json_is_null(capabilities)) {
		if (!json_is_object(capabilities))
			return berth_error(err, EINVAL, "process.capabilities: expected an object");
		caps->present = true;
		for (int s = 0; s < 5; s++)
			if (parse_set(caps, json_object_get(capabilities, set_names[s]), set_names[s],
				      last_cap, masks[s], err) < 0)
				return berth_error_ret(err);
	}
	*out = steal_pointer(&caps);
	return 0;
}

int berth_caps_parse(json_t *capabilities, struct berth_caps **out, berth_error_t *err)
{
	cleanup_free char *names = NULL;
	size_t len = 0;
	FILE *f;

	if (berth_caps_parse_last(capabilities, berth_cap_last(), out, err) < 0)
		return -1;
	if ((*out)->ignored == NULL)
		return 0;
	/* One line naming them all, as runc: the container runs without them. */
	f = open_memstream(&names, &len);
	if (f == NULL)
		return 0;
	for (size_t i = 0; (*out)->ignored[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", (*out)->ignored[i]);
	if (fclose(f) == 0)
		berth_log_warn("ignoring capabilities this kernel does not know (last is %s): %s",
			       berth_cap_name(berth_cap_last()) ? berth_cap_name(berth_cap_last())
								: "?",
			       names);
	return 0;
}

int berth_caps_from_names(const char *const *names, size_t n, uint64_t *mask, berth_error_t *err)
{
	int last = berth_cap_last();
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++) {
		int cap = cap_lookup_lenient(names[i]);

		if (cap < 0)
			return berth_error(err, EINVAL, "unknown capability \"%s\"", names[i]);
		if (cap <= last)
			m |= UINT64_C(1) << cap;
	}
	*mask = m;
	return 0;
}

void berth_caps_add(struct berth_caps *caps, uint64_t mask)
{
	caps->present = true;
	caps->bounding |= mask;
	caps->effective |= mask;
	caps->permitted |= mask;
	/*
	 * Never the inheritable set (CVE-2022-29162: programs with inheritable
	 * file capabilities would gain them at execve); ambient only where the
	 * process already has the capability inheritable, the one case the
	 * kernel can raise it.
	 */
	caps->ambient |= mask & caps->inheritable;
}

int berth_caps_drop_bounding(const struct berth_caps *caps, berth_error_t *err)
{
	if (!caps || !caps->present)
		return 0;
	/*
	 * Every number, not only up to berth_cap_last(): the kernel answers
	 * EINVAL above its last capability, and a /proc that says less than
	 * the kernel has cannot leave a capability in the bounding set.  The
	 * first EINVAL is that end: every number above it is invalid too.
	 */
	for (int c = 0; c < 64; c++) {
		if (caps->bounding & (UINT64_C(1) << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			return berth_error_errno(err, errno, "drop %s from the bounding set",
						 berth_cap_name(c) ? berth_cap_name(c) : "capability");
		}
	}
	return 0;
}

int berth_caps_keep_on_setuid(bool keep, berth_error_t *err)
{
	if (prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0) < 0)
		return berth_error_errno(err, errno, "prctl(PR_SET_KEEPCAPS, %d)", keep ? 1 : 0);
	return 0;
}

static void cleanup_cap_tp(cap_t *c)
{
	if (*c)
		cap_free(*c);
}

static int fill_flag(cap_t c, cap_flag_t flag, uint64_t mask, int last)
{
	for (int i = 0; i <= last && i < 64; i++) {
		cap_value_t v = i;

		if ((mask & (UINT64_C(1) << i)) && cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
			return -1;
	}
	return 0;
}

int berth_caps_apply(const struct berth_caps *caps, berth_error_t *err)
{
	__attribute__((cleanup(cleanup_cap_tp))) cap_t c = NULL;
	int last = berth_cap_last();

	if (!caps || !caps->present)
		return 0;
	c = cap_init();
	if (c == NULL)
		return berth_error_errno(err, errno, "capabilities");
	if (fill_flag(c, CAP_EFFECTIVE, caps->effective, last) < 0 ||
	    fill_flag(c, CAP_PERMITTED, caps->permitted, last) < 0 ||
	    fill_flag(c, CAP_INHERITABLE, caps->inheritable, last) < 0)
		return berth_error_errno(err, errno, "capabilities");
	if (cap_set_proc(c) < 0)
		return berth_error_errno(err, errno,
					 "set capabilities (effective %#llx, permitted %#llx, "
					 "inheritable %#llx)",
					 (unsigned long long)caps->effective,
					 (unsigned long long)caps->permitted,
					 (unsigned long long)caps->inheritable);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return berth_error_errno(err, errno, "clear the ambient capabilities");
	for (int i = 0; i <= last && i < 64; i++) {
		if (!(caps->ambient & (UINT64_C(1) << i)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return berth_error_errno(err, errno,
						 "raise ambient capability %s (it must be permitted "
						 "and inheritable)",
						 berth_cap_name(i) ? berth_cap_name(i) : "?");
	}
	return 0;
}
