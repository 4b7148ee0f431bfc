/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

static const struct {
	const char *name;      /* config.json */
	const char *proc_name; /* /proc/<pid>/ns/ */
	int flag;
} ns_table[BERTH_NS_COUNT] = {
	[BERTH_NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[BERTH_NS_NET] = { "network", "net", CLONE_NEWNET },
	[BERTH_NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
	[BERTH_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[BERTH_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[BERTH_NS_USER] = { "user", "user", CLONE_NEWUSER },
	[BERTH_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[BERTH_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *berth_ns_name(enum berth_ns_type t)
{
	return ns_table[t].name;
}

int berth_ns_flag(enum berth_ns_type t)
{
	return ns_table[t].flag;
}

const char *berth_ns_proc_name(enum berth_ns_type t)
{
	return ns_table[t].proc_name;
}

/* ---- typed accessors: every error names the field ------------------------ */

static int type_error(berth_error_t *err, const char *where, const char *key, const char *want)
{
	return berth_error(err, EINVAL, "%s%s%s: expected %s", where, *where ? "." : "", key, want);
}

/* json_t member of the wanted type; *out NULL when absent (or null) and not required. */
static int get_member(json_t *obj, const char *where, const char *key, json_type type,
		      const char *want, bool required, json_t **out, berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return berth_error(err, EINVAL, "%s%s%s: missing required field", where,
					   *where ? "." : "", key);
		return 0;
	}
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v)))
		return type_error(err, where, key, want);
	*out = v;
	return 0;
}

static int get_string(json_t *obj, const char *where, const char *key, bool required, char **out,
		      berth_error_t *err)
{
	json_t *v;

	if (get_member(obj, where, key, JSON_STRING, "string", required, &v, err) < 0)
		return -1;
	if (v == NULL)
		return 0;
	*out = strdup(json_string_value(v));
	return *out ? 0 : berth_error_errno(err, ENOMEM, "%s.%s", where, key);
}

static int get_bool(json_t *obj, const char *where, const char *key, bool *out, berth_error_t *err)
{
	json_t *v;

	if (get_member(obj, where, key, JSON_TRUE, "boolean", false, &v, err) < 0)
		return -1;
	if (v)
		*out = json_is_true(v);
	return 0;
}

static int get_int(json_t *obj, const char *where, const char *key, bool required, int64_t min,
		   int64_t max, int64_t *out, bool *present, berth_error_t *err)
{
	json_t *v;

	if (get_member(obj, where, key, JSON_INTEGER, "integer", required, &v, err) < 0)
		return -1;
	if (present)
		*present = v != NULL;
	if (v == NULL)
		return 0;
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return berth_error(err, ERANGE, "%s.%s: %lld is out of range", where, key,
				   (long long)*out);
	return 0;
}

/* uint64 fields (rlimits) may exceed INT64_MAX in JSON; jansson then fails to parse,
 * so values up to INT64_MAX are accepted and -1 means unlimited. */
static int get_u64(json_t *obj, const char *where, const char *key, uint64_t *out,
		   berth_error_t *err)
{
	int64_t v = 0;

	if (get_int(obj, where, key, true, -1, INT64_MAX, &v, NULL, err) < 0)
		return -1;
	*out = v < 0 ? RLIM_INFINITY : (uint64_t)v;
	return 0;
}

static int strv_from_json(json_t *arr, const char *where, char ***out, berth_error_t *err)
{
	char **v;
	size_t i;
	json_t *e;

	if (!json_is_array(arr))
		return berth_error(err, EINVAL, "%s: expected array of strings", where);
	v = calloc(json_array_size(arr) + 1, sizeof(*v));
	if (v == NULL)
		return berth_error_errno(err, ENOMEM, "%s", where);
	json_array_foreach(arr, i, e) {
		if (!json_is_string(e)) {
			cleanup_strvp(&v);
			return berth_error(err, EINVAL, "%s[%zu]: expected string", where, i);
		}
		v[i] = strdup(json_string_value(e));
		if (v[i] == NULL) {
			cleanup_strvp(&v);
			return berth_error_errno(err, ENOMEM, "%s", where);
		}
	}
	*out = v;
	return 0;
}

static int get_strv(json_t *obj, const char *where, const char *key, char ***out,
		    berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);
	char path[256];

	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", key);
	return strv_from_json(v, path, out, err);
}

static int get_object(json_t *obj, const char *where, const char *key, json_t **out,
		      berth_error_t *err)
{
	return get_member(obj, where, key, JSON_OBJECT, "object", false, out, err);
}

static int get_array(json_t *obj, const char *where, const char *key, json_t **out,
		     berth_error_t *err)
{
	return get_member(obj, where, key, JSON_ARRAY, "array", false, out, err);
}

static int unsupported(json_t *obj, const char *where, const char *key, berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	return berth_error(err, ENOTSUP, "unsupported: %s.%s", where, key);
}

/* ---- process ------------------------------------------------------------ */

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int berth_rlimit_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimit_table) / sizeof(rlimit_table[0]); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

void berth_process_clear(struct berth_process *p)
{
	free(p->additional_gids);
	cleanup_strvp(&p->args);
	cleanup_strvp(&p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}

static int parse_user(json_t *user, const char *where, struct berth_process *p, berth_error_t *err)
{
	json_t *gids, *e;
	int64_t v = 0;
	bool present;
	size_t i;

	if (get_int(user, where, "uid", true, 0, UINT32_MAX - 1, &v, NULL, err) < 0)
		return -1;
	p->uid = (uid_t)v;
	if (get_int(user, where, "gid", true, 0, UINT32_MAX - 1, &v, NULL, err) < 0)
		return -1;
	p->gid = (gid_t)v;
	if (get_int(user, where, "umask", false, 0, 0777, &v, &present, err) < 0)
		return -1;
	p->has_umask = present;
	p->umask = (mode_t)v;
	if (get_array(user, where, "additionalGids", &gids, err) < 0)
		return -1;
	if (gids && json_array_size(gids) > 0) {
		p->additional_gids = calloc(json_array_size(gids), sizeof(gid_t));
		if (p->additional_gids == NULL)
			return berth_error_errno(err, ENOMEM, "%s.additionalGids", where);
		json_array_foreach(gids, i, e) {
			if (!json_is_integer(e) || json_integer_value(e) < 0 ||
			    json_integer_value(e) >= UINT32_MAX)
				return berth_error(err, EINVAL,
						   "%s.additionalGids[%zu]: expected a group id", where, i);
			p->additional_gids[p->n_additional_gids++] = (gid_t)json_integer_value(e);
		}
	}
	if (json_object_get(user, "username"))
		return get_member(user, where, "username", JSON_STRING, "string", false, &e, err);
	return 0;
}

static int parse_rlimits(json_t *arr, const char *where, struct berth_process *p,
			 berth_error_t *err)
{
	json_t *e;
	size_t i;

	if (json_array_size(arr) == 0)
		return 0;
	p->rlimits = calloc(json_array_size(arr), sizeof(*p->rlimits));
	if (p->rlimits == NULL)
		return berth_error_errno(err, ENOMEM, "%s.rlimits", where);
	json_array_foreach(arr, i, e) {
		char at[64];
		char *type = NULL;
		struct berth_rlimit *r = &p->rlimits[i];

		snprintf(at, sizeof(at), "%s.rlimits[%zu]", where, i);
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected object", at);
		if (get_string(e, at, "type", true, &type, err) < 0)
			return -1;
		r->resource = berth_rlimit_parse(type);
		if (r->resource < 0) {
			berth_error(err, EINVAL, "%s.type: unknown rlimit `%s`", at, type);
			free(type);
			return -1;
		}
		free(type);
		if (get_u64(e, at, "soft", &r->soft, err) < 0 || get_u64(e, at, "hard", &r->hard, err) < 0)
			return -1;
		if (r->soft > r->hard)
			return berth_error(err, EINVAL, "%s: soft limit above hard limit", at);
		p->n_rlimits++;
	}
	return 0;
}

int berth_process_parse(json_t *obj, const char *where, struct berth_process *p,
			berth_error_t *err)
{
	json_t *user, *console, *rlimits, *v, *args;
	int64_t n = 0;
	bool present;
	char at[64];

	memset(p, 0, sizeof(*p));
	if (!json_is_object(obj))
		return berth_error(err, EINVAL, "%s: expected object", where);
	if (get_bool(obj, where, "terminal", &p->terminal, err) < 0)
		return -1;
	if (get_object(obj, where, "consoleSize", &console, err) < 0)
		return -1;
	if (console) {
		snprintf(at, sizeof(at), "%s.consoleSize", where);
		if (get_int(console, at, "height", true, 0, UINT16_MAX, &n, NULL, err) < 0)
			return -1;
		p->console_height = (unsigned short)n;
		if (get_int(console, at, "width", true, 0, UINT16_MAX, &n, NULL, err) < 0)
			return -1;
		p->console_width = (unsigned short)n;
	}
	if (get_object(obj, where, "user", &user, err) < 0)
		return -1;
	if (user) {
		snprintf(at, sizeof(at), "%s.user", where);
		if (parse_user(user, at, p, err) < 0)
			return -1;
	}
	if (get_member(obj, where, "args", JSON_ARRAY, "array of strings", true, &args, err) < 0 ||
	    get_strv(obj, where, "args", &p->args, err) < 0)
		return -1;
	if (p->args[0] == NULL)
		return berth_error(err, EINVAL, "%s.args: must not be empty", where);
	if (get_member(obj, where, "commandLine", JSON_STRING, "string", false, &v, err) < 0)
		return -1;
	if (v)
		return berth_error(err, ENOTSUP, "unsupported: %s.commandLine", where);
	if (get_strv(obj, where, "env", &p->env, err) < 0)
		return -1;
	if (p->env == NULL) {
		p->env = calloc(1, sizeof(char *));
		if (p->env == NULL)
			return berth_error_errno(err, ENOMEM, "%s.env", where);
	}
	if (get_string(obj, where, "cwd", true, &p->cwd, err) < 0)
		return -1;
	if (p->cwd[0] != '/')
		return berth_error(err, EINVAL, "%s.cwd: `%s` is not an absolute path", where, p->cwd);
	if (get_bool(obj, where, "noNewPrivileges", &p->no_new_privileges, err) < 0)
		return -1;
	if (get_int(obj, where, "oomScoreAdj", false, -1000, 1000, &n, &present, err) < 0)
		return -1;
	p->has_oom_score_adj = present;
	p->oom_score_adj = (int)n;
	if (get_array(obj, where, "rlimits", &rlimits, err) < 0)
		return -1;
	if (rlimits && parse_rlimits(rlimits, where, p, err) < 0)
		return -1;
	if (get_string(obj, where, "apparmorProfile", false, &p->apparmor_profile, err) < 0 ||
	    get_string(obj, where, "selinuxLabel", false, &p->selinux_label, err) < 0)
		return -1;
	if (get_object(obj, where, "capabilities", &p->capabilities, err) < 0)
		return -1;
	if (unsupported(obj, where, "scheduler", err) < 0 ||
	    unsupported(obj, where, "ioPriority", err) < 0 ||
	    unsupported(obj, where, "execCPUAffinity", err) < 0)
		return -1;
	return 0;
}

/* ---- mounts ------------------------------------------------------------- */

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
	{ "ro", false, MS_RDONLY },	     { "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID },	     { "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV },	     { "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC },	     { "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS },   { "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },    { "remount", false, MS_REMOUNT },
	{ "mand", false, MS_MANDLOCK },	     { "nomand", true, MS_MANDLOCK },
	{ "noatime", false, MS_NOATIME },    { "atime", true, MS_NOATIME },
	{ "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME },  { "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
	{ "lazytime", false, MS_LAZYTIME },  { "nolazytime", true, MS_LAZYTIME },
	{ "silent", false, MS_SILENT },	     { "loud", true, MS_SILENT },
};

long berth_propagation_parse(const char *name)
{
	static const struct {
		const char *name;
		long flags;
	} t[] = {
		{ "private", MS_PRIVATE },	       { "rprivate", MS_PRIVATE | MS_REC },
		{ "shared", MS_SHARED },	       { "rshared", MS_SHARED | MS_REC },
		{ "slave", MS_SLAVE },		       { "rslave", MS_SLAVE | MS_REC },
		{ "unbindable", MS_UNBINDABLE },       { "runbindable", MS_UNBINDABLE | MS_REC },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].flags;
	return -1;
}

static int append_data(char **data, const char *opt, berth_error_t *err)
{
	char *n = NULL;

	if (asprintf(&n, "%s%s%s", *data ? *data : "", *data ? "," : "", opt) < 0)
		return berth_error_errno(err, ENOMEM, "mount options");
	free(*data);
	*data = n;
	return 0;
}

int berth_mount_options_parse(json_t *options, const char *where, struct berth_mount *m,
			      berth_error_t *err)
{
	json_t *e;
	size_t i;

	json_array_foreach(options, i, e) {
		const char *o;
		long prop;
		bool known = false;

		if (!json_is_string(e))
			return berth_error(err, EINVAL, "%s.options[%zu]: expected string", where, i);
		o = json_string_value(e);
		for (size_t k = 0; k < sizeof(mount_flags) / sizeof(mount_flags[0]); k++) {
			if (strcmp(mount_flags[k].name, o) != 0)
				continue;
			known = true;
			if (mount_flags[k].clear) {
				m->flags &= ~mount_flags[k].flag;
				m->clear |= mount_flags[k].flag;
			} else {
				m->flags |= mount_flags[k].flag;
				m->clear &= ~mount_flags[k].flag;
			}
		}
		if (known)
			continue;
		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			m->bind = true;
			m->flags |= MS_BIND | (o[0] == 'r' ? MS_REC : 0);
			continue;
		}
		if (strcmp(o, "tmpcopyup") == 0) {
			m->tmpcopyup = true;
			continue;
		}
		prop = berth_propagation_parse(o);
		if (prop >= 0) {
			m->propagation = (unsigned long)prop;
			continue;
		}
		/* Options of other runtimes that change what is mounted: refuse them by name. */
		if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0 ||
		    (o[0] == 'r' && (strcmp(o, "rro") == 0 || strcmp(o, "rrw") == 0 ||
				     strcmp(o, "rnosuid") == 0 || strcmp(o, "rnodev") == 0 ||
				     strcmp(o, "rnoexec") == 0 || strcmp(o, "rnoatime") == 0)))
			return berth_error(err, ENOTSUP, "unsupported: %s.options: `%s`", where, o);
		if (append_data(&m->data, o, err) < 0)
			return -1;
	}
	return 0;
}

static void mount_clear(struct berth_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	free(m->data);
}

static int parse_mounts(json_t *arr, struct berth_config *cfg, berth_error_t *err)
{
	json_t *e;
	size_t i;

	if (json_array_size(arr) == 0)
		return 0;
	cfg->mounts = calloc(json_array_size(arr), sizeof(*cfg->mounts));
	if (cfg->mounts == NULL)
		return berth_error_errno(err, ENOMEM, "mounts");
	json_array_foreach(arr, i, e) {
		struct berth_mount *m = &cfg->mounts[i];
		json_t *opts;
		char at[32];

		snprintf(at, sizeof(at), "mounts[%zu]", i);
		cfg->n_mounts++;
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected object", at);
		if (get_string(e, at, "destination", true, &m->destination, err) < 0 ||
		    get_string(e, at, "type", false, &m->type, err) < 0 ||
		    get_string(e, at, "source", false, &m->source, err) < 0)
			return -1;
		if (m->destination[0] != '/')
			return berth_error(err, EINVAL, "%s.destination: `%s` is not an absolute path",
					   at, m->destination);
		if (unsupported(e, at, "uidMappings", err) < 0 ||
		    unsupported(e, at, "gidMappings", err) < 0)
			return -1;
		if (get_array(e, at, "options", &opts, err) < 0)
			return -1;
		if (opts && berth_mount_options_parse(opts, at, m, err) < 0)
			return -1;
		if (m->type && strcmp(m->type, "bind") == 0) {
			m->bind = true;
			m->flags |= MS_BIND;
		}
		if (m->bind && m->source == NULL)
			return berth_error(err, EINVAL, "%s.source: missing required field for a bind mount",
					   at);
		if (!m->bind && m->type == NULL)
			return berth_error(err, EINVAL, "%s.type: missing required field", at);
		if (m->tmpcopyup && (m->bind || strcmp(m->type, "tmpfs") != 0))
			return berth_error(err, EINVAL, "%s.options: `tmpcopyup` needs a tmpfs mount", at);
	}
	return 0;
}

/* ---- linux ---------------------------------------------------------------- */

static int parse_namespaces(json_t *arr, struct berth_config *cfg, berth_error_t *err)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		char at[48];
		cleanup_free char *type = NULL;
		int t;

		snprintf(at, sizeof(at), "linux.namespaces[%zu]", i);
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected object", at);
		if (get_string(e, at, "type", true, &type, err) < 0)
			return -1;
		for (t = 0; t < BERTH_NS_COUNT; t++)
			if (strcmp(ns_table[t].name, type) == 0)
				break;
		if (t == BERTH_NS_COUNT)
			return berth_error(err, EINVAL, "%s.type: unknown namespace `%s`", at, type);
		if (cfg->ns[t].enabled)
			return berth_error(err, EINVAL, "%s: namespace `%s` given twice", at, type);
		cfg->ns[t].enabled = true;
		if (get_string(e, at, "path", false, &cfg->ns[t].path, err) < 0)
			return -1;
		if (cfg->ns[t].path && cfg->ns[t].path[0] == '\0') {
			free(cfg->ns[t].path);
			cfg->ns[t].path = NULL;
		}
	}
	return 0;
}

static int parse_id_maps(json_t *arr, const char *where, struct berth_id_map **out, size_t *n,
			 berth_error_t *err)
{
	json_t *e;
	size_t i;

	if (json_array_size(arr) == 0)
		return 0;
	*out = calloc(json_array_size(arr), sizeof(**out));
	if (*out == NULL)
		return berth_error_errno(err, ENOMEM, "%s", where);
	json_array_foreach(arr, i, e) {
		char at[48];
		int64_t c = 0, h = 0, s = 0;

		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected object", at);
		if (get_int(e, at, "containerID", true, 0, UINT32_MAX, &c, NULL, err) < 0 ||
		    get_int(e, at, "hostID", true, 0, UINT32_MAX, &h, NULL, err) < 0 ||
		    get_int(e, at, "size", true, 1, UINT32_MAX, &s, NULL, err) < 0)
			return -1;
		(*out)[i] = (struct berth_id_map){ (uint32_t)c, (uint32_t)h, (uint32_t)s };
		(*n)++;
	}
	return 0;
}

static mode_t device_ifmt(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return S_IFCHR;
	}
}

static int parse_devices(json_t *arr, struct berth_config *cfg, berth_error_t *err)
{
	json_t *e;
	size_t i;

	if (json_array_size(arr) == 0)
		return 0;
	cfg->devices = calloc(json_array_size(arr), sizeof(*cfg->devices));
	if (cfg->devices == NULL)
		return berth_error_errno(err, ENOMEM, "linux.devices");
	json_array_foreach(arr, i, e) {
		struct berth_device *d = &cfg->devices[i];
		cleanup_free char *type = NULL;
		int64_t v = 0;
		bool present;
		char at[40];

		snprintf(at, sizeof(at), "linux.devices[%zu]", i);
		cfg->n_devices++;
		if (!json_is_object(e))
			return berth_error(err, EINVAL, "%s: expected object", at);
		if (get_string(e, at, "path", true, &d->path, err) < 0 ||
		    get_string(e, at, "type", true, &type, err) < 0)
			return -1;
		if (d->path[0] != '/')
			return berth_error(err, EINVAL, "%s.path: `%s` is not an absolute path", at,
					   d->path);
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return berth_error(err, EINVAL, "%s.type: `%s` is not one of c, b, u, p", at, type);
		d->type = type[0];
		if (get_int(e, at, "major", d->type != 'p', 0, UINT32_MAX, &d->major, NULL, err) < 0 ||
		    get_int(e, at, "minor", d->type != 'p', 0, UINT32_MAX, &d->minor, NULL, err) < 0)
			return -1;
		d->mode = 0666;
		if (get_int(e, at, "fileMode", false, 0, 0177777, &v, &present, err) < 0)
			return -1;
		/* Go's os.FileMode as podman writes it carries the file type bits
		 * (S_IFCHR|0644 = 8612): accept them when they match the type, keep
		 * only the permission bits as runc does. */
		if (present && (v & S_IFMT) != 0 && (mode_t)(v & S_IFMT) != device_ifmt(d->type))
			return berth_error(err, EINVAL,
					   "%s.fileMode: %lld: the file type bits 0%llo do not match type `%c`",
					   at, (long long)v, (unsigned long long)(v & S_IFMT), d->type);
		if (present)
			d->mode = (mode_t)(v & 07777);
		if (get_int(e, at, "uid", false, 0, UINT32_MAX - 1, &v, &present, err) < 0)
			return -1;
		d->uid = present ? (uid_t)v : 0;
		if (get_int(e, at, "gid", false, 0, UINT32_MAX - 1, &v, &present, err) < 0)
			return -1;
		d->gid = present ? (gid_t)v : 0;
	}
	return 0;
}

static int parse_time_offsets(json_t *obj, struct berth_config *cfg, berth_error_t *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char at[48];
		int64_t s = 0, ns = 0;

		snprintf(at, sizeof(at), "linux.timeOffsets.%s", key);
		if (!json_is_object(v))
			return berth_error(err, EINVAL, "%s: expected object", at);
		if (get_int(v, at, "secs", false, INT64_MIN, INT64_MAX, &s, NULL, err) < 0 ||
		    get_int(v, at, "nanosecs", false, 0, 999999999, &ns, NULL, err) < 0)
			return -1;
		if (strcmp(key, "boottime") == 0) {
			cfg->boottime_secs = s;
			cfg->boottime_nsecs = (uint32_t)ns;
		} else if (strcmp(key, "monotonic") == 0) {
			cfg->monotonic_secs = s;
			cfg->monotonic_nsecs = (uint32_t)ns;
		} else {
			return berth_error(err, EINVAL, "%s: unknown clock", at);
		}
		cfg->has_time_offsets = true;
	}
	return 0;
}

static int parse_linux(json_t *lx, struct berth_config *cfg, berth_error_t *err)
{
	json_t *v;
	const char *key;
	cleanup_free char *prop = NULL;
	static const char *const refused[] = { "intelRdt", "netDevices", "memoryPolicy",
					       "personality" };

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (unsupported(lx, "linux", refused[i], err) < 0)
			return -1;
	if (get_array(lx, "linux", "namespaces", &v, err) < 0)
		return -1;
	if (v && parse_namespaces(v, cfg, err) < 0)
		return -1;
	if (get_array(lx, "linux", "uidMappings", &v, err) < 0)
		return -1;
	if (v && parse_id_maps(v, "linux.uidMappings", &cfg->uid_maps, &cfg->n_uid_maps, err) < 0)
		return -1;
	if (get_array(lx, "linux", "gidMappings", &v, err) < 0)
		return -1;
	if (v && parse_id_maps(v, "linux.gidMappings", &cfg->gid_maps, &cfg->n_gid_maps, err) < 0)
		return -1;
	if (get_array(lx, "linux", "devices", &v, err) < 0)
		return -1;
	if (v && parse_devices(v, cfg, err) < 0)
		return -1;
	if (get_string(lx, "linux", "cgroupsPath", false, &cfg->cgroups_path, err) < 0)
		return -1;
	if (get_object(lx, "linux", "resources", &cfg->resources, err) < 0 ||
	    get_object(lx, "linux", "seccomp", &cfg->seccomp, err) < 0)
		return -1;
	if (get_string(lx, "linux", "rootfsPropagation", false, &prop, err) < 0)
		return -1;
	if (prop && prop[0]) {
		long f = berth_propagation_parse(prop);
		if (f < 0)
			return berth_error(err, EINVAL, "linux.rootfsPropagation: unknown propagation `%s`",
					   prop);
		cfg->rootfs_propagation = (unsigned long)f;
	}
	if (get_strv(lx, "linux", "maskedPaths", &cfg->masked_paths, err) < 0 ||
	    get_strv(lx, "linux", "readonlyPaths", &cfg->readonly_paths, err) < 0)
		return -1;
	if (get_object(lx, "linux", "sysctl", &v, err) < 0)
		return -1;
	if (v && json_object_size(v) > 0) {
		json_t *val;
		cfg->sysctl = calloc(json_object_size(v), sizeof(*cfg->sysctl));
		if (cfg->sysctl == NULL)
			return berth_error_errno(err, ENOMEM, "linux.sysctl");
		json_object_foreach(v, key, val) {
			struct berth_sysctl *s = &cfg->sysctl[cfg->n_sysctl];
			if (!json_is_string(val))
				return berth_error(err, EINVAL, "linux.sysctl.%s: expected string", key);
			if (strstr(key, "..") || key[0] == '/' || key[0] == '.')
				return berth_error(err, EINVAL, "linux.sysctl: bad key `%s`", key);
			s->key = strdup(key);
			s->value = strdup(json_string_value(val));
			cfg->n_sysctl++;
			if (!s->key || !s->value)
				return berth_error_errno(err, ENOMEM, "linux.sysctl");
		}
	}
	if (get_string(lx, "linux", "mountLabel", false, &cfg->mount_label, err) < 0)
		return -1;
	if (get_object(lx, "linux", "timeOffsets", &v, err) < 0)
		return -1;
	if (v && parse_time_offsets(v, cfg, err) < 0)
		return -1;
	return 0;
}

/* ---- hooks ------------------------------------------------------------------ */

static const char *const hook_names[BERTH_HOOK_COUNT] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static int parse_hooks(json_t *hooks, struct berth_config *cfg, berth_error_t *err)
{
	for (int s = 0; s < BERTH_HOOK_COUNT; s++) {
		json_t *arr, *e;
		size_t i;
		char where[48];

		snprintf(where, sizeof(where), "hooks");
		if (get_array(hooks, where, hook_names[s], &arr, err) < 0)
			return -1;
		if (arr == NULL || json_array_size(arr) == 0)
			continue;
		cfg->hooks[s].list = calloc(json_array_size(arr), sizeof(struct berth_hook));
		if (cfg->hooks[s].list == NULL)
			return berth_error_errno(err, ENOMEM, "hooks");
		json_array_foreach(arr, i, e) {
			struct berth_hook *h = &cfg->hooks[s].list[i];
			int64_t t = 0;
			char at[64];

			cfg->hooks[s].n++;
			snprintf(at, sizeof(at), "hooks.%s[%zu]", hook_names[s], i);
			if (!json_is_object(e))
				return berth_error(err, EINVAL, "%s: expected object", at);
			if (get_string(e, at, "path", true, &h->path, err) < 0 ||
			    get_strv(e, at, "args", &h->args, err) < 0 ||
			    get_strv(e, at, "env", &h->env, err) < 0 ||
			    get_int(e, at, "timeout", false, 1, INT32_MAX, &t, NULL, err) < 0)
				return -1;
			if (h->path[0] != '/')
				return berth_error(err, EINVAL, "%s.path: `%s` is not an absolute path", at,
						   h->path);
			h->timeout = (int)t;
		}
	}
	return 0;
}

/* ---- the document ------------------------------------------------------------- */

/* --debug: what the config asks for (the namespaces and mounts set up next). */
static void log_config(const struct berth_config *cfg)
{
	berth_log_debug("config: ociVersion %s, root `%s`%s, process `%s`, %zu mounts",
			cfg->oci_version, cfg->root_path, cfg->root_readonly ? " (readonly)" : "",
			cfg->has_process && cfg->process.args ? cfg->process.args[0] : "",
			cfg->n_mounts);
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (cfg->ns[t].enabled)
			berth_log_debug("namespace %s: %s%s", berth_ns_name(t),
					cfg->ns[t].path ? "join " : "new",
					cfg->ns[t].path ? cfg->ns[t].path : "");
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct berth_mount *m = &cfg->mounts[i];

		berth_log_debug("mount `%s`: type %s, source `%s`, flags %#lx%s%s",
				m->destination, m->type ? m->type : "bind",
				m->source ? m->source : "", m->flags, m->data ? ", data " : "",
				m->data ? m->data : "");
	}
}

int berth_config_parse(json_t *json, struct berth_config **out, berth_error_t *err)
{
	struct berth_config *cfg;
	json_t *v;
	int ret = -1;

	if (!json_is_object(json))
		return berth_error(err, EINVAL, "expected a JSON object");
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return berth_error_errno(err, ENOMEM, "config");
	cfg->json = json_incref(json);

	if (get_string(json, "", "ociVersion", true, &cfg->oci_version, err) < 0)
		goto out;
	if (get_object(json, "", "root", &v, err) < 0)
		goto out;
	if (v == NULL) {
		berth_error(err, EINVAL, "root: missing required field");
		goto out;
	}
	if (get_string(v, "root", "path", true, &cfg->root_path, err) < 0 ||
	    get_bool(v, "root", "readonly", &cfg->root_readonly, err) < 0)
		goto out;
	if (get_string(json, "", "hostname", false, &cfg->hostname, err) < 0 ||
	    get_string(json, "", "domainname", false, &cfg->domainname, err) < 0)
		goto out;
	if (get_object(json, "", "process", &v, err) < 0)
		goto out;
	if (v) {
		if (berth_process_parse(v, "process", &cfg->process, err) < 0)
			goto out;
		cfg->has_process = true;
	}
	if (get_array(json, "", "mounts", &v, err) < 0)
		goto out;
	if (v && parse_mounts(v, cfg, err) < 0)
		goto out;
	if (get_object(json, "", "hooks", &v, err) < 0)
		goto out;
	if (v && parse_hooks(v, cfg, err) < 0)
		goto out;
	if (get_object(json, "", "annotations", &v, err) < 0)
		goto out;
	if (v) {
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val) {
			if (!json_is_string(val)) {
				berth_error(err, EINVAL, "annotations.%s: expected string", key);
				goto out;
			}
		}
	}
	cfg->annotations = v ? json_incref(v) : json_object();
	if (get_object(json, "", "linux", &v, err) < 0)
		goto out;
	if (v && parse_linux(v, cfg, err) < 0)
		goto out;
	if (unsupported(json, "", "vm", err) < 0)
		goto out;
	if (berth_log_debug_enabled())
		log_config(cfg);
	*out = cfg;
	cfg = NULL;
	ret = 0;
out:
	if (cfg)
		berth_config_free(cfg);
	return ret;
}

int berth_config_load(const char *path, struct berth_config **out, berth_error_t *err)
{
	cleanup_json json_t *json = NULL;

	if (berth_json_load_file(path, &json, err) < 0)
		return -1;
	if (berth_config_parse(json, out, err) < 0)
		return berth_error_wrap(err, "`%s`", path);
	return 0;
}

void berth_config_free(struct berth_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->oci_version);
	free(cfg->root_path);
	free(cfg->hostname);
	free(cfg->domainname);
	berth_process_clear(&cfg->process);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		mount_clear(&cfg->mounts[i]);
	free(cfg->mounts);
	for (int s = 0; s < BERTH_HOOK_COUNT; s++) {
		for (size_t i = 0; i < cfg->hooks[s].n; i++) {
			free(cfg->hooks[s].list[i].path);
			cleanup_strvp(&cfg->hooks[s].list[i].args);
			cleanup_strvp(&cfg->hooks[s].list[i].env);
		}
		free(cfg->hooks[s].list);
	}
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		free(cfg->ns[t].path);
	free(cfg->uid_maps);
	free(cfg->gid_maps);
	for (size_t i = 0; i < cfg->n_devices; i++)
		free(cfg->devices[i].path);
	free(cfg->devices);
	free(cfg->cgroups_path);
	cleanup_strvp(&cfg->masked_paths);
	cleanup_strvp(&cfg->readonly_paths);
	for (size_t i = 0; i < cfg->n_sysctl; i++) {
		free(cfg->sysctl[i].key);
		free(cfg->sysctl[i].value);
	}
	free(cfg->sysctl);
	free(cfg->mount_label);
	json_decref(cfg->annotations);
	json_decref(cfg->json);
	free(cfg);
}

/* ---- berth spec ------------------------------------------------------------------ */

static const char default_config[] =
	"{"
	"\"ociVersion\":\"1.1.0\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
	"\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"TERM=xterm\"],\"cwd\":\"/\","
	"\"capabilities\":{"
	"\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	"\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"berth\","
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	"\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
	"\"linux\":{"
	"\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
	"{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
	"\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
	"\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
	"\"/sys/firmware\",\"/proc/scsi\"],"
	"\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
	"\"/proc/sysrq-trigger\"]}"
	"}";

json_t *berth_config_default(bool rootless)
{
	json_t *j = json_loads(default_config, 0, NULL);
	json_t *lx, *ns, *mounts;
	size_t i;
	json_t *e;

	if (j == NULL || !rootless)
		return j;
	/* Rootless: a user namespace mapping the caller, no cgroup mount or device rules,
	 * sysfs bind-mounted (a new sysfs needs a network namespace owned by the user ns). */
	lx = json_object_get(j, "linux");
	json_object_del(lx, "resources");
	ns = json_object_get(lx, "namespaces");
	json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
	json_object_set_new(lx, "uidMappings",
			    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
				      (json_int_t)getuid(), "size", 1));
	json_object_set_new(lx, "gidMappings",
			    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
				      (json_int_t)getgid(), "size", 1));
	mounts = json_object_get(j, "mounts");
	json_array_foreach(mounts, i, e) {
		const char *d = json_string_value(json_object_get(e, "destination"));
		if (d && strcmp(d, "/sys/fs/cgroup") == 0) {
			json_array_remove(mounts, i);
			break;
		}
	}
	json_array_foreach(mounts, i, e) {
		const char *d = json_string_value(json_object_get(e, "destination"));
		if (d && strcmp(d, "/sys") == 0)
			json_array_set_new(mounts, i,
					   json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}", "destination",
						     "/sys", "type", "none", "source", "/sys",
						     "options", "rbind", "nosuid", "noexec", "nodev",
						     "ro"));
	}
	return j;
}
