/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Real cgroups on this host: each test works below /bt-cg-<pid> in every
 * hierarchy, reads the controller files back, and removes it all on teardown.
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include "harness.h"
#include "cgtest.h"

FIXTURE(cg)
{
	char parent[64]; /* "/bt-cg-<pid>" */
	char path[96];	 /* "/bt-cg-<pid>/c" */
	struct berth_cgroup *cg;
	pid_t child[4];
	char tmp[64];
	bool rm_berth; /* the test made /berth: remove it if empty */
};

FIXTURE_SETUP(cg)
{
	snprintf(self->parent, sizeof(self->parent), "/bt-cg-%d", (int)getpid());
	snprintf(self->path, sizeof(self->path), "%s/c", self->parent);
	if (getuid() != 0)
		SKIP("needs root");
}

FIXTURE_TEARDOWN(cg)
{
	berth_error_t err = NULL;

	for (int i = 0; i < 4; i++)
		cgt_reap(self->child[i]);
	if (self->cg) {
		berth_cgroup_kill(self->cg, SIGKILL, &err);
		berth_error_release(&err);
		if (berth_cgroup_destroy(self->cg, &err) < 0) {
			TH_LOG("teardown: %s", err->msg);
			berth_error_release(&err);
		}
		berth_cgroup_free(self->cg);
	}
	cgt_remove_everywhere(self->parent);
	if (self->rm_berth)
		cgt_rmdir_everywhere("/berth");
	if (self->tmp[0]) {
		umount2(self->tmp, MNT_DETACH);
		rmdir(self->tmp);
	}
}

/* Create self->path with resources text (NULL: none) and pid; logs the error. */
static int make(struct _fixture_cg *self, const char *res_text, pid_t pid)
{
	struct berth_cgroup_resources *r = res_text ? cgt_res(res_text) : NULL;
	berth_error_t err = NULL;
	int ret;

	if (res_text && r == NULL)
		return -1;
	ret = berth_cgroup_create(self->path, "bt-cg", r, pid, &self->cg, &err);
	if (ret < 0) {
		fprintf(stdout, "# create: %s\n", err->msg);
		berth_error_release(&err);
	}
	berth_cgroup_resources_free(r);
	return ret;
}

/* Value of file in the directory of hierarchy `hier` ("memory", "unified", ...). */
static const char *file_of(struct _fixture_cg *self, const char *hier, const char *file, char *buf,
			   size_t len)
{
	return cgt_readf(buf, len, CG_ROOT "/%s%s/%s", hier, self->path, file);
}

TEST_F(cg, created_in_every_hierarchy_and_destroyed)
{
	const char *hiers[] = {"cpu",	  "cpuacct", "cpuset", "memory",  "devices",
			       "freezer", "blkio",   "pids",   "systemd", "unified"};
	berth_error_t err = NULL;
	char buf[512];

	ASSERT_EQ(make(self, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(hiers) / sizeof(hiers[0]); i++) {
		char dir[256];

		snprintf(dir, sizeof(dir), CG_ROOT "/%s%s", hiers[i], self->path);
		EXPECT_TRUE(cgt_is_dir(dir));
	}
	/* A new cpuset got its parent's cpus and mems so processes can join it. */
	EXPECT_STRNE(file_of(self, "cpuset", "cpuset.cpus", buf, sizeof(buf)), "");
	EXPECT_STRNE(file_of(self, "cpuset", "cpuset.mems", buf, sizeof(buf)), "");
	ASSERT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
	EXPECT_EQ(cgt_exists_anywhere(self->path, buf, sizeof(buf)), NULL);
	/* Destroying again finds nothing and is fine. */
	EXPECT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
}

TEST_F(cg, default_path_is_berth_id)
{
	char id[64], path[128], buf[512];
	berth_error_t err = NULL;

	self->rm_berth = !cgt_is_dir(CG_ROOT "/memory/berth");
	snprintf(id, sizeof(id), "bt-cg-def-%d", (int)getpid());
	snprintf(path, sizeof(path), "/berth/%s", id);
	ASSERT_EQ(berth_cgroup_create(NULL, id, NULL, 0, &self->cg, &err), 0);
	EXPECT_STREQ(berth_cgroup_path(self->cg), path);
	snprintf(buf, sizeof(buf), CG_ROOT "/memory%s", path);
	EXPECT_TRUE(cgt_is_dir(buf));
	EXPECT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
	EXPECT_EQ(cgt_exists_anywhere(path, buf, sizeof(buf)), NULL);
}

TEST_F(cg, relative_path_is_below_own_cgroup)
{
	char rel[64], want[512], self_cg[4096];
	berth_error_t err = NULL;
	const char *mem;

	snprintf(rel, sizeof(rel), "bt-cg-rel-%d", (int)getpid());
	cgt_read("/proc/self/cgroup", self_cg, sizeof(self_cg));
	mem = strstr(self_cg, ":memory:");
	ASSERT_NE(mem, NULL);
	mem += strlen(":memory:");
	snprintf(want, sizeof(want), CG_ROOT "/memory%.*s/%s", (int)strcspn(mem, "\n"), mem, rel);
	if (strncmp(mem, "/\n", 2) == 0)
		snprintf(want, sizeof(want), CG_ROOT "/memory/%s", rel);
	ASSERT_EQ(berth_cgroup_create(rel, "x", NULL, 0, &self->cg, &err), 0);
	EXPECT_TRUE(cgt_is_dir(want));
	EXPECT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
	EXPECT_FALSE(cgt_is_dir(want));
}

TEST_F(cg, memory_limits_v1)
{
	char buf[512];

	ASSERT_EQ(make(self,
		       "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432,"
		       " \"swap\": 134217728, \"swappiness\": 10, \"disableOOMKiller\": true}}",
		       0),
		  0);
	EXPECT_STREQ(file_of(self, "memory", "memory.limit_in_bytes", buf, sizeof(buf)),
		     "67108864");
	EXPECT_STREQ(file_of(self, "memory", "memory.soft_limit_in_bytes", buf, sizeof(buf)),
		     "33554432");
	EXPECT_STREQ(file_of(self, "memory", "memory.memsw.limit_in_bytes", buf, sizeof(buf)),
		     "134217728");
	EXPECT_STREQ(file_of(self, "memory", "memory.swappiness", buf, sizeof(buf)), "10");
	EXPECT_SUBSTR(file_of(self, "memory", "memory.oom_control", buf, sizeof(buf)),
		      "oom_kill_disable 1");
}

TEST_F(cg, memory_update_grows_limit_and_swap_in_order)
{
	struct berth_cgroup_resources *r = NULL;
	berth_error_t err = NULL;
	char buf[512];

	ASSERT_EQ(make(self, "{\"memory\": {\"limit\": 16777216, \"swap\": 16777216}}", 0), 0);
	/* Both grow past the old memsw limit: memsw must be raised first. */
	r = cgt_res("{\"memory\": {\"limit\": 67108864, \"swap\": 67108864}}");
	ASSERT_NE(r, NULL);
	ASSERT_EQ(berth_cgroup_update(self->cg, r, &err), 0);
	berth_cgroup_resources_free(r);
	EXPECT_STREQ(file_of(self, "memory", "memory.limit_in_bytes", buf, sizeof(buf)),
		     "67108864");
	EXPECT_STREQ(file_of(self, "memory", "memory.memsw.limit_in_bytes", buf, sizeof(buf)),
		     "67108864");
	/* And shrink again. */
	r = cgt_res("{\"memory\": {\"limit\": 8388608, \"swap\": 8388608}}");
	ASSERT_NE(r, NULL);
	ASSERT_EQ(berth_cgroup_update(self->cg, r, &err), 0);
	berth_cgroup_resources_free(r);
	EXPECT_STREQ(file_of(self, "memory", "memory.limit_in_bytes", buf, sizeof(buf)), "8388608");
}

TEST_F(cg, cpu_and_cpuset_limits_v1)
{
	char buf[512];

	ASSERT_EQ(make(self,
		       "{\"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000,"
		       " \"cpus\": \"0\", \"mems\": \"0\", \"idle\": 0}}",
		       0),
		  0);
	EXPECT_STREQ(file_of(self, "cpu", "cpu.shares", buf, sizeof(buf)), "512");
	EXPECT_STREQ(file_of(self, "cpu", "cpu.cfs_quota_us", buf, sizeof(buf)), "50000");
	EXPECT_STREQ(file_of(self, "cpu", "cpu.cfs_period_us", buf, sizeof(buf)), "100000");
	EXPECT_STREQ(file_of(self, "cpuset", "cpuset.cpus", buf, sizeof(buf)), "0");
	EXPECT_STREQ(file_of(self, "cpuset", "cpuset.mems", buf, sizeof(buf)), "0");
}

TEST_F(cg, cpu_realtime_v1)
{
	struct berth_cgroup *parent = NULL;
	berth_error_t err = NULL;
	struct berth_cgroup_resources *r;
	char buf[512];

	if (!cgt_is_dir(CG_ROOT "/cpu") || access(CG_ROOT "/cpu/cpu.rt_runtime_us", F_OK) < 0)
		SKIP("kernel without realtime group scheduling");
	/* A child can only get realtime time that its parent holds. */
	r = cgt_res("{\"cpu\": {\"realtimePeriod\": 1000000, \"realtimeRuntime\": 20000}}");
	ASSERT_NE(r, NULL);
	ASSERT_EQ(berth_cgroup_create(self->parent, "p", r, 0, &parent, &err), 0);
	berth_cgroup_resources_free(r);
	ASSERT_EQ(
	    make(self, "{\"cpu\": {\"realtimePeriod\": 1000000, \"realtimeRuntime\": 10000}}", 0),
	    0);
	EXPECT_STREQ(file_of(self, "cpu", "cpu.rt_runtime_us", buf, sizeof(buf)), "10000");
	EXPECT_STREQ(file_of(self, "cpu", "cpu.rt_period_us", buf, sizeof(buf)), "1000000");
	berth_cgroup_destroy(self->cg, &err);
	berth_cgroup_free(self->cg);
	self->cg = NULL;
	EXPECT_EQ(berth_cgroup_destroy(parent, &err), 0);
	berth_cgroup_free(parent);
}

TEST_F(cg, pids_limit_and_update_to_max)
{
	struct berth_cgroup_resources *r = berth_cgroup_resources_new();
	berth_error_t err = NULL;
	char buf[512];

	ASSERT_EQ(make(self, "{\"pids\": {\"limit\": 10}}", 0), 0);
	EXPECT_STREQ(file_of(self, "pids", "pids.max", buf, sizeof(buf)), "10");
	r->pids_limit = -1;
	ASSERT_EQ(berth_cgroup_update(self->cg, r, &err), 0);
	EXPECT_STREQ(file_of(self, "pids", "pids.max", buf, sizeof(buf)), "max");
	berth_cgroup_resources_free(r);
}

/* major:minor of the first whole disk in /proc/partitions. */
static int first_disk(unsigned *maj, unsigned *min)
{
	char buf[4096], *line;

	cgt_read("/proc/partitions", buf, sizeof(buf));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, " %u %u", maj, min) == 2)
			return 0;
	return -1;
}

TEST_F(cg, blkio_throttle_v1)
{
	unsigned maj, min;
	char res[512], want[64], buf[512];

	if (first_disk(&maj, &min) < 0)
		SKIP("no block device");
	snprintf(res, sizeof(res),
		 "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": %u, \"minor\": %u, "
		 "\"rate\": 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": %u, \"minor\": "
		 "%u, \"rate\": 300}]}}",
		 maj, min, maj, min);
	ASSERT_EQ(make(self, res, 0), 0);
	snprintf(want, sizeof(want), "%u:%u 1048576", maj, min);
	EXPECT_STREQ(file_of(self, "blkio", "blkio.throttle.read_bps_device", buf, sizeof(buf)),
		     want);
	snprintf(want, sizeof(want), "%u:%u 300", maj, min);
	EXPECT_STREQ(file_of(self, "blkio", "blkio.throttle.write_iops_device", buf, sizeof(buf)),
		     want);
}

TEST_F(cg, hugetlb_goes_through_unified)
{
	char buf[512];

	if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) < 0)
		SKIP("no 2MB huge pages");
	ASSERT_EQ(
	    make(self, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}", 0),
	    0);
	if (cgt_is_dir(CG_ROOT "/hugetlb"))
		EXPECT_STREQ(
		    file_of(self, "hugetlb", "hugetlb.2MB.limit_in_bytes", buf, sizeof(buf)),
		    "4194304");
	else
		EXPECT_STREQ(file_of(self, "unified", "hugetlb.2MB.max", buf, sizeof(buf)),
			     "4194304");
}

TEST_F(cg, unified_keys_on_hybrid)
{
	struct berth_cgroup_resources *r;
	berth_error_t err = NULL;
	char buf[512];

	if (!cgt_is_dir(CG_ROOT "/unified") || !cgt_is_dir(CG_ROOT "/memory"))
		SKIP("not a hybrid host");
	ASSERT_EQ(make(self, "{\"unified\": {\"hugetlb.2MB.max\": \"8388608\"}}", 0), 0);
	EXPECT_STREQ(file_of(self, "unified", "hugetlb.2MB.max", buf, sizeof(buf)), "8388608");
	/* memory lives on v1 here: a v2 memory key has nowhere to go. */
	r = cgt_res("{\"unified\": {\"memory.high\": \"1000000\"}}");
	ASSERT_NE(r, NULL);
	EXPECT_LT(berth_cgroup_update(self->cg, r, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "linux.resources.unified `memory.high`");
	EXPECT_SUBSTR(err->msg, "memory controller");
	berth_error_release(&err);
	berth_cgroup_resources_free(r);
}

TEST_F(cg, blkio_weight_applied_or_refused_by_name)
{
	char buf[512], res[256];
	unsigned maj, min;
	struct berth_cgroup_resources *r;
	berth_error_t err = NULL;
	int ret;

	if (first_disk(&maj, &min) < 0)
		SKIP("no block device");
	snprintf(res, sizeof(res),
		 "{\"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": %u, "
		 "\"minor\": %u, \"weight\": 300}]}}",
		 maj, min);
	r = cgt_res(res);
	ASSERT_NE(r, NULL);
	ret = berth_cgroup_create(self->path, "x", r, 0, &self->cg, &err);
	berth_cgroup_resources_free(r);
	if (ret == 0) {
		/* BFQ (CFQ's blkio.weight is gone from current kernels). */
		char want[64];

		file_of(self, "blkio", "blkio.bfq.weight", buf, sizeof(buf));
		EXPECT_SUBSTR(buf, "500");
		snprintf(want, sizeof(want), "%u:%u 300", maj, min);
		EXPECT_SUBSTR(file_of(self, "blkio", "blkio.bfq.weight_device", buf, sizeof(buf)),
			      want);
		return;
	}
	/* Without any weight file the error names the field and nothing is left. */
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "linux.resources.blockIO.weight");
	berth_error_release(&err);
	EXPECT_EQ(self->cg, NULL);
	EXPECT_EQ(cgt_exists_anywhere(self->path, buf, sizeof(buf)), NULL);
}

TEST_F(cg, invalid_value_is_named_and_leaves_nothing)
{
	const char *bad[][2] = {
	    {"{\"cpu\": {\"period\": 10}}", "linux.resources.cpu.period"},
	    {"{\"cpu\": {\"shares\": 1}}", "linux.resources.cpu.shares"},
	    {"{\"cpu\": {\"cpus\": \"4095\"}}", "linux.resources.cpu.cpus"},
	    {"{\"memory\": {\"limit\": 67108864, \"swap\": 1048576}}",
	     "linux.resources.memory.swap"},
	    {"{\"hugepageLimits\": [{\"pageSize\": \"3MB\", \"limit\": 1}]}", "page size `3MB`"},
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct berth_cgroup_resources *r = cgt_res(bad[i][0]);
		berth_error_t err = NULL;

		ASSERT_NE(r, NULL);
		EXPECT_LT(berth_cgroup_create(self->path, "x", r, 0, &self->cg, &err), 0);
		berth_cgroup_resources_free(r);
		ASSERT_NE(err, NULL);
		EXPECT_SUBSTR(err->msg, bad[i][1]);
		EXPECT_SUBSTR(err->msg, self->path);
		berth_error_release(&err);
		EXPECT_EQ(cgt_exists_anywhere(self->path, buf, sizeof(buf)), NULL);
		EXPECT_EQ(cgt_exists_anywhere(self->parent, buf, sizeof(buf)), NULL);
	}
}

TEST_F(cg, dotdot_path_refused_before_anything_is_made)
{
	struct berth_cgroup *cg = NULL;
	berth_error_t err = NULL;
	char path[128], buf[512];

	snprintf(path, sizeof(path), "%s/../../bt-cg-escape", self->parent);
	EXPECT_LT(berth_cgroup_create(path, "x", NULL, 0, &cg, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "`..` are not allowed");
	berth_error_release(&err);
	EXPECT_EQ(cg, NULL);
	EXPECT_EQ(cgt_exists_anywhere(self->parent, buf, sizeof(buf)), NULL);
	EXPECT_EQ(cgt_exists_anywhere("/bt-cg-escape", buf, sizeof(buf)), NULL);
}

/* The cgroup line of hierarchy `list` ("memory", "" for v2) in /proc/<pid>/cgroup. */
static const char *proc_cgroup_of(pid_t pid, const char *list, char *out, size_t len)
{
	char buf[4096], key[64], *p;

	cgt_readf(buf, sizeof(buf), "/proc/%d/cgroup", (int)pid);
	snprintf(key, sizeof(key), ":%s:", list);
	p = strstr(buf, key);
	if (p == NULL)
		return "";
	p += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
	return out;
}

TEST_F(cg, create_moves_pid_into_every_hierarchy)
{
	char buf[512];

	self->child[0] = cgt_spawn_sleeper();
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(make(self, NULL, self->child[0]), 0);
	EXPECT_STREQ(proc_cgroup_of(self->child[0], "memory", buf, sizeof(buf)), self->path);
	EXPECT_STREQ(proc_cgroup_of(self->child[0], "pids", buf, sizeof(buf)), self->path);
	EXPECT_STREQ(proc_cgroup_of(self->child[0], "name=systemd", buf, sizeof(buf)), self->path);
	EXPECT_STREQ(proc_cgroup_of(self->child[0], "", buf, sizeof(buf)), self->path);
}

TEST_F(cg, enter_and_pids)
{
	pid_t *pids = NULL;
	size_t n = 0;
	berth_error_t err = NULL;
	char buf[512];

	ASSERT_EQ(make(self, NULL, 0), 0);
	ASSERT_EQ(berth_cgroup_pids(self->cg, &pids, &n, &err), 0);
	EXPECT_EQ(n, 0);
	free(pids);
	for (int i = 0; i < 2; i++) {
		self->child[i] = cgt_spawn_sleeper();
		ASSERT_GT(self->child[i], 0);
		ASSERT_EQ(berth_cgroup_enter(self->cg, self->child[i], &err), 0);
	}
	EXPECT_STREQ(proc_cgroup_of(self->child[1], "cpu", buf, sizeof(buf)), self->path);
	ASSERT_EQ(berth_cgroup_pids(self->cg, &pids, &n, &err), 0);
	ASSERT_EQ(n, 2);
	EXPECT_TRUE((pids[0] == self->child[0] && pids[1] == self->child[1]) ||
		    (pids[1] == self->child[0] && pids[0] == self->child[1]));
	free(pids);
	/* A process that does not exist cannot join. */
	EXPECT_LT(berth_cgroup_enter(self->cg, 999999999, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "move process 999999999");
	berth_error_release(&err);
}

/* A child that counts in shared memory as fast as it can. */
static pid_t spawn_counter(volatile unsigned long *counter)
{
	pid_t pid = fork();

	if (pid == 0)
		for (;;)
			(*counter)++;
	return pid;
}

static unsigned long settle(volatile unsigned long *c)
{
	unsigned long v = *c;

	cgt_sleep_ms(50);
	return *c - v;
}

TEST_F(cg, freeze_stops_and_thaw_resumes)
{
	volatile unsigned long *counter =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	berth_error_t err = NULL;
	bool frozen = true;
	char buf[512];
	int moved = 0;

	ASSERT_NE(counter, MAP_FAILED);
	self->child[0] = spawn_counter(counter);
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(make(self, NULL, self->child[0]), 0);
	ASSERT_EQ(berth_cgroup_is_frozen(self->cg, &frozen, &err), 0);
	EXPECT_FALSE(frozen);
	ASSERT_EQ(berth_cgroup_freeze(self->cg, true, &err), 0);
	EXPECT_STREQ(file_of(self, "freezer", "freezer.state", buf, sizeof(buf)), "FROZEN");
	ASSERT_EQ(berth_cgroup_is_frozen(self->cg, &frozen, &err), 0);
	EXPECT_TRUE(frozen);
	EXPECT_EQ(settle(counter), 0);
	ASSERT_EQ(berth_cgroup_freeze(self->cg, false, &err), 0);
	EXPECT_STREQ(file_of(self, "freezer", "freezer.state", buf, sizeof(buf)), "THAWED");
	for (int i = 0; i < 100 && !moved; i++)
		moved = settle(counter) > 0;
	EXPECT_TRUE(moved);
	munmap((void *)counter, 4096);
}

TEST_F(cg, kill_reaches_every_process)
{
	pid_t *pids = NULL;
	size_t n = 1;
	berth_error_t err = NULL;
	int status = 0;

	int gate = -1;

	ASSERT_EQ(make(self, NULL, 0), 0);
	self->child[0] = cgt_fork_gated(&gate);
	if (self->child[0] == 0) {
		/* Inside now: a grandchild is in the cgroup as well. */
		if (fork() == 0)
			for (;;)
				pause();
		for (;;)
			pause();
	}
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(berth_cgroup_enter(self->cg, self->child[0], &err), 0);
	cgt_open_gate(gate);
	for (int i = 0; i < 400 && n < 2; i++) {
		free(pids);
		pids = NULL;
		ASSERT_EQ(berth_cgroup_pids(self->cg, &pids, &n, &err), 0);
		cgt_sleep_ms(5);
	}
	free(pids);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(berth_cgroup_kill(self->cg, SIGKILL, &err), 0);
	ASSERT_EQ(waitpid(self->child[0], &status, 0), self->child[0]);
	self->child[0] = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (int i = 0; i < 400 && n > 0; i++) {
		pids = NULL;
		ASSERT_EQ(berth_cgroup_pids(self->cg, &pids, &n, &err), 0);
		free(pids);
		if (n)
			cgt_sleep_ms(5);
	}
	EXPECT_EQ(n, 0);
	/* And the now empty cgroup goes away completely. */
	ASSERT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
	EXPECT_FALSE(cgt_is_dir(CG_ROOT "/memory/bt-cg-never"));
}

TEST_F(cg, kill_other_signal_keeps_a_paused_cgroup_frozen)
{
	berth_error_t err = NULL;
	bool frozen = false;
	int status = 0;

	self->child[0] = cgt_spawn_sleeper();
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(make(self, NULL, self->child[0]), 0);
	ASSERT_EQ(berth_cgroup_freeze(self->cg, true, &err), 0);
	ASSERT_EQ(berth_cgroup_kill(self->cg, SIGTERM, &err), 0);
	ASSERT_EQ(berth_cgroup_is_frozen(self->cg, &frozen, &err), 0);
	EXPECT_TRUE(frozen);
	/* Delivered once thawed. */
	ASSERT_EQ(berth_cgroup_freeze(self->cg, false, &err), 0);
	ASSERT_EQ(waitpid(self->child[0], &status, 0), self->child[0]);
	self->child[0] = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

TEST_F(cg, destroy_waits_for_exiting_processes_and_removes_subgroups)
{
	berth_error_t err = NULL;
	char sub[512], buf[512];

	self->child[0] = cgt_spawn_sleeper();
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(make(self, NULL, self->child[0]), 0);
	/* A sub-cgroup the container made for itself. */
	snprintf(sub, sizeof(sub), CG_ROOT "/memory%s/inner", self->path);
	ASSERT_EQ(mkdir(sub, 0755), 0);
	kill(self->child[0], SIGKILL);
	/* Not reaped yet: the zombie has left the cgroup, but destroy must cope either way. */
	ASSERT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
	EXPECT_EQ(cgt_exists_anywhere(self->path, buf, sizeof(buf)), NULL);
}

TEST_F(cg, destroy_with_a_live_process_fails_and_says_why)
{
	berth_error_t err = NULL;

	self->child[0] = cgt_spawn_sleeper();
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(make(self, NULL, self->child[0]), 0);
	EXPECT_LT(berth_cgroup_destroy(self->cg, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "remove cgroup");
	EXPECT_SUBSTR(err->msg, "busy");
	berth_error_release(&err);
}

TEST_F(cg, stats_in_runc_shape)
{
	berth_error_t err = NULL;
	json_t *s = NULL;

	self->child[0] = cgt_spawn_sleeper();
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(make(self, "{\"pids\": {\"limit\": 50}, \"memory\": {\"limit\": 67108864}}",
		       self->child[0]),
		  0);
	ASSERT_EQ(berth_cgroup_stats(self->cg, &s, &err), 0);
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(s, "pids"), "current")), 1);
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(s, "pids"), "limit")), 50);
	EXPECT_EQ(json_integer_value(json_object_get(
		      json_object_get(json_object_get(s, "memory"), "usage"), "limit")),
		  67108864);
	EXPECT_TRUE(json_is_object(json_object_get(json_object_get(s, "memory"), "raw")));
	EXPECT_TRUE(json_is_integer(
	    json_object_get(json_object_get(json_object_get(s, "cpu"), "usage"), "total")));
	EXPECT_TRUE(json_is_object(json_object_get(json_object_get(s, "cpu"), "throttling")));
	EXPECT_TRUE(
	    json_is_array(json_object_get(json_object_get(s, "blkio"), "ioServiceBytesRecursive")));
	EXPECT_TRUE(json_is_object(json_object_get(s, "hugetlb")));
	json_decref(s);
}

TEST_F(cg, oom_kill_is_reported)
{
	berth_error_t err = NULL;
	bool killed = true;
	int status = 0, gate = -1;

	ASSERT_EQ(make(self, "{\"memory\": {\"limit\": 16777216, \"swap\": 16777216}}", 0), 0);
	ASSERT_EQ(berth_cgroup_oom_killed(self->cg, &killed, &err), 0);
	EXPECT_FALSE(killed);
	self->child[0] = cgt_fork_gated(&gate);
	if (self->child[0] == 0) {
		for (int i = 0; i < 64; i++) {
			char *p = malloc(1 << 20);

			if (p)
				memset(p, i, 1 << 20);
		}
		_exit(0);
	}
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(berth_cgroup_enter(self->cg, self->child[0], &err), 0);
	cgt_open_gate(gate);
	ASSERT_EQ(waitpid(self->child[0], &status, 0), self->child[0]);
	self->child[0] = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_EQ(berth_cgroup_oom_killed(self->cg, &killed, &err), 0);
	EXPECT_TRUE(killed);
}

TEST_F(cg, state_json_round_trip_finds_the_cgroup)
{
	struct berth_cgroup *back = NULL;
	berth_error_t err = NULL;
	json_t *j;
	bool frozen = false;
	char *text;

	self->child[0] = cgt_spawn_sleeper();
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(make(self, NULL, self->child[0]), 0);
	j = berth_cgroup_to_json(self->cg);
	ASSERT_NE(j, NULL);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = cgt_json(text);
	free(text);
	ASSERT_EQ(berth_cgroup_from_json(j, &back, &err), 0);
	json_decref(j);
	EXPECT_STREQ(berth_cgroup_path(back), self->path);
	ASSERT_EQ(berth_cgroup_freeze(back, true, &err), 0);
	ASSERT_EQ(berth_cgroup_is_frozen(self->cg, &frozen, &err), 0);
	EXPECT_TRUE(frozen);
	ASSERT_EQ(berth_cgroup_freeze(back, false, &err), 0);
	berth_cgroup_free(back);
}

TEST_F(cg, devices_v1_rules)
{
	char buf[4096];
	int status = 0, gate = -1;

	if (!cgt_is_dir(CG_ROOT "/devices"))
		SKIP("no v1 devices controller");
	ASSERT_EQ(make(self,
		       "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
		       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 11, "
		       "\"access\": \"w\"}]}",
		       0),
		  0);
	file_of(self, "devices", "devices.list", buf, sizeof(buf));
	EXPECT_SUBSTR(buf, "c 1:3 rwm");
	EXPECT_SUBSTR(buf, "c 136:* rwm");
	EXPECT_SUBSTR(buf, "c 1:11 w");
	EXPECT_EQ(strstr(buf, "a *:* rwm"), NULL);
	/* A process inside: /dev/null opens, /dev/kmsg only for writing. */
	self->child[0] = cgt_fork_gated(&gate);
	if (self->child[0] == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			_exit(10);
		close(fd);
		if (open("/dev/kmsg", O_RDONLY) >= 0 || errno != EPERM)
			_exit(11);
		_exit(0);
	}
	ASSERT_GT(self->child[0], 0);
	{
		berth_error_t err = NULL;

		ASSERT_EQ(berth_cgroup_enter(self->cg, self->child[0], &err), 0);
		cgt_open_gate(gate);
	}
	ASSERT_EQ(waitpid(self->child[0], &status, 0), self->child[0]);
	self->child[0] = 0;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(cg, mount_shows_own_cgroup_per_hierarchy)
{
	pid_t pid;
	int status = 0;

	ASSERT_EQ(make(self, "{\"memory\": {\"limit\": 33554432}}", 0), 0);
	snprintf(self->tmp, sizeof(self->tmp), "/tmp/berth-test.cgmnt-%d", (int)getpid());
	ASSERT_EQ(mkdir(self->tmp, 0755), 0);
	pid = fork();
	if (pid == 0) {
		berth_error_t err = NULL;
		char buf[512], path[256];

		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(20);
		if (berth_cgroup_mount(self->cg, self->tmp, MS_RDONLY | MS_NOSUID | MS_NODEV, false,
				       &err) < 0) {
			printf("# mount: %s\n", err->msg);
			_exit(21);
		}
		snprintf(path, sizeof(path), "%s/memory/memory.limit_in_bytes", self->tmp);
		if (strcmp(cgt_read(path, buf, sizeof(buf)), "33554432") != 0)
			_exit(22);
		snprintf(path, sizeof(path), "%s/unified/cgroup.procs", self->tmp);
		if (access(path, F_OK) < 0)
			_exit(23);
		snprintf(path, sizeof(path), "%s/systemd/cgroup.procs", self->tmp);
		if (access(path, F_OK) < 0)
			_exit(24);
		snprintf(path, sizeof(path), "%s/new", self->tmp);
		if (mkdir(path, 0755) == 0 || errno != EROFS)
			_exit(25);
		snprintf(path, sizeof(path), "%s/memory/memory.limit_in_bytes", self->tmp);
		if (open(path, O_WRONLY) >= 0 || errno != EROFS)
			_exit(26);
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(cg, mount_with_cgroupns_shows_the_container_cgroup_as_root)
{
	int gate = -1, status = 0;
	berth_error_t err = NULL;

	ASSERT_EQ(make(self, "{\"memory\": {\"limit\": 41943040}}", 0), 0);
	snprintf(self->tmp, sizeof(self->tmp), "/tmp/berth-test.cgns-%d", (int)getpid());
	ASSERT_EQ(mkdir(self->tmp, 0755), 0);
	self->child[0] = cgt_fork_gated(&gate);
	if (self->child[0] == 0) {
		char buf[4096], path[256];

		/* In the cgroup now: a new cgroup namespace is rooted at it. */
		if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(20);
		if (berth_cgroup_mount(self->cg, self->tmp, MS_NOSUID | MS_NODEV | MS_NOEXEC, true,
				       &err) < 0) {
			printf("# mount: %s\n", err->msg);
			_exit(21);
		}
		snprintf(path, sizeof(path), "%s/memory/memory.limit_in_bytes", self->tmp);
		if (strcmp(cgt_read(path, buf, sizeof(buf)), "41943040") != 0)
			_exit(22);
		/* The container's own cgroup is the root: no parent directory shows. */
		snprintf(path, sizeof(path), "%s/memory%s", self->tmp, self->parent);
		if (cgt_is_dir(path))
			_exit(23);
		snprintf(path, sizeof(path), "%s/unified/cgroup.procs", self->tmp);
		if (access(path, F_OK) < 0)
			_exit(24);
		cgt_read("/proc/self/cgroup", buf, sizeof(buf));
		if (strstr(buf, "bt-cg-") || !strstr(buf, ":memory:/"))
			_exit(25);
		_exit(0);
	}
	ASSERT_GT(self->child[0], 0);
	ASSERT_EQ(berth_cgroup_enter(self->cg, self->child[0], &err), 0);
	cgt_open_gate(gate);
	ASSERT_EQ(waitpid(self->child[0], &status, 0), self->child[0]);
	self->child[0] = 0;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_MAIN()
