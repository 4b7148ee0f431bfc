/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "util.h"

int berth_cmd_list(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	cleanup_strv char **ids = NULL;
	cleanup_json json_t *arr = json_array();
	const char *format = "table";
	bool quiet = false;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:f:q", opts, NULL)) != -1) {
		if (ch == 'f')
			format = optarg;
		else if (ch == 'q')
			quiet = true;
		else
			return berth_cli_bad_option("list", argc, argv, err), 1;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return berth_error(err, EINVAL, "list: --format `%s`: expected table or json", format), 1;
	if (optind < argc)
		return berth_error(err, EINVAL, "list: unexpected argument `%s`", argv[optind]), 1;
	if (berth_container_list_ids(g->root, &ids, err) < 0)
		return berth_error_wrap(err, "list"), 1;
	if (!quiet && strcmp(format, "table") == 0)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
		       "OWNER");
	for (char **id = ids; *id; id++) {
		cleanup_container struct berth_container *c = NULL;
		berth_error_t ignored = NULL;
		json_t *j;

		/* a container being created or deleted right now is skipped */
		if (berth_container_load(g->root, *id, &c, &ignored) < 0) {
			berth_error_release(&ignored);
			continue;
		}
		if (quiet) {
			puts(*id);
			continue;
		}
		j = berth_cli_state_json(c);
		if (j == NULL)
			return berth_error(err, ENOMEM, "list"), 1;
		if (strcmp(format, "json") == 0) {
			json_array_append_new(arr, j);
			continue;
		}
		printf("%-12s %-8lld %-10s %-40s %-30s %s\n", *id,
		       (long long)json_integer_value(json_object_get(j, "pid")),
		       json_string_value(json_object_get(j, "status")), c->bundle, c->created,
		       c->owner && c->owner[0] ? c->owner : "root");
		json_decref(j);
	}
	if (!quiet && strcmp(format, "json") == 0) {
		cleanup_free char *text = json_dumps(arr, JSON_COMPACT);
		if (text == NULL)
			return berth_error(err, ENOMEM, "list"), 1;
		puts(text);
	}
	return 0;
}
