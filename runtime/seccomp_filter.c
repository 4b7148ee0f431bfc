/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "log.h"
#include "oci_features.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

static const char *const act_names[] = {
	[BERTH_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
	[BERTH_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[BERTH_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[BERTH_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
	[BERTH_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
	[BERTH_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
	[BERTH_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
	[BERTH_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
	[BERTH_SCMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
};
#define N_ACTS (sizeof(act_names) / sizeof(act_names[0]))

static const char *const op_names[] = {
	[BERTH_SCMP_CMP_NE] = "SCMP_CMP_NE",
	[BERTH_SCMP_CMP_LT] = "SCMP_CMP_LT",
	[BERTH_SCMP_CMP_LE] = "SCMP_CMP_LE",
	[BERTH_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
	[BERTH_SCMP_CMP_GE] = "SCMP_CMP_GE",
	[BERTH_SCMP_CMP_GT] = "SCMP_CMP_GT",
	[BERTH_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))

static const enum scmp_compare op_values[] = {
	[BERTH_SCMP_CMP_NE] = SCMP_CMP_NE, [BERTH_SCMP_CMP_LT] = SCMP_CMP_LT,
	[BERTH_SCMP_CMP_LE] = SCMP_CMP_LE, [BERTH_SCMP_CMP_EQ] = SCMP_CMP_EQ,
	[BERTH_SCMP_CMP_GE] = SCMP_CMP_GE, [BERTH_SCMP_CMP_GT] = SCMP_CMP_GT,
	[BERTH_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

/* The runtime-spec architecture names; libseccomp decides which it can build. */
static const char *const arch_names[] = {
	"SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",	 "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64",  "SCMP_ARCH_MIPS",	     "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32",
	"SCMP_ARCH_PPC",      "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
	"SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
	"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_SH",	 "SCMP_ARCH_SHEB",
};
#define N_ARCHS (sizeof(arch_names) / sizeof(arch_names[0]))

static const struct {
	const char *name;
	unsigned long flag;
} flag_table[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};
#define N_FLAGS (sizeof(flag_table) / sizeof(flag_table[0]))

/*
 * Syscalls the container process itself makes between loading a filter and
 * handing the notify fd to the runtime: a NOTIFY rule on them would block it
 * forever, with nobody to answer.
 */
static const char *const notify_forbidden[] = { "write", "sendmsg" };

const char *berth_seccomp_act_name(enum berth_seccomp_act act)
{
	return (size_t)act < N_ACTS ? act_names[act] : "?";
}

const char *berth_seccomp_op_name(enum berth_seccomp_op op)
{
	return (size_t)op < N_OPS ? op_names[op] : "?";
}

static int lookup(const char *const *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (table[i] && strcmp(table[i], name) == 0)
			return (int)i;
	return -1;
}

static void free_rule(struct berth_seccomp_rule *r)
{
	cleanup_strvp(&r->names);
	free(r->args);
}

void berth_seccomp_free(struct berth_seccomp *sc)
{
	if (sc == NULL)
		return;
	for (size_t i = 0; i < sc->n_rules; i++)
		free_rule(&sc->rules[i]);
	free(sc->rules);
	cleanup_strvp(&sc->archs);
	free(sc->listener_path);
	free(sc->listener_metadata);
	free(sc->bpf);
	free(sc);
}

/* A JSON string member into a malloc'd copy; absent or null leaves *out NULL. */
static int get_string(json_t *obj, const char *key, const char *where, char **out,
		      berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return berth_error(err, EINVAL, "%s.%s: expected a string", where, key);
	*out = strdup(json_string_value(v));
	if (*out == NULL)
		return berth_error_errno(err, ENOMEM, "%s.%s", where, key);
	return 0;
}

static int get_uint(json_t *v, const char *where, uint64_t max, uint64_t *out, berth_error_t *err)
{
	json_int_t i;

	if (!json_is_integer(v))
		return berth_error(err, EINVAL, "%s: expected an unsigned integer", where);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return berth_error(err, EINVAL, "%s: %lld is out of range (0..%llu)", where,
				   (long long)i, (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static int parse_action(json_t *v, const char *where, enum berth_seccomp_act *out,
			berth_error_t *err)
{
	int a;

	if (v == NULL || json_is_null(v))
		return berth_error(err, EINVAL, "%s: missing", where);
	if (!json_is_string(v))
		return berth_error(err, EINVAL, "%s: expected a string", where);
	a = lookup(act_names, N_ACTS, json_string_value(v));
	if (a < 0)
		return berth_error(err, EINVAL, "%s: unknown action \"%s\"", where,
				   json_string_value(v));
	*out = (enum berth_seccomp_act)a;
	return 0;
}

static bool act_takes_errno(enum berth_seccomp_act a)
{
	return a == BERTH_SCMP_ACT_ERRNO || a == BERTH_SCMP_ACT_TRACE;
}

/* errnoRet / defaultErrnoRet: only ERRNO and TRACE carry one (runtime-spec). */
static int parse_errno_ret(json_t *obj, const char *key, const char *where,
			   enum berth_seccomp_act act, uint32_t *out, bool *has, berth_error_t *err)
{
	json_t *v = json_object_get(obj, key);
	char what[160];
	uint64_t u;

	*out = EPERM;
	*has = false;
	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(what, sizeof(what), "%s.%s", where, key);
	if (get_uint(v, what, 0xffff, &u, err) < 0)
		return -1;
	if (!act_takes_errno(act))
		return berth_error(err, EINVAL, "%s: %s does not take an errno", what,
				   berth_seccomp_act_name(act));
	*out = (uint32_t)u;
	*has = true;
	return 0;
}

static int parse_strings(json_t *arr, const char *where, char ***out, size_t *n_out,
			 berth_error_t *err)
{
	char **v cleanup_strv = NULL;
	size_t i, n;
	json_t *e;

	if (arr == NULL || json_is_null(arr)) {
		*n_out = 0;
		return 0;
	}
	if (!json_is_array(arr))
		return berth_error(err, EINVAL, "%s: expected an array of strings", where);
	n = json_array_size(arr);
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return berth_error_errno(err, ENOMEM, "%s", where);
	json_array_foreach(arr, i, e) {
		if (!json_is_string(e))
			return berth_error(err, EINVAL, "%s[%zu]: expected a string", where, i);
		v[i] = strdup(json_string_value(e));
		if (v[i] == NULL)
			return berth_error_errno(err, ENOMEM, "%s", where);
	}
	*out = steal_pointer(&v);
	*n_out = n;
	return 0;
}

static int parse_arg(json_t *a, const char *where, struct berth_seccomp_arg *out,
		     berth_error_t *err)
{
	char what[200];
	json_t *v;
	uint64_t u;
	int op;

	if (!json_is_object(a))
		return berth_error(err, EINVAL, "%s: expected an object", where);
	snprintf(what, sizeof(what), "%s.index", where);
	v = json_object_get(a, "index");
	if (v == NULL)
		return berth_error(err, EINVAL, "%s: missing", what);
	if (get_uint(v, what, 5, &u, err) < 0)
		return -1;
	out->index = (unsigned int)u;
	snprintf(what, sizeof(what), "%s.value", where);
	v = json_object_get(a, "value");
	if (v == NULL)
		return berth_error(err, EINVAL, "%s: missing", what);
	if (get_uint(v, what, UINT64_MAX, &out->value, err) < 0)
		return -1;
	v = json_object_get(a, "valueTwo");
	if (v != NULL && !json_is_null(v)) {
		snprintf(what, sizeof(what), "%s.valueTwo", where);
		if (get_uint(v, what, UINT64_MAX, &out->value_two, err) < 0)
			return -1;
	}
	v = json_object_get(a, "op");
	if (v == NULL || json_is_null(v))
		return berth_error(err, EINVAL, "%s.op: missing", where);
	if (!json_is_string(v))
		return berth_error(err, EINVAL, "%s.op: expected a string", where);
	op = lookup(op_names, N_OPS, json_string_value(v));
	if (op < 0)
		return berth_error(err, EINVAL, "%s.op: unknown operator \"%s\"", where,
				   json_string_value(v));
	out->op = (enum berth_seccomp_op)op;
	return 0;
}

static int parse_rule(json_t *s, const char *where, struct berth_seccomp_rule *r,
		      berth_error_t *err)
{
	char what[160];
	size_t n_names, i;
	json_t *args, *a;

	if (!json_is_object(s))
		return berth_error(err, EINVAL, "%s: expected an object", where);
	snprintf(what, sizeof(what), "%s.names", where);
	if (json_object_get(s, "names") == NULL)
		return berth_error(err, EINVAL, "%s: missing", what);
	if (parse_strings(json_object_get(s, "names"), what, &r->names, &n_names, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "%s.action", where);
	if (parse_action(json_object_get(s, "action"), what, &r->action, err) < 0)
		return -1;
	if (parse_errno_ret(s, "errnoRet", where, r->action, &r->errno_ret, &r->has_errno_ret,
			    err) < 0)
		return -1;
	if (r->action == BERTH_SCMP_ACT_NOTIFY) {
		for (i = 0; i < n_names; i++)
			for (size_t k = 0; k < sizeof(notify_forbidden) / sizeof(*notify_forbidden); k++)
				if (strcmp(r->names[i], notify_forbidden[k]) == 0)
					return berth_error(err, EINVAL,
							   "%s: SCMP_ACT_NOTIFY cannot be used for "
							   "\"%s\" (the runtime needs it to hand "
							   "over the listener fd)",
							   where, r->names[i]);
	}
	args = json_object_get(s, "args");
	if (args == NULL || json_is_null(args))
		return 0;
	if (!json_is_array(args))
		return berth_error(err, EINVAL, "%s.args: expected an array", where);
	r->args = calloc(json_array_size(args) + 1, sizeof(*r->args));
	if (r->args == NULL)
		return berth_error_errno(err, ENOMEM, "%s.args", where);
	json_array_foreach(args, i, a) {
		snprintf(what, sizeof(what), "%s.args[%zu]", where, i);
		if (parse_arg(a, what, &r->args[i], err) < 0)
			return -1;
		r->n_args = i + 1;
	}
	return 0;
}

int berth_seccomp_parse(json_t *seccomp, struct berth_seccomp **out, berth_error_t *err)
{
	struct berth_seccomp *sc cleanup_seccomp = NULL;
	const char *w = "linux.seccomp";
	char **flags cleanup_strv = NULL;
	size_t n, i;
	json_t *v, *s;
	char what[96];

	*out = NULL;
	if (seccomp == NULL || json_is_null(seccomp))
		return 0;
	if (!json_is_object(seccomp))
		return berth_error(err, EINVAL, "%s: expected an object", w);
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return berth_error_errno(err, ENOMEM, "%s", w);
	if (parse_action(json_object_get(seccomp, "defaultAction"), "linux.seccomp.defaultAction",
			 &sc->default_action, err) < 0)
		return -1;
	if (sc->default_action == BERTH_SCMP_ACT_NOTIFY)
		return berth_error(err, EINVAL,
				   "%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default action",
				   w);
	if (parse_errno_ret(seccomp, "defaultErrnoRet", w, sc->default_action,
			    &sc->default_errno_ret, &sc->has_default_errno_ret, err) < 0)
		return -1;

	if (parse_strings(json_object_get(seccomp, "architectures"), "linux.seccomp.architectures",
			  &sc->archs, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (lookup(arch_names, N_ARCHS, sc->archs[i]) < 0)
			return berth_error(err, EINVAL,
					   "%s.architectures[%zu]: unknown architecture \"%s\"", w, i,
					   sc->archs[i]);

	if (parse_strings(json_object_get(seccomp, "flags"), "linux.seccomp.flags", &flags, &n,
			  err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		size_t f;

		for (f = 0; f < N_FLAGS; f++)
			if (strcmp(flag_table[f].name, flags[i]) == 0)
				break;
		if (f == N_FLAGS)
			return berth_error(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"", w, i,
					   flags[i]);
		sc->flags |= flag_table[f].flag;
	}

	if (get_string(seccomp, "listenerPath", w, &sc->listener_path, err) < 0 ||
	    get_string(seccomp, "listenerMetadata", w, &sc->listener_metadata, err) < 0)
		return -1;

	v = json_object_get(seccomp, "syscalls");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_array(v))
			return berth_error(err, EINVAL, "%s.syscalls: expected an array", w);
		sc->rules = calloc(json_array_size(v) + 1, sizeof(*sc->rules));
		if (sc->rules == NULL)
			return berth_error_errno(err, ENOMEM, "%s.syscalls", w);
		json_array_foreach(v, i, s) {
			snprintf(what, sizeof(what), "%s.syscalls[%zu]", w, i);
			sc->n_rules = i + 1;
			if (parse_rule(s, what, &sc->rules[i], err) < 0)
				return -1;
			if (sc->rules[i].action == BERTH_SCMP_ACT_NOTIFY)
				sc->uses_notify = true;
		}
	}
	if (sc->uses_notify && sc->listener_path == NULL)
		return berth_error(err, EINVAL, "%s: SCMP_ACT_NOTIFY needs listenerPath", w);
	if (sc->listener_path && sc->listener_path[0] != '/')
		return berth_error(err, EINVAL, "%s.listenerPath: \"%s\" is not an absolute path", w,
				   sc->listener_path);
	*out = steal_pointer(&sc);
	return 0;
}

/* The libseccomp action value (errnoRet folded in). */
static uint32_t act_value(enum berth_seccomp_act a, uint32_t errno_ret)
{
	switch (a) {
	case BERTH_SCMP_ACT_KILL:
	case BERTH_SCMP_ACT_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case BERTH_SCMP_ACT_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case BERTH_SCMP_ACT_TRAP:
		return SCMP_ACT_TRAP;
	case BERTH_SCMP_ACT_ERRNO:
		return SCMP_ACT_ERRNO(errno_ret);
	case BERTH_SCMP_ACT_TRACE:
		return SCMP_ACT_TRACE(errno_ret);
	case BERTH_SCMP_ACT_ALLOW:
		return SCMP_ACT_ALLOW;
	case BERTH_SCMP_ACT_LOG:
		return SCMP_ACT_LOG;
	case BERTH_SCMP_ACT_NOTIFY:
		return SCMP_ACT_NOTIFY;
	}
	return SCMP_ACT_KILL_PROCESS;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when this libseccomp lacks it. */
static uint32_t arch_token(const char *name)
{
	char lower[32];
	size_t i;

	if (strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof(lower))
		return 0;
	for (i = 0; name[10 + i]; i++)
		lower[i] = (char)tolower((unsigned char)name[10 + i]);
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

static void cleanup_ctxp(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/*
 * runc's rule: conditions on distinct arguments are ANDed in one rule;
 * several conditions on the same argument are ORed, one rule each.
 */
static int add_rule(scmp_filter_ctx ctx, const struct berth_seccomp_rule *r, const char *name,
		    int nr, uint32_t act, berth_error_t *err)
{
	struct scmp_arg_cmp cmp[6];
	unsigned int seen = 0;
	bool repeated = false;
	int ret;

	for (size_t i = 0; i < r->n_args; i++) {
		if (seen & (1u << r->args[i].index))
			repeated = true;
		seen |= 1u << r->args[i].index;
	}
	for (size_t i = 0; i < r->n_args; i += repeated ? 1 : r->n_args) {
		size_t n = repeated ? 1 : r->n_args;

		for (size_t k = 0; k < n; k++) {
			const struct berth_seccomp_arg *a = &r->args[i + k];

			cmp[k] = (struct scmp_arg_cmp){ .arg = a->index,
							 .op = op_values[a->op],
							 .datum_a = a->value,
							 .datum_b = a->value_two };
		}
		ret = seccomp_rule_add_array(ctx, act, nr, (unsigned int)n, cmp);
		if (ret < 0)
			return berth_error_errno(err, -ret, "seccomp rule for \"%s\" (%s)", name,
						 berth_seccomp_act_name(r->action));
	}
	if (r->n_args == 0) {
		ret = seccomp_rule_add_array(ctx, act, nr, 0, NULL);
		if (ret < 0)
			return berth_error_errno(err, -ret, "seccomp rule for \"%s\" (%s)", name,
						 berth_seccomp_act_name(r->action));
	}
	return 0;
}

static int build_ctx(const struct berth_seccomp *sc, scmp_filter_ctx *out, berth_error_t *err)
{
	uint32_t def = act_value(sc->default_action, sc->default_errno_ret);
	__attribute__((cleanup(cleanup_ctxp))) scmp_filter_ctx ctx = seccomp_init(def);
	int ret;

	if (ctx == NULL)
		return berth_error(err, EINVAL, "seccomp: cannot initialise a filter with %s",
				   berth_seccomp_act_name(sc->default_action));
	for (size_t i = 0; sc->archs && sc->archs[i]; i++) {
		uint32_t tok = arch_token(sc->archs[i]);

		if (tok == 0)
			return berth_error(err, EINVAL,
					   "seccomp: architecture %s is not supported by libseccomp",
					   sc->archs[i]);
		ret = seccomp_arch_add(ctx, tok);
		if (ret < 0 && ret != -EEXIST)
			return berth_error_errno(err, -ret, "seccomp: add architecture %s",
						 sc->archs[i]);
	}
	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct berth_seccomp_rule *r = &sc->rules[i];
		uint32_t act = act_value(r->action, r->errno_ret);

		/* libseccomp refuses rules that repeat the default action; runc skips them. */
		if (act == def)
			continue;
		for (size_t k = 0; r->names && r->names[k]; k++) {
			int nr = seccomp_syscall_resolve_name(r->names[k]);

			/* Names this kernel/libseccomp does not know are ignored, as in runc. */
			if (nr == __NR_SCMP_ERROR)
				continue;
			if (add_rule(ctx, r, r->names[k], nr, act, err) < 0)
				return -1;
		}
	}
	*out = steal_pointer(&ctx);
	return 0;
}

int berth_seccomp_compile(const struct berth_seccomp *sc, void **bpf, size_t *n_insns,
			  berth_error_t *err)
{
	__attribute__((cleanup(cleanup_ctxp))) scmp_filter_ctx ctx = NULL;
	cleanup_close int fd = -1;
	cleanup_free void *buf = NULL;
	struct stat st;
	int ret;

	if (build_ctx(sc, &ctx, err) < 0)
		return -1;
	fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "seccomp: memfd_create");
	ret = seccomp_export_bpf(ctx, fd);
	if (ret < 0)
		return berth_error_errno(err, -ret, "seccomp: export the filter");
	if (fstat(fd, &st) < 0)
		return berth_error_errno(err, errno, "seccomp: export the filter");
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berth_error(err, E2BIG, "seccomp: the filter has %lld bytes, not a valid program",
				   (long long)st.st_size);
	buf = malloc((size_t)st.st_size);
	if (buf == NULL)
		return berth_error_errno(err, ENOMEM, "seccomp");
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		return berth_error_errno(err, errno ? errno : EIO, "seccomp: read the filter");
	*bpf = steal_pointer(&buf);
	*n_insns = (size_t)st.st_size / sizeof(struct sock_filter);
	return 0;
}

static long sys_seccomp(unsigned int op, unsigned int flags, void *args)
{
	return syscall(SYS_seccomp, op, flags, args);
}

/* Append printf-formatted text to a growing string; false when out of memory. */
static bool key_add(char **key, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool key_add(char **key, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *piece = NULL, *n;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&piece, fmt, ap);
	va_end(ap);
	if (k < 0)
		return false;
	n = realloc(*key, *len + (size_t)k + 1);
	if (n == NULL) {
		free(piece);
		return false;
	}
	memcpy(n + *len, piece, (size_t)k + 1);
	*key = n;
	*len += (size_t)k;
	free(piece);
	return true;
}

/*
 * Everything the program depends on, as text: the parsed filter, the
 * libseccomp version and the kernel release (libseccomp probes the kernel).
 */
static char *cache_key(const struct berth_seccomp *sc)
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	char *key = NULL;
	size_t len = 0;
	bool ok;

	if (uname(&u) < 0)
		return NULL;
	ok = key_add(&key, &len, "berth-seccomp 1\nlibseccomp %u.%u.%u\nkernel %s %s\ndefault %d %u\n",
		     v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, u.release, u.machine,
		     (int)sc->default_action, sc->default_errno_ret);
	for (size_t i = 0; ok && sc->archs && sc->archs[i]; i++)
		ok = key_add(&key, &len, "arch %s\n", sc->archs[i]);
	for (size_t i = 0; ok && i < sc->n_rules; i++) {
		const struct berth_seccomp_rule *r = &sc->rules[i];

		ok = key_add(&key, &len, "rule %d %u\n", (int)r->action, r->errno_ret);
		for (size_t k = 0; ok && r->names && r->names[k]; k++)
			ok = key_add(&key, &len, "name %s\n", r->names[k]);
		for (size_t k = 0; ok && k < r->n_args; k++)
			ok = key_add(&key, &len, "arg %u %d %llu %llu\n", r->args[k].index,
				     (int)r->args[k].op, (unsigned long long)r->args[k].value,
				     (unsigned long long)r->args[k].value_two);
	}
	if (!ok) {
		free(key);
		return NULL;
	}
	return key;
}

/* FNV-1a: only names the cache file; the full key inside decides. */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ULL;
	return h;
}

/* A cached program for key, or -1 (absent, other key, damaged). */
static int cache_read(const char *path, const char *key, void **bpf, size_t *n)
{
	cleanup_free char *buf = NULL;
	size_t len = 0, klen = strlen(key) + 1;

	if (berth_read_file(path, &buf, &len, NULL) < 0)
		return -1;
	if (len <= klen || memcmp(buf, key, klen) != 0 ||
	    (len - klen) % sizeof(struct sock_filter) != 0 ||
	    (len - klen) / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -1;
	*bpf = malloc(len - klen);
	if (*bpf == NULL)
		return -1;
	memcpy(*bpf, buf + klen, len - klen);
	*n = (len - klen) / sizeof(struct sock_filter);
	return 0;
}

int berth_seccomp_prepare(struct berth_seccomp *sc, const char *cache_dir, berth_error_t *err)
{
	cleanup_free char *key = NULL, *path = NULL, *blob = NULL;
	size_t klen, size;

	if (sc->bpf)
		return 0;
	key = cache_dir ? cache_key(sc) : NULL;
	if (key) {
		if (asprintf(&path, "%s/%016llx.bpf", cache_dir,
			     (unsigned long long)key_hash(key)) < 0)
			path = NULL;
		if (path && cache_read(path, key, &sc->bpf, &sc->n_insns) == 0) {
			berth_log_debug("seccomp: filter of %zu instructions from `%s`", sc->n_insns,
					path);
			return 0;
		}
	}
	if (berth_seccomp_compile(sc, &sc->bpf, &sc->n_insns, err) < 0)
		return -1;
	berth_log_debug("seccomp: filter compiled, %zu instructions", sc->n_insns);
	if (!path)
		return 0;
	/* Best effort: a cache that cannot be written only costs the next compile. */
	klen = strlen(key) + 1;
	size = klen + sc->n_insns * sizeof(struct sock_filter);
	blob = malloc(size);
	if (blob && berth_mkdir_p(cache_dir, 0700, NULL) == 0) {
		memcpy(blob, key, klen);
		memcpy(blob + klen, sc->bpf, size - klen);
		berth_write_file_atomic(path, blob, size, 0600, false, NULL);
	}
	return 0;
}

int berth_seccomp_prepare_in(struct berth_seccomp *sc, const char *state_root, berth_error_t *err)
{
	cleanup_free char *dir = NULL;

	if (sc == NULL)
		return 0;
	if (asprintf(&dir, "%s/" BERTH_SECCOMP_CACHE, state_root) < 0)
		return berth_error_errno(err, ENOMEM, "seccomp");
	return berth_seccomp_prepare(sc, dir, err);
}

int berth_seccomp_load(const struct berth_seccomp *sc, int *notify_fd, berth_error_t *err)
{
	cleanup_free void *own = NULL;
	struct sock_fprog prog;
	unsigned long flags = sc->flags;
	size_t n = sc->n_insns;
	long ret;

	*notify_fd = -1;
	if (sc->bpf == NULL && berth_seccomp_compile(sc, &own, &n, err) < 0)
		return -1;
	prog.len = (unsigned short)n;
	prog.filter = sc->bpf ? sc->bpf : own;
	if (sc->uses_notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* With a listener, TSYNC reports a failure as ESRCH instead of a TID. */
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	} else {
		/* Meaningful only with a listener; libseccomp drops it the same way. */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	}
	ret = sys_seccomp(SECCOMP_SET_MODE_FILTER, (unsigned int)flags, &prog);
	if (ret < 0) {
		int e = errno;

		if (e == EACCES)
			return berth_error_errno(err, e,
						 "seccomp: load the filter (without "
						 "noNewPrivileges it needs CAP_SYS_ADMIN)");
		if (e == EINVAL && flags != (sc->uses_notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0))
			return berth_error_errno(err, e,
						 "seccomp: load the filter (flags %#lx: the kernel "
						 "may not support one of them)",
						 sc->flags);
		return berth_error_errno(err, e, "seccomp: load the filter");
	}
	if (!sc->uses_notify && ret > 0)
		return berth_error(err, ESRCH, "seccomp: thread %ld cannot be synchronised (TSYNC)",
				   ret);
	if (!sc->uses_notify)
		return 0;
	if (sc->pass_listener) {
		/* before anything else the runtime does: see struct berth_seccomp */
		int r = berth_send_fd(sc->listener_sock, (int)ret, "N", err);

		close((int)ret);
		return r < 0 ? berth_error_wrap(err, "seccomp: pass the listener fd") : 0;
	}
	*notify_fd = (int)ret;
	return 0;
}

int berth_seccomp_send_listener(const struct berth_seccomp *sc, int notify_fd, pid_t pid,
				json_t *state, berth_error_t *err)
{
	json_t *msg cleanup_json = NULL;
	cleanup_free char *text = NULL;
	cleanup_close int sock = -1;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov;
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	const char *path = sc->listener_path;
	json_t *ver = state ? json_object_get(state, "ociVersion") : NULL;

	if (path == NULL)
		return berth_error(err, EINVAL, "seccomp: no listenerPath to send the notify fd to");
	if (strlen(path) >= sizeof(addr.sun_path))
		return berth_error(err, ENAMETOOLONG, "seccomp listener \"%s\": path too long", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	msg = json_pack("{s:s, s:[s], s:I, s:s, s:O?}", "ociVersion",
			json_is_string(ver) ? json_string_value(ver) : BERTH_OCI_VERSION, "fds",
			"seccompFd", "pid", (json_int_t)pid, "metadata",
			sc->listener_metadata ? sc->listener_metadata : "", "state", state);
	if (msg == NULL)
		return berth_error(err, ENOMEM, "seccomp listener \"%s\": build the state", path);
	text = json_dumps(msg, JSON_COMPACT);
	if (text == NULL)
		return berth_error(err, ENOMEM, "seccomp listener \"%s\": build the state", path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return berth_error_errno(err, errno, "seccomp listener \"%s\": socket", path);
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_error_errno(err, errno, "seccomp listener \"%s\": connect", path);
	iov.iov_base = text;
	iov.iov_len = strlen(text);
	memset(&control, 0, sizeof(control));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &notify_fd, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_errno(err, errno, "seccomp listener \"%s\": send", path);
		if ((size_t)n < iov.iov_len &&
		    berth_write_all(sock, text + n, iov.iov_len - (size_t)n) < 0)
			return berth_error_errno(err, errno, "seccomp listener \"%s\": send", path);
		break;
	}
	return 0;
}

/* A flag is supported when the kernel gets past flag validation to the NULL filter. */
static bool kernel_has_flag(unsigned long flag)
{
	if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return sys_seccomp(SECCOMP_SET_MODE_FILTER, (unsigned int)flag, NULL) < 0 &&
	       errno == EFAULT;
}

json_t *berth_seccomp_features(void)
{
	json_t *f = json_object(), *acts = json_array(), *ops = json_array(),
	       *archs = json_array(), *known = json_array(), *supported = json_array();
	bool enabled = sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &(uint32_t){ SECCOMP_RET_ALLOW }) == 0;

	if (!f || !acts || !ops || !archs || !known || !supported) {
		json_decref(f);
		json_decref(acts);
		json_decref(ops);
		json_decref(archs);
		json_decref(known);
		json_decref(supported);
		return NULL;
	}
	for (size_t i = 0; i < N_ACTS; i++)
		json_array_append_new(acts, json_string(act_names[i]));
	for (size_t i = 0; i < N_OPS; i++)
		json_array_append_new(ops, json_string(op_names[i]));
	for (size_t i = 0; i < N_ARCHS; i++)
		if (arch_token(arch_names[i]) != 0)
			json_array_append_new(archs, json_string(arch_names[i]));
	for (size_t i = 0; i < N_FLAGS; i++) {
		json_array_append_new(known, json_string(flag_table[i].name));
		if (enabled && kernel_has_flag(flag_table[i].flag))
			json_array_append_new(supported, json_string(flag_table[i].name));
	}
	json_object_set_new(f, "enabled", json_boolean(enabled));
	json_object_set_new(f, "actions", acts);
	json_object_set_new(f, "operators", ops);
	json_object_set_new(f, "archs", archs);
	json_object_set_new(f, "knownFlags", known);
	json_object_set_new(f, "supportedFlags", supported);
	return f;
}
