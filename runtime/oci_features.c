/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "oci_features.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "seccomp_filter.h"
#include "util.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

static const char *const hooks[] = { "prestart",	"createRuntime", "createContainer",
				     "startContainer", "poststart",	"poststop" };

/*
 * The options berth's mount code (runtime/config.c) translates into mount
 * flags and propagation, plus "tmpcopyup" (tmpfs only: the new tmpfs starts
 * with a copy of the directory it covers, runtime/mount.c); anything else
 * goes to the filesystem as data.  tests/security/unit-features.c checks
 * that each one is understood.
 */
static const char *const mount_options[] = {
	"async",    "atime",	   "bind",	   "dev",	  "diratime",	 "dirsync",
	"exec",	    "lazytime",	   "loud",	   "mand",	  "noatime",	 "nodev",
	"nodiratime", "noexec",	   "nolazytime",   "nomand",	  "norelatime",	 "nostrictatime",
	"nosuid",   "private",	   "rbind",	   "relatime",	  "remount",	 "ro",
	"rprivate", "rshared",	   "rslave",	   "runbindable", "rw",		 "shared",
	"silent",   "slave",	   "strictatime",  "suid",	  "sync",	 "tmpcopyup",
	"unbindable",
};

/*
 * Idmapped mounts need the kernel (mount_setattr(2)) and berth's mount code;
 * the latter refuses the "idmap" option for now, so this stays off until it
 * translates it.
 */
static const bool idmap_mounts_implemented = false;

static const char *const namespaces[][2] = {
	/* runtime-spec name, /proc/self/ns entry */
	{ "cgroup", "cgroup" }, { "ipc", "ipc" },   { "mount", "mnt" }, { "network", "net" },
	{ "pid", "pid" },	{ "user", "user" }, { "uts", "uts" },	{ "time", "time" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *enabled(int on)
{
	return json_pack("{s:b}", "enabled", on);
}

/* Idmapped mounts: mount_setattr(2) exists (it fails on the bad fd, not with ENOSYS). */
static int kernel_has_idmap(void)
{
	return syscall(SYS_mount_setattr, -1, "", 0, NULL, (size_t)0) < 0 && errno != ENOSYS;
}

int berth_features(json_t **out, berth_error_t *err)
{
	json_t *f cleanup_json = NULL;
	json_t *ns = json_array(), *caps = json_array(), *sc = berth_seccomp_features();
	const struct scmp_version *v = seccomp_version();
	char libseccomp[32] = "";

	if (v)
		snprintf(libseccomp, sizeof(libseccomp), "%u.%u.%u", v->major, v->minor, v->micro);
	for (size_t i = 0; ns && i < ARRAY_SIZE(namespaces); i++) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/self/ns/%s", namespaces[i][1]);
		if (access(path, F_OK) == 0)
			json_array_append_new(ns, json_string(namespaces[i][0]));
	}
	for (int c = 0; caps && c <= berth_cap_max_known(); c++)
		json_array_append_new(caps, json_string(berth_cap_name(c)));

	f = json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:o,"
		      " s:o, s:o, s:{s:o}}, s:{s:s}}",
		      "ociVersionMin", BERTH_OCI_VERSION_MIN, "ociVersionMax", BERTH_OCI_VERSION,
		      "hooks", strings(hooks, ARRAY_SIZE(hooks)), "mountOptions",
		      strings(mount_options, ARRAY_SIZE(mount_options)), "linux", "namespaces", ns,
		      "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser",
		      0, "rdma", 0, "seccomp", sc, "apparmor", enabled(0), "selinux", enabled(0),
		      "intelRdt", enabled(0), "mountExtensions", "idmap",
		      enabled(idmap_mounts_implemented && kernel_has_idmap()),
		      "annotations", "io.github.seccomp.libseccomp.version", libseccomp);
	if (f == NULL)
		return berth_error(err, ENOMEM, "features: build the document");
	*out = steal_pointer(&f);
	return 0;
}
