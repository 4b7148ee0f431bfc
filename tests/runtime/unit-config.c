/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "config.h"
#include "harness.h"
#include "util.h"

static const char base[] =
	"{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},"
	"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}";

/* Parse base with one top-level member replaced (json text of the value). */
static int parse_with(const char *key, const char *value, struct berth_config **cfg,
		      berth_error_t *err)
{
	json_t *j = json_loads(base, 0, NULL);
	int ret;

	if (key)
		json_object_set_new(j, key, json_loads(value, JSON_DECODE_ANY, NULL));
	ret = berth_config_parse(j, cfg, err);
	json_decref(j);
	return ret;
}

TEST(minimal_config_parses_with_defaults)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(parse_with(NULL, NULL, &cfg, &err), 0);
	EXPECT_STREQ(cfg->root_path, "rootfs");
	EXPECT_FALSE(cfg->root_readonly);
	EXPECT_STREQ(cfg->process.args[0], "sh");
	EXPECT_EQ(cfg->process.args[1], NULL);
	EXPECT_NE(cfg->process.env, NULL);
	EXPECT_EQ(cfg->n_mounts, 0);
	EXPECT_EQ(json_object_size(cfg->annotations), 0);
	berth_config_free(cfg);
}

TEST(default_spec_parses_and_has_busybox_defaults)
{
	json_t *j = berth_config_default(false);
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	ASSERT_NE(j, NULL);
	ASSERT_EQ(berth_config_parse(j, &cfg, &err), 0);
	EXPECT_STREQ(cfg->process.args[0], "sh");
	EXPECT_TRUE(cfg->ns[BERTH_NS_PID].enabled);
	EXPECT_TRUE(cfg->ns[BERTH_NS_MNT].enabled);
	EXPECT_FALSE(cfg->ns[BERTH_NS_USER].enabled);
	EXPECT_EQ(cfg->process.n_rlimits, 1);
	EXPECT_EQ(cfg->process.rlimits[0].resource, RLIMIT_NOFILE);
	EXPECT_NE(cfg->process.capabilities, NULL);
	EXPECT_NE(cfg->resources, NULL);
	berth_config_free(cfg);
	json_decref(j);
}

TEST(rootless_spec_maps_the_caller)
{
	json_t *j = berth_config_default(true);
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(berth_config_parse(j, &cfg, &err), 0);
	EXPECT_TRUE(cfg->ns[BERTH_NS_USER].enabled);
	ASSERT_EQ(cfg->n_uid_maps, 1);
	EXPECT_EQ(cfg->uid_maps[0].host_id, getuid());
	EXPECT_EQ(cfg->resources, NULL);
	berth_config_free(cfg);
	json_decref(j);
}

TEST(missing_required_fields_are_named)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;
	json_t *j = json_loads("{\"ociVersion\":\"1.1.0\"}", 0, NULL);

	EXPECT_LT(berth_config_parse(j, &cfg, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_STREQ(err->msg, "root: missing required field");
	berth_error_release(&err);
	json_decref(j);

	EXPECT_LT(parse_with("process", "{\"cwd\":\"/\"}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.args: missing required field");
	berth_error_release(&err);
	EXPECT_LT(parse_with("root", "{}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "root.path: missing required field");
	berth_error_release(&err);
}

TEST(wrong_types_are_named)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	EXPECT_LT(parse_with("process", "{\"args\":\"sh\",\"cwd\":\"/\"}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.args: expected array of strings");
	berth_error_release(&err);
	EXPECT_LT(parse_with("process", "{\"args\":[\"sh\", 3],\"cwd\":\"/\"}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.args[1]: expected string");
	berth_error_release(&err);
	EXPECT_LT(parse_with("hostname", "42", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "hostname: expected string");
	berth_error_release(&err);
	EXPECT_LT(parse_with("process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"terminal\":\"yes\"}",
			     &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.terminal: expected boolean");
	berth_error_release(&err);
	EXPECT_LT(parse_with("process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":\"0\",\"gid\":0}}",
			     &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.user.uid: expected integer");
	berth_error_release(&err);
	EXPECT_LT(parse_with("mounts", "[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":\"ro\"}]",
			     &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "mounts[0].options: expected array");
	berth_error_release(&err);
}

TEST(bad_values_are_refused)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	EXPECT_LT(parse_with("process", "{\"args\":[],\"cwd\":\"/\"}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.args: must not be empty");
	berth_error_release(&err);
	EXPECT_LT(parse_with("process", "{\"args\":[\"sh\"],\"cwd\":\"tmp\"}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.cwd: `tmp` is not an absolute path");
	berth_error_release(&err);
	EXPECT_LT(parse_with("process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":"
			     "[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "process.rlimits[0].type: unknown rlimit `RLIMIT_FOO`");
	berth_error_release(&err);
	EXPECT_LT(parse_with("linux", "{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"bogus\"}]}",
			     &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "linux.namespaces[1].type: unknown namespace `bogus`");
	berth_error_release(&err);
	EXPECT_LT(parse_with("linux", "{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}",
			     &cfg, &err), 0);
	EXPECT_SUBSTR(err->msg, "given twice");
	berth_error_release(&err);
	EXPECT_LT(parse_with("linux", "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"q\",\"major\":1,"
			     "\"minor\":1}]}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "linux.devices[0].type: `q` is not one of c, b, u, p");
	berth_error_release(&err);
	EXPECT_LT(parse_with("hooks", "{\"prestart\":[{\"path\":\"hook\"}]}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "hooks.prestart[0].path: `hook` is not an absolute path");
	berth_error_release(&err);
}

TEST(unsupported_features_are_refused_by_name)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	EXPECT_LT(parse_with("linux", "{\"intelRdt\":{\"closID\":\"x\"}}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "unsupported: linux.intelRdt");
	berth_error_release(&err);
	EXPECT_LT(parse_with("mounts", "[{\"destination\":\"/x\",\"source\":\"/y\",\"options\":[\"rbind\","
			     "\"idmap\"]}]", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "unsupported: mounts[0].options: `idmap`");
	berth_error_release(&err);
}

TEST(unknown_fields_are_ignored)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(parse_with("someFutureField", "{\"x\":[1,2]}", &cfg, &err), 0);
	berth_config_free(cfg);
	ASSERT_EQ(parse_with("windows", "{\"layerFolders\":[]}", &cfg, &err), 0);
	berth_config_free(cfg);
}

TEST(mount_options_become_flags_and_data)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;
	const struct berth_mount *m;

	ASSERT_EQ(parse_with("mounts",
			     "[{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
			     "\"options\":[\"nosuid\",\"ro\",\"rw\",\"rslave\",\"size=64k\",\"mode=755\"]},"
			     "{\"destination\":\"/b\",\"source\":\"/srv\",\"options\":[\"rbind\",\"nodev\"]}]",
			     &cfg, &err), 0);
	ASSERT_EQ(cfg->n_mounts, 2);
	m = &cfg->mounts[0];
	EXPECT_EQ(m->flags, MS_NOSUID);
	EXPECT_EQ(m->clear, MS_RDONLY);
	EXPECT_EQ(m->propagation, MS_SLAVE | MS_REC);
	EXPECT_STREQ(m->data, "size=64k,mode=755");
	EXPECT_FALSE(m->bind);
	m = &cfg->mounts[1];
	EXPECT_TRUE(m->bind);
	EXPECT_EQ(m->flags, MS_BIND | MS_REC | MS_NODEV);
	EXPECT_EQ(m->data, NULL);
	berth_config_free(cfg);
}

TEST(tmpcopyup_is_for_tmpfs)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(parse_with("mounts", "[{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":"
			     "\"tmpfs\",\"options\":[\"rw\",\"tmpcopyup\",\"size=64k\"]}]", &cfg, &err), 0);
	EXPECT_TRUE(cfg->mounts[0].tmpcopyup);
	EXPECT_STREQ(cfg->mounts[0].data, "size=64k");
	berth_config_free(cfg);
	cfg = NULL;
	EXPECT_LT(parse_with("mounts", "[{\"destination\":\"/x\",\"source\":\"/y\",\"options\":"
			     "[\"rbind\",\"tmpcopyup\"]}]", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "mounts[0].options: `tmpcopyup` needs a tmpfs mount");
	berth_error_release(&err);
}

TEST(namespaces_maps_hooks_and_sysctl)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;
	json_t *j = json_loads(base, 0, NULL);

	json_object_set_new(j, "linux", json_loads(
		"{\"namespaces\":[{\"type\":\"user\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"}],"
		"\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		"\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		"\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"rootfsPropagation\":\"private\"}", 0, NULL));
	json_object_set_new(j, "hooks", json_loads(
		"{\"poststop\":[{\"path\":\"/bin/true\",\"args\":[\"true\",\"a\"],\"timeout\":3}]}", 0, NULL));
	ASSERT_EQ(berth_config_parse(j, &cfg, &err), 0);
	EXPECT_TRUE(cfg->ns[BERTH_NS_USER].enabled);
	EXPECT_EQ(cfg->ns[BERTH_NS_USER].path, NULL);
	EXPECT_STREQ(cfg->ns[BERTH_NS_NET].path, "/run/netns/x");
	EXPECT_FALSE(cfg->ns[BERTH_NS_PID].enabled);
	EXPECT_EQ(cfg->uid_maps[0].host_id, 100000);
	EXPECT_EQ(cfg->n_sysctl, 1);
	EXPECT_STREQ(cfg->sysctl[0].key, "net.ipv4.ip_forward");
	EXPECT_EQ(cfg->rootfs_propagation, MS_PRIVATE);
	ASSERT_EQ(cfg->hooks[BERTH_HOOK_POSTSTOP].n, 1);
	EXPECT_EQ(cfg->hooks[BERTH_HOOK_POSTSTOP].list[0].timeout, 3);
	EXPECT_STREQ(cfg->hooks[BERTH_HOOK_POSTSTOP].list[0].args[1], "a");
	EXPECT_EQ(berth_ns_flag(BERTH_NS_NET), CLONE_NEWNET);
	EXPECT_STREQ(berth_ns_proc_name(BERTH_NS_MNT), "mnt");
	berth_config_free(cfg);
	json_decref(j);
}

TEST(device_file_mode_may_carry_its_file_type)
{
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;

	/* podman --privileged: S_IFCHR|0644, S_IFBLK|0660, and plain permission bits. */
	ASSERT_EQ(parse_with("linux", "{\"devices\":["
			     "{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3,"
			     "\"fileMode\":8612},"
			     "{\"path\":\"/dev/loop0\",\"type\":\"b\",\"major\":7,\"minor\":0,"
			     "\"fileMode\":25008},"
			     "{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":5,"
			     "\"fileMode\":416}]}", &cfg, &err), 0);
	ASSERT_EQ(cfg->n_devices, 3);
	EXPECT_EQ(cfg->devices[0].mode, 0644);
	EXPECT_EQ(cfg->devices[1].mode, 0660);
	EXPECT_EQ(cfg->devices[2].mode, 0640);
	berth_config_free(cfg);
	cfg = NULL;
	/* S_IFBLK|0644 on a character device, and bits above S_IFMT. */
	EXPECT_LT(parse_with("linux", "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\","
			     "\"major\":1,\"minor\":3,\"fileMode\":24996}]}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "linux.devices[0].fileMode: 24996: the file type bits 060000 "
		     "do not match type `c`");
	berth_error_release(&err);
	EXPECT_LT(parse_with("linux", "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\","
			     "\"major\":1,\"minor\":3,\"fileMode\":65536}]}", &cfg, &err), 0);
	EXPECT_STREQ(err->msg, "linux.devices[0].fileMode: 65536 is out of range");
	berth_error_release(&err);
}

TEST(config_file_error_names_line_and_column)
{
	char path[] = "/tmp/berth-unit-config-XXXXXX";
	const char *text = "{\n  \"ociVersion\": \"1.1.0\",\n  \"root\": {\"path\": \"rootfs\",}\n}\n";
	struct berth_config *cfg = NULL;
	berth_error_t err = NULL;
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	EXPECT_LT(berth_config_load(path, &cfg, &err), 0);
	unlink(path);
	ASSERT_NE(err, NULL);
	EXPECT_SUBSTR(err->msg, ":3:");
	berth_error_release(&err);
}

TEST(propagation_and_rlimit_names)
{
	EXPECT_EQ(berth_propagation_parse("rshared"), MS_SHARED | MS_REC);
	EXPECT_EQ(berth_propagation_parse("unbindable"), MS_UNBINDABLE);
	EXPECT_EQ(berth_propagation_parse("bogus"), -1);
	EXPECT_EQ(berth_rlimit_parse("RLIMIT_NPROC"), RLIMIT_NPROC);
	EXPECT_EQ(berth_rlimit_parse("NOFILE"), -1);
}

TEST_MAIN()
