/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Layout detection on fake mountinfo (v1, v2, hybrid), paths, and linux.resources parsing. */
#include <stdarg.h>

#include "harness.h"
#include "cgtest.h"

static const char *const mi_v1 =
    "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "25 22 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "28 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "29 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "30 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
    "31 25 0:29 / /sys/fs/cgroup/hugetlb rw - cgroup cgroup rw,hugetlb\n"
    /* the same memory hierarchy mounted a second time */
    "40 25 0:27 / /mnt/mem\\040again rw - cgroup cgroup rw,memory\n";

static const char *const mi_v2 =
    "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

static const char *const mi_hybrid =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static const struct berth_cg_hier *find(const struct berth_cg_layout *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->h[i].name, name) == 0)
			return &l->h[i];
	return NULL;
}

TEST(layout_pure_v1)
{
	struct berth_cg_layout *l = NULL;
	berth_error_t err = NULL;
	const struct berth_cg_hier *h;

	ASSERT_EQ(berth_cg_layout_parse(mi_v1, NULL, &l, &err), 0);
	EXPECT_EQ(l->mode, BERTH_CG_MODE_V1);
	EXPECT_EQ(l->n, 5); /* the second memory mount is the same hierarchy */
	h = find(l, "cpu,cpuacct");
	ASSERT_NE(h, NULL);
	EXPECT_STREQ(h->mount, "/sys/fs/cgroup/cpu,cpuacct");
	EXPECT_EQ(h->mask, BERTH_CG_BIT(BERTH_CG_CPU) | BERTH_CG_BIT(BERTH_CG_CPUACCT));
	EXPECT_FALSE(h->v2);
	h = find(l, "name=systemd");
	ASSERT_NE(h, NULL);
	EXPECT_EQ(h->mask, 0);
	h = find(l, "hugetlb");
	ASSERT_NE(h, NULL);
	EXPECT_EQ(h->mask, BERTH_CG_BIT(BERTH_CG_HUGETLB));
	EXPECT_NE(find(l, "net_cls,net_prio"), NULL);
	berth_cg_layout_free(l);
}

TEST(layout_pure_v2)
{
	struct berth_cg_layout *l = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(
	    berth_cg_layout_parse(mi_v2, "cpuset cpu io memory hugetlb pids rdma misc\n", &l, &err),
	    0);
	EXPECT_EQ(l->mode, BERTH_CG_MODE_V2);
	ASSERT_EQ(l->n, 1);
	EXPECT_TRUE(l->h[0].v2);
	EXPECT_STREQ(l->h[0].mount, "/sys/fs/cgroup");
	EXPECT_TRUE(l->h[0].mask & BERTH_CG_BIT(BERTH_CG_MEMORY));
	EXPECT_TRUE(l->h[0].mask & BERTH_CG_BIT(BERTH_CG_BLKIO)); /* "io" */
	EXPECT_TRUE(l->h[0].mask & BERTH_CG_BIT(BERTH_CG_FREEZER));
	EXPECT_TRUE(l->h[0].mask & BERTH_CG_BIT(BERTH_CG_DEVICES));
	EXPECT_FALSE(l->h[0].mask & BERTH_CG_BIT(BERTH_CG_NET_CLS));
	berth_cg_layout_free(l);
}

TEST(layout_hybrid_binds_hugetlb_to_unified)
{
	struct berth_cg_layout *l = NULL;
	berth_error_t err = NULL;
	const struct berth_cg_hier *u;

	ASSERT_EQ(berth_cg_layout_parse(mi_hybrid, "hugetlb", &l, &err), 0);
	EXPECT_EQ(l->mode, BERTH_CG_MODE_HYBRID);
	EXPECT_EQ(l->n, 5);
	u = find(l, "unified");
	ASSERT_NE(u, NULL);
	EXPECT_TRUE(u->v2);
	EXPECT_STREQ(u->mount, "/sys/fs/cgroup/unified");
	EXPECT_TRUE(u->mask & BERTH_CG_BIT(BERTH_CG_HUGETLB));
	EXPECT_FALSE(u->mask & BERTH_CG_BIT(BERTH_CG_MEMORY));
	EXPECT_TRUE(find(l, "memory")->mask & BERTH_CG_BIT(BERTH_CG_MEMORY));
	berth_cg_layout_free(l);
}

TEST(layout_without_cgroups_is_an_error)
{
	struct berth_cg_layout *l = NULL;
	berth_error_t err = NULL;

	EXPECT_LT(berth_cg_layout_parse("22 1 0:21 / /sys rw - sysfs sysfs rw\n", "", &l, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "no cgroup hierarchy");
	EXPECT_EQ(l, NULL);
	berth_error_release(&err);
}

TEST(layout_detects_this_host)
{
	struct berth_cg_layout *l = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(berth_cg_layout_detect(&l, &err), 0);
	EXPECT_GE(l->n, 1);
	berth_cg_layout_free(l);
}

TEST(hier_dir_absolute_and_relative)
{
	const char *self = "9:name=systemd:/user.slice\n"
			   "4:memory:/process_api/abc\n"
			   "1:cpu:/\n"
			   "0::/init.scope\n";
	struct berth_cg_layout *l = NULL;
	berth_error_t err = NULL;
	char *dir = NULL;

	ASSERT_EQ(berth_cg_layout_parse(mi_hybrid, "hugetlb", &l, &err), 0);
	ASSERT_EQ(berth_cg_hier_dir(find(l, "memory"), "/berth/web", self, &dir, &err), 0);
	EXPECT_STREQ(dir, "/sys/fs/cgroup/memory/berth/web");
	free(dir);
	ASSERT_EQ(berth_cg_hier_dir(find(l, "memory"), "berth/web", self, &dir, &err), 0);
	EXPECT_STREQ(dir, "/sys/fs/cgroup/memory/process_api/abc/berth/web");
	free(dir);
	ASSERT_EQ(berth_cg_hier_dir(find(l, "cpu"), "web", self, &dir, &err), 0);
	EXPECT_STREQ(dir, "/sys/fs/cgroup/cpu/web");
	free(dir);
	ASSERT_EQ(berth_cg_hier_dir(find(l, "unified"), "web", self, &dir, &err), 0);
	EXPECT_STREQ(dir, "/sys/fs/cgroup/unified/init.scope/web");
	free(dir);
	ASSERT_EQ(berth_cg_hier_dir(find(l, "name=systemd"), "web", self, &dir, &err), 0);
	EXPECT_STREQ(dir, "/sys/fs/cgroup/systemd/user.slice/web");
	free(dir);
	/* A hierarchy missing from /proc/self/cgroup: relative paths cannot work. */
	EXPECT_LT(berth_cg_hier_dir(find(l, "cpuacct"), "web", self, &dir, &err), 0);
	EXPECT_SUBSTR(err->msg, "cpuacct");
	berth_error_release(&err);
	berth_cg_layout_free(l);
}

TEST(hier_dir_strips_mount_root)
{
	const char *mi = "25 22 0:23 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	struct berth_cg_layout *l = NULL;
	berth_error_t err = NULL;
	char *dir = NULL;

	ASSERT_EQ(berth_cg_layout_parse(mi, "memory pids", &l, &err), 0);
	ASSERT_EQ(berth_cg_hier_dir(&l->h[0], "sub", "0::/docker/abc/init\n", &dir, &err), 0);
	EXPECT_STREQ(dir, "/sys/fs/cgroup/init/sub");
	free(dir);
	berth_cg_layout_free(l);
}

TEST(path_check_refuses_dotdot_systemd_and_controls)
{
	berth_error_t err = NULL;

	EXPECT_EQ(berth_cg_path_check("/berth/web", &err), 0);
	EXPECT_EQ(berth_cg_path_check("k8s.io/abc", &err), 0);
	EXPECT_LT(berth_cg_path_check("/berth/../../etc", &err), 0);
	EXPECT_SUBSTR(err->msg, "`..`");
	EXPECT_LT(berth_cg_path_check("..", &err), 0);
	EXPECT_LT(berth_cg_path_check("a/./b", &err), 0);
	EXPECT_LT(berth_cg_path_check("system.slice:berth:web", &err), 0);
	EXPECT_SUBSTR(err->msg, "systemd");
	EXPECT_LT(berth_cg_path_check("//", &err), 0);
	EXPECT_SUBSTR(err->msg, "root cgroup");
	EXPECT_LT(berth_cg_path_check("/a\nb", &err), 0);
	EXPECT_SUBSTR(err->msg, "control character");
	berth_error_release(&err);
}

/* Parse text as linux.resources and expect an error containing want. */
static int parse_fails_with(const char *text, const char *want, char *got, size_t len)
{
	json_t *j = cgt_json(text);
	struct berth_cgroup_resources *r = NULL;
	berth_error_t err = NULL;
	int ret = berth_cgroup_resources_parse(j, &r, &err);

	json_decref(j);
	snprintf(got, len, "%s", err ? err->msg : "(no error)");
	berth_error_release(&err);
	berth_cgroup_resources_free(r);
	return ret < 0 && r == NULL && strstr(got, want) != NULL;
}

#define EXPECT_PARSE_ERR(text, want)                                                               \
	do {                                                                                       \
		char _got[512];                                                                    \
		if (!parse_fails_with(text, want, _got, sizeof(_got)))                             \
			_HARNESS_FAIL("EXPECT", "%s: got `%s`", want, _got);                       \
	} while (0)

TEST(resources_bad_types_name_the_field)
{
	EXPECT_PARSE_ERR("[]", "linux.resources: expected an object, got an array");
	EXPECT_PARSE_ERR("{\"memory\": 5}",
			 "linux.resources.memory: expected an object, got an integer");
	EXPECT_PARSE_ERR("{\"memory\": {\"limit\": \"1G\"}}",
			 "linux.resources.memory.limit: expected an integer, got a string");
	EXPECT_PARSE_ERR("{\"memory\": {\"limit\": 1.5}}", "memory.limit: expected an integer");
	EXPECT_PARSE_ERR("{\"memory\": {\"swappiness\": 200}}",
			 "linux.resources.memory.swappiness: 200 is not within 0..100");
	EXPECT_PARSE_ERR("{\"memory\": {\"disableOOMKiller\": 1}}",
			 "memory.disableOOMKiller: expected a boolean");
	EXPECT_PARSE_ERR("{\"memory\": {\"limit\": -2}}", "memory.limit: -2 is not within");
	EXPECT_PARSE_ERR("{\"cpu\": {\"cpus\": 3}}", "linux.resources.cpu.cpus: expected a string");
	EXPECT_PARSE_ERR("{\"cpu\": {\"cpus\": \"0;rm\"}}", "cpu.cpus: `0;rm` is not a list");
	EXPECT_PARSE_ERR("{\"cpu\": {\"idle\": 2}}", "cpu.idle: 2 is not within 0..1");
	EXPECT_PARSE_ERR("{\"pids\": {\"limit\": true}}", "pids.limit: expected an integer");
	EXPECT_PARSE_ERR("{\"blockIO\": {\"weight\": 5}}",
			 "blockIO.weight: 5 is not within 10..1000");
	EXPECT_PARSE_ERR("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8}]}}",
			 "throttleReadBpsDevice[0]: major and minor are required");
	EXPECT_PARSE_ERR(
	    "{\"blockIO\": {\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0}]}}",
	    "throttleWriteIOPSDevice[0].rate: required");
	EXPECT_PARSE_ERR("{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
			 "hugepageLimits[0].pageSize: `2M` is not a size");
	EXPECT_PARSE_ERR("{\"hugepageLimits\": {}}", "hugepageLimits: expected an array");
	EXPECT_PARSE_ERR("{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}",
			 "devices[0].type: `x` is not one of a, c, b");
	EXPECT_PARSE_ERR("{\"devices\": [{\"allow\": true, \"access\": \"rx\"}]}",
			 "devices[0].access: `rx` is not made of r, w, m");
	EXPECT_PARSE_ERR("{\"devices\": [{\"type\": \"c\"}]}", "devices[0].allow: required");
	EXPECT_PARSE_ERR("{\"devices\": [5]}", "devices[0]: expected an object");
	EXPECT_PARSE_ERR("{\"unified\": {\"memory.max\": 5}}",
			 "unified.memory.max: expected a string");
	EXPECT_PARSE_ERR("{\"unified\": {\"../etc/passwd\": \"x\"}}", "is not a controller file");
	EXPECT_PARSE_ERR("{\"unified\": {\"cgroup.procs\": \"1\"}}", "is not a controller file");
	EXPECT_PARSE_ERR("{\"network\": {\"priorities\": [{\"name\": \"a b\", \"priority\": 1}]}}",
			 "is not an interface name");
	EXPECT_PARSE_ERR("{\"rdma\": {\"mlx5_0\": {\"hcaHandles\": 1}}}",
			 "unsupported: linux.resources.rdma");
}

TEST(resources_parse_values)
{
	struct berth_cgroup_resources *r = cgt_res(
	    "{\"memory\": {\"limit\": 1048576, \"swap\": -1, \"swappiness\": 0},"
	    " \"cpu\": {\"shares\": 0, \"quota\": -1, \"period\": 100000, \"cpus\": \"0-1\"},"
	    " \"pids\": {\"limit\": 0},"
	    " \"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 500}],"
	    "   \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 42}]},"
	    " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],"
	    " \"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
	    "   {\"allow\": true, \"type\": \"c\", \"major\": 10, \"access\": \"rrw\"}],"
	    " \"unified\": {\"memory.high\": \"max\"}, \"unknownField\": 1}");

	ASSERT_NE(r, NULL);
	EXPECT_EQ(r->mem_limit, 1048576);
	EXPECT_EQ(r->mem_swap, -1);
	EXPECT_EQ(r->mem_swappiness, 0);
	EXPECT_EQ(r->mem_reservation, BERTH_CG_UNSET);
	EXPECT_EQ(r->cpu_shares, BERTH_CG_UNSET); /* 0 = unset */
	EXPECT_EQ(r->cpu_quota, -1);
	EXPECT_EQ(r->cpu_period, 100000);
	EXPECT_STREQ(r->cpus, "0-1");
	EXPECT_EQ(r->mems, NULL);
	EXPECT_EQ(r->pids_limit, 0);
	ASSERT_EQ(r->n_weight_device, 1);
	EXPECT_EQ(r->weight_device[0].weight, 500);
	EXPECT_EQ(r->weight_device[0].leaf_weight, BERTH_CG_UNSET);
	ASSERT_EQ(r->n_throttle[BERTH_CG_THROTTLE_READ_BPS], 1);
	EXPECT_EQ(r->throttle[BERTH_CG_THROTTLE_READ_BPS][0].rate, 42);
	ASSERT_EQ(r->n_hugetlb, 1);
	EXPECT_STREQ(r->hugetlb[0].page_size, "2MB");
	ASSERT_EQ(r->n_devices, 2);
	EXPECT_EQ(r->devices[0].type, 'a');
	EXPECT_EQ(r->devices[0].major, -1);
	EXPECT_EQ(r->devices[1].major, 10);
	EXPECT_EQ(r->devices[1].minor, -1);
	EXPECT_STREQ(r->devices[1].access, "rw");
	ASSERT_EQ(r->n_unified, 1);
	EXPECT_STREQ(r->unified[0].key, "memory.high");
	berth_cgroup_resources_free(r);
}

TEST(resources_null_sets_nothing)
{
	struct berth_cgroup_resources *r = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(berth_cgroup_resources_parse(NULL, &r, &err), 0);
	EXPECT_EQ(r->mem_limit, BERTH_CG_UNSET);
	EXPECT_EQ(r->pids_limit, BERTH_CG_UNSET);
	EXPECT_FALSE(r->has_devices);
	berth_cgroup_resources_free(r);
}

TEST(shares_and_blkio_weight_conversions)
{
	EXPECT_EQ(berth_cg_shares_to_weight(2), 1);
	EXPECT_EQ(berth_cg_shares_to_weight(1024), 39);
	EXPECT_EQ(berth_cg_shares_to_weight(262144), 10000);
	EXPECT_EQ(berth_cg_shares_to_weight(0), 0);
	EXPECT_EQ(berth_cg_blkio_to_io_weight(10), 1);
	EXPECT_EQ(berth_cg_blkio_to_io_weight(1000), 10000);
	EXPECT_EQ(berth_cg_blkio_to_io_weight(500), 4950);
}

TEST(device_defaults_follow_a_leading_deny_all)
{
	struct berth_cgroup_resources *r =
	    cgt_res("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
		    " {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 3}]}");
	struct berth_cgroup_device_rule *rules = NULL;
	berth_error_t err = NULL;
	size_t n = 0;
	bool null_allowed = false;

	ASSERT_NE(r, NULL);
	ASSERT_EQ(berth_cg_device_rules(r, &rules, &n, &err), 0);
	ASSERT_GT(n, 10);
	EXPECT_FALSE(rules[0].allow);
	/* The spec's own rule comes last, so it overrides the default for /dev/null. */
	EXPECT_FALSE(rules[n - 1].allow);
	EXPECT_EQ(rules[n - 1].major, 1);
	for (size_t i = 1; i < n - 1; i++)
		if (rules[i].allow && rules[i].major == 1 && rules[i].minor == 3)
			null_allowed = true;
	EXPECT_TRUE(null_allowed);
	free(rules);
	berth_cgroup_resources_free(r);

	/* Without a leading deny-all the rules are taken as written. */
	r = cgt_res(
	    "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3}]}");
	ASSERT_NE(r, NULL);
	ASSERT_EQ(berth_cg_device_rules(r, &rules, &n, &err), 0);
	EXPECT_EQ(n, 1);
	free(rules);
	berth_cgroup_resources_free(r);
}

TEST(state_json_malformed_is_refused)
{
	const char *bad[] = {
	    "{}",
	    "{\"mode\": \"v3\", \"path\": \"/x\", \"dirs\": []}",
	    "{\"mode\": \"v1\", \"path\": \"/x\", \"dirs\": [{\"name\": \"memory\", \"dir\": "
	    "\"rel\", \"v2\": false, \"controllers\": []}]}",
	    "{\"mode\": \"v1\", \"path\": \"/x\", \"dirs\": [{\"name\": \"memory\", \"dir\": "
	    "\"/sys/fs/cgroup/memory/x\", \"v2\": false, \"controllers\": [\"bogus\"]}]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = cgt_json(bad[i]);
		struct berth_cgroup *cg = NULL;
		berth_error_t err = NULL;

		EXPECT_LT(berth_cgroup_from_json(j, &cg, &err), 0);
		EXPECT_EQ(cg, NULL);
		if (err)
			EXPECT_SUBSTR(err->msg, "cgroup state");
		berth_error_release(&err);
		json_decref(j);
	}
}

TEST_MAIN()
