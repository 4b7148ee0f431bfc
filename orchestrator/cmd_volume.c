/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berthctl volume create|ls|inspect|rm|prune: named volumes are directories
 * ROOT/volumes/NAME/_data (what `run -v NAME:/path` bind-mounts; it creates
 * one on first use too).  A volume is in use while a container record lists
 * it under "volumes"; rm refuses it then, unless -f, which removes those
 * containers first (as podman does).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "orchestrator/berthctl.h"
#include "orchestrator/engine.h"
#include "orchestrator/run_opts.h"
#include "util.h"

#define PROG "berthctl"

static int fail(berth_error_t *err)
{
	berth_error_print(stderr, PROG, err);
	return BERTHCTL_EXIT_ENGINE;
}

static char *volume_dir(struct berthctl_opts *o, const char *name)
{
	char *p = NULL;

	if (name == NULL)
		return asprintf(&p, "%s/volumes", o->root) < 0 ? NULL : p;
	return asprintf(&p, "%s/volumes/%s", o->root, name) < 0 ? NULL : p;
}

static int check_name(const char *name, berth_error_t *err)
{
	if (!run_volume_name_ok(name) || strlen(name) > 128)
		return berth_error(err, EINVAL,
				   "volume `%s`: not a valid name ([A-Za-z0-9][A-Za-z0-9_.-]*, at "
				   "most 128)",
				   name);
	return 0;
}

/* The volume's directory if it exists (ENOENT naming it otherwise). */
static int volume_find(struct berthctl_opts *o, const char *name, char **dir, berth_error_t *err)
{
	struct stat sb;

	if (check_name(name, err) < 0)
		return -1;
	*dir = volume_dir(o, name);
	if (*dir == NULL)
		return berth_error_errno(err, ENOMEM, "volume `%s`", name);
	if (stat(*dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		free(*dir);
		*dir = NULL;
		return berth_error(err, ENOENT, "volume `%s`: no such volume", name);
	}
	return 0;
}

static int cmd_create(struct berthctl_opts *o, int argc, char **argv)
{
	berth_error_t err = NULL;
	cleanup_free char *dir = NULL;
	cleanup_free char *data = NULL;
	char gen[65];
	const char *name;

	if (argc > 2) {
		fprintf(stderr, "%s: volume create: at most one NAME\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	if (argc == 2) {
		name = argv[1];
	} else {
		unsigned char raw[32];
		if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
			berth_error_errno(&err, errno, "volume create: random name");
			return fail(&err);
		}
		for (size_t i = 0; i < sizeof(raw); i++)
			sprintf(gen + 2 * i, "%02x", raw[i]);
		name = gen;
	}
	if (check_name(name, &err) < 0)
		return fail(&err);
	dir = volume_dir(o, name);
	if (dir == NULL || asprintf(&data, "%s/_data", dir) < 0) {
		berth_error_errno(&err, ENOMEM, "volume `%s`", name);
		return fail(&err);
	}
	if (access(dir, F_OK) == 0) {
		berth_error(&err, EEXIST, "volume `%s`: already exists", name);
		return fail(&err);
	}
	if (berth_mkdir_p(data, 0755, &err) < 0) {
		berth_error_wrap(&err, "volume `%s`", name);
		return fail(&err);
	}
	printf("%s\n", name);
	return 0;
}

static json_t *volume_json(struct berthctl_opts *o, const char *name, const char *dir)
{
	cleanup_strv char **users = NULL;
	char created[32] = "";
	struct stat sb;
	struct tm tm;
	json_t *j, *ids = json_array();

	if (stat(dir, &sb) == 0 && gmtime_r(&sb.st_mtime, &tm))
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (engine_ctrs_using(o, "volumes", name, &users, NULL) == 0)
		for (char **u = users; *u; u++)
			json_array_append_new(ids, json_string(*u));
	j = json_pack("{s:s, s:s, s:s+, s:s, s:o}", "Name", name, "Driver", "local", "Mountpoint",
		      dir, "/_data", "CreatedAt", created, "Containers", ids);
	return j;
}

/* Every volume name, sorted. */
static char **volume_names(struct berthctl_opts *o)
{
	cleanup_free char *dir = volume_dir(o, NULL);
	struct dirent **ents = NULL;
	char **v;
	int n = dir ? scandir(dir, &ents, NULL, alphasort) : -1;
	size_t k = 0;

	v = calloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*v));
	for (int i = 0; i < n; i++) {
		if (v && run_volume_name_ok(ents[i]->d_name))
			v[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return v;
}

static int cmd_ls(struct berthctl_opts *o, int argc, char **argv)
{
	cleanup_strv char **names = volume_names(o);
	cleanup_json json_t *out = json_array();
	bool json, quiet;

	if (engine_list_opts(argc, argv, "volume ls", &json, &quiet) < 0)
		return BERTHCTL_EXIT_ENGINE;
	if (!json && !quiet)
		printf("%-8s  %s\n", "DRIVER", "VOLUME NAME");
	for (char **n = names; n && *n; n++) {
		cleanup_free char *dir = volume_dir(o, *n);
		if (quiet)
			printf("%s\n", *n);
		else if (json)
			json_array_append_new(out, volume_json(o, *n, dir));
		else
			printf("%-8s  %s\n", "local", *n);
	}
	if (json) {
		cleanup_free char *s = json_dumps(out, JSON_INDENT(2));
		if (s)
			puts(s);
	}
	return 0;
}

static int cmd_inspect(struct berthctl_opts *o, int argc, char **argv)
{
	cleanup_json json_t *out = json_array();
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "%s: volume inspect: which volume?\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	for (int i = 1; i < argc; i++) {
		berth_error_t err = NULL;
		cleanup_free char *dir = NULL;
		if (volume_find(o, argv[i], &dir, &err) < 0) {
			ret = fail(&err);
			continue;
		}
		json_array_append_new(out, volume_json(o, argv[i], dir));
	}
	cleanup_free char *s = json_dumps(out, JSON_INDENT(2));
	if (s)
		puts(s);
	return ret;
}

/* Remove the volume; in use: refused, or with force its containers go first. */
static int volume_remove(struct berthctl_opts *o, const char *name, bool force, berth_error_t *err)
{
	cleanup_free char *dir = NULL;

	if (volume_find(o, name, &dir, err) < 0 ||
	    engine_release_users(o, "volume", "volumes", name, force, err) < 0)
		return -1;
	engine_rm_tree(dir);
	if (access(dir, F_OK) == 0)
		return berth_error(err, EBUSY, "volume `%s`: `%s` could not be removed entirely",
				   name, dir);
	return 0;
}

static int cmd_rm(struct berthctl_opts *o, int argc, char **argv)
{
	bool force;
	int ret = 0;

	if (engine_rm_opts(argc, argv, "volume rm", &force) < 0)
		return BERTHCTL_EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		berth_error_t err = NULL;
		if (volume_remove(o, argv[i], force, &err) < 0) {
			ret = fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return ret;
}

static int cmd_prune(struct berthctl_opts *o, int argc, char **argv)
{
	cleanup_strv char **names = volume_names(o);
	int ret = 0;

	if (argc > 1 && !(argc == 2 && (strcmp(argv[1], "-f") == 0 ||
					strcmp(argv[1], "--force") == 0))) {
		fprintf(stderr, "%s: volume prune: bad usage (see berthctl(1))\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	for (char **n = names; n && *n; n++) {
		cleanup_strv char **users = NULL;
		berth_error_t err = NULL;
		if (engine_ctrs_using(o, "volumes", *n, &users, &err) < 0) {
			ret = fail(&err);
			continue;
		}
		if (users[0])
			continue;
		if (volume_remove(o, *n, false, &err) < 0) {
			ret = fail(&err);
			continue;
		}
		printf("%s\n", *n);
	}
	return ret;
}

int berthctl_cmd_volume(struct berthctl_opts *opts, int argc, char **argv)
{
	static const struct berthctl_subcmd cmds[] = {
		{ "create", cmd_create },
		{ "ls", cmd_ls },
		{ "list", cmd_ls },
		{ "inspect", cmd_inspect },
		{ "rm", cmd_rm },
		{ "remove", cmd_rm },
		{ "prune", cmd_prune },
		{ NULL, NULL },
	};

	return berthctl_dispatch("volume", "create, ls, inspect, rm, prune", cmds, opts, argc, argv);
}
