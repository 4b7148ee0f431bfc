/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `berthctl run/create` flags: parsed and checked at the edge into struct
 * run_opts, then applied to the OCI config the image gave us.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "orchestrator/run_opts.h"
#include "util.h"

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (nv[*n] == NULL)
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

void run_opts_free(struct run_opts *r)
{
	cleanup_strvp(&r->env);
	cleanup_strvp(&r->cap_add);
	cleanup_strvp(&r->cap_drop);
	free(r->mounts);
	free(r->ports);
	memset(r, 0, sizeof(*r));
}

int run_parse_memory(const char *s, int64_t *out, berth_error_t *err)
{
	char *end;
	double v;
	int64_t mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return berth_error(err, EINVAL, "memory `%s`: expected a size like 64m or 1g", s);
	switch (tolower((unsigned char)*end)) {
	case '\0':
	case 'b':
		break;
	case 'k':
		mul = 1024;
		break;
	case 'm':
		mul = 1024 * 1024;
		break;
	case 'g':
		mul = 1024LL * 1024 * 1024;
		break;
	default:
		return berth_error(err, EINVAL, "memory `%s`: expected a size like 64m or 1g", s);
	}
	if (*end && end[1] != '\0' && !(tolower((unsigned char)end[1]) == 'b' && end[2] == '\0'))
		return berth_error(err, EINVAL, "memory `%s`: expected a size like 64m or 1g", s);
	if (v * (double)mul > 9.0e18)
		return berth_error(err, ERANGE, "memory `%s`: too large", s);
	*out = (int64_t)(v * (double)mul);
	if (*out < 6 * 1024 * 1024)
		return berth_error(err, EINVAL, "memory `%s`: the minimum is 6m", s);
	return 0;
}

bool run_volume_name_ok(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

int run_parse_volume(const char *s, struct run_mount *m, berth_error_t *err)
{
	char buf[PATH_MAX * 2 + 8], *dst, *opt;

	memset(m, 0, sizeof(*m));
	if (strlen(s) >= sizeof(buf))
		return berth_error(err, ENAMETOOLONG, "volume `%s`: too long", s);
	strcpy(buf, s);
	dst = strchr(buf, ':');
	if (dst == NULL || dst == buf)
		return berth_error(err, EINVAL, "volume `%s`: expected SRC:DST[:ro|rw]", s);
	*dst++ = '\0';
	opt = strchr(dst, ':');
	if (opt) {
		*opt++ = '\0';
		if (strcmp(opt, "ro") == 0)
			m->read_only = true;
		else if (strcmp(opt, "rw") != 0)
			return berth_error(err, EINVAL, "volume `%s`: option `%s` (ro or rw)", s,
					   opt);
	}
	if (dst[0] != '/')
		return berth_error(err, EINVAL,
				   "volume `%s`: the destination `%s` must be an absolute path", s,
				   dst);
	if (buf[0] == '/') {
		struct stat sb;
		if (stat(buf, &sb) < 0)
			return berth_error_errno(err, errno, "volume `%s`: source `%s`", s, buf);
		m->kind = RUN_MOUNT_BIND;
	} else if (run_volume_name_ok(buf)) {
		m->kind = RUN_MOUNT_VOLUME;
	} else {
		return berth_error(err, EINVAL,
				   "volume `%s`: `%s` is neither an absolute path nor a volume name",
				   s, buf);
	}
	snprintf(m->source, sizeof(m->source), "%s", buf);
	snprintf(m->dest, sizeof(m->dest), "%s", dst);
	return 0;
}

static int parse_port_num(const char *s, const char *whole, uint16_t *out, berth_error_t *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535)
		return berth_error(err, EINVAL, "port `%s`: `%s` is not a port number (1-65535)",
				   whole, s);
	*out = (uint16_t)v;
	return 0;
}

int run_parse_port(const char *s, struct engine_port *p, berth_error_t *err)
{
	char buf[64], *ctr, *proto;

	memset(p, 0, sizeof(*p));
	if (strlen(s) >= sizeof(buf))
		return berth_error(err, EINVAL, "port `%s`: expected HOST:CONTAINER[/udp]", s);
	strcpy(buf, s);
	strcpy(p->proto, "tcp");
	proto = strchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
			return berth_error(err, EINVAL, "port `%s`: protocol `%s` (tcp or udp)", s,
					   proto);
		snprintf(p->proto, sizeof(p->proto), "%s", proto);
	}
	ctr = strchr(buf, ':');
	if (ctr == NULL || strchr(ctr + 1, ':'))
		return berth_error(err, EINVAL, "port `%s`: expected HOST:CONTAINER[/udp]", s);
	*ctr++ = '\0';
	if (parse_port_num(buf, s, &p->host, err) < 0 || parse_port_num(ctr, s, &p->ctr, err) < 0)
		return -1;
	return 0;
}

int run_parse_restart(const char *s, berth_error_t *err)
{
	if (strcmp(s, "no") == 0 || strcmp(s, "always") == 0 || strcmp(s, "on-failure") == 0)
		return 0;
	if (strncmp(s, "on-failure:", 11) == 0) {
		char *end;
		long v = strtol(s + 11, &end, 10);
		if (end != s + 11 && *end == '\0' && v >= 0 && v <= INT_MAX)
			return 0;
	}
	return berth_error(err, EINVAL, "restart policy `%s`: expected no, always or on-failure[:N]",
			   s);
}

static int read_env_file(const char *path, struct run_opts *r, size_t *nenv, berth_error_t *err)
{
	cleanup_free char *buf = NULL;
	char *save = NULL;

	if (berth_read_file(path, &buf, NULL, err) < 0)
		return berth_error_wrap(err, "env file");
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*l))
			l++;
		if (*l == '\0' || *l == '#')
			continue;
		if (strv_push(&r->env, nenv, l) < 0)
			return berth_error_errno(err, ENOMEM, "env file `%s`", path);
	}
	return 0;
}

static const char *cap_name(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	if (strncasecmp(s, "CAP_", 4) != 0 && strcasecmp(s, "ALL") != 0)
		i = (size_t)snprintf(buf, len, "CAP_");
	for (; *s && i < len - 1; s++)
		buf[i++] = (char)toupper((unsigned char)*s);
	buf[i] = '\0';
	return buf;
}

int run_opts_parse(int argc, char **argv, struct run_opts *r, bool is_run, berth_error_t *err)
{
	enum { OPT_RM = 256, OPT_NAME, OPT_ENVFILE, OPT_TMPFS, OPT_NETWORK, OPT_HOSTNAME, OPT_MEMORY,
	       OPT_CPUS, OPT_PIDS, OPT_ENTRYPOINT, OPT_RESTART, OPT_RO, OPT_CAPADD, OPT_CAPDROP,
	       OPT_SECOPT };
	static const struct option longopts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "rm", no_argument, NULL, OPT_RM },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "env", required_argument, NULL, 'e' },
		{ "env-file", required_argument, NULL, OPT_ENVFILE },
		{ "volume", required_argument, NULL, 'v' },
		{ "tmpfs", required_argument, NULL, OPT_TMPFS },
		{ "publish", required_argument, NULL, 'p' },
		{ "network", required_argument, NULL, OPT_NETWORK },
		{ "net", required_argument, NULL, OPT_NETWORK },
		{ "hostname", required_argument, NULL, OPT_HOSTNAME },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "pids-limit", required_argument, NULL, OPT_PIDS },
		{ "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
		{ "restart", required_argument, NULL, OPT_RESTART },
		{ "read-only", no_argument, NULL, OPT_RO },
		{ "cap-add", required_argument, NULL, OPT_CAPADD },
		{ "cap-drop", required_argument, NULL, OPT_CAPDROP },
		{ "security-opt", required_argument, NULL, OPT_SECOPT },
		{ NULL, 0, NULL, 0 },
	};
	size_t nenv = 0, nadd = 0, ndrop = 0;
	char cap[64], *end;
	int c;

	r->network = "default";
	r->pids_limit = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+dite:v:p:u:w:m:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!is_run)
				goto bad;
			r->detach = true;
			break;
		case OPT_RM:
			r->rm = true;
			break;
		case 'i':
			r->interactive = true;
			break;
		case 't':
			r->tty = true;
			break;
		case OPT_NAME:
			if (!run_volume_name_ok(optarg) || strlen(optarg) > 128)
				return berth_error(err, EINVAL,
						   "name `%s`: letters, digits, `_`, `.`, `-` only",
						   optarg);
			r->name = optarg;
			break;
		case 'e':
			if (optarg[0] == '=' || strv_push(&r->env, &nenv, optarg) < 0)
				return berth_error(err, EINVAL, "env `%s`: expected KEY=VALUE",
						   optarg);
			break;
		case OPT_ENVFILE:
			if (read_env_file(optarg, r, &nenv, err) < 0)
				return -1;
			break;
		case 'v':
		case OPT_TMPFS: {
			struct run_mount *nm = realloc(r->mounts, (r->nmounts + 1) * sizeof(*nm));
			if (nm == NULL)
				return berth_error_errno(err, ENOMEM, "mounts");
			r->mounts = nm;
			struct run_mount *m = &r->mounts[r->nmounts];
			if (c == 'v') {
				if (run_parse_volume(optarg, m, err) < 0)
					return -1;
			} else {
				memset(m, 0, sizeof(*m));
				char *colon = strchr(optarg, ':');
				m->kind = RUN_MOUNT_TMPFS;
				snprintf(m->dest, sizeof(m->dest), "%.*s",
					 colon ? (int)(colon - optarg) : (int)strlen(optarg), optarg);
				snprintf(m->source, sizeof(m->source), "%s", colon ? colon + 1 : "");
				if (m->dest[0] != '/')
					return berth_error(err, EINVAL,
							   "tmpfs `%s`: expected an absolute path",
							   optarg);
			}
			r->nmounts++;
			break;
		}
		case 'p': {
			struct engine_port *np = realloc(r->ports, (r->nports + 1) * sizeof(*np));
			if (np == NULL)
				return berth_error_errno(err, ENOMEM, "ports");
			r->ports = np;
			if (run_parse_port(optarg, &r->ports[r->nports], err) < 0)
				return -1;
			r->nports++;
			break;
		}
		case OPT_NETWORK:
			r->network = optarg;
			break;
		case OPT_HOSTNAME:
			r->hostname = optarg;
			break;
		case 'm':
		case OPT_MEMORY:
			if (run_parse_memory(optarg, &r->memory, err) < 0)
				return -1;
			break;
		case OPT_CPUS:
			errno = 0;
			r->cpus = strtod(optarg, &end);
			if (errno || end == optarg || *end || r->cpus <= 0 || r->cpus > 1024)
				return berth_error(err, EINVAL, "cpus `%s`: expected a number like 0.5",
						   optarg);
			break;
		case OPT_PIDS:
			errno = 0;
			r->pids_limit = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || r->pids_limit == 0 || r->pids_limit < -1)
				return berth_error(err, EINVAL,
						   "pids-limit `%s`: expected a positive number or -1",
						   optarg);
			break;
		case 'u':
			r->user = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return berth_error(err, EINVAL, "workdir `%s`: must be absolute",
						   optarg);
			r->workdir = optarg;
			break;
		case OPT_ENTRYPOINT:
			r->entrypoint = optarg;
			break;
		case OPT_RESTART:
			if (run_parse_restart(optarg, err) < 0)
				return -1;
			r->restart = optarg;
			break;
		case OPT_RO:
			r->read_only = true;
			break;
		case OPT_CAPADD:
		case OPT_CAPDROP: {
			/* libberth's own list of names: an unknown one is refused here, not by the runtime */
			const char *name = cap_name(optarg, cap, sizeof(cap));
			uint64_t mask;
			if (strcmp(name, "ALL") != 0 &&
			    berth_caps_from_names(&name, 1, &mask, NULL) < 0)
				return berth_error(err, EINVAL, "%s `%s`: unknown capability",
						   c == OPT_CAPADD ? "cap-add" : "cap-drop", optarg);
		}
			if (strv_push(c == OPT_CAPADD ? &r->cap_add : &r->cap_drop,
				      c == OPT_CAPADD ? &nadd : &ndrop, cap_name(optarg, cap, sizeof(cap))) < 0)
				return berth_error_errno(err, ENOMEM, "capabilities");
			break;
		case OPT_SECOPT:
			if (strcmp(optarg, "no-new-privileges") == 0 ||
			    strcmp(optarg, "no-new-privileges:true") == 0 ||
			    strcmp(optarg, "no-new-privileges=true") == 0)
				r->no_new_privs = true;
			else if (strcmp(optarg, "seccomp=unconfined") == 0)
				r->seccomp_unconfined = true;
			else if (strcmp(optarg, "label=disable") == 0 ||
				 strcmp(optarg, "apparmor=unconfined") == 0)
				; /* no LSM labels are applied anyway */
			else
				return berth_error(err, EINVAL,
						   "security-opt `%s`: unsupported (no-new-privileges, "
						   "seccomp=unconfined, label=disable)",
						   optarg);
			break;
		default:
			goto bad;
		}
	}
	if (optind >= argc)
		return berth_error(err, EINVAL, "%s: no image given", is_run ? "run" : "create");
	r->image = argv[optind];
	r->cmd = argv + optind + 1;
	if (r->restart && strcmp(r->restart, "no") != 0 && r->rm)
		return berth_error(err, EINVAL, "--restart and --rm cannot be used together");
	if ((strcmp(r->network, "none") == 0 || strcmp(r->network, "host") == 0) && r->nports > 0)
		return berth_error(err, EINVAL, "-p needs a network (not `%s`)", r->network);
	return 0;
bad:
	return berth_error(err, EINVAL, "%s: bad option (see berthctl(1))", is_run ? "run" : "create");
}

/* ---- applying the flags to the OCI config ----------------------------- */

static json_t *obj_path(json_t *root, const char *a, const char *b)
{
	json_t *o = json_object_get(root, a);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(root, a, o);
	}
	if (b == NULL)
		return o;
	json_t *p = json_object_get(o, b);
	if (!json_is_object(p)) {
		p = json_object();
		json_object_set_new(o, b, p);
	}
	return p;
}

static void caps_edit(json_t *caps, char **add, char **drop)
{
	static const char *sets[] = { "bounding", "effective", "permitted" };

	for (size_t i = 0; i < 3; i++) {
		json_t *arr = json_object_get(caps, sets[i]);
		if (!json_is_array(arr)) {
			arr = json_array();
			json_object_set_new(caps, sets[i], arr);
		}
		for (char **d = drop; d && *d; d++) {
			for (size_t j = json_array_size(arr); j-- > 0;) {
				const char *v = json_string_value(json_array_get(arr, j));
				if (v && (strcmp(*d, "ALL") == 0 || strcmp(v, *d) == 0))
					json_array_remove(arr, j);
			}
		}
		for (char **a = add; a && *a; a++) {
			bool have = false;
			size_t j;
			json_t *v;
			json_array_foreach (arr, j, v)
				if (json_string_value(v) && strcmp(json_string_value(v), *a) == 0)
					have = true;
			if (!have && strcmp(*a, "ALL") != 0)
				json_array_append_new(arr, json_string(*a));
		}
	}
}

int run_opts_apply(const struct run_opts *r, json_t *config, const char *volumes_dir,
		   const char *netns, const char *cgroup, berth_error_t *err)
{
	json_t *mounts = json_object_get(config, "mounts");
	json_t *linux_ = obj_path(config, "linux", NULL);
	json_t *process = obj_path(config, "process", NULL);
	json_t *ns = json_object_get(linux_, "namespaces");

	if (!json_is_array(mounts)) {
		mounts = json_array();
		json_object_set_new(config, "mounts", mounts);
	}
	for (size_t i = 0; i < r->nmounts; i++) {
		const struct run_mount *m = &r->mounts[i];
		json_t *jm;
		if (m->kind == RUN_MOUNT_TMPFS) {
			char opts[PATH_MAX + 16];
			snprintf(opts, sizeof(opts), "%s", m->source[0] ? m->source : "mode=1777");
			jm = json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "destination", m->dest, "type",
				       "tmpfs", "source", "tmpfs", "options", "nosuid", "nodev", opts);
		} else {
			char src[PATH_MAX * 2];
			if (m->kind == RUN_MOUNT_VOLUME) {
				snprintf(src, sizeof(src), "%s/%s/_data", volumes_dir, m->source);
				if (berth_mkdir_p(src, 0755, err) < 0)
					return berth_error_wrap(err, "volume `%s`", m->source);
			} else {
				snprintf(src, sizeof(src), "%s", m->source);
			}
			jm = json_pack("{s:s, s:s, s:s, s:[s,s]}", "destination", m->dest, "type",
				       "bind", "source", src, "options", "rbind",
				       m->read_only ? "ro" : "rw");
		}
		if (jm == NULL)
			return berth_error(err, ENOMEM, "mount `%s`", m->dest);
		json_array_append_new(mounts, jm);
	}

	json_t *res = obj_path(linux_, "resources", NULL);
	if (r->memory > 0)
		json_object_set_new(obj_path(res, "memory", NULL), "limit",
				    json_integer(r->memory));
	if (r->cpus > 0) {
		json_t *cpu = obj_path(res, "cpu", NULL);
		json_object_set_new(cpu, "period", json_integer(100000));
		json_object_set_new(cpu, "quota", json_integer((json_int_t)(r->cpus * 100000)));
	}
	if (r->pids_limit != 0)
		json_object_set_new(obj_path(res, "pids", NULL), "limit",
				    json_integer(r->pids_limit));
	/*
	 * Like podman, no ambient set: raising one needs the capability in the
	 * inheritable set too, which the image config does not give; strict
	 * runtimes (berth) refuse such a config, runc only warns.
	 */
	json_object_del(obj_path(process, "capabilities", NULL), "ambient");
	if (r->cap_add || r->cap_drop)
		caps_edit(obj_path(process, "capabilities", NULL), r->cap_add, r->cap_drop);
	if (r->no_new_privs)
		json_object_set_new(process, "noNewPrivileges", json_true());
	if (r->seccomp_unconfined)
		json_object_del(linux_, "seccomp");
	json_object_set_new(linux_, "cgroupsPath", json_string(cgroup));

	/* The network namespace: ours (pinned at netns), or the host's. */
	if (json_is_array(ns)) {
		for (size_t j = json_array_size(ns); j-- > 0;) {
			json_t *n = json_array_get(ns, j);
			const char *t = json_string_value(json_object_get(n, "type"));
			if (t && strcmp(t, "network") == 0)
				json_array_remove(ns, j);
		}
	} else {
		ns = json_array();
		json_object_set_new(linux_, "namespaces", ns);
	}
	if (netns)
		json_array_append_new(ns, json_pack("{s:s, s:s}", "type", "network", "path", netns));
	return 0;
}
