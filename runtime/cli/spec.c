/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "util.h"

int berth_cmd_spec(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	enum { O_ROOTLESS = 256 };
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, O_ROOTLESS },
		{ NULL, 0, NULL, 0 },
	};
	cleanup_json json_t *j = NULL;
	cleanup_free char *text = NULL, *path = NULL;
	const char *bundle = ".";
	bool rootless = false;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:b:", opts, NULL)) != -1) {
		if (ch == 'b')
			bundle = optarg;
		else if (ch == O_ROOTLESS)
			rootless = true;
		else
			return berth_cli_bad_option("spec", argc, argv, err), 1;
	}
	if (optind < argc)
		return berth_error(err, EINVAL, "spec: unexpected argument `%s`", argv[optind]), 1;
	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return berth_error(err, ENOMEM, "spec"), 1;
	if (access(path, F_OK) == 0)
		return berth_error(err, EEXIST, "spec: `%s` exists: remove it first", path), 1;
	j = berth_config_default(rootless);
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (text == NULL)
		return berth_error(err, ENOMEM, "spec"), 1;
	text[strlen(text)] = '\0';
	if (berth_write_file_atomic(path, text, strlen(text), 0644, false, err) < 0)
		return berth_error_wrap(err, "spec"), 1;
	return 0;
}
