/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Image config -> OCI runtime config.json, following the conversion rules of
 * the OCI image spec (conversion.md): args = Entrypoint + Cmd, Env, cwd,
 * user (names resolved in the container's own /etc/passwd and /etc/group),
 * labels as annotations.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/internal.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_t *default_caps(void)
{
	static const char *const caps[] = {
		"CAP_CHOWN",	    "CAP_DAC_OVERRIDE", "CAP_FSETID",	"CAP_FOWNER",
		"CAP_MKNOD",	    "CAP_NET_RAW",	"CAP_SETGID",	"CAP_SETUID",
		"CAP_SETFCAP",	    "CAP_SETPCAP",	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
		"CAP_KILL",	    "CAP_AUDIT_WRITE",
	};
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		json_array_append_new(a, json_string(caps[i]));
	return a;
}

/* The parts of `runc spec` a container from an image needs. */
static json_t *base_config(void)
{
	json_t *caps = default_caps();

	return json_pack(
		"{s:s, s:{s:b, s:{s:i, s:i}, s:[], s:[], s:s, s:{s:O, s:O, s:O, s:o}, s:[{s:s, s:i, s:i}], s:b},"
		" s:{s:s, s:b}, s:s,"
		" s:[{s:s,s:s,s:s}, {s:s,s:s,s:s,s:[s,s,s,s]}, {s:s,s:s,s:s,s:[s,s,s,s,s,s]},"
		"    {s:s,s:s,s:s,s:[s,s,s,s,s]}, {s:s,s:s,s:s,s:[s,s,s]}, {s:s,s:s,s:s,s:[s,s,s,s]},"
		"    {s:s,s:s,s:s,s:[s,s,s,s,s]}],"
		" s:{s:[{s:s},{s:s},{s:s},{s:s},{s:s},{s:s}],"
		"    s:[s,s,s,s,s,s,s,s,s,s], s:[s,s,s,s,s,s]},"
		" s:{}}",
		"ociVersion", "1.1.0", "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args",
		"env", "cwd", "/", "capabilities", "bounding", caps, "effective", caps, "permitted",
		caps, "ambient", caps, "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
		"noNewPrivileges", 1, "root", "path", "rootfs", "readonly", 0, "hostname", "berth",
		"mounts", "destination", "/proc", "type", "proc", "source", "proc", "destination",
		"/dev", "type", "tmpfs", "source", "tmpfs", "options", "nosuid", "strictatime",
		"mode=755", "size=65536k", "destination", "/dev/pts", "type", "devpts", "source",
		"devpts", "options", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
		"gid=5", "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options",
		"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", "destination", "/dev/mqueue",
		"type", "mqueue", "source", "mqueue", "options", "nosuid", "noexec", "nodev",
		"destination", "/sys", "type", "sysfs", "source", "sysfs", "options", "nosuid",
		"noexec", "nodev", "ro", "destination", "/sys/fs/cgroup", "type", "cgroup", "source",
		"cgroup", "options", "nosuid", "noexec", "nodev", "relatime", "ro", "linux",
		"namespaces", "type", "pid", "type", "network", "type", "ipc", "type", "uts", "type",
		"mount", "type", "cgroup", "maskedPaths", "/proc/acpi", "/proc/asound", "/proc/kcore",
		"/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/sys/firmware", "/proc/scsi", "readonlyPaths", "/proc/bus",
		"/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", "/sys/fs/cgroup",
		"annotations");
}

/* Look name up in a passwd/group style file; field 2 is the ID, field 3 the primary GID. */
static int db_lookup(const char *rootfs, const char *file, const char *name, long *id, long *gid)
{
	cleanup_free char *path = NULL, *buf = NULL;
	char *save = NULL;

	if (rootfs == NULL || asprintf(&path, "%s/etc/%s", rootfs, file) < 0 ||
	    berth_read_file(path, &buf, NULL, NULL) < 0)
		return -1;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { 0 };
		char *p = line;
		for (int i = 0; i < 4 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (f[0] && f[2] && strcmp(f[0], name) == 0) {
			*id = strtol(f[2], NULL, 10);
			if (gid)
				*gid = f[3] ? strtol(f[3], NULL, 10) : 0;
			return 0;
		}
	}
	return -1;
}

static bool is_number(const char *s)
{
	return s[0] && strspn(s, "0123456789") == strlen(s);
}

static int resolve_user(const char *spec, const char *rootfs, json_t *user, berth_error_t *err)
{
	cleanup_free char *copy = strdup(spec ? spec : "");
	char *u, *g;
	long uid = 0, gid = 0, pgid = 0;

	if (copy == NULL)
		return berth_error_errno(err, ENOMEM, "user");
	u = copy;
	g = strchr(copy, ':');
	if (g)
		*g++ = '\0';
	if (u[0] == '\0') {
		uid = 0;
	} else if (is_number(u)) {
		uid = strtol(u, NULL, 10);
	} else if (db_lookup(rootfs, "passwd", u, &uid, &pgid) < 0) {
		return berth_error(err, ENOENT, "user `%s`: not found in the image's /etc/passwd", u);
	}
	if (g == NULL || g[0] == '\0')
		gid = pgid;
	else if (is_number(g))
		gid = strtol(g, NULL, 10);
	else if (db_lookup(rootfs, "group", g, &gid, NULL) < 0)
		return berth_error(err, ENOENT, "group `%s`: not found in the image's /etc/group", g);
	json_object_set_new(user, "uid", json_integer(uid));
	json_object_set_new(user, "gid", json_integer(gid));
	return 0;
}

/* Env: image first, overrides replace by key ("K" alone removes). */
static json_t *merge_env(char *const *image_env, char *const *over)
{
	json_t *env = json_array();
	bool has_path = false;
	json_t *e;
	size_t i;

	for (size_t k = 0; image_env && image_env[k]; k++)
		json_array_append_new(env, json_string(image_env[k]));
	for (size_t k = 0; over && over[k]; k++) {
		const char *eq = strchr(over[k], '=');
		size_t kl = eq ? (size_t)(eq - over[k]) : strlen(over[k]);
		for (i = json_array_size(env); i-- > 0;) {
			const char *s = json_string_value(json_array_get(env, i));
			if (strncmp(s, over[k], kl) == 0 && s[kl] == '=')
				json_array_remove(env, i);
		}
		if (eq)
			json_array_append_new(env, json_string(over[k]));
	}
	json_array_foreach(env, i, e) {
		if (strncmp(json_string_value(e), "PATH=", 5) == 0)
			has_path = true;
	}
	if (!has_path)
		json_array_insert_new(env, 0, json_string(DEFAULT_PATH));
	return env;
}

/* annotations[key] = the items of v joined with ","; nothing when v is empty. */
static int set_joined(json_t *annotations, const char *key, char *const *v)
{
	size_t len = 0;
	char *buf, *p;

	if (v[0] == NULL)
		return 0;
	for (size_t i = 0; v[i]; i++)
		len += strlen(v[i]) + 1;
	buf = malloc(len);
	if (buf == NULL)
		return -1;
	p = buf;
	for (size_t i = 0; v[i]; i++)
		p += sprintf(p, "%s%s", i ? "," : "", v[i]);
	json_object_set_new(annotations, key, json_string(buf));
	free(buf);
	return 0;
}

int storage_image_runtime_config(const struct storage_image *img,
				 const struct storage_runtime_overrides *ov, json_t **config,
				 berth_error_t *err)
{
	static const struct storage_runtime_overrides none;
	const struct storage_image_config *c = &img->cfg;
	const char *name = img->name ? img->name : img->id;
	cleanup_json json_t *cfg = base_config();
	json_t *process, *args, *ann;
	char *const *ep;
	char *const *cmd;

	if (ov == NULL)
		ov = &none;
	if (cfg == NULL)
		return berth_error_errno(err, ENOMEM, "image `%s`: runtime config", name);
	process = json_object_get(cfg, "process");
	ann = json_object_get(cfg, "annotations");

	ep = ov->entrypoint ? ov->entrypoint : c->entrypoint;
	if (ov->entrypoint && ov->entrypoint[0] && ov->entrypoint[0][0] == '\0' && !ov->entrypoint[1])
		ep = NULL; /* --entrypoint "" */
	/* a new entrypoint drops the image's Cmd, as docker does */
	cmd = ov->args ? ov->args : (ov->entrypoint ? NULL : c->cmd);
	args = json_object_get(process, "args");
	for (size_t i = 0; ep && ep[i]; i++)
		json_array_append_new(args, json_string(ep[i]));
	for (size_t i = 0; cmd && cmd[i]; i++)
		json_array_append_new(args, json_string(cmd[i]));
	if (json_array_size(args) == 0)
		return berth_error(err, EINVAL, "image `%s`: no command (no Entrypoint or Cmd) given",
				   name);
	json_object_set_new(process, "env", merge_env(c->env, ov->env));
	json_object_set_new(process, "cwd",
			    json_string(ov->workdir ? ov->workdir :
					c->working_dir ? c->working_dir : "/"));
	json_object_set_new(process, "terminal", json_boolean(ov->terminal));
	if (resolve_user(ov->user ? ov->user : c->user, ov->rootfs,
			 json_object_get(process, "user"), err) < 0)
		return berth_error_wrap(err, "image `%s`", name);
	if (ov->hostname)
		json_object_set_new(cfg, "hostname", json_string(ov->hostname));
	json_object_set_new(json_object_get(cfg, "root"), "path",
			    json_string(ov->rootfs ? ov->rootfs : "rootfs"));
	json_object_set_new(json_object_get(cfg, "root"), "readonly", json_boolean(ov->read_only));

	for (size_t i = 0; c->labels[i]; i++) {
		cleanup_free char *k = strdup(c->labels[i]);
		char *eq = k ? strchr(k, '=') : NULL;
		if (eq) {
			*eq = '\0';
			json_object_set_new(ann, k, json_string(eq + 1));
		}
	}
	if (set_joined(ann, "org.opencontainers.image.exposedPorts", c->exposed_ports) < 0 ||
	    set_joined(ann, "org.opencontainers.image.volumes", c->volumes) < 0)
		return berth_error_errno(err, ENOMEM, "runtime config");
	if (c->stop_signal)
		json_object_set_new(ann, "org.opencontainers.image.stopSignal",
				    json_string(c->stop_signal));
	if (c->os)
		json_object_set_new(ann, "org.opencontainers.image.os", json_string(c->os));
	if (c->architecture)
		json_object_set_new(ann, "org.opencontainers.image.architecture",
				    json_string(c->architecture));
	if (img->name)
		json_object_set_new(ann, "org.opencontainers.image.ref.name", json_string(img->name));
	json_object_set_new(ann, "org.opencontainers.image.digest", json_string(img->digest));
	*config = steal_pointer(&cfg);
	return 0;
}
