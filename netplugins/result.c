/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CNI result format: typed struct <-> JSON. */
#include "cni.h"
#include "plugin.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ipnet.h"
#include "util.h"

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void cni_result_free(struct cni_result *res)
{
	if (!res)
		return;
	free(res->interfaces);
	free(res->ips);
	free(res->routes);
	strv_free(res->dns.nameservers);
	strv_free(res->dns.search);
	strv_free(res->dns.options);
	free(res->dns.domain);
	if (res->json)
		json_decref(res->json);
	free(res);
}

/* Copy an optional JSON string member into a fixed buffer; too long is an error. */
static int get_str(json_t *obj, const char *key, char *buf, size_t size, bool required,
		   berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	buf[0] = '\0';
	if (!v) {
		if (required)
			return berth_error(err, EINVAL, "missing \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return berth_error(err, EINVAL, "\"%s\" must be a string", key);
	if (json_string_length(v) >= size)
		return berth_error(err, EINVAL, "\"%s\" too long: `%s`", key, json_string_value(v));
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_strv(json_t *obj, const char *key, char ***out, berth_error_t *err)
{
	json_t *a = json_object_get(obj, key), *v;
	size_t i;

	*out = NULL;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return berth_error(err, EINVAL, "\"%s\" must be an array of strings", key);
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return berth_error_errno(err, ENOMEM, "allocate \"%s\"", key);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return berth_error(err, EINVAL, "\"%s\" must be an array of strings", key);
		(*out)[i] = strdup(json_string_value(v));
	}
	return 0;
}

static int parse_interface(json_t *v, size_t i, void *item, void *ctx, berth_error_t *err)
{
	struct cni_interface *it = item;
	json_t *mtu = json_object_get(v, "mtu");

	if (get_str(v, "name", it->name, sizeof(it->name), true, err) < 0 ||
	    get_str(v, "mac", it->mac, sizeof(it->mac), false, err) < 0 ||
	    get_str(v, "sandbox", it->sandbox, sizeof(it->sandbox), false, err) < 0)
		return berth_error_wrap(err, "interfaces[%zu]", i);
	it->mtu = json_is_integer(mtu) ? (int)json_integer_value(mtu) : 0;
	return 0;
}

/* ctx: the result, whose interfaces are parsed already. */
static int parse_ip(json_t *v, size_t i, void *item, void *ctx, berth_error_t *err)
{
	const struct cni_result *res = ctx;
	struct cni_ip *ip = item;
	json_t *ifc = json_object_get(v, "interface");
	struct cni_ipnet n;

	if (get_str(v, "address", ip->address, sizeof(ip->address), true, err) < 0 ||
	    get_str(v, "gateway", ip->gateway, sizeof(ip->gateway), false, err) < 0 ||
	    cni_ipnet_parse(ip->address, &n, err) < 0)
		return berth_error_wrap(err, "ips[%zu]", i);
	ip->family = n.ip.family;
	ip->interface = -1;
	if (ifc) {
		if (!json_is_integer(ifc) || json_integer_value(ifc) < 0 ||
		    (size_t)json_integer_value(ifc) >= res->n_interfaces)
			return berth_error(err, EINVAL,
					   "ips[%zu]: \"interface\" is not an index into \"interfaces\"",
					   i);
		ip->interface = (int)json_integer_value(ifc);
	}
	return 0;
}

static int parse_route(json_t *v, size_t i, void *item, void *ctx, berth_error_t *err)
{
	struct cni_route *r = item;
	struct cni_ipnet n;

	if (get_str(v, "dst", r->dst, sizeof(r->dst), true, err) < 0 ||
	    get_str(v, "gw", r->gw, sizeof(r->gw), false, err) < 0 ||
	    cni_ipnet_parse(r->dst, &n, err) < 0)
		return berth_error_wrap(err, "routes[%zu]", i);
	return 0;
}

int cni_result_parse(json_t *json, struct cni_result **out, berth_error_t *err)
{
	struct cni_result *res;
	json_t *v;
	int ret = -1;

	if (!json_is_object(json))
		return berth_error(err, EINVAL, "CNI result is not a JSON object");
	res = calloc(1, sizeof(*res));
	if (!res)
		return berth_error_errno(err, ENOMEM, "allocate result");
	if (get_str(json, "cniVersion", res->cni_version, sizeof(res->cni_version), false, err) < 0)
		goto out;
	if ((v = json_object_get(json, "interfaces")) &&
	    cni_json_array_parse(v, "interfaces", "an array", res->interfaces, &res->n_interfaces,
				 parse_interface, res, err) < 0)
		goto out;
	if ((v = json_object_get(json, "ips")) &&
	    cni_json_array_parse(v, "ips", "an array", res->ips, &res->n_ips, parse_ip, res, err) < 0)
		goto out;
	if ((v = json_object_get(json, "routes")) &&
	    cni_json_array_parse(v, "routes", "an array", res->routes, &res->n_routes, parse_route,
				 res, err) < 0)
		goto out;
	if ((v = json_object_get(json, "dns"))) {
		json_t *d = json_object_get(v, "domain");

		if (get_strv(v, "nameservers", &res->dns.nameservers, err) < 0 ||
		    get_strv(v, "search", &res->dns.search, err) < 0 ||
		    get_strv(v, "options", &res->dns.options, err) < 0)
			goto out;
		if (json_is_string(d))
			res->dns.domain = strdup(json_string_value(d));
	}
	res->json = json_incref(json);
	*out = res;
	return 0;
out:
	berth_error_wrap(err, "invalid CNI result");
	cni_result_free(res);
	return ret;
}

static json_t *strv_json(char **v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

json_t *cni_result_to_json(const struct cni_result *res)
{
	json_t *o = json_object(), *a;

	json_object_set_new(o, "cniVersion",
			    json_string(res->cni_version[0] ? res->cni_version : CNI_VERSION));
	if (res->n_interfaces) {
		a = json_array();
		for (size_t i = 0; i < res->n_interfaces; i++) {
			const struct cni_interface *it = &res->interfaces[i];
			json_t *j = json_pack("{ss}", "name", it->name);

			if (it->mac[0])
				json_object_set_new(j, "mac", json_string(it->mac));
			if (it->mtu)
				json_object_set_new(j, "mtu", json_integer(it->mtu));
			if (it->sandbox[0])
				json_object_set_new(j, "sandbox", json_string(it->sandbox));
			json_array_append_new(a, j);
		}
		json_object_set_new(o, "interfaces", a);
	}
	a = json_array();
	for (size_t i = 0; i < res->n_ips; i++) {
		const struct cni_ip *ip = &res->ips[i];
		json_t *j = json_pack("{ss}", "address", ip->address);

		if (ip->gateway[0])
			json_object_set_new(j, "gateway", json_string(ip->gateway));
		if (ip->interface >= 0)
			json_object_set_new(j, "interface", json_integer(ip->interface));
		json_array_append_new(a, j);
	}
	json_object_set_new(o, "ips", a);
	if (res->n_routes) {
		a = json_array();
		for (size_t i = 0; i < res->n_routes; i++) {
			json_t *j = json_pack("{ss}", "dst", res->routes[i].dst);

			if (res->routes[i].gw[0])
				json_object_set_new(j, "gw", json_string(res->routes[i].gw));
			json_array_append_new(a, j);
		}
		json_object_set_new(o, "routes", a);
	}
	{
		json_t *d = json_object();

		if (res->dns.nameservers)
			json_object_set_new(d, "nameservers", strv_json(res->dns.nameservers));
		if (res->dns.domain)
			json_object_set_new(d, "domain", json_string(res->dns.domain));
		if (res->dns.search)
			json_object_set_new(d, "search", strv_json(res->dns.search));
		if (res->dns.options)
			json_object_set_new(d, "options", strv_json(res->dns.options));
		json_object_set_new(o, "dns", d);
	}
	return o;
}

char *cni_result_dump(const struct cni_result *res)
{
	json_t *j = res->json ? json_incref(res->json) : cni_result_to_json(res);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return s;
}
