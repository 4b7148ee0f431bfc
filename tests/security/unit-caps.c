/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * process.capabilities: parsing into the five masks, errors naming the set
 * and the capability, and the real effect of the runtime's sequence (drop
 * bounding, keep caps, setuid, apply) on /proc/self/status in forked
 * children, before and after execve.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "caps.h"
#include "harness.h"
#include "util.h"

#define BIT(n) (UINT64_C(1) << (n))

static int parse_text(const char *text, int last, struct berth_caps **out, char **msg)
{
	json_t *j cleanup_json = json_loads(text, 0, NULL);
	berth_error_t err = NULL;
	int ret;

	*msg = NULL;
	if (j == NULL)
		return -100;
	ret = last < 0 ? berth_caps_parse(j, out, &err) : berth_caps_parse_last(j, last, out, &err);
	if (err) {
		*msg = strdup(err->msg);
		berth_error_release(&err);
	}
	return ret;
}

/* The five Cap* lines of a status file as "inh prm eff bnd amb" (hex). */
static void cap_lines(const char *status, char *out, size_t size)
{
	static const char *const keys[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" };
	size_t used = 0;

	out[0] = '\0';
	for (size_t k = 0; k < 5; k++) {
		const char *p = strstr(status, keys[k]);
		char val[17] = "?";

		if (p)
			sscanf(p + strlen(keys[k]), " %16s", val);
		used += (size_t)snprintf(out + used, size - used, "%s%s", k ? " " : "", val);
		if (used >= size)
			return;
	}
}

static void expected_lines(uint64_t inh, uint64_t prm, uint64_t eff, uint64_t bnd, uint64_t amb,
			   char *out, size_t size)
{
	snprintf(out, size, "%016llx %016llx %016llx %016llx %016llx", (unsigned long long)inh,
		 (unsigned long long)prm, (unsigned long long)eff, (unsigned long long)bnd,
		 (unsigned long long)amb);
}

TEST(parse_fills_the_five_sets)
{
	struct berth_caps *c cleanup_caps = NULL;
	cleanup_free char *msg = NULL;

	ASSERT_EQ(parse_text("{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_NET_ADMIN\"],"
			     "\"effective\":[\"CAP_KILL\"],\"inheritable\":[],"
			     "\"permitted\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
			     "\"ambient\":[\"CAP_SYS_ADMIN\",\"CAP_CHECKPOINT_RESTORE\"]}",
			     40, &c, &msg),
		  0);
	EXPECT_TRUE(c->present);
	EXPECT_EQ(c->bounding, BIT(0) | BIT(5) | BIT(12));
	EXPECT_EQ(c->effective, BIT(5));
	EXPECT_EQ(c->inheritable, 0);
	EXPECT_EQ(c->permitted, BIT(0) | BIT(5));
	EXPECT_EQ(c->ambient, BIT(21) | BIT(40));
	EXPECT_EQ(c->ignored, NULL);
}

TEST(every_known_name_parses_to_its_number)
{
	for (int cap = 0; cap <= berth_cap_max_known(); cap++) {
		struct berth_caps *c cleanup_caps = NULL;
		cleanup_free char *msg = NULL;
		char text[128];

		snprintf(text, sizeof(text), "{\"permitted\":[\"%s\"]}", berth_cap_name(cap));
		ASSERT_EQ(parse_text(text, 63, &c, &msg), 0);
		EXPECT_EQ(c->permitted, BIT(cap));
	}
	EXPECT_STREQ(berth_cap_name(40), "CAP_CHECKPOINT_RESTORE");
	EXPECT_EQ(berth_cap_name(64), NULL);
	/* The kernel's last capability, as libcap sees it too. */
	EXPECT_EQ(berth_cap_last(), (int)cap_max_bits() - 1);
}

TEST(absent_capabilities_change_nothing)
{
	struct berth_caps *c cleanup_caps = NULL;
	berth_error_t err = NULL;

	ASSERT_EQ(berth_caps_parse(NULL, &c, &err), 0);
	EXPECT_FALSE(c->present);
	EXPECT_EQ(berth_caps_drop_bounding(c, &err), 0);
	EXPECT_EQ(berth_caps_apply(c, &err), 0);
}

TEST(names_above_the_kernel_last_cap_are_ignored_and_listed)
{
	struct berth_caps *c cleanup_caps = NULL;
	cleanup_free char *msg = NULL;

	ASSERT_EQ(parse_text("{\"bounding\":[\"CAP_BPF\",\"CAP_KILL\",\"CAP_CHECKPOINT_RESTORE\"],"
			     "\"permitted\":[\"CAP_BPF\"]}",
			     38, &c, &msg),
		  0);
	EXPECT_EQ(c->bounding, BIT(5));
	EXPECT_EQ(c->permitted, 0);
	ASSERT_NE(c->ignored, NULL);
	EXPECT_STREQ(c->ignored[0], "CAP_BPF");
	EXPECT_STREQ(c->ignored[1], "CAP_CHECKPOINT_RESTORE");
	EXPECT_EQ(c->ignored[2], NULL); /* listed once although in two sets */
}

TEST(bad_input_is_refused_naming_set_and_entry)
{
	static const char *const cases[][2] = {
		{ "[]", "process.capabilities: expected an object" },
		{ "{\"bounding\":\"CAP_KILL\"}",
		  "process.capabilities.bounding: expected an array of strings" },
		{ "{\"effective\":[\"CAP_KILL\", 5]}",
		  "process.capabilities.effective[1]: expected a string" },
		{ "{\"ambient\":[\"CAP_KILL\",\"CAP_FLY\"]}",
		  "process.capabilities.ambient[1]: unknown capability \"CAP_FLY\"" },
		{ "{\"permitted\":[\"net_admin\"]}",
		  "process.capabilities.permitted[0]: unknown capability \"net_admin\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct berth_caps *c cleanup_caps = NULL;
		cleanup_free char *msg = NULL;
		int ret = parse_text(cases[i][0], -1, &c, &msg);

		EXPECT_LT(ret, 0);
		EXPECT_EQ(c, NULL);
		if (!msg || strcmp(msg, cases[i][1]) != 0)
			_HARNESS_FAIL("EXPECT", "case %zu: got \"%s\", want \"%s\"", i,
				      msg ? msg : "(success)", cases[i][1]);
	}
}

TEST(exec_cap_names_go_into_bounding_effective_permitted_not_inheritable)
{
	const char *names[] = { "NET_ADMIN", "cap_sys_time", "CAP_KILL" };
	const char *bad[] = { "CAP_KILL", "CAP_TELEPORT" };
	struct berth_caps *c cleanup_caps = NULL;
	cleanup_free char *msg = NULL;
	berth_error_t err = NULL;
	uint64_t m = 0;

	ASSERT_EQ(berth_caps_from_names(names, 3, &m, &err), 0);
	EXPECT_EQ(m, BIT(12) | BIT(25) | BIT(5));
	ASSERT_EQ(parse_text("{\"bounding\":[\"CAP_CHOWN\"],\"inheritable\":[\"CAP_KILL\"]}", -1,
			     &c, &msg),
		  0);
	berth_caps_add(c, m);
	EXPECT_EQ(c->bounding, BIT(0) | m);
	EXPECT_EQ(c->effective, m);
	EXPECT_EQ(c->permitted, m);
	/* CVE-2022-29162: --cap never makes a capability inheritable ... */
	EXPECT_EQ(c->inheritable, BIT(5));
	/* ... and is ambient only where it already was inheritable. */
	EXPECT_EQ(c->ambient, BIT(5));
	EXPECT_LT(berth_caps_from_names(bad, 2, &m, &err), 0);
	ASSERT_NE(err, NULL);
	EXPECT_STREQ(err->msg, "unknown capability \"CAP_TELEPORT\"");
	berth_error_release(&err);
}

/* --- the runtime's sequence, in a child --------------------------------- */

static const char caps_json[] =
	"{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\",\"CAP_NET_RAW\"],"
	"\"effective\":[\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"permitted\":[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"inheritable\":[\"CAP_NET_BIND_SERVICE\",\"CAP_NET_RAW\"],"
	"\"ambient\":[\"CAP_NET_BIND_SERVICE\"]}";

/*
 * Child: caps_json applied as the runtime does for process.user 1000:1000,
 * then its own status is written to fd 1 of the pipe, then (when exec_cat)
 * it execs cat on /proc/self/status into the same pipe.
 */
struct seq_args {
	int out;
	uid_t uid;
	int exec_cat;
};

static int child_sequence(void *arg)
{
	struct seq_args *a = arg;
	struct berth_caps *c cleanup_caps = NULL;
	cleanup_free char *msg = NULL, *status = NULL;
	berth_error_t err = NULL;
	size_t len = 0;

	if (parse_text(caps_json, -1, &c, &msg) < 0)
		return 1;
	if (berth_caps_drop_bounding(c, &err) < 0 || berth_caps_keep_on_setuid(true, &err) < 0)
		return 2;
	if (setgroups(0, NULL) < 0 || setgid(a->uid) < 0 || setuid(a->uid) < 0)
		return 3;
	if (berth_caps_keep_on_setuid(false, &err) < 0 || berth_caps_apply(c, &err) < 0) {
		printf("# %s\n", err->msg);
		return 4;
	}
	if (berth_read_file("/proc/self/status", &status, &len, NULL) < 0)
		return 5;
	if (berth_write_all(a->out, status, len) < 0 || berth_write_all(a->out, "\n--\n", 4) < 0)
		return 6;
	if (a->exec_cat) {
		dup2(a->out, 1);
		execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
		return 7;
	}
	return 0;
}

/* Run child_sequence; its output (status, "--", status after exec) into buf. */
static int run_sequence(uid_t uid, int exec_cat, char *buf, size_t size)
{
	struct seq_args a = { .uid = uid, .exec_cat = exec_cat };
	int p[2], status = 0;
	size_t used = 0;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	a.out = p[1];
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(child_sequence(&a));
	}
	close(p[1]);
	while (used + 1 < size && (n = read(p[0], buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(sequence_as_unprivileged_user_gives_exact_masks_and_ambient_survives_exec)
{
	static char buf[16384];
	char got[128], want[128], *after;
	const uint64_t bnd = BIT(0) | BIT(5) | BIT(10) | BIT(13);

	if (getuid() != 0)
		SKIP("needs root");
	ASSERT_EQ(run_sequence(1000, 1, buf, sizeof(buf)), 0);
	after = strstr(buf, "\n--\n");
	ASSERT_NE(after, NULL);
	*after = '\0';
	after += 4;
	cap_lines(buf, got, sizeof(got));
	expected_lines(BIT(10) | BIT(13), BIT(0) | BIT(5) | BIT(10), BIT(5) | BIT(10), bnd, BIT(10),
		       want, sizeof(want));
	EXPECT_STREQ(got, want);
	/* After execve as uid 1000 only the ambient set carries over (into prm and eff). */
	cap_lines(after, got, sizeof(got));
	expected_lines(BIT(10) | BIT(13), BIT(10), BIT(10), bnd, BIT(10), want, sizeof(want));
	EXPECT_STREQ(got, want);
	EXPECT_SUBSTR(after, "Uid:\t1000\t1000\t1000\t1000");
}

TEST(sequence_as_root_keeps_exactly_the_configured_sets)
{
	static char buf[16384];
	char got[128], want[128];

	if (getuid() != 0)
		SKIP("needs root");
	ASSERT_EQ(run_sequence(0, 0, buf, sizeof(buf)), 0);
	cap_lines(buf, got, sizeof(got));
	expected_lines(BIT(10) | BIT(13), BIT(0) | BIT(5) | BIT(10), BIT(5) | BIT(10),
		       BIT(0) | BIT(5) | BIT(10) | BIT(13), BIT(10), want, sizeof(want));
	EXPECT_STREQ(got, want);
}

static int child_drop_unprivileged(void *unused)
{
	struct berth_caps c = { .present = true };
	berth_error_t err = NULL;

	if (setuid(65534) < 0)
		return 1;
	if (berth_caps_drop_bounding(&c, &err) == 0)
		return 2;
	printf("# %s\n", err->msg);
	return strcmp(err->msg, "drop CAP_CHOWN from the bounding set: Operation not permitted") == 0
		       ? 0
		       : 3;
}

static int child_ambient_not_inheritable(void *unused)
{
	struct berth_caps c = { .present = true,
				.permitted = BIT(5),
				.effective = BIT(5),
				.bounding = BIT(5),
				.ambient = BIT(5) };
	berth_error_t err = NULL;

	if (berth_caps_apply(&c, &err) == 0)
		return 2;
	return strstr(err->msg, "raise ambient capability CAP_KILL") ? 0 : 3;
}

static int wait_child(int (*fn)(void *))
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		int rc = fn(NULL);

		fflush(stdout);
		_exit(rc);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(apply_failures_name_the_capability)
{
	if (getuid() != 0)
		SKIP("needs root");
	EXPECT_EQ(wait_child(child_drop_unprivileged), 0);
	EXPECT_EQ(wait_child(child_ambient_not_inheritable), 0);
}

TEST_MAIN()
