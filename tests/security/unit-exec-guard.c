/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CVE-2019-5736 guard: the runtime's own binary is refused, directly and
 * behind "#!" interpreter lines; everything else passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "exec_guard.h"
#include "harness.h"
#include "util.h"

FIXTURE(scripts)
{
	char dir[64];
	struct berth_exec_guard g;
};

FIXTURE_SETUP(scripts)
{
	berth_error_t err = NULL;

	snprintf(self->dir, sizeof(self->dir), "/tmp/berth-test.XXXXXX");
	ASSERT_NE(mkdtemp(self->dir), NULL);
	ASSERT_EQ(berth_exec_guard_init(&self->g, &err), 0);
}

FIXTURE_TEARDOWN(scripts)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (self->dir[0] && system(cmd) != 0)
		TH_LOG("cannot remove %s", self->dir);
}

/* Write an executable script dir/name with the given content; returns its path. */
static const char *script(const char *dir, const char *name, const char *content)
{
	static char path[4][160];
	static int next;
	char *p = path[next++ % 4];
	berth_error_t err = NULL;

	snprintf(p, 160, "%s/%s", dir, name);
	if (berth_write_file_atomic(p, content, strlen(content), 0755, false, &err) < 0)
		berth_error_release(&err);
	return p;
}

/*
 * The guard's verdict on path opened with flags: 0, or the negative return
 * with the message in msg.
 */
static int verdict_flags(const struct berth_exec_guard *g, const char *path, int flags, char *msg,
			 size_t size)
{
	berth_error_t err = NULL;
	int fd = open(path, flags | O_CLOEXEC), ret;

	msg[0] = '\0';
	if (fd < 0)
		return -1000;
	ret = berth_exec_guard_check(g, fd, &err);
	if (err)
		snprintf(msg, size, "%s", err->msg);
	berth_error_release(&err);
	close(fd);
	return ret;
}

static int verdict(const struct berth_exec_guard *g, const char *path, char *msg, size_t size)
{
	return verdict_flags(g, path, O_RDONLY, msg, size);
}

TEST_F(scripts, own_binary_is_refused)
{
	char msg[256];

	EXPECT_EQ(verdict(&self->g, "/proc/self/exe", msg, sizeof(msg)), -EPERM);
	EXPECT_SUBSTR(msg, "refusing to execute the berth binary in the container");
}

TEST_F(scripts, shebang_to_own_binary_is_refused)
{
	char msg[256];
	const char *s = script(self->dir, "evil", "#!/proc/self/exe\n");

	EXPECT_EQ(verdict(&self->g, s, msg, sizeof(msg)), -EPERM);
	EXPECT_SUBSTR(msg, "(/proc/self/exe)");
}

TEST_F(scripts, chain_of_shebangs_is_followed)
{
	char msg[256], text[200];
	const char *s2 = script(self->dir, "two", "#!  /proc/self/exe -x\n");
	const char *s1;

	snprintf(text, sizeof(text), "#!%s arg\necho hi\n", s2);
	s1 = script(self->dir, "one", text);
	EXPECT_EQ(verdict(&self->g, s1, msg, sizeof(msg)), -EPERM);
	/* The same through an O_PATH fd, as a runtime opens it for execveat(). */
	EXPECT_EQ(verdict_flags(&self->g, s1, O_PATH, msg, sizeof(msg)), -EPERM);
	EXPECT_EQ(verdict_flags(&self->g, "/proc/self/exe", O_PATH, msg, sizeof(msg)), -EPERM);
	EXPECT_EQ(verdict_flags(&self->g, "/bin/sh", O_PATH, msg, sizeof(msg)), 0);
}

TEST_F(scripts, shebang_loop_is_refused)
{
	char msg[256], text[200];
	const char *s;

	snprintf(text, sizeof(text), "#!%s/loop\n", self->dir);
	s = script(self->dir, "loop", text);
	EXPECT_EQ(verdict(&self->g, s, msg, sizeof(msg)), -ELOOP);
	EXPECT_SUBSTR(msg, "levels of \"#!\"");
}

TEST_F(scripts, ordinary_programs_and_scripts_pass)
{
	char msg[256];

	EXPECT_EQ(verdict(&self->g, "/bin/sh", msg, sizeof(msg)), 0);
	EXPECT_EQ(verdict(&self->g, script(self->dir, "ok", "#!/bin/sh\nexit 0\n"), msg,
			  sizeof(msg)),
		  0);
	EXPECT_EQ(verdict(&self->g, script(self->dir, "plain", "echo no shebang\n"), msg,
			  sizeof(msg)),
		  0);
	/* A missing interpreter is execve's problem, not a refusal. */
	EXPECT_EQ(verdict(&self->g, script(self->dir, "gone", "#!/nonexistent/interp\n"), msg,
			  sizeof(msg)),
		  0);
}

TEST_F(scripts, explicit_binary_identity)
{
	struct berth_exec_guard g;
	berth_error_t err = NULL;
	char msg[256];
	const char *target = script(self->dir, "runtime", "#!/bin/sh\n");
	int fd = open(target, O_RDONLY | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(berth_exec_guard_init_fd(&g, fd, &err), 0);
	close(fd);
	EXPECT_EQ(verdict(&g, target, msg, sizeof(msg)), -EPERM);
	EXPECT_EQ(verdict(&g, "/proc/self/exe", msg, sizeof(msg)), 0);
	EXPECT_LT(berth_exec_guard_init_fd(&g, -1, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, "exec guard: stat the runtime binary: Bad file descriptor");
	berth_error_release(&err);
}

TEST_MAIN()
