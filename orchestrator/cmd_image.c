/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berthctl image pull|import|ls|inspect|rm|prune|tag|unpack */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "orchestrator/berthctl.h"
#include "storage/storage.h"
#include "util.h"

#define PROG "berthctl"

static void image_usage(FILE *f)
{
	fputs("Usage: berthctl image COMMAND [OPTIONS] ARGS\n"
	      "  pull [--platform OS/ARCH] [--creds USER:PASS] [--tls-verify=false] [--cert FILE] [-q] REF\n"
	      "  import [--format oci|oci-archive|docker-archive] [--platform P] PATH [NAME]\n"
	      "  ls [--format json] [-q]\n"
	      "  inspect [--format json] IMAGE...\n"
	      "  rm [-f] IMAGE...\n"
	      "  prune\n"
	      "  tag IMAGE NAME\n"
	      "  unpack [--pull] IMAGE DIR     write an OCI bundle (rootfs + config.json)\n"
	      "  mount IMAGE ID [DIR]          mount a copy-on-write root for ID, print its path\n"
	      "  umount ID                     unmount and delete ID's root\n",
	      f);
}

/* Options shared by the subcommands. */
struct iopts {
	struct storage_pull_opts pull;
	char *creds;
	bool json, quiet, force, do_pull;
	const char *format;
};

enum { OPT_PLATFORM = 256, OPT_CREDS, OPT_TLS, OPT_CERT, OPT_FORMAT, OPT_PULL };

static int parse_opts(int argc, char **argv, struct iopts *o, berth_error_t *err)
{
	static const struct option longopts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "creds", required_argument, NULL, OPT_CREDS },
		{ "tls-verify", required_argument, NULL, OPT_TLS },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "pull", no_argument, NULL, OPT_PULL },
		{ "quiet", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qfh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PLATFORM:
			o->pull.platform = optarg;
			break;
		case OPT_CREDS: {
			char *colon;
			free(o->creds);
			o->creds = strdup(optarg);
			colon = o->creds ? strchr(o->creds, ':') : NULL;
			if (colon == NULL)
				return berth_error(err, EINVAL, "--creds: want USER:PASSWORD");
			*colon = '\0';
			o->pull.username = o->creds;
			o->pull.password = colon + 1;
			break;
		}
		case OPT_TLS:
			if (strcmp(optarg, "false") == 0)
				o->pull.tls_no_verify = true;
			else if (strcmp(optarg, "true") != 0)
				return berth_error(err, EINVAL, "--tls-verify: want true or false, not `%s`",
						   optarg);
			break;
		case OPT_CERT:
			o->pull.ca_file = optarg;
			break;
		case OPT_FORMAT:
			o->format = optarg;
			o->json = strcmp(optarg, "json") == 0;
			break;
		case OPT_PULL:
			o->do_pull = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'h':
			image_usage(stdout);
			exit(0);
		default:
			return berth_error(err, EINVAL, "bad option (see `berthctl image --help`)");
		}
	}
	return 0;
}

static void human_size(uint64_t n, char *buf, size_t len)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

/* Progress: on a terminal one line per blob, redrawn; otherwise a plain line per finished step. */
struct progress_state {
	bool tty;
	uint64_t last_draw_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_progress(void *data, const struct storage_progress *p)
{
	struct progress_state *s = data;
	char done[32], total[32];
	const char *short_d = p->digest ? p->digest + 7 : "";

	switch (p->kind) {
	case STORAGE_PROGRESS_RESOLVED:
		fprintf(stderr, "Resolved %s to %s\n", p->ref, p->digest);
		break;
	case STORAGE_PROGRESS_BLOB:
		if (!s->tty || now_ns() - s->last_draw_ns < 100000000u)
			break;
		s->last_draw_ns = now_ns();
		human_size(p->done, done, sizeof(done));
		human_size(p->total, total, sizeof(total));
		fprintf(stderr, "\r\033[KCopying blob %.12s  %s / %s", short_d, done, total);
		break;
	case STORAGE_PROGRESS_BLOB_DONE:
		human_size(p->total, total, sizeof(total));
		fprintf(stderr, "%sCopying blob %.12s %s (%s)\n", s->tty ? "\r\033[K" : "", short_d,
			p->cached ? "already exists" : "done", total);
		break;
	case STORAGE_PROGRESS_LAYER_DONE:
		fprintf(stderr, "Unpacked layer %.12s%s\n", short_d, p->cached ? " (cached)" : "");
		break;
	}
}

static int fail(berth_error_t *err)
{
	berth_error_print(stderr, PROG, err);
	return BERTHCTL_EXIT_ENGINE;
}

static int cmd_pull(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	cleanup_storage_image struct storage_image *img = NULL;
	struct progress_state ps = { .tty = isatty(STDERR_FILENO) };
	berth_error_t err = NULL;

	if (argc != 1) {
		fprintf(stderr, "%s: image pull: want one image reference\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	if (!o->quiet) {
		o->pull.progress = on_progress;
		o->pull.progress_data = &ps;
	}
	if (storage_image_pull(st, argv[0], &o->pull, &img, &err) < 0)
		return fail(&err);
	printf("%s\n", storage_image_id(img));
	return 0;
}

static int cmd_import(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	cleanup_storage_image struct storage_image *img = NULL;
	enum storage_import_format fmt = STORAGE_IMPORT_AUTO;
	berth_error_t err = NULL;

	if (argc < 1 || argc > 2) {
		fprintf(stderr, "%s: image import: want PATH [NAME]\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	if (o->format) {
		if (strcmp(o->format, "oci") == 0)
			fmt = STORAGE_IMPORT_OCI_LAYOUT;
		else if (strcmp(o->format, "oci-archive") == 0)
			fmt = STORAGE_IMPORT_OCI_ARCHIVE;
		else if (strcmp(o->format, "docker-archive") == 0)
			fmt = STORAGE_IMPORT_DOCKER_ARCHIVE;
		else {
			fprintf(stderr, "%s: image import: unknown format `%s`\n", PROG, o->format);
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (storage_image_import(st, argv[0], fmt, argc > 1 ? argv[1] : NULL, o->pull.platform, &img,
				 &err) < 0)
		return fail(&err);
	printf("%s\n", storage_image_id(img));
	return 0;
}

static json_t *info_json(const struct storage_image_info *i)
{
	return json_pack("{s:s?, s:s, s:s, s:I, s:I, s:I}", "name", i->name, "id", i->id, "digest",
			 i->digest, "size", (json_int_t)i->size, "created", (json_int_t)i->created,
			 "containers", (json_int_t)i->users);
}

static int cmd_ls(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	struct storage_image_info *list = NULL;
	berth_error_t err = NULL;
	size_t n = 0;

	if (storage_image_list(st, &list, &n, &err) < 0)
		return fail(&err);
	if (o->json) {
		cleanup_json json_t *arr = json_array();
		cleanup_free char *text = NULL;
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, info_json(&list[i]));
		text = json_dumps(arr, JSON_INDENT(2));
		if (text)
			puts(text);
	} else {
		if (!o->quiet)
			printf("%-50s %-14s %-12s %s\n", "NAME", "IMAGE ID", "SIZE", "CONTAINERS");
		for (size_t i = 0; i < n; i++) {
			char sz[32];
			if (o->quiet) {
				printf("%.12s\n", list[i].id + 7);
				continue;
			}
			human_size(list[i].size, sz, sizeof(sz));
			printf("%-50s %-14.12s %-12s %zu\n", list[i].name ? list[i].name : "<none>",
			       list[i].id + 7, sz, list[i].users);
		}
	}
	storage_image_info_free(list, n);
	return 0;
}

static int cmd_inspect(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	cleanup_json json_t *arr = json_array();
	cleanup_free char *text = NULL;
	berth_error_t err = NULL;

	if (argc < 1) {
		fprintf(stderr, "%s: image inspect: want an image\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	for (int i = 0; i < argc; i++) {
		cleanup_storage_image struct storage_image *img = NULL;
		if (storage_image_lookup(st, argv[i], &img, &err) < 0)
			return fail(&err);
		json_array_append_new(arr, json_pack("{s:s?, s:s, s:s, s:I, s:O}", "name",
						     storage_image_name(img), "id",
						     storage_image_id(img), "digest",
						     storage_image_digest(img), "size",
						     (json_int_t)storage_image_size(img), "config",
						     storage_image_config_json(img)));
	}
	text = json_dumps(arr, JSON_INDENT(2));
	if (text)
		puts(text);
	return 0;
}

static int cmd_rm(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	berth_error_t err = NULL;
	int rc = 0;

	if (argc < 1) {
		fprintf(stderr, "%s: image rm: want an image\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	for (int i = 0; i < argc; i++) {
		if (storage_image_remove(st, argv[i], o->force, &err) < 0) {
			rc = fail(&err);
			continue;
		}
		printf("Untagged: %s\n", argv[i]);
	}
	return rc;
}

static int cmd_prune(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	berth_error_t err = NULL;
	uint64_t freed = 0;
	char sz[32];

	if (storage_prune(st, &freed, &err) < 0)
		return fail(&err);
	human_size(freed, sz, sizeof(sz));
	printf("Total reclaimed space: %s\n", sz);
	return 0;
}

static int cmd_tag(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	berth_error_t err = NULL;

	if (argc != 2) {
		fprintf(stderr, "%s: image tag: want IMAGE NAME\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	if (storage_image_tag(st, argv[0], argv[1], &err) < 0)
		return fail(&err);
	return 0;
}

static int find_image(struct storage_store *st, struct iopts *o, const char *ref,
		      struct storage_image **img, berth_error_t *err);

static int cmd_unpack(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	cleanup_storage_image struct storage_image *img = NULL;
	berth_error_t err = NULL;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "%s: image unpack: want IMAGE DIR\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	ret = find_image(st, o, argv[0], &img, &err);
	if (ret < 0 || storage_image_unpack(st, img, argv[1], NULL, &err) < 0)
		return fail(&err);
	return 0;
}

/* The image by name, or the embedded default image (no network). */
static int find_image(struct storage_store *st, struct iopts *o, const char *ref,
		      struct storage_image **img, berth_error_t *err)
{
	int ret = o->do_pull ? storage_image_resolve(st, ref, &o->pull, img, err) :
			       storage_image_lookup(st, ref, img, err);

	if (ret == -ENOENT && !o->do_pull) {
		struct storage_ref r, d;
		bool is_default = false;
		if (storage_ref_parse(ref, &r, NULL) == 0 &&
		    storage_ref_parse(STORAGE_DEFAULT_IMAGE, &d, NULL) == 0) {
			cleanup_free char *a = storage_ref_string(&r), *b = storage_ref_string(&d);
			is_default = a && b && strcmp(a, b) == 0;
		}
		storage_ref_clear(&r);
		storage_ref_clear(&d);
		if (is_default) {
			berth_error_release(err);
			ret = storage_default_image_ensure(st, img, err);
		}
	}
	return ret;
}

static int cmd_mount(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	cleanup_storage_image struct storage_image *img = NULL;
	cleanup_free char *path = NULL;
	berth_error_t err = NULL;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "%s: image mount: want IMAGE ID [DIR]\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	if (find_image(st, o, argv[0], &img, &err) < 0 ||
	    storage_rootfs_create(st, img, argv[1], argc > 2 ? argv[2] : NULL, 0, &path, &err) < 0)
		return fail(&err);
	printf("%s\n", path);
	return 0;
}

static int cmd_umount(struct storage_store *st, struct iopts *o, int argc, char **argv)
{
	berth_error_t err = NULL;

	if (argc != 1) {
		fprintf(stderr, "%s: image umount: want ID\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	if (storage_rootfs_remove(st, argv[0], &err) < 0)
		return fail(&err);
	return 0;
}

int berthctl_cmd_image(struct berthctl_opts *opts, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct storage_store *, struct iopts *, int, char **);
	} cmds[] = {
		{ "pull", cmd_pull },	    { "import", cmd_import }, { "ls", cmd_ls },
		{ "list", cmd_ls },	    { "inspect", cmd_inspect }, { "rm", cmd_rm },
		{ "remove", cmd_rm },	    { "prune", cmd_prune },   { "tag", cmd_tag },
		{ "unpack", cmd_unpack },   { "mount", cmd_mount },   { "umount", cmd_umount },
	};
	cleanup_storage_store struct storage_store *st = NULL;
	struct iopts o = { 0 };
	berth_error_t err = NULL;
	int rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		image_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? BERTHCTL_EXIT_ENGINE : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) != 0)
			continue;
		if (parse_opts(argc, argv, &o, &err) < 0) {
			free(o.creds);
			berth_error_wrap(&err, "image %s", argv[0]);
			return fail(&err);
		}
		if (storage_store_open(opts->root, &st, &err) < 0) {
			free(o.creds);
			return fail(&err);
		}
		rc = cmds[i].fn(st, &o, argc - optind, argv + optind);
		free(o.creds);
		return rc;
	}
	fprintf(stderr, "%s: image: unknown command `%s`\n", PROG, argv[0]);
	image_usage(stderr);
	return BERTHCTL_EXIT_ENGINE;
}
