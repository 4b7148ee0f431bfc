/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CNI input at the edge: environment, stdin network configuration, conflists, results. */
#include "harness.h"

#include "netplugins/cni.h"
#include "netplugins/plugin.h"
#include "util.h"

TEST(env_missing_variables_are_code_4_naming_the_variable)
{
	struct cni_env env;
	berth_error_t err = NULL;
	char *none[] = { NULL };
	char *noid[] = { "CNI_COMMAND=ADD", "CNI_NETNS=/x", "CNI_IFNAME=eth0", "CNI_PATH=/p", NULL };
	char *noif[] = { "CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/x", "CNI_PATH=/p",
			 NULL };
	char *nons[] = { "CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_IFNAME=eth0", "CNI_PATH=/p",
			 NULL };
	char *badcmd[] = { "CNI_COMMAND=FROB", NULL };
	char *badid[] = { "CNI_COMMAND=DEL", "CNI_CONTAINERID=a/b", "CNI_IFNAME=eth0",
			  "CNI_PATH=/p", NULL };
	char *delok[] = { "CNI_COMMAND=DEL", "CNI_CONTAINERID=a", "CNI_IFNAME=eth0", "CNI_PATH=/p",
			  NULL };

	EXPECT_LT(cni_env_parse(none, &env, &err), 0);
	EXPECT_EQ(err->code, CNI_ERR_INVALID_ENV);
	EXPECT_SUBSTR(err->msg, "CNI_COMMAND");
	EXPECT_LT(cni_env_parse(noid, &env, &err), 0);
	EXPECT_SUBSTR(err->msg, "CNI_CONTAINERID");
	EXPECT_LT(cni_env_parse(noif, &env, &err), 0);
	EXPECT_SUBSTR(err->msg, "CNI_IFNAME");
	EXPECT_LT(cni_env_parse(nons, &env, &err), 0);
	EXPECT_SUBSTR(err->msg, "CNI_NETNS");
	EXPECT_LT(cni_env_parse(badcmd, &env, &err), 0);
	EXPECT_SUBSTR(err->msg, "FROB");
	EXPECT_LT(cni_env_parse(badid, &env, &err), 0);
	EXPECT_EQ(err->code, CNI_ERR_INVALID_ENV);
	/* DEL needs no netns (the container may be gone). */
	EXPECT_EQ(cni_env_parse(delok, &env, &err), 0);
	EXPECT_EQ(env.command, CNI_CMD_DEL);
	berth_error_release(&err);
}

TEST(netconf_decode_and_version_errors)
{
	struct cni_netconf c;
	json_t *root = NULL;
	berth_error_t err = NULL;

	EXPECT_LT(cni_netconf_parse("{\"cniVersion\": ", &root, &c, &err), 0);
	EXPECT_EQ(err->code, CNI_ERR_DECODE);
	if (root)
		json_decref(root);
	EXPECT_LT(cni_netconf_parse("{\"cniVersion\":\"9.9.9\",\"name\":\"n\"}", &root, &c, &err), 0);
	EXPECT_EQ(err->code, CNI_ERR_INCOMPATIBLE_VERSION);
	EXPECT_SUBSTR(err->msg, "9.9.9");
	json_decref(root);
	EXPECT_LT(cni_netconf_parse("{\"cniVersion\":\"1.0.0\"}", &root, &c, &err), 0);
	EXPECT_EQ(err->code, CNI_ERR_INVALID_NETCONF);
	json_decref(root);
	EXPECT_LT(cni_netconf_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"prevResult\":"
				    "{\"ips\":[{\"address\":\"nope\"}]}}",
				    &root, &c, &err),
		  0);
	EXPECT_EQ(err->code, CNI_ERR_DECODE);
	json_decref(root);
	cni_netconf_release(&c);
	berth_error_release(&err);
}

TEST(netconf_with_prev_result)
{
	struct cni_netconf c;
	json_t *root = NULL;

	ASSERT_EQ(cni_netconf_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\","
				    "\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{"
				    "\"name\":\"eth0\",\"sandbox\":\"/x\"}],\"ips\":[{\"address\":"
				    "\"198.18.0.2/16\",\"gateway\":\"198.18.0.1\",\"interface\":0}]}}",
				    &root, &c, NULL),
		  0);
	ASSERT_TRUE(c.prev != NULL);
	EXPECT_EQ(c.prev->n_ips, 1);
	EXPECT_EQ(c.prev->ips[0].interface, 0);
	EXPECT_STREQ(c.prev->interfaces[0].sandbox, "/x");
	cni_netconf_release(&c);
	json_decref(root);
}

TEST(conflist_and_single_conf)
{
	struct cni_network *net = NULL;
	berth_error_t err = NULL;
	char *def;

	ASSERT_EQ(cni_network_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"bridge\"}",
				    "a.conf", &net, NULL),
		  0);
	EXPECT_STREQ(cni_network_name(net), "a");
	EXPECT_EQ(cni_network_n_plugins(net), 1);
	EXPECT_STREQ(cni_network_plugin_type(net, 0), "bridge");
	cni_network_free(net);
	def = cni_default_conflist("bt-net-x", "bt-net-br", "198.18.9.0/24", "/tmp/x");
	ASSERT_TRUE(def != NULL);
	ASSERT_EQ(cni_network_parse(def, "default", &net, NULL), 0);
	EXPECT_EQ(cni_network_n_plugins(net), 2);
	EXPECT_STREQ(cni_network_plugin_type(net, 0), "berth-bridge");
	EXPECT_STREQ(cni_network_plugin_type(net, 1), "portmap");
	cni_network_free(net);
	free(def);
	EXPECT_LT(cni_network_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"plugins\":[]}", "b",
				    &net, &err),
		  0);
	EXPECT_SUBSTR(err->msg, "non-empty");
	EXPECT_LT(cni_network_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"plugins\":[{"
				    "\"type\":\"../x\"}]}",
				    "c", &net, &err),
		  0);
	EXPECT_SUBSTR(err->msg, "type");
	EXPECT_LT(cni_network_parse("{\"cniVersion\":\"0.1.0\",\"name\":\"a\",\"type\":\"x\"}", "d",
				    &net, &err),
		  0);
	EXPECT_EQ(err->code, CNI_ERR_INCOMPATIBLE_VERSION);
	berth_error_release(&err);
}

TEST(load_picks_by_name_and_falls_back_to_default)
{
	static const char alpha[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"alpha\","
				    "\"plugins\":[{\"type\":\"x\"},{\"type\":\"y\"}]}";
	char dir[] = "/tmp/berth-test.XXXXXX", path[128], cmd[160];
	struct cni_opts opts = { 0 };
	struct cni_network *net = NULL;
	berth_error_t err = NULL;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	opts.conf_dir = dir;
	opts.plugin_path = "/usr/lib/cni";
	ASSERT_EQ(cni_network_load(&opts, NULL, &net, NULL), 0);
	EXPECT_STREQ(cni_network_name(net), CNI_DEFAULT_NETWORK);
	EXPECT_EQ(cni_network_n_plugins(net), access("/usr/lib/cni/portmap", X_OK) == 0 ? 2 : 1);
	cni_network_free(net);
	/* Without portmap in the plugin path, the default network is bridge + IPAM only. */
	opts.plugin_path = dir;
	ASSERT_EQ(cni_network_load(&opts, CNI_DEFAULT_NETWORK, &net, NULL), 0);
	EXPECT_EQ(cni_network_n_plugins(net), 1);
	EXPECT_STREQ(cni_network_plugin_type(net, 0), "berth-bridge");
	cni_network_free(net);
	snprintf(path, sizeof(path), "%s/10-a.conflist", dir);
	ASSERT_EQ(berth_write_file_atomic(path, alpha, strlen(alpha), 0644, false, NULL), 0);
	ASSERT_EQ(cni_network_load(&opts, "alpha", &net, NULL), 0);
	EXPECT_EQ(cni_network_n_plugins(net), 2);
	cni_network_free(net);
	ASSERT_EQ(cni_network_load(&opts, NULL, &net, NULL), 0);
	EXPECT_STREQ(cni_network_name(net), "alpha");
	cni_network_free(net);
	EXPECT_LT(cni_network_load(&opts, "beta", &net, &err), 0);
	EXPECT_SUBSTR(err->msg, "network `beta` not found");
	berth_error_release(&err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

TEST(result_roundtrip_and_error_json)
{
	cleanup_json json_t *j = json_loads(
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":"
		"\"02:00:00:00:00:01\"}],\"ips\":[{\"address\":\"198.18.0.9/16\",\"interface\":0}],"
		"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"198.18.0.1\"}],\"dns\":{\"nameservers\":"
		"[\"198.18.0.1\"]}}",
		0, NULL);
	struct cni_result *r = NULL;
	berth_error_t err = NULL;
	json_t *e, *old;

	ASSERT_EQ(cni_result_parse(j, &r, NULL), 0);
	EXPECT_STREQ(r->ips[0].address, "198.18.0.9/16");
	EXPECT_STREQ(r->routes[0].gw, "198.18.0.1");
	EXPECT_STREQ(r->dns.nameservers[0], "198.18.0.1");
	old = cni_result_json_for_version(r, "0.4.0");
	EXPECT_STREQ(json_string_value(json_object_get(
			     json_array_get(json_object_get(old, "ips"), 0), "version")),
		     "4");
	json_decref(old);
	cni_result_free(r);
	cni_error(&err, CNI_ERR_INVALID_NETCONF, 0, "bridge name `x` too long");
	e = cni_error_json("1.0.0", &err);
	EXPECT_EQ(json_integer_value(json_object_get(e, "code")), 7);
	EXPECT_STREQ(json_string_value(json_object_get(e, "msg")), "bridge name `x` too long");
	json_decref(e);
	berth_error_release(&err);
}

TEST(cni_args)
{
	char buf[32];

	EXPECT_TRUE(cni_args_get("IgnoreUnknown=1;IP=198.18.0.5;MAC=02:00:00:00:00:09", "IP", buf,
				 sizeof(buf)));
	EXPECT_STREQ(buf, "198.18.0.5");
	EXPECT_TRUE(cni_args_get("IP=198.18.0.5;MAC=02:00:00:00:00:09", "MAC", buf, sizeof(buf)));
	EXPECT_STREQ(buf, "02:00:00:00:00:09");
	EXPECT_FALSE(cni_args_get("IPX=1", "IP", buf, sizeof(buf)));
	EXPECT_FALSE(cni_args_get(NULL, "IP", buf, sizeof(buf)));
}

TEST_MAIN()
