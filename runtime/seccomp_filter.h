/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * (Named seccomp_filter.h, not seccomp.h: with -Iruntime that name would hide
 * libseccomp's <seccomp.h>.)
 *
 * seccomp for the container process (runtime-spec linux.seccomp), built with
 * libseccomp and loaded with seccomp(2) by berth itself, so that the filter
 * flags (TSYNC, LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV) are the kernel's and
 * loading never sets no_new_privs behind the runtime's back.
 *
 * When and in which order the runtime calls these:
 *
 *   runtime (host side, before clone): berth_seccomp_parse(linux.seccomp)
 *       Errors for unknown actions, operators, architectures and flags (by
 *       name) and wrong types; unknown syscall names are ignored, as runc.
 *
 *   container process, noNewPrivileges == false:
 *       the filter needs CAP_SYS_ADMIN, so load it BEFORE the capabilities
 *       are dropped (before berth_caps_drop_bounding(), see caps.h) and
 *       before setuid:  berth_seccomp_load() -> then caps, setuid, execve.
 *       Every syscall the runtime makes after that point (capset, prctl,
 *       setuid, execve, ...) passes through the filter, as with runc.
 *
 *   container process, noNewPrivileges == true:
 *       prctl(PR_SET_NO_NEW_PRIVS) (runtime), caps and setuid, then
 *       berth_seccomp_load() as late as possible: right before execve, after
 *       closing the fds, so that the filter sees as few runtime syscalls as
 *       possible.
 *
 *   With SCMP_ACT_NOTIFY rules berth_seccomp_load() returns the listener fd
 *   in *notify_fd (else -1), or, with sc->pass_listener, passes it itself
 *   right after loading over the sync socket (SCM_RIGHTS) to the runtime on
 *   the host, which calls
 *   berth_seccomp_send_listener() (the listenerPath is a host path, not
 *   reachable after pivot_root) and closes its copy; the container process
 *   closes its copy before execve.  Syscalls the runtime makes between load
 *   and execve that hit a NOTIFY rule block until the listener answers, so
 *   the fd must be handed over first, with sendmsg(2): berth_seccomp_parse()
 *   refuses SCMP_ACT_NOTIFY as the default action and on "sendmsg" and
 *   "write" (runc refuses it on "write" for the same reason).
 */
#ifndef BERTH_SECCOMP_FILTER_H
#define BERTH_SECCOMP_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum berth_seccomp_act {
	BERTH_SCMP_ACT_KILL, /* == KILL_THREAD */
	BERTH_SCMP_ACT_KILL_PROCESS,
	BERTH_SCMP_ACT_KILL_THREAD,
	BERTH_SCMP_ACT_TRAP,
	BERTH_SCMP_ACT_ERRNO,
	BERTH_SCMP_ACT_TRACE,
	BERTH_SCMP_ACT_ALLOW,
	BERTH_SCMP_ACT_LOG,
	BERTH_SCMP_ACT_NOTIFY,
};

enum berth_seccomp_op {
	BERTH_SCMP_CMP_NE,
	BERTH_SCMP_CMP_LT,
	BERTH_SCMP_CMP_LE,
	BERTH_SCMP_CMP_EQ,
	BERTH_SCMP_CMP_GE,
	BERTH_SCMP_CMP_GT,
	BERTH_SCMP_CMP_MASKED_EQ,
};

struct berth_seccomp_arg {
	unsigned int index; /* 0..5 */
	uint64_t value;
	uint64_t value_two;
	enum berth_seccomp_op op;
};

struct berth_seccomp_rule {
	char **names; /* NULL-terminated */
	enum berth_seccomp_act action;
	uint32_t errno_ret; /* ERRNO and TRACE; EPERM when errnoRet is absent */
	bool has_errno_ret;
	struct berth_seccomp_arg *args;
	size_t n_args;
};

struct berth_seccomp {
	enum berth_seccomp_act default_action;
	uint32_t default_errno_ret; /* EPERM when defaultErrnoRet is absent */
	bool has_default_errno_ret;
	char **archs;      /* "SCMP_ARCH_X86_64", ... NULL-terminated */
	unsigned long flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
	char *listener_path;     /* NULL when absent */
	char *listener_metadata; /* NULL when absent */
	struct berth_seccomp_rule *rules;
	size_t n_rules;
	bool uses_notify; /* some rule has SCMP_ACT_NOTIFY */
	void *bpf;        /* compiled program (struct sock_filter[]), set by prepare */
	size_t n_insns;
	/*
	 * Set by the runtime before clone: berth_seccomp_load() sends the
	 * listener fd over listener_sock (SCM_RIGHTS, message "N") as soon as
	 * the filter is loaded, and closes it.  Without noNewPrivileges the
	 * runtime's own syscalls after the load (capset, setuid, ...) pass
	 * through the filter, and one that hits a NOTIFY rule waits for an
	 * agent that must already have the fd.
	 */
	bool pass_listener;
	int listener_sock;
};

/*
 * Parse linux.seccomp.  NULL (absent) gives *out == NULL and 0: no filter.
 * Error example: `seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
 */
int berth_seccomp_parse(json_t *seccomp, struct berth_seccomp **out, berth_error_t *err);
void berth_seccomp_free(struct berth_seccomp *sc);
static inline void cleanup_seccompp(struct berth_seccomp **s)
{
	berth_seccomp_free(*s);
}
#define cleanup_seccomp __attribute__((cleanup(cleanup_seccompp)))

/*
 * Optional, on the host before clone: compile sc now (into sc->bpf), so that
 * berth_seccomp_load() in the container process only loads it.  With
 * cache_dir (e.g. "<--root>/seccomp-cache", created 0700) the program is
 * kept there and reused by later containers with the same profile: the file
 * holds the full description of the filter it was built from and is used
 * only when that matches exactly (else rebuilt and replaced), so a
 * collision or a damaged file can only cost a compile.  Multi-architecture
 * profiles (containerd's, podman's) take tens of milliseconds to compile.
 */
int berth_seccomp_prepare(struct berth_seccomp *sc, const char *cache_dir, berth_error_t *err);

/* The cache directory under --root, shared by create/run and exec. */
#define BERTH_SECCOMP_CACHE ".seccomp-cache"
/* berth_seccomp_prepare() with the cache in <state_root>/.seccomp-cache; sc may be NULL. */
int berth_seccomp_prepare_in(struct berth_seccomp *sc, const char *state_root, berth_error_t *err);

/*
 * Compile sc (unless berth_seccomp_prepare() did) and load it into the calling thread (all threads with
 * SECCOMP_FILTER_FLAG_TSYNC).  *notify_fd receives the listener fd
 * (O_CLOEXEC) when sc->uses_notify, else -1; with sc->pass_listener the fd
 * is sent right away instead and *notify_fd is -1.  Does not set no_new_privs:
 * without it the caller needs CAP_SYS_ADMIN (see the order above).
 */
int berth_seccomp_load(const struct berth_seccomp *sc, int *notify_fd, berth_error_t *err);

/*
 * Build the BPF program without loading it (sock_filter array, malloc'd):
 * used by berth_seccomp_load() and by tests that only compile.
 */
int berth_seccomp_compile(const struct berth_seccomp *sc, void **bpf, size_t *n_insns,
			  berth_error_t *err);

/*
 * Connect to sc->listener_path (AF_UNIX, SOCK_STREAM) and send, in one
 * sendmsg(), the runtime-spec containerProcessState JSON
 *   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}
 * with notify_fd as SCM_RIGHTS.  state is the container's state JSON
 * (ociVersion, id, status "creating", pid, bundle, annotations); borrowed.
 * Called by the runtime on the host; notify_fd stays open (caller closes).
 */
int berth_seccomp_send_listener(const struct berth_seccomp *sc, int notify_fd, pid_t pid,
				json_t *state, berth_error_t *err);

/* The "seccomp" object of `berth features` (runtime-spec features.md). */
json_t *berth_seccomp_features(void);

/* Names for messages and features ("SCMP_ACT_ERRNO", "SCMP_CMP_EQ"). */
const char *berth_seccomp_act_name(enum berth_seccomp_act act);
const char *berth_seccomp_op_name(enum berth_seccomp_op op);

#endif
