/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libberth-cni: the CNI 1.0 client.  berthctl (and later the orchestrator)
 * uses it to attach a container's network namespace to a named network by
 * running the network's plugins -- berth's own (berth-bridge, berth-ipam,
 * berth-vxlan) or any other CNI plugin, e.g. Debian's containernetworking-plugins
 * (bridge, host-local, portmap, loopback, bandwidth) -- with the environment
 * and stdin the CNI specification prescribes.
 *
 * Typical use (berthctl run / rm):
 *
 *   struct cni_opts opts = { 0 };              // all defaults
 *   struct cni_network *net;                   // cni_network_free()
 *   struct cni_result *res;                    // cni_result_free()
 *   if (cni_network_load(&opts, "berth", &net, err) < 0) ...
 *   struct cni_attachment att = {
 *           .container_id = id, .netns = "/proc/1234/ns/net", .ifname = "eth0",
 *           .port_mappings = maps, .n_port_mappings = n,
 *   };
 *   if (cni_add(&opts, net, &att, &res, err) < 0) ...   // res->ips[0].address ...
 *   ...
 *   cni_del(&opts, net, &att, err);   // or cni_del(&opts, NULL, &att, err) to use the
 *                                     // configuration cached at ADD time
 *
 * Errors: every function returns a negative value and fills *err.  When a
 * plugin reported a CNI error, (*err)->code is the CNI error code (the
 * CNI_ERR_* values below, or a plugin-specific code >= 100) and the message
 * reads "<network>: <plugin> ADD: <msg>: <details>".
 */
#ifndef BERTH_CNI_H
#define BERTH_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

/* The CNI version berth speaks and writes; 0.4.0 and 1.0.0 plugins are accepted. */
#define CNI_VERSION "1.0.0"

/* Default places, each overridable in struct cni_opts. */
#define CNI_DEFAULT_CONF_DIR  "/etc/cni/net.d"
#define CNI_DEFAULT_CACHE_DIR "/var/lib/berth/cni"
/*
 * Plugins are searched in: the directory of the running executable (so a
 * berthctl next to berth-bridge finds it, installed or in build/bin), then
 * berth's libexec dir, then where distributions put the reference plugins
 * (Debian: /usr/lib/cni).
 */
#define CNI_DEFAULT_PLUGIN_DIRS "/usr/local/libexec/berth/cni:/usr/libexec/cni:/usr/lib/cni:/opt/cni/bin"

/*
 * berth's own default network, used when cni_network_load() is asked for it
 * (or for NULL) and no configuration file in the config dir defines it:
 * berth-bridge on bridge "berth0" (gateway, masquerade) with berth-ipam
 * handing out 198.18.0.0/16, then Debian's "portmap" for -p mappings when it is
 * found in the plugin path.
 */
#define CNI_DEFAULT_NETWORK "berth"
#define CNI_DEFAULT_BRIDGE  "berth0"
#define CNI_DEFAULT_SUBNET  "198.18.0.0/16"

/* The spec's well-known error codes (CNI 1.0, "Error" section). */
enum cni_errcode {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_NETCONF = 7,
	CNI_ERR_TRY_LATER = 11,
	CNI_ERR_NOT_AVAILABLE = 50, /* STATUS: plugin not ready for ADD */
	CNI_ERR_LIMITED = 51,       /* STATUS: plugin limited, ADD may fail */
	CNI_ERR_INTERNAL = 999,     /* berth: the plugin crashed or wrote no valid JSON */
};

/* Where to look; every NULL field takes the default above. */
struct cni_opts {
	const char *conf_dir;    /* .conf / .conflist / .json files */
	const char *plugin_path; /* colon-separated list of plugin directories (CNI_PATH) */
	const char *cache_dir;   /* results cached for DEL: <cache_dir>/results/<net>-<id>-<ifname> */
};

/* A loaded network configuration list (opaque; cni_network_free()). */
struct cni_network;

/*
 * Load the network called name from opts->conf_dir: files ending in .conflist
 * (a list), .conf or .json (a single plugin, wrapped into a list), in lexical
 * order, the first whose "name" matches wins.  name == NULL means the first
 * file in lexical order, or berth's default network when there is none.  A
 * missing name is an error (ENOENT, "network `x` not found in `/dir`"),
 * except CNI_DEFAULT_NETWORK which falls back to the built-in configuration.
 */
int cni_network_load(const struct cni_opts *opts, const char *name, struct cni_network **out,
		     berth_error_t *err);
/* Parse a configuration from bytes (a conflist, or a single-plugin conf). */
int cni_network_parse(const char *json, const char *origin, struct cni_network **out,
		      berth_error_t *err);
void cni_network_free(struct cni_network *net);
const char *cni_network_name(const struct cni_network *net);
const char *cni_network_version(const struct cni_network *net);
size_t cni_network_n_plugins(const struct cni_network *net);
/* The "type" of plugin i (the binary searched in the plugin path). */
const char *cni_network_plugin_type(const struct cni_network *net, size_t i);

/*
 * berth's default conflist as JSON text (malloc'd), with the bridge, subnet
 * and IPAM data directory given (NULL: the defaults).  Tests write one into a
 * private config dir; cni_network_load() uses it with all defaults.
 */
char *cni_default_conflist(const char *name, const char *bridge, const char *subnet,
			   const char *ipam_data_dir);

/* runtimeConfig "portMappings" entry (passed to plugins with that capability, e.g. portmap). */
struct cni_port_mapping {
	uint16_t host_port;
	uint16_t container_port;
	char protocol[8]; /* "tcp" (when empty) or "udp" */
	char host_ip[48]; /* empty: all addresses */
};

/* runtimeConfig "bandwidth" (the bandwidth plugin's capability); bits/s and bits. */
struct cni_bandwidth {
	uint64_t ingress_rate, ingress_burst;
	uint64_t egress_rate, egress_burst;
};

/* One container interface on one network. */
struct cni_attachment {
	const char *container_id; /* CNI_CONTAINERID */
	const char *netns;        /* CNI_NETNS: a path, e.g. /proc/PID/ns/net or /run/netns/x */
	const char *ifname;       /* CNI_IFNAME; NULL: "eth0" */
	const char *args;         /* CNI_ARGS ("K=V;K2=V2"), may be NULL */
	const struct cni_port_mapping *port_mappings;
	size_t n_port_mappings;
	const struct cni_bandwidth *bandwidth; /* NULL: none */
};

/* The result, typed (the CNI 1.0 result format).  Strings are NUL-terminated. */
struct cni_interface {
	char name[16];
	char mac[18];      /* "aa:bb:cc:dd:ee:ff", may be empty */
	char sandbox[256]; /* netns path for container-side interfaces, empty on the host */
	int mtu;           /* 0: not reported */
};
struct cni_ip {
	char address[64]; /* CIDR: "198.18.0.5/16", "fd00::5/64" */
	char gateway[48]; /* may be empty */
	int interface;    /* index into interfaces, -1 when absent */
	int family;       /* AF_INET or AF_INET6 */
};
struct cni_route {
	char dst[64]; /* CIDR */
	char gw[48];  /* may be empty */
};
struct cni_dns {
	char **nameservers; /* NULL-terminated, may be NULL */
	char *domain;       /* may be NULL */
	char **search;
	char **options;
};
struct cni_result {
	char cni_version[16];
	struct cni_interface *interfaces;
	size_t n_interfaces;
	struct cni_ip *ips;
	size_t n_ips;
	struct cni_route *routes;
	size_t n_routes;
	struct cni_dns dns;
	json_t *json; /* the result as the last plugin printed it (owned) */
};

/* Parse a CNI result object (validating it); the inverse of result->json. */
int cni_result_parse(json_t *json, struct cni_result **out, berth_error_t *err);
void cni_result_free(struct cni_result *res);
/* The result as compact JSON text (malloc'd). */
char *cni_result_dump(const struct cni_result *res);

/*
 * Run ADD through every plugin of the list, chaining prevResult, and cache
 * the final result and the configuration for DEL/CHECK.  On failure the
 * plugins already run are DEL'd again (best effort) so nothing is left half
 * configured, and no cache entry is kept.  Port mappings or bandwidth that no
 * plugin of the list declares as a capability are an error (EINVAL), not
 * silently dropped.
 */
int cni_add(const struct cni_opts *opts, const struct cni_network *net,
	    const struct cni_attachment *att, struct cni_result **out, berth_error_t *err);
/*
 * Run DEL through the plugins in reverse order, with the cached result as
 * prevResult, then drop the cache entry.  net == NULL uses the configuration
 * cached at ADD time (the network file may have been changed or removed).
 * DEL of an attachment that is already gone succeeds.
 */
int cni_del(const struct cni_opts *opts, const struct cni_network *net,
	    const struct cni_attachment *att, berth_error_t *err);
/* Run CHECK with the cached result; fails when the attachment drifted. */
int cni_check(const struct cni_opts *opts, const struct cni_network *net,
	      const struct cni_attachment *att, berth_error_t *err);
/* Run STATUS on every plugin (CNI 1.1; plugins not knowing it count as ready). */
int cni_status(const struct cni_opts *opts, const struct cni_network *net, berth_error_t *err);
/* The cached ADD result for an attachment (ENOENT when none). */
int cni_cached_result(const struct cni_opts *opts, const char *network, const char *container_id,
		      const char *ifname, struct cni_result **out, berth_error_t *err);

/*
 * Run one plugin binary once: the spec's environment (CNI_COMMAND,
 * CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH), stdin_json on
 * stdin.  *out receives the parsed stdout (NULL when empty, e.g. for DEL).
 * A CNI error object on stdout becomes the error (code and msg/details).
 */
int cni_exec_plugin(const struct cni_opts *opts, const char *type, const char *command,
		    const struct cni_attachment *att, json_t *stdin_json, json_t **out,
		    berth_error_t *err);

#endif
