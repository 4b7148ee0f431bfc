/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Blobs become visible only after their sha256 matched. */
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "storage/internal.h"

FIXTURE(store)
{
	char dir[64];
	struct storage_store *st;
};

FIXTURE_SETUP(store)
{
	berth_error_t err = NULL;

	snprintf(self->dir, sizeof(self->dir), "/tmp/berth-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(self->dir) != NULL);
	ASSERT_EQ(storage_store_open(self->dir, &self->st, &err), 0);
}

FIXTURE_TEARDOWN(store)
{
	storage_store_close(self->st);
	st_remove_tree_at(AT_FDCWD, self->dir);
}

/* sha256("hello\n") */
#define HELLO "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

TEST(sha256_of_a_buffer)
{
	char out[ST_DIGEST_LEN + 1];

	st_sha256_buf("hello\n", 6, out);
	EXPECT_STREQ(out, HELLO);
}

TEST(digest_strings_are_checked)
{
	berth_error_t err = NULL;

	EXPECT_EQ(st_digest_check(HELLO, &err), 0);
	EXPECT_LT(st_digest_check("sha256:5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03", &err), 0);
	EXPECT_LT(st_digest_check("sha512:00", &err), 0);
	EXPECT_SUBSTR(err->msg, "algorithm `sha512` not supported");
	EXPECT_LT(st_digest_check("sha256:../../etc/passwd", &err), 0);
	berth_error_release(&err);
}

TEST_F(store, matching_blob_is_stored)
{
	berth_error_t err = NULL;
	char got[ST_DIGEST_LEN + 1];
	char *buf = NULL;
	size_t len = 0;

	ASSERT_EQ(st_blob_put(self->st, "hello\n", 6, HELLO, got, &err), 0);
	EXPECT_STREQ(got, HELLO);
	EXPECT_TRUE(st_blob_exists(self->st, HELLO));
	ASSERT_EQ(st_blob_read(self->st, HELLO, 100, &buf, &len, &err), 0);
	EXPECT_EQ(len, 6);
	free(buf);
}

TEST_F(store, mismatching_blob_is_rejected_and_nothing_stored)
{
	berth_error_t err = NULL;
	char blobs[128], tmp[128];

	ASSERT_EQ(st_blob_put(self->st, "hellO\n", 6, HELLO, NULL, &err), -EBADMSG);
	EXPECT_SUBSTR(err->msg, "blob " HELLO ": digest mismatch: content has sha256:");
	EXPECT_FALSE(st_blob_exists(self->st, HELLO));
	snprintf(blobs, sizeof(blobs), "%s/storage/blobs/sha256", self->dir);
	snprintf(tmp, sizeof(tmp), "%s/storage/tmp", self->dir);
	EXPECT_EQ(count_files(blobs), 0);
	EXPECT_EQ(count_files(tmp), 0);
	berth_error_release(&err);
}

TEST_F(store, streamed_blob_is_verified_at_commit)
{
	berth_error_t err = NULL;
	struct st_blob_writer w;
	char tmp[128];
	bool exists;

	ASSERT_EQ(st_blob_writer_open(self->st, HELLO, false, &exists, &w, &err), 0);
	ASSERT_FALSE(exists);
	ASSERT_EQ(st_blob_writer_write(&w, "hel", 3, &err), 0);
	ASSERT_EQ(st_blob_writer_write(&w, "p!\n", 3, &err), 0);
	EXPECT_FALSE(st_blob_exists(self->st, HELLO)); /* not visible while written */
	EXPECT_EQ(st_blob_writer_commit(&w, &err), -EBADMSG);
	EXPECT_FALSE(st_blob_exists(self->st, HELLO));
	snprintf(tmp, sizeof(tmp), "%s/storage/tmp", self->dir);
	EXPECT_EQ(count_files(tmp), 0);
	berth_error_release(&err);
}

TEST_F(store, partial_blob_is_resumed)
{
	berth_error_t err = NULL;
	struct st_blob_writer w;
	bool exists;

	ASSERT_EQ(st_blob_writer_open(self->st, HELLO, true, &exists, &w, &err), 0);
	ASSERT_EQ(st_blob_writer_write(&w, "hel", 3, &err), 0);
	st_blob_writer_close(&w, true); /* as if the process died here */
	ASSERT_EQ(st_blob_writer_open(self->st, HELLO, true, &exists, &w, &err), 0);
	EXPECT_EQ(w.size, 3);
	ASSERT_EQ(st_blob_writer_write(&w, "lo\n", 3, &err), 0);
	ASSERT_EQ(st_blob_writer_commit(&w, &err), 0);
	EXPECT_TRUE(st_blob_exists(self->st, HELLO));
}

TEST_MAIN()
