/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berth-ipam's allocator: configuration, allocation order, exhaustion, persistence, locking. */
#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>

#include "netplugins/ipam.h"
#include "util.h"

FIXTURE(ipam)
{
	char dir[64];
};

FIXTURE_SETUP(ipam)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/berth-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(self->dir) != NULL);
}

FIXTURE_TEARDOWN(ipam)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	(void)!system(cmd);
}

static int conf(const char *dir, const char *ranges_json, struct cni_ipam_conf *c,
		berth_error_t *err)
{
	char text[2048];
	json_t *j;
	int ret;

	snprintf(text, sizeof(text), "{\"type\":\"berth-ipam\",\"dataDir\":\"%s\",%s}", dir,
		 ranges_json);
	j = json_loads(text, 0, NULL);
	if (!j)
		return -1;
	ret = cni_ipam_conf_parse(j, "bt-net-unit", c, err);
	json_decref(j);
	return ret;
}

static int add(const struct cni_ipam_conf *c, const char *id, char *out, size_t size,
	       berth_error_t *err)
{
	struct cni_result res = { 0 };
	int ret = cni_ipam_add(c, id, "eth0", NULL, &res, err);

	if (ret == 0)
		snprintf(out, size, "%s", res.n_ips ? res.ips[0].address : "");
	free(res.ips);
	free(res.routes);
	return ret;
}

/* ADD for id hands out the address want. */
static void add_gets(struct harness_test *_t, const struct cni_ipam_conf *c, const char *id,
		     const char *want)
{
	char ip[64];

	ASSERT_EQ(add(c, id, ip, sizeof(ip), NULL), 0);
	EXPECT_STREQ(ip, want);
}

TEST_F(ipam, hands_out_in_order_skipping_gateway_and_reserved)
{
	struct cni_ipam_conf c;

	ASSERT_EQ(conf(self->dir,
		       "\"ranges\":[[{\"subnet\":\"198.18.1.0/29\"}]],\"reserved\":[\"198.18.1.3\"]",
		       &c, NULL),
		  0);
	add_gets(_t, &c, "a", "198.18.1.2/29");
	add_gets(_t, &c, "b", "198.18.1.4/29");
	/* Same attachment again: the same address (ADD is idempotent). */
	add_gets(_t, &c, "a", "198.18.1.2/29");
	cni_ipam_conf_release(&c);
}

TEST_F(ipam, exhausted_range_is_code_100_and_del_frees)
{
	struct cni_ipam_conf c;
	berth_error_t err = NULL;
	char ip[64];

	ASSERT_EQ(conf(self->dir, "\"ranges\":[[{\"subnet\":\"198.18.2.0/30\"}]]", &c, NULL), 0);
	add_gets(_t, &c, "a", "198.18.2.2/30");
	EXPECT_LT(add(&c, "b", ip, sizeof(ip), &err), 0);
	ASSERT_TRUE(err != NULL);
	EXPECT_EQ(err->code, CNI_ERR_ADDR_EXHAUSTED);
	EXPECT_SUBSTR(err->msg, "no free address");
	berth_error_release(&err);
	ASSERT_EQ(cni_ipam_del(&c, "a", "eth0", NULL), 0);
	ASSERT_EQ(cni_ipam_del(&c, "a", "eth0", NULL), 0); /* idempotent */
	add_gets(_t, &c, "b", "198.18.2.2/30");
	cni_ipam_conf_release(&c);
}

TEST_F(ipam, range_set_spans_ranges_and_persists)
{
	const char *ranges =
		"\"ranges\":[[{\"subnet\":\"198.18.3.0/24\",\"rangeStart\":\"198.18.3.10\","
		"\"rangeEnd\":\"198.18.3.11\"},{\"subnet\":\"198.18.4.0/24\","
		"\"rangeStart\":\"198.18.4.20\",\"rangeEnd\":\"198.18.4.20\"}]]";
	struct cni_ipam_conf c;
	char ip[64], path[256];
	struct stat st;

	ASSERT_EQ(conf(self->dir, ranges, &c, NULL), 0);
	add_gets(_t, &c, "a", "198.18.3.10/24");
	add_gets(_t, &c, "b", "198.18.3.11/24");
	add_gets(_t, &c, "c", "198.18.4.20/24");
	snprintf(path, sizeof(path), "%s/bt-net-unit/198.18.4.20", self->dir);
	EXPECT_EQ(stat(path, &st), 0);
	cni_ipam_conf_release(&c);
	/* A new process (a new conf) sees the allocations on disk. */
	ASSERT_EQ(conf(self->dir, ranges, &c, NULL), 0);
	EXPECT_LT(add(&c, "d", ip, sizeof(ip), NULL), 0);
	cni_ipam_conf_release(&c);
}

TEST_F(ipam, dual_stack_gives_one_address_per_set)
{
	struct cni_ipam_conf c;
	struct cni_result res = { 0 };

	ASSERT_EQ(conf(self->dir,
		       "\"ranges\":[[{\"subnet\":\"198.18.5.0/24\"}],[{\"subnet\":\"2001:2::/64\"}]],"
		       "\"routes\":[{\"dst\":\"0.0.0.0/0\"}]",
		       &c, NULL),
		  0);
	ASSERT_EQ(cni_ipam_add(&c, "a", "eth0", NULL, &res, NULL), 0);
	ASSERT_EQ(res.n_ips, 2);
	EXPECT_STREQ(res.ips[0].address, "198.18.5.2/24");
	EXPECT_STREQ(res.ips[0].gateway, "198.18.5.1");
	EXPECT_STREQ(res.ips[1].address, "2001:2::2/64");
	ASSERT_EQ(res.n_routes, 1);
	EXPECT_STREQ(res.routes[0].dst, "0.0.0.0/0");
	free(res.ips);
	free(res.routes);
	cni_ipam_conf_release(&c);
}

TEST_F(ipam, requested_address_and_its_errors)
{
	struct cni_ipam_conf c;
	struct cni_result res = { 0 };
	berth_error_t err = NULL;

	ASSERT_EQ(conf(self->dir, "\"ranges\":[[{\"subnet\":\"198.18.6.0/24\"}]]", &c, NULL), 0);
	ASSERT_EQ(cni_ipam_add(&c, "a", "eth0", "198.18.6.77", &res, NULL), 0);
	EXPECT_STREQ(res.ips[0].address, "198.18.6.77/24");
	free(res.ips);
	memset(&res, 0, sizeof(res));
	EXPECT_LT(cni_ipam_add(&c, "b", "eth0", "198.18.6.77", &res, &err), 0);
	EXPECT_SUBSTR(err->msg, "already allocated");
	EXPECT_LT(cni_ipam_add(&c, "b", "eth0", "198.18.9.1", &res, &err), 0);
	EXPECT_SUBSTR(err->msg, "no range");
	free(res.ips);
	berth_error_release(&err);
	cni_ipam_conf_release(&c);
}

TEST_F(ipam, bad_configurations_name_the_cause)
{
	struct cni_ipam_conf c;
	berth_error_t err = NULL;

	EXPECT_LT(conf(self->dir, "\"ranges\":[[{\"subnet\":\"198.18.0.0\"}]]", &c, &err), 0);
	EXPECT_SUBSTR(err->msg, "subnet");
	EXPECT_EQ(err->code, CNI_ERR_INVALID_NETCONF);
	EXPECT_LT(conf(self->dir,
		       "\"ranges\":[[{\"subnet\":\"198.18.0.0/24\",\"rangeStart\":\"198.18.1.1\"}]]",
		       &c, &err),
		  0);
	EXPECT_SUBSTR(err->msg, "not inside subnet");
	EXPECT_LT(conf(self->dir,
		       "\"ranges\":[[{\"subnet\":\"198.18.0.0/24\"},{\"subnet\":\"198.18.0.0/25\"}]]",
		       &c, &err),
		  0);
	EXPECT_SUBSTR(err->msg, "overlaps");
	EXPECT_LT(conf(self->dir, "\"routes\":[]", &c, &err), 0);
	EXPECT_SUBSTR(err->msg, "neither \"ranges\" nor \"subnet\"");
	EXPECT_LT(conf(self->dir, "\"ranges\":[[{\"subnet\":\"198.18.0.0/31\"}]]", &c, &err), 0);
	EXPECT_SUBSTR(err->msg, "too small");
	berth_error_release(&err);
}

/* Many processes allocating at once never share an address. */
TEST_F(ipam, concurrent_processes_get_distinct_addresses)
{
	struct cni_ipam_conf c;
	int nproc = 24;
	DIR *d;
	struct dirent *e;
	char path[256];
	int files = 0;

	ASSERT_EQ(conf(self->dir, "\"ranges\":[[{\"subnet\":\"198.18.8.0/24\"}]]", &c, NULL), 0);
	for (int i = 0; i < nproc; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			char id[32], ip[64];

			snprintf(id, sizeof(id), "c%d", i);
			_exit(add(&c, id, ip, sizeof(ip), NULL) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < nproc; i++) {
		int st;

		ASSERT_GT(wait(&st), 0);
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	snprintf(path, sizeof(path), "%s/bt-net-unit", self->dir);
	d = opendir(path);
	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		files += strncmp(e->d_name, "198.18.8.", 9) == 0;
	closedir(d);
	/* One file per address: equal counts mean no address was handed out twice. */
	EXPECT_EQ(files, nproc);
	cni_ipam_conf_release(&c);
}

TEST_MAIN()
