/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroups: layout detection, paths, the container cgroup's lifecycle, and
 * dispatch of each controller to the hierarchy the kernel bound it to.
 * The per-version controller files live in cgroup_v1.c and cgroup_v2.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "util.h"

static const struct {
	const char *v1, *v2;
} ctrl_names[BERTH_CG_NCTRL] = {
    [BERTH_CG_CPU] = {"cpu", "cpu"},
    [BERTH_CG_CPUACCT] = {"cpuacct", NULL},
    [BERTH_CG_CPUSET] = {"cpuset", "cpuset"},
    [BERTH_CG_MEMORY] = {"memory", "memory"},
    [BERTH_CG_DEVICES] = {"devices", NULL},
    [BERTH_CG_FREEZER] = {"freezer", NULL},
    [BERTH_CG_BLKIO] = {"blkio", "io"},
    [BERTH_CG_PIDS] = {"pids", "pids"},
    [BERTH_CG_HUGETLB] = {"hugetlb", "hugetlb"},
    [BERTH_CG_NET_CLS] = {"net_cls", NULL},
    [BERTH_CG_NET_PRIO] = {"net_prio", NULL},
    [BERTH_CG_RDMA] = {"rdma", "rdma"},
    [BERTH_CG_MISC] = {"misc", "misc"},
    [BERTH_CG_PERF_EVENT] = {"perf_event", "perf_event"},
};

const char *berth_cg_ctrl_name(enum berth_cg_ctrl c, bool v2)
{
	if ((unsigned)c >= BERTH_CG_NCTRL)
		return NULL;
	return v2 ? ctrl_names[c].v2 : ctrl_names[c].v1;
}

int berth_cg_ctrl_from_name(const char *name)
{
	for (int c = 0; c < BERTH_CG_NCTRL; c++)
		if (strcmp(ctrl_names[c].v1, name) == 0 ||
		    (ctrl_names[c].v2 && strcmp(ctrl_names[c].v2, name) == 0))
			return c;
	return -1;
}

/* ---- files ------------------------------------------------------------ */

int berth_cg_write(const char *dir, const char *file, const char *value, const char *field,
		   berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	size_t len = strlen(value);

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return berth_error(err, ENOMEM, "%s: out of memory", field);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "%s: open `%s`", field, path);
	/* cgroup files take one value per write().  (cgroupfs ignores O_TRUNC; the tests
	 * use it to stand plain files in for a cgroup2 directory.) */
	if (write(fd, value, len) != (ssize_t)len)
		return berth_error_errno(err, errno, "%s: write `%s` to `%s`", field, value, path);
	return 0;
}

int berth_cg_writef(const char *dir, const char *file, const char *field, berth_error_t *err,
		    const char *fmt, ...)
{
	cleanup_free char *value = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (n < 0)
		return berth_error(err, ENOMEM, "%s: out of memory", field);
	return berth_cg_write(dir, file, value, field, err);
}

int berth_cg_read(const char *dir, const char *file, char **out, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	size_t len = 0;
	int ret;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return berth_error(err, ENOMEM, "read `%s`: out of memory", file);
	ret = berth_read_file(path, out, &len, err);
	if (ret < 0)
		return ret;
	while (len > 0 && (*out)[len - 1] == '\n')
		(*out)[--len] = '\0';
	return 0;
}

int berth_cg_read_u64(const char *dir, const char *file, uint64_t *out, berth_error_t *err)
{
	cleanup_free char *s = NULL;
	char *end;

	if (berth_cg_read(dir, file, &s, err) < 0)
		return berth_error_ret(err);
	if (strncmp(s, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s)
		return berth_error(err, EINVAL, "%s/%s: `%s` is not a number", dir, file, s);
	return 0;
}

int berth_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *out,
		      berth_error_t *err)
{
	cleanup_free char *s = NULL;
	size_t klen = strlen(key);

	if (berth_cg_read(dir, file, &s, err) < 0)
		return berth_error_ret(err);
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');

		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*out = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return berth_error(err, ENOENT, "%s/%s: no `%s` entry", dir, file, key);
}

bool berth_cg_exists(const char *dir, const char *file)
{
	cleanup_free char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return false;
	return access(path, F_OK) == 0;
}

void berth_cg_json_u64(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

json_t *berth_cg_json_obj(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (o == NULL) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

void berth_cg_flat_keyed(const char *dir, const char *file, json_t *o)
{
	cleanup_free char *s = NULL;
	berth_error_t ignore = NULL;

	if (berth_cg_read(dir, file, &s, &ignore) < 0) {
		berth_error_release(&ignore);
		return;
	}
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n'), *sp;

		if (nl)
			*nl = '\0';
		sp = strchr(line, ' ');
		if (sp) {
			*sp = '\0';
			berth_cg_json_u64(o, line, strtoull(sp + 1, NULL, 10));
		}
		line = nl ? nl + 1 : NULL;
	}
}

const char *const berth_cg_throttle_fields[4] = {
    "linux.resources.blockIO.throttleReadBpsDevice",
    "linux.resources.blockIO.throttleWriteBpsDevice",
    "linux.resources.blockIO.throttleReadIOPSDevice",
    "linux.resources.blockIO.throttleWriteIOPSDevice",
};

int berth_cg_hugetlb(const char *dir, const char *suffix, const struct berth_cgroup_resources *r,
		     berth_error_t *err)
{
	for (size_t i = 0; i < r->n_hugetlb; i++) {
		char file[96];

		snprintf(file, sizeof(file), "hugetlb.%s.%s", r->hugetlb[i].page_size, suffix);
		if (!berth_cg_exists(dir, file))
			return berth_error(err, EINVAL,
					   "linux.resources.hugepageLimits: page size `%s` is not "
					   "supported by the kernel",
					   r->hugetlb[i].page_size);
		if (berth_cg_writef(dir, file, "linux.resources.hugepageLimits", err, "%llu",
				    (unsigned long long)r->hugetlb[i].limit) < 0)
			return -1;
	}
	return 0;
}

/* ---- layout ----------------------------------------------------------- */

void berth_cg_layout_free(struct berth_cg_layout *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->h[i].name);
		free(l->h[i].mount);
		free(l->h[i].root);
	}
	free(l->h);
	free(l);
}

static void cleanup_layoutp(struct berth_cg_layout **l)
{
	berth_cg_layout_free(*l);
}
#define cleanup_layout __attribute__((cleanup(cleanup_layoutp)))

/* mountinfo escapes blanks as octal ("\040"). */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len + 1 && s[i + 1] >= '0' && s[i + 1] <= '3') {
			*o++ = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) |
				      (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Split a line into at most max blank-separated fields (pointers into line). */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	return n;
}

static unsigned mask_from_list(const char *list, char sep)
{
	cleanup_free char *copy = strdup(list);
	char delim[2] = {sep, '\0'}, *save = NULL;
	unsigned mask = 0;

	if (copy == NULL)
		return 0;
	for (char *t = strtok_r(copy, delim, &save); t; t = strtok_r(NULL, delim, &save)) {
		int c = berth_cg_ctrl_from_name(t);

		if (c >= 0)
			mask |= BERTH_CG_BIT(c);
	}
	return mask;
}

static int layout_add(struct berth_cg_layout *l, const char *name, const char *mount,
		      const char *root, unsigned mask, bool v2, berth_error_t *err)
{
	struct berth_cg_hier *nh = realloc(l->h, (l->n + 1) * sizeof(*nh));

	if (nh == NULL)
		return berth_error(err, ENOMEM, "cgroup layout: out of memory");
	l->h = nh;
	nh = &l->h[l->n];
	nh->name = strdup(name);
	nh->mount = unescape(mount, strlen(mount));
	nh->root = unescape(root, strlen(root));
	nh->mask = mask;
	nh->v2 = v2;
	l->n++;
	if (!nh->name || !nh->mount || !nh->root)
		return berth_error(err, ENOMEM, "cgroup layout: out of memory");
	return 0;
}

/* The hierarchy name of a v1 mount from its super options ("rw,cpu,cpuacct"). */
static char *v1_name(const char *superopts, unsigned *mask)
{
	cleanup_free char *copy = strdup(superopts);
	char *save = NULL, *named = NULL, *out = NULL;
	size_t len = 0;

	*mask = 0;
	if (copy == NULL)
		return NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int c = berth_cg_ctrl_from_name(t);

		if (strncmp(t, "name=", 5) == 0) {
			named = t;
			continue;
		}
		if (c < 0)
			continue;
		*mask |= BERTH_CG_BIT(c);
		char *n = realloc(out, len + strlen(t) + 2);
		if (n == NULL) {
			free(out);
			return NULL;
		}
		out = n;
		len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", t);
	}
	if (out == NULL && named)
		out = strdup(named);
	return out;
}

int berth_cg_layout_parse(const char *mountinfo, const char *unified_controllers,
			  struct berth_cg_layout **out, berth_error_t *err)
{
	cleanup_layout struct berth_cg_layout *l = calloc(1, sizeof(*l));
	cleanup_free char *text = strdup(mountinfo);
	cleanup_strv char **seen = calloc(64, sizeof(char *));
	size_t nseen = 0;
	bool has_v1 = false, has_v2 = false;
	char *save = NULL;

	if (!l || !text || !seen)
		return berth_error(err, ENOMEM, "cgroup layout: out of memory");
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[32], *dash = strstr(line, " - ");
		char *tail[3];
		size_t n, nt;
		bool dup = false;

		if (dash == NULL)
			continue;
		*dash = '\0';
		n = split_fields(line, f, 32);
		nt = split_fields(dash + 3, tail, 3);
		if (n < 5 || nt < 3)
			continue;
		if (strcmp(tail[0], "cgroup") != 0 && strcmp(tail[0], "cgroup2") != 0)
			continue;
		/* One hierarchy can be mounted several times: keep the first mount. */
		for (size_t i = 0; i < nseen; i++)
			dup |= strcmp(seen[i], f[2]) == 0;
		if (dup || nseen >= 63)
			continue;
		seen[nseen] = strdup(f[2]);
		if (seen[nseen++] == NULL)
			return berth_error(err, ENOMEM, "cgroup layout: out of memory");
		if (strcmp(tail[0], "cgroup2") == 0) {
			cleanup_free char *ctrls = NULL;
			unsigned mask;

			if (has_v2)
				continue;
			if (unified_controllers) {
				ctrls = strdup(unified_controllers);
			} else {
				cleanup_free char *mnt = unescape(f[4], strlen(f[4]));
				berth_error_t ignore = NULL;

				if (mnt &&
				    berth_cg_read(mnt, "cgroup.controllers", &ctrls, &ignore) < 0) {
					berth_error_release(&ignore);
					ctrls = strdup("");
				}
			}
			if (ctrls == NULL)
				return berth_error(err, ENOMEM, "cgroup layout: out of memory");
			for (char *p = ctrls; *p; p++)
				if (*p == '\n')
					*p = ' ';
			/* The freezer, device programs and cpu.stat are core to cgroup2. */
			mask = mask_from_list(ctrls, ' ') | BERTH_CG_BIT(BERTH_CG_FREEZER) |
			       BERTH_CG_BIT(BERTH_CG_DEVICES) | BERTH_CG_BIT(BERTH_CG_CPUACCT);
			if (layout_add(l, "unified", f[4], f[3], mask, true, err) < 0)
				return -1;
			has_v2 = true;
		} else {
			unsigned mask;
			cleanup_free char *name = v1_name(tail[2], &mask);

			if (name == NULL)
				continue;
			if (layout_add(l, name, f[4], f[3], mask, false, err) < 0)
				return -1;
			has_v1 = true;
		}
	}
	if (!has_v1 && !has_v2)
		return berth_error(err, ENOENT, "cgroups: no cgroup hierarchy is mounted");
	l->mode = has_v1 && has_v2 ? BERTH_CG_MODE_HYBRID
		  : has_v2	   ? BERTH_CG_MODE_V2
				   : BERTH_CG_MODE_V1;
	*out = steal_pointer(&l);
	return 0;
}

int berth_cg_layout_detect(struct berth_cg_layout **out, berth_error_t *err)
{
	cleanup_free char *mi = NULL;

	if (berth_read_file("/proc/self/mountinfo", &mi, NULL, err) < 0)
		return berth_error_wrap(err, "cgroups");
	return berth_cg_layout_parse(mi, NULL, out, err);
}

/* ---- paths ------------------------------------------------------------- */

int berth_cg_path_check(const char *path, berth_error_t *err)
{
	const char *p = path;

	if (path[0] == '\0')
		return berth_error(err, EINVAL, "linux.cgroupsPath: empty");
	if (path[strspn(path, "/")] == '\0')
		return berth_error(
		    err, EINVAL, "linux.cgroupsPath `%s`: the root cgroup cannot be a container's",
		    path);
	if (strchr(path, ':'))
		return berth_error(err, EINVAL,
				   "linux.cgroupsPath `%s`: systemd paths (slice:prefix:name) need "
				   "the systemd cgroup driver, which berth does not have",
				   path);
	while (*p) {
		size_t len = strcspn(p, "/");

		if ((len == 2 && strncmp(p, "..", 2) == 0) || (len == 1 && p[0] == '.'))
			return berth_error(err, EINVAL,
					   "linux.cgroupsPath `%s`: `.` and `..` are not allowed",
					   path);
		p += len;
		while (*p == '/')
			p++;
	}
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20)
			return berth_error(err, EINVAL,
					   "linux.cgroupsPath: control character in the path");
	return 0;
}

const char *berth_cg_own_path(const struct berth_cg_hier *h, const char *proc_cgroup, char *buf,
			      size_t size)
{
	const char *line = proc_cgroup;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;

		if (c1 && c2) {
			char list[512];
			size_t ll = (size_t)(c2 - c1 - 1);
			bool match;

			snprintf(list, sizeof(list), "%.*s", (int)ll, c1 + 1);
			if (h->v2)
				match = ll == 0 && strncmp(line, "0:", 2) == 0;
			else if (strncmp(h->name, "name=", 5) == 0)
				match =
				    strcmp(list, h->name) == 0 || (strstr(list, h->name) != NULL);
			else
				match = ll > 0 && (mask_from_list(list, ',') & h->mask) != 0;
			if (match) {
				snprintf(buf, size, "%.*s", (int)(len - (size_t)(c2 + 1 - line)),
					 c2 + 1);
				return buf;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int berth_cg_hier_dir(const struct berth_cg_hier *h, const char *path, const char *proc_cgroup,
		      char **out, berth_error_t *err)
{
	const char *base = "";
	char own_buf[4096];
	int n;

	if (path[0] != '/') {
		const char *own =
		    berth_cg_own_path(h, proc_cgroup ? proc_cgroup : "", own_buf, sizeof(own_buf));
		size_t rl = strlen(h->root);

		if (own == NULL)
			return berth_error(
			    err, ENOENT,
			    "cgroup `%s`: the caller's own cgroup in hierarchy `%s` is "
			    "unknown",
			    path, h->name);
		/* A mount whose root is not "/" shows only what lies below its root. */
		if (strcmp(h->root, "/") != 0 && strncmp(own, h->root, rl) == 0 &&
		    (own[rl] == '/' || own[rl] == '\0'))
			own += rl;
		base = own;
	}
	while (*path == '/')
		path++;
	n = asprintf(out, "%s%s%s/%s", h->mount, base[0] && base[0] != '/' ? "/" : "",
		     strcmp(base, "/") == 0 ? "" : base, path);
	if (n < 0)
		return berth_error(err, ENOMEM, "cgroup `%s`: out of memory", path);
	/* Fold "//" that an empty base or a trailing '/' leaves. */
	for (char *s = *out, *d = *out;; s++) {
		if (*s == '/' && s[1] == '/')
			continue;
		*d++ = *s;
		if (*s == '\0')
			break;
	}
	n = (int)strlen(*out);
	while (n > 1 && (*out)[n - 1] == '/')
		(*out)[--n] = '\0';
	return 0;
}

/* ---- the container cgroup ------------------------------------------------ */

void berth_cgroup_free(struct berth_cgroup *cg)
{
	if (cg == NULL)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->d[i].name);
		free(cg->d[i].dir);
	}
	free(cg->d);
	free(cg->path);
	free(cg);
}

static void cleanup_cgroupp(struct berth_cgroup **cg)
{
	berth_cgroup_free(*cg);
}
#define cleanup_cgroup __attribute__((cleanup(cleanup_cgroupp)))

const char *berth_cgroup_path(const struct berth_cgroup *cg)
{
	return cg->path;
}

const struct berth_cg_dir *berth_cg_dir_for(const struct berth_cgroup *cg, enum berth_cg_ctrl c)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->d[i].mask & BERTH_CG_BIT(c))
			return &cg->d[i];
	return NULL;
}

const struct berth_cg_dir *berth_cg_v2_dir(const struct berth_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->d[i].v2)
			return &cg->d[i];
	return NULL;
}

/* Created directories, to be removed again if creation fails. */
struct created {
	char **dirs;
	size_t n;
};

static void created_undo(struct created *c)
{
	for (size_t i = c->n; i-- > 0;) {
		rmdir(c->dirs[i]);
		free(c->dirs[i]);
	}
	free(c->dirs);
	c->dirs = NULL;
	c->n = 0;
}

static void created_forget(struct created *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->dirs[i]);
	free(c->dirs);
	c->dirs = NULL;
	c->n = 0;
}

/* mkdir -p dir below mount, recording each directory it made. */
static int mkdir_tracked(const char *mount, const char *dir, bool cpuset, struct created *c,
			 berth_error_t *err)
{
	cleanup_free char *path = strdup(dir);
	size_t ml = strlen(mount);

	if (path == NULL)
		return berth_error(err, ENOMEM, "cgroup: out of memory");
	for (char *p = path + ml;; p++) {
		char saved = *p;

		if (*p != '/' && *p != '\0')
			continue;
		if (p == path + ml) {
			if (saved == '\0')
				break;
			continue;
		}
		*p = '\0';
		if (mkdir(path, 0755) == 0) {
			char **nd = realloc(c->dirs, (c->n + 1) * sizeof(*nd));

			if (nd == NULL || (nd[c->n] = strdup(path)) == NULL) {
				if (nd)
					c->dirs = nd;
				rmdir(path);
				return berth_error(err, ENOMEM, "cgroup: out of memory");
			}
			c->dirs = nd;
			c->n++;
		} else if (errno != EEXIST) {
			return berth_error_errno(err, errno, "create cgroup `%s`", path);
		}
		/* A new v1 cpuset has no cpus and no mems: nobody could join it. */
		if (cpuset && berth_cg_v1_cpuset_init(path, err) < 0)
			return -1;
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

/* Controllers res asks for, to refuse what the host cannot do. */
static int check_available(const struct berth_cgroup *cg, const struct berth_cgroup_resources *r,
			   berth_error_t *err)
{
	static const struct {
		enum berth_cg_ctrl c;
		const char *field;
	} need[] = {
	    {BERTH_CG_MEMORY, "memory"}, {BERTH_CG_CPU, "cpu"},
	    {BERTH_CG_CPUSET, "cpu"},	 {BERTH_CG_PIDS, "pids"},
	    {BERTH_CG_BLKIO, "blockIO"}, {BERTH_CG_HUGETLB, "hugepageLimits"},
	};
	bool wants[BERTH_CG_NCTRL] = {0};

	wants[BERTH_CG_MEMORY] = r->mem_limit != BERTH_CG_UNSET ||
				 r->mem_reservation != BERTH_CG_UNSET ||
				 r->mem_swap != BERTH_CG_UNSET ||
				 r->mem_swappiness != BERTH_CG_UNSET || r->disable_oom_killer == 1;
	wants[BERTH_CG_CPU] = r->cpu_shares != BERTH_CG_UNSET || r->cpu_quota != BERTH_CG_UNSET ||
			      r->cpu_period != BERTH_CG_UNSET || r->cpu_burst != BERTH_CG_UNSET ||
			      r->cpu_rt_runtime != BERTH_CG_UNSET ||
			      r->cpu_rt_period != BERTH_CG_UNSET || r->cpu_idle != BERTH_CG_UNSET;
	wants[BERTH_CG_CPUSET] = r->cpus || r->mems;
	wants[BERTH_CG_PIDS] = r->pids_limit != BERTH_CG_UNSET;
	wants[BERTH_CG_BLKIO] = r->blkio_weight != BERTH_CG_UNSET ||
				r->blkio_leaf_weight != BERTH_CG_UNSET || r->n_weight_device ||
				r->n_throttle[0] || r->n_throttle[1] || r->n_throttle[2] ||
				r->n_throttle[3];
	wants[BERTH_CG_HUGETLB] = r->n_hugetlb > 0;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (wants[need[i].c] && berth_cg_dir_for(cg, need[i].c) == NULL)
			return berth_error(err, EOPNOTSUPP,
					   "linux.resources.%s: the %s controller is not available "
					   "on this host",
					   need[i].field, berth_cg_ctrl_name(need[i].c, false));
	if (r->n_unified && berth_cg_v2_dir(cg) == NULL)
		return berth_error(err, EOPNOTSUPP,
				   "linux.resources.unified `%s`: this host has no cgroup2 "
				   "hierarchy",
				   r->unified[0].key);
	return 0;
}

int berth_cg_apply_shared(const char *dir, unsigned mask, const struct berth_cgroup_resources *r,
			  berth_error_t *err)
{
	if (mask & BERTH_CG_BIT(BERTH_CG_CPUSET)) {
		if (r->cpus &&
		    berth_cg_write(dir, "cpuset.cpus", r->cpus, "linux.resources.cpu.cpus", err) < 0)
			return -1;
		if (r->mems &&
		    berth_cg_write(dir, "cpuset.mems", r->mems, "linux.resources.cpu.mems", err) < 0)
			return -1;
	}
	if ((mask & BERTH_CG_BIT(BERTH_CG_PIDS)) && r->pids_limit != BERTH_CG_UNSET) {
		if (r->pids_limit <= 0)
			return berth_cg_write(dir, "pids.max", "max", "linux.resources.pids.limit",
					      err);
		return berth_cg_writef(dir, "pids.max", "linux.resources.pids.limit", err, "%lld",
				       (long long)r->pids_limit);
	}
	return 0;
}

static int apply(const struct berth_cgroup *cg, const struct berth_cgroup_resources *r,
		 berth_error_t *err)
{
	const struct berth_cg_dir *dev;

	if (r == NULL)
		return 0;
	if (check_available(cg, r, err) < 0)
		return -1;
	for (size_t i = 0; i < cg->n; i++) {
		const struct berth_cg_dir *d = &cg->d[i];
		int ret = d->v2 ? berth_cg_v2_apply(d->dir, d->mask, r, err)
				: berth_cg_v1_apply(d->dir, d->mask, r, err);

		if (ret < 0)
			return ret;
	}
	dev = berth_cg_dir_for(cg, BERTH_CG_DEVICES);
	if (r->has_devices && dev) {
		cleanup_free struct berth_cgroup_device_rule *rules = NULL;
		size_t n = 0;
		int ret;

		if (berth_cg_device_rules(r, &rules, &n, err) < 0)
			return -1;
		ret = dev->v2 ? berth_cg_bpf_devices(dev->dir, rules, n, err)
			      : berth_cg_v1_devices(dev->dir, rules, n, err);
		if (ret < 0)
			return berth_error_wrap(err, "linux.resources.devices");
	}
	if (r->n_unified && berth_cg_v2_unified(berth_cg_v2_dir(cg)->dir, r, err) < 0)
		return -1;
	return 0;
}

int berth_cgroup_enter(const struct berth_cgroup *cg, pid_t pid, berth_error_t *err)
{
	for (size_t i = 0; i < cg->n; i++)
		if (berth_cg_writef(cg->d[i].dir, "cgroup.procs", "join cgroup", err, "%d",
				    (int)pid) < 0)
			return berth_error_wrap(err, "cgroup `%s`: move process %d", cg->path,
						(int)pid);
	berth_log_debug("cgroup `%s`: process %d joined", cg->path, (int)pid);
	return 0;
}

int berth_cgroup_create(const char *cgroups_path, const char *id,
			const struct berth_cgroup_resources *res, pid_t pid,
			struct berth_cgroup **out, berth_error_t *err)
{
	cleanup_layout struct berth_cg_layout *l = NULL;
	cleanup_cgroup struct berth_cgroup *cg = NULL;
	cleanup_free char *self = NULL;
	struct created made = {0};
	unsigned claimed = 0;

	cg = calloc(1, sizeof(*cg));
	if (cg == NULL)
		return berth_error(err, ENOMEM, "cgroup: out of memory");
	if (cgroups_path == NULL || cgroups_path[0] == '\0') {
		if (id == NULL || id[0] == '\0' || strchr(id, '/') || strcmp(id, "..") == 0 ||
		    strcmp(id, ".") == 0)
			/* cppcheck-suppress memleak ; cg is released by cleanup_cgroup */
			return berth_error(err, EINVAL, "cgroup: bad container id `%s`",
					   id ? id : "");
		if (asprintf(&cg->path, "/berth/%s", id) < 0)
			return berth_error(err, ENOMEM, "cgroup: out of memory");
	} else {
		cg->path = strdup(cgroups_path);
	}
	if (cg->path == NULL)
		return berth_error(err, ENOMEM, "cgroup: out of memory");
	if (berth_cg_path_check(cg->path, err) < 0)
		return -1;
	if (berth_cg_layout_detect(&l, err) < 0 ||
	    berth_read_file("/proc/self/cgroup", &self, NULL, err) < 0)
		return -1;
	cg->mode = l->mode;
	cg->d = calloc(l->n, sizeof(*cg->d));
	if (cg->d == NULL)
		return berth_error(err, ENOMEM, "cgroup: out of memory");
	for (size_t i = 0; i < l->n; i++)
		if (!l->h[i].v2)
			claimed |= l->h[i].mask;
	for (size_t i = 0; i < l->n; i++) {
		struct berth_cg_dir *d = &cg->d[cg->n];

		if (berth_cg_hier_dir(&l->h[i], cg->path, self, &d->dir, err) < 0)
			return -1;
		d->name = strdup(l->h[i].name);
		d->v2 = l->h[i].v2;
		/* Each controller is driven from one place: its v1 hierarchy if it has one. */
		d->mask = d->v2 ? l->h[i].mask & ~claimed : l->h[i].mask;
		cg->n++;
		if (d->name == NULL)
			return berth_error(err, ENOMEM, "cgroup: out of memory");
	}
	for (size_t i = 0; i < cg->n; i++) {
		const struct berth_cg_dir *d = &cg->d[i];

		if (mkdir_tracked(l->h[i].mount, d->dir,
				  !d->v2 && (d->mask & BERTH_CG_BIT(BERTH_CG_CPUSET)), &made,
				  err) < 0)
			goto fail;
		if (d->v2 && berth_cg_v2_enable(l->h[i].mount, d->dir, d->mask, err) < 0)
			goto fail;
	}
	if (apply(cg, res, err) < 0)
		goto fail;
	if (pid > 0 && berth_cgroup_enter(cg, pid, err) < 0) {
		/* Put the process back where it came from so the directories can go. */
		for (size_t i = 0; i < cg->n; i++) {
			cleanup_free char *parent = strdup(cg->d[i].dir);
			berth_error_t ignore = NULL;
			char *slash = parent ? strrchr(parent, '/') : NULL;

			if (slash) {
				*slash = '\0';
				berth_cg_writef(parent, "cgroup.procs", "", &ignore, "%d",
						(int)pid);
				berth_error_release(&ignore);
			}
		}
		goto fail;
	}
	created_forget(&made);
	for (size_t i = 0; i < cg->n; i++)
		berth_log_debug("cgroup `%s`: %s (%s)", cg->path, cg->d[i].dir,
				cg->d[i].v2 ? "v2" : "v1");
	*out = steal_pointer(&cg);
	return 0;
fail:
	created_undo(&made);
	return berth_error_wrap(err, "cgroup `%s`", cg->path);
}

int berth_cgroup_update(const struct berth_cgroup *cg, const struct berth_cgroup_resources *res,
			berth_error_t *err)
{
	if (apply(cg, res, err) < 0)
		return berth_error_wrap(err, "update cgroup `%s`", cg->path);
	return 0;
}

/* ---- freezer, processes, signals -------------------------------------- */

int berth_cgroup_freeze(const struct berth_cgroup *cg, bool freeze, berth_error_t *err)
{
	const struct berth_cg_dir *d = berth_cg_dir_for(cg, BERTH_CG_FREEZER);
	int ret;

	if (d == NULL)
		return berth_error(err, EOPNOTSUPP, "cgroup `%s`: no freezer on this host",
				   cg->path);
	ret = d->v2 ? berth_cg_v2_freeze(d->dir, freeze, err)
		    : berth_cg_v1_freeze(d->dir, freeze, err);
	if (ret < 0)
		return berth_error_wrap(err, "%s cgroup `%s`", freeze ? "freeze" : "thaw",
					cg->path);
	return 0;
}

int berth_cgroup_is_frozen(const struct berth_cgroup *cg, bool *frozen, berth_error_t *err)
{
	const struct berth_cg_dir *d = berth_cg_dir_for(cg, BERTH_CG_FREEZER);

	*frozen = false;
	if (d == NULL)
		return 0;
	return d->v2 ? berth_cg_v2_is_frozen(d->dir, frozen, err)
		     : berth_cg_v1_is_frozen(d->dir, frozen, err);
}

/* The hierarchy whose cgroup.procs lists the container's processes. */
static const struct berth_cg_dir *procs_dir(const struct berth_cgroup *cg)
{
	static const enum berth_cg_ctrl pref[] = {BERTH_CG_PIDS, BERTH_CG_FREEZER, BERTH_CG_MEMORY,
						  BERTH_CG_CPU};
	const struct berth_cg_dir *v2 = berth_cg_v2_dir(cg);

	if (v2)
		return v2;
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++)
		if (berth_cg_dir_for(cg, pref[i]))
			return berth_cg_dir_for(cg, pref[i]);
	return cg->n ? &cg->d[0] : NULL;
}

static int collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap, int depth,
			berth_error_t *err)
{
	cleanup_free char *procs = NULL;
	cleanup_closedir DIR *dh = NULL;
	struct dirent *de;

	if (berth_cg_read(dir, "cgroup.procs", &procs, err) < 0)
		return -1;
	for (char *p = procs; *p;) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 32;
			pid_t *np = realloc(*pids, nc * sizeof(*np));

			if (np == NULL)
				return berth_error(err, ENOMEM, "cgroup pids: out of memory");
			*pids = np;
			*cap = nc;
		}
		(*pids)[(*n)++] = (pid_t)v;
		p = end;
		while (*p == '\n')
			p++;
	}
	if (depth > 32)
		return 0;
	dh = opendir(dir);
	if (dh == NULL)
		return berth_error_errno(err, errno, "open cgroup `%s`", dir);
	while ((de = readdir(dh)) != NULL) {
		cleanup_free char *sub = NULL;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
			return berth_error(err, ENOMEM, "cgroup pids: out of memory");
		if (collect_pids(sub, pids, n, cap, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

int berth_cgroup_pids(const struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err)
{
	const struct berth_cg_dir *d = procs_dir(cg);
	size_t cap = 0;

	*pids = NULL;
	*n = 0;
	if (d == NULL)
		return 0;
	if (collect_pids(d->dir, pids, n, &cap, 0, err) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return berth_error_wrap(err, "cgroup `%s`", cg->path);
	}
	return 0;
}

int berth_cgroup_kill(const struct berth_cgroup *cg, int sig, berth_error_t *err)
{
	const struct berth_cg_dir *v2 = berth_cg_v2_dir(cg);
	cleanup_free pid_t *pids = NULL;
	bool frozen = false, thaw = false;
	size_t n = 0;
	int ret = 0;

	if (sig == SIGKILL && v2 && berth_cg_exists(v2->dir, "cgroup.kill")) {
		if (berth_cg_write(v2->dir, "cgroup.kill", "1", "kill", err) < 0)
			return berth_error_wrap(err, "cgroup `%s`", cg->path);
		return 0;
	}
	/* Freeze first so that no process forks a child we would miss. */
	if (berth_cg_dir_for(cg, BERTH_CG_FREEZER)) {
		if (berth_cgroup_is_frozen(cg, &frozen, err) < 0)
			return berth_error_wrap(err, "cgroup `%s`", cg->path);
		if (!frozen) {
			if (berth_cgroup_freeze(cg, true, err) < 0)
				return -1;
			thaw = true;
		}
	}
	if (berth_cgroup_pids(cg, &pids, &n, err) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			ret = berth_error_errno(err, errno, "cgroup `%s`: signal process %d",
						cg->path, (int)pids[i]);
	if (thaw) {
		berth_error_t ignore = NULL;

		if (berth_cgroup_freeze(cg, false, ret < 0 ? &ignore : err) < 0 && ret == 0)
			ret = -1;
		berth_error_release(&ignore);
	}
	return ret;
}

/* ---- removal ------------------------------------------------------------ */

/* Remove dir and its sub-cgroups; -EBUSY while processes remain. */
static int remove_tree(const char *dir, int depth)
{
	cleanup_closedir DIR *dh = NULL;
	struct dirent *de;

	/* Usually there are no sub-cgroups: one rmdir instead of reading the directory. */
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	dh = opendir(dir);
	if (dh == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (depth < 32 && (de = readdir(dh)) != NULL) {
		cleanup_free char *sub = NULL;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
			return -ENOMEM;
		remove_tree(sub, depth + 1);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int berth_cgroup_destroy(struct berth_cgroup *cg, berth_error_t *err)
{
	/* Up to ~5 s: processes killed just before take a moment to leave. */
	for (int attempt = 0;; attempt++) {
		const char *busy = NULL;
		int last = 0;

		for (size_t i = cg->n; i-- > 0;) {
			int ret = remove_tree(cg->d[i].dir, 0);

			if (ret < 0) {
				busy = cg->d[i].dir;
				last = -ret;
			}
		}
		if (busy == NULL)
			return 0;
		if (attempt >= 100)
			return berth_error_errno(err, last, "remove cgroup `%s` (`%s`)", cg->path,
						 busy);
		struct timespec ts = {0, (attempt < 10 ? 5 : 50) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* ---- stats and OOM ------------------------------------------------------- */

int berth_cgroup_stats(const struct berth_cgroup *cg, json_t **out, berth_error_t *err)
{
	json_t *stats = json_object();

	if (stats == NULL)
		return berth_error(err, ENOMEM, "cgroup stats: out of memory");
	for (size_t i = 0; i < cg->n; i++) {
		const struct berth_cg_dir *d = &cg->d[i];
		int ret = d->v2 ? berth_cg_v2_stats(d->dir, d->mask, stats, err)
				: berth_cg_v1_stats(d->dir, d->mask, stats, err);

		if (ret < 0) {
			json_decref(stats);
			return berth_error_wrap(err, "stats of cgroup `%s`", cg->path);
		}
	}
	*out = stats;
	return 0;
}

int berth_cgroup_oom_count(const struct berth_cgroup *cg, uint64_t *count, berth_error_t *err)
{
	const struct berth_cg_dir *d = berth_cg_dir_for(cg, BERTH_CG_MEMORY);
	int ret;

	*count = 0;
	if (d == NULL)
		return 0;
	ret = d->v2 ? berth_cg_v2_oom_count(d->dir, count, err)
		    : berth_cg_v1_oom_count(d->dir, count, err);
	return ret < 0 ? berth_error_wrap(err, "cgroup `%s`", cg->path) : 0;
}

int berth_cgroup_oom_killed(const struct berth_cgroup *cg, bool *killed, berth_error_t *err)
{
	uint64_t count = 0;

	if (berth_cgroup_oom_count(cg, &count, err) < 0)
		return -1;
	*killed = count > 0;
	return 0;
}

/* ---- state.json ------------------------------------------------------------ */

static const char *const mode_names[] = {
    [BERTH_CG_MODE_V1] = "v1", [BERTH_CG_MODE_V2] = "v2", [BERTH_CG_MODE_HYBRID] = "hybrid"};

json_t *berth_cgroup_to_json(const struct berth_cgroup *cg)
{
	json_t *dirs = json_array();

	for (size_t i = 0; dirs && i < cg->n; i++) {
		json_t *ctrls = json_array();

		for (int c = 0; ctrls && c < BERTH_CG_NCTRL; c++)
			if (cg->d[i].mask & BERTH_CG_BIT(c))
				json_array_append_new(ctrls,
						      json_string(berth_cg_ctrl_name(c, false)));
		json_array_append_new(dirs, json_pack("{s:s, s:s, s:b, s:o*}", "name",
						      cg->d[i].name, "dir", cg->d[i].dir, "v2",
						      cg->d[i].v2, "controllers", ctrls));
	}
	return json_pack("{s:s, s:s, s:o*}", "mode", mode_names[cg->mode], "path", cg->path, "dirs",
			 dirs);
}

int berth_cgroup_from_json(json_t *j, struct berth_cgroup **out, berth_error_t *err)
{
	cleanup_cgroup struct berth_cgroup *cg = calloc(1, sizeof(*cg));
	const char *mode = NULL, *path = NULL;
	json_t *dirs = NULL, *e;
	json_error_t jerr;
	size_t i;

	if (cg == NULL)
		return berth_error(err, ENOMEM, "cgroup state: out of memory");
	if (j == NULL ||
	    json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:o}", "mode", &mode, "path", &path, "dirs",
			   &dirs) < 0 ||
	    !json_is_array(dirs))
		/* cppcheck-suppress memleak ; cg is released by cleanup_cgroup */
		return berth_error(err, EINVAL, "cgroup state: malformed (%s)",
				   j ? jerr.text : "missing");
	for (int m = BERTH_CG_MODE_V1; m <= BERTH_CG_MODE_HYBRID; m++)
		if (strcmp(mode, mode_names[m]) == 0)
			cg->mode = m;
	if (cg->mode == 0)
		return berth_error(err, EINVAL, "cgroup state: unknown mode `%s`", mode);
	cg->path = strdup(path);
	cg->d = calloc(json_array_size(dirs) + 1, sizeof(*cg->d));
	if (cg->path == NULL || cg->d == NULL)
		return berth_error(err, ENOMEM, "cgroup state: out of memory");
	json_array_foreach(dirs, i, e)
	{
		struct berth_cg_dir *d = &cg->d[cg->n];
		const char *name, *dir;
		json_t *ctrls, *c;
		size_t k;
		int v2 = 0;

		if (json_unpack_ex(e, &jerr, 0, "{s:s, s:s, s:b, s:o}", "name", &name, "dir", &dir,
				   "v2", &v2, "controllers", &ctrls) < 0 ||
		    !json_is_array(ctrls))
			return berth_error(err, EINVAL, "cgroup state: dirs[%zu]: malformed", i);
		if (dir[0] != '/' || strstr(dir, "/../"))
			return berth_error(err, EINVAL, "cgroup state: dirs[%zu]: bad directory",
					   i);
		d->name = strdup(name);
		d->dir = strdup(dir);
		d->v2 = v2;
		cg->n++;
		if (d->name == NULL || d->dir == NULL)
			return berth_error(err, ENOMEM, "cgroup state: out of memory");
		json_array_foreach(ctrls, k, c)
		{
			int id =
			    json_is_string(c) ? berth_cg_ctrl_from_name(json_string_value(c)) : -1;

			if (id < 0)
				return berth_error(
				    err, EINVAL, "cgroup state: dirs[%zu]: unknown controller", i);
			d->mask |= BERTH_CG_BIT(id);
		}
	}
	*out = steal_pointer(&cg);
	return 0;
}
