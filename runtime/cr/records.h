/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Payload layouts of the checkpoint image records (little-endian, fixed
 * width, no host kernel addresses).  Each struct is the fixed head of its
 * record; variable data (paths, bytes) follows it.  A newer format version
 * may only append fields; readers accept longer heads.
 */
#ifndef BERTH_CR_RECORDS_H
#define BERTH_CR_RECORDS_H

#include <stdint.h>

#define CR_ARCH_X86_64 1

struct cr_r_inventory {
	uint32_t arch;
	uint32_t page_size;
	uint32_t nproc;
	uint32_t root_pid;
	uint64_t flags;
	uint64_t time_ns;
};

/*
 * flags: CR_PROC_ZOMBIE: the process had exited and its parent had not
 * waited for it; it has no core or pages files, nthreads is 1 (its pid)
 * and a uint32_t wait status (as waitpid() gives it, without the core dump
 * bit) follows the thread list.  Older images have 0 here.
 */
#define CR_PROC_ZOMBIE 1u
struct cr_r_process { /* + uint32_t tids[nthreads] (+ uint32_t status for a zombie) */
	uint32_t pid, ppid, pgid, sid;
	uint32_t nthreads;
	uint32_t flags; /* CR_PROC_*; was padding (0) */
};

struct cr_r_task {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint32_t umask, personality;
	uint64_t rlim[16][2]; /* RLIMIT_*: soft, hard */
};

struct cr_r_creds { /* + uint32_t groups[ngroups] */
	uint32_t uid[4], gid[4]; /* real, effective, saved, filesystem */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint32_t no_new_privs;
	uint32_t seccomp; /* 0 none, 2 filters (SECCOMP records follow); strict mode is refused */
	uint32_t ngroups, pad;
};

struct cr_r_seccomp { /* + struct sock_filter[len] */
	uint32_t index; /* 0: the filter installed last */
	uint32_t len;
};

enum { CR_PATH_CWD = 1, CR_PATH_EXE = 2, CR_PATH_ROOT = 3 };
struct cr_r_path { /* + NUL-terminated path */
	uint32_t tag, pad;
};

struct cr_r_thread {
	uint32_t tid, pad;
	uint64_t sigmask;
	uint64_t regs[27]; /* struct user_regs_struct, x86-64 */
	uint64_t rseq_addr;
	uint32_t rseq_len, rseq_sig;
	uint64_t tid_address;
	uint64_t robust_head, robust_len;
	uint64_t ss_sp, ss_size;
	uint32_t ss_flags, pad2;
};

struct cr_r_xstate { /* + xsave bytes */
	uint32_t tid, pad;
};

struct cr_r_sigaction {
	uint32_t sig, pad;
	uint64_t handler, flags, restorer, mask;
};

struct cr_r_siginfo { /* + 128 bytes of siginfo */
	uint32_t tid; /* 0: the process-wide queue */
	uint32_t pad;
};

enum cr_vma_kind {
	CR_VMA_ANON = 1,
	CR_VMA_FILE = 2,
	CR_VMA_VDSO = 3,
	CR_VMA_VVAR = 4,
	CR_VMA_VVAR_VCLOCK = 5,
	CR_VMA_SHMEM = 6, /* shared anonymous: content in the file table (file_id) */
};
struct cr_r_vma { /* + NUL-terminated path for file mappings */
	uint64_t start, end, pgoff;
	uint32_t prot, flags; /* PROT_*, MAP_SHARED/MAP_PRIVATE/MAP_GROWSDOWN */
	uint32_t kind, file_id;
};

struct cr_r_fd {
	uint32_t fd, fdflags, file_id, pad;
};

enum cr_file_type {
	CR_FILE_REG = 1,
	CR_FILE_DIR = 2,
	CR_FILE_CHR = 3,
	CR_FILE_PIPE = 4,
	CR_FILE_MEMFD = 5,
	CR_FILE_SHMEM = 6, /* a shared anonymous mapping's memory */
	CR_FILE_EVENTFD = 7,
	CR_FILE_SIGNALFD = 8,
	CR_FILE_TIMERFD = 9,
	CR_FILE_EPOLL = 10,
	CR_FILE_UNIX = 11, /* a socketpair end; both ends in the tree */
	CR_FILE_TCP_LISTEN = 12,
	CR_FILE_TCP = 13, /* an established TCP connection: one TCP record follows */
	CR_FILE_TTY = 20, /* a pty end, or /dev/tty or /dev/console naming one: a TTY record follows */
	CR_FILE_FIFO = 18,    /* a named pipe, reopened by path; data as for pipes */
	CR_FILE_UDP = 19,     /* an IPv4/IPv6 datagram socket */
	CR_FILE_UNIX_SK = 21, /* a unix socket with a name, a listener or an outside peer */
};
struct cr_r_file { /* + NUL-terminated path */
	uint32_t id, type;
	uint32_t flags, mode; /* open flags (O_*), st_mode */
	uint64_t pos, size, ino;
	uint32_t deleted, pipe_size;
	uint64_t rdev;
};

struct cr_r_file_data { /* + bytes */
	uint32_t id, pad;
	uint64_t offset;
};

/*
 * Type-specific state of a FILE (follows it):
 *   eventfd:  p[0] count, p[1] 1 when EFD_SEMAPHORE
 *   signalfd: p[0] signal mask
 *   timerfd:  p[0] clock id, p[1] ticks not yet read, p[2] settime flags,
 *             p[3..4] it_value (s, ns, remaining), p[5..6] it_interval (s, ns)
 *   tcp listen: p[0] family, p[1] SO_REUSEADDR, p[2] SO_REUSEPORT, p[3] IPV6_V6ONLY,
 *             p[4] backlog; one FILE_DATA holds the bound address (struct sockaddr_*)
 *   unix:     p[0] peer inode, p[1] socket type; FILE_DATA records are what
 *             waits in its receive queue (one record per datagram)
 *   udp:      p[0] family, p[1] SO_REUSEADDR, p[2] SO_REUSEPORT, p[3] IPV6_V6ONLY,
 *             p[4] SO_BROADCAST, p[5] 1 when connected; FILE_DATA offset 0: the bound
 *             address, offset 1: the peer's (struct sockaddr_*)
 *   unix_sk:  p[0] socket type, p[1] CR_USK_* flags, p[2] peer inode (in the tree),
 *             p[3] backlog, p[4] st_mode of the socket file, p[5] the inode of the
 *             listener in the tree an accepted socket came from;
 *             FILE_DATA offset 0: what waits in its receive queue (one record per
 *             datagram), 1: its own address, 2: the peer's (struct sockaddr_un)
 */
enum {
	CR_USK_LISTEN = 1,   /* listening (stream or seqpacket) */
	CR_USK_BOUND = 2,    /* bound to a name of its own */
	CR_USK_PEER = 4,     /* connected to a socket of the tree */
	CR_USK_EXTERNAL = 8, /* connected to a socket outside the tree (--ext-unix-sk) */
	CR_USK_ACCEPTED = 16 /* made by accept(): its name is the listener's */
};
enum { CR_USK_DATA_QUEUE = 0, CR_USK_DATA_NAME = 1, CR_USK_DATA_PEER = 2 };
struct cr_r_file_params {
	uint32_t id, pad;
	uint64_t p[8];
};

/* A file watched by an epoll instance, registered from process pid as its fd tfd. */
struct cr_r_epoll_tfd {
	uint32_t epoll_id, pid;
	uint32_t epfd, tfd;
	uint32_t events, pad;
	uint64_t data;
};

/*
 * A terminal description (runtime/cr/tty.c), after all FILE records, the
 * masters' first.  A slave is opened from its master (TIOCGPTPEER), so its
 * pty number may differ from the saved one; an external slave (its master
 * was outside the tree) becomes the restorer's terminal.  termios is the
 * kernel's struct termios2; the window size is the pty's.
 */
enum cr_tty_kind { CR_TTY_MASTER = 1, CR_TTY_SLAVE = 2, CR_TTY_EXTERNAL = 3 };
enum { CR_TTY_LOCKED = 1, CR_TTY_PACKET = 2 };
struct cr_r_tty { /* + NUL-terminated path of the slave at checkpoint time */
	uint32_t id, kind;
	uint32_t master_id; /* a slave: the FILE of its master */
	uint32_t index;	    /* the pty number */
	uint32_t flags;	    /* CR_TTY_LOCKED, CR_TTY_PACKET (masters) */
	uint32_t ctty_sid;  /* the session leader that has it as controlling terminal, 0 none */
	uint32_t fg_pgrp;   /* its foreground process group, 0 none or outside the tree */
	uint32_t pad;
	uint32_t iflag, oflag, cflag, lflag, ispeed, ospeed;
	uint8_t line, cc[19];
	uint16_t rows, cols, xpixel, ypixel;
	uint32_t pad2;
};

/*
 * An established TCP connection (IPv4 or IPv6), saved in repair mode
 * (TCP_REPAIR).  The payload goes on with snd_len bytes of the send queue
 * (sent but not acknowledged, then not sent yet) and rcv_len bytes of the
 * receive queue (arrived, not read by the process).  Sequence numbers are
 * those of the first byte of each queue; ports in host order.
 */
enum {
	CR_TCP_SACK = 1,
	CR_TCP_TIMESTAMPS = 2,
	CR_TCP_WSCALE = 4,
};
struct cr_r_tcp { /* + send queue bytes, receive queue bytes */
	uint32_t id, family;	 /* the FILE; AF_INET or AF_INET6 */
	uint8_t laddr[16], raddr[16]; /* IPv4: the first 4 bytes */
	uint32_t lport, rport;
	uint32_t scope_id, state; /* IPv6 link-local scope; TCP_ESTABLISHED */
	uint32_t snd_seq, rcv_seq;
	uint32_t snd_len, rcv_len;
	uint32_t opts, mss;	       /* CR_TCP_*, the peer's MSS */
	uint32_t snd_wscale, rcv_wscale;
	uint32_t timestamp, unsent; /* unsent: the last bytes of the send queue, never sent */
	uint32_t snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup; /* TCP_REPAIR_WINDOW */
	uint32_t nodelay, keepalive;
	uint32_t keepidle, keepintvl, keepcnt;
	uint32_t reuseaddr, v6only;
	uint32_t sndbuf, rcvbuf; /* as SO_SNDBUF/SO_RCVBUF read them */
};

/*
 * A lock held on a file (--file-locks).  flock(2) and OFD locks belong to
 * the open file description (file_id), POSIX locks to process pid (taken
 * through its fd).
 */
enum { CR_LOCK_FLOCK = 1, CR_LOCK_POSIX = 2, CR_LOCK_OFD = 3 };
struct cr_r_file_lock {
	uint32_t file_id, pid;
	uint32_t fd, kind;   /* CR_LOCK_* */
	uint32_t type, pad;  /* F_RDLCK, F_WRLCK */
	uint64_t start, len; /* len 0: to the end of the file */
};

struct cr_r_pages { /* + npages * page_size bytes */
	uint64_t vaddr, npages;
};

#endif
