/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Controlling stopped threads: seize and interrupt, registers, and making a
 * thread run one system call on our behalf (the "injected syscall": set the
 * registers at a syscall instruction and step it with PTRACE_SYSCALL).  No
 * code is loaded into the tracee.
 */
#ifndef BERTH_CR_PTRACE_H
#define BERTH_CR_PTRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "error.h"

struct cr_thread {
	pid_t tid;          /* in our pid namespace */
	pid_t vtid;         /* in the process's own pid namespace */
	bool seized;
	bool stopped; /* in a ptrace stop, regs read */
	struct user_regs_struct regs; /* as found (syscall restart folded in) */
	unsigned long syscall_ip; /* address of a `syscall` instruction in the tracee */
	bool has_sig;             /* a signal caught in delivery while stopping */
	unsigned char siginfo[128];
};

/*
 * PTRACE_SEIZE + PTRACE_INTERRUPT and wait for the stop.  A signal met on
 * the way is kept in t->siginfo (to be queued again on resume or restore).
 */
int cr_seize(struct cr_thread *t, unsigned long options, berth_error_t *err);
/* The same in two steps, for a tree held by a freezer: seize all, thaw, then wait. */
int cr_seize_start(struct cr_thread *t, unsigned long options, berth_error_t *err);
int cr_seize_wait(struct cr_thread *t, berth_error_t *err);
/* Let a stopped thread go on, re-delivering a signal caught while stopping. */
int cr_release(struct cr_thread *t, berth_error_t *err);
/* Wait for a thread auto-attached by PTRACE_O_TRACECLONE/TRACEFORK to stop. */
int cr_wait_new(pid_t tid, berth_error_t *err);
int cr_get_regs(pid_t tid, struct user_regs_struct *regs, berth_error_t *err);
int cr_set_regs(pid_t tid, const struct user_regs_struct *regs, berth_error_t *err);
/*
 * Fold an interrupted system call's restart into the registers, as the
 * kernel would on the way back to user space, so the registers can be
 * saved and set again later.
 */
void cr_fold_restart(struct user_regs_struct *regs);
/*
 * Run syscall nr(a[0..5]) in thread t at t->syscall_ip; *ret gets the raw
 * result (-errno on failure).  *newpid gets the pid (our namespace) of a
 * child created by the call when it is a fork or clone (may be NULL).
 */
int cr_syscall(struct cr_thread *t, long nr, const long a[6], long *ret, pid_t *newpid,
	       berth_error_t *err);
/* Find a `syscall` instruction in the [vdso] of pid at [start, end). */
int cr_find_syscall_insn(pid_t pid, unsigned long start, unsigned long end, unsigned long *ip,
			 berth_error_t *err);

#endif
