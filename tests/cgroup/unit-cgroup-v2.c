/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroup v2 on a hybrid host.  The v2 controller writers (memory, cpu, pids,
 * io, hugetlb) run against a scratch directory of plain files standing in for
 * a cgroup2 directory, since on this host those controllers are bound to v1;
 * the v2 freezer and cgroup.kill, which every cgroup2 directory has, run on
 * a real directory of the cgroup2 hierarchy.
 */
#include <sys/mman.h>

#include "harness.h"
#include "cgtest.h"

FIXTURE(files)
{
	char dir[64];
};

static void put(const char *dir, const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

FIXTURE_SETUP(files)
{
	static const char *const files[][2] = {
	    {"memory.max", "max"},
	    {"memory.swap.max", "max"},
	    {"memory.low", "0"},
	    {"memory.current", "4096"},
	    {"cpu.weight", "100"},
	    {"cpu.max", "max 100000"},
	    {"cpu.max.burst", "0"},
	    {"cpu.idle", "0"},
	    {"cpuset.cpus", ""},
	    {"cpuset.mems", ""},
	    {"pids.max", "max"},
	    {"io.weight", "default 100"},
	    {"io.max", ""},
	    {"hugetlb.2MB.max", "max"},
	    {"memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n"},
	};

	snprintf(self->dir, sizeof(self->dir), "/tmp/berth-test.cgv2-XXXXXX");
	ASSERT_NE(mkdtemp(self->dir), NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put(self->dir, files[i][0], files[i][1]);
}

FIXTURE_TEARDOWN(files)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (self->dir[0] && system(cmd) != 0)
		TH_LOG("teardown: %s failed", cmd);
}

static int apply(struct _fixture_files *self, const char *text, unsigned mask, char *msg,
		 size_t len)
{
	struct berth_cgroup_resources *r = cgt_res(text);
	berth_error_t err = NULL;
	int ret = r ? berth_cg_v2_apply(self->dir, mask, r, &err) : -100;

	snprintf(msg, len, "%s", err ? err->msg : "");
	berth_error_release(&err);
	berth_cgroup_resources_free(r);
	return ret;
}

static const char *get(struct _fixture_files *self, const char *file, char *buf, size_t len)
{
	return cgt_readf(buf, len, "%s/%s", self->dir, file);
}

#define ALL 0xffffffffu

TEST_F(files, memory_limit_swap_and_low)
{
	char msg[512], buf[128];

	ASSERT_EQ(apply(self,
			"{\"memory\": {\"limit\": 67108864, \"swap\": 100663296,"
			" \"reservation\": 33554432}}",
			ALL, msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(get(self, "memory.max", buf, sizeof(buf)), "67108864");
	/* The spec's swap counts memory too; memory.swap.max is swap alone. */
	EXPECT_STREQ(get(self, "memory.swap.max", buf, sizeof(buf)), "33554432");
	EXPECT_STREQ(get(self, "memory.low", buf, sizeof(buf)), "33554432");
	ASSERT_EQ(apply(self, "{\"memory\": {\"limit\": -1, \"swap\": -1}}", ALL, msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(get(self, "memory.max", buf, sizeof(buf)), "max");
	EXPECT_STREQ(get(self, "memory.swap.max", buf, sizeof(buf)), "max");
}

TEST_F(files, swap_alone_is_measured_against_the_current_limit)
{
	char msg[512], buf[128];

	put(self->dir, "memory.max", "67108864");
	ASSERT_EQ(apply(self, "{\"memory\": {\"swap\": 134217728}}", ALL, msg, sizeof(msg)), 0);
	EXPECT_STREQ(get(self, "memory.swap.max", buf, sizeof(buf)), "67108864");
	put(self->dir, "memory.max", "max");
	EXPECT_LT(apply(self, "{\"memory\": {\"swap\": 134217728}}", ALL, msg, sizeof(msg)), 0);
	EXPECT_SUBSTR(msg, "linux.resources.memory.swap: a swap limit needs a memory limit");
}

TEST_F(files, memory_refusals_name_the_field)
{
	char msg[512];

	EXPECT_LT(apply(self, "{\"memory\": {\"limit\": 67108864, \"swap\": 1048576}}", ALL, msg,
			sizeof(msg)),
		  0);
	EXPECT_SUBSTR(msg, "linux.resources.memory.swap: 1048576 is below memory.limit");
	EXPECT_LT(apply(self, "{\"memory\": {\"disableOOMKiller\": true}}", ALL, msg, sizeof(msg)),
		  0);
	EXPECT_SUBSTR(msg, "linux.resources.memory.disableOOMKiller");
	EXPECT_LT(apply(self, "{\"memory\": {\"limit\": 1024, \"checkBeforeUpdate\": true}}", ALL,
			msg, sizeof(msg)),
		  0);
	EXPECT_SUBSTR(msg, "below the current usage 4096");
}

TEST_F(files, cpu_weight_max_and_burst)
{
	char msg[512], buf[128];

	ASSERT_EQ(apply(self, "{\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"burst\": 1000}}",
			ALL, msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(get(self, "cpu.weight", buf, sizeof(buf)), "39");
	/* The period already there is kept. */
	EXPECT_STREQ(get(self, "cpu.max", buf, sizeof(buf)), "50000 100000");
	EXPECT_STREQ(get(self, "cpu.max.burst", buf, sizeof(buf)), "1000");
	ASSERT_EQ(apply(self, "{\"cpu\": {\"period\": 20000}}", ALL, msg, sizeof(msg)), 0);
	EXPECT_STREQ(get(self, "cpu.max", buf, sizeof(buf)), "50000 20000");
	ASSERT_EQ(apply(self, "{\"cpu\": {\"quota\": -1}}", ALL, msg, sizeof(msg)), 0);
	EXPECT_STREQ(get(self, "cpu.max", buf, sizeof(buf)), "max 20000");
	EXPECT_LT(apply(self, "{\"cpu\": {\"realtimeRuntime\": 1000}}", ALL, msg, sizeof(msg)), 0);
	EXPECT_SUBSTR(msg, "linux.resources.cpu.realtimeRuntime");
}

TEST_F(files, cpuset_pids_io_hugetlb)
{
	char msg[512], buf[128];

	ASSERT_EQ(apply(self,
			"{\"cpu\": {\"cpus\": \"0-1\", \"mems\": \"0\"}, \"pids\": {\"limit\": 64},"
			" \"blockIO\": {\"weight\": 500},"
			" \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 2097152}]}",
			ALL, msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(get(self, "cpuset.cpus", buf, sizeof(buf)), "0-1");
	EXPECT_STREQ(get(self, "cpuset.mems", buf, sizeof(buf)), "0");
	EXPECT_STREQ(get(self, "pids.max", buf, sizeof(buf)), "64");
	EXPECT_STREQ(get(self, "io.weight", buf, sizeof(buf)), "default 4950");
	EXPECT_STREQ(get(self, "hugetlb.2MB.max", buf, sizeof(buf)), "2097152");
	ASSERT_EQ(apply(self,
			"{\"blockIO\": {\"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 16,"
			" \"rate\": 1000}]}, \"pids\": {\"limit\": 0}}",
			ALL, msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(get(self, "io.max", buf, sizeof(buf)), "8:16 wbps=1000");
	EXPECT_STREQ(get(self, "pids.max", buf, sizeof(buf)), "max");
}

TEST_F(files, only_the_controllers_of_the_mask_are_touched)
{
	char msg[512], buf[128];

	ASSERT_EQ(apply(self, "{\"memory\": {\"limit\": 4096}, \"pids\": {\"limit\": 5}}",
			BERTH_CG_BIT(BERTH_CG_HUGETLB), msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(get(self, "memory.max", buf, sizeof(buf)), "max");
	EXPECT_STREQ(get(self, "pids.max", buf, sizeof(buf)), "max");
}

TEST_F(files, unified_keys_and_oom_count)
{
	struct berth_cgroup_resources *r = cgt_res("{\"unified\": {\"memory.low\": \"123\"}}");
	berth_error_t err = NULL;
	uint64_t n = 0;
	char buf[128];

	ASSERT_NE(r, NULL);
	ASSERT_EQ(berth_cg_v2_unified(self->dir, r, &err), 0);
	EXPECT_STREQ(get(self, "memory.low", buf, sizeof(buf)), "123");
	berth_cgroup_resources_free(r);
	r = cgt_res("{\"unified\": {\"rdma.max\": \"x\"}}");
	ASSERT_NE(r, NULL);
	EXPECT_LT(berth_cg_v2_unified(self->dir, r, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "linux.resources.unified `rdma.max`");
	EXPECT_SUBSTR(err->msg, "rdma controller");
	berth_error_release(&err);
	berth_cgroup_resources_free(r);
	ASSERT_EQ(berth_cg_v2_oom_count(self->dir, &n, &err), 0);
	EXPECT_EQ(n, 1);
}

/* ---- the real cgroup2 hierarchy ---- */

FIXTURE(v2)
{
	char dir[256];
	pid_t child;
	volatile unsigned long *counter;
};

FIXTURE_SETUP(v2)
{
	const char *m = access(CG_ROOT "/unified/cgroup.procs", F_OK) == 0     ? CG_ROOT "/unified"
			: access(CG_ROOT "/cgroup.subtree_control", F_OK) == 0 ? CG_ROOT
									       : NULL;
	int gate = -1;
	berth_error_t err = NULL;

	if (getuid() != 0)
		SKIP("needs root");
	if (m == NULL)
		SKIP("no cgroup2 hierarchy");
	snprintf(self->dir, sizeof(self->dir), "%s/bt-cg-v2-%d", m, (int)getpid());
	ASSERT_EQ(mkdir(self->dir, 0755), 0);
	self->counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(self->counter, MAP_FAILED);
	self->child = cgt_fork_gated(&gate);
	if (self->child == 0)
		for (;;)
			(*self->counter)++;
	ASSERT_GT(self->child, 0);
	ASSERT_EQ(berth_cg_writef(self->dir, "cgroup.procs", "join", &err, "%d", (int)self->child),
		  0);
	cgt_open_gate(gate);
}

FIXTURE_TEARDOWN(v2)
{
	cgt_reap(self->child);
	if (self->dir[0])
		cgt_rmtree(self->dir);
}

static unsigned long progress(volatile unsigned long *c)
{
	unsigned long v = *c;

	cgt_sleep_ms(50);
	return *c - v;
}

TEST_F(v2, freeze_and_thaw_with_cgroup_freeze)
{
	berth_error_t err = NULL;
	bool frozen = true;
	char buf[256];
	int moved = 0;

	ASSERT_EQ(berth_cg_v2_is_frozen(self->dir, &frozen, &err), 0);
	EXPECT_FALSE(frozen);
	ASSERT_EQ(berth_cg_v2_freeze(self->dir, true, &err), 0);
	EXPECT_SUBSTR(cgt_readf(buf, sizeof(buf), "%s/cgroup.events", self->dir), "frozen 1");
	ASSERT_EQ(berth_cg_v2_is_frozen(self->dir, &frozen, &err), 0);
	EXPECT_TRUE(frozen);
	EXPECT_EQ(progress(self->counter), 0);
	ASSERT_EQ(berth_cg_v2_freeze(self->dir, false, &err), 0);
	EXPECT_SUBSTR(cgt_readf(buf, sizeof(buf), "%s/cgroup.events", self->dir), "frozen 0");
	for (int i = 0; i < 100 && !moved; i++)
		moved = progress(self->counter) > 0;
	EXPECT_TRUE(moved);
}

TEST_F(v2, freeze_of_a_missing_cgroup_names_it)
{
	berth_error_t err = NULL;
	char missing[300];

	snprintf(missing, sizeof(missing), "%s/nope", self->dir);
	EXPECT_LT(berth_cg_v2_freeze(missing, true, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, missing);
	berth_error_release(&err);
}

TEST_MAIN()
