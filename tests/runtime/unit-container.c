/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "harness.h"
#include "hooks.h"
#include "mount.h"
#include "util.h"

static const char config[] = "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},"
			     "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}";

FIXTURE(root) {
	char dir[64];
};

FIXTURE_SETUP(root)
{
	strcpy(self->dir, "/tmp/berth-unit-root-XXXXXX");
	ASSERT_NE(mkdtemp(self->dir), NULL);
}

FIXTURE_TEARDOWN(root)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	EXPECT_EQ(system(cmd), 0);
}

/* A state directory as create leaves it, written through the API. */
static int make_container(const char *root, const char *id, pid_t pid)
{
	struct berth_container c = { .lock_fd = -1 };
	char dir[256], path[300];
	berth_error_t err = NULL;
	int ret;

	snprintf(dir, sizeof(dir), "%s/%s", root, id);
	if (mkdir(dir, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/config.json", dir);
	if (berth_write_file_atomic(path, config, strlen(config), 0600, false, &err) < 0)
		return -1;
	c.id = (char *)id;
	c.dir = dir;
	c.bundle = "/srv/bundle";
	c.rootfs = "/srv/bundle/rootfs";
	c.created = "2026-01-01T00:00:00.000000000Z";
	c.pid = pid;
	c.pid_start = berth_pid_start_time(pid);
	c.status = BERTH_STATUS_RUNNING;
	c.annotations = json_pack("{s:s}", "org.example", "yes");
	ret = berth_container_save(&c, &err);
	json_decref(c.annotations);
	berth_error_release(&err);
	return ret;
}

TEST_F(root, save_then_load_round_trips)
{
	struct berth_container *c = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(make_container(self->dir, "bt-a", getpid()), 0);
	ASSERT_EQ(berth_container_load(self->dir, "bt-a", &c, &err), 0);
	EXPECT_STREQ(c->id, "bt-a");
	EXPECT_STREQ(c->bundle, "/srv/bundle");
	EXPECT_EQ(c->pid, getpid());
	EXPECT_EQ(c->pid_start, berth_pid_start_time(getpid()));
	EXPECT_STREQ(json_string_value(json_object_get(c->annotations, "org.example")), "yes");
	EXPECT_STREQ(c->config->process.args[0], "sh");
	EXPECT_EQ(berth_container_status(c), BERTH_STATUS_RUNNING);
	EXPECT_TRUE(berth_container_alive(c));
	berth_container_free(c);
}

TEST_F(root, a_reused_pid_is_stopped)
{
	struct berth_container *c = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(make_container(self->dir, "bt-b", getpid()), 0);
	ASSERT_EQ(berth_container_load(self->dir, "bt-b", &c, &err), 0);
	c->pid_start += 1; /* as if another process now had the pid */
	EXPECT_FALSE(berth_container_alive(c));
	EXPECT_EQ(berth_container_status(c), BERTH_STATUS_STOPPED);
	berth_container_free(c);
}

TEST_F(root, oci_state_has_the_fields)
{
	struct berth_container *c = NULL;
	berth_error_t err = NULL;
	json_t *j;

	ASSERT_EQ(make_container(self->dir, "bt-c", getpid()), 0);
	ASSERT_EQ(berth_container_load(self->dir, "bt-c", &c, &err), 0);
	j = berth_container_oci_state(c);
	EXPECT_STREQ(json_string_value(json_object_get(j, "status")), "running");
	EXPECT_EQ(json_integer_value(json_object_get(j, "pid")), getpid());
	EXPECT_STREQ(json_string_value(json_object_get(j, "ociVersion")), "1.1.0");
	json_decref(j);
	berth_container_free(c);
}

TEST_F(root, missing_container_is_named)
{
	struct berth_container *c = NULL;
	berth_error_t err = NULL;

	EXPECT_EQ(berth_container_load(self->dir, "bt-none", &c, &err), -ENOENT);
	EXPECT_STREQ(err->msg, "container `bt-none` does not exist");
	berth_error_release(&err);
	EXPECT_LT(berth_container_load(self->dir, "../x", &c, &err), 0);
	EXPECT_SUBSTR(err->msg, "invalid container ID");
	berth_error_release(&err);
}

TEST_F(root, corrupt_state_is_an_error)
{
	struct berth_container *c = NULL;
	berth_error_t err = NULL;
	char path[128];

	ASSERT_EQ(make_container(self->dir, "bt-d", getpid()), 0);
	snprintf(path, sizeof(path), "%s/bt-d/state.json", self->dir);
	ASSERT_EQ(berth_write_file_atomic(path, "{\"id\":1}", 8, 0600, false, &err), 0);
	EXPECT_LT(berth_container_load(self->dir, "bt-d", &c, &err), 0);
	EXPECT_SUBSTR(err->msg, "state.json");
	berth_error_release(&err);
}

TEST_F(root, lock_excludes_and_remove_state_cleans)
{
	struct berth_container *c = NULL;
	berth_error_t err = NULL;
	char path[128];
	int fd;

	ASSERT_EQ(make_container(self->dir, "bt-e", getpid()), 0);
	ASSERT_EQ(berth_container_load(self->dir, "bt-e", &c, &err), 0);
	ASSERT_EQ(berth_container_lock(c, &err), 0);
	snprintf(path, sizeof(path), "%s/bt-e", self->dir);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	ASSERT_GE(fd, 0);
	EXPECT_LT(flock(fd, LOCK_EX | LOCK_NB), 0); /* held */
	EXPECT_EQ(errno, EWOULDBLOCK);
	berth_container_unlock(c);
	EXPECT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	ASSERT_EQ(berth_container_remove_state(c, &err), 0);
	EXPECT_LT(access(path, F_OK), 0);
	EXPECT_EQ(berth_container_lock(c, &err), -ENOENT);
	berth_error_release(&err);
	berth_container_free(c);
}

TEST_F(root, list_is_sorted_and_skips_junk)
{
	char **ids = NULL;
	berth_error_t err = NULL;
	char path[128];

	ASSERT_EQ(make_container(self->dir, "bt-z", getpid()), 0);
	ASSERT_EQ(make_container(self->dir, "bt-m", getpid()), 0);
	snprintf(path, sizeof(path), "%s/.hidden", self->dir);
	ASSERT_EQ(mkdir(path, 0700), 0);
	ASSERT_EQ(berth_container_list_ids(self->dir, &ids, &err), 0);
	EXPECT_STREQ(ids[0], "bt-m");
	EXPECT_STREQ(ids[1], "bt-z");
	EXPECT_EQ(ids[2], NULL);
	cleanup_strvp(&ids);
	ASSERT_EQ(berth_container_list_ids("/nonexistent-berth-root", &ids, &err), 0);
	EXPECT_EQ(ids[0], NULL);
	cleanup_strvp(&ids);
}

/* Symlinks in a rootfs resolve inside it, also when creating the missing part. */
TEST_F(root, open_in_root_stays_inside)
{
	char rootfs[128], link[160], outside[160], inside[512];
	berth_error_t err = NULL;
	int rfd, fd = -1;
	struct stat st;

	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", self->dir);
	snprintf(outside, sizeof(outside), "%s/outside", self->dir);
	ASSERT_EQ(mkdir(rootfs, 0755), 0);
	ASSERT_EQ(mkdir(outside, 0755), 0);
	snprintf(link, sizeof(link), "%s/escape", rootfs);
	ASSERT_EQ(symlink("../../../../outside", link), 0);
	snprintf(link, sizeof(link), "%s/abs", rootfs);
	ASSERT_EQ(symlink(outside, link), 0);
	rfd = open(rootfs, O_PATH | O_DIRECTORY);
	ASSERT_GE(rfd, 0);
	ASSERT_EQ(berth_open_in_root(rfd, "/escape/made", true, false, &fd, &err), 0);
	close(fd);
	ASSERT_EQ(berth_open_in_root(rfd, "/abs/sub/file", true, true, &fd, &err), 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	close(fd);
	/* nothing was created outside the rootfs */
	snprintf(inside, sizeof(inside), "%s/made", outside);
	EXPECT_LT(access(inside, F_OK), 0);
	snprintf(inside, sizeof(inside), "%s/outside/made", rootfs);
	EXPECT_EQ(access(inside, F_OK), 0);
	snprintf(inside, sizeof(inside), "%s%s/sub/file", rootfs, outside);
	EXPECT_EQ(access(inside, F_OK), 0);
	EXPECT_EQ(berth_open_in_root(rfd, "/nope/x", false, false, &fd, &err), -ENOENT);
	EXPECT_SUBSTR(err->msg, "open `/nope/x` in the rootfs");
	berth_error_release(&err);
	close(rfd);
}

TEST(hooks_get_state_and_fail_with_status)
{
	char dir[] = "/tmp/berth-unit-hooks-XXXXXX", out[64], cmd[160];
	struct berth_config cfg = { 0 };
	struct berth_hook h[2] = { 0 };
	berth_error_t err = NULL;
	char *argv_ok[] = { "sh", "-c", cmd, NULL };
	char *argv_fail[] = { "sh", "-c", "exit 5", NULL };
	char *text = NULL;

	ASSERT_NE(mkdtemp(dir), NULL);
	snprintf(out, sizeof(out), "%s/stdin", dir);
	snprintf(cmd, sizeof(cmd), "cat > %s", out);
	h[0] = (struct berth_hook){ .path = "/bin/sh", .args = argv_ok };
	h[1] = (struct berth_hook){ .path = "/bin/sh", .args = argv_fail };
	cfg.hooks[BERTH_HOOK_POSTSTOP] = (struct berth_hooks){ h, 1 };
	ASSERT_EQ(berth_hooks_run(&cfg, BERTH_HOOK_POSTSTOP, "{\"id\":\"x\"}", &err), 0);
	ASSERT_EQ(berth_read_file(out, &text, NULL, &err), 0);
	EXPECT_STREQ(text, "{\"id\":\"x\"}");
	free(text);
	cfg.hooks[BERTH_HOOK_PRESTART] = (struct berth_hooks){ h, 2 };
	EXPECT_LT(berth_hooks_run(&cfg, BERTH_HOOK_PRESTART, "{}", &err), 0);
	EXPECT_STREQ(err->msg, "prestart hook `/bin/sh`: exited with status 5");
	berth_error_release(&err);
	unlink(out);
	rmdir(dir);
}

TEST(hook_timeout_kills_it)
{
	struct berth_config cfg = { 0 };
	char *argv[] = { "sleep", "20", NULL };
	struct berth_hook h = { .path = "/bin/sleep", .args = argv, .timeout = 1 };
	berth_error_t err = NULL;

	cfg.hooks[BERTH_HOOK_CREATE_RUNTIME] = (struct berth_hooks){ &h, 1 };
	EXPECT_EQ(berth_hooks_run(&cfg, BERTH_HOOK_CREATE_RUNTIME, "{}", &err), -ETIMEDOUT);
	EXPECT_STREQ(err->msg, "createRuntime hook `/bin/sleep`: timed out after 1 s");
	berth_error_release(&err);
}

TEST_MAIN()
