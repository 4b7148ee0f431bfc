/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth events [--stats] [--interval D] ID: runc's event stream, one JSON
 * object per line on stdout:
 *   {"type":"stats","id":"ID","data":{"cpu":...,"memory":...,...}}
 *   {"type":"oom","id":"ID"}
 * --stats prints the statistics once and exits; otherwise statistics come
 * every interval and an "oom" line whenever the OOM killer struck, until
 * the container stops.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"
#include "util.h"

/* Go's time.Duration syntax as runc takes it: "5s", "100ms", "1m30s", "1.5s". */
static int parse_duration(const char *s, long long *ms, berth_error_t *err)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1},
		     {"s", 1e3},   {"m", 6e4},	 {"h", 3.6e6}};
	const char *p = s;
	double total = 0;

	if (*p == '\0')
		goto bad;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		size_t best = 0, best_len = 0;

		if (end == p || v < 0)
			goto bad;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);

			if (strncmp(end, units[i].unit, l) == 0 && l > best_len) {
				best = i;
				best_len = l;
			}
		}
		if (best_len == 0)
			goto bad;
		total += v * units[best].ms;
		p = end + best_len;
	}
	if (total < 1)
		goto bad;
	*ms = (long long)total;
	return 0;
bad:
	return berth_error(err, EINVAL, "events: --interval: `%s` is not a duration like 5s", s);
}

static int emit(const char *type, const char *id, json_t *data, berth_error_t *err)
{
	cleanup_json json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
	cleanup_free char *text = NULL;

	if (ev && data)
		json_object_set(ev, "data", data);
	text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (text == NULL)
		return berth_error(err, ENOMEM, "events: out of memory");
	if (puts(text) == EOF || fflush(stdout) == EOF)
		return berth_error_errno(err, errno, "events: write");
	return 0;
}

static int emit_stats(const struct berth_container *c, berth_error_t *err)
{
	cleanup_json json_t *data = NULL;

	if (berth_cgroup_stats(c->cgroup, &data, err) < 0)
		return berth_error_wrap(err, "events `%s`", c->id);
	return emit("stats", c->id, data, err);
}

int berth_cmd_events(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
	    {"stats", no_argument, NULL, 's'},
	    {"interval", required_argument, NULL, 'i'},
	    {NULL, 0, NULL, 0},
	};
	cleanup_container struct berth_container *c = NULL;
	long long interval = 5000, since = 0;
	bool once = false;
	uint64_t ooms = 0, now;
	const char *id;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch == 's')
			once = true;
		else if (ch == 'i' && parse_duration(optarg, &interval, err) < 0)
			return 1;
		else if (ch != 'i')
			return berth_cli_bad_option("events", argc, argv, err), 1;
	}
	if (berth_cli_one_id("events", argc, argv, optind, &id, err) < 0)
		return 1;
	if (berth_container_load(g->root, id, &c, err) < 0)
		return berth_error_wrap(err, "events"), 1;
	if (berth_container_status(c) == BERTH_STATUS_STOPPED)
		return berth_error(err, EINVAL, "events `%s`: container is stopped", id), 1;
	if (c->cgroup == NULL)
		return berth_error(err, EINVAL, "events `%s`: container has no cgroup", id), 1;
	if (once)
		return emit_stats(c, err) < 0 ? 1 : 0;
	if (berth_cgroup_oom_count(c->cgroup, &ooms, err) < 0)
		return berth_error_wrap(err, "events `%s`", id), 1;
	/* Statistics every interval; OOM kills are looked for every 100 ms in between. */
	for (;;) {
		struct timespec tick = {0, 100 * 1000000L};

		bool alive = berth_container_alive(c);

		/* Read the OOM count even after the end: an OOM kill may be what ended it. */
		if (berth_cgroup_oom_count(c->cgroup, &now, err) < 0)
			return alive ? (berth_error_wrap(err, "events `%s`", id), 1) : 0;
		for (; ooms < now; ooms++)
			if (emit("oom", id, NULL, err) < 0)
				return 1;
		if (!alive)
			return 0;
		if (since <= 0) {
			if (emit_stats(c, err) < 0)
				return 1;
			since = interval;
		}
		nanosleep(&tick, NULL);
		since -= 100;
	}
}
