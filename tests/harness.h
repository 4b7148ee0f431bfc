/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small kselftest-style harness that prints TAP.
 *
 *   TEST(config_rejects_missing_root) {
 *           ...
 *           ASSERT_EQ(ret, -1);          // fails the test and returns
 *           EXPECT_STREQ(msg, "...");    // fails the test, goes on
 *   }
 *
 *   FIXTURE(tmpdir) { char path[64]; };
 *   FIXTURE_SETUP(tmpdir) { ... self->path ... }
 *   FIXTURE_TEARDOWN(tmpdir) { ... }         // runs also when the test failed
 *   TEST_F(tmpdir, writes_atomically) { ... self->path ... }
 *
 *   TEST_MAIN()   // or write main() and call harness_run()
 *
 * Each test runs in a forked child, so a crash or an ASSERT fails only that
 * test; the parent prints "ok N - name" / "not ok N - name".
 * SKIP(reason) marks a test skipped only where the machine cannot run it.
 */
#ifndef BERTH_TEST_HARNESS_H
#define BERTH_TEST_HARNESS_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct harness_test {
	const char *name;
	void (*fn)(struct harness_test *t);
	int failed;
	int skipped;
	char skip_reason[256];
	struct harness_test *next;
};

static struct harness_test *harness_head, **harness_tail = &harness_head;

static inline void harness_register(struct harness_test *t)
{
	*harness_tail = t;
	harness_tail = &t->next;
}

#define TEST(name)                                                                         \
	static void test_##name(struct harness_test *_t);                                  \
	static struct harness_test _test_##name = { #name, test_##name, 0, 0, "", NULL };   \
	__attribute__((constructor)) static void _register_##name(void)                    \
	{                                                                                  \
		harness_register(&_test_##name);                                           \
	}                                                                                  \
	static void test_##name(struct harness_test *_t __attribute__((unused)))

#define FIXTURE(fx) struct _fixture_##fx
#define FIXTURE_SETUP(fx) static void _setup_##fx(struct harness_test *_t __attribute__((unused)), \
						  struct _fixture_##fx *self)
#define FIXTURE_TEARDOWN(fx) static void _teardown_##fx(struct harness_test *_t __attribute__((unused)), \
							struct _fixture_##fx *self)
#define TEST_F(fx, name)                                                                    \
	static void _body_##fx##_##name(struct harness_test *_t, struct _fixture_##fx *self); \
	TEST(fx##_##name)                                                                   \
	{                                                                                   \
		struct _fixture_##fx _self;                                                 \
		memset(&_self, 0, sizeof(_self));                                           \
		_setup_##fx(_t, &_self);                                                    \
		if (!_t->failed && !_t->skipped)                                            \
			_body_##fx##_##name(_t, &_self);                                    \
		_teardown_##fx(_t, &_self);                                                 \
	}                                                                                   \
	static void _body_##fx##_##name(struct harness_test *_t __attribute__((unused)),     \
					struct _fixture_##fx *self)

#define TH_LOG(fmt, ...) fprintf(stdout, "# " fmt "\n", ##__VA_ARGS__)

#define _HARNESS_FAIL(kind, ...)                                                       \
	do {                                                                           \
		fprintf(stdout, "# %s:%d: %s: ", __FILE__, __LINE__, kind);             \
		fprintf(stdout, __VA_ARGS__);                                          \
		fputc('\n', stdout);                                                   \
		_t->failed = 1;                                                        \
	} while (0)

#define _CMP(is_assert, a, op, b)                                                                    \
	do {                                                                                         \
		long long _a = (long long)(a), _b = (long long)(b);                                  \
		if (!(_a op _b)) {                                                                   \
			_HARNESS_FAIL(is_assert ? "ASSERT" : "EXPECT", "%s %s %s (%lld vs %lld)", #a, \
				      #op, #b, _a, _b);                                              \
			if (is_assert)                                                               \
				return;                                                              \
		}                                                                                    \
	} while (0)

#define ASSERT_EQ(a, b) _CMP(1, a, ==, b)
#define ASSERT_NE(a, b) _CMP(1, a, !=, b)
#define ASSERT_LT(a, b) _CMP(1, a, <, b)
#define ASSERT_LE(a, b) _CMP(1, a, <=, b)
#define ASSERT_GT(a, b) _CMP(1, a, >, b)
#define ASSERT_GE(a, b) _CMP(1, a, >=, b)
#define ASSERT_TRUE(a) _CMP(1, !!(a), ==, 1)
#define ASSERT_FALSE(a) _CMP(1, !!(a), ==, 0)
#define EXPECT_EQ(a, b) _CMP(0, a, ==, b)
#define EXPECT_NE(a, b) _CMP(0, a, !=, b)
#define EXPECT_LT(a, b) _CMP(0, a, <, b)
#define EXPECT_LE(a, b) _CMP(0, a, <=, b)
#define EXPECT_GT(a, b) _CMP(0, a, >, b)
#define EXPECT_GE(a, b) _CMP(0, a, >=, b)
#define EXPECT_TRUE(a) _CMP(0, !!(a), ==, 1)
#define EXPECT_FALSE(a) _CMP(0, !!(a), ==, 0)

#define _STRCMP(is_assert, a, b, want_eq)                                                       \
	do {                                                                                    \
		const char *_a = (a), *_b = (b);                                                \
		int _eq = _a && _b && strcmp(_a, _b) == 0;                                      \
		if (_eq != (want_eq)) {                                                         \
			_HARNESS_FAIL(is_assert ? "ASSERT" : "EXPECT", "%s %s %s (\"%s\" vs \"%s\")", \
				      #a, (want_eq) ? "==" : "!=", #b, _a ? _a : "(null)",     \
				      _b ? _b : "(null)");                                      \
			if (is_assert)                                                          \
				return;                                                         \
		}                                                                               \
	} while (0)
#define ASSERT_STREQ(a, b) _STRCMP(1, a, b, 1)
#define ASSERT_STRNE(a, b) _STRCMP(1, a, b, 0)
#define EXPECT_STREQ(a, b) _STRCMP(0, a, b, 1)
#define EXPECT_STRNE(a, b) _STRCMP(0, a, b, 0)

/* The haystack contains the needle. */
#define _SUBSTR(is_assert, hay, needle)                                                          \
	do {                                                                                     \
		const char *_h = (hay), *_n = (needle);                                          \
		if (!_h || !_n || !strstr(_h, _n)) {                                             \
			_HARNESS_FAIL(is_assert ? "ASSERT" : "EXPECT", "\"%s\" does not contain \"%s\"", \
				      _h ? _h : "(null)", _n ? _n : "(null)");                    \
			if (is_assert)                                                           \
				return;                                                          \
		}                                                                                \
	} while (0)
#define ASSERT_SUBSTR(hay, needle) _SUBSTR(1, hay, needle)
#define EXPECT_SUBSTR(hay, needle) _SUBSTR(0, hay, needle)

#define SKIP(...)                                                                       \
	do {                                                                            \
		_t->skipped = 1;                                                        \
		snprintf(_t->skip_reason, sizeof(_t->skip_reason), __VA_ARGS__);       \
		return;                                                                 \
	} while (0)

/* Shared memory page for the child to report back failed/skipped state. */
#include <sys/mman.h>

static inline int harness_run(void)
{
	int n = 0, i = 0, failures = 0;
	struct harness_test *t;

	for (t = harness_head; t; t = t->next)
		n++;
	printf("1..%d\n", n);
	fflush(stdout);
	for (t = harness_head; t; t = t->next) {
		struct harness_test *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
						   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		int status = 0;
		pid_t pid;

		i++;
		if (shared == MAP_FAILED) {
			printf("not ok %d - %s # mmap failed\n", i, t->name);
			failures++;
			continue;
		}
		*shared = *t;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			shared->fn(shared);
			fflush(stdout);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0)
			;
		if (WIFSIGNALED(status)) {
			printf("# %s: killed by signal %d\n", t->name, WTERMSIG(status));
			shared->failed = 1;
		} else if (WEXITSTATUS(status) != 0) {
			printf("# %s: exited with %d\n", t->name, WEXITSTATUS(status));
			shared->failed = 1;
		}
		if (shared->failed) {
			printf("not ok %d - %s\n", i, t->name);
			failures++;
		} else if (shared->skipped) {
			printf("ok %d - %s # SKIP %s\n", i, t->name, shared->skip_reason);
		} else {
			printf("ok %d - %s\n", i, t->name);
		}
		fflush(stdout);
		munmap(shared, sizeof(*shared));
	}
	return failures ? 1 : 0;
}

#define TEST_MAIN()                    \
	int main(void)                 \
	{                              \
		return harness_run();  \
	}

#endif
