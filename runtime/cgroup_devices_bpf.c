/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device access control.  cgroup v1 has devices.allow/deny files; cgroup v2
 * has none and instead runs a BPF_PROG_TYPE_CGROUP_DEVICE program on every
 * open/mknod.  The program is assembled here instruction by instruction and
 * loaded with the raw bpf() system call (no libbpf).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

/* What runc lets every container use once the spec has denied everything. */
static const struct berth_cgroup_device_rule default_rules[] = {
    {true, 'c', -1, -1, "m"},	 /* mknod of any char device */
    {true, 'b', -1, -1, "m"},	 /* mknod of any block device */
    {true, 'c', 1, 3, "rwm"},	 /* /dev/null */
    {true, 'c', 1, 5, "rwm"},	 /* /dev/zero */
    {true, 'c', 1, 7, "rwm"},	 /* /dev/full */
    {true, 'c', 1, 8, "rwm"},	 /* /dev/random */
    {true, 'c', 1, 9, "rwm"},	 /* /dev/urandom */
    {true, 'c', 5, 0, "rwm"},	 /* /dev/tty */
    {true, 'c', 5, 1, "rwm"},	 /* /dev/console */
    {true, 'c', 5, 2, "rwm"},	 /* /dev/ptmx */
    {true, 'c', 136, -1, "rwm"}, /* /dev/pts/N */
};
#define N_DEFAULT (sizeof(default_rules) / sizeof(default_rules[0]))

static bool deny_all(const struct berth_cgroup_device_rule *r)
{
	return !r->allow && r->type == 'a' && r->major < 0 && r->minor < 0;
}

int berth_cg_device_rules(const struct berth_cgroup_resources *res,
			  struct berth_cgroup_device_rule **out, size_t *n, berth_error_t *err)
{
	bool add = res->n_devices > 0 && deny_all(&res->devices[0]);
	size_t total = res->n_devices + (add ? N_DEFAULT : 0), k = 0;
	struct berth_cgroup_device_rule *r = calloc(total + 1, sizeof(*r));

	if (r == NULL)
		return berth_error(err, ENOMEM, "device rules: out of memory");
	/* Right after the leading deny-all, so that later spec rules still win. */
	for (size_t i = 0; i < res->n_devices; i++) {
		r[k++] = res->devices[i];
		if (i == 0 && add)
			for (size_t d = 0; d < N_DEFAULT; d++)
				r[k++] = default_rules[d];
	}
	*out = r;
	*n = k;
	return 0;
}

/* ---- the program ---- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)	 INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_K(op, dst, imm)	 INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV64_R(dst, src)	 INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_K(dst, imm)	 INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_K(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT()			 INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *access)
{
	int bits = 0;

	for (const char *p = access; *p; p++)
		bits |= *p == 'r'   ? BPF_DEVCG_ACC_READ
			: *p == 'w' ? BPF_DEVCG_ACC_WRITE
				    : BPF_DEVCG_ACC_MKNOD;
	return bits;
}

/*
 * Registers after the prologue: r2 device type, r3 requested access,
 * r4 major, r5 minor.  Each rule is one block that returns its verdict when
 * it matches and jumps past its end otherwise; blocks are emitted last rule
 * first, so the last matching rule decides.  A deny rule matches when any
 * requested access is denied, an allow rule when all of it is allowed.
 */
static size_t emit_rule(const struct berth_cgroup_device_rule *r, struct bpf_insn *p, bool *always)
{
	const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
	int bits = access_bits(r->access);
	size_t n = 0, jumps[4], nj = 0;

	if (r->type != 'a') {
		jumps[nj++] = n;
		p[n++] =
		    JMP_K(BPF_JNE, 2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
	}
	if (bits != all) {
		p[n++] = MOV64_R(6, 3);
		if (r->allow) {
			p[n++] = ALU32_K(BPF_AND, 6, ~bits & all);
			jumps[nj++] = n;
			p[n++] = JMP_K(BPF_JNE, 6, 0, 0);
		} else {
			p[n++] = ALU32_K(BPF_AND, 6, bits);
			jumps[nj++] = n;
			p[n++] = JMP_K(BPF_JEQ, 6, 0, 0);
		}
	}
	if (r->major >= 0) {
		jumps[nj++] = n;
		p[n++] = JMP_K(BPF_JNE, 4, (int32_t)r->major, 0);
	}
	if (r->minor >= 0) {
		jumps[nj++] = n;
		p[n++] = JMP_K(BPF_JNE, 5, (int32_t)r->minor, 0);
	}
	p[n++] = MOV64_K(0, r->allow ? 1 : 0);
	p[n++] = EXIT();
	*always = nj == 0;
	for (size_t j = 0; j < nj; j++)
		p[jumps[j]].off = (int16_t)(n - jumps[j] - 1);
	return n;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct berth_cgroup_device_rule *rules, size_t n, berth_error_t *err)
{
	cleanup_free struct bpf_insn *prog = calloc(8 + n * 9, sizeof(*prog));
	cleanup_free char *log = malloc(65536);
	union bpf_attr attr;
	bool always = false;
	size_t k = 0;
	int fd;

	if (prog == NULL || log == NULL)
		return berth_error(err, ENOMEM, "device program: out of memory");
	prog[k++] = LDX_W(2, 1, 0); /* access_type: type | access << 16 */
	prog[k++] = ALU32_K(BPF_AND, 2, 0xffff);
	prog[k++] = LDX_W(3, 1, 0);
	prog[k++] = ALU32_K(BPF_RSH, 3, 16);
	prog[k++] = LDX_W(4, 1, 4); /* major */
	prog[k++] = LDX_W(5, 1, 8); /* minor */
	for (size_t i = n; i-- > 0 && !always;)
		k += emit_rule(&rules[i], prog + k, &always);
	/* No rule matched: allowed, as in a new v1 cgroup.  (The verifier refuses
	 * unreachable code, so nothing follows a rule that matches everything.) */
	if (!always) {
		prog[k++] = MOV64_K(0, 1);
		prog[k++] = EXIT();
	}

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)k;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	log[0] = '\0';
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0 && (errno == EACCES || errno == EINVAL)) {
		int first = errno;

		/* Rejected by the verifier: load again with its log for the message. */
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = 65536;
		attr.log_level = 1;
		fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
		if (fd < 0)
			return berth_error_errno(err, first, "load device program (%.200s)", log);
	}
	if (fd < 0)
		return berth_error_errno(err, errno, "load device program");
	return fd;
}

int berth_cg_bpf_devices(const char *dir, const struct berth_cgroup_device_rule *rules, size_t n,
			 berth_error_t *err)
{
	cleanup_close int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int prog = -1;
	uint32_t old[64], nold = 64;
	union bpf_attr attr;

	if (cgfd < 0)
		return berth_error_errno(err, errno, "open cgroup `%s`", dir);
	prog = load_program(rules, n, err);
	if (prog < 0)
		return -1;
	/* Programs attached before (an earlier update) go once the new one is in place. */
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)old;
	attr.query.prog_cnt = nold;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return berth_error_errno(err, errno, "query device programs of `%s`", dir);
	nold = attr.query.prog_cnt;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return berth_error_errno(err, errno, "attach device program to `%s`", dir);
	for (uint32_t i = 0; i < nold && i < 64; i++) {
		cleanup_close int ofd = -1;

		memset(&attr, 0, sizeof(attr));
		attr.prog_id = old[i];
		ofd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (ofd < 0)
			continue;
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cgfd;
		attr.attach_bpf_fd = (uint32_t)ofd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
			return berth_error_errno(err, errno, "detach old device program of `%s`",
						 dir);
	}
	return 0;
}
