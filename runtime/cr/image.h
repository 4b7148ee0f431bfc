/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checkpoint image: a directory of files, each a header followed by a
 * stream of checksummed records (Documentation/checkpoint-image.md).  The
 * same record stream is what a later page server sends over a socket, so
 * the writer and reader only need a file descriptor.
 */
#ifndef BERTH_CR_IMAGE_H
#define BERTH_CR_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CR_IMG_MAGIC   "BERTHCR\n"
#define CR_IMG_VERSION 1

/* File kinds. */
enum cr_img_kind {
	CR_KIND_INVENTORY = 1,
	CR_KIND_PSTREE = 2,
	CR_KIND_CORE = 3,  /* one per process: task, threads, signals, vmas, fds */
	CR_KIND_PAGES = 4, /* one per process: page data */
	CR_KIND_FILES = 5, /* open file descriptions shared by the tree */
};

/* Record types (stable numbers; a reader rejects types it does not know). */
enum cr_rec_type {
	CR_REC_END = 0, /* last record: number of records before it */
	CR_REC_INVENTORY = 1,
	CR_REC_PROCESS = 2,
	CR_REC_TASK = 3,
	CR_REC_THREAD = 4,
	CR_REC_XSTATE = 5,
	CR_REC_SIGACTION = 6,
	CR_REC_SIGINFO = 7,
	CR_REC_VMA = 8,
	CR_REC_FD = 9,
	CR_REC_PAGES = 10,
	CR_REC_FILE = 11,
	CR_REC_FILE_DATA = 12,
	CR_REC_AUXV = 13,
	CR_REC_PATH = 14,
	CR_REC_FILE_PARAMS = 15,
	CR_REC_EPOLL_TFD = 16,
	CR_REC_CREDS = 17,
	CR_REC_SECCOMP = 18,
	CR_REC_TCP = 19,
	CR_REC_TTY = 30,
	CR_REC_FILE_LOCK = 25, /* files.img: a lock held on a file */
};

struct cr_img_header {
	char magic[8];
	uint32_t version;
	uint32_t kind;
	uint64_t reserved;
	uint64_t checksum; /* of the 24 bytes above */
};

struct cr_rec_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t len;      /* payload bytes */
	uint64_t checksum; /* cr_hash64 of the payload */
	uint64_t hcheck;   /* cr_hash64 of the 24 bytes above */
};

/* A 64-bit non-cryptographic hash (the XXH64 algorithm). */
uint64_t cr_hash64(const void *data, size_t len, uint64_t seed);

/* Streaming hash state, for payloads written or read in pieces. */
struct cr_hash_state {
	uint64_t v[4];
	uint64_t total;
	unsigned char buf[32];
	size_t buflen;
	uint64_t seed;
};
void cr_hash_init(struct cr_hash_state *s, uint64_t seed);
void cr_hash_update(struct cr_hash_state *s, const void *data, size_t len);
uint64_t cr_hash_final(const struct cr_hash_state *s);

struct cr_img {
	int fd;
	uint32_t kind;
	uint64_t nrec;
	char *path; /* for messages */
	/* reader: the current record */
	struct cr_rec_header cur;
	uint64_t remain;
	struct cr_hash_state hs;
	/* reader: read-ahead for record headers and small payloads */
	char *rbuf;
	size_t rpos, rlen;
};

/* Create (truncate) dir/name and write its header. */
int cr_img_create(struct cr_img *img, int dirfd, const char *name, uint32_t kind,
		  berth_error_t *err);
/* Open dir/name, check magic, version and kind. */
int cr_img_open(struct cr_img *img, int dirfd, const char *name, uint32_t kind,
		berth_error_t *err);
/* Write one record whose payload is a followed by b (either may be empty). */
int cr_img_write(struct cr_img *img, uint32_t type, const void *a, size_t alen, const void *b,
		 size_t blen, berth_error_t *err);
/* One record of cr_img_writev(): its payload is head followed by data (either may be empty). */
struct cr_rec_out {
	const void *head;
	size_t hlen;
	const void *data;
	size_t dlen;
};
/* Write n records of one type with as few system calls as the kernel allows. */
int cr_img_writev(struct cr_img *img, uint32_t type, const struct cr_rec_out *recs, int n,
		  berth_error_t *err);
/* Write the END record and close. */
int cr_img_finish(struct cr_img *img, berth_error_t *err);
/*
 * Read the next record header: 1 with *hdr filled, 0 at the END record
 * (record count checked), negative on error.  The payload is then read
 * with cr_img_read() (in pieces if wanted, exactly hdr->len bytes in all);
 * its checksum is verified when the last byte has been read.
 */
int cr_img_next(struct cr_img *img, struct cr_rec_header *hdr, berth_error_t *err);
int cr_img_read(struct cr_img *img, void *buf, size_t len, berth_error_t *err);
/* Read a whole record payload of at least min bytes into a malloc'ed, NUL-terminated buffer. */
int cr_img_read_all(struct cr_img *img, size_t min, void **out, berth_error_t *err);
void cr_img_close(struct cr_img *img);

#endif
