/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * berthctl network create|ls|inspect|rm: the engine's networks are CNI
 * configuration lists in its network directory (--cni-config-dir, default
 * /etc/cni/net.d), one NAME.conflist each: berth-bridge with berth-ipam (data
 * under ROOT/cni/ipam) and portmap.  A network is in use while a container
 * record names it; rm refuses it then, unless -f, which removes those
 * containers first.  rm also deletes the network's bridge when no other
 * network uses it, and its IPAM state.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netplugins/cni.h"
#include "orchestrator/berthctl.h"
#include "orchestrator/engine.h"
#include "orchestrator/run_opts.h"
#include "util.h"

#define PROG "berthctl"

static int fail(berth_error_t *err)
{
	berth_error_print(stderr, PROG, err);
	return BERTHCTL_EXIT_ENGINE;
}

static const char *conf_dir(struct berthctl_opts *o)
{
	return o->cni_config_dir ? o->cni_config_dir : CNI_DEFAULT_CONF_DIR;
}

/* An IPv4 subnet: address (host order, masked) and prefix length. */
struct subnet4 {
	uint32_t addr;
	int len;
};

static int parse_subnet(const char *s, struct subnet4 *sn, berth_error_t *err)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	long len;

	if (strlen(s) >= sizeof(buf))
		return berth_error(err, EINVAL, "subnet `%s`: expected A.B.C.D/LEN", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return berth_error(err, EINVAL, "subnet `%s`: expected A.B.C.D/LEN", s);
	*slash = '\0';
	len = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, buf, &a) != 1 || *end || end == slash + 1)
		return berth_error(err, EINVAL, "subnet `%s`: expected A.B.C.D/LEN", s);
	if (len < 8 || len > 30)
		return berth_error(err, EINVAL, "subnet `%s`: the prefix length must be 8 to 30", s);
	sn->len = (int)len;
	sn->addr = ntohl(a.s_addr) & (0xffffffffu << (32 - len));
	if (sn->addr != ntohl(a.s_addr))
		return berth_error(err, EINVAL, "subnet `%s`: host bits are set", s);
	return 0;
}

static bool overlaps(const struct subnet4 *a, const struct subnet4 *b)
{
	int len = a->len < b->len ? a->len : b->len;
	uint32_t mask = 0xffffffffu << (32 - len);

	return (a->addr & mask) == (b->addr & mask);
}

/* One network file of the directory, parsed. */
struct netfile {
	char *name, *path, *bridge, *subnet, *type;
	json_t *conf;
};

static void netfile_free(struct netfile *n)
{
	free(n->name);
	free(n->path);
	free(n->bridge);
	free(n->subnet);
	free(n->type);
	if (n->conf)
		json_decref(n->conf);
}

static void netfiles_free(struct netfile *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		netfile_free(&v[i]);
	free(v);
}

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* name, first plugin's type, bridge and first subnet of a conflist (or single conf). */
static void netfile_fill(struct netfile *n, json_t *conf)
{
	json_t *plugins = json_object_get(conf, "plugins");
	json_t *p0 = json_is_array(plugins) ? json_array_get(plugins, 0) : conf;
	json_t *ipam = json_object_get(p0, "ipam");
	json_t *range = json_array_get(json_array_get(json_object_get(ipam, "ranges"), 0), 0);
	const char *subnet = json_string_value(json_object_get(range, "subnet"));

	if (subnet == NULL)
		subnet = json_string_value(json_object_get(ipam, "subnet"));
	n->conf = conf;
	n->name = dupstr(json_string_value(json_object_get(conf, "name")));
	n->type = dupstr(json_string_value(json_object_get(p0, "type")));
	n->bridge = dupstr(json_string_value(json_object_get(p0, "bridge")));
	n->subnet = dupstr(subnet);
}

static bool conf_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 9 && !strcmp(n + l - 9, ".conflist")) || (l > 5 && !strcmp(n + l - 5, ".conf")) ||
	       (l > 5 && !strcmp(n + l - 5, ".json"));
}

/* Every network file of the directory (unreadable ones are skipped), in lexical order. */
static size_t netfiles_load(struct berthctl_opts *o, struct netfile **out)
{
	struct dirent **ents = NULL;
	int n = scandir(conf_dir(o), &ents, NULL, alphasort);
	struct netfile *v = calloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*v));
	size_t k = 0;

	for (int i = 0; i < n; i++) {
		json_t *conf;
		char *path = NULL;
		if (v && conf_name(ents[i]->d_name) &&
		    asprintf(&path, "%s/%s", conf_dir(o), ents[i]->d_name) > 0 &&
		    berth_json_load_file(path, &conf, NULL) == 0 && json_is_object(conf)) {
			netfile_fill(&v[k], conf);
			v[k++].path = path;
			path = NULL;
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	*out = v;
	return k;
}

static struct netfile *netfile_find(struct netfile *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].name && strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static int check_name(const char *name, berth_error_t *err)
{
	if (!run_volume_name_ok(name) || strlen(name) > 64)
		return berth_error(err, EINVAL,
				   "network `%s`: not a valid name ([A-Za-z0-9][A-Za-z0-9_.-]*, at "
				   "most 64)",
				   name);
	if (strcmp(name, "none") == 0 || strcmp(name, "host") == 0 ||
	    strcmp(name, "default") == 0)
		return berth_error(err, EINVAL, "network `%s`: the name is reserved", name);
	return 0;
}

static bool bridge_taken(struct netfile *v, size_t n, const char *br)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].bridge && strcmp(v[i].bridge, br) == 0)
			return true;
	return if_nametoindex(br) != 0;
}

static int cmd_create(struct berthctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "subnet", required_argument, NULL, 's' },
		{ "bridge", required_argument, NULL, 'b' },
		{ "internal", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *subnet = NULL, *bridge = NULL, *name;
	bool internal = false;
	berth_error_t err = NULL;
	struct netfile *nets = NULL;
	size_t nn;
	struct subnet4 want;
	char subnet_buf[32], bridge_buf[IFNAMSIZ];
	cleanup_free char *path = NULL;
	cleanup_free char *ipam_dir = NULL;
	cleanup_free char *text = NULL;
	cleanup_json json_t *conf = NULL;
	cleanup_free struct subnet4 *taken = NULL;
	size_t nt = 0;
	int c, ret = BERTHCTL_EXIT_ENGINE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 's')
			subnet = optarg;
		else if (c == 'b')
			bridge = optarg;
		else if (c == 'i')
			internal = true;
		else {
			fprintf(stderr, "%s: network create: bad usage (see berthctl(1))\n", PROG);
			return BERTHCTL_EXIT_ENGINE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: network create: expected one NAME\n", PROG);
		return BERTHCTL_EXIT_ENGINE;
	}
	name = argv[optind];
	if (check_name(name, &err) < 0 || (subnet && parse_subnet(subnet, &want, &err) < 0))
		return fail(&err);
	if (bridge && (strlen(bridge) >= IFNAMSIZ || bridge[0] == '\0' || strchr(bridge, '/') ||
		       strpbrk(bridge, " \t\n:"))) {
		berth_error(&err, EINVAL, "network `%s`: bridge `%s`: not a valid interface name",
			    name, bridge);
		return fail(&err);
	}
	nn = netfiles_load(o, &nets);
	if (netfile_find(nets, nn, name) || strcmp(name, CNI_DEFAULT_NETWORK) == 0) {
		berth_error(&err, EEXIST, "network `%s`: already exists", name);
		goto out;
	}
	if (bridge && bridge_taken(nets, nn, bridge)) {
		berth_error(&err, EEXIST, "network `%s`: bridge `%s` is already in use", name, bridge);
		goto out;
	}
	/* the built-in default network's subnet counts as taken */
	taken = calloc(nn + 1, sizeof(*taken));
	if (taken == NULL) {
		berth_error_errno(&err, ENOMEM, "network `%s`", name);
		goto out;
	}
	parse_subnet(CNI_DEFAULT_SUBNET, &taken[nt++], NULL);
	for (size_t i = 0; i < nn; i++)
		if (nets[i].subnet && parse_subnet(nets[i].subnet, &taken[nt], NULL) == 0)
			nt++;
	if (subnet) {
		for (size_t i = 0; i < nt; i++) {
			if (!overlaps(&want, &taken[i]))
				continue;
			const char *other = CNI_DEFAULT_NETWORK " (built-in)";
			for (size_t j = 0; j < nn; j++) {
				struct subnet4 s;
				if (nets[j].subnet && parse_subnet(nets[j].subnet, &s, NULL) == 0 &&
				    overlaps(&want, &s))
					other = nets[j].name ? nets[j].name : nets[j].path;
			}
			berth_error(&err, EEXIST, "network `%s`: subnet %s overlaps network `%s`",
				    name, subnet, other);
			goto out;
		}
	} else {
		/* the first free /24 of 198.19.0.0/16 */
		bool found = false;
		for (uint32_t k = 0; k < 256 && !found; k++) {
			want = (struct subnet4){ .addr = (198u << 24) | (19u << 16) | (k << 8), .len = 24 };
			found = true;
			for (size_t i = 0; i < nt && found; i++)
				found = !overlaps(&want, &taken[i]);
		}
		if (!found) {
			berth_error(&err, ENOSPC, "network `%s`: no free /24 left in 198.19.0.0/16 "
						  "(give --subnet)", name);
			goto out;
		}
		snprintf(subnet_buf, sizeof(subnet_buf), "198.19.%u.0/24", (want.addr >> 8) & 0xff);
		subnet = subnet_buf;
	}
	if (bridge == NULL) {
		for (int k = 1; k < 10000 && bridge == NULL; k++) {
			snprintf(bridge_buf, sizeof(bridge_buf), "berth%d", k);
			if (!bridge_taken(nets, nn, bridge_buf))
				bridge = bridge_buf;
		}
	}
	if (asprintf(&ipam_dir, "%s/cni/ipam", o->root) < 0 ||
	    asprintf(&path, "%s/%s.conflist", conf_dir(o), name) < 0) {
		berth_error_errno(&err, ENOMEM, "network `%s`", name);
		goto out;
	}
	text = cni_default_conflist(name, bridge, subnet, ipam_dir);
	conf = text ? json_loads(text, 0, NULL) : NULL;
	if (conf == NULL) {
		berth_error_errno(&err, ENOMEM, "network `%s`", name);
		goto out;
	}
	if (internal) {
		/* no route out: no default gateway, no masquerading */
		json_t *br = json_array_get(json_object_get(conf, "plugins"), 0);
		json_object_set_new(br, "isDefaultGateway", json_false());
		json_object_set_new(br, "ipMasq", json_false());
	}
	free(text);
	text = json_dumps(conf, JSON_INDENT(2));
	if (text == NULL || berth_mkdir_p(conf_dir(o), 0755, &err) < 0 ||
	    berth_write_file_atomic(path, text, strlen(text), 0644, false, &err) < 0) {
		if (err == NULL)
			berth_error_errno(&err, ENOMEM, "network `%s`", name);
		else
			berth_error_wrap(&err, "network `%s`", name);
		goto out;
	}
	printf("%s\n", name);
	ret = 0;
out:
	netfiles_free(nets, nn);
	return ret ? fail(&err) : 0;
}

static json_t *network_json(struct berthctl_opts *o, const struct netfile *n, bool builtin)
{
	cleanup_strv char **users = NULL;
	json_t *ids = json_array();

	if (engine_ctrs_using(o, "network", n->name, &users, NULL) == 0)
		for (char **u = users; *u; u++)
			json_array_append_new(ids, json_string(*u));
	return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:O, s:o}", "name", n->name, "driver",
			 n->type, "bridge", n->bridge, "subnet", n->subnet, "file", n->path,
			 "builtin", builtin, "config", n->conf, "containers", ids);
}

/* The built-in default network as a netfile (when no file defines it). */
static bool builtin_default(struct netfile *v, size_t n, struct netfile *out)
{
	char *text;
	json_t *conf;

	if (netfile_find(v, n, CNI_DEFAULT_NETWORK))
		return false;
	text = cni_default_conflist(NULL, NULL, NULL, NULL);
	conf = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (conf == NULL)
		return false;
	memset(out, 0, sizeof(*out));
	netfile_fill(out, conf);
	return true;
}

static int cmd_ls(struct berthctl_opts *o, int argc, char **argv)
{
	struct netfile *nets = NULL, def;
	cleanup_json json_t *out = json_array();
	bool json, quiet, have_def;
	size_t nn;

	if (engine_list_opts(argc, argv, "network ls", &json, &quiet) < 0)
		return BERTHCTL_EXIT_ENGINE;
	nn = netfiles_load(o, &nets);
	have_def = builtin_default(nets, nn, &def);
	if (!json && !quiet)
		printf("%-20s  %-14s  %-16s  %-18s\n", "NAME", "DRIVER", "BRIDGE", "SUBNET");
	for (size_t i = 0; i < nn + have_def; i++) {
		struct netfile *n = i < nn ? &nets[i] : &def;
		if (n->name == NULL)
			continue;
		if (quiet)
			printf("%s\n", n->name);
		else if (json)
			json_array_append_new(out, network_json(o, n, i >= nn));
		else
			printf("%-20s  %-14s  %-16s  %-18s\n", n->name, n->type ?: "-",
			       n->bridge ?: "-", n->subnet ?: "-");
	}
	if (json) {
		cleanup_free char *s = json_dumps(out, JSON_INDENT(2));
		if (s)
			puts(s);
	}
	if (have_def)
		netfile_free(&def);
	netfiles_free(nets, nn);
	return 0;
}

static int cmd_inspect(struct berthctl_opts *o, int argc, char **argv)
{
	struct netfile *nets = NULL, def;
	cleanup_json json_t *out = json_array();
	size_t nn = netfiles_load(o, &nets);
	bool have_def = builtin_default(nets, nn, &def);
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "%s: network inspect: which network?\n", PROG);
		ret = BERTHCTL_EXIT_ENGINE;
	}
	for (int i = 1; i < argc; i++) {
		struct netfile *n = netfile_find(nets, nn, argv[i]);
		if (n == NULL && have_def && strcmp(argv[i], CNI_DEFAULT_NETWORK) == 0)
			n = &def;
		if (n == NULL) {
			fprintf(stderr, "%s: network `%s`: no such network in `%s`\n", PROG, argv[i],
				conf_dir(o));
			ret = BERTHCTL_EXIT_ENGINE;
			continue;
		}
		json_array_append_new(out, network_json(o, n, n == &def));
	}
	cleanup_free char *s = json_dumps(out, JSON_INDENT(2));
	if (s && argc >= 2)
		puts(s);
	if (have_def)
		netfile_free(&def);
	netfiles_free(nets, nn);
	return ret;
}

/* RTM_DELLINK of a bridge (only a bridge: /sys/class/net/NAME/bridge). */
static int bridge_delete(const char *name, berth_error_t *err)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = { .nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			  .nlmsg_type = RTM_DELLINK,
			  .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK } };
	char path[64], buf[1024];
	unsigned int idx = if_nametoindex(name);
	cleanup_close int fd = -1;
	ssize_t k;

	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	if (idx == 0 || access(path, F_OK) < 0)
		return 0;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)idx;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return berth_error_errno(err, errno, "delete bridge `%s`", name);
	k = recv(fd, buf, sizeof(buf), 0);
	if (k < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return berth_error_errno(err, k < 0 ? errno : EPROTO, "delete bridge `%s`", name);
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct nlmsgerr *e = NLMSG_DATA(nh);
	if (nh->nlmsg_type == NLMSG_ERROR && e->error < 0)
		return berth_error_errno(err, -e->error, "delete bridge `%s`", name);
	return 0;
}

static int network_remove(struct berthctl_opts *o, struct netfile *nets, size_t nn,
			  const char *name, bool force, berth_error_t *err)
{
	struct netfile *n = netfile_find(nets, nn, name);
	cleanup_free char *ipam = NULL;
	bool shared = false;

	if (n == NULL && strcmp(name, CNI_DEFAULT_NETWORK) == 0)
		return berth_error(err, EPERM, "network `%s`: the built-in network cannot be removed",
				   name);
	if (n == NULL)
		return berth_error(err, ENOENT, "network `%s`: no such network in `%s`", name,
				   conf_dir(o));
	if (engine_release_users(o, "network", "network", name, force, err) < 0)
		return -1;
	if (unlink(n->path) < 0)
		return berth_error_errno(err, errno, "network `%s`: remove `%s`", name, n->path);
	for (size_t i = 0; i < nn; i++)
		if (&nets[i] != n && nets[i].bridge && n->bridge &&
		    strcmp(nets[i].bridge, n->bridge) == 0)
			shared = true;
	if (n->bridge && !shared && bridge_delete(n->bridge, err) < 0)
		return berth_error_wrap(err, "network `%s`", name);
	if (asprintf(&ipam, "%s/cni/ipam/%s", o->root, name) > 0)
		engine_rm_tree(ipam);
	free(n->name);
	n->name = NULL; /* gone for the next name of this command */
	return 0;
}

static int cmd_rm(struct berthctl_opts *o, int argc, char **argv)
{
	struct netfile *nets = NULL;
	bool force;
	size_t nn;
	int ret = 0;

	if (engine_rm_opts(argc, argv, "network rm", &force) < 0)
		return BERTHCTL_EXIT_ENGINE;
	nn = netfiles_load(o, &nets);
	for (int i = optind; i < argc; i++) {
		berth_error_t err = NULL;
		if (network_remove(o, nets, nn, argv[i], force, &err) < 0) {
			ret = fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	netfiles_free(nets, nn);
	return ret;
}

int berthctl_cmd_network(struct berthctl_opts *opts, int argc, char **argv)
{
	static const struct berthctl_subcmd cmds[] = {
		{ "create", cmd_create },
		{ "ls", cmd_ls },
		{ "list", cmd_ls },
		{ "inspect", cmd_inspect },
		{ "rm", cmd_rm },
		{ "remove", cmd_rm },
		{ NULL, NULL },
	};

	return berthctl_dispatch("network", "create, ls, inspect, rm", cmds, opts, argc, argv);
}
