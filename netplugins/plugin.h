/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plugin side of CNI, shared by berth-bridge, berth-ipam and berth-vxlan:
 * the environment and stdin parsed into typed structs, command dispatch,
 * VERSION, and the result / error JSON written exactly as CNI 1.0 says.
 */
#ifndef BERTH_CNI_PLUGIN_H
#define BERTH_CNI_PLUGIN_H

#include <jansson.h>
#include <stdbool.h>

#include "cni.h"
#include "error.h"

/* berth's plugin-specific error codes (the spec reserves >= 100 for plugins). */
enum {
	CNI_ERR_ADDR_EXHAUSTED = 100, /* no free address left in the configured ranges */
	CNI_ERR_IFNAME_EXISTS = 101,  /* CNI_IFNAME already exists in the container netns */
};

/* Fill *err and set its CNI error code. */
int cni_error(berth_error_t *err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Give an error without a CNI code the code given (keeps an existing one). */
int cni_error_code(berth_error_t *err, int code);

enum cni_command { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK, CNI_CMD_STATUS, CNI_CMD_VERSION };

/* The CNI_* environment, validated. */
struct cni_env {
	enum cni_command command;
	const char *command_name;
	const char *container_id;
	const char *netns; /* may be NULL for DEL */
	const char *ifname;
	const char *args; /* may be NULL */
	const char *path;
};

/* The fields every network configuration has, plus the raw object for the plugin's own keys. */
struct cni_netconf {
	const char *cni_version;
	const char *name;
	const char *type;
	json_t *raw;                /* borrowed from the parsed stdin */
	json_t *runtime_config;     /* may be NULL */
	struct cni_result *prev;    /* parsed prevResult, may be NULL */
};

struct cni_plugin {
	const char *name;
	int (*add)(const struct cni_env *env, const struct cni_netconf *conf, struct cni_result **out,
		   berth_error_t *err);
	int (*del)(const struct cni_env *env, const struct cni_netconf *conf, berth_error_t *err);
	int (*check)(const struct cni_env *env, const struct cni_netconf *conf, berth_error_t *err);
	int (*status)(const struct cni_netconf *conf, berth_error_t *err); /* may be NULL */
};

/* main() of a plugin: reads env + stdin, runs the command, prints result or error. */
int cni_plugin_main(const struct cni_plugin *p, int argc, char **argv);

/* Parse env for a command (exposed for the unit tests). */
int cni_env_parse(char **envp, struct cni_env *out, berth_error_t *err);
/* Parse stdin text into conf (conf->raw owned by *root). */
int cni_netconf_parse(const char *text, json_t **root, struct cni_netconf *conf, berth_error_t *err);
void cni_netconf_release(struct cni_netconf *conf);
/* Is this a cniVersion berth understands? */
bool cni_version_supported(const char *v);
/* The error object the spec defines. */
json_t *cni_error_json(const char *cni_version, berth_error_t *err);
/* A result as JSON in the requested cniVersion's format. */
json_t *cni_result_to_json(const struct cni_result *res);
json_t *cni_result_json_for_version(const struct cni_result *res, const char *version);

/* A value of CNI_ARGS ("K=V;K2=V2"); copies into buf; false when absent. */
bool cni_args_get(const char *args, const char *key, char *buf, size_t size);

/*
 * A JSON array into a new array of fixed-size items, for the parsers of configurations and
 * results.  cni_json_array_new() checks that a is an array (else "\"key\" must be <what>") and
 * allocates a zeroed item an element plus a spare one, so that an empty array is no allocation
 * failure.  cni_json_array_each() hands element i and item i to parse; *n counts the items handed
 * over, so that a release after a failure also sees the one parse left half-filled.
 */
typedef int (*cni_json_item_fn)(json_t *v, size_t i, void *item, void *ctx, berth_error_t *err);
void *cni_json_array_new(json_t *a, const char *key, const char *what, size_t size,
			 berth_error_t *err);
int cni_json_array_each(json_t *a, void *items, size_t size, size_t *n, cni_json_item_fn parse,
			void *ctx, berth_error_t *err);
/* Both, into the array pointer arr (a is evaluated twice): 0, or negative with *err filled. */
#define cni_json_array_parse(a, key, what, arr, n, parse, ctx, err)                              \
	(((arr) = cni_json_array_new((a), (key), (what), sizeof(*(arr)), (err)))                  \
		 ? cni_json_array_each((a), (arr), sizeof(*(arr)), (n), (parse), (ctx), (err))    \
		 : berth_error_ret(err))

/* Result building helpers (arrays grow by one; abort-free: return -1 on ENOMEM). */
int cni_result_add_interface(struct cni_result *res, const char *name, const char *mac,
			     const char *sandbox, int mtu);
int cni_result_add_ip(struct cni_result *res, const char *address, const char *gateway, int ifc);
int cni_result_add_route(struct cni_result *res, const char *dst, const char *gw);

#endif
