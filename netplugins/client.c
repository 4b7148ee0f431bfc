/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CNI client: configuration loading, plugin execution, result cache. */
#include "cni.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin.h"
#include "util.h"

struct cni_network {
	char *name;
	char *version;
	json_t *list; /* {"cniVersion", "name", "plugins": [...]} */
};

void cni_network_free(struct cni_network *net)
{
	if (!net)
		return;
	free(net->name);
	free(net->version);
	if (net->list)
		json_decref(net->list);
	free(net);
}

const char *cni_network_name(const struct cni_network *net)
{
	return net->name;
}

const char *cni_network_version(const struct cni_network *net)
{
	return net->version;
}

size_t cni_network_n_plugins(const struct cni_network *net)
{
	return json_array_size(json_object_get(net->list, "plugins"));
}

const char *cni_network_plugin_type(const struct cni_network *net, size_t i)
{
	json_t *p = json_array_get(json_object_get(net->list, "plugins"), i);

	return json_string_value(json_object_get(p, "type"));
}

static int network_from_json(json_t *j, const char *origin, struct cni_network **out,
			     berth_error_t *err)
{
	cleanup_json json_t *list = NULL;
	json_t *name, *ver, *plugins, *p;
	struct cni_network *net;
	size_t i;

	if (!json_is_object(j))
		return cni_error(err, CNI_ERR_DECODE, 0, "%s: not a JSON object", origin);
	name = json_object_get(j, "name");
	ver = json_object_get(j, "cniVersion");
	if (!json_is_string(name) || !json_string_length(name))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "%s: \"name\" missing", origin);
	if (!json_is_string(ver))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0, "%s: \"cniVersion\" missing",
				 origin);
	if (!cni_version_supported(json_string_value(ver)))
		return cni_error(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				 "%s: unsupported cniVersion `%s`", origin, json_string_value(ver));
	plugins = json_object_get(j, "plugins");
	if (plugins) {
		list = json_deep_copy(j);
	} else {
		/* A single-plugin .conf: the list holds it alone. */
		if (!json_is_string(json_object_get(j, "type")))
			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "%s: neither \"plugins\" nor \"type\"", origin);
		list = json_pack("{sOsO s[O]}", "cniVersion", ver, "name", name, "plugins", j);
	}
	plugins = json_object_get(list, "plugins");
	if (!json_is_array(plugins) || !json_array_size(plugins))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "%s: \"plugins\" must be a non-empty array", origin);
	json_array_foreach(plugins, i, p) {
		const char *t = json_string_value(json_object_get(p, "type"));

		if (!t || !*t || strchr(t, '/'))
			return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
					 "%s: plugins[%zu]: \"type\" missing or not a file name",
					 origin, i);
	}
	net = calloc(1, sizeof(*net));
	if (!net)
		return berth_error_errno(err, ENOMEM, "allocate network");
	net->name = strdup(json_string_value(name));
	net->version = strdup(json_string_value(ver));
	net->list = steal_pointer(&list);
	*out = net;
	return 0;
}

int cni_network_parse(const char *text, const char *origin, struct cni_network **out,
		      berth_error_t *err)
{
	json_error_t jerr;
	cleanup_json json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		return cni_error(err, CNI_ERR_DECODE, 0, "%s:%d:%d: %s", origin, jerr.line,
				 jerr.column, jerr.text);
	return network_from_json(j, origin, out, err);
}

char *cni_default_conflist(const char *name, const char *bridge, const char *subnet,
			   const char *ipam_data_dir)
{
	cleanup_json json_t *j = NULL;
	json_t *ipam;

	ipam = json_pack("{ss s[[{ss}]]}", "type", "berth-ipam", "ranges", "subnet",
			 subnet ? subnet : CNI_DEFAULT_SUBNET);
	if (ipam_data_dir)
		json_object_set_new(ipam, "dataDir", json_string(ipam_data_dir));
	j = json_pack("{ss ss s[{ss ss sb sb sb sb so} {ss s{sb}}]}", "cniVersion", CNI_VERSION,
		      "name", name ? name : CNI_DEFAULT_NETWORK, "plugins", "type", "berth-bridge",
		      "bridge", bridge ? bridge : CNI_DEFAULT_BRIDGE, "isGateway", 1,
		      "isDefaultGateway", 1, "ipMasq", 1, "hairpinMode", 1, "ipam", ipam, "type",
		      "portmap", "capabilities", "portMappings", 1);
	return j ? json_dumps(j, JSON_INDENT(2)) : NULL;
}

static bool conf_file(const char *n)
{
	size_t l = strlen(n);

	return (l > 9 && !strcmp(n + l - 9, ".conflist")) || (l > 5 && !strcmp(n + l - 5, ".conf")) ||
	       (l > 5 && !strcmp(n + l - 5, ".json"));
}

static void plugin_path(const struct cni_opts *opts, char *buf, size_t size);
static int find_plugin(const char *path, const char *type, char *out, size_t size,
		       berth_error_t *err);

/* The built-in network; portmap only when installed (-p then fails clearly without it). */
static int default_network(const struct cni_opts *opts, struct cni_network **out,
			   berth_error_t *err)
{
	cleanup_free char *text = cni_default_conflist(NULL, NULL, NULL, NULL);
	char path[4096], exe[PATH_MAX];
	int ret;

	if (!text)
		return berth_error_errno(err, ENOMEM, "build the default network");
	ret = cni_network_parse(text, "berth's default network", out, err);
	plugin_path(opts, path, sizeof(path));
	if (ret == 0 && find_plugin(path, "portmap", exe, sizeof(exe), NULL) < 0)
		json_array_remove(json_object_get((*out)->list, "plugins"), 1);
	return ret;
}

int cni_network_load(const struct cni_opts *opts, const char *name, struct cni_network **out,
		     berth_error_t *err)
{
	const char *dir = opts && opts->conf_dir ? opts->conf_dir : CNI_DEFAULT_CONF_DIR;
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), ret = 1;

	if (n < 0 && errno != ENOENT)
		return berth_error_errno(err, errno, "read CNI configuration dir `%s`", dir);
	for (int i = 0; i < n; i++) {
		if (ret == 1 && conf_file(ents[i]->d_name)) {
			char path[PATH_MAX];
			cleanup_json json_t *j = NULL;
			struct cni_network *net = NULL;

			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (berth_json_load_file(path, &j, err) < 0) {
				ret = cni_error_code(err, CNI_ERR_DECODE);
			} else {
				json_t *nm = json_object_get(j, "name");

				if (!name || (json_is_string(nm) && !strcmp(json_string_value(nm), name))) {
					ret = network_from_json(j, path, &net, err);
					if (ret == 0)
						*out = net;
				}
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (ret <= 0)
		return ret;
	if (!name || !strcmp(name, CNI_DEFAULT_NETWORK))
		return default_network(opts, out, err);
	return berth_error(err, ENOENT, "network `%s` not found in `%s`", name, dir);
}

/* The plugin search path: opts, else the executable's dir then the defaults. */
static void plugin_path(const struct cni_opts *opts, char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (opts && opts->plugin_path) {
		snprintf(buf, size, "%s", opts->plugin_path);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(buf, size, "%s:%s", dirname(exe), CNI_DEFAULT_PLUGIN_DIRS);
	} else {
		snprintf(buf, size, "%s", CNI_DEFAULT_PLUGIN_DIRS);
	}
}

static int find_plugin(const char *path, const char *type, char *out, size_t size,
		       berth_error_t *err)
{
	char buf[4096], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", d, type);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return berth_error(err, ENOENT, "plugin `%s` not found in CNI_PATH `%s`", type, path);
}

static char **build_env(const char *command, const struct cni_attachment *att, const char *path)
{
	extern char **environ;
	size_t n = 0, i = 0;
	char **env;

	for (char **e = environ; *e; e++)
		n++;
	env = calloc(n + 8, sizeof(char *));
	if (!env)
		return NULL;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "CNI_", 4) != 0)
			env[i++] = strdup(*e);
	if (asprintf(&env[i++], "CNI_COMMAND=%s", command) < 0 ||
	    asprintf(&env[i++], "CNI_PATH=%s", path) < 0)
		goto fail;
	if (att) {
		if (asprintf(&env[i++], "CNI_CONTAINERID=%s", att->container_id) < 0 ||
		    asprintf(&env[i++], "CNI_NETNS=%s", att->netns ? att->netns : "") < 0 ||
		    asprintf(&env[i++], "CNI_IFNAME=%s", att->ifname ? att->ifname : "eth0") < 0 ||
		    asprintf(&env[i++], "CNI_ARGS=%s", att->args ? att->args : "") < 0)
			goto fail;
	}
	return env;
fail:
	env[i - 1] = NULL;
	cleanup_strvp(&env);
	return NULL;
}

/* Read a pipe to EOF into a NUL-terminated buffer. */
static char *read_to_eof(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf[len] = '\0';
			return buf;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

/* A plugin's error object -> *err; "<type> <CMD>: msg: details". */
static int plugin_error(json_t *j, const char *type, const char *command, int status,
			const char *out, berth_error_t *err)
{
	json_t *code = json_object_get(j, "code");
	const char *msg = json_string_value(json_object_get(j, "msg"));
	const char *details = json_string_value(json_object_get(j, "details"));

	if (json_is_integer(code) && msg) {
		berth_error(err, 0, "%s %s: %s%s%s", type, command, msg,
			    details && *details ? ": " : "", details ? details : "");
		(*err)->code = (int)json_integer_value(code);
		return -1;
	}
	berth_error(err, 0, "%s %s: failed (exit status %d) without a CNI error: %.200s", type,
		    command, status, out && *out ? out : "no output");
	(*err)->code = CNI_ERR_INTERNAL;
	return -1;
}

int cni_exec_plugin(const struct cni_opts *opts, const char *type, const char *command,
		    const struct cni_attachment *att, json_t *stdin_json, json_t **out,
		    berth_error_t *err)
{
	char path[4096], exe[PATH_MAX];
	cleanup_strv char **env = NULL;
	cleanup_free char *input = NULL, *output = NULL;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status;
	json_t *res = NULL;
	pid_t pid;

	*out = NULL;
	plugin_path(opts, path, sizeof(path));
	if (find_plugin(path, type, exe, sizeof(exe), err) < 0)
		return -1;
	env = build_env(command, att, path);
	input = stdin_json ? json_dumps(stdin_json, JSON_COMPACT) : strdup("{}");
	if (!env || !input)
		return berth_error_errno(err, ENOMEM, "prepare plugin `%s`", type);
	/* A socket for stdin: send(MSG_NOSIGNAL) cannot SIGPIPE us if the plugin exits early. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(outp, O_CLOEXEC) < 0) {
		int e = errno;

		for (int i = 0; i < 2; i++) {
			if (in[i] >= 0)
				close(in[i]);
			if (outp[i] >= 0)
				close(outp[i]);
		}
		return berth_error_errno(err, e, "pipes for plugin `%s`", type);
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		return berth_error_errno(err, e, "fork for plugin `%s`", type);
	}
	if (pid == 0) {
		char *argv[] = { exe, NULL };

		if (dup2(in[1], STDIN_FILENO) < 0 || dup2(outp[1], STDOUT_FILENO) < 0)
			_exit(127);
		execve(exe, argv, env);
		_exit(127);
	}
	close(in[1]);
	close(outp[1]);
	{
		size_t len = strlen(input), off = 0;

		while (off < len) {
			ssize_t n = send(in[0], input + off, len - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		close(in[0]);
	}
	output = read_to_eof(outp[0]);
	close(outp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (output && *output) {
		json_error_t jerr;

		res = json_loads(output, 0, &jerr);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int ret = plugin_error(res, type, command,
				       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				       output, err);

		if (res)
			json_decref(res);
		return ret;
	}
	if (output && *output && !res) {
		berth_error(err, 0, "%s %s: output is not JSON: %.200s", type, command, output);
		(*err)->code = CNI_ERR_INTERNAL;
		return -1;
	}
	*out = res;
	return 0;
}

/* The attachment's runtimeConfig, every capability (cached with the result for DEL). */
static json_t *runtime_config_all(const struct cni_attachment *att)
{
	json_t *rc = json_object();

	if (att->n_port_mappings) {
		json_t *a = json_array();

		for (size_t i = 0; i < att->n_port_mappings; i++) {
			const struct cni_port_mapping *m = &att->port_mappings[i];
			json_t *o = json_pack("{sisiss}", "hostPort", m->host_port, "containerPort",
					      m->container_port, "protocol",
					      m->protocol[0] ? m->protocol : "tcp");

			if (m->host_ip[0])
				json_object_set_new(o, "hostIP", json_string(m->host_ip));
			json_array_append_new(a, o);
		}
		json_object_set_new(rc, "portMappings", a);
	}
	if (att->bandwidth) {
		const struct cni_bandwidth *b = att->bandwidth;

		json_object_set_new(rc, "bandwidth",
				    json_pack("{sIsIsIsI}", "ingressRate", (json_int_t)b->ingress_rate,
					      "ingressBurst", (json_int_t)b->ingress_burst,
					      "egressRate", (json_int_t)b->egress_rate,
					      "egressBurst", (json_int_t)b->egress_burst));
	}
	return rc;
}

/* runtimeConfig for a plugin: only the capabilities it declares (as libcni does). */
static json_t *runtime_config(json_t *plugin, json_t *all)
{
	json_t *caps = json_object_get(plugin, "capabilities"), *rc = json_object(), *v;
	const char *k;

	json_object_foreach(all, k, v) {
		if (json_is_true(json_object_get(caps, k)))
			json_object_set(rc, k, v);
	}
	return rc;
}

/* The stdin of plugin i: its conf plus name, cniVersion, runtimeConfig and prevResult. */
static json_t *plugin_conf(const struct cni_network *net, json_t *list, size_t i, json_t *rcall,
			   json_t *prev)
{
	json_t *p = json_deep_copy(json_array_get(json_object_get(list, "plugins"), i));
	json_t *rc = rcall ? runtime_config(p, rcall) : json_object();

	json_object_set_new(p, "name", json_string(net->name));
	json_object_set(p, "cniVersion", json_object_get(list, "cniVersion"));
	if (json_object_size(rc))
		json_object_set_new(p, "runtimeConfig", rc);
	else
		json_decref(rc);
	if (prev)
		json_object_set(p, "prevResult", prev);
	return p;
}

static void cache_path(const struct cni_opts *opts, const char *network, const char *id,
		       const char *ifname, char *buf, size_t size)
{
	snprintf(buf, size, "%s/results/%s-%s-%s",
		 opts && opts->cache_dir ? opts->cache_dir : CNI_DEFAULT_CACHE_DIR, network, id,
		 ifname ? ifname : "eth0");
}

static int cache_load(const struct cni_opts *opts, const char *network,
		      const struct cni_attachment *att, json_t **out, berth_error_t *err)
{
	char path[PATH_MAX];

	cache_path(opts, network, att->container_id, att->ifname, path, sizeof(path));
	if (access(path, F_OK) < 0)
		return berth_error_errno(err, errno, "cached result `%s`", path);
	return berth_json_load_file(path, out, err);
}

static int cache_store(const struct cni_opts *opts, const struct cni_network *net,
		       const struct cni_attachment *att, json_t *rcall, json_t *result,
		       berth_error_t *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	cleanup_json json_t *j = NULL;

	cache_path(opts, net->name, att->container_id, att->ifname, path, sizeof(path));
	j = json_pack("{ss ss ss ss ss sO sO sO}", "kind", "cniCacheV1", "containerId",
		      att->container_id, "ifName", att->ifname ? att->ifname : "eth0",
		      "networkName", net->name, "netns", att->netns ? att->netns : "", "config",
		      net->list, "capabilityArgs", rcall, "result", result ? result : json_null());
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (!text)
		return berth_error_errno(err, ENOMEM, "encode cached result");
	{
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", path);
		if (berth_mkdir_p(dirname(dir), 0700, err) < 0)
			return -1;
	}
	return berth_write_file_atomic(path, text, strlen(text), 0600, false, err);
}

static void cache_drop(const struct cni_opts *opts, const char *network,
		       const struct cni_attachment *att)
{
	char path[PATH_MAX];

	cache_path(opts, network, att->container_id, att->ifname, path, sizeof(path));
	unlink(path);
}

/* DEL plugins upto-1 .. 0; keep_going: try every plugin, report the first failure. */
static int run_del(const struct cni_opts *opts, const struct cni_network *net, json_t *list,
		   const struct cni_attachment *att, json_t *rcall, json_t *prev, size_t upto,
		   bool keep_going, berth_error_t *err)
{
	int ret = 0;

	for (size_t i = upto; i-- > 0;) {
		cleanup_json json_t *conf = plugin_conf(net, list, i, rcall, prev);
		json_t *out = NULL;
		const char *type = json_string_value(json_object_get(conf, "type"));

		if (cni_exec_plugin(opts, type, "DEL", att, conf, &out, ret < 0 ? NULL : err) < 0) {
			if (ret == 0)
				ret = berth_error_wrap(err, "network `%s`", net->name);
			if (!keep_going)
				return ret;
		}
		if (out)
			json_decref(out);
	}
	return ret;
}

int cni_add(const struct cni_opts *opts, const struct cni_network *net,
	    const struct cni_attachment *att, struct cni_result **out, berth_error_t *err)
{
	size_t n = cni_network_n_plugins(net), i;
	cleanup_json json_t *prev = NULL, *rcall = runtime_config_all(att);

	if (!att->container_id || !att->netns)
		return berth_error(err, EINVAL, "network `%s`: container id and netns are required",
				   net->name);
	/* Asked-for capabilities no plugin handles would be dropped silently: refuse instead. */
	{
		const char *k;
		json_t *v;

		json_object_foreach(rcall, k, v) {
			json_t *p;
			bool handled = false;

			json_array_foreach(json_object_get(net->list, "plugins"), i, p)
				handled |= json_is_true(
					json_object_get(json_object_get(p, "capabilities"), k));
			if (!handled)
				return berth_error(err, EINVAL,
						   "network `%s`: no plugin handles `%s` (for port "
						   "mappings: the portmap plugin, Debian's "
						   "containernetworking-plugins)",
						   net->name, k);
		}
	}
	for (i = 0; i < n; i++) {
		cleanup_json json_t *conf = plugin_conf(net, net->list, i, rcall, prev);
		const char *type = json_string_value(json_object_get(conf, "type"));
		json_t *res = NULL;

		if (cni_exec_plugin(opts, type, "ADD", att, conf, &res, err) < 0)
			break;
		if (!res) {
			berth_error(err, 0, "%s ADD: printed no result", type);
			(*err)->code = CNI_ERR_INTERNAL;
			break;
		}
		if (prev)
			json_decref(prev);
		prev = res;
	}
	if (i == n && cache_store(opts, net, att, rcall, prev, err) < 0)
		i = n - 1;
	if (i < n) {
		berth_error_t derr = NULL;

		/* Undo the plugins that ran (and the one that failed: it may have done part). */
		run_del(opts, net, net->list, att, rcall, prev, i + 1, true, &derr);
		berth_error_release(&derr);
		return berth_error_wrap(err, "network `%s`", net->name);
	}
	if (out && cni_result_parse(prev, out, err) < 0)
		return berth_error_wrap(err, "network `%s`", net->name);
	return 0;
}

/* DEL every cached attachment (id, ifname), with the configuration cached at ADD. */
static int del_from_cache(const struct cni_opts *opts, const struct cni_attachment *att,
			  berth_error_t *err)
{
	char dir[PATH_MAX];
	const char *ifname = att->ifname ? att->ifname : "eth0";
	struct dirent **ents = NULL;
	int n, ret = 0;

	snprintf(dir, sizeof(dir), "%s/results",
		 opts && opts->cache_dir ? opts->cache_dir : CNI_DEFAULT_CACHE_DIR);
	n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 256];
		cleanup_json json_t *j = NULL;
		struct cni_network *net = NULL;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (ret == 0 && ents[i]->d_name[0] != '.' && berth_json_load_file(path, &j, NULL) == 0 &&
		    !strcmp(json_string_value(json_object_get(j, "containerId")) ?: "",
			    att->container_id) &&
		    !strcmp(json_string_value(json_object_get(j, "ifName")) ?: "", ifname) &&
		    network_from_json(json_object_get(j, "config"), path, &net, err) == 0) {
			ret = cni_del(opts, net, att, err);
			cni_network_free(net);
		}
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int cni_del(const struct cni_opts *opts, const struct cni_network *net,
	    const struct cni_attachment *att, berth_error_t *err)
{
	cleanup_json json_t *cached = NULL;
	cleanup_json json_t *mine = runtime_config_all(att);
	json_t *prev = NULL, *rcall = mine;
	int ret;

	if (!att->container_id)
		return berth_error(err, EINVAL, "DEL: a container id is required");
	if (!net)
		return del_from_cache(opts, att, err);
	if (cache_load(opts, net->name, att, &cached, NULL) == 0) {
		prev = json_object_get(cached, "result");
		if (json_is_null(prev))
			prev = NULL;
		/* The runtimeConfig of ADD (port mappings to remove) unless the caller gives one. */
		if (!json_object_size(mine) && json_is_object(json_object_get(cached, "capabilityArgs")))
			rcall = json_object_get(cached, "capabilityArgs");
	}
	ret = run_del(opts, net, net->list, att, rcall, prev, cni_network_n_plugins(net), false,
		      err);
	if (ret == 0)
		cache_drop(opts, net->name, att);
	return ret;
}

int cni_check(const struct cni_opts *opts, const struct cni_network *net,
	      const struct cni_attachment *att, berth_error_t *err)
{
	cleanup_json json_t *cached = NULL;
	json_t *prev;

	if (cache_load(opts, net->name, att, &cached, err) < 0)
		return berth_error_wrap(err, "network `%s`: CHECK", net->name);
	prev = json_object_get(cached, "result");
	for (size_t i = 0; i < cni_network_n_plugins(net); i++) {
		cleanup_json json_t *conf = plugin_conf(net, net->list, i,
							json_object_get(cached, "capabilityArgs"), prev);
		const char *type = json_string_value(json_object_get(conf, "type"));
		json_t *out = NULL;

		if (cni_exec_plugin(opts, type, "CHECK", att, conf, &out, err) < 0)
			return berth_error_wrap(err, "network `%s`", net->name);
		if (out)
			json_decref(out);
	}
	return 0;
}

int cni_status(const struct cni_opts *opts, const struct cni_network *net, berth_error_t *err)
{
	for (size_t i = 0; i < cni_network_n_plugins(net); i++) {
		cleanup_json json_t *conf = plugin_conf(net, net->list, i, NULL, NULL);
		cleanup_json json_t *ver = NULL;
		const char *type = json_string_value(json_object_get(conf, "type"));
		json_t *sv, *v, *out = NULL;
		bool has11 = false;
		size_t k;

		if (cni_exec_plugin(opts, type, "VERSION", NULL, conf, &ver, err) < 0)
			return berth_error_wrap(err, "network `%s`", net->name);
		sv = json_object_get(ver, "supportedVersions");
		json_array_foreach(sv, k, v) has11 |= !strcmp(json_string_value(v) ?: "", "1.1.0");
		if (!has11)
			continue; /* STATUS is CNI 1.1: older plugins are ready when they run */
		json_object_set_new(conf, "cniVersion", json_string("1.1.0"));
		if (cni_exec_plugin(opts, type, "STATUS", NULL, conf, &out, err) < 0)
			return berth_error_wrap(err, "network `%s`", net->name);
		if (out)
			json_decref(out);
	}
	return 0;
}

int cni_cached_result(const struct cni_opts *opts, const char *network, const char *container_id,
		      const char *ifname, struct cni_result **out, berth_error_t *err)
{
	struct cni_attachment att = { .container_id = container_id, .ifname = ifname };
	cleanup_json json_t *cached = NULL;

	if (cache_load(opts, network, &att, &cached, err) < 0)
		return -1;
	return cni_result_parse(json_object_get(cached, "result"), out, err);
}
