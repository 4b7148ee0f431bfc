/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berthctl container commands: run, create, start, ps, logs, attach, exec,
 * stop, kill, rm, inspect, wait, top (and the internal `cleanup` that a
 * shim runs after a --rm container).  Daemonless: everything is files (see
 * engine.h) and one berth-shim per running container.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netplugins/cni.h"
#include "orchestrator/berthctl.h"
#include "orchestrator/engine.h"
#include "orchestrator/run_opts.h"
#include "storage/storage.h"
#include "util.h"

#define PROG "berthctl"

static int fail(berth_error_t *err, int code)
{
	if (*err && (*err)->code > 0 && (*err)->code < 256 && code == BERTHCTL_EXIT_ENGINE)
		code = (*err)->code;
	berth_error_print(stderr, PROG, err);
	return code;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void new_id(char id[ENGINE_ID_LEN + 1])
{
	unsigned char raw[ENGINE_ID_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		/* the pid and time are unique enough for a fallback */
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)(rand() ^ getpid() ^ (int)time(NULL) >> (i % 8));
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		sprintf(id + 2 * i, "%02x", raw[i]);
}

/* A short name as registries spell it: without a host part we never go to the network. */
static bool names_registry(const char *ref)
{
	const char *slash = strchr(ref, '/');

	if (slash == NULL)
		return false;
	for (const char *p = ref; p < slash; p++)
		if (*p == '.' || *p == ':')
			return true;
	return strncmp(ref, "localhost/", 10) == 0;
}

static int resolve_image(struct storage_store *st, const char *ref, struct storage_image **img,
			 berth_error_t *err)
{
	if (names_registry(ref) || strcmp(ref, STORAGE_DEFAULT_IMAGE) == 0)
		return storage_image_resolve(st, ref, NULL, img, err);
	if (storage_image_lookup(st, ref, img, NULL) == 0)
		return 0;
	return berth_error(err, ENOENT,
			   "image `%s`: not in the local store (short names are not pulled: name "
			   "the registry, e.g. 127.0.0.1:5000/%s)",
			   ref, ref);
}

/* A host port is free when nothing (berth containers included) listens on it. */
static int check_ports(struct berthctl_opts *o, const struct run_opts *r, berth_error_t *err)
{
	cleanup_strv char **ids = NULL;

	for (size_t i = 0; i < r->nports; i++) {
		const struct engine_port *p = &r->ports[i];
		bool udp = strcmp(p->proto, "udp") == 0;
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p->host) };
		cleanup_close int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		int one = 1;

		for (size_t j = 0; j < i; j++)
			if (r->ports[j].host == p->host && strcmp(r->ports[j].proto, p->proto) == 0)
				return berth_error(err, EADDRINUSE, "port %u/%s is given twice",
						   p->host, p->proto);
		if (fd < 0)
			return berth_error_errno(err, errno, "socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return berth_error_errno(err, errno, "port %u/%s is not available", p->host,
						 p->proto);
	}
	if (r->nports == 0 || engine_ctr_list(o, &ids, NULL) < 0)
		return 0;
	for (char **id = ids; *id; id++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		if (engine_ctr_lookup(o, *id, &c, NULL) < 0)
			continue;
		size_t k;
		json_t *jp;
		json_array_foreach (json_object_get(c->rec, "ports"), k, jp) {
			for (size_t i = 0; i < r->nports; i++) {
				if (json_integer_value(json_object_get(jp, "host")) == r->ports[i].host &&
				    strcmp(jstr(jp, "proto") ?: "", r->ports[i].proto) == 0)
					return berth_error(err, EADDRINUSE,
							   "port %u/%s is already used by container %.12s",
							   r->ports[i].host, r->ports[i].proto, c->id);
			}
		}
	}
	return 0;
}

static json_t *strv_json(char **v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

int engine_attach_network(struct berthctl_opts *o, struct engine_ctr *c, berth_error_t *err)
{
	const char *netkind = jstr(c->rec, "network");
	const char *net = strcmp(netkind, "default") == 0 ? CNI_DEFAULT_NETWORK : netkind;
	struct engine_port ports[64];
	cleanup_free char *ip = NULL;
	size_t n = 0, i;
	json_t *jp;

	json_array_foreach (json_object_get(c->rec, "ports"), i, jp) {
		if (n == 64)
			break;
		ports[n].host = (uint16_t)json_integer_value(json_object_get(jp, "host"));
		ports[n].ctr = (uint16_t)json_integer_value(json_object_get(jp, "container"));
		snprintf(ports[n].proto, sizeof(ports[n].proto), "%s", jstr(jp, "proto") ?: "tcp");
		n++;
	}
	if (engine_cni_add(o, c, net, ports, n, &ip, err) < 0)
		return -1;
	if (ip)
		json_object_set_new(c->rec, "ip", json_string(ip));
	return engine_ctr_save(c, err);
}

/*
 * Everything `create` makes; on failure engine_remove() takes back whatever
 * exists.  With defer_cni the caller attaches the network (engine_attach_network())
 * while the shim creates the container.  With es (`run`), the shim starts as
 * soon as the container has its directories and waits (engine_shim_spawn()),
 * so its start overlaps the making of the root filesystem and the bundle.
 */
static int do_create(struct berthctl_opts *o, struct run_opts *r, bool defer_cni,
		     struct engine_shim_early *es, struct engine_ctr **out, berth_error_t *err)
{
	cleanup_storage_store struct storage_store *st = NULL;
	cleanup_storage_image struct storage_image *img = NULL;
	cleanup_json json_t *config = NULL;
	cleanup_free char *rootfs = NULL;
	cleanup_free char *volumes = NULL;
	cleanup_free char *cfgpath = NULL;
	cleanup_free char *text = NULL;
	char cgroup[ENGINE_ID_LEN + 16], created[48], name[32];
	struct engine_ctr *c;
	const char *netkind = r->network;
	bool own_netns = strcmp(netkind, "host") != 0;
	bool cni = own_netns && strcmp(netkind, "none") != 0;
	char *entry[2] = { NULL, NULL };
	struct engine_netns_job netns = { 0 };

	if (check_ports(o, r, err) < 0 || storage_store_open(o->root, &st, err) < 0 ||
	    resolve_image(st, r->image, &img, err) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return berth_error_errno(err, ENOMEM, "create");
	c->lock_fd = -1;
	new_id(c->id);
	if (engine_paths_init(o, c->id, &c->p, err) < 0) {
		engine_ctr_free(c);
		return -1;
	}
	/* Making a network namespace takes longest of all here: its thread starts first. */
	if (own_netns && engine_netns_start(&netns, c->p.netns, err) < 0) {
		engine_ctr_free(c);
		return -1;
	}
	if (r->name == NULL) {
		snprintf(name, sizeof(name), "berth_%.12s", c->id);
		r->name = name;
	}
	if (engine_name_reserve(o, r->name, c->id, err) < 0) {
		if (own_netns && engine_netns_finish(&netns, NULL) == 0)
			engine_netns_remove(c->p.netns);
		engine_ctr_free(c);
		return -1;
	}
	berth_rfc3339_now(created, sizeof(created));
	json_t *ports = json_array();
	for (size_t i = 0; i < r->nports; i++)
		json_array_append_new(ports, json_pack("{s:i, s:i, s:s}", "host", r->ports[i].host,
						       "container", r->ports[i].ctr, "proto",
						       r->ports[i].proto));
	c->rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:o}", "id", c->id,
			   "name", r->name, "image", r->image, "image_id", storage_image_id(img),
			   "created", created, "tty", r->tty, "stdin", r->interactive, "rm", r->rm,
			   "network", netkind, "ports", ports);
	if (c->rec == NULL) {
		if (own_netns && engine_netns_finish(&netns, NULL) == 0)
			engine_netns_remove(c->p.netns);
		engine_name_release(o, r->name);
		engine_ctr_free(c);
		return berth_error_errno(err, ENOMEM, "create");
	}
	if (r->restart)
		json_object_set_new(c->rec, "restart", json_string(r->restart));
	{
		/* the named volumes it mounts: `volume rm` refuses them while it exists */
		json_t *vols = json_array();
		for (size_t i = 0; i < r->nmounts; i++)
			if (r->mounts[i].kind == RUN_MOUNT_VOLUME)
				json_array_append_new(vols, json_string(r->mounts[i].source));
		json_object_set_new(c->rec, "volumes", vols);
	}
	*out = c;
	if (berth_mkdir_p(c->p.bundle, 0700, err) < 0 || engine_ctr_lock_create(c, err) < 0 ||
	    engine_ctr_save(c, err) < 0 || (es && engine_shim_spawn(o, c, es, err) < 0))
		goto fail;
	if (asprintf(&rootfs, "%s/rootfs", c->p.bundle) < 0 ||
	    asprintf(&volumes, "%s/volumes", o->root) < 0 ||
	    asprintf(&cfgpath, "%s/config.json", c->p.bundle) < 0) {
		berth_error_errno(err, ENOMEM, "create");
		goto fail;
	}
	/* --rm: nothing of it outlives the container, no sync at unmount */
	if (storage_rootfs_create(st, img, c->id, rootfs, r->rm ? STORAGE_ROOTFS_VOLATILE : 0, NULL,
				  err) < 0)
		goto fail;
	entry[0] = (char *)r->entrypoint;
	struct storage_runtime_overrides ov = {
		.entrypoint = r->entrypoint ? entry : NULL,
		.args = r->cmd && r->cmd[0] ? r->cmd : NULL,
		.env = r->env,
		.user = r->user,
		.workdir = r->workdir,
		.hostname = r->hostname ? r->hostname : r->name,
		.rootfs = rootfs,
		.terminal = r->tty,
		.read_only = r->read_only,
	};
	if (storage_image_runtime_config(img, &ov, &config, err) < 0)
		goto fail;
	json_object_set_new(json_object_get(config, "root"), "path", json_string("rootfs"));
	json_object_set_new(c->rec, "command", json_incref(json_object_get(
						      json_object_get(config, "process"), "args")));
	snprintf(cgroup, sizeof(cgroup), "/berth-%s", c->id);
	if (run_opts_apply(r, config, volumes, own_netns ? c->p.netns : NULL, cgroup, err) < 0)
		goto fail;
	text = json_dumps(config, JSON_INDENT(1));
	if (text == NULL || berth_write_file_atomic(cfgpath, text, strlen(text), 0600, false, err) < 0)
		goto fail;
	if (engine_netns_finish(&netns, err) < 0)
		goto fail;
	json_t *stop = json_object_get(storage_image_config_json(img), "config");
	if (json_is_object(stop) && jstr(stop, "StopSignal"))
		json_object_set_new(c->rec, "stop_signal", json_string(jstr(stop, "StopSignal")));
	if (engine_ctr_save(c, err) < 0 ||
	    (cni && !defer_cni && engine_attach_network(o, c, err) < 0))
		goto fail;
	return 0;
fail:
	/* (engine_remove() does nothing before the record is saved) */
	if (own_netns && engine_netns_finish(&netns, NULL) == 0)
		engine_netns_remove(c->p.netns);
	if (es)
		engine_shim_abort(es);
	engine_remove(o, c, true, NULL);
	engine_ctr_free(c);
	*out = NULL;
	return -1;
}

static void short_usage(const char *cmd)
{
	fprintf(stderr, "%s: %s: bad usage (see berthctl(1))\n", PROG, cmd);
}

/* Let a container created with --attach-first run without attaching. */
static int start_created(struct engine_ctr *c, berth_error_t *err)
{
	int fd = engine_shim_request(c->p.state, "start", err);

	if (fd < 0)
		return berth_error_wrap(err, "start `%.12s`", c->id);
	close(fd);
	return 0;
}

/*
 * Follow a running container's output until it exits (or we detach), on an
 * attach connection fd, or a new one (fd < 0).
 */
static int attach_and_wait(struct engine_ctr *c, int fd, bool with_stdin, bool quiet_detach)
{
	berth_error_t err = NULL;
	bool tty = json_is_true(json_object_get(c->rec, "tty"));
	bool detached = false;
	int code;

	if (fd >= 0 && engine_shim_answer(fd, c->p.state, &err) < 0) {
		close(fd);
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	}
	if (fd < 0)
		fd = engine_shim_request(c->p.state, with_stdin ? "attach stdin" : "attach", &err);
	if (fd < 0)
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	code = engine_shim_stream(fd, with_stdin ? 0 : -1, tty, &detached, NULL, NULL);
	close(fd);
	if (detached) {
		if (!quiet_detach)
			fprintf(stderr, "\r\ndetached from %.12s\r\n", c->id);
		return 0;
	}
	if (code < 0) {
		/* the shim went away without a final frame: trust the exit file */
		struct engine_state st;
		engine_ctr_state(c, &st);
		return st.status == ENGINE_EXITED ? st.exit_code : BERTHCTL_EXIT_ENGINE;
	}
	return code;
}

static int cmd_run(struct berthctl_opts *o, int argc, char **argv, bool is_run)
{
	struct run_opts r = { 0 };
	berth_error_t err = NULL;
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	pid_t pid;
	int code;

	if (run_opts_parse(argc, argv, &r, is_run, &err) < 0) {
		run_opts_free(&r);
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	}
	/* CNI ADD (plugin exec's) overlaps the runtime's create in the shim */
	bool cni = is_run && strcmp(r.network, "none") != 0 && strcmp(r.network, "host") != 0;
	/* run: the shim starts while the bundle is made; in the foreground attached from the start */
	struct engine_shim_early es;
	engine_shim_early_init(&es, r.detach ? cni : true, !r.detach);
	if (do_create(o, &r, cni, is_run ? &es : NULL, &c, &err) < 0) {
		run_opts_free(&r);
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	}
	if (!is_run) {
		printf("%s\n", c->id);
		run_opts_free(&r);
		return 0;
	}
	/*
	 * A foreground --rm removes the container itself once it ended: holding
	 * the lock tells the shim it has no cleanup to run.
	 */
	if (r.rm && !r.detach && engine_ctr_lock(c, &err) < 0) {
		engine_shim_abort(&es);
		engine_remove(o, c, true, NULL);
		run_opts_free(&r);
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	}
	/* in the foreground: attached from the start, the request sent once the network is up */
	int afd = -1;
	engine_during_fn during = cni ? engine_attach_network : NULL;
	if (engine_shim_go(o, c, &es, during, r.interactive ? "attach stdin" : "attach",
			   r.detach ? NULL : &afd, &pid, &err) < 0 ||
	    (r.detach && cni && start_created(c, &err) < 0)) {
		code = err && err->code ? err->code : BERTHCTL_EXIT_ENGINE;
		engine_remove(o, c, true, NULL);
		run_opts_free(&r);
		return fail(&err, code);
	}
	if (r.detach) {
		printf("%s\n", c->id);
		run_opts_free(&r);
		return 0;
	}
	code = attach_and_wait(c, afd, r.interactive, false);
	if (r.rm) {
		struct engine_state st;
		engine_ctr_state(c, &st);
		if (st.status != ENGINE_RUNNING && engine_remove(o, c, false, &err) < 0)
			fail(&err, 0);
	}
	run_opts_free(&r);
	return code;
}

/* Parse "[-x]... REF..." for the commands taking only flags without arguments. */
static int lookup_or_fail(struct berthctl_opts *o, const char *ref, struct engine_ctr **c)
{
	berth_error_t err = NULL;

	if (engine_ctr_lookup(o, ref, c, &err) < 0)
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	return 0;
}

static int cmd_start(struct berthctl_opts *o, int argc, char **argv)
{
	int ret = 0;

	if (argc < 2) {
		short_usage("start");
		return BERTHCTL_EXIT_ENGINE;
	}
	for (int i = 1; i < argc; i++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		berth_error_t err = NULL;
		struct engine_state st;
		pid_t pid;

		if (lookup_or_fail(o, argv[i], &c)) {
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		engine_ctr_state(c, &st);
		if (st.status == ENGINE_RUNNING) {
			printf("%s\n", argv[i]);
			continue;
		}
		if (engine_start(o, c, false, &pid, &err) < 0) {
			ret = fail(&err, BERTHCTL_EXIT_ENGINE);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return ret;
}

static void fmt_age(const char *rfc, char *buf, size_t len)
{
	struct tm tm = { 0 };
	time_t t, now = time(NULL);
	long d;

	if (rfc == NULL || strptime(rfc, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	t = timegm(&tm);
	d = (long)(now - t);
	if (d < 0)
		d = 0;
	if (d > 99999 * 86400L)
		d = 99999 * 86400L;
	if (d < 60)
		snprintf(buf, len, "%ld seconds ago", d);
	else if (d < 3600)
		snprintf(buf, len, "%ld minutes ago", d / 60);
	else if (d < 86400)
		snprintf(buf, len, "%ld hours ago", d / 3600);
	else
		snprintf(buf, len, "%ld days ago", d / 86400);
}

static char *join_cmd(json_t *cmd)
{
	size_t i, n = 0;
	json_t *v;
	char *s = calloc(1, 1);

	json_array_foreach (cmd, i, v) {
		const char *a = json_string_value(v);
		char *ns;
		if (a == NULL)
			continue;
		ns = realloc(s, n + strlen(a) + 2);
		if (ns == NULL)
			break;
		s = ns;
		n += (size_t)sprintf(s + n, "%s%s", n ? " " : "", a);
	}
	return s;
}

static int cmd_ps(struct berthctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false, json = false, quiet = false;
	cleanup_strv char **ids = NULL;
	cleanup_json json_t *out = json_array();
	berth_error_t err = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "aq", longopts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'f' && strcmp(optarg, "json") == 0)
			json = true;
		else {
			fprintf(stderr, "%s: ps: --format `%s`: only json is known\n", PROG,
				c == 'f' ? optarg : "?");
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (engine_ctr_list(o, &ids, &err) < 0)
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	if (!json && !quiet)
		printf("%-12s  %-24s  %-20s  %-16s  %-22s  %-16s  %s\n", "CONTAINER ID", "IMAGE",
		       "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
	for (char **id = ids; *id; id++) {
		cleanup_engine_ctr struct engine_ctr *ct = NULL;
		struct engine_state st;
		char status[64], age[32], ports[128] = "";
		size_t k, pn = 0;
		json_t *jp;

		if (engine_ctr_lookup(o, *id, &ct, NULL) < 0)
			continue;
		engine_ctr_state(ct, &st);
		if (!all && st.status != ENGINE_RUNNING)
			continue;
		if (quiet) {
			printf("%.12s\n", ct->id);
			continue;
		}
		json_array_foreach (json_object_get(ct->rec, "ports"), k, jp)
			pn += (size_t)snprintf(ports + pn, sizeof(ports) - pn, "%s%lld->%lld/%s",
					       pn ? "," : "",
					       json_integer_value(json_object_get(jp, "host")),
					       json_integer_value(json_object_get(jp, "container")),
					       jstr(jp, "proto"));
		cleanup_free char *cmd = join_cmd(json_object_get(ct->rec, "command"));
		if (json) {
			json_array_append_new(
				out, json_pack("{s:s, s:[s], s:s, s:s?, s:s, s:s, s:i, s:i, s:b, s:s?, s:i}",
					       "Id", ct->id, "Names", jstr(ct->rec, "name"), "Image",
					       jstr(ct->rec, "image"), "Command", cmd, "Created",
					       jstr(ct->rec, "created"), "State",
					       engine_status_name(st.status), "ExitCode",
					       st.exit_code, "Pid",
					       st.status == ENGINE_RUNNING ? st.pid : 0, "Exited",
					       st.status == ENGINE_EXITED, "IP", jstr(ct->rec, "ip"),
					       "Restarts", st.restarts));
			json_object_set_new(json_array_get(out, json_array_size(out) - 1),
					    "Checkpointed", json_boolean(st.checkpointed));
			continue;
		}
		fmt_age(jstr(ct->rec, "created"), age, sizeof(age));
		if (st.status == ENGINE_EXITED && st.checkpointed)
			snprintf(status, sizeof(status), "Exited (checkpointed)");
		else if (st.status == ENGINE_EXITED)
			snprintf(status, sizeof(status), "Exited (%d)%s", st.exit_code,
				 st.oom_killed ? " OOM" : "");
		else if (st.status == ENGINE_RUNNING)
			snprintf(status, sizeof(status), "Up");
		else
			snprintf(status, sizeof(status), "%s", engine_status_name(st.status));
		printf("%.12s  %-24.24s  %-20.20s  %-16s  %-22s  %-16s  %s\n", ct->id,
		       jstr(ct->rec, "image"), cmd ? cmd : "", age, status, ports,
		       jstr(ct->rec, "name"));
	}
	if (json) {
		char *s = json_dumps(out, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
	}
	return 0;
}

/* ---- logs ------------------------------------------------------------- */

struct log_line {
	char *ts;
	bool err;
	char *text;
};

static int parse_since(const char *s, char *cut, size_t len, berth_error_t *err)
{
	char *end;
	double v = strtod(s, &end);

	if (end != s && (*end == 's' || *end == 'm' || *end == 'h') && end[1] == '\0' && v >= 0) {
		double mul = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		time_t t = ts.tv_sec - (time_t)(v * mul);
		gmtime_r(&t, &tm);
		snprintf(cut, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
		return 0;
	}
	struct tm tm = { 0 };
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) != NULL) {
		snprintf(cut, len, "%s", s);
		return 0;
	}
	return berth_error(err, EINVAL, "since `%s`: expected a duration (10s, 5m, 1h) or RFC 3339",
			   s);
}

/* One CRI record: "<ts> <stream> <F|P> <text>". */
static bool split_record(char *line, char **ts, bool *is_err, bool *partial, char **text)
{
	char *a = strchr(line, ' '), *b, *c;

	if (a == NULL)
		return false;
	b = strchr(a + 1, ' ');
	if (b == NULL)
		return false;
	c = b[1] && b[2] == ' ' ? b + 3 : NULL;
	if (c == NULL) {
		if (b[1] && b[2] == '\0')
			c = b + 2;
		else
			return false;
	}
	*a = *b = '\0';
	*ts = line;
	*is_err = strcmp(a + 1, "stderr") == 0;
	*partial = b[1] == 'P';
	*text = c;
	return true;
}

static void emit(bool is_err, const char *text, size_t n, bool nl)
{
	FILE *f = is_err ? stderr : stdout;
	fwrite(text, 1, n, f);
	if (nl)
		fputc('\n', f);
}

/* Print records from f; keeps the partial state across calls. */
static void print_records(FILE *f, const char *since, long *skip)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	clearerr(f); /* EOF is sticky in glibc; the log may have grown since */
	while ((n = getline(&line, &cap, f)) > 0) {
		char *ts, *text;
		bool is_err, partial;
		if (line[n - 1] != '\n') {
			/* a record still being written: read it again later */
			fseek(f, -n, SEEK_CUR);
			break;
		}
		line[n - 1] = '\0';
		if (!split_record(line, &ts, &is_err, &partial, &text))
			continue;
		if (since && strcmp(ts, since) < 0)
			continue;
		if (*skip > 0) {
			if (!partial)
				(*skip)--;
			continue;
		}
		emit(is_err, text, strlen(text), !partial);
	}
	free(line);
	fflush(stdout);
	fflush(stderr);
}

static long count_lines(char **files, const char *since)
{
	long total = 0;

	for (char **p = files; *p; p++) {
		cleanup_fclose FILE *f = fopen(*p, "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while (f && (n = getline(&line, &cap, f)) > 0) {
			char *ts, *text;
			bool is_err, partial;
			if (line[n - 1] != '\n')
				break;
			line[n - 1] = '\0';
			if (split_record(line, &ts, &is_err, &partial, &text) && !partial &&
			    (!since || strcmp(ts, since) >= 0))
				total++;
		}
		free(line);
	}
	return total;
}

static int cmd_logs(struct berthctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	bool follow = false;
	long tail = -1, skip = 0;
	char since[64] = "";
	berth_error_t err = NULL;
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	char *files[4] = { NULL };
	int opt, nf = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "fn:", longopts, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'f':
			follow = true;
			break;
		case 'n':
			tail = strtol(optarg, &end, 10);
			if (*end || end == optarg || tail < 0) {
				fprintf(stderr, "%s: logs: --tail `%s`: not a number\n", PROG, optarg);
				return BERTHCTL_EXIT_ENGINE;
			}
			break;
		case 's':
			if (parse_since(optarg, since, sizeof(since), &err) < 0)
				return fail(&err, BERTHCTL_EXIT_ENGINE);
			break;
		default:
			short_usage("logs");
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (optind != argc - 1) {
		short_usage("logs");
		return BERTHCTL_EXIT_ENGINE;
	}
	if (lookup_or_fail(o, argv[optind], &c))
		return BERTHCTL_EXIT_ENGINE;
	/* oldest first: ctr.log.2, ctr.log.1, ctr.log */
	for (int i = 2; i >= 1; i--) {
		char *p = NULL;
		if (asprintf(&p, "%s.%d", c->p.log, i) > 0 && access(p, R_OK) == 0)
			files[nf++] = p;
		else
			free(p);
	}
	files[nf++] = strdup(c->p.log);
	if (tail >= 0) {
		long total = count_lines(files, since[0] ? since : NULL);
		skip = total > tail ? total - tail : 0;
	}
	for (int i = 0; i < nf - 1; i++) {
		cleanup_fclose FILE *f = fopen(files[i], "r");
		if (f)
			print_records(f, since[0] ? since : NULL, &skip);
	}
	FILE *f = fopen(files[nf - 1], "r");
	if (f)
		print_records(f, since[0] ? since : NULL, &skip);
	while (follow) {
		struct engine_state st;
		struct stat a, b;
		engine_ctr_state(c, &st);
		bool running = st.status == ENGINE_RUNNING;
		if (f == NULL || (stat(c->p.log, &a) == 0 && fstat(fileno(f), &b) == 0 &&
				  a.st_ino != b.st_ino)) {
			/* rotated: finish the old file, go on with the new one */
			if (f) {
				print_records(f, NULL, &skip);
				fclose(f);
			}
			f = fopen(c->p.log, "r");
		}
		if (f)
			print_records(f, NULL, &skip);
		if (!running)
			break;
		usleep(100000);
	}
	if (f)
		fclose(f);
	for (int i = 0; i < nf; i++)
		free(files[i]);
	return 0;
}

/* ---- attach, exec ---------------------------------------------------- */

static int cmd_attach(struct berthctl_opts *o, int argc, char **argv)
{
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	bool no_stdin = false;
	int i = 1;

	if (argc > 1 && strcmp(argv[1], "--no-stdin") == 0) {
		no_stdin = true;
		i++;
	}
	if (i != argc - 1) {
		short_usage("attach");
		return BERTHCTL_EXIT_ENGINE;
	}
	if (lookup_or_fail(o, argv[i], &c))
		return BERTHCTL_EXIT_ENGINE;
	return attach_and_wait(c, -1, !no_stdin && json_is_true(json_object_get(c->rec, "stdin")),
			       false);
}

/* A passwd/group file of the container: its init's view (mounts included) while it runs. */
static FILE *ctr_db(struct engine_ctr *c, const char *file)
{
	struct engine_state st;
	char path[PATH_MAX];
	FILE *f = NULL;

	engine_ctr_state(c, &st);
	if (st.status == ENGINE_RUNNING && st.pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/root/etc/%s", (int)st.pid, file);
		f = fopen(path, "re");
	}
	if (f == NULL) {
		snprintf(path, sizeof(path), "%s/rootfs/etc/%s", c->p.bundle, file);
		f = fopen(path, "re");
	}
	return f;
}

static bool is_uint(const char *s)
{
	return s[0] && strspn(s, "0123456789") == strlen(s) && strlen(s) < 11;
}

/*
 * -u USER[:GROUP] for exec: names (or IDs) looked up in the container's own
 * /etc/passwd and /etc/group; a named user also gets the groups that list it.
 */
static json_t *exec_user(struct engine_ctr *c, const char *spec, berth_error_t *err)
{
	cleanup_free char *copy = strdup(spec);
	char *name, *group;
	FILE *f;
	struct passwd *pw;
	struct group *gr;
	bool found = false;
	json_int_t uid = 0, gid = 0;
	json_t *extra = json_array();

	if (copy == NULL || extra == NULL) {
		json_decref(extra);
		berth_error_errno(err, ENOMEM, "user `%s`", spec);
		return NULL;
	}
	name = copy;
	group = strchr(copy, ':');
	if (group)
		*group++ = '\0';
	if (name[0] == '\0' || (group && group[0] == '\0')) {
		json_decref(extra);
		berth_error(err, EINVAL, "user `%s`: expected USER[:GROUP] (names or IDs)", spec);
		return NULL;
	}
	f = ctr_db(c, "passwd");
	while (f && (pw = fgetpwent(f)) != NULL) {
		if (is_uint(name) ? pw->pw_uid == strtoul(name, NULL, 10) : strcmp(pw->pw_name, name) == 0) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
			found = true;
			break;
		}
	}
	if (f)
		fclose(f);
	if (!found && !is_uint(name)) {
		json_decref(extra);
		berth_error(err, ENOENT, "user `%s`: no such user in the container's /etc/passwd",
			    name);
		return NULL;
	}
	if (!found)
		uid = (json_int_t)strtoul(name, NULL, 10);
	f = ctr_db(c, "group");
	found = group == NULL || is_uint(group);
	if (group && is_uint(group))
		gid = (json_int_t)strtoul(group, NULL, 10);
	while (f && (gr = fgetgrent(f)) != NULL) {
		if (group && !is_uint(group) && strcmp(gr->gr_name, group) == 0) {
			gid = gr->gr_gid;
			found = true;
		}
		for (char **m = gr->gr_mem; !is_uint(name) && m && *m; m++)
			if (strcmp(*m, name) == 0)
				json_array_append_new(extra, json_integer(gr->gr_gid));
	}
	if (f)
		fclose(f);
	if (!found) {
		json_decref(extra);
		berth_error(err, ENOENT, "group `%s`: no such group in the container's /etc/group",
			    group);
		return NULL;
	}
	json_t *u = json_pack("{s:I, s:I}", "uid", uid, "gid", gid);
	if (json_array_size(extra) > 0)
		json_object_set_new(u, "additionalGids", extra);
	else
		json_decref(extra);
	return u;
}

/* The exec'd process: the container's process (env, user, caps) with our changes. */
static json_t *exec_process(struct engine_ctr *c, char **args, char **env, const char *user,
			    const char *workdir, bool tty, berth_error_t *err)
{
	cleanup_free char *cfgpath = NULL;
	cleanup_json json_t *config = NULL;
	json_t *proc, *jenv;

	if (asprintf(&cfgpath, "%s/config.json", c->p.bundle) < 0)
		return NULL;
	if (berth_json_load_file(cfgpath, &config, err) < 0)
		return NULL;
	proc = json_deep_copy(json_object_get(config, "process"));
	if (proc == NULL) {
		berth_error(err, EINVAL, "container `%.12s`: no process in its config", c->id);
		return NULL;
	}
	json_object_set_new(proc, "args", strv_json(args));
	json_object_set_new(proc, "terminal", json_boolean(tty));
	json_object_del(proc, "consoleSize");
	jenv = json_object_get(proc, "env");
	for (char **e = env; e && *e; e++)
		json_array_append_new(jenv, json_string(*e));
	if (workdir)
		json_object_set_new(proc, "cwd", json_string(workdir));
	if (user) {
		json_t *u = exec_user(c, user, err);
		if (u == NULL) {
			json_decref(proc);
			return NULL;
		}
		json_object_set_new(proc, "user", u);
	}
	return proc;
}

static int cmd_exec(struct berthctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "detach", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	bool in = false, tty = false, detach = false, detached;
	const char *user = NULL, *workdir = NULL;
	char **env = NULL;
	size_t nenv = 0;
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	cleanup_json json_t *proc = NULL;
	berth_error_t err = NULL;
	char path[4200], req[4300], rnd[17];
	int opt, fd, code;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+ite:u:w:d", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			in = true;
			break;
		case 't':
			tty = true;
			break;
		case 'd':
			detach = true;
			break;
		case 'e': {
			char **ne = realloc(env, (nenv + 2) * sizeof(*ne));
			if (ne == NULL)
				return BERTHCTL_EXIT_ENGINE;
			env = ne;
			env[nenv++] = optarg;
			env[nenv] = NULL;
			break;
		}
		case 'u':
			user = optarg;
			break;
		case 'w':
			workdir = optarg;
			break;
		default:
			free(env);
			short_usage("exec");
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (argc - optind < 2) {
		free(env);
		short_usage("exec");
		return BERTHCTL_EXIT_ENGINE;
	}
	if (lookup_or_fail(o, argv[optind], &c)) {
		free(env);
		return BERTHCTL_EXIT_ENGINE;
	}
	proc = exec_process(c, argv + optind + 1, env, user, workdir, tty, &err);
	free(env);
	if (proc == NULL) {
		berth_error_wrap(&err, "exec in `%s`", argv[optind]);
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	}
	{
		char id[ENGINE_ID_LEN + 1];
		new_id(id);
		snprintf(rnd, sizeof(rnd), "%.16s", id);
	}
	snprintf(path, sizeof(path), "%s/exec-%s.json", c->p.state, rnd);
	if (json_dump_file(proc, path, 0) < 0) {
		fprintf(stderr, "%s: exec: write `%s`: %s\n", PROG, path, strerror(errno));
		return BERTHCTL_EXIT_ENGINE;
	}
	snprintf(req, sizeof(req), "exec %d %d %s", tty, in, path);
	fd = engine_shim_request(c->p.state, req, &err);
	unlink(path);
	if (fd < 0) {
		code = err ? engine_exit_code_for(err->msg) : BERTHCTL_EXIT_ENGINE;
		if (err && strstr(err->msg, "not running"))
			code = BERTHCTL_EXIT_ENGINE;
		/* the runtime's message names the container already: "exec `ID`: ..." */
		if (err == NULL || strncmp(err->msg, "exec `", 6) != 0)
			berth_error_wrap(&err, "exec in `%.12s`", c->id);
		return fail(&err, code);
	}
	if (detach) {
		close(fd);
		return 0;
	}
	code = engine_shim_stream(fd, in ? 0 : -1, tty, &detached, NULL, NULL);
	close(fd);
	return code < 0 ? (detached ? 0 : BERTHCTL_EXIT_ENGINE) : code;
}

/* ---- stop, kill, wait, rm ---------------------------------------------- */

static bool wait_exit(struct engine_ctr *c, long ms)
{
	return engine_wait_stopped(c, (int)ms);
}

static int send_signal(struct engine_ctr *c, int sig, berth_error_t *err)
{
	char req[32];
	int fd;

	snprintf(req, sizeof(req), "kill %d", sig);
	fd = engine_shim_request(c->p.state, req, err);
	if (fd < 0)
		return berth_error_wrap(err, "container `%.12s`", c->id);
	close(fd);
	return 0;
}

static int cmd_stop(struct berthctl_opts *o, int argc, char **argv)
{
	long timeout = 10;
	int opt, ret = 0;
	char *end;

	optind = 1;
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't' || (timeout = strtol(optarg, &end, 10), *end) || timeout < 0) {
			short_usage("stop");
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	for (int i = optind; i < argc; i++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		berth_error_t err = NULL;
		struct engine_state st;
		int sig = SIGTERM;

		if (lookup_or_fail(o, argv[i], &c)) {
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		engine_ctr_state(c, &st);
		if (st.status == ENGINE_RUNNING) {
			if (jstr(c->rec, "stop_signal")) {
				int s = engine_parse_signal(jstr(c->rec, "stop_signal"), NULL);
				if (s > 0)
					sig = s;
			}
			if (send_signal(c, sig, &err) < 0 && !wait_exit(c, 0)) {
				ret = fail(&err, BERTHCTL_EXIT_ENGINE);
				continue;
			}
			berth_error_release(&err);
			if (!wait_exit(c, timeout * 1000)) {
				send_signal(c, SIGKILL, NULL);
				wait_exit(c, 10000);
			}
		}
		printf("%s\n", argv[i]);
	}
	return ret;
}

static int cmd_kill(struct berthctl_opts *o, int argc, char **argv)
{
	berth_error_t err = NULL;
	int sig = SIGKILL, opt, ret = 0;

	optind = 1;
	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's') {
			short_usage("kill");
			return BERTHCTL_EXIT_ENGINE;
		}
		sig = engine_parse_signal(optarg, &err);
		if (sig < 0)
			return fail(&err, BERTHCTL_EXIT_ENGINE);
	}
	for (int i = optind; i < argc; i++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		if (lookup_or_fail(o, argv[i], &c)) {
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		if (send_signal(c, sig, &err) < 0) {
			ret = fail(&err, BERTHCTL_EXIT_ENGINE);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return ret;
}

static int cmd_wait(struct berthctl_opts *o, int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		berth_error_t err = NULL;
		struct engine_state st;
		bool detached;
		int fd, code = -1;

		if (lookup_or_fail(o, argv[i], &c)) {
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		engine_ctr_state(c, &st);
		if (st.status == ENGINE_RUNNING) {
			fd = engine_shim_request(c->p.state, "wait", &err);
			if (fd >= 0) {
				code = engine_shim_stream(fd, -1, false, &detached, NULL, NULL);
				close(fd);
			}
			berth_error_release(&err);
			if (code < 0)
				wait_exit(c, 1000);
			engine_ctr_state(c, &st);
		}
		if (st.status == ENGINE_CREATED) {
			fprintf(stderr, "%s: wait: container `%s` has not been started\n", PROG,
				argv[i]);
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		if (st.status != ENGINE_EXITED && code < 0) {
			fprintf(stderr, "%s: wait: container `%s`: its shim is gone\n", PROG, argv[i]);
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		printf("%d\n", code >= 0 ? code : st.exit_code);
	}
	return ret;
}

static int cmd_rm(struct berthctl_opts *o, int argc, char **argv)
{
	bool force = false;
	int opt, ret = 0;

	optind = 1;
	while ((opt = getopt(argc, argv, "f")) != -1) {
		if (opt != 'f') {
			short_usage("rm");
			return BERTHCTL_EXIT_ENGINE;
		}
		force = true;
	}
	for (int i = optind; i < argc; i++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		berth_error_t err = NULL;
		if (lookup_or_fail(o, argv[i], &c)) {
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		if (engine_remove(o, c, force, &err) < 0) {
			ret = fail(&err, BERTHCTL_EXIT_ENGINE);
			continue;
		}
		printf("%s\n", c->id);
	}
	return ret;
}

/* Run by the shim after a --rm container ended, even if its berthctl is gone. */
static int cmd_cleanup(struct berthctl_opts *o, int argc, char **argv)
{
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	berth_error_t err = NULL;

	if (argc != 2)
		return BERTHCTL_EXIT_ENGINE;
	if (engine_ctr_lookup(o, argv[1], &c, &err) < 0) {
		berth_error_release(&err);
		return 0; /* already removed */
	}
	/* the shim that runs us is still exiting */
	engine_wait_stopped(c, 1000);
	if (engine_remove(o, c, false, &err) < 0)
		return fail(&err, BERTHCTL_EXIT_ENGINE);
	return 0;
}

static int cmd_inspect(struct berthctl_opts *o, int argc, char **argv)
{
	cleanup_json json_t *out = json_array();
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		cleanup_engine_ctr struct engine_ctr *c = NULL;
		struct engine_state st;
		if (lookup_or_fail(o, argv[i], &c)) {
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		engine_ctr_state(c, &st);
		json_t *j = json_deep_copy(c->rec);
		json_object_set_new(
			j, "state",
			json_pack("{s:s, s:b, s:i, s:i, s:i, s:b, s:i, s:s}", "status",
				  engine_status_name(st.status), "running",
				  st.status == ENGINE_RUNNING, "pid",
				  st.status == ENGINE_RUNNING ? st.pid : 0, "exit_code", st.exit_code,
				  "signal", st.signal, "oom_killed", st.oom_killed, "restarts",
				  st.restarts, "finished_at", st.exited_at));
		json_object_set_new(json_object_get(j, "state"), "checkpointed",
				    json_boolean(st.checkpointed));
		json_object_set_new(j, "bundle", json_string(c->p.bundle));
		json_object_set_new(j, "log_path", json_string(c->p.log));
		json_object_set_new(j, "state_dir", json_string(c->p.state));
		json_object_set_new(j, "netns", json_string(c->p.netns));
		json_array_append_new(out, j);
	}
	char *s = json_dumps(out, JSON_INDENT(2));
	if (s)
		puts(s);
	free(s);
	return ret;
}

/* ---- top -------------------------------------------------------------- */

static int cmd_top(struct berthctl_opts *o, int argc, char **argv)
{
	cleanup_engine_ctr struct engine_ctr *c = NULL;
	cleanup_free char *cg = NULL;
	cleanup_free char *procs = NULL;
	struct engine_state st;
	char path[PATH_MAX];
	long hz = sysconf(_SC_CLK_TCK);

	if (argc != 2) {
		short_usage("top");
		return BERTHCTL_EXIT_ENGINE;
	}
	if (lookup_or_fail(o, argv[1], &c))
		return BERTHCTL_EXIT_ENGINE;
	engine_ctr_state(c, &st);
	if (st.status != ENGINE_RUNNING) {
		fprintf(stderr, "%s: top: container `%s` is not running\n", PROG, argv[1]);
		return BERTHCTL_EXIT_ENGINE;
	}
	/* the processes of its cgroup: the pids hierarchy (v1) or the unified one */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)st.pid);
	if (berth_read_file(path, &cg, NULL, NULL) == 0) {
		for (char *save = NULL, *l = strtok_r(cg, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c2 == NULL)
				continue;
			*c2 = '\0';
			if (strcmp(c1 + 1, "pids") == 0)
				snprintf(path, sizeof(path), "/sys/fs/cgroup/pids%s/cgroup.procs",
					 c2 + 1);
			else if (strcmp(l, "0") == 0 && c1[1] == '\0' && procs == NULL)
				snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.procs", c2 + 1);
			else
				continue;
			free(procs);
			procs = NULL;
			if (berth_read_file(path, &procs, NULL, NULL) == 0 && c1[1])
				break;
		}
	}
	if (procs == NULL) {
		fprintf(stderr, "%s: top: container `%s`: its cgroup cannot be read\n", PROG,
			argv[1]);
		return BERTHCTL_EXIT_ENGINE;
	}
	printf("%-8s %-10s %-10s %s\n", "PID", "USER", "TIME", "COMMAND");
	for (char *save = NULL, *l = strtok_r(procs, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		cleanup_free char *pstat = NULL;
		cleanup_free char *cmd = NULL;
		size_t clen = 0;
		struct stat sb;
		unsigned long ut = 0, stt = 0;
		snprintf(path, sizeof(path), "/proc/%s/stat", l);
		if (berth_read_file(path, &pstat, NULL, NULL) < 0 || stat(path, &sb) < 0)
			continue;
		char *rp = strrchr(pstat, ')');
		if (rp)
			sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt);
		snprintf(path, sizeof(path), "/proc/%s/cmdline", l);
		if (berth_read_file(path, &cmd, &clen, NULL) < 0)
			continue;
		for (size_t k = 0; k + 1 < clen; k++)
			if (cmd[k] == '\0')
				cmd[k] = ' ';
		struct passwd *pw = getpwuid(sb.st_uid);
		unsigned long secs = (ut + stt) / (unsigned long)(hz > 0 ? hz : 100);
		char tbuf[32], ubuf[16];
		snprintf(tbuf, sizeof(tbuf), "%02lu:%02lu:%02lu", secs / 3600, secs / 60 % 60,
			 secs % 60);
		snprintf(ubuf, sizeof(ubuf), "%u", sb.st_uid);
		printf("%-8s %-10s %-10s %s\n", l, pw ? pw->pw_name : ubuf, tbuf, cmd);
	}
	return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

int berthctl_cmd_container(struct berthctl_opts *opts, int argc, char **argv)
{
	const char *cmd;

	if (argc < 1) {
		fprintf(stderr, "%s: container: which command? (see berthctl(1))\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	cmd = argv[0];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(opts, argc, argv, true);
	if (strcmp(cmd, "create") == 0)
		return cmd_run(opts, argc, argv, false);
	if (strcmp(cmd, "start") == 0)
		return cmd_start(opts, argc, argv);
	if (strcmp(cmd, "ps") == 0 || strcmp(cmd, "ls") == 0 || strcmp(cmd, "list") == 0)
		return cmd_ps(opts, argc, argv);
	if (strcmp(cmd, "logs") == 0)
		return cmd_logs(opts, argc, argv);
	if (strcmp(cmd, "attach") == 0)
		return cmd_attach(opts, argc, argv);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(opts, argc, argv);
	if (strcmp(cmd, "stop") == 0)
		return cmd_stop(opts, argc, argv);
	if (strcmp(cmd, "kill") == 0)
		return cmd_kill(opts, argc, argv);
	if (strcmp(cmd, "rm") == 0)
		return cmd_rm(opts, argc, argv);
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(opts, argc, argv);
	if (strcmp(cmd, "wait") == 0)
		return cmd_wait(opts, argc, argv);
	if (strcmp(cmd, "top") == 0)
		return cmd_top(opts, argc, argv);
	if (strcmp(cmd, "cleanup") == 0)
		return cmd_cleanup(opts, argc, argv);
	if (strcmp(cmd, "checkpoint") == 0)
		return engine_cmd_checkpoint(opts, argc, argv);
	if (strcmp(cmd, "restore") == 0)
		return engine_cmd_restore(opts, argc, argv);
	fprintf(stderr, "%s: `%s`: no such command (see berthctl(1))\n", PROG, cmd);
	return BERTHCTL_EXIT_ENGINE;
}
