/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Image config -> OCI runtime config. */
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "storage/internal.h"

/* An image with only a config (enough for the runtime config). */
static struct storage_image *image(const char *config_json)
{
	struct storage_image *img = calloc(1, sizeof(*img));
	berth_error_t err = NULL;

	img->id = strdup("sha256:1111111111111111111111111111111111111111111111111111111111111111");
	img->digest = strdup("sha256:2222222222222222222222222222222222222222222222222222222222222222");
	img->name = strdup("localhost/test:1");
	img->config_json = json_loads(config_json, 0, NULL);
	if (img->config_json == NULL || st_image_config_parse(img->config_json, &img->cfg, &err) < 0)
		abort();
	return img;
}

static char *args_of(json_t *cfg)
{
	return json_dumps(json_object_get(json_object_get(cfg, "process"), "args"), JSON_COMPACT);
}

#define CFG                                                                                         \
	"{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"/ep\"],"        \
	"\"Cmd\":[\"a\",\"b\"],\"Env\":[\"A=1\",\"PATH=/x\"],\"WorkingDir\":\"/w\","                 \
	"\"User\":\"app:staff\",\"Labels\":{\"l\":\"v\"},\"ExposedPorts\":{\"80/tcp\":{}},"          \
	"\"Volumes\":{\"/data\":{}},\"StopSignal\":\"SIGINT\"},\"rootfs\":{\"diff_ids\":[]}}"

FIXTURE(rootfs)
{
	char dir[64];
};

FIXTURE_SETUP(rootfs)
{
	char p[128];

	snprintf(self->dir, sizeof(self->dir), "/tmp/berth-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(self->dir) != NULL);
	snprintf(p, sizeof(p), "%s/etc", self->dir);
	ASSERT_EQ(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", self->dir);
	ASSERT_EQ(berth_write_file_atomic(p, "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/:/bin/sh\n",
					  52, 0644, false, NULL), 0);
	snprintf(p, sizeof(p), "%s/etc/group", self->dir);
	ASSERT_EQ(berth_write_file_atomic(p, "root:x:0:\nstaff:x:50:\n", 22, 0644, false, NULL), 0);
}

FIXTURE_TEARDOWN(rootfs)
{
	st_remove_tree_at(AT_FDCWD, self->dir);
}

TEST_F(rootfs, image_config_becomes_process)
{
	struct storage_image *img = image(CFG);
	struct storage_runtime_overrides ov = { .rootfs = self->dir };
	berth_error_t err = NULL;
	json_t *cfg = NULL, *p;
	char *args;

	ASSERT_EQ(storage_image_runtime_config(img, &ov, &cfg, &err), 0);
	p = json_object_get(cfg, "process");
	args = args_of(cfg);
	EXPECT_STREQ(args, "[\"/ep\",\"a\",\"b\"]");
	free(args);
	EXPECT_STREQ(json_string_value(json_object_get(p, "cwd")), "/w");
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 1000);
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(p, "user"), "gid")), 50);
	EXPECT_STREQ(json_string_value(json_array_get(json_object_get(p, "env"), 1)), "PATH=/x");
	EXPECT_STREQ(json_string_value(json_object_get(json_object_get(cfg, "annotations"), "l")), "v");
	EXPECT_STREQ(json_string_value(json_object_get(json_object_get(cfg, "annotations"),
						       "org.opencontainers.image.exposedPorts")),
		     "80/tcp");
	EXPECT_STREQ(json_string_value(json_object_get(json_object_get(cfg, "annotations"),
						       "org.opencontainers.image.stopSignal")),
		     "SIGINT");
	EXPECT_STREQ(json_string_value(json_object_get(json_object_get(cfg, "root"), "path")), self->dir);
	EXPECT_TRUE(json_array_size(json_object_get(cfg, "mounts")) >= 5);
	json_decref(cfg);
	storage_image_free(img);
}

TEST_F(rootfs, overrides_replace_image_values)
{
	struct storage_image *img = image(CFG);
	char *ep[] = { "/other", NULL }, *cmd[] = { "x", NULL }, *env[] = { "A=2", "B=3", "PATH", NULL };
	struct storage_runtime_overrides ov = { .entrypoint = ep, .args = cmd, .env = env,
						.user = "1:2", .workdir = "/tmp", .terminal = true,
						.rootfs = self->dir };
	berth_error_t err = NULL;
	json_t *cfg = NULL, *p;
	char *args, *e;

	ASSERT_EQ(storage_image_runtime_config(img, &ov, &cfg, &err), 0);
	p = json_object_get(cfg, "process");
	args = args_of(cfg);
	EXPECT_STREQ(args, "[\"/other\",\"x\"]");
	free(args);
	e = json_dumps(json_object_get(p, "env"), JSON_COMPACT);
	/* PATH unset by the override, then defaulted */
	EXPECT_STREQ(e, "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
			"\"A=2\",\"B=3\"]");
	free(e);
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 1);
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(p, "user"), "gid")), 2);
	EXPECT_TRUE(json_is_true(json_object_get(p, "terminal")));
	json_decref(cfg);
	storage_image_free(img);
}

TEST_F(rootfs, new_entrypoint_drops_image_cmd)
{
	struct storage_image *img = image(CFG);
	char *ep[] = { "/bin/true", NULL };
	struct storage_runtime_overrides ov = { .entrypoint = ep, .rootfs = self->dir };
	berth_error_t err = NULL;
	json_t *cfg = NULL;
	char *args;

	ASSERT_EQ(storage_image_runtime_config(img, &ov, &cfg, &err), 0);
	args = args_of(cfg);
	EXPECT_STREQ(args, "[\"/bin/true\"]");
	free(args);
	json_decref(cfg);
	storage_image_free(img);
}

TEST_F(rootfs, unknown_user_is_an_error)
{
	struct storage_image *img = image(CFG);
	struct storage_runtime_overrides ov = { .user = "nobody-here", .rootfs = self->dir };
	berth_error_t err = NULL;
	json_t *cfg = NULL;

	ASSERT_LT(storage_image_runtime_config(img, &ov, &cfg, &err), 0);
	EXPECT_SUBSTR(err->msg, "image `localhost/test:1`: user `nobody-here`: not found in the image's /etc/passwd");
	berth_error_release(&err);
	storage_image_free(img);
}

TEST(image_without_command_is_an_error)
{
	struct storage_image *img = image("{\"config\":{},\"rootfs\":{\"diff_ids\":[]}}");
	berth_error_t err = NULL;
	json_t *cfg = NULL;

	ASSERT_LT(storage_image_runtime_config(img, NULL, &cfg, &err), 0);
	EXPECT_SUBSTR(err->msg, "no command");
	berth_error_release(&err);
	storage_image_free(img);
}

TEST_MAIN()
