/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cnitool: drives libberth-cni from the shell tests.
 *
 *   cnitool add|del|check|status [-i IFNAME] [-a CNI_ARGS] [-p HOST:CTR[/udp]]...
 *           [-b RATE] NETWORK NETNS ID
 *   cnitool del-cached NETNS ID          (DEL with the configuration cached at ADD)
 *
 * Environment: BERTH_CNI_CONF_DIR, BERTH_CNI_CACHE_DIR, BERTH_CNI_PATH.
 * add prints the result JSON; a failure prints {"code":N,"msg":"..."} and exits 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netplugins/cni.h"
#include "util.h"

static int fail(berth_error_t *err)
{
	json_t *j = json_pack("{sisi ss}", "code", *err ? (*err)->code : 0, "errno",
			      *err ? (*err)->errnum : 0, "msg", *err ? (*err)->msg : "?");

	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(j);
	berth_error_print(stderr, "cnitool", err);
	return 1;
}

int main(int argc, char **argv)
{
	struct cni_opts opts = {
		.conf_dir = getenv("BERTH_CNI_CONF_DIR"),
		.cache_dir = getenv("BERTH_CNI_CACHE_DIR"),
		.plugin_path = getenv("BERTH_CNI_PATH"),
	};
	struct cni_port_mapping maps[8];
	struct cni_bandwidth bw = { 0 };
	struct cni_attachment att = { 0 };
	struct cni_network *net = NULL;
	struct cni_result *res = NULL;
	berth_error_t err = NULL;
	const char *cmd;
	size_t nmaps = 0;
	int c, ret;

	memset(maps, 0, sizeof(maps));
	if (argc < 2)
		return fprintf(stderr, "cnitool: missing command\n"), 2;
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "+i:a:p:b:")) != -1) {
		switch (c) {
		case 'i':
			att.ifname = optarg;
			break;
		case 'a':
			att.args = optarg;
			break;
		case 'p': {
			unsigned h, p;
			char proto[8] = "tcp";

			if (nmaps == 8 || sscanf(optarg, "%u:%u/%7s", &h, &p, proto) < 2)
				return fprintf(stderr, "cnitool: bad -p `%s`\n", optarg), 2;
			maps[nmaps].host_port = (uint16_t)h;
			maps[nmaps].container_port = (uint16_t)p;
			snprintf(maps[nmaps].protocol, sizeof(maps[nmaps].protocol), "%s", proto);
			nmaps++;
			break;
		}
		case 'b':
			bw.ingress_rate = bw.egress_rate = strtoull(optarg, NULL, 10);
			bw.ingress_burst = bw.egress_burst = bw.ingress_rate;
			att.bandwidth = &bw;
			break;
		default:
			return 2;
		}
	}
	att.port_mappings = maps;
	att.n_port_mappings = nmaps;
	if (!strcmp(cmd, "del-cached")) {
		if (argc - optind != 2)
			return 2;
		att.netns = argv[optind];
		att.container_id = argv[optind + 1];
		return cni_del(&opts, NULL, &att, &err) < 0 ? fail(&err) : 0;
	}
	if (argc - optind < 1)
		return fprintf(stderr, "cnitool: missing network\n"), 2;
	if (cni_network_load(&opts, argv[optind], &net, &err) < 0)
		return fail(&err);
	if (!strcmp(cmd, "status")) {
		ret = cni_status(&opts, net, &err);
		cni_network_free(net);
		return ret < 0 ? fail(&err) : 0;
	}
	if (argc - optind != 3)
		return fprintf(stderr, "cnitool: want NETWORK NETNS ID\n"), 2;
	att.netns = argv[optind + 1];
	att.container_id = argv[optind + 2];
	if (!strcmp(cmd, "add")) {
		ret = cni_add(&opts, net, &att, &res, &err);
		if (ret == 0) {
			char *s = cni_result_dump(res);

			printf("%s\n", s);
			free(s);
			cni_result_free(res);
		}
	} else if (!strcmp(cmd, "del")) {
		ret = cni_del(&opts, net, &att, &err);
	} else if (!strcmp(cmd, "check")) {
		ret = cni_check(&opts, net, &att, &err);
	} else {
		fprintf(stderr, "cnitool: unknown command `%s`\n", cmd);
		ret = 0;
		cni_network_free(net);
		return 2;
	}
	cni_network_free(net);
	return ret < 0 ? fail(&err) : 0;
}
