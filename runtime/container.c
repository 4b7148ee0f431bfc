/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

int berth_id_validate(const char *id, berth_error_t *err)
{
	size_t len = strlen(id);

	if (len == 0)
		return berth_error(err, EINVAL, "container ID must not be empty");
	if (len > BERTH_ID_MAX)
		return berth_error(err, EINVAL, "container ID is longer than %d bytes", BERTH_ID_MAX);
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return berth_error(err, EINVAL, "invalid container ID `%s`", id);
	for (const char *p = id; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '_' || ch == '+' || ch == '-' || ch == '.')
			continue;
		if (ch < 0x20 || ch == 0x7f)
			return berth_error(err, EINVAL,
					   "invalid container ID: control character 0x%02x at %zu", ch,
					   (size_t)(p - id));
		return berth_error(err, EINVAL, "invalid container ID `%s`: `%c` is not allowed", id,
				   ch);
	}
	return 0;
}

const char *berth_status_name(enum berth_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
	return (unsigned)s < 5 ? names[s] : "unknown";
}

static int status_parse(const char *s, enum berth_status *out)
{
	for (int i = 0; i <= BERTH_STATUS_STOPPED; i++)
		if (strcmp(berth_status_name((enum berth_status)i), s) == 0) {
			*out = (enum berth_status)i;
			return 0;
		}
	return -1;
}

/* Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat. */
static int pid_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[32], buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -1;
	*state = p[2];
	p += 2;
	/* p is at field 3; skip to field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

uint64_t berth_pid_start_time(pid_t pid)
{
	char state;
	uint64_t start;

	if (pid <= 0 || pid_stat(pid, &state, &start) < 0)
		return 0;
	return start;
}

bool berth_container_alive(const struct berth_container *c)
{
	char state;
	uint64_t start;

	if (c->pid <= 0 || pid_stat(c->pid, &state, &start) < 0)
		return false;
	return start == c->pid_start && state != 'Z' && state != 'X';
}

enum berth_status berth_container_status(const struct berth_container *c)
{
	if (!berth_container_alive(c))
		return BERTH_STATUS_STOPPED;
	return c->status;
}

static int read_state(struct berth_container *c, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_json json_t *j = NULL;
	const char *bundle, *rootfs, *created, *status, *owner;
	json_int_t pid = 0, start = 0;
	json_t *ann = NULL, *cg = NULL;
	int systemd = 0;
	json_error_t jerr;

	if (asprintf(&path, "%s/state.json", c->dir) < 0)
		return berth_error_errno(err, ENOMEM, "state");
	j = json_load_file(path, 0, &jerr);
	if (j == NULL) {
		if (access(path, F_OK) < 0)
			return berth_error(err, ENOENT, "container `%s` does not exist", c->id);
		return berth_error(err, EINVAL, "`%s`: %s", path, jerr.text);
	}
	if (json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:I, s:I, s:s, s:s, s?s, s?o, s?o, s?b}",
			   "bundle", &bundle, "rootfs", &rootfs, "pid", &pid, "pid_start", &start,
			   "created", &created, "status", &status, "owner", &owner,
			   "annotations", &ann, "cgroup", &cg, "systemd_cgroup", &systemd) < 0)
		return berth_error(err, EINVAL, "`%s`: %s", path, jerr.text);
	free(c->bundle);
	free(c->rootfs);
	free(c->created);
	free(c->owner);
	c->bundle = strdup(bundle);
	c->rootfs = strdup(rootfs);
	c->created = strdup(created);
	c->owner = strdup("");
	if (!c->bundle || !c->rootfs || !c->created || !c->owner)
		return berth_error_errno(err, ENOMEM, "state");
	c->pid = (pid_t)pid;
	c->pid_start = (uint64_t)start;
	c->systemd_cgroup = systemd;
	if (status_parse(status, &c->status) < 0)
		return berth_error(err, EINVAL, "`%s`: unknown status `%s`", path, status);
	json_decref(c->annotations);
	c->annotations = ann && json_is_object(ann) ? json_incref(ann) : json_object();
	if (c->cgroup) {
		berth_cgroup_free(c->cgroup);
		c->cgroup = NULL;
	}
	json_decref(c->cgroup_json);
	c->cgroup_json = NULL;
	if (cg && !json_is_null(cg)) {
		c->cgroup_json = json_incref(cg);
		if (berth_cgroup_from_json(cg, &c->cgroup, err) < 0)
			return berth_error_wrap(err, "container `%s`: cgroup", c->id);
	}
	return 0;
}

int berth_container_load(const char *state_root, const char *id, struct berth_container **out,
			 berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	cleanup_free char *cfg_path = NULL;

	if (berth_id_validate(id, err) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return berth_error_errno(err, ENOMEM, "load `%s`", id);
	c->lock_fd = -1;
	c->id = strdup(id);
	c->state_root = strdup(state_root);
	if (c->id == NULL || c->state_root == NULL || asprintf(&c->dir, "%s/%s", state_root, id) < 0)
		return berth_error_errno(err, ENOMEM, "load `%s`", id);
	if (read_state(c, err) < 0)
		return berth_error_ret(err);
	if (asprintf(&cfg_path, "%s/config.json", c->dir) < 0)
		return berth_error_errno(err, ENOMEM, "load `%s`", id);
	if (berth_config_load(cfg_path, &c->config, err) < 0)
		return berth_error_wrap(err, "container `%s`", id);
	*out = steal_pointer(&c);
	return 0;
}

int berth_container_lock(struct berth_container *c, berth_error_t *err)
{
	if (c->lock_fd >= 0)
		return 0;
	c->lock_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->lock_fd < 0) {
		if (errno == ENOENT)
			return berth_error(err, ENOENT, "container `%s` does not exist", c->id);
		return berth_error_errno(err, errno, "open `%s`", c->dir);
	}
	while (flock(c->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			berth_container_unlock(c);
			return berth_error_errno(err, e, "lock `%s`", c->dir);
		}
	}
	/* Another command may have changed or deleted the container meanwhile. */
	if (read_state(c, err) < 0) {
		berth_container_unlock(c);
		return berth_error_ret(err);
	}
	return 0;
}

void berth_container_unlock(struct berth_container *c)
{
	if (c->lock_fd >= 0) {
		close(c->lock_fd);
		c->lock_fd = -1;
	}
}

int berth_container_save(struct berth_container *c, berth_error_t *err)
{
	cleanup_json json_t *j = NULL;
	cleanup_free char *text = NULL, *path = NULL;

	j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:O, s:b}", "id", c->id, "bundle",
		      c->bundle, "rootfs", c->rootfs, "pid", (json_int_t)c->pid, "pid_start",
		      (json_int_t)c->pid_start, "created", c->created, "status",
		      berth_status_name(c->status), "owner", c->owner ? c->owner : "",
		      "annotations", c->annotations ? c->annotations : json_object(),
		      "systemd_cgroup", c->systemd_cgroup);
	if (j == NULL)
		return berth_error(err, ENOMEM, "state of `%s`", c->id);
	if (c->cgroup_json)
		json_object_set(j, "cgroup", c->cgroup_json);
	text = json_dumps(j, JSON_COMPACT);
	if (text == NULL || asprintf(&path, "%s/state.json", c->dir) < 0)
		return berth_error_errno(err, ENOMEM, "state of `%s`", c->id);
	return berth_write_file_atomic(path, text, strlen(text), 0600, false, err);
}

json_t *berth_container_oci_state(const struct berth_container *c)
{
	enum berth_status s = berth_container_status(c);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:O}", "ociVersion", "1.1.0", "id", c->id,
			      "status", berth_status_name(s), "bundle", c->bundle, "annotations",
			      c->annotations);

	if (j && s != BERTH_STATUS_STOPPED && c->pid > 0)
		json_object_set_new(j, "pid", json_integer(c->pid));
	return j;
}

/* What the state directory normally holds: removed by name, without reading it. */
static bool remove_known_state(const struct berth_container *c)
{
	static const char *const names[] = { "state.json", "config.json", "exec.fifo" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", c->dir, names[i]) >= (int)sizeof(path))
			return false;
		if (unlink(path) < 0 && errno != ENOENT)
			return false;
	}
	return rmdir(c->dir) == 0 || errno == ENOENT;
}

int berth_container_remove_state(struct berth_container *c, berth_error_t *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;

	if (remove_known_state(c))
		return 0;
	d = opendir(c->dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return berth_error_errno(err, errno, "open `%s`", c->dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			return berth_error_errno(err, errno, "remove `%s/%s`", c->dir, de->d_name);
	}
	if (rmdir(c->dir) < 0 && errno != ENOENT)
		return berth_error_errno(err, errno, "remove `%s`", c->dir);
	return 0;
}

void berth_container_free(struct berth_container *c)
{
	if (c == NULL)
		return;
	berth_container_unlock(c);
	free(c->id);
	free(c->state_root);
	free(c->dir);
	free(c->bundle);
	free(c->rootfs);
	free(c->created);
	free(c->owner);
	json_decref(c->annotations);
	berth_config_free(c->config);
	if (c->cgroup)
		berth_cgroup_free(c->cgroup);
	json_decref(c->cgroup_json);
	free(c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int berth_container_list_ids(const char *state_root, char ***out, berth_error_t *err)
{
	cleanup_closedir DIR *d = opendir(state_root);
	cleanup_strv char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (d == NULL && errno != ENOENT)
		return berth_error_errno(err, errno, "open `%s`", state_root);
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || berth_id_validate(de->d_name, NULL) < 0)
			continue;
		if (faccessat(dirfd(d), de->d_name, F_OK, 0) < 0)
			continue;
		if (n + 2 > cap) {
			char **nv;
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				return berth_error_errno(err, ENOMEM, "list");
			v = nv;
		}
		v[n] = strdup(de->d_name);
		if (v[n] == NULL)
			return berth_error_errno(err, ENOMEM, "list");
		v[++n] = NULL;
	}
	if (v == NULL) {
		v = calloc(1, sizeof(*v));
		if (v == NULL)
			return berth_error_errno(err, ENOMEM, "list");
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*out = steal_pointer(&v);
	return 0;
}
