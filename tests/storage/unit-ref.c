/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Image references are parsed the way docker and podman users expect. */
#include "harness.h"
#include "storage/internal.h"

static void check(struct harness_test *_t, const char *in, const char *reg, const char *repo,
		  const char *tag, const char *digest, const char *canon)
{
	berth_error_t err = NULL;
	struct storage_ref r;
	char *s;

	ASSERT_EQ(storage_ref_parse(in, &r, &err), 0);
	EXPECT_STREQ(r.registry, reg);
	EXPECT_STREQ(r.repository, repo);
	if (tag)
		EXPECT_STREQ(r.tag, tag);
	else
		EXPECT_TRUE(r.tag == NULL);
	if (digest)
		EXPECT_STREQ(r.digest, digest);
	else
		EXPECT_TRUE(r.digest == NULL);
	s = storage_ref_string(&r);
	EXPECT_STREQ(s, canon);
	free(s);
	storage_ref_clear(&r);
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(references_are_parsed_and_written_back_canonical)
{
	static const struct {
		const char *in, *reg, *repo, *tag, *digest, *canon;
	} cases[] = {
		/* A short name is docker.io/library/NAME:latest. */
		{ "busybox", "docker.io", "library/busybox", "latest", NULL,
		  "docker.io/library/busybox:latest" },
		{ "someone/app:2", "docker.io", "someone/app", "2", NULL, "docker.io/someone/app:2" },
		{ "127.0.0.1:5000/app:1", "127.0.0.1:5000", "app", "1", NULL, "127.0.0.1:5000/app:1" },
		{ "quay.io/org/sub/app", "quay.io", "org/sub/app", "latest", NULL,
		  "quay.io/org/sub/app:latest" },
		{ "localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest" },
		/* A digest reference has no tag. */
		{ "busybox@" D, "docker.io", "library/busybox", NULL, D, "docker.io/library/busybox@" D },
		{ "127.0.0.1:5000/a/b:v1@" D, "127.0.0.1:5000", "a/b", "v1", D,
		  "127.0.0.1:5000/a/b:v1@" D },
		/* Docker Hub's aliases are normalised. */
		{ "index.docker.io/library/alpine:3", "docker.io", "library/alpine", "3", NULL,
		  "docker.io/library/alpine:3" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(_t, cases[i].in, cases[i].reg, cases[i].repo, cases[i].tag, cases[i].digest,
		      cases[i].canon);
}

static void bad(struct harness_test *_t, const char *in, const char *msg)
{
	berth_error_t err = NULL;
	struct storage_ref r;

	ASSERT_LT(storage_ref_parse(in, &r, &err), 0);
	ASSERT_TRUE(err != NULL);
	EXPECT_SUBSTR(err->msg, msg);
	berth_error_release(&err);
}

TEST(bad_references_are_refused_with_the_reason)
{
	bad(_t, "", "empty image reference");
	bad(_t, "Busybox", "must be lower case");
	bad(_t, "busybox:", "invalid tag");
	bad(_t, "busybox:a/b", "invalid registry");
	bad(_t, "host:/b", "invalid registry");
	bad(_t, "busybox@sha256:1234", "not 64 lower-case hex digits");
	bad(_t, "busybox@md5:0123", "algorithm `md5` not supported");
	bad(_t, "a//b", "invalid repository name");
	bad(_t, "-a", "invalid repository name");
}

TEST_MAIN()
