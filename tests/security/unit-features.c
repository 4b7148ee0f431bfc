/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The features document (runtime-spec features.md) has every expected key. */
#include <errno.h>
#include <seccomp.h>

#include "caps.h"
#include "config.h"
#include "harness.h"
#include "oci_features.h"
#include "util.h"

static int has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

TEST(document_has_the_spec_keys)
{
	json_t *f cleanup_json = NULL;
	berth_error_t err = NULL;
	json_t *linux_, *cg;

	ASSERT_EQ(berth_features(&f, &err), 0);
	EXPECT_STREQ(json_string_value(json_object_get(f, "ociVersionMin")), "1.0.0");
	EXPECT_STREQ(json_string_value(json_object_get(f, "ociVersionMax")), BERTH_OCI_VERSION);
	EXPECT_EQ(json_array_size(json_object_get(f, "hooks")), 6);
	EXPECT_TRUE(has_string(json_object_get(f, "hooks"), "createRuntime"));
	EXPECT_TRUE(has_string(json_object_get(f, "mountOptions"), "rbind"));
	EXPECT_TRUE(has_string(json_object_get(f, "mountOptions"), "rslave"));
	linux_ = json_object_get(f, "linux");
	ASSERT_TRUE(json_is_object(linux_));
	EXPECT_TRUE(has_string(json_object_get(linux_, "namespaces"), "pid"));
	EXPECT_TRUE(has_string(json_object_get(linux_, "namespaces"), "time"));
	EXPECT_EQ(json_array_size(json_object_get(linux_, "capabilities")),
		  (size_t)berth_cap_max_known() + 1);
	EXPECT_TRUE(has_string(json_object_get(linux_, "capabilities"), "CAP_BPF"));
	cg = json_object_get(linux_, "cgroup");
	EXPECT_TRUE(json_is_true(json_object_get(cg, "v1")));
	EXPECT_TRUE(json_is_true(json_object_get(cg, "v2")));
	EXPECT_TRUE(json_is_false(json_object_get(cg, "systemd")));
	EXPECT_TRUE(json_is_true(json_object_get(json_object_get(linux_, "seccomp"), "enabled")));
	EXPECT_TRUE(json_is_false(json_object_get(json_object_get(linux_, "apparmor"), "enabled")));
	EXPECT_TRUE(json_is_false(json_object_get(json_object_get(linux_, "selinux"), "enabled")));
	EXPECT_TRUE(json_is_false(json_object_get(json_object_get(linux_, "intelRdt"), "enabled")));
	/* The mount code refuses "idmap" (runtime/config.c): not advertised. */
	EXPECT_TRUE(json_is_false(json_object_get(
		json_object_get(json_object_get(linux_, "mountExtensions"), "idmap"), "enabled")));
	EXPECT_STRNE(json_string_value(json_object_get(json_object_get(f, "annotations"),
						       "io.github.seccomp.libseccomp.version")),
		     "");
}

/*
 * Parse a config with one tmpfs mount carrying only opt (a tmpfs, so that
 * "tmpcopyup", valid only there, is checked like every other option).
 */
static int parse_tmpfs_with(json_t *opt, struct berth_config **cfg, berth_error_t *err)
{
	json_t *j = json_pack("{s:s, s:{s:s}, s:{s:[s], s:s}, s:[{s:s, s:s, s:s, s:[O]}]}",
			      "ociVersion", "1.1.0", "root", "path", "rootfs", "process", "args",
			      "sh", "cwd", "/", "mounts", "destination", "/data", "type", "tmpfs",
			      "source", "tmpfs", "options", opt);
	int ret;

	if (j == NULL)
		return berth_error(err, ENOMEM, "config");
	ret = berth_config_parse(j, cfg, err);
	json_decref(j);
	return ret;
}

/*
 * Every advertised mount option is accepted by the config parser and is
 * one the mount code acts on (flags, propagation, bind, tmpcopyup), not
 * filesystem data.
 */
TEST(advertised_mount_options_are_translated)
{
	json_t *f cleanup_json = NULL;
	berth_error_t err = NULL;
	json_t *opts, *v;
	size_t i;

	ASSERT_EQ(berth_features(&f, &err), 0);
	opts = json_object_get(f, "mountOptions");
	ASSERT_GT(json_array_size(opts), 30);
	EXPECT_TRUE(has_string(opts, "tmpcopyup"));
	json_array_foreach(opts, i, v) {
		struct berth_config *cfg = NULL;
		const struct berth_mount *m;

		if (parse_tmpfs_with(v, &cfg, &err) < 0) {
			_HARNESS_FAIL("EXPECT", "%s: %s", json_string_value(v), err->msg);
			berth_error_release(&err);
			continue;
		}
		if (cfg->n_mounts != 1) {
			_HARNESS_FAIL("EXPECT", "%s: %zu mounts", json_string_value(v), cfg->n_mounts);
			berth_config_free(cfg);
			continue;
		}
		m = &cfg->mounts[0];
		if (m->data != NULL)
			_HARNESS_FAIL("EXPECT", "%s ends up as filesystem data", json_string_value(v));
		if (m->flags == 0 && m->clear == 0 && m->propagation == 0 && !m->bind &&
		    !m->tmpcopyup)
			_HARNESS_FAIL("EXPECT", "%s changes nothing", json_string_value(v));
		berth_config_free(cfg);
	}
}

/* tmpcopyup stays refused where it means nothing: on a bind mount. */
TEST(tmpcopyup_needs_a_tmpfs)
{
	json_t *j = json_pack("{s:s, s:{s:s}, s:{s:[s], s:s}, s:[{s:s, s:s, s:[s, s]}]}",
			      "ociVersion", "1.1.0", "root", "path", "rootfs", "process", "args",
			      "sh", "cwd", "/", "mounts", "destination", "/data", "source", "/tmp",
			      "options", "rbind", "tmpcopyup");
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	ASSERT_NE(j, NULL);
	EXPECT_LT(berth_config_parse(j, &cfg, &err), 0);
	json_decref(j);
	ASSERT_NE(err, NULL);
	EXPECT_NE(strstr(err->msg, "tmpcopyup"), NULL);
	berth_error_release(&err);
	if (cfg)
		berth_config_free(cfg);
}

TEST_MAIN()
