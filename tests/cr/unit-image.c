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

/* XXH64 reference values (seed 0 unless given), as other implementations print them. */
TEST(hash_known_vectors)
{
	static const char spam[] = "Nobody inspects the spammish repetition";

	EXPECT_EQ(cr_hash64("", 0, 0), 0xef46db3751d8e999ULL);
	EXPECT_EQ(cr_hash64("a", 1, 0), 0xd24ec4f1a98c6e5bULL);
	EXPECT_EQ(cr_hash64("abc", 3, 0), 0x44bc2cf5ad770999ULL);
	EXPECT_EQ(cr_hash64(spam, sizeof(spam) - 1, 0), 0xfbcea83c8a378bf1ULL); /* > 32 bytes */
	EXPECT_EQ(cr_hash64("xxhash", 6, 20141025), 0xb559b98d844e0635ULL);
}

/* Fed in pieces of any sizes, the streaming hash gives the one-shot value. */
TEST(hash_streaming_matches_one_shot)
{
	static unsigned char data[1000];
	static const size_t cuts[] = { 0, 1, 7, 31, 32, 33, 64, 100, 999, 1000 };

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + 7);
	for (size_t len = 0; len <= sizeof(data); len += 37) {
		uint64_t want = cr_hash64(data, len, 42);

		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			struct cr_hash_state s;
			size_t a = cuts[c] < len ? cuts[c] : len, b = a + (len - a) / 3;

			cr_hash_init(&s, 42);
			cr_hash_update(&s, data, a);
			cr_hash_update(&s, data + a, b - a);
			cr_hash_update(&s, data + b, len - b);
			ASSERT_EQ(cr_hash_final(&s), want);
		}
	}
}

/*
 * Records written in batches (more than one writev() holds) read back one by
 * one, in small and big reads, with their checksums and the END count.
 */
TEST_F(img, batched_records_read_back)
{
	enum { N = 700 };
	static struct cr_rec_out recs[N];
	static struct cr_r_pages heads[N];
	static unsigned char data[3 * 65536], got[3 * 65536];
	struct cr_img img;
	struct cr_rec_header h;
	berth_error_t err = NULL;
	int i = 0, r;

	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (unsigned char)(k * 7 + 3);
	for (int k = 0; k < N; k++) {
		size_t len = k % 5 == 0 ? 0 : k % 7 == 0 ? (size_t)(3 * 65536 - k) : (size_t)k * 13;

		heads[k] = (struct cr_r_pages){ .vaddr = (uint64_t)k << 12, .npages = len };
		recs[k] = (struct cr_rec_out){ &heads[k], sizeof(heads[k]), data + k % 7,
						 len ? len - k % 7 : 0 };
	}
	ASSERT_EQ(cr_img_create(&img, self->dirfd, "batch.img", CR_KIND_PAGES, &err), 0);
	ASSERT_EQ(cr_img_writev(&img, CR_REC_PAGES, recs, N, &err), 0);
	ASSERT_EQ(cr_img_finish(&img, &err), 0);
	cr_img_close(&img);

	ASSERT_EQ(cr_img_open(&img, self->dirfd, "batch.img", CR_KIND_PAGES, &err), 0);
	while ((r = cr_img_next(&img, &h, &err)) > 0) {
		struct cr_r_pages ph;
		size_t dlen;

		ASSERT_LT(i, N);
		ASSERT_EQ(h.type, (uint32_t)CR_REC_PAGES);
		ASSERT_EQ(h.len, sizeof(ph) + recs[i].dlen);
		ASSERT_EQ(cr_img_read(&img, &ph, sizeof(ph), &err), 0);
		EXPECT_EQ(ph.vaddr, heads[i].vaddr);
		dlen = recs[i].dlen;
		if (dlen > 10) { /* a small read, then the rest in one */
			ASSERT_EQ(cr_img_read(&img, got, 10, &err), 0);
			ASSERT_EQ(cr_img_read(&img, got + 10, dlen - 10, &err), 0);
		} else if (dlen) {
			ASSERT_EQ(cr_img_read(&img, got, dlen, &err), 0);
		}
		ASSERT_EQ(memcmp(got, recs[i].data, dlen), 0);
		i++;
	}
	EXPECT_EQ(r, 0);
	EXPECT_EQ(i, N);
	cr_img_close(&img);
}

/* A flipped byte in the middle of a batch is found in its own record. */
TEST_F(img, batched_record_corruption_is_found)
{
	static char page[4096];
	struct cr_rec_out recs[3] = { { NULL, 0, page, sizeof(page) },
				      { NULL, 0, page, sizeof(page) },
				      { NULL, 0, page, sizeof(page) } };
	struct cr_img img;
	struct cr_rec_header h;
	berth_error_t err = NULL;
	int r;

	ASSERT_EQ(cr_img_create(&img, self->dirfd, "bad.img", CR_KIND_PAGES, &err), 0);
	ASSERT_EQ(cr_img_writev(&img, CR_REC_PAGES, recs, 3, &err), 0);
	ASSERT_EQ(cr_img_finish(&img, &err), 0);
	cr_img_close(&img);
	/* header 32, record 1 at 32 (32 + 4096), record 2's data at 4160 + 32 */
	flip(self->dirfd, "bad.img", 4160 + 32 + 100);
	ASSERT_EQ(cr_img_open(&img, self->dirfd, "bad.img", CR_KIND_PAGES, &err), 0);
	ASSERT_EQ(cr_img_next(&img, &h, &err), 1);
	ASSERT_EQ(cr_img_read(&img, page, sizeof(page), &err), 0);
	ASSERT_EQ(cr_img_next(&img, &h, &err), 1);
	r = cr_img_read(&img, page, sizeof(page), &err);
	EXPECT_LT(r, 0);
	if (r < 0) {
		EXPECT_SUBSTR(err->msg, "image file `bad.img`: record 2: checksum mismatch");
		berth_error_release(&err);
	}
	cr_img_close(&img);
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
