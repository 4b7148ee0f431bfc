/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berth-ipam: host-local style IPAM plugin (CNI 1.0).  See berth-ipam(8). */
#include "netplugins/ipam.h"

static const struct cni_plugin ipam_plugin = {
	.name = "berth-ipam",
	.add = cni_ipam_cmd_add,
	.del = cni_ipam_cmd_del,
	.check = cni_ipam_cmd_check,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&ipam_plugin, argc, argv);
}
