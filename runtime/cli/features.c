/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berth features: the runtime-spec features document on stdout (runc 1.1+). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "oci_features.h"
#include "util.h"

static const char usage[] = "Usage: berth features\n\n"
			    "Show the enabled features: the runtime-spec features document (JSON).\n";

int berth_cmd_features(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	json_t *f cleanup_json = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		berth_error(err, 0, "features: unexpected argument \"%s\"", argv[i]);
		return 1;
	}
	if (berth_features(&f, err) < 0)
		return 1;
	if (json_dumpf(f, stdout, JSON_INDENT(4)) < 0 || fputc('\n', stdout) == EOF ||
	    fflush(stdout) != 0) {
		berth_error_errno(err, 5 /* EIO */, "features: write the document");
		return 1;
	}
	return 0;
}
