/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "util.h"

TEST(error_errno_appends_cause)
{
	berth_error_t err = NULL;
	int ret = berth_error_errno(&err, ENOENT, "mount `%s` to `%s`", "/data", "/srv");

	ASSERT_EQ(ret, -ENOENT);
	ASSERT_NE(err, NULL);
	EXPECT_EQ(err->errnum, ENOENT);
	EXPECT_STREQ(err->msg, "mount `/data` to `/srv`: No such file or directory");
	berth_error_release(&err);
	EXPECT_EQ(err, NULL);
}

TEST(error_wrap_adds_context_first)
{
	berth_error_t err = NULL;

	berth_error(&err, 0, "bad signal `FOO`");
	ASSERT_EQ(berth_error_wrap(&err, "kill `%s`", "web"), -1);
	EXPECT_STREQ(err->msg, "kill `web`: bad signal `FOO`");
	berth_error_release(&err);
}

TEST(error_with_null_sink_still_returns_negative)
{
	EXPECT_EQ(berth_error_errno(NULL, EPERM, "x"), -EPERM);
	EXPECT_EQ(berth_error(NULL, 0, "x"), -1);
}

TEST(write_file_atomic_replaces_content)
{
	char dir[] = "/tmp/berth-unit-XXXXXX", path[128];
	berth_error_t err = NULL;
	char *buf = NULL;
	size_t len = 0;

	ASSERT_NE(mkdtemp(dir), NULL);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	ASSERT_EQ(berth_write_file_atomic(path, "old", 3, 0600, true, &err), 0);
	ASSERT_EQ(berth_write_file_atomic(path, "newer", 5, 0600, false, &err), 0);
	ASSERT_EQ(berth_read_file(path, &buf, &len, &err), 0);
	EXPECT_EQ(len, 5);
	EXPECT_STREQ(buf, "newer");
	free(buf);
	unlink(path);
	EXPECT_EQ(rmdir(dir), 0); /* no temporary file left behind */
}

TEST(write_file_atomic_missing_dir_fails_cleanly)
{
	berth_error_t err = NULL;

	ASSERT_LT(berth_write_file_atomic("/nonexistent-berth/x", "a", 1, 0600, false, &err), 0);
	EXPECT_SUBSTR(err->msg, "/nonexistent-berth/x.tmp-");
	EXPECT_SUBSTR(err->msg, "No such file or directory");
	berth_error_release(&err);
}

TEST(json_error_names_line_and_column)
{
	char path[] = "/tmp/berth-unit-json-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "{\n  \"a\": 1,\n  \"b\": ]\n}\n";
	berth_error_t err = NULL;
	json_t *j = NULL;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	EXPECT_LT(berth_json_load_file(path, &j, &err), 0);
	unlink(path);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, ":3:");
	EXPECT_EQ(j, NULL);
	berth_error_release(&err);
}

TEST(mkdir_p_creates_nested)
{
	char dir[] = "/tmp/berth-unit-XXXXXX", path[128];
	struct stat st;
	berth_error_t err = NULL;

	ASSERT_NE(mkdtemp(dir), NULL);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	ASSERT_EQ(berth_mkdir_p(path, 0700, &err), 0);
	ASSERT_EQ(stat(path, &st), 0);
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(berth_mkdir_p(path, 0700, &err), 0);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	EXPECT_EQ(system(path), 0);
}

TEST_MAIN()
