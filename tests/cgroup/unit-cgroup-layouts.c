/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whole lifecycle under the other two layouts.  Each test runs in a
 * private mount namespace whose /sys/fs/cgroup shows this hybrid host as a
 * pure v2 host (only the cgroup2 hierarchy, mounted at /sys/fs/cgroup) or as
 * a pure v1 host (the unified mount gone), so layout detection, the v2
 * device program, cgroup.freeze and cgroup.kill run through
 * berth_cgroup_create() and friends for real.
 */
#include <sched.h>
#include <sys/mount.h>

#include "harness.h"
#include "cgtest.h"

FIXTURE(view)
{
	char path[64];
	struct berth_cgroup *cg;
	pid_t child;
};

static int private_ns(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -1;
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

FIXTURE_SETUP(view)
{
	snprintf(self->path, sizeof(self->path), "/bt-cg-view-%d", (int)getpid());
	if (getuid() != 0)
		SKIP("needs root");
	if (!cgt_is_dir(CG_ROOT "/unified") || !cgt_is_dir(CG_ROOT "/memory"))
		SKIP("needs a hybrid host to make the views from");
	ASSERT_EQ(private_ns(), 0);
}

FIXTURE_TEARDOWN(view)
{
	berth_error_t err = NULL;

	cgt_reap(self->child);
	if (self->cg) {
		berth_cgroup_kill(self->cg, SIGKILL, &err);
		berth_error_release(&err);
		if (berth_cgroup_destroy(self->cg, &err) < 0) {
			TH_LOG("teardown: %s", err->msg);
			berth_error_release(&err);
		}
		berth_cgroup_free(self->cg);
	}
	if (self->path[0]) {
		char dir[128];

		/* Each hierarchy of the view: /sys/fs/cgroup itself on the v2 one. */
		cgt_remove_everywhere(self->path);
		snprintf(dir, sizeof(dir), CG_ROOT "%s", self->path);
		cgt_rmtree(dir);
	}
}

/* This namespace's /sys/fs/cgroup becomes the cgroup2 hierarchy alone. */
static int make_v2_view(void)
{
	if (umount2(CG_ROOT, MNT_DETACH) < 0)
		return -1;
	return mount("cgroup2", CG_ROOT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static const char *mode_of(const struct berth_cgroup *cg, char *buf, size_t len)
{
	json_t *j = berth_cgroup_to_json(cg);

	snprintf(buf, len, "%s", j ? json_string_value(json_object_get(j, "mode")) : "");
	json_decref(j);
	return buf;
}

static int create(struct _fixture_view *self, const char *res_text, pid_t pid, char *msg,
		  size_t len)
{
	struct berth_cgroup_resources *r = cgt_res(res_text);
	berth_error_t err = NULL;
	int ret = r ? berth_cgroup_create(self->path, "x", r, pid, &self->cg, &err) : -100;

	snprintf(msg, len, "%s", err ? err->msg : "");
	berth_error_release(&err);
	berth_cgroup_resources_free(r);
	return ret;
}

TEST_F(view, pure_v2_lifecycle)
{
	char buf[512], msg[512], dir[256];
	int gate = -1, rep[2], status = 0;
	berth_error_t err = NULL;
	bool frozen = false;
	pid_t *pids = NULL;
	size_t n = 0;
	char got[4] = "";

	ASSERT_EQ(make_v2_view(), 0);
	snprintf(dir, sizeof(dir), CG_ROOT "%s", self->path);
	/* Controllers bound to v1 on the real host are simply absent here. */
	EXPECT_LT(create(self, "{\"memory\": {\"limit\": 67108864}}", 0, msg, sizeof(msg)), 0);
	EXPECT_SUBSTR(msg, "linux.resources.memory: the memory controller is not available");
	EXPECT_FALSE(cgt_is_dir(dir));

	ASSERT_EQ(pipe(rep), 0);
	self->child = cgt_fork_gated(&gate);
	if (self->child == 0) {
		int fd = open("/dev/null", O_RDWR);

		got[0] = fd >= 0 ? 'o' : 'e';
		got[1] = open("/dev/kmsg", O_RDONLY) >= 0 ? 'o' : errno == EPERM ? 'p' : 'e';
		if (write(rep[1], got, 2) != 2)
			_exit(1);
		for (;;)
			pause();
	}
	ASSERT_GT(self->child, 0);
	close(rep[1]);
	ASSERT_EQ(create(self,
			 "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}],"
			 " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 6291456}]}",
			 self->child, msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(mode_of(self->cg, buf, sizeof(buf)), "v2");
	EXPECT_STREQ(cgt_readf(buf, sizeof(buf), "%s/hugetlb.2MB.max", dir), "6291456");
	EXPECT_SUBSTR(cgt_readf(buf, sizeof(buf), "/proc/%d/cgroup", (int)self->child), self->path);
	/* The device program came with create(): the defaults open, kmsg does not. */
	cgt_open_gate(gate);
	ASSERT_EQ(read(rep[0], got, 2), 2);
	close(rep[0]);
	EXPECT_EQ(got[0], 'o');
	EXPECT_EQ(got[1], 'p');

	ASSERT_EQ(berth_cgroup_pids(self->cg, &pids, &n, &err), 0);
	EXPECT_EQ(n, 1);
	if (n)
		EXPECT_EQ(pids[0], self->child);
	free(pids);
	ASSERT_EQ(berth_cgroup_freeze(self->cg, true, &err), 0);
	EXPECT_SUBSTR(cgt_readf(buf, sizeof(buf), "%s/cgroup.events", dir), "frozen 1");
	ASSERT_EQ(berth_cgroup_is_frozen(self->cg, &frozen, &err), 0);
	EXPECT_TRUE(frozen);
	ASSERT_EQ(berth_cgroup_freeze(self->cg, false, &err), 0);
	/* SIGKILL goes through cgroup.kill. */
	ASSERT_EQ(berth_cgroup_kill(self->cg, SIGKILL, &err), 0);
	ASSERT_EQ(waitpid(self->child, &status, 0), self->child);
	self->child = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
	EXPECT_FALSE(cgt_is_dir(dir));
}

TEST_F(view, pure_v1_lifecycle)
{
	char buf[512], msg[512];
	berth_error_t err = NULL;
	struct berth_cgroup_resources *r;

	ASSERT_EQ(umount2(CG_ROOT "/unified", MNT_DETACH), 0);
	/* hugetlb lives only on cgroup2 on this host: a v1 view has none. */
	EXPECT_LT(create(self,
			 "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 2097152}]}", 0,
			 msg, sizeof(msg)),
		  0);
	EXPECT_SUBSTR(msg, "the hugetlb controller is not available");
	EXPECT_EQ(cgt_exists_anywhere(self->path, buf, sizeof(buf)), NULL);
	EXPECT_LT(create(self, "{\"unified\": {\"memory.high\": \"1000\"}}", 0, msg, sizeof(msg)),
		  0);
	EXPECT_SUBSTR(msg, "linux.resources.unified `memory.high`: this host has no cgroup2");
	EXPECT_EQ(cgt_exists_anywhere(self->path, buf, sizeof(buf)), NULL);

	self->child = cgt_spawn_sleeper();
	ASSERT_GT(self->child, 0);
	ASSERT_EQ(create(self, "{\"memory\": {\"limit\": 33554432}, \"pids\": {\"limit\": 9}}",
			 self->child, msg, sizeof(msg)),
		  0);
	EXPECT_STREQ(mode_of(self->cg, buf, sizeof(buf)), "v1");
	EXPECT_STREQ(
	    cgt_readf(buf, sizeof(buf), CG_ROOT "/memory%s/memory.limit_in_bytes", self->path),
	    "33554432");
	EXPECT_STREQ(cgt_readf(buf, sizeof(buf), CG_ROOT "/pids%s/pids.max", self->path), "9");
	/* No cgroup.kill without cgroup2: freeze, signal, thaw. */
	ASSERT_EQ(berth_cgroup_kill(self->cg, SIGKILL, &err), 0);
	ASSERT_EQ(waitpid(self->child, NULL, 0), self->child);
	self->child = 0;
	r = cgt_res("{\"pids\": {\"limit\": 12}}");
	ASSERT_NE(r, NULL);
	ASSERT_EQ(berth_cgroup_update(self->cg, r, &err), 0);
	berth_cgroup_resources_free(r);
	EXPECT_STREQ(cgt_readf(buf, sizeof(buf), CG_ROOT "/pids%s/pids.max", self->path), "12");
	ASSERT_EQ(berth_cgroup_destroy(self->cg, &err), 0);
	EXPECT_EQ(cgt_exists_anywhere(self->path, buf, sizeof(buf)), NULL);
}

/* In a child: mount the container's cgroup at dir and check what shows. */
static int mount_and_look(struct _fixture_view *self, const char *dir, bool cgroupns)
{
	berth_error_t err = NULL;
	char buf[512], path[256];

	if (cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return 30;
	if (berth_cgroup_mount(self->cg, dir, MS_RDONLY | MS_NOSUID | MS_NODEV, cgroupns, &err) <
	    0) {
		printf("# mount: %s\n", err->msg);
		return 31;
	}
	snprintf(path, sizeof(path), "%s/hugetlb.2MB.max", dir);
	if (strcmp(cgt_read(path, buf, sizeof(buf)), "4194304") != 0)
		return 32;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	cgt_read(path, buf, sizeof(buf));
	if (atoi(buf) != getpid() || strchr(buf, '\n'))
		return 33; /* the mount shows the container's cgroup: this process alone */
	snprintf(path, sizeof(path), "%s/sub", dir);
	if (mkdir(path, 0755) == 0 || errno != EROFS)
		return 34;
	return 0;
}

TEST_F(view, pure_v2_mount_bind_and_cgroupns)
{
	char msg[512], dir[64];
	int gate = -1, status = 0;
	berth_error_t err = NULL;

	ASSERT_EQ(make_v2_view(), 0);
	ASSERT_EQ(create(self,
			 "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}", 0,
			 msg, sizeof(msg)),
		  0);
	/* A tmpfs of this namespace holds the mount points: nothing to clean on the host. */
	ASSERT_EQ(mount("tmpfs", "/mnt", "tmpfs", 0, NULL), 0);
	snprintf(dir, sizeof(dir), "/mnt/a");
	ASSERT_EQ(mkdir(dir, 0755), 0);
	ASSERT_EQ(mkdir("/mnt/b", 0755), 0);
	self->child = cgt_fork_gated(&gate);
	if (self->child == 0) {
		int ret = mount_and_look(self, "/mnt/a", false);

		_exit(ret ? ret : mount_and_look(self, "/mnt/b", true));
	}
	ASSERT_GT(self->child, 0);
	ASSERT_EQ(berth_cgroup_enter(self->cg, self->child, &err), 0);
	cgt_open_gate(gate);
	ASSERT_EQ(waitpid(self->child, &status, 0), self->child);
	self->child = 0;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_MAIN()
