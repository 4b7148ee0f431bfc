/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "plugin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

static const char *const supported_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0",
						  NULL };

int cni_error(berth_error_t *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = berth_error_verrno(err, errnum, fmt, ap);
	va_end(ap);
	/* verrno appends strerror; without an errno the message stands alone. */
	if (err && *err)
		(*err)->code = code;
	return ret;
}

int cni_error_code(berth_error_t *err, int code)
{
	if (err && *err && !(*err)->code)
		(*err)->code = code;
	return berth_error_ret(err);
}

bool cni_version_supported(const char *v)
{
	for (const char *const *p = supported_versions; *p; p++)
		if (strcmp(*p, v) == 0)
			return true;
	return false;
}

static const char *getenv_from(char **envp, const char *key)
{
	size_t n = strlen(key);

	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static bool valid_container_id(const char *id)
{
	if (!*id)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '.' || *c == '-'))
			return false;
	return true;
}

static bool valid_ifname(const char *n)
{
	size_t len = strlen(n);

	if (!len || len > 15 || !strcmp(n, ".") || !strcmp(n, ".."))
		return false;
	for (const char *c = n; *c; c++)
		if (*c == '/' || *c == ':' || *c <= ' ')
			return false;
	return true;
}

int cni_env_parse(char **envp, struct cni_env *out, berth_error_t *err)
{
	static const struct {
		const char *name;
		enum cni_command cmd;
	} cmds[] = { { "ADD", CNI_CMD_ADD },       { "DEL", CNI_CMD_DEL },
		     { "CHECK", CNI_CMD_CHECK },   { "STATUS", CNI_CMD_STATUS },
		     { "VERSION", CNI_CMD_VERSION } };
	const char *cmd = getenv_from(envp, "CNI_COMMAND");
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!cmd || !*cmd)
		return cni_error(err, CNI_ERR_INVALID_ENV, 0, "CNI_COMMAND is not set");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return cni_error(err, CNI_ERR_INVALID_ENV, 0,
				 "CNI_COMMAND `%s` is not ADD, DEL, CHECK, STATUS or VERSION", cmd);
	out->command = cmds[i].cmd;
	out->command_name = cmds[i].name;
	out->container_id = getenv_from(envp, "CNI_CONTAINERID");
	out->netns = getenv_from(envp, "CNI_NETNS");
	out->ifname = getenv_from(envp, "CNI_IFNAME");
	out->args = getenv_from(envp, "CNI_ARGS");
	out->path = getenv_from(envp, "CNI_PATH");
	if (out->netns && !*out->netns)
		out->netns = NULL;
	if (out->command == CNI_CMD_VERSION || out->command == CNI_CMD_STATUS)
		return 0;
	if (!out->container_id || !*out->container_id)
		return cni_error(err, CNI_ERR_INVALID_ENV, 0, "CNI_CONTAINERID is not set");
	if (!valid_container_id(out->container_id))
		return cni_error(err, CNI_ERR_INVALID_ENV, 0,
				 "CNI_CONTAINERID `%s` has characters other than [A-Za-z0-9_.-]",
				 out->container_id);
	if (!out->ifname || !*out->ifname)
		return cni_error(err, CNI_ERR_INVALID_ENV, 0, "CNI_IFNAME is not set");
	if (!valid_ifname(out->ifname))
		return cni_error(err, CNI_ERR_INVALID_ENV, 0,
				 "CNI_IFNAME `%s` is not a valid interface name", out->ifname);
	if (out->command != CNI_CMD_DEL && !out->netns)
		return cni_error(err, CNI_ERR_INVALID_ENV, 0, "CNI_NETNS is not set");
	if (!out->path || !*out->path)
		return cni_error(err, CNI_ERR_INVALID_ENV, 0, "CNI_PATH is not set");
	return 0;
}

void cni_netconf_release(struct cni_netconf *conf)
{
	cni_result_free(conf->prev);
	conf->prev = NULL;
}

int cni_netconf_parse(const char *text, json_t **root, struct cni_netconf *conf,
		      berth_error_t *err)
{
	json_error_t jerr;
	json_t *j, *v;

	memset(conf, 0, sizeof(*conf));
	*root = NULL;
	j = json_loads(text, 0, &jerr);
	if (!j)
		return cni_error(err, CNI_ERR_DECODE, 0, "network configuration on stdin: %d:%d: %s",
				 jerr.line, jerr.column, jerr.text);
	*root = j;
	if (!json_is_object(j))
		return cni_error(err, CNI_ERR_DECODE, 0,
				 "network configuration on stdin is not a JSON object");
	conf->raw = j;
	v = json_object_get(j, "cniVersion");
	if (!json_is_string(v))
		return cni_error(err, CNI_ERR_DECODE, 0,
				 "network configuration: \"cniVersion\" missing or not a string");
	conf->cni_version = json_string_value(v);
	if (!cni_version_supported(conf->cni_version))
		return cni_error(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				 "incompatible CNI version `%s` (supported: 0.3.0, 0.3.1, 0.4.0, "
				 "1.0.0, 1.1.0)",
				 conf->cni_version);
	v = json_object_get(j, "name");
	if (!json_is_string(v) || !json_string_length(v))
		return cni_error(err, CNI_ERR_INVALID_NETCONF, 0,
				 "network configuration: \"name\" missing or not a string");
	conf->name = json_string_value(v);
	v = json_object_get(j, "type");
	conf->type = json_is_string(v) ? json_string_value(v) : "";
	v = json_object_get(j, "runtimeConfig");
	conf->runtime_config = json_is_object(v) ? v : NULL;
	v = json_object_get(j, "prevResult");
	if (v && !json_is_null(v) && cni_result_parse(v, &conf->prev, err) < 0)
		return cni_error_code(err, CNI_ERR_DECODE);
	return 0;
}

json_t *cni_error_json(const char *cni_version, berth_error_t *err)
{
	int code = *err && (*err)->code ? (*err)->code : CNI_ERR_INTERNAL;
	const char *msg = *err && (*err)->msg ? (*err)->msg : "unknown error";

	return json_pack("{sssiss}", "cniVersion", cni_version ? cni_version : CNI_VERSION, "code",
			 code, "msg", msg);
}

json_t *cni_result_json_for_version(const struct cni_result *res, const char *version)
{
	json_t *j = cni_result_to_json(res), *ips, *ip;
	size_t i;

	json_object_set_new(j, "cniVersion", json_string(version));
	/* Before 1.0 each address carried its family as "version". */
	if (strncmp(version, "0.", 2) == 0 && (ips = json_object_get(j, "ips"))) {
		json_array_foreach(ips, i, ip) {
			json_object_set_new(ip, "version",
					    json_string(res->ips[i].family == AF_INET6 ? "6" : "4"));
		}
	}
	return j;
}

bool cni_args_get(const char *args, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = args; p && *p;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = len - klen - 1;

			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, p + klen + 1, vlen);
			buf[vlen] = '\0';
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

void *cni_json_array_new(json_t *a, const char *key, const char *what, size_t size,
			 berth_error_t *err)
{
	void *items;

	if (!json_is_array(a)) {
		berth_error(err, EINVAL, "\"%s\" must be %s", key, what);
		return NULL;
	}
	items = calloc(json_array_size(a) + 1, size);
	if (!items)
		berth_error_errno(err, ENOMEM, "allocate %s", key);
	return items;
}

int cni_json_array_each(json_t *a, void *items, size_t size, size_t *n, cni_json_item_fn parse,
			void *ctx, berth_error_t *err)
{
	size_t i;
	json_t *v;
	int ret;

	json_array_foreach(a, i, v) {
		*n = i + 1;
		if ((ret = parse(v, i, (char *)items + i * size, ctx, err)) < 0)
			return ret;
	}
	return 0;
}

#define GROW(arr, n)                                                                       \
	({                                                                                 \
		__typeof__(arr) _p = realloc((arr), ((n) + 2) * sizeof(*(arr)));           \
		if (_p) {                                                                  \
			memset(&_p[(n)], 0, 2 * sizeof(*_p));                              \
			(arr) = _p;                                                        \
		}                                                                          \
		_p;                                                                        \
	})

int cni_result_add_interface(struct cni_result *res, const char *name, const char *mac,
			     const char *sandbox, int mtu)
{
	struct cni_interface *it;

	if (!GROW(res->interfaces, res->n_interfaces))
		return -1;
	it = &res->interfaces[res->n_interfaces];
	snprintf(it->name, sizeof(it->name), "%s", name);
	snprintf(it->mac, sizeof(it->mac), "%s", mac ? mac : "");
	snprintf(it->sandbox, sizeof(it->sandbox), "%s", sandbox ? sandbox : "");
	it->mtu = mtu;
	return (int)res->n_interfaces++;
}

int cni_result_add_ip(struct cni_result *res, const char *address, const char *gateway, int ifc)
{
	struct cni_ip *ip;

	if (!GROW(res->ips, res->n_ips))
		return -1;
	ip = &res->ips[res->n_ips];
	snprintf(ip->address, sizeof(ip->address), "%s", address);
	snprintf(ip->gateway, sizeof(ip->gateway), "%s", gateway ? gateway : "");
	ip->interface = ifc;
	ip->family = strchr(address, ':') ? AF_INET6 : AF_INET;
	res->n_ips++;
	return 0;
}

int cni_result_add_route(struct cni_result *res, const char *dst, const char *gw)
{
	struct cni_route *r;

	if (!GROW(res->routes, res->n_routes))
		return -1;
	r = &res->routes[res->n_routes];
	snprintf(r->dst, sizeof(r->dst), "%s", dst);
	snprintf(r->gw, sizeof(r->gw), "%s", gw ? gw : "");
	res->n_routes++;
	return 0;
}

static char *read_stdin(berth_error_t *err)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cni_error(err, CNI_ERR_IO, errno, "read network configuration from stdin");
			free(buf);
			return NULL;
		}
		if (n == 0) {
			buf[len] = '\0';
			return buf;
		}
		len += (size_t)n;
	}
	cni_error(err, CNI_ERR_IO, ENOMEM, "read network configuration from stdin");
	return NULL;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(4));

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
}

static int run(const struct cni_plugin *p, const struct cni_env *env, const char *text,
	       char *version, size_t vsize, berth_error_t *err)
{
	cleanup_json json_t *root = NULL;
	struct cni_netconf conf;
	struct cni_result *res = NULL;
	int ret;

	ret = cni_netconf_parse(text, &root, &conf, err);
	if (conf.cni_version && cni_version_supported(conf.cni_version))
		snprintf(version, vsize, "%s", conf.cni_version);
	if (ret < 0) {
		cni_netconf_release(&conf);
		return ret;
	}
	switch (env->command) {
	case CNI_CMD_ADD:
		ret = p->add(env, &conf, &res, err);
		if (ret == 0) {
			json_t *out = cni_result_json_for_version(res, conf.cni_version);

			print_json(out);
			json_decref(out);
			cni_result_free(res);
		}
		break;
	case CNI_CMD_DEL:
		ret = p->del(env, &conf, err);
		break;
	case CNI_CMD_CHECK:
		if (strncmp(conf.cni_version, "0.3", 3) == 0)
			ret = cni_error(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
					"CHECK needs cniVersion 0.4.0 or later, not `%s`",
					conf.cni_version);
		else
			ret = p->check(env, &conf, err);
		break;
	case CNI_CMD_STATUS:
		ret = p->status ? p->status(&conf, err) : 0;
		break;
	case CNI_CMD_VERSION:
		break;
	}
	cni_netconf_release(&conf);
	return ret;
}

int cni_plugin_main(const struct cni_plugin *p, int argc, char **argv)
{
	extern char **environ;
	berth_error_t err = NULL;
	char version[16] = CNI_VERSION;
	struct cni_env env;
	char *text = NULL;
	int ret;

	(void)argc;
	(void)argv;
	ret = cni_env_parse(environ, &env, &err);
	if (ret == 0 && env.command == CNI_CMD_VERSION) {
		json_t *v = json_pack("{ss}", "cniVersion", CNI_VERSION), *a = json_array();

		for (const char *const *s = supported_versions; *s; s++)
			json_array_append_new(a, json_string(*s));
		json_object_set_new(v, "supportedVersions", a);
		print_json(v);
		json_decref(v);
		return 0;
	}
	if (ret == 0 && (text = read_stdin(&err)) == NULL)
		ret = -1;
	if (ret == 0)
		ret = run(p, &env, text, version, sizeof(version), &err);
	free(text);
	if (ret < 0) {
		json_t *e;

		e = cni_error_json(version, &err);
		print_json(e);
		json_decref(e);
		/* Also on stderr: callers that do not parse stdout still see why. */
		fprintf(stderr, "%s: %s: %s\n", p->name, env.command_name ? env.command_name : "",
			err && err->msg ? err->msg : "error");
		berth_error_release(&err);
		return 1;
	}
	return 0;
}
