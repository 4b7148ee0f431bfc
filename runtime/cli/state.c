/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "container.h"
#include "util.h"

/* runc's state output: the OCI state plus rootfs, created and owner. */
json_t *berth_cli_state_json(const struct berth_container *c)
{
	json_t *j = berth_container_oci_state(c);

	if (j == NULL)
		return NULL;
	if (json_object_get(j, "pid") == NULL)
		json_object_set_new(j, "pid", json_integer(0));
	json_object_set_new(j, "rootfs", json_string(c->rootfs));
	json_object_set_new(j, "created", json_string(c->created));
	json_object_set_new(j, "owner", json_string(c->owner ? c->owner : ""));
	return j;
}

int berth_cmd_state(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	cleanup_container struct berth_container *c = NULL;
	cleanup_json json_t *j = NULL;
	cleanup_free char *text = NULL;
	const char *id;

	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return berth_cli_bad_option("state", argc, argv, err), 1;
	if (berth_cli_one_id("state", argc, argv, 1, &id, err) < 0)
		return 1;
	if (berth_container_load(g->root, id, &c, err) < 0) {
		berth_error_wrap(err, "state");
		return 1;
	}
	j = berth_cli_state_json(c);
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (text == NULL)
		return berth_error(err, 12, "state `%s`: out of memory", id), 1;
	puts(text);
	return 0;
}
