/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Layer unpacking: whiteout conversion and path safety. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "harness.h"
#include "storage/internal.h"

FIXTURE(dirs)
{
	char base[64];
	char layer[96];
	char outside[96];
	char tar[96];
	int layerfd;
};

FIXTURE_SETUP(dirs)
{
	snprintf(self->base, sizeof(self->base), "/tmp/berth-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(self->base) != NULL);
	snprintf(self->layer, sizeof(self->layer), "%s/layer", self->base);
	snprintf(self->outside, sizeof(self->outside), "%s/outside", self->base);
	snprintf(self->tar, sizeof(self->tar), "%s/l.tar", self->base);
	ASSERT_EQ(mkdir(self->layer, 0755), 0);
	ASSERT_EQ(mkdir(self->outside, 0755), 0);
	self->layerfd = open(self->layer, O_RDONLY | O_DIRECTORY);
	ASSERT_GE(self->layerfd, 0);
}

FIXTURE_TEARDOWN(dirs)
{
	if (self->layerfd >= 0)
		close(self->layerfd);
	st_remove_tree_at(AT_FDCWD, self->base);
}

/* Entries: "path" (file), "path/" (dir), "path->target" (symlink), "path=>target" (hard link). */
static int write_tar(const char *file, const char *const *entries)
{
	struct archive *a = archive_write_new();
	int ret = 0;

	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, file) != ARCHIVE_OK)
		return -1;
	for (size_t i = 0; entries[i]; i++) {
		struct archive_entry *e = archive_entry_new();
		char name[256];
		const char *arrow = strstr(entries[i], "->"), *hard = strstr(entries[i], "=>");
		size_t n = strlen(entries[i]);

		snprintf(name, sizeof(name), "%.*s", (int)(arrow ? (size_t)(arrow - entries[i]) :
						     hard ? (size_t)(hard - entries[i]) : n),
			 entries[i]);
		archive_entry_set_pathname(e, name);
		archive_entry_set_mtime(e, 1000000000, 0);
		if (arrow) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, arrow + 2);
		} else if (hard) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, hard + 2);
		} else if (name[strlen(name) - 1] == '/') {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, 3);
		}
		if (archive_write_header(a, e) != ARCHIVE_OK)
			ret = -1;
		if (!arrow && !hard && name[strlen(name) - 1] != '/')
			archive_write_data(a, "hi\n", 3);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return ret;
}

static int unpack(const char *tar, int dirfd, enum st_unpack_mode mode, berth_error_t *err)
{
	int fd = open(tar, O_RDONLY);
	int ret = st_unpack_tar(fd, dirfd, mode, err);

	close(fd);
	return ret;
}

TEST(path_clean)
{
	berth_error_t err = NULL;
	char *out = NULL;

	ASSERT_EQ(st_path_clean("./a//b/", &out, &err), 0);
	EXPECT_STREQ(out, "a/b");
	free(out);
	ASSERT_EQ(st_path_clean("./", &out, &err), 0);
	EXPECT_STREQ(out, "");
	free(out);
	ASSERT_EQ(st_path_clean("a/..b/c..", &out, &err), 0); /* ".." only as a whole component */
	EXPECT_STREQ(out, "a/..b/c..");
	free(out);
	EXPECT_LT(st_path_clean("/etc/passwd", &out, &err), 0);
	EXPECT_SUBSTR(err->msg, "absolute path refused");
	EXPECT_LT(st_path_clean("a/../../b", &out, &err), 0);
	EXPECT_SUBSTR(err->msg, "`..` refused");
	EXPECT_LT(st_path_clean("..", &out, &err), 0);
	berth_error_release(&err);
}

TEST_F(dirs, whiteouts_become_overlay_whiteouts_in_layer_mode)
{
	static const char *const e[] = { "d/", "d/x", ".wh.gone", "d/.wh..wh..opq", NULL };
	berth_error_t err = NULL;
	char path[160], val[8] = "";
	struct stat sb;

	ASSERT_EQ(write_tar(self->tar, e), 0);
	ASSERT_EQ(unpack(self->tar, self->layerfd, ST_UNPACK_LAYER, &err), 0);
	snprintf(path, sizeof(path), "%s/gone", self->layer);
	ASSERT_EQ(lstat(path, &sb), 0);
	EXPECT_TRUE(S_ISCHR(sb.st_mode));
	EXPECT_EQ(sb.st_rdev, makedev(0, 0));
	snprintf(path, sizeof(path), "%s/d", self->layer);
	EXPECT_EQ(getxattr(path, "trusted.overlay.opaque", val, sizeof(val)), 1);
	EXPECT_EQ(val[0], 'y');
	snprintf(path, sizeof(path), "%s/.wh.gone", self->layer);
	EXPECT_LT(lstat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/d/x", self->layer);
	EXPECT_EQ(lstat(path, &sb), 0);
}

TEST_F(dirs, whiteouts_delete_lower_entries_in_flatten_mode)
{
	static const char *const lower[] = { "gone", "d/", "d/old", "keep", NULL };
	static const char *const upper[] = { "d/", "d/new", "d/.wh..wh..opq", ".wh.gone", NULL };
	berth_error_t err = NULL;
	char path[160];
	struct stat sb;

	ASSERT_EQ(write_tar(self->tar, lower), 0);
	ASSERT_EQ(unpack(self->tar, self->layerfd, ST_UNPACK_FLATTEN, &err), 0);
	ASSERT_EQ(write_tar(self->tar, upper), 0);
	ASSERT_EQ(unpack(self->tar, self->layerfd, ST_UNPACK_FLATTEN, &err), 0);
	snprintf(path, sizeof(path), "%s/gone", self->layer);
	EXPECT_LT(lstat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/d/old", self->layer);
	EXPECT_LT(lstat(path, &sb), 0);
	/* the opaque marker came after d/new: what this layer made stays */
	snprintf(path, sizeof(path), "%s/d/new", self->layer);
	EXPECT_EQ(lstat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/keep", self->layer);
	EXPECT_EQ(lstat(path, &sb), 0);
}

static void refused(struct harness_test *_t, struct _fixture_dirs *self, const char *const *e,
		    const char *msg)
{
	berth_error_t err = NULL;
	char path[160];
	struct stat sb;

	ASSERT_EQ(write_tar(self->tar, e), 0);
	ASSERT_LT(unpack(self->tar, self->layerfd, ST_UNPACK_LAYER, &err), 0);
	ASSERT_TRUE(err != NULL);
	EXPECT_SUBSTR(err->msg, msg);
	snprintf(path, sizeof(path), "%s/evil", self->outside);
	EXPECT_LT(lstat(path, &sb), 0);
	berth_error_release(&err);
}

TEST_F(dirs, dotdot_entry_is_refused)
{
	char evil[160];
	const char *e[] = { evil, NULL };

	snprintf(evil, sizeof(evil), "../outside/evil");
	refused(_t, self, e, "`..` refused");
}

TEST_F(dirs, absolute_entry_is_refused)
{
	char evil[160];
	const char *e[] = { evil, NULL };

	snprintf(evil, sizeof(evil), "%s/evil", self->outside);
	refused(_t, self, e, "absolute path refused");
}

TEST_F(dirs, entry_through_absolute_symlink_is_refused)
{
	char link[160];
	const char *e[] = { link, "esc/evil", NULL };

	snprintf(link, sizeof(link), "esc->%s", self->outside);
	refused(_t, self, e, "path leads outside the layer (through a symlink) refused");
}

TEST_F(dirs, entry_through_relative_symlink_is_refused)
{
	const char *e[] = { "a/", "a/esc->../../outside", "a/esc/evil", NULL };

	refused(_t, self, e, "path leads outside the layer (through a symlink) refused");
}

TEST_F(dirs, hard_link_to_outside_is_refused)
{
	char link[160];
	const char *e[] = { "l->..", link, NULL };

	snprintf(link, sizeof(link), "evil=>l/outside/x");
	refused(_t, self, e, "path leads outside the layer");
}

TEST_F(dirs, symlink_inside_the_layer_is_followed)
{
	static const char *const e[] = { "real/", "in->real", "in/file", NULL };
	berth_error_t err = NULL;
	char path[160];
	struct stat sb;

	ASSERT_EQ(write_tar(self->tar, e), 0);
	ASSERT_EQ(unpack(self->tar, self->layerfd, ST_UNPACK_LAYER, &err), 0);
	snprintf(path, sizeof(path), "%s/real/file", self->layer);
	EXPECT_EQ(lstat(path, &sb), 0);
}

TEST_MAIN()
