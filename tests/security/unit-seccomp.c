/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * linux.seccomp: parsing (every action, operator, architecture and flag; bad
 * input named in the error) and the real effect of loaded filters in forked
 * children (errno, errnoRet, kill, trap, argument conditions, TSYNC,
 * /proc/self/status), and SCMP_ACT_NOTIFY with a listener at listenerPath.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "agent.h"
#include "harness.h"
#include "seccomp_filter.h"
#include "util.h"

/* Parse a JSON text; the error message (or NULL) is returned in *msg (malloc'd). */
static int parse_text(const char *text, struct berth_seccomp **out, char **msg)
{
	json_error_t jerr;
	json_t *j cleanup_json = json_loads(text, 0, &jerr);
	berth_error_t err = NULL;
	int ret;

	*msg = NULL;
	if (j == NULL) {
		*msg = strdup(jerr.text);
		return -100;
	}
	ret = berth_seccomp_parse(j, out, &err);
	if (err) {
		*msg = strdup(err->msg);
		berth_error_release(&err);
	}
	return ret;
}

/* Parse, expecting failure, and check the message contains want. */
static int parse_fails_with(const char *text, const char *want, char **msg)
{
	struct berth_seccomp *sc = NULL;
	int ret = parse_text(text, &sc, msg);

	berth_seccomp_free(sc);
	if (ret == -100)
		return 0; /* JSON itself broken: a bug in the test */
	return ret < 0 && *msg && strstr(*msg, want) != NULL;
}

/* Fork; the child runs fn and exits with its return value.  Returns the wait status. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Run fn in a child; the test fails unless it exits 0 (its return value). */
#define EXPECT_CHILD_SUCCEEDS(fn, arg)                                                   \
	do {                                                                             \
		int _status = in_child(fn, arg);                                         \
		if (!WIFEXITED(_status) || WEXITSTATUS(_status) != 0)                    \
			_HARNESS_FAIL("EXPECT", "%s: wait status %#x, want exit 0", #fn, \
				      _status);                                          \
	} while (0)

/* Parse and load text in the calling process; 0 on success. */
static int load_text(const char *text, int *notify_fd)
{
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	berth_error_t err = NULL;
	char *msg = NULL;
	int fd = -1, ret;

	ret = parse_text(text, &sc, &msg);
	if (ret < 0) {
		fprintf(stdout, "# parse: %s\n", msg ? msg : "?");
		free(msg);
		return 90;
	}
	if (berth_seccomp_load(sc, &fd, &err) < 0) {
		fprintf(stdout, "# load: %s\n", err->msg);
		fflush(stdout);
		berth_error_release(&err);
		return 91;
	}
	if (notify_fd)
		*notify_fd = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

/* The value of "Key:" in /proc/self/status, e.g. "2"; "" when missing. */
static void status_field(const char *path, const char *key, char *out, size_t size)
{
	cleanup_free char *buf = NULL;
	size_t len = 0, klen = strlen(key);
	char *p;

	out[0] = '\0';
	if (berth_read_file(path, &buf, &len, NULL) < 0)
		return;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			char *v = p + klen + 1, *e;

			while (*v == ' ' || *v == '\t')
				v++;
			e = strchr(v, '\n');
			snprintf(out, size, "%.*s", e ? (int)(e - v) : (int)strlen(v), v);
			return;
		}
	}
}

static const char *const all_actions[] = {
	"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
	"SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",	   "SCMP_ACT_TRACE",
	"SCMP_ACT_ALLOW", "SCMP_ACT_LOG",	   "SCMP_ACT_NOTIFY",
};

TEST(parse_every_action_and_compile_it)
{
	for (size_t i = 0; i < sizeof(all_actions) / sizeof(*all_actions); i++) {
		struct berth_seccomp *sc cleanup_seccomp = NULL;
		cleanup_free char *msg = NULL;
		cleanup_free void *bpf = NULL;
		berth_error_t err = NULL;
		char text[512];
		size_t n = 0;

		snprintf(text, sizeof(text),
			 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\","
			 "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"%s\"}]}",
			 all_actions[i]);
		ASSERT_EQ(parse_text(text, &sc, &msg), 0);
		EXPECT_EQ(sc->n_rules, 1);
		EXPECT_EQ((int)sc->rules[0].action, (int)i);
		EXPECT_STREQ(berth_seccomp_act_name(sc->rules[0].action), all_actions[i]);
		EXPECT_EQ(sc->uses_notify, strcmp(all_actions[i], "SCMP_ACT_NOTIFY") == 0);
		ASSERT_EQ(berth_seccomp_compile(sc, &bpf, &n, &err), 0);
		EXPECT_GT(n, 3);
	}
}

TEST(parse_errno_ret_defaults_to_eperm_and_is_kept)
{
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	cleanup_free char *msg = NULL;

	ASSERT_EQ(parse_text("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
			     "\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\"},"
			     "{\"names\":[\"b\",\"c\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":5}]}",
			     &sc, &msg),
		  0);
	EXPECT_EQ(sc->default_action, BERTH_SCMP_ACT_ERRNO);
	EXPECT_EQ(sc->default_errno_ret, 38);
	EXPECT_EQ(sc->rules[0].errno_ret, EPERM);
	EXPECT_FALSE(sc->rules[0].has_errno_ret);
	EXPECT_EQ(sc->rules[1].errno_ret, 5);
	EXPECT_STREQ(sc->rules[1].names[1], "c");
	EXPECT_EQ(sc->rules[1].names[2], NULL);
}

TEST(parse_every_operator)
{
	static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
					   "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					   "SCMP_CMP_MASKED_EQ" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++) {
		struct berth_seccomp *sc cleanup_seccomp = NULL;
		cleanup_free char *msg = NULL;
		cleanup_free void *bpf = NULL;
		berth_error_t err = NULL;
		char text[512];
		size_t n = 0;

		snprintf(text, sizeof(text),
			 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			 "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":%zu,"
			 "\"value\":255,\"valueTwo\":7,\"op\":\"%s\"}]}]}",
			 i % 6, ops[i]);
		ASSERT_EQ(parse_text(text, &sc, &msg), 0);
		ASSERT_EQ(sc->rules[0].n_args, 1);
		EXPECT_EQ((int)sc->rules[0].args[0].op, (int)i);
		EXPECT_STREQ(berth_seccomp_op_name(sc->rules[0].args[0].op), ops[i]);
		EXPECT_EQ(sc->rules[0].args[0].index, i % 6);
		EXPECT_EQ(sc->rules[0].args[0].value, 255);
		EXPECT_EQ(sc->rules[0].args[0].value_two, 7);
		EXPECT_EQ(berth_seccomp_compile(sc, &bpf, &n, &err), 0);
	}
}

TEST(parse_every_architecture_and_compile_the_little_endian_ones)
{
	static const char *const archs[] = {
		"SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",	"SCMP_ARCH_X32",
		"SCMP_ARCH_ARM",	 "SCMP_ARCH_AARCH64",	"SCMP_ARCH_MIPS",
		"SCMP_ARCH_MIPS64",	 "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
		"SCMP_ARCH_MIPSEL64",	 "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
		"SCMP_ARCH_PPC64",	 "SCMP_ARCH_PPC64LE",	"SCMP_ARCH_S390",
		"SCMP_ARCH_S390X",	 "SCMP_ARCH_PARISC",	"SCMP_ARCH_PARISC64",
		"SCMP_ARCH_RISCV64",
	};
	struct berth_seccomp *le cleanup_seccomp = NULL;
	cleanup_free char *lemsg = NULL;
	cleanup_free void *bpf = NULL;
	berth_error_t err = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(archs) / sizeof(*archs); i++) {
		struct berth_seccomp *sc cleanup_seccomp = NULL;
		cleanup_free char *msg = NULL;
		char text[256];

		snprintf(text, sizeof(text),
			 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"%s\"]}",
			 archs[i]);
		ASSERT_EQ(parse_text(text, &sc, &msg), 0);
		EXPECT_STREQ(sc->archs[0], archs[i]);
	}
	ASSERT_EQ(parse_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
			     "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\","
			     "\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\",\"SCMP_ARCH_RISCV64\","
			     "\"SCMP_ARCH_PPC64LE\",\"SCMP_ARCH_MIPSEL64\"],"
			     "\"syscalls\":[{\"names\":[\"mkdir\",\"open\"],"
			     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
			     &le, &lemsg),
		  0);
	ASSERT_EQ(berth_seccomp_compile(le, &bpf, &n, &err), 0);
	EXPECT_GT(n, 20);
}

TEST(parse_every_flag)
{
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	cleanup_free char *msg = NULL;

	ASSERT_EQ(parse_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":["
			     "\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
			     "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
			     "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
			     "\"listenerPath\":\"/run/l.sock\",\"listenerMetadata\":\"m\"}",
			     &sc, &msg),
		  0);
	EXPECT_EQ(sc->flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
				     SECCOMP_FILTER_FLAG_SPEC_ALLOW | (1UL << 5));
	EXPECT_STREQ(sc->listener_path, "/run/l.sock");
	EXPECT_STREQ(sc->listener_metadata, "m");
}

TEST(parse_absent_means_no_filter)
{
	struct berth_seccomp *sc = (void *)1;
	berth_error_t err = NULL;

	EXPECT_EQ(berth_seccomp_parse(NULL, &sc, &err), 0);
	EXPECT_EQ(sc, NULL);
	EXPECT_EQ(err, NULL);
}

/* Each bad input: the error names the field and the offending value. */
TEST(parse_refuses_bad_input_by_name)
{
	static const char *const cases[][2] = {
		{ "[]", "linux.seccomp: expected an object" },
		{ "{}", "linux.seccomp.defaultAction: missing" },
		{ "{\"defaultAction\":5}", "linux.seccomp.defaultAction: expected a string" },
		{ "{\"defaultAction\":\"SCMP_ACT_FOO\"}",
		  "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_BOGUS\"}]}",
		  "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_BOGUS\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}",
		  "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_FAST\"]}",
		  "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
		  "\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
		  "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "linux.seccomp.syscalls[0].args[0].index: 6 is out of range" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":\"1\","
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "linux.seccomp.syscalls[0].args[0].value: expected an unsigned integer" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\","
		  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		  "linux.seccomp.syscalls[0].names: expected an array of strings" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\", 3],"
		  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		  "linux.seccomp.syscalls[0].names[1]: expected a string" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
		  "linux.seccomp.syscalls[0].names: missing" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
		  "linux.seccomp.syscalls: expected an array" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}",
		  "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW does not take an errno" },
		{ "{\"defaultAction\":\"SCMP_ACT_KILL\",\"defaultErrnoRet\":1}",
		  "linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL does not take an errno" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
		  "linux.seccomp.defaultErrnoRet: -1 is out of range" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		  "linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath" },
		{ "{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
		  "SCMP_ACT_NOTIFY cannot be the default action" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":"
		  "[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		  "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for \"write\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"rel.sock\"}",
		  "linux.seccomp.listenerPath: \"rel.sock\" is not an absolute path" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":7}",
		  "linux.seccomp.listenerMetadata: expected a string" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		cleanup_free char *msg = NULL;

		if (!parse_fails_with(cases[i][0], cases[i][1], &msg))
			_HARNESS_FAIL("EXPECT", "case %zu: got \"%s\", want \"%s\"", i,
				      msg ? msg : "(success)", cases[i][1]);
	}
}

TEST(unknown_syscall_names_are_ignored)
{
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	cleanup_free char *msg = NULL;
	cleanup_free void *bpf = NULL;
	berth_error_t err = NULL;
	size_t n = 0;

	ASSERT_EQ(parse_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			     "[\"berth_no_such_syscall\",\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
			     &sc, &msg),
		  0);
	EXPECT_EQ(berth_seccomp_compile(sc, &bpf, &n, &err), 0);
	EXPECT_EQ(err, NULL);
}

/* --- real effects, each in its own child -------------------------------- */

static int child_mkdir_eperm(void *dir)
{
	char path[256];

	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
		      "[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
		      NULL))
		return 2;
	snprintf(path, sizeof(path), "%s/sub", (char *)dir);
	if (mkdir(path, 0700) == 0)
		return 3;
	return errno == EPERM ? 0 : 4;
}

TEST(errno_action_makes_mkdir_fail_with_eperm)
{
	char dir[] = "/tmp/berth-test.XXXXXX", sub[64];
	struct stat st;
	int status;

	ASSERT_NE(mkdtemp(dir), NULL);
	status = in_child(child_mkdir_eperm, dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	EXPECT_NE(stat(sub, &st), 0);
	rmdir(sub);
	rmdir(dir);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	/* Outside the filter the same mkdir works. */
	strcpy(dir, "/tmp/berth-test.XXXXXX");
	ASSERT_NE(mkdtemp(dir), NULL);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	EXPECT_EQ(mkdir(sub, 0700), 0);
	rmdir(sub);
	rmdir(dir);
}

static int child_errno_ret(void *unused)
{
	struct utsname u;

	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"uname\"],"
		      "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}",
		      NULL))
		return 2;
	if (uname(&u) == 0)
		return 3;
	return errno == 42 ? 0 : 4;
}

TEST(errno_ret_is_the_returned_errno)
{
	EXPECT_CHILD_SUCCEEDS(child_errno_ret, NULL);
}

static int child_default_errno(void *unused)
{
	/*
	 * Default ERRNO(38) with only exit allowed: getppid gets errno 38, and the
	 * child can still exit (ENOSYS-style default of runc's profiles).
	 */
	if (load_text("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
		      "\"syscalls\":[{\"names\":[\"exit_group\",\"exit\"],"
		      "\"action\":\"SCMP_ACT_ALLOW\"}]}",
		      NULL))
		return 2;
	/* Leave with the raw syscall: sanitizer runtimes make other calls in _exit(). */
	if (syscall(SYS_getppid) != -1)
		syscall(SYS_exit_group, 3);
	syscall(SYS_exit_group, errno == 38 ? 0 : 4);
	return 5;
}

TEST(default_errno_ret_applies_to_unlisted_syscalls)
{
	EXPECT_CHILD_SUCCEEDS(child_default_errno, NULL);
}

static int child_trace_without_tracer(void *unused)
{
	/* SCMP_ACT_TRACE with nobody tracing: the kernel fails the syscall with ENOSYS. */
	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
		      "[\"getppid\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7}]}",
		      NULL))
		return 2;
	if (syscall(SYS_getppid) != -1)
		return 3;
	return errno == ENOSYS ? 0 : 4;
}

TEST(trace_without_a_tracer_fails_with_enosys)
{
	EXPECT_CHILD_SUCCEEDS(child_trace_without_tracer, NULL);
}

static int child_kill(void *action)
{
	char text[256];

	snprintf(text, sizeof(text),
		 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
		 "\"action\":\"%s\"}]}",
		 (const char *)action);
	if (load_text(text, NULL))
		return 2;
	syscall(SYS_getppid);
	return 5; /* not killed */
}

TEST(kill_actions_kill_with_sigsys)
{
	static const char *const acts[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
					    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP" };

	for (size_t i = 0; i < sizeof(acts) / sizeof(*acts); i++) {
		int status = in_child(child_kill, (void *)acts[i]);

		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
			_HARNESS_FAIL("EXPECT", "%s: status %#x, want killed by SIGSYS", acts[i],
				      status);
	}
}

static volatile sig_atomic_t trapped_nr = -1;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	trapped_nr = si->si_syscall;
}

static int child_trap_handler(void *unused)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return 1;
	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
		      "\"action\":\"SCMP_ACT_TRAP\"}]}",
		      NULL))
		return 2;
	syscall(SYS_getppid);
	return trapped_nr == SYS_getppid ? 0 : 3;
}

TEST(trap_delivers_sigsys_naming_the_syscall)
{
	EXPECT_CHILD_SUCCEEDS(child_trap_handler, NULL);
}

static int child_args(void *unused)
{
	/*
	 * personality(0x1234) and personality(0x4321) -> EPERM: two conditions
	 * on arg0 are ORed (runc's rule); personality(0xffffffff) (query) passes.
	 * setpriority(which == PRIO_PROCESS && who MASKED_EQ(0xff00, 0x1200)) -> 17:
	 * conditions on distinct arguments are ANDed.
	 */
	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		      "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
		      "{\"index\":0,\"value\":4660,\"op\":\"SCMP_CMP_EQ\"},"
		      "{\"index\":0,\"value\":17185,\"op\":\"SCMP_CMP_EQ\"}]},"
		      "{\"names\":[\"setpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":17,"
		      "\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
		      "{\"index\":1,\"value\":65280,\"valueTwo\":4608,"
		      "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
		      NULL))
		return 2;
	errno = 0;
	if (syscall(SYS_personality, 0x1234UL) != -1 || errno != EPERM)
		return 3;
	if (syscall(SYS_personality, 0x4321UL) != -1 || errno != EPERM)
		return 4;
	if (syscall(SYS_personality, 0xffffffffUL) == -1)
		return 5;
	if (syscall(SYS_setpriority, 0, 0x12ab, 0) != -1 || errno != 17)
		return 6;
	errno = 0;
	/* Mask does not match: the real syscall runs (ESRCH: no such pid). */
	if (syscall(SYS_setpriority, 0, 0x7fff00ab, 0) != -1 || errno != ESRCH)
		return 7;
	/* which differs: the AND fails, the real syscall runs. */
	if (syscall(SYS_setpriority, 1, 0x12ab, 0) != -1 || errno != ESRCH)
		return 8;
	return 0;
}

TEST(argument_conditions_or_on_one_arg_and_across_args)
{
	EXPECT_CHILD_SUCCEEDS(child_args, NULL);
}

static int child_status(void *unused)
{
	char mode[16], filters[16];

	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
		      "\"action\":\"SCMP_ACT_LOG\"}]}",
		      NULL) ||
	    load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
		      "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":[\"mkdir\"],"
		      "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		      NULL))
		return 2;
	if (syscall(SYS_getppid) != getppid())
		return 3; /* LOG lets the syscall through */
	status_field("/proc/self/status", "Seccomp", mode, sizeof(mode));
	status_field("/proc/self/status", "Seccomp_filters", filters, sizeof(filters));
	if (strcmp(mode, "2") != 0)
		return 4;
	return strcmp(filters, "2") == 0 ? 0 : 5;
}

TEST(proc_status_shows_filter_mode_and_count)
{
	char mode[16];

	status_field("/proc/self/status", "Seccomp", mode, sizeof(mode));
	ASSERT_STREQ(mode, "0");
	EXPECT_CHILD_SUCCEEDS(child_status, NULL);
}

static void *idle_thread(void *arg)
{
	pause();
	return arg;
}

static int child_tsync(void *unused)
{
	char path[128], mode[16];
	pthread_t t;

	if (pthread_create(&t, NULL, idle_thread, NULL) != 0)
		return 1;
	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\"],"
		      "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
		      NULL))
		return 2;
	/* The other thread got the filter too. */
	for (int tid = getpid() + 1; tid < getpid() + 64; tid++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
		if (access(path, F_OK) == 0) {
			status_field(path, "Seccomp", mode, sizeof(mode));
			return strcmp(mode, "2") == 0 ? 0 : 3;
		}
	}
	return 4;
}

TEST(tsync_flag_filters_every_thread)
{
	EXPECT_CHILD_SUCCEEDS(child_tsync, NULL);
}

static int child_tsync_with_listener(void *unused)
{
	int fd = -1;

	/* The kernel wants TSYNC_ESRCH next to TSYNC when a listener is created. */
	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\","
		      "\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
		      "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		      &fd))
		return 2;
	return fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC ? 0 : 3;
}

TEST(tsync_and_wait_killable_combine_with_a_listener)
{
	EXPECT_CHILD_SUCCEEDS(child_tsync_with_listener, NULL);
}

static int child_unprivileged_load(void *nnp)
{
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	berth_error_t err = NULL;
	char *msg = NULL;
	int fd = -1, ret;

	if (parse_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		       "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		       &sc, &msg) < 0)
		return 1;
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	if (setgid(65534) < 0 || setuid(65534) < 0)
		return 1;
	ret = berth_seccomp_load(sc, &fd, &err);
	if (nnp)
		return ret == 0 ? 0 : 2;
	/* Without no_new_privs and without CAP_SYS_ADMIN: refused, and the message says why. */
	if (ret == 0)
		return 3;
	return strstr(err->msg, "CAP_SYS_ADMIN") && err->errnum == EACCES ? 0 : 4;
}

TEST(load_without_nnp_needs_cap_sys_admin_with_nnp_does_not)
{
	if (getuid() != 0)
		SKIP("needs root");
	EXPECT_CHILD_SUCCEEDS(child_unprivileged_load, (void *)1);
	EXPECT_CHILD_SUCCEEDS(child_unprivileged_load, NULL);
}

static int child_nnp_untouched(void *unused)
{
	if (load_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", NULL))
		return 2;
	/* libseccomp's seccomp_load() would have set no_new_privs; berth must not. */
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 ? 0 : 3;
}

TEST(load_does_not_set_no_new_privs)
{
	EXPECT_CHILD_SUCCEEDS(child_nnp_untouched, NULL);
}

/* --- SCMP_ACT_NOTIFY with a listener ------------------------------------ */

struct notify_ctx {
	char sock_path[108];
	int sync[2];
};

static int child_notify(void *arg)
{
	struct notify_ctx *c = arg;
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	berth_error_t err = NULL;
	json_t *state cleanup_json = NULL;
	char text[512], *msg = NULL;
	int fd = -1;
	long r;

	snprintf(text, sizeof(text),
		 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\","
		 "\"listenerMetadata\":\"bt-security-meta\",\"flags\":"
		 "[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"syscalls\":[{\"names\":"
		 "[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		 c->sock_path);
	if (parse_text(text, &sc, &msg) < 0)
		return 1;
	if (berth_seccomp_load(sc, &fd, &err) < 0 || fd < 0)
		return 2;
	state = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.2.0", "id",
			  "bt-security-notify", "status", "creating", "pid", (int)getpid(),
			  "bundle", "/tmp/bundle");
	if (berth_seccomp_send_listener(sc, fd, getpid(), state, &err) < 0)
		return 3;
	close(fd);
	r = syscall(SYS_getppid);
	return r == 4242 ? 0 : 4;
}

FIXTURE(listener)
{
	char dir[64];
	struct notify_ctx c;
	int lsock;
};

FIXTURE_SETUP(listener)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(self->dir, sizeof(self->dir), "/tmp/berth-test.XXXXXX");
	self->lsock = -1;
	ASSERT_NE(mkdtemp(self->dir), NULL);
	snprintf(self->c.sock_path, sizeof(self->c.sock_path), "%s/listener.sock", self->dir);
	self->lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(self->lsock, 0);
	memcpy(addr.sun_path, self->c.sock_path, strlen(self->c.sock_path) + 1);
	ASSERT_EQ(bind(self->lsock, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ASSERT_EQ(listen(self->lsock, 1), 0);
}

FIXTURE_TEARDOWN(listener)
{
	if (self->lsock >= 0)
		close(self->lsock);
	unlink(self->c.sock_path);
	rmdir(self->dir);
}

TEST_F(listener, notify_fd_reaches_the_listener_which_answers)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	json_t *st cleanup_json = NULL;
	char buf[4096];
	int notify_fd = -1, status = 0;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(child_notify(&self->c));
	ASSERT_EQ(agent_receive(self->lsock, buf, sizeof(buf), &notify_fd), 0);
	st = json_loads(buf, 0, NULL);
	ASSERT_NE(st, NULL);
	EXPECT_STREQ(json_string_value(json_object_get(st, "ociVersion")), "1.2.0");
	EXPECT_STREQ(json_string_value(json_array_get(json_object_get(st, "fds"), 0)),
		     "seccompFd");
	EXPECT_EQ(json_array_size(json_object_get(st, "fds")), 1);
	EXPECT_EQ(json_integer_value(json_object_get(st, "pid")), pid);
	EXPECT_STREQ(json_string_value(json_object_get(st, "metadata")), "bt-security-meta");
	EXPECT_STREQ(json_string_value(json_object_get(json_object_get(st, "state"), "id")),
		     "bt-security-notify");
	EXPECT_STREQ(json_string_value(json_object_get(json_object_get(st, "state"), "status")),
		     "creating");

	ASSERT_EQ(seccomp_notify_alloc(&req, &resp), 0);
	ASSERT_EQ(seccomp_notify_receive(notify_fd, req), 0);
	EXPECT_EQ(req->pid, (uint32_t)pid);
	EXPECT_EQ(req->data.nr, SYS_getppid);
	resp->id = req->id;
	resp->val = 4242;
	resp->error = 0;
	resp->flags = 0;
	EXPECT_EQ(seccomp_notify_respond(notify_fd, resp), 0);
	seccomp_notify_free(req, resp);
	close(notify_fd);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(send_listener_fails_cleanly_without_a_listener)
{
	struct berth_seccomp sc = { .listener_path = "/tmp/berth-test-no-such-dir/l.sock" };
	berth_error_t err = NULL;

	ASSERT_LT(berth_seccomp_send_listener(&sc, 0, getpid(), NULL, &err), 0);
	EXPECT_SUBSTR(err->msg, "seccomp listener \"/tmp/berth-test-no-such-dir/l.sock\": connect");
	EXPECT_SUBSTR(err->msg, "No such file or directory");
	berth_error_release(&err);
}

/* --- compiling ahead, and the program cache ------------------------------- */

static const char mkdir_profile[] =
	"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
	"\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
	"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}";

static int child_load_prepared(void *sc)
{
	berth_error_t err = NULL;
	int fd = -1;

	if (berth_seccomp_load(sc, &fd, &err) < 0)
		return 2;
	if (mkdir("/tmp/berth-test-never-made", 0700) == 0)
		return 3;
	return errno == 13 ? 0 : 4;
}

/* The one *.bpf file in dir: its inode and size; 0 when there is not exactly one. */
static ino_t cache_file(const char *dir, char *path, size_t size)
{
	DIR *d cleanup_closedir = opendir(dir);
	struct dirent *e;
	struct stat st;
	int found = 0;

	while (d && (e = readdir(d)) != NULL) {
		if (!strstr(e->d_name, ".bpf"))
			continue;
		found++;
		if ((size_t)snprintf(path, size, "%s/%s", dir, e->d_name) >= size)
			return 0;
	}
	if (found != 1 || stat(path, &st) < 0)
		return 0;
	return st.st_ino;
}

FIXTURE(cache)
{
	char dir[64];
};

FIXTURE_SETUP(cache)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/berth-test.XXXXXX");
	ASSERT_NE(mkdtemp(self->dir), NULL);
}

FIXTURE_TEARDOWN(cache)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd) != 0)
		TH_LOG("cannot remove %s", self->dir);
}

TEST_F(cache, prepared_program_is_the_compiled_one_and_loads)
{
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	cleanup_free char *msg = NULL;
	cleanup_free void *bpf = NULL;
	berth_error_t err = NULL;
	size_t n = 0;

	ASSERT_EQ(parse_text(mkdir_profile, &sc, &msg), 0);
	ASSERT_EQ(berth_seccomp_compile(sc, &bpf, &n, &err), 0);
	ASSERT_EQ(berth_seccomp_prepare(sc, NULL, &err), 0);
	ASSERT_EQ(sc->n_insns, n);
	EXPECT_EQ(memcmp(sc->bpf, bpf, n * sizeof(struct sock_filter)), 0);
	EXPECT_CHILD_SUCCEEDS(child_load_prepared, sc);
}

TEST_F(cache, second_container_reuses_the_cached_program)
{
	struct berth_seccomp *a cleanup_seccomp = NULL, *b cleanup_seccomp = NULL;
	cleanup_free char *m1 = NULL, *m2 = NULL;
	berth_error_t err = NULL;
	char cdir[96], path[600];
	struct stat st;
	ino_t ino;

	snprintf(cdir, sizeof(cdir), "%s/seccomp-cache", self->dir);
	ASSERT_EQ(parse_text(mkdir_profile, &a, &m1), 0);
	ASSERT_EQ(parse_text(mkdir_profile, &b, &m2), 0);
	ASSERT_EQ(berth_seccomp_prepare(a, cdir, &err), 0);
	ASSERT_EQ(stat(cdir, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0700);
	ino = cache_file(cdir, path, sizeof(path));
	ASSERT_NE(ino, 0);
	/* A rebuild would replace the file (atomic rename): same inode means it was read. */
	ASSERT_EQ(berth_seccomp_prepare(b, cdir, &err), 0);
	EXPECT_EQ(cache_file(cdir, path, sizeof(path)), ino);
	ASSERT_EQ(b->n_insns, a->n_insns);
	EXPECT_EQ(memcmp(a->bpf, b->bpf, a->n_insns * sizeof(struct sock_filter)), 0);
	EXPECT_CHILD_SUCCEEDS(child_load_prepared, b);
}

TEST_F(cache, damaged_or_foreign_cache_files_are_rebuilt)
{
	struct berth_seccomp *a cleanup_seccomp = NULL, *b cleanup_seccomp = NULL;
	struct berth_seccomp *c cleanup_seccomp = NULL;
	cleanup_free char *m1 = NULL, *m2 = NULL, *m3 = NULL;
	berth_error_t err = NULL;
	char path[600];
	ino_t ino;
	int fd;

	ASSERT_EQ(parse_text(mkdir_profile, &a, &m1), 0);
	ASSERT_EQ(berth_seccomp_prepare(a, self->dir, &err), 0);
	ino = cache_file(self->dir, path, sizeof(path));
	ASSERT_NE(ino, 0);
	/* Cut the program short: the next prepare must rebuild, not load garbage. */
	fd = open(path, O_WRONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ftruncate(fd, (off_t)strlen("berth-seccomp 1\n") + 5), 0);
	close(fd);
	ASSERT_EQ(parse_text(mkdir_profile, &b, &m2), 0);
	ASSERT_EQ(berth_seccomp_prepare(b, self->dir, &err), 0);
	ASSERT_EQ(b->n_insns, a->n_insns);
	EXPECT_EQ(memcmp(a->bpf, b->bpf, a->n_insns * sizeof(struct sock_filter)), 0);
	EXPECT_NE(cache_file(self->dir, path, sizeof(path)), ino);
	EXPECT_CHILD_SUCCEEDS(child_load_prepared, b);
	/* Another profile gets its own file. */
	ASSERT_EQ(parse_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			     "[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":14}]}",
			     &c, &m3),
		  0);
	ASSERT_EQ(berth_seccomp_prepare(c, self->dir, &err), 0);
	EXPECT_EQ(cache_file(self->dir, path, sizeof(path)), 0); /* now two files */
}

TEST(features_lists_actions_operators_archs_and_flags)
{
	json_t *f cleanup_json = berth_seccomp_features();
	json_t *sup;
	size_t i;
	json_t *v;
	int tsync = 0;

	ASSERT_NE(f, NULL);
	EXPECT_TRUE(json_is_true(json_object_get(f, "enabled")));
	EXPECT_EQ(json_array_size(json_object_get(f, "actions")), 9);
	EXPECT_EQ(json_array_size(json_object_get(f, "operators")), 7);
	EXPECT_EQ(json_array_size(json_object_get(f, "knownFlags")), 4);
	EXPECT_GE(json_array_size(json_object_get(f, "archs")), 3);
	sup = json_object_get(f, "supportedFlags");
	json_array_foreach(sup, i, v)
		tsync |= strcmp(json_string_value(v), "SECCOMP_FILTER_FLAG_TSYNC") == 0;
	EXPECT_TRUE(tsync);
}

TEST_MAIN()
