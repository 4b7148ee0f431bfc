/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berth_utc() and berth_rfc3339_now(): UTC without glibc's /etc/localtime. */
#include <string.h>
#include <time.h>

#include "harness.h"
#include "util.h"

static void expect_tm(struct harness_test *_t, time_t t, int year, int mon, int mday, int hour,
		      int min, int sec, int wday)
{
	struct tm tm;

	berth_utc(t, &tm);
	EXPECT_EQ(tm.tm_year + 1900, year);
	EXPECT_EQ(tm.tm_mon + 1, mon);
	EXPECT_EQ(tm.tm_mday, mday);
	EXPECT_EQ(tm.tm_hour, hour);
	EXPECT_EQ(tm.tm_min, min);
	EXPECT_EQ(tm.tm_sec, sec);
	EXPECT_EQ(tm.tm_wday, wday);
}

TEST(known_dates)
{
	expect_tm(_t, 0, 1970, 1, 1, 0, 0, 0, 4);
	expect_tm(_t, -1, 1969, 12, 31, 23, 59, 59, 3);
	expect_tm(_t, 951782400, 2000, 2, 29, 0, 0, 0, 2);       /* a leap day of a 400-year */
	expect_tm(_t, 4107542399LL, 2100, 2, 28, 23, 59, 59, 0); /* 2100 has no Feb 29 */
	expect_tm(_t, 4107542400LL, 2100, 3, 1, 0, 0, 0, 1);
	expect_tm(_t, 1795663807, 2026, 11, 26, 3, 30, 7, 4);
}

TEST(same_as_gmtime_over_six_thousand_years)
{
	for (long long t = -100000000000LL; t < 100000000000LL; t += 86399LL * 37 + 13) {
		struct tm a, b;
		time_t tt = (time_t)t;

		gmtime_r(&tt, &a);
		berth_utc(tt, &b);
		ASSERT_EQ(a.tm_year, b.tm_year);
		ASSERT_EQ(a.tm_mon, b.tm_mon);
		ASSERT_EQ(a.tm_mday, b.tm_mday);
		ASSERT_EQ(a.tm_hour, b.tm_hour);
		ASSERT_EQ(a.tm_min, b.tm_min);
		ASSERT_EQ(a.tm_sec, b.tm_sec);
		ASSERT_EQ(a.tm_wday, b.tm_wday);
	}
}

TEST(rfc3339_now_is_utc_with_nanoseconds)
{
	char buf[48];
	struct tm tm;
	time_t before = time(NULL), after;

	berth_rfc3339_now(buf, sizeof(buf));
	after = time(NULL);
	EXPECT_EQ(strlen(buf), 30);
	EXPECT_EQ(buf[29], 'Z');
	EXPECT_EQ(buf[19], '.');
	memset(&tm, 0, sizeof(tm));
	EXPECT_TRUE(strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm) == buf + 19);
	time_t t = timegm(&tm);
	EXPECT_TRUE(t >= before && t <= after);
}

TEST_MAIN()
