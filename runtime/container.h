/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container as every verb sees it: what `create` recorded in
 * <root>/<id>/state.json, plus the live status derived from the kernel.
 *
 * Layout of the state directory (<root>/<id>/, mode 0700):
 *   state.json   this struct, written atomically (temp file + rename)
 *   config.json  the bundle's config as it was at create time
 *   exec.fifo    present while the container waits for `start`
 *
 * Locking: berth_container_lock() takes flock(LOCK_EX) on the state
 * directory and re-reads state.json under the lock, so a verb that changes a
 * container (start, kill, delete, pause, resume, update, exec) works on fresh
 * state.  The lock is released by berth_container_free() (or unlock).  Verbs
 * that only read (state, list, ps, events) need no lock: state.json is
 * replaced atomically, never rewritten in place.
 *
 * Typical verb:
 *   cleanup_container struct berth_container *c = NULL;
 *   if (berth_container_load(g->root, id, &c, err) < 0 || berth_container_lock(c, err) < 0)
 *           return -1;
 *   switch (berth_container_status(c)) { ... }
 *   c->status = BERTH_STATUS_PAUSED;
 *   return berth_container_save(c, err);
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

struct berth_cgroup; /* runtime/cgroup.h */

enum berth_status {
	BERTH_STATUS_CREATING,
	BERTH_STATUS_CREATED,
	BERTH_STATUS_RUNNING,
	BERTH_STATUS_PAUSED,
	BERTH_STATUS_STOPPED,
};

/* Longest container ID accepted (runc has no limit; 1024 keeps paths sane). */
#define BERTH_ID_MAX 1024

struct berth_container {
	char *id;
	char *state_root;   /* --root */
	char *dir;          /* <root>/<id> */
	char *bundle;       /* absolute bundle path */
	char *rootfs;       /* absolute rootfs path */
	pid_t pid;          /* container init in the host pid namespace, 0 when none */
	uint64_t pid_start; /* field 22 of /proc/<pid>/stat: detects pid reuse */
	char *created;      /* RFC 3339 UTC timestamp with nanoseconds */
	/* Stored status: creating, created, running or paused.  The live status is
	 * berth_container_status(), which also knows when the process is gone. */
	enum berth_status status;
	json_t *annotations;         /* object, never NULL (may be empty) */
	struct berth_config *config; /* parsed config.json of the state dir */
	struct berth_cgroup *cgroup; /* NULL when the container has no cgroup */
	json_t *cgroup_json;         /* what berth_cgroup_to_json() returned at create */
	char *owner;                 /* "" (runc compatibility) */
	bool systemd_cgroup;
	int lock_fd; /* -1 when not locked */
};

/* Check a container ID: 1..BERTH_ID_MAX bytes of [A-Za-z0-9_+.-], not "." or "..". */
int berth_id_validate(const char *id, berth_error_t *err);

/*
 * Load <state_root>/<id>.  A missing container fails with ENOENT and the
 * message `container "ID" does not exist`.  The result is not locked.
 */
int berth_container_load(const char *state_root, const char *id, struct berth_container **out,
			 berth_error_t *err);

/* Take the per-container lock (blocking) and re-read state.json under it. */
int berth_container_lock(struct berth_container *c, berth_error_t *err);
void berth_container_unlock(struct berth_container *c);

/* Write state.json atomically from the struct. */
int berth_container_save(struct berth_container *c, berth_error_t *err);

/*
 * The live status: STOPPED when the init process is gone (or its pid was
 * reused: the start time differs), CREATED while exec.fifo exists, PAUSED
 * when stored so (set by pause/resume), RUNNING otherwise.
 */
enum berth_status berth_container_status(const struct berth_container *c);
const char *berth_status_name(enum berth_status s);

/* True when c->pid is still the process that create started. */
bool berth_container_alive(const struct berth_container *c);

/* The OCI state JSON (ociVersion, id, status, pid, bundle, annotations). */
json_t *berth_container_oci_state(const struct berth_container *c);

/* Start time (field 22 of /proc/<pid>/stat) of pid; 0 when it does not exist. */
uint64_t berth_pid_start_time(pid_t pid);

/* Remove the state directory and its files. */
int berth_container_remove_state(struct berth_container *c, berth_error_t *err);

void berth_container_free(struct berth_container *c);
static inline void cleanup_containerp(struct berth_container **c)
{
	if (*c)
		berth_container_free(*c);
}
#define cleanup_container __attribute__((cleanup(cleanup_containerp)))

/* Names of all containers under state_root (sorted); *out is NULL-terminated. */
int berth_container_list_ids(const char *state_root, char ***out, berth_error_t *err);

#endif
