/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The failures of the TCP connection engine that need no connection: bad
 * TCP records are refused before a socket is made, and an image holding a
 * connection is refused without --tcp-established (cr_image_check_tcp()).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cr/cr.h"
#include "cr/image.h"
#include "cr/records.h"
#include "cr/tcp.h"
#include "harness.h"

static struct cr_r_tcp good(void)
{
	struct cr_r_tcp r = { .id = 1, .family = AF_INET, .lport = 1000, .rport = 2000 };

	r.laddr[0] = r.raddr[0] = 127;
	r.laddr[3] = r.raddr[3] = 1;
	return r;
}

/* cr_tcp_restore() on r: its errno (0: success), *fd what it left there. */
static int restore_err(const struct cr_r_tcp *r, size_t len, int *fd, bool *named)
{
	static const char data[16];
	berth_error_t err = NULL;
	struct cr_r_tcp *keep = NULL;
	int e = 0;

	*fd = -1;
	if (cr_tcp_restore(r, data, len, 0, fd, &keep, &err) < 0) {
		e = err->errnum;
		*named = strstr(err->msg, "bad TCP record") != NULL;
		berth_error_release(&err);
	}
	free(keep);
	return e;
}

#define REFUSED(r, len)                                       \
	do {                                                  \
		int fd_;                                      \
		bool named_ = false;                          \
		EXPECT_EQ(restore_err(r, len, &fd_, &named_), EBADMSG); \
		EXPECT_EQ(fd_, -1);                           \
		EXPECT_TRUE(named_);                          \
	} while (0)

TEST(unknown_family_is_refused)
{
	struct cr_r_tcp r = good();

	r.family = AF_UNIX;
	REFUSED(&r, 0);
}

TEST(queues_longer_than_the_record_are_refused)
{
	struct cr_r_tcp r = good();

	r.snd_len = 10;
	r.rcv_len = 10;
	REFUSED(&r, 16);
}

TEST(more_unsent_than_queued_is_refused)
{
	struct cr_r_tcp r = good();

	r.snd_len = 4;
	r.unsent = 5;
	REFUSED(&r, 16);
}

TEST(port_out_of_range_is_refused)
{
	struct cr_r_tcp r = good();

	r.rport = 70000;
	REFUSED(&r, 0);
}

/* An image directory whose files.img holds one FILE of type t. */
static void files_img(char *dir, uint32_t t)
{
	struct cr_r_file f = { .id = 1, .type = t };
	static const char path[] = "socket:[4242]";
	berth_error_t err = NULL;
	struct cr_img img;
	int dirfd;

	strcpy(dir, "/tmp/berth-unit-tcp-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || cr_img_create(&img, dirfd, "files.img", CR_KIND_FILES, &err) < 0 ||
	    cr_img_write(&img, CR_REC_FILE, &f, sizeof(f), path, sizeof(path), &err) < 0 ||
	    cr_img_finish(&img, &err) < 0)
		abort();
	close(dirfd);
}

static int rm_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

TEST(image_with_a_connection_needs_the_flag)
{
	berth_error_t err = NULL;
	char dir[64];

	files_img(dir, CR_FILE_TCP);
	ASSERT_LT(cr_image_check_tcp(dir, false, &err), 0);
	EXPECT_EQ(err->errnum, ENOTSUP);
	EXPECT_TRUE(strstr(err->msg, "`socket:[4242]`: the image holds an established TCP "
				     "connection: restore it with --tcp-established") != NULL);
	berth_error_release(&err);
	EXPECT_EQ(cr_image_check_tcp(dir, true, &err), 0);
	EXPECT_EQ(rm_dir(dir), 0);
}

TEST(image_without_a_connection_passes)
{
	berth_error_t err = NULL;
	char dir[64];

	files_img(dir, CR_FILE_TCP_LISTEN);
	EXPECT_EQ(cr_image_check_tcp(dir, false, &err), 0);
	EXPECT_EQ(rm_dir(dir), 0);
}

TEST(missing_image_is_an_error)
{
	berth_error_t err = NULL;

	ASSERT_LT(cr_image_check_tcp("/nonexistent/berth-image", false, &err), 0);
	EXPECT_EQ(err->errnum, ENOENT);
	berth_error_release(&err);
}

TEST_MAIN()
