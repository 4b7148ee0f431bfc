/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berth: the runc-compatible command line.  Parses the global options into
 * struct berth_global, dispatches to berth_cmd_<verb> (runtime/cli/), and
 * prints the error of a failed verb once: as text on stderr, and to --log
 * (text or, with --log-format json, one JSON object per line, which is what
 * containerd and podman read back).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "log.h"

#define BERTH_VERSION "0.1.0"
#define BERTH_SPEC_VERSION "1.1.0"

struct verb {
	const char *name;
	berth_cmd_fn fn;
	const char *usage; /* after "berth NAME " */
	const char *help;  /* description and options */
};

static const struct verb verbs[] = {
	{ "create", berth_cmd_create, "[options] <container-id>",
	  "Create a container from a bundle; it waits for `start` before running the program.\n"
	  "  -b, --bundle DIR          bundle directory (default: current directory)\n"
	  "  --console-socket PATH     unix socket that receives the pty master (process.terminal)\n"
	  "  --pid-file FILE           write the container's init pid to FILE\n"
	  "  --no-pivot                use MS_MOVE+chroot instead of pivot_root (ramfs roots)\n"
	  "  --no-new-keyring          keep the caller's session keyring\n"
	  "  --preserve-fds N          pass N more file descriptors (3..3+N-1) to the container\n" },
	{ "start", berth_cmd_start, "<container-id>",
	  "Start the program of a created container.\n" },
	{ "run", berth_cmd_run, "[options] <container-id>",
	  "Create and start a container, wait for it and exit with its status\n"
	  "(128+N when killed by signal N).\n"
	  "  -b, --bundle DIR          bundle directory (default: current directory)\n"
	  "  --console-socket PATH     unix socket that receives the pty master\n"
	  "  -d, --detach              return once the container runs\n"
	  "  --pid-file FILE           write the container's init pid to FILE\n"
	  "  --no-pivot                use MS_MOVE+chroot instead of pivot_root\n"
	  "  --no-new-keyring          keep the caller's session keyring\n"
	  "  --preserve-fds N          pass N more file descriptors to the container\n"
	  "  --keep                    keep the state after the container exits\n" },
	{ "state", berth_cmd_state, "<container-id>", "Print the OCI state of a container as JSON.\n" },
	{ "kill", berth_cmd_kill, "[options] <container-id> [signal]",
	  "Send a signal (name like KILL or SIGKILL, or number; default TERM) to the container.\n"
	  "  -a, --all                 signal every process of the container\n" },
	{ "delete", berth_cmd_delete, "[options] <container-id>...",
	  "Delete containers: their state, cgroup and remaining processes.\n"
	  "  -f, --force               kill a running container first\n" },
	{ "exec", berth_cmd_exec, "[options] <container-id> [command [args...]]",
	  "Run a process inside a running container.\n"
	  "  -p, --process FILE        the process as runtime-spec JSON instead of arguments\n"
	  "  -t, --tty                 allocate a pty (needs --console-socket)\n"
	  "  --console-socket PATH     unix socket that receives the pty master\n"
	  "  -e, --env NAME=VALUE      add an environment variable (repeatable)\n"
	  "  --cwd DIR                 working directory inside the container\n"
	  "  -u, --user UID[:GID]      user and group to run as\n"
	  "  --additional-gids GID     additional group (repeatable)\n"
	  "  -c, --cap CAP             add a capability (repeatable)\n"
	  "  -d, --detach              do not wait for the process\n"
	  "  --pid-file FILE           write the process pid to FILE\n"
	  "  --no-new-privs            set no_new_privs for the process\n"
	  "  --preserve-fds N          pass N more file descriptors to the process\n" },
	{ "ps", berth_cmd_ps, "[options] <container-id>",
	  "List the processes of a container.\n"
	  "  -f, --format table|json   output format (default table)\n" },
	{ "list", berth_cmd_list, "[options]",
	  "List containers.\n"
	  "  -f, --format table|json   output format (default table)\n"
	  "  -q, --quiet               print only the IDs\n" },
	{ "pause", berth_cmd_pause, "<container-id>", "Freeze every process of a container.\n" },
	{ "resume", berth_cmd_resume, "<container-id>", "Thaw a paused container.\n" },
	{ "update", berth_cmd_update, "[options] <container-id>",
	  "Change the resource limits of a container.\n"
	  "  -r, --resources FILE      linux.resources JSON ('-' for stdin)\n"
	  "  --memory, --memory-swap, --memory-reservation, --kernel-memory BYTES\n"
	  "  --cpu-shares, --cpu-quota, --cpu-period, --cpu-rt-period, --cpu-rt-runtime N\n"
	  "  --cpuset-cpus, --cpuset-mems LIST\n"
	  "  --pids-limit N, --blkio-weight N\n" },
	{ "events", berth_cmd_events, "[options] <container-id>",
	  "Print container events (OOM, stats) as JSON lines.\n"
	  "  --stats                   print the statistics once and exit\n"
	  "  --interval DURATION       statistics interval (default 5s)\n" },
	{ "spec", berth_cmd_spec, "[options]",
	  "Write a default config.json to the bundle directory.\n"
	  "  -b, --bundle DIR          where to write config.json (default: current directory)\n"
	  "  --rootless                a config for a rootless container\n" },
	{ "features", berth_cmd_features, "",
	  "Print the features of berth (runtime-spec features.md JSON).\n" },
	{ "checkpoint", berth_cmd_checkpoint, "[options] <container-id>",
	  "Checkpoint a running container.\n" },
	{ "restore", berth_cmd_restore, "[options] <container-id>",
	  "Restore a checkpointed container.\n" },
};

static void usage(FILE *f)
{
	fputs("usage: berth [global options] COMMAND [options] [args]\n\n"
	      "berth is an OCI container runtime with the runc command line.\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n", verbs[i].name);
	fputs("\nGlobal options:\n"
	      "  --root DIR                state directory (default /run/berth)\n"
	      "  --log FILE                also write errors to FILE\n"
	      "  --log-format text|json    format of --log (default text)\n"
	      "  --debug                   also write debug lines (the steps taken) to --log\n"
	      "  --systemd-cgroup          refused: berth manages cgroups itself (no systemd)\n"
	      "  --criu PATH               accepted for compatibility, unused\n"
	      "  --rootless true|false|auto  accepted for compatibility\n"
	      "  -v, --version             print the version\n"
	      "  -h, --help                this help; `berth COMMAND --help` for a command\n",
	      f);
}

static void verb_usage(const struct verb *v)
{
	printf("usage: berth %s %s\n\n%s", v->name, v->usage, v->help);
}

static int fail(const struct berth_global *g, const char *msg)
{
	fprintf(stderr, "berth: %s\n", msg);
	berth_log_setup(g->log, g->log_format && strcmp(g->log_format, "json") == 0, g->debug);
	berth_log_line(BERTH_LOG_ERROR, msg);
	return 1;
}

/* "--name" or "--name=value": returns the value (from argv[i+1] or after '='), or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *matched)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	*matched = false;
	if (a[0] == '-' && a[1] == '-' && a[2] == '-')
		return NULL;
	while (*a == '-')
		a++;
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=') {
		*matched = true;
		return a + n + 1;
	}
	if (a[n] != '\0')
		return NULL;
	*matched = true;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int main(int argc, char **argv)
{
	struct berth_global g = { .root = "/run/berth", .log_format = "text" };
	berth_error_t err = NULL;
	const struct verb *v = NULL;
	char msg[512];
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		static const char *const with_value[] = { "root", "log", "log-format", "criu" };
		const char *a = argv[i];
		const char *val = NULL;
		bool matched = false;
		size_t k;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
			printf("berth version %s\nspec: %s\n", BERTH_VERSION, BERTH_SPEC_VERSION);
			return 0;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--debug") == 0) {
			g.debug = true;
			continue;
		}
		if (strcmp(a, "--systemd-cgroup") == 0) {
			g.systemd_cgroup = true;
			continue;
		}
		for (k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
			val = opt_value(argc, argv, &i, with_value[k], &matched);
			if (matched)
				break;
		}
		if (matched && val == NULL) {
			snprintf(msg, sizeof(msg), "option `%s` needs a value", a);
			return fail(&g, msg);
		}
		if (matched) {
			switch (k) {
			case 0: g.root = val; break;
			case 1: g.log = val; break;
			case 2: g.log_format = val; break;
			default: g.criu = val; break;
			}
			continue;
		}
		if (strncmp(a, "--rootless", 10) == 0 && (a[10] == '\0' || a[10] == '=')) {
			g.rootless_set = true;
			g.rootless = a[10] == '=' ? a + 11 : "true";
			if (a[10] == '\0' && i + 1 < argc &&
			    (strcmp(argv[i + 1], "true") == 0 || strcmp(argv[i + 1], "false") == 0 ||
			     strcmp(argv[i + 1], "auto") == 0))
				g.rootless = argv[++i];
			continue;
		}
		snprintf(msg, sizeof(msg), "unknown global option `%s` (see berth --help)", a);
		return fail(&g, msg);
	}
	if (strcmp(g.log_format, "text") != 0 && strcmp(g.log_format, "json") != 0) {
		snprintf(msg, sizeof(msg), "--log-format `%s`: expected text or json", g.log_format);
		g.log_format = "text";
		return fail(&g, msg);
	}
	if (g.root[0] == '\0') {
		return fail(&g, "--root: empty path");
	}
	if (i >= argc) {
		usage(stderr);
		return fail(&g, "no command given");
	}
	for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
		if (strcmp(verbs[k].name, argv[i]) == 0)
			v = &verbs[k];
	}
	if (v == NULL) {
		snprintf(msg, sizeof(msg), "unknown command `%s` (see berth --help)", argv[i]);
		return fail(&g, msg);
	}
	for (int k = i + 1; k < argc; k++) {
		if (strcmp(argv[k], "--") == 0)
			break;
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			/* exec's command arguments may carry their own -h */
			if (strcmp(v->name, "exec") == 0 && k > i + 1 && argv[k - 1][0] != '-')
				break;
			verb_usage(v);
			return 0;
		}
	}
	if (g.systemd_cgroup) {
		snprintf(msg, sizeof(msg), "%s: --systemd-cgroup: %s", v->name,
			 access("/run/systemd/system", F_OK) == 0
				 ? "not supported: berth manages cgroups itself"
				 : "systemd is not running on this host");
		return fail(&g, msg);
	}
	if (v->fn == NULL) {
		snprintf(msg, sizeof(msg), "%s: command not available in this build", v->name);
		return fail(&g, msg);
	}
	berth_log_setup(g.log, strcmp(g.log_format, "json") == 0, g.debug);
	berth_log_debug("berth %s: %s (root %s)", BERTH_VERSION, v->name, g.root);
	ret = v->fn(&g, argc - i, argv + i, &err);
	if (err != NULL) {
		fail(&g, err->msg);
		berth_error_release(&err);
		return ret > 0 ? ret : 1;
	}
	return ret < 0 ? 1 : ret;
}
