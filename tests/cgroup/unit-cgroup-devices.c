/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup v2 device program: attached to a real cgroup2 directory, a
 * process moved in can open what the rules allow and gets EPERM otherwise.
 */
#include <linux/bpf.h>
#include <sys/syscall.h>

#include "harness.h"
#include "cgtest.h"

FIXTURE(bpf)
{
	char dir[256];
	pid_t child;
};

static const char *cgroup2_mount(void)
{
	if (access(CG_ROOT "/unified/cgroup.procs", F_OK) == 0)
		return CG_ROOT "/unified";
	if (access(CG_ROOT "/cgroup.subtree_control", F_OK) == 0)
		return CG_ROOT;
	return NULL;
}

FIXTURE_SETUP(bpf)
{
	const char *m = cgroup2_mount();

	if (getuid() != 0)
		SKIP("needs root");
	if (m == NULL)
		SKIP("no cgroup2 hierarchy");
	snprintf(self->dir, sizeof(self->dir), "%s/bt-cg-bpf-%d", m, (int)getpid());
	ASSERT_EQ(mkdir(self->dir, 0755), 0);
}

FIXTURE_TEARDOWN(bpf)
{
	cgt_reap(self->child);
	/* The attached programs go with the directory. */
	if (self->dir[0])
		cgt_rmtree(self->dir);
}

/*
 * Run a child inside the cgroup that opens each path with its flags and
 * reports one character per path: 'o' opened, 'p' EPERM, 'e' other error.
 */
static int probe(struct _fixture_bpf *self, const char *const *paths, const int *flags, size_t n,
		 char *out)
{
	int gate = -1, rep[2];
	berth_error_t err = NULL;
	pid_t pid;
	int status = 0;

	if (pipe(rep) < 0)
		return -1;
	pid = cgt_fork_gated(&gate);
	if (pid == 0) {
		char res[16];

		close(rep[0]);
		for (size_t i = 0; i < n; i++) {
			int fd = open(paths[i], flags[i] | O_CLOEXEC);

			res[i] = fd >= 0 ? 'o' : errno == EPERM ? 'p' : 'e';
			if (fd >= 0)
				close(fd);
		}
		_exit(write(rep[1], res, n) == (ssize_t)n ? 0 : 1);
	}
	close(rep[1]);
	if (pid < 0)
		return -1;
	self->child = pid;
	if (berth_cg_writef(self->dir, "cgroup.procs", "join", &err, "%d", (int)pid) < 0) {
		fprintf(stdout, "# %s\n", err->msg);
		berth_error_release(&err);
		close(gate);
		close(rep[0]);
		return -1;
	}
	cgt_open_gate(gate);
	memset(out, 0, n + 1);
	if (read(rep[0], out, n) != (ssize_t)n)
		out[0] = '\0';
	close(rep[0]);
	waitpid(pid, &status, 0);
	self->child = 0;
	return 0;
}

static int attach(struct _fixture_bpf *self, const char *spec)
{
	struct berth_cgroup_resources *r = cgt_res(spec);
	struct berth_cgroup_device_rule *rules = NULL;
	berth_error_t err = NULL;
	size_t n = 0;
	int ret = -1;

	if (r && berth_cg_device_rules(r, &rules, &n, &err) == 0)
		ret = berth_cg_bpf_devices(self->dir, rules, n, &err);
	if (err) {
		fprintf(stdout, "# attach: %s\n", err->msg);
		berth_error_release(&err);
	}
	free(rules);
	berth_cgroup_resources_free(r);
	return ret;
}

static int prog_count(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint32_t ids[16];
	union bpf_attr attr;
	long ret;

	if (fd < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = 16;
	ret = syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
	close(fd);
	return ret < 0 ? -1 : (int)attr.query.prog_cnt;
}

static const char *const paths[] = {"/dev/null", "/dev/zero", "/dev/kmsg", "/dev/null"};

TEST_F(bpf, without_a_program_everything_opens)
{
	const int flags[] = {O_RDWR, O_RDONLY, O_RDONLY, O_WRONLY};
	char got[8];

	ASSERT_EQ(probe(self, paths, flags, 4, got), 0);
	EXPECT_STREQ(got, "oooo");
}

TEST_F(bpf, deny_all_keeps_the_default_devices)
{
	const int flags[] = {O_RDWR, O_RDONLY, O_RDONLY, O_WRONLY};
	char got[8];

	ASSERT_EQ(attach(self, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}"), 0);
	EXPECT_EQ(prog_count(self->dir), 1);
	ASSERT_EQ(probe(self, paths, flags, 4, got), 0);
	/* null and zero are defaults; kmsg (c 1:11) is not. */
	EXPECT_STREQ(got, "oopo");
}

TEST_F(bpf, last_matching_rule_wins)
{
	const int flags[] = {O_RDONLY, O_RDONLY, O_RDONLY, O_WRONLY};
	char got[8];

	ASSERT_EQ(attach(self, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
			       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 11,"
			       "  \"access\": \"r\"},"
			       " {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 3,"
			       "  \"access\": \"w\"}]}"),
		  0);
	ASSERT_EQ(probe(self, paths, flags, 4, got), 0);
	/* null readable but not writable, zero a default, kmsg readable by its own rule. */
	EXPECT_STREQ(got, "ooop");
}

TEST_F(bpf, wildcard_major_and_block_type)
{
	const int flags[] = {O_RDONLY, O_RDONLY, O_RDONLY, O_RDONLY};
	char got[8];

	/* Deny every char device with major 1, allow all else. */
	ASSERT_EQ(
	    attach(self, "{\"devices\": [{\"allow\": false, \"type\": \"c\", \"major\": 1}]}"), 0);
	ASSERT_EQ(probe(self, paths, flags, 4, got), 0);
	EXPECT_STREQ(got, "pppp");
	/* A block-only deny-all leaves char devices alone. */
	ASSERT_EQ(attach(self, "{\"devices\": [{\"allow\": false, \"type\": \"b\"}]}"), 0);
	ASSERT_EQ(probe(self, paths, flags, 4, got), 0);
	EXPECT_STREQ(got, "oooo");
}

TEST_F(bpf, update_replaces_the_program)
{
	const int flags[] = {O_RDWR, O_RDONLY, O_RDONLY, O_WRONLY};
	char got[8];

	ASSERT_EQ(attach(self, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}"), 0);
	ASSERT_EQ(attach(self, "{\"devices\": [{\"allow\": true, \"access\": \"rwm\"}]}"), 0);
	EXPECT_EQ(prog_count(self->dir), 1);
	ASSERT_EQ(probe(self, paths, flags, 4, got), 0);
	EXPECT_STREQ(got, "oooo");
}

TEST_F(bpf, attach_to_a_missing_cgroup_fails_with_its_name)
{
	struct berth_cgroup_device_rule rule = {false, 'a', -1, -1, "rwm"};
	berth_error_t err = NULL;
	char missing[300];

	snprintf(missing, sizeof(missing), "%s/nope", self->dir);
	EXPECT_LT(berth_cg_bpf_devices(missing, &rule, 1, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, missing);
	EXPECT_SUBSTR(err->msg, "No such file");
	berth_error_release(&err);
}

TEST_MAIN()
