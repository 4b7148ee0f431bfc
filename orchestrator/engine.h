/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemonless engine behind berthctl's container commands.  All state is
 * files (see Documentation/engine.md):
 *
 *   ROOT/engine/containers/ID/container.json   the record (what `run` was asked)
 *   ROOT/engine/containers/ID/bundle/          config.json + rootfs (overlay)
 *   ROOT/engine/containers/ID/ctr.log          CRI log written by the shim
 *   ROOT/engine/containers/ID/checkpoint/      `berthctl checkpoint`: process images,
 *                                              rootfs-diff.tar, the record and config
 *   ROOT/engine/names/NAME -> ID               name reservations (symlink(2) is atomic)
 *   ROOT/volumes/NAME/_data                    named volumes
 *   RUNROOT/engine/ID/                         the shim's state (attach, exit, status)
 *   RUNROOT/netns/ID                           the container's network namespace
 *   RUNROOT/runtime/                           the OCI runtime's --root
 */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "orchestrator/berthctl.h"

#define ENGINE_ID_LEN 64

struct engine_port {
	uint16_t host, ctr;
	char proto[4]; /* "tcp" or "udp" */
};

struct engine_paths {
	char *dir;     /* ROOT/engine/containers/ID */
	char *bundle;  /* .../bundle */
	char *log;     /* .../ctr.log */
	char *state;   /* RUNROOT/engine/ID */
	char *netns;   /* RUNROOT/netns/ID */
	char *rtroot;  /* RUNROOT/runtime */
};

/* A container as berthctl knows it: the record, and where its files are. */
struct engine_ctr {
	char id[ENGINE_ID_LEN + 1];
	json_t *rec; /* container.json */
	struct engine_paths p;
	int lock_fd; /* engine_ctr_lock() held by this process, or -1 */
	const char *restore_image; /* engine_start(): the shim restores from this checkpoint */
	bool restore_tcp;          /* ... with its established TCP connections */
};

enum engine_status { ENGINE_CREATED, ENGINE_RUNNING, ENGINE_EXITED, ENGINE_STOPPED_UNKNOWN };

struct engine_state {
	enum engine_status status;
	pid_t pid, shim_pid;
	int exit_code, signal, restarts;
	bool oom_killed;
	bool checkpointed; /* exited into a checkpoint (`berthctl restore` goes on with it) */
	char exited_at[48];
};

int engine_paths_init(struct berthctl_opts *o, const char *id, struct engine_paths *p,
		      berth_error_t *err);
void engine_paths_free(struct engine_paths *p);
void engine_ctr_free(struct engine_ctr *c);
static inline void cleanup_engine_ctrp(struct engine_ctr **c)
{
	if (*c)
		engine_ctr_free(*c);
}
#define cleanup_engine_ctr __attribute__((cleanup(cleanup_engine_ctrp)))

/* Find a container by full ID, unique ID prefix or name. */
int engine_ctr_lookup(struct berthctl_opts *o, const char *ref, struct engine_ctr **out,
		      berth_error_t *err);
/* Every container (IDs, sorted by creation). */
int engine_ctr_list(struct berthctl_opts *o, char ***ids, berth_error_t *err);
int engine_ctr_save(struct engine_ctr *c, berth_error_t *err);
/* The status from the shim's files (and whether the shim is still alive). */
void engine_ctr_state(struct engine_ctr *c, struct engine_state *st);
const char *engine_status_name(enum engine_status s);
/* Exclusive lock on the container, kept in c->lock_fd (released by engine_ctr_free/remove). */
int engine_ctr_lock(struct engine_ctr *c, berth_error_t *err);
/* Create the lock file (at `create`, before anything else can lock the container). */
int engine_ctr_lock_create(struct engine_ctr *c, berth_error_t *err);
/* Wait until the container is no longer running (exit file or shim gone); false on timeout. */
bool engine_wait_stopped(struct engine_ctr *c, int timeout_ms);
/* Wait for a process that is not our child to end; false on timeout. */
bool engine_wait_pid(pid_t pid, int timeout_ms);

/*
 * IDs of the containers whose record names value under key: "network" (the
 * network it joined; "default" is CNI_DEFAULT_NETWORK) or "volumes" (the named
 * volumes it mounts).  *ids is NULL-terminated (cleanup_strv).
 */
int engine_ctrs_using(struct berthctl_opts *o, const char *key, const char *value, char ***ids,
		      berth_error_t *err);
/*
 * Before removing a network or volume (what: "network"/"volume", key as
 * above): refuse while containers use it (EBUSY naming the first), or with
 * force remove them.
 */
int engine_release_users(struct berthctl_opts *o, const char *what, const char *key,
			 const char *name, bool force, berth_error_t *err);

/* Options of the `ls` commands: -q, --format json (prints the error itself: -1). */
int engine_list_opts(int argc, char **argv, const char *cmd, bool *json, bool *quiet);
/* Options of the `rm` commands: -f, then at least one name (prints the error: -1). */
int engine_rm_opts(int argc, char **argv, const char *cmd, bool *force);

/* rm -rf of path that never crosses into another filesystem (a mount still there). */
void engine_rm_tree(const char *path);

/* Reserve name for id; -EEXIST naming the container that has it. */
int engine_name_reserve(struct berthctl_opts *o, const char *name, const char *id,
			berth_error_t *err);
void engine_name_release(struct berthctl_opts *o, const char *name);

/*
 * Network namespace: a new one bind-mounted at path, made by a thread
 * (start, then finish: joins it, the error), or its removal.
 */
struct engine_netns_job {
	const char *path;
	pthread_t thread;
	bool running;
	int err;
	const char *what;
};
int engine_netns_start(struct engine_netns_job *j, const char *path, berth_error_t *err);
int engine_netns_finish(struct engine_netns_job *j, berth_error_t *err);
int engine_netns_create(const char *path, berth_error_t *err);
void engine_netns_remove(const char *path);

/* CNI ADD of the container's netns to network (with -p mappings); *ip gets its address. */
int engine_cni_add(struct berthctl_opts *o, struct engine_ctr *c, const char *network,
		   const struct engine_port *ports, size_t nports, char **ip, berth_error_t *err);

/* CNI ADD of the container's netns to the network in its record; the address goes there too. */
int engine_attach_network(struct berthctl_opts *o, struct engine_ctr *c, berth_error_t *err);

/* Start the shim for a created container; *pid gets the container's pid. */
int engine_start(struct berthctl_opts *o, struct engine_ctr *c, bool attach_first, pid_t *pid,
		 berth_error_t *err);
/*
 * `run`: the shim started while the bundle is still being made.
 * engine_shim_spawn() starts it; it sets itself up and waits.
 * engine_shim_go() lets it create the container once the bundle is complete,
 * runs during(o, c, err) meanwhile (with attach_first, nothing runs in the
 * container before an attach or a `start` request; a failure of during() is
 * returned once the shim has answered) and returns the container's pid.
 * attached: a socket pair whose one end the shim takes as a client
 * (--attach-fd) and whose other end, *fd of engine_shim_go(), has sent req
 * once during() succeeded: no connect, no round trip before the container
 * starts; read the answer with engine_shim_answer().  engine_shim_abort()
 * makes a waiting shim exit having created nothing, and reaps it.
 */
typedef int (*engine_during_fn)(struct berthctl_opts *o, struct engine_ctr *c, berth_error_t *err);
struct engine_shim_early {
	bool spawned, attach_first, attached;
	pid_t child;
	int reply_fd, go_fd;
	int attach[2]; /* attached: the socket pair */
};
void engine_shim_early_init(struct engine_shim_early *es, bool attach_first, bool attached);
int engine_shim_spawn(struct berthctl_opts *o, struct engine_ctr *c, struct engine_shim_early *es,
		      berth_error_t *err);
/* fd: the attach connection when attached (else NULL) */
int engine_shim_go(struct berthctl_opts *o, struct engine_ctr *c, struct engine_shim_early *es,
		   engine_during_fn during, const char *req, int *fd, pid_t *pid,
		   berth_error_t *err);
void engine_shim_abort(struct engine_shim_early *es);
/* Tear everything down: shim, runtime state, network, rootfs, files, name. */
int engine_remove(struct berthctl_opts *o, struct engine_ctr *c, bool force, berth_error_t *err);

/*
 * berth_error_wrap() unless the message already starts with that context
 * (libraries that name the object themselves: "network `x` not found").
 */
int engine_wrap_once(berth_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Path of the runtime binary and of the shim (next to berthctl unless overridden). */
const char *engine_runtime(struct berthctl_opts *o);
const char *engine_shim(struct berthctl_opts *o);

/* Signal names and numbers: "TERM", "SIGKILL", "9". */
int engine_parse_signal(const char *s, berth_error_t *err);

/* Exit status for an error while starting, the way podman maps them. */
int engine_exit_code_for(const char *msg);

/* `berthctl checkpoint` and `berthctl restore` (cmd_checkpoint.c). */
int engine_cmd_checkpoint(struct berthctl_opts *o, int argc, char **argv);
int engine_cmd_restore(struct berthctl_opts *o, int argc, char **argv);

/* ---- the shim's attach socket (shim/attach.h) ------------------------ */

/* Connect to the shim in state_dir and send req; reads the OK/FAIL answer. */
int engine_shim_request(const char *state_dir, const char *req, berth_error_t *err);
/* The OK/FAIL answer to a request sent on fd (of the shim in state_dir): 0 or the error. */
int engine_shim_answer(int fd, const char *state_dir, berth_error_t *err);
/*
 * Relay: frames from fd to our stdout/stderr, our stdin (when in_fd >= 0) to
 * the container; with tty, the terminal goes raw and its size is passed on;
 * Ctrl-P Ctrl-Q detaches.  Returns the exit code from the EXIT frame, or -1
 * on detach/EOF (with *detached set on a detach).
 */
int engine_shim_stream(int fd, int in_fd, bool tty, bool *detached, int *signal, bool *oom);

#endif
