/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cr_image_verify(): the check `berth restore` makes before it builds a
 * container: every image file read to its END record with its checksums.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cr/cr.h"
#include "cr/image.h"
#include "cr/maps.h"
#include "cr/records.h"
#include "harness.h"

FIXTURE(img) {
	char dir[64];
	int dirfd;
};

static void write_file(int dirfd, const char *name, uint32_t kind, uint32_t type, const void *p,
		       size_t len)
{
	struct cr_img img;
	berth_error_t err = NULL;

	if (cr_img_create(&img, dirfd, name, kind, &err) < 0 ||
	    cr_img_write(&img, type, p, len, NULL, 0, &err) < 0 || cr_img_finish(&img, &err) < 0) {
		fprintf(stderr, "# %s\n", err->msg);
		abort();
	}
}

/* An inventory with root pid 1 and a page file of 64 KiB of data. */
FIXTURE_SETUP(img)
{
	struct cr_r_inventory inv = { .arch = CR_ARCH_X86_64, .page_size = CR_PAGE, .nproc = 1,
				      .root_pid = 1 };
	static char pages[65536];

	strcpy(self->dir, "/tmp/berth-unit-cr-XXXXXX");
	ASSERT_NE(mkdtemp(self->dir), NULL);
	self->dirfd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(self->dirfd, 0);
	memset(pages, 0x5a, sizeof(pages));
	write_file(self->dirfd, "pages-1.img", CR_KIND_PAGES, CR_REC_PAGES, pages, sizeof(pages));
	write_file(self->dirfd, "inventory.img", CR_KIND_INVENTORY, CR_REC_INVENTORY, &inv,
		   sizeof(inv));
}

FIXTURE_TEARDOWN(img)
{
	char cmd[128];

	close(self->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	EXPECT_EQ(system(cmd), 0);
}

static void flip(int dirfd, const char *name, off_t off)
{
	unsigned char b;
	int fd = openat(dirfd, name, O_RDWR | O_CLOEXEC);

	if (fd < 0 || pread(fd, &b, 1, off) != 1)
		abort();
	b ^= 0xff;
	if (pwrite(fd, &b, 1, off) != 1)
		abort();
	close(fd);
}

TEST_F(img, good_image_gives_root_pid)
{
	berth_error_t err = NULL;
	uint32_t root = 0;

	ASSERT_EQ(cr_image_verify(self->dir, &root, &err), 0);
	EXPECT_EQ(root, 1u);
}

TEST_F(img, corrupted_page_data_is_a_checksum_error)
{
	berth_error_t err = NULL;
	uint32_t root;

	flip(self->dirfd, "pages-1.img", 40000);
	ASSERT_LT(cr_image_verify(self->dir, &root, &err), 0);
	EXPECT_TRUE(strstr(err->msg, "image file `pages-1.img`: record 1: checksum mismatch") != NULL);
	berth_error_release(&err);
}

TEST_F(img, truncated_page_file_is_an_error)
{
	berth_error_t err = NULL;
	char path[128];
	uint32_t root;

	snprintf(path, sizeof(path), "%s/pages-1.img", self->dir);
	ASSERT_EQ(truncate(path, 30000), 0);
	ASSERT_LT(cr_image_verify(self->dir, &root, &err), 0);
	EXPECT_TRUE(strstr(err->msg, "image file `pages-1.img`: truncated") != NULL);
	berth_error_release(&err);
}

TEST_F(img, missing_inventory_is_an_error)
{
	berth_error_t err = NULL;
	uint32_t root;

	ASSERT_EQ(unlinkat(self->dirfd, "inventory.img", 0), 0);
	ASSERT_LT(cr_image_verify(self->dir, &root, &err), 0);
	EXPECT_TRUE(strstr(err->msg, "inventory.img") != NULL);
	EXPECT_EQ(err->errnum, ENOENT);
	berth_error_release(&err);
}

TEST_F(img, other_files_are_ignored)
{
	berth_error_t err = NULL;
	uint32_t root = 0;
	int fd = openat(self->dirfd, "config.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "{}", 2), 2);
	close(fd);
	ASSERT_EQ(cr_image_verify(self->dir, &root, &err), 0);
	EXPECT_EQ(root, 1u);
}

TEST(missing_directory_is_an_error)
{
	berth_error_t err = NULL;
	uint32_t root;

	ASSERT_LT(cr_image_verify("/nonexistent/berth-cr", &root, &err), 0);
	EXPECT_EQ(err->errnum, ENOENT);
	berth_error_release(&err);
}

TEST_MAIN()
