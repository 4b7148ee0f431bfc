/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IP parsing, printing and range math used by berth-ipam. */
#include "harness.h"

#include "netplugins/ipnet.h"

TEST(parses_and_prints_v4_and_v6)
{
	struct cni_ipnet n;
	char buf[CNI_IPNET_STRLEN];

	ASSERT_EQ(cni_ipnet_parse("198.18.3.7/16", &n, NULL), 0);
	EXPECT_EQ(n.ip.family, AF_INET);
	EXPECT_EQ(n.prefix, 16);
	EXPECT_STREQ(cni_ipnet_fmt(&n, buf), "198.18.3.7/16");
	ASSERT_EQ(cni_ipnet_parse("2001:2::5/64", &n, NULL), 0);
	EXPECT_EQ(n.ip.family, AF_INET6);
	EXPECT_STREQ(cni_ipnet_fmt(&n, buf), "2001:2::5/64");
}

TEST(rejects_bad_cidr_with_the_cause)
{
	berth_error_t err = NULL;
	struct cni_ipnet n;

	EXPECT_LT(cni_ipnet_parse("198.18.0.0", &n, &err), 0);
	EXPECT_SUBSTR(err->msg, "want ADDRESS/PREFIX");
	EXPECT_LT(cni_ipnet_parse("198.18.0.0/33", &n, &err), 0);
	EXPECT_SUBSTR(err->msg, "bad prefix length");
	EXPECT_LT(cni_ipnet_parse("198.18.0.256/24", &n, &err), 0);
	EXPECT_SUBSTR(err->msg, "bad address");
	EXPECT_LT(cni_ipnet_parse("2001:2::/129", &n, &err), 0);
	berth_error_release(&err);
}

TEST(first_last_and_contains)
{
	struct cni_ipnet n;
	struct cni_ip_addr a;
	char buf[CNI_IPNET_STRLEN];

	ASSERT_EQ(cni_ipnet_parse("198.18.3.7/22", &n, NULL), 0);
	cni_ipnet_first(&n, &a);
	EXPECT_STREQ(cni_ip_fmt(&a, buf), "198.18.0.0");
	cni_ipnet_last(&n, &a);
	EXPECT_STREQ(cni_ip_fmt(&a, buf), "198.18.3.255");
	EXPECT_TRUE(cni_ipnet_contains(&n, &a));
	ASSERT_EQ(cni_ip_parse("198.18.4.0", &a, NULL), 0);
	EXPECT_FALSE(cni_ipnet_contains(&n, &a));
	ASSERT_EQ(cni_ip_parse("2001:2::1", &a, NULL), 0);
	EXPECT_FALSE(cni_ipnet_contains(&n, &a));
}

TEST(add_carries_and_detects_wrap)
{
	struct cni_ip_addr a;
	char buf[CNI_IPNET_STRLEN];

	ASSERT_EQ(cni_ip_parse("198.18.0.255", &a, NULL), 0);
	EXPECT_TRUE(cni_ip_add(&a, 1));
	EXPECT_STREQ(cni_ip_fmt(&a, buf), "198.18.1.0");
	EXPECT_TRUE(cni_ip_add(&a, -2));
	EXPECT_STREQ(cni_ip_fmt(&a, buf), "198.18.0.254");
	EXPECT_TRUE(cni_ip_add(&a, 65536));
	EXPECT_STREQ(cni_ip_fmt(&a, buf), "198.19.0.254");
	ASSERT_EQ(cni_ip_parse("255.255.255.255", &a, NULL), 0);
	EXPECT_FALSE(cni_ip_add(&a, 1));
	ASSERT_EQ(cni_ip_parse("2001:2::ffff", &a, NULL), 0);
	EXPECT_TRUE(cni_ip_add(&a, 1));
	EXPECT_STREQ(cni_ip_fmt(&a, buf), "2001:2::1:0");
}

TEST(overlap)
{
	struct cni_ipnet a, b;

	ASSERT_EQ(cni_ipnet_parse("198.18.0.0/16", &a, NULL), 0);
	ASSERT_EQ(cni_ipnet_parse("198.18.9.0/24", &b, NULL), 0);
	EXPECT_TRUE(cni_ipnet_overlaps(&a, &b));
	ASSERT_EQ(cni_ipnet_parse("198.19.0.0/24", &b, NULL), 0);
	EXPECT_FALSE(cni_ipnet_overlaps(&a, &b));
}

TEST_MAIN()
