/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "cli.h"
#include "linux.h"
#include "util.h"

struct exec_flags {
	const char *process_file, *console_socket, *pid_file, *cwd, *user;
	bool tty, detach, no_new_privs;
	int preserve_fds;
	json_t *env, *gids;
	const char **caps;
	size_t n_caps;
};

/* The process to run: --process FILE, or the container's process with the flags applied. */
static json_t *build_process(const struct berth_container *c, const struct exec_flags *f,
			     int argc, char **argv, berth_error_t *err)
{
	json_t *p, *user, *env;
	size_t i;
	json_t *e;

	if (f->process_file) {
		if (berth_json_load_file(f->process_file, &p, err) < 0)
			return NULL;
		return p;
	}
	if (argc == 0) {
		berth_error(err, EINVAL, "missing the command to run (or --process FILE)");
		return NULL;
	}
	p = json_deep_copy(json_object_get(c->config->json, "process"));
	if (p == NULL)
		p = json_pack("{s:s}", "cwd", "/");
	json_object_set_new(p, "args", json_array());
	for (int k = 0; k < argc; k++)
		json_array_append_new(json_object_get(p, "args"), json_string(argv[k]));
	json_object_set_new(p, "terminal", json_boolean(f->tty));
	if (f->cwd)
		json_object_set_new(p, "cwd", json_string(f->cwd));
	if (f->no_new_privs)
		json_object_set_new(p, "noNewPrivileges", json_true());
	env = json_object_get(p, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(p, "env", env);
	}
	json_array_foreach(f->env, i, e)
		json_array_append(env, e);
	user = json_object_get(p, "user");
	if (!json_is_object(user)) {
		user = json_pack("{s:i, s:i}", "uid", 0, "gid", 0);
		json_object_set_new(p, "user", user);
	}
	if (f->user) {
		char *end;
		unsigned long uid = strtoul(f->user, &end, 10), gid = 0;

		if (end == f->user || (*end && *end != ':')) {
			json_decref(p);
			berth_error(err, EINVAL, "--user `%s`: expected UID[:GID]", f->user);
			return NULL;
		}
		if (*end == ':') {
			const char *g = end + 1;
			gid = strtoul(g, &end, 10);
			if (end == g || *end) {
				json_decref(p);
				berth_error(err, EINVAL, "--user `%s`: expected UID[:GID]", f->user);
				return NULL;
			}
		}
		json_object_set_new(user, "uid", json_integer((json_int_t)uid));
		json_object_set_new(user, "gid", json_integer((json_int_t)gid));
		json_object_del(user, "additionalGids");
	}
	if (json_array_size(f->gids))
		json_object_set(user, "additionalGids", f->gids);
	return p;
}

int berth_cmd_exec(struct berth_global *g, int argc, char **argv, berth_error_t *err)
{
	enum { O_CONSOLE = 256, O_PID, O_CWD, O_NNP, O_PRESERVE, O_GIDS, O_IGNORED };
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "console-socket", required_argument, NULL, O_CONSOLE },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, O_CWD },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'c' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, O_PID },
		{ "no-new-privs", no_argument, NULL, O_NNP },
		{ "preserve-fds", required_argument, NULL, O_PRESERVE },
		{ "process-label", required_argument, NULL, O_IGNORED },
		{ "apparmor", required_argument, NULL, O_IGNORED },
		{ "ignore-paused", no_argument, NULL, O_IGNORED },
		{ NULL, 0, NULL, 0 },
	};
	struct exec_flags f = { 0 };
	cleanup_json json_t *env = json_array(), *gids = json_array(), *pj = NULL;
	cleanup_free const char **caps = calloc((size_t)argc + 1, sizeof(char *));
	cleanup_container struct berth_container *c = NULL;
	struct berth_process proc;
	struct berth_exec_opts eo = { 0 };
	const char *id;
	sigset_t fwd;
	pid_t pid = -1;
	int ch, ret = 1;

	f.env = env;
	f.gids = gids;
	f.caps = caps;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:p:te:u:g:c:d", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': f.process_file = optarg; break;
		case 't': f.tty = true; break;
		case O_CONSOLE: f.console_socket = optarg; break;
		case 'e':
			if (!strchr(optarg, '='))
				return berth_error(err, EINVAL, "exec: --env `%s`: expected NAME=VALUE",
						   optarg), 1;
			json_array_append_new(env, json_string(optarg));
			break;
		case O_CWD: f.cwd = optarg; break;
		case 'u': f.user = optarg; break;
		case 'g': {
			int gid;
			if (berth_cli_uint("--additional-gids", optarg, &gid, err) < 0)
				return berth_error_wrap(err, "exec"), 1;
			json_array_append_new(gids, json_integer(gid));
			break;
		}
		case 'c': caps[f.n_caps++] = optarg; break;
		case 'd': f.detach = true; break;
		case O_PID: f.pid_file = optarg; break;
		case O_NNP: f.no_new_privs = true; break;
		case O_PRESERVE:
			if (berth_cli_uint("--preserve-fds", optarg, &f.preserve_fds, err) < 0)
				return berth_error_wrap(err, "exec"), 1;
			break;
		case O_IGNORED: break;
		default: return berth_cli_bad_option("exec", argc, argv, err), 1;
		}
	}
	if (optind >= argc)
		return berth_error(err, EINVAL, "exec: missing container ID"), 1;
	id = argv[optind];
	if (berth_id_validate(id, err) < 0)
		return berth_error_wrap(err, "exec"), 1;
	if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0)
		return berth_error_wrap(err, "exec"), 1;
	if (f.n_caps && berth_caps_from_names(caps, f.n_caps, &eo.add_caps, err) < 0)
		return berth_error_wrap(err, "exec `%s`: --cap", id), 1;
	pj = build_process(c, &f, argc - optind - 1, argv + optind + 1, err);
	if (pj == NULL)
		return berth_error_wrap(err, "exec `%s`", id), 1;
	if (berth_process_parse(pj, "process", &proc, err) < 0) {
		berth_process_clear(&proc);
		return berth_error_wrap(err, "exec `%s`", id), 1;
	}
	eo.proc = &proc;
	eo.console_socket = f.console_socket;
	eo.preserve_fds = f.preserve_fds;
	sigemptyset(&fwd);
	if (!f.detach) {
		static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaddset(&fwd, sigs[i]);
		sigprocmask(SIG_BLOCK, &fwd, NULL);
	}
	if (berth_container_exec(c, &eo, &pid, err) < 0) {
		berth_error_wrap(err, "exec `%s`", id);
		goto out;
	}
	berth_container_unlock(c);
	if (f.pid_file) {
		char v[16];
		int len = snprintf(v, sizeof(v), "%d", (int)pid);
		if (berth_write_file_atomic(f.pid_file, v, (size_t)len, 0644, false, err) < 0) {
			berth_error_wrap(err, "exec `%s`", id);
			goto out;
		}
	}
	ret = f.detach ? 0 : berth_cli_wait(pid, &fwd);
out:
	berth_process_clear(&proc);
	return ret;
}
