/* SPDX-License-Identifier: GPL-2.0-or-later */
/* berth-shim internals: the CRI log writer, the runtime driver, the event loop. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

enum shim_restart { SHIM_RESTART_NO, SHIM_RESTART_ON_FAILURE, SHIM_RESTART_ALWAYS };

struct shim_opts {
	const char *id;
	const char *bundle;
	const char *state_dir;
	const char *runtime;      /* path of the OCI runtime binary */
	const char *runtime_root; /* its --root, or NULL */
	const char *log_path;
	off_t log_max_size; /* 0: never rotate */
	int log_max_files;  /* rotated files kept next to the log */
	bool terminal;
	bool stdin_open;
	enum shim_restart restart;
	int restart_max; /* on-failure:N; 0 = unlimited */
	char **exit_command; /* argv run after the final exit, or NULL */
	const char *exit_command_lock; /* run it only if this file outlives a flock on it */
	int sync_fd;
	int attach_fd; /* a connected attach client from the start, or -1 */
	int wait_fd;   /* set up, then wait for a byte here before creating (-1: don't) */
	bool called_off; /* out: EOF on wait_fd, nothing was created */
	bool foreground;
	bool no_sync_exit; /* the exit file is not fsync'd (the container is removed at exit) */
	bool attach_first; /* start only once a client has attached (or after 30 s) */
	const char *restore_image; /* restore the container from this checkpoint instead of create+start */
	bool restore_tcp;          /* the checkpoint may hold established TCP connections */
	bool checkpointed; /* out: the container ended in a checkpoint (no exit command) */
};

/* Parse "no", "always", "on-failure" or "on-failure:N". */
int shim_parse_restart(const char *s, enum shim_restart *policy, int *max, berth_error_t *err);

/* CRI log file: "<RFC3339Nano> stdout|stderr F|P <text>\n" per line. */
struct shim_log {
	int fd;
	const char *path;
	off_t size;
	off_t max_size;
	int max_files;
	char *buf; /* formatting buffer, allocated on first output */
	long last_sec;
	char sec_str[32]; /* "YYYY-MM-DDTHH:MM:SS" of last_sec */
};

int shim_log_open(struct shim_log *log, const char *path, off_t max_size, int max_files,
		  berth_error_t *err);
/* Append the output chunk data[0..len) of one stream as CRI records. */
int shim_log_write(struct shim_log *log, const char *stream, const char *data, size_t len,
		   berth_error_t *err);
void shim_log_close(struct shim_log *log);
/* RFC 3339 with nanoseconds, UTC: out must hold 40 bytes. */
void shim_format_time(char *out, size_t len);

/* One run of the OCI runtime binary. */
struct shim_rt_call {
	char **argv;
	int in_fd, out_fd, err_fd; /* -1: /dev/null (err: captured into msg) */
	int console_listen;        /* listening socket for --console-socket, or -1 */
	int console_fd;            /* out: the received pty master */
	int status;                /* out: wait status */
	char msg[1024];            /* out: last line the runtime wrote to its stderr */
};

/* The runtime CLI (argv[0] ignored) run in this process through libberth; its exit status. */
int shim_builtin_runtime(int argc, char **argv);
/* libberth's delete --force of the container, in this process (errors are ignored, as for delete -f). */
void shim_builtin_delete(const char *root, const char *id);
/*
 * The container created by libberth in this process, its init our child with
 * stdio[0..2] (-1: /dev/null) as its stdio; with hold it waits for
 * shim_builtin_run(), without it runs its program at once and
 * shim_builtin_run() only records that.
 */
int shim_builtin_create(const char *root, const char *id, const char *bundle, bool hold,
			const char *console_socket, const int stdio[3], pid_t *pid, berth_error_t *err);
/* Let the created container run its program; returns once it has exec'd it. */
int shim_builtin_run(berth_error_t *err);
/* Drop the created container unstarted: its init exits (delete cleans up the rest). */
void shim_builtin_forget(void);
/* --runtime builtin: libberth in this process or a forked child instead of an exec'd runtime binary. */
#define SHIM_RUNTIME_BUILTIN "builtin"

/* Run the runtime to completion (receiving the console fd when asked). */
void shim_last_error_line(char *msg, size_t size, const char *buf, size_t n);
int shim_rt_run(struct shim_rt_call *call, berth_error_t *err);
/* "berth: create `x`: ..." -> "create `x`: ...": whoever reports it names the program. */
void shim_strip_prog(char *msg, const char *runtime);
/* Accept the runtime's connection on the console socket: the pty master it sends. */
int shim_receive_console(int listen_fd, berth_error_t *err);
/* Bind a listening unix socket at path (removed first). */
int shim_listen_unix(const char *path, int backlog, berth_error_t *err);

/* The supervisor: create, start, supervise and restart the container; returns the exit status. */
int shim_supervise(struct shim_opts *opts, berth_error_t *err);

#endif
