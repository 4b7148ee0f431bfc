/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ptrace.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/* Kernel-internal restart codes, visible to a tracer at an interrupted syscall. */
#define CR_ERESTARTSYS           512
#define CR_ERESTARTNOINTR        513
#define CR_ERESTARTNOHAND        514
#define CR_ERESTART_RESTARTBLOCK 516

static int wait_stop(pid_t tid, int *status, berth_error_t *err)
{
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berth_error_errno(err, errno, "wait for thread %d", tid);
		if (WIFEXITED(*status) || WIFSIGNALED(*status))
			return berth_error(err, ESRCH, "thread %d exited while stopped", tid);
		return 0;
	}
}

int cr_seize(struct cr_thread *t, unsigned long options, berth_error_t *err)
{
	if (cr_seize_start(t, options, err) < 0)
		return -1;
	return cr_seize_wait(t, err);
}

int cr_seize_start(struct cr_thread *t, unsigned long options, berth_error_t *err)
{
	if (ptrace(PTRACE_SEIZE, t->tid, 0, options) < 0)
		return berth_error_errno(err, errno, "seize thread %d", t->tid);
	t->seized = true;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		return berth_error_errno(err, errno, "interrupt thread %d", t->tid);
	return 0;
}

int cr_seize_wait(struct cr_thread *t, berth_error_t *err)
{
	int status;

	for (;;) {
		if (wait_stop(t->tid, &status, err) < 0)
			return -1;
		if ((status >> 16) == PTRACE_EVENT_STOP)
			break;
		/* A signal-delivery stop: keep the signal, let the interrupt trap come. */
		if (!t->has_sig && ptrace(PTRACE_GETSIGINFO, t->tid, 0, t->siginfo) == 0)
			t->has_sig = true;
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
			return berth_error_errno(err, errno, "thread %d", t->tid);
	}
	if (cr_get_regs(t->tid, &t->regs, err) < 0)
		return -1;
	cr_fold_restart(&t->regs);
	t->stopped = true;
	return 0;
}

int cr_release(struct cr_thread *t, berth_error_t *err)
{
	if (!t->seized)
		return 0;
	if (!t->stopped && cr_seize_wait(t, NULL) < 0) {
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
		t->seized = false;
		return 0;
	}
	if (cr_set_regs(t->tid, &t->regs, err) < 0)
		return -1;
	if (t->has_sig) {
		siginfo_t si;

		memcpy(&si, t->siginfo, sizeof(si));
		syscall(SYS_rt_tgsigqueueinfo, t->tid, t->tid, si.si_signo, &si);
	}
	if (ptrace(PTRACE_DETACH, t->tid, 0, 0) < 0)
		return berth_error_errno(err, errno, "detach thread %d", t->tid);
	t->seized = false;
	return 0;
}

int cr_wait_new(pid_t tid, berth_error_t *err)
{
	int status;

	for (;;) {
		if (wait_stop(tid, &status, err) < 0)
			return -1;
		if ((status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return berth_error_errno(err, errno, "thread %d", tid);
	}
}

int cr_get_regs(pid_t tid, struct user_regs_struct *regs, berth_error_t *err)
{
	struct iovec iov = { regs, sizeof(*regs) };

	if (ptrace(PTRACE_GETREGSET, tid, NT_PRSTATUS, &iov) < 0)
		return berth_error_errno(err, errno, "thread %d: get registers", tid);
	return 0;
}

int cr_set_regs(pid_t tid, const struct user_regs_struct *regs, berth_error_t *err)
{
	struct iovec iov = { (void *)regs, sizeof(*regs) };

	if (ptrace(PTRACE_SETREGSET, tid, NT_PRSTATUS, &iov) < 0)
		return berth_error_errno(err, errno, "thread %d: set registers", tid);
	return 0;
}

void cr_fold_restart(struct user_regs_struct *regs)
{
	if ((long)regs->orig_rax < 0)
		return;
	switch (-(long)regs->rax) {
	case CR_ERESTARTSYS:
	case CR_ERESTARTNOINTR:
	case CR_ERESTARTNOHAND:
	case CR_ERESTART_RESTARTBLOCK:
		/*
		 * Run the call again from the start (for the restart block
		 * too: the kernel's restart state does not survive a restore,
		 * and sleeps and polls are restartable from their arguments).
		 */
		regs->rax = regs->orig_rax;
		regs->rip -= 2;
		break;
	}
	regs->orig_rax = (unsigned long)-1;
}

int cr_syscall(struct cr_thread *t, long nr, const long a[6], long *ret, pid_t *newpid,
	       berth_error_t *err)
{
	struct user_regs_struct r = t->regs;
	int status, phase = 0;

	r.rip = t->syscall_ip;
	r.rax = nr;
	r.orig_rax = (unsigned long)-1;
	r.rdi = a[0];
	r.rsi = a[1];
	r.rdx = a[2];
	r.r10 = a[3];
	r.r8 = a[4];
	r.r9 = a[5];
	if (cr_set_regs(t->tid, &r, err) < 0)
		return -1;
	/* phase 0: run to syscall entry; 1: run to syscall exit. */
	while (phase < 2) {
		if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
			return berth_error_errno(err, errno, "thread %d: run syscall %ld", t->tid, nr);
		if (wait_stop(t->tid, &status, err) < 0)
			return berth_error_wrap(err, "syscall %ld", nr);
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			phase++;
			continue;
		}
		if ((status >> 8) == (SIGTRAP | (PTRACE_EVENT_FORK << 8)) ||
		    (status >> 8) == (SIGTRAP | (PTRACE_EVENT_CLONE << 8))) {
			unsigned long msg = 0;

			if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) < 0)
				return berth_error_errno(err, errno, "thread %d: event", t->tid);
			if (newpid)
				*newpid = (pid_t)msg;
			continue;
		}
		if ((status >> 16) == PTRACE_EVENT_STOP)
			continue;
		if (WSTOPSIG(status) == SIGTRAP || WSTOPSIG(status) == SIGSEGV ||
		    WSTOPSIG(status) == SIGBUS || WSTOPSIG(status) == SIGILL)
			return berth_error(err, EFAULT, "thread %d: signal %d running syscall %ld",
					   t->tid, WSTOPSIG(status), nr);
		/* Another signal arrived: keep it for later, go on. */
		if (!t->has_sig && ptrace(PTRACE_GETSIGINFO, t->tid, 0, t->siginfo) == 0)
			t->has_sig = true;
	}
	if (cr_get_regs(t->tid, &r, err) < 0)
		return -1;
	*ret = (long)r.rax;
	return 0;
}

int cr_find_syscall_insn(pid_t pid, unsigned long start, unsigned long end, unsigned long *ip,
			 berth_error_t *err)
{
	size_t len = end - start;
	unsigned char *buf = malloc(len);
	struct iovec l = { buf, len }, r = { (void *)start, len };

	if (buf == NULL)
		return berth_error_errno(err, ENOMEM, "process %d: read vdso", pid);
	if (process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)len) {
		free(buf);
		return berth_error_errno(err, errno, "process %d: read vdso", pid);
	}
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
			*ip = start + i;
			free(buf);
			return 0;
		}
	}
	free(buf);
	return berth_error(err, ENOENT, "process %d: no syscall instruction in the vdso", pid);
}
