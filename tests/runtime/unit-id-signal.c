/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>

#include "container.h"
#include "harness.h"
#include "signals.h"

TEST(valid_ids_are_accepted)
{
	EXPECT_EQ(berth_id_validate("web", NULL), 0);
	EXPECT_EQ(berth_id_validate("a.b-c_d+e9", NULL), 0);
	EXPECT_EQ(berth_id_validate("...x", NULL), 0);
}

TEST(bad_ids_are_refused_with_the_reason)
{
	berth_error_t err = NULL;
	char long_id[BERTH_ID_MAX + 2];

	EXPECT_LT(berth_id_validate("a/b", &err), 0);
	EXPECT_STREQ(err->msg, "invalid container ID `a/b`: `/` is not allowed");
	berth_error_release(&err);
	EXPECT_LT(berth_id_validate("..", &err), 0);
	EXPECT_STREQ(err->msg, "invalid container ID `..`");
	berth_error_release(&err);
	EXPECT_LT(berth_id_validate(".", NULL), 0);
	EXPECT_LT(berth_id_validate("", &err), 0);
	EXPECT_STREQ(err->msg, "container ID must not be empty");
	berth_error_release(&err);
	EXPECT_LT(berth_id_validate("a\nb", &err), 0);
	EXPECT_STREQ(err->msg, "invalid container ID: control character 0x0a at 1");
	berth_error_release(&err);
	EXPECT_LT(berth_id_validate("a b", NULL), 0);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	EXPECT_LT(berth_id_validate(long_id, &err), 0);
	EXPECT_SUBSTR(err->msg, "longer than");
	berth_error_release(&err);
	long_id[BERTH_ID_MAX] = '\0';
	EXPECT_EQ(berth_id_validate(long_id, NULL), 0);
}

TEST(signal_names_and_numbers)
{
	int sig = 0;

	ASSERT_EQ(berth_signal_parse("KILL", &sig, NULL), 0);
	EXPECT_EQ(sig, SIGKILL);
	ASSERT_EQ(berth_signal_parse("SIGKILL", &sig, NULL), 0);
	EXPECT_EQ(sig, SIGKILL);
	ASSERT_EQ(berth_signal_parse("term", &sig, NULL), 0);
	EXPECT_EQ(sig, SIGTERM);
	ASSERT_EQ(berth_signal_parse("9", &sig, NULL), 0);
	EXPECT_EQ(sig, 9);
	ASSERT_EQ(berth_signal_parse("SIGRTMIN+2", &sig, NULL), 0);
	EXPECT_EQ(sig, SIGRTMIN + 2);
	ASSERT_EQ(berth_signal_parse("RTMAX-1", &sig, NULL), 0);
	EXPECT_EQ(sig, SIGRTMAX - 1);
	ASSERT_EQ(berth_signal_parse("RTMIN", &sig, NULL), 0);
	EXPECT_EQ(sig, SIGRTMIN);
}

TEST(unknown_signals_are_refused)
{
	berth_error_t err = NULL;
	int sig = 0;

	EXPECT_LT(berth_signal_parse("FOO", &sig, &err), 0);
	EXPECT_STREQ(err->msg, "unknown signal `FOO`");
	berth_error_release(&err);
	EXPECT_LT(berth_signal_parse("0", &sig, NULL), 0);
	EXPECT_LT(berth_signal_parse("99", &sig, NULL), 0);
	EXPECT_LT(berth_signal_parse("9x", &sig, NULL), 0);
	EXPECT_LT(berth_signal_parse("RTMIN+99", &sig, NULL), 0);
	EXPECT_LT(berth_signal_parse("", &sig, NULL), 0);
}

TEST_MAIN()
