/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moving page data between a stopped process and its PAGES records.
 *
 * Dump: the PAGEMAP_SCAN ioctl of /proc/PID/pagemap lists the present and
 * swapped pages of a mapping as address ranges in one call (older kernels:
 * the pagemap entries are read and turned into ranges here).  The ranges
 * are gathered into batches of up to CR_PAGES_BUF bytes and IOV_MAX pieces;
 * one process_vm_readv() copies a batch into the buffer, which is still in
 * the CPU cache when it is checksummed and written as one writev() of
 * records (one record per contiguous run in the batch).
 *
 * Restore: records are read into the buffer until it is full, and one
 * process_vm_writev() puts the whole batch into the process.
 */
#include "pages.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "records.h"

/* /proc/PID/pagemap entries. */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP    (1ULL << 62)
#define PM_FILE    (1ULL << 61)

/* The PAGEMAP_SCAN ioctl (Linux 6.7, include/uapi/linux/fs.h). */
#define CR_PAGE_IS_FILE    (1 << 2)
#define CR_PAGE_IS_PRESENT (1 << 3)
#define CR_PAGE_IS_SWAPPED (1 << 4)

struct cr_page_region {
	uint64_t start, end, categories;
};

struct cr_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

#define CR_PAGEMAP_SCAN _IOWR('f', 16, struct cr_pm_scan_arg)

#define MAX_PIECES 1024 /* IOV_MAX */
#define NREGIONS   512

char *cr_pages_buf(void)
{
	char *p = mmap(NULL, CR_PAGES_BUF, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void cr_pages_buf_free(char *buf)
{
	if (buf)
		munmap(buf, CR_PAGES_BUF);
}

struct pdump {
	pid_t pid;
	int pmfd, memfd;
	int scan; /* PAGEMAP_SCAN: 1 works, 0 not tried yet, -1 not supported */
	struct cr_img *img;
	char *buf;
	uint64_t *bytes;
	/* the batch: pieces of the process's memory, in address order */
	bool readable;
	int n;
	size_t len;
	struct iovec remote[MAX_PIECES];
	struct cr_r_pages heads[MAX_PIECES];
	struct cr_rec_out recs[MAX_PIECES];
	struct cr_page_region regions[NREGIONS];
};

/* Copy the batch out of the process and write it, one record per piece. */
static int flush(struct pdump *d, berth_error_t *err)
{
	size_t off = 0;

	if (d->n == 0)
		return 0;
	if (d->readable) {
		struct iovec local = { d->buf, d->len };
		ssize_t r = process_vm_readv(d->pid, &local, 1, d->remote, d->n, 0);

		if (r != (ssize_t)d->len)
			return berth_error_errno(err, r < 0 ? errno : EFAULT,
						 "process %d: read memory", d->pid);
	} else {
		/* Mappings without PROT_READ: /proc/PID/mem reads them anyway. */
		for (int i = 0; i < d->n; i++) {
			ssize_t r = pread(d->memfd, d->buf + off, d->remote[i].iov_len,
					  (off_t)(uintptr_t)d->remote[i].iov_base);

			if (r != (ssize_t)d->remote[i].iov_len)
				return berth_error_errno(err, r < 0 ? errno : EFAULT,
							 "process %d: read memory at %p", d->pid,
							 d->remote[i].iov_base);
			off += (size_t)r;
		}
	}
	off = 0;
	for (int i = 0; i < d->n; i++) {
		d->heads[i].vaddr = (uintptr_t)d->remote[i].iov_base;
		d->heads[i].npages = d->remote[i].iov_len / CR_PAGE;
		d->recs[i] = (struct cr_rec_out){ &d->heads[i], sizeof(d->heads[i]), d->buf + off,
						  d->remote[i].iov_len };
		off += d->remote[i].iov_len;
	}
	if (cr_img_writev(d->img, CR_REC_PAGES, d->recs, d->n, err) < 0)
		return -1;
	*d->bytes += d->len;
	d->n = 0;
	d->len = 0;
	return 0;
}

/* Add the pages [addr, addr + len) to the batch, flushing it when full. */
static int add_run(struct pdump *d, uint64_t addr, uint64_t len, berth_error_t *err)
{
	while (len) {
		uint64_t room = CR_PAGES_BUF - d->len, take = len < room ? len : room;
		struct iovec *last = d->n ? &d->remote[d->n - 1] : NULL;

		if (last && (uintptr_t)last->iov_base + last->iov_len == addr) {
			last->iov_len += take;
		} else {
			d->remote[d->n].iov_base = (void *)(uintptr_t)addr;
			d->remote[d->n].iov_len = take;
			d->n++;
		}
		d->len += take;
		addr += take;
		len -= take;
		if ((d->n == MAX_PIECES || d->len == CR_PAGES_BUF) && flush(d, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * The saved pages of v by PAGEMAP_SCAN: present or swapped, and for file
 * mappings only the private copies (not the file's own pages).  1 when the
 * kernel does not have the ioctl.
 */
static int scan_vma(struct pdump *d, const struct cr_vma *v, berth_error_t *err)
{
	struct cr_pm_scan_arg a = {
		.size = sizeof(a),
		.start = v->start,
		.end = v->end,
		.vec = (uintptr_t)d->regions,
		.vec_len = NREGIONS,
		.category_anyof_mask = CR_PAGE_IS_PRESENT | CR_PAGE_IS_SWAPPED,
		.return_mask = CR_PAGE_IS_PRESENT | CR_PAGE_IS_SWAPPED,
	};

	if (v->kind != CR_VMA_ANON) {
		a.category_mask = CR_PAGE_IS_FILE;
		a.category_inverted = CR_PAGE_IS_FILE; /* match pages that are not the file's */
	}
	while (a.start < a.end) {
		int r = ioctl(d->pmfd, CR_PAGEMAP_SCAN, &a);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && d->scan == 0 && (errno == ENOTTY || errno == EINVAL)) {
			d->scan = -1;
			return 1;
		}
		if (r < 0)
			return berth_error_errno(err, errno, "process %d: scan pagemap", d->pid);
		d->scan = 1;
		for (int i = 0; i < r; i++)
			if (add_run(d, d->regions[i].start, d->regions[i].end - d->regions[i].start,
				    err) < 0)
				return -1;
		if (a.walk_end <= a.start)
			return berth_error(err, EIO, "process %d: pagemap scan made no progress",
					   d->pid);
		a.start = a.walk_end;
	}
	return 0;
}

/* The same from /proc/PID/pagemap entries, 8 bytes per page. */
static int read_pagemap(struct pdump *d, const struct cr_vma *v, berth_error_t *err)
{
	enum { CHUNK = 4096 };
	uint64_t pm[CHUNK], run_start = 0, run_len = 0;

	for (uint64_t a = v->start; a < v->end; a += CHUNK * CR_PAGE) {
		uint64_t n = (v->end - a) / CR_PAGE;
		ssize_t r;

		if (n > CHUNK)
			n = CHUNK;
		r = pread(d->pmfd, pm, n * 8, (off_t)(a / CR_PAGE * 8));
		if (r != (ssize_t)(n * 8))
			return berth_error_errno(err, r < 0 ? errno : EIO,
						 "process %d: read pagemap", d->pid);
		for (uint64_t i = 0; i < n; i++) {
			bool save = (pm[i] & (PM_PRESENT | PM_SWAP)) &&
				    (v->kind == CR_VMA_ANON || !(pm[i] & PM_FILE));
			uint64_t pa = a + i * CR_PAGE;

			if (save && run_len && run_start + run_len == pa) {
				run_len += CR_PAGE;
				continue;
			}
			if (run_len && add_run(d, run_start, run_len, err) < 0)
				return -1;
			run_len = 0;
			if (save) {
				run_start = pa;
				run_len = CR_PAGE;
			}
		}
	}
	return run_len ? add_run(d, run_start, run_len, err) : 0;
}

int cr_dump_pages(pid_t pid, const struct cr_vma *v, int nv, struct cr_img *img, char *buf,
		  uint64_t *bytes, berth_error_t *err)
{
	char path[64];
	cleanup_close int pmfd = -1, memfd = -1;
	cleanup_free struct pdump *d = NULL;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pmfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pmfd < 0)
		return berth_error_errno(err, errno, "process %d: open pagemap", pid);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		return berth_error_errno(err, errno, "process %d: open memory", pid);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return berth_error_errno(err, ENOMEM, "process %d: pages", pid);
	d->pid = pid;
	d->pmfd = pmfd;
	d->memfd = memfd;
	d->img = img;
	d->buf = buf;
	d->bytes = bytes;
	d->readable = true;
	for (int i = 0; i < nv; i++) {
		int r = 1;

		/* Shared mappings are restored from their file (or shared memory). */
		if (v[i].kind != CR_VMA_ANON &&
		    !(v[i].kind == CR_VMA_FILE && !(v[i].flags & MAP_SHARED)))
			continue;
		if (d->readable != !!(v[i].prot & PROT_READ)) {
			if (flush(d, err) < 0)
				return -1;
			d->readable = v[i].prot & PROT_READ;
		}
		if (d->scan >= 0)
			r = scan_vma(d, &v[i], err);
		if (r < 0 || (r > 0 && read_pagemap(d, &v[i], err) < 0))
			return -1;
	}
	return flush(d, err);
}

/* ---- restore ---- */

struct prestore {
	pid_t pid;
	int n;
	size_t len;
	struct iovec remote[MAX_PIECES];
};

static int put_batch(struct prestore *r, char *buf, uint64_t *bytes, berth_error_t *err)
{
	struct iovec local = { buf, r->len };
	ssize_t n;

	if (r->n == 0)
		return 0;
	n = process_vm_writev(r->pid, &local, 1, r->remote, r->n, 0);
	if (n != (ssize_t)r->len)
		return berth_error_errno(err, n < 0 ? errno : EFAULT,
					 "process %d: write memory at %p (%zu bytes)", r->pid,
					 r->remote[0].iov_base, r->len);
	*bytes += r->len;
	r->n = 0;
	r->len = 0;
	return 0;
}

int cr_restore_pages(pid_t pid, struct cr_img *img, char *buf, uint64_t *bytes,
		     berth_error_t *err)
{
	cleanup_free struct prestore *r = calloc(1, sizeof(*r));
	struct cr_rec_header h;
	int ret;

	if (r == NULL)
		return berth_error_errno(err, ENOMEM, "process %d: pages", pid);
	r->pid = pid;
	while ((ret = cr_img_next(img, &h, err)) > 0) {
		struct cr_r_pages ph;
		uint64_t left, addr;

		if (h.type != CR_REC_PAGES || h.len < sizeof(ph))
			return berth_error(err, EBADMSG, "image file `%s`: record %" PRIu64
					   ": not a page record", img->path, img->nrec);
		if (cr_img_read(img, &ph, sizeof(ph), err) < 0)
			return -1;
		left = h.len - sizeof(ph);
		addr = ph.vaddr;
		if (ph.npages > (h.len / CR_PAGE) || left != ph.npages * CR_PAGE || addr % CR_PAGE)
			return berth_error(err, EBADMSG, "image file `%s`: record %" PRIu64
					   ": bad page record", img->path, img->nrec);
		/*
		 * A record is checked as a whole before any of it goes into the
		 * process when it fits the buffer (always, for images written by
		 * this version); bigger records of older images go in pieces.
		 */
		if (left <= CR_PAGES_BUF && left > CR_PAGES_BUF - r->len &&
		    put_batch(r, buf, bytes, err) < 0)
			return -1;
		while (left) {
			size_t room = CR_PAGES_BUF - r->len, n = left < room ? left : room;

			if (cr_img_read(img, buf + r->len, n, err) < 0)
				return -1;
			r->remote[r->n].iov_base = (void *)(uintptr_t)addr;
			r->remote[r->n].iov_len = n;
			r->n++;
			r->len += n;
			left -= n;
			addr += n;
			if ((r->n == MAX_PIECES || r->len == CR_PAGES_BUF) &&
			    put_batch(r, buf, bytes, err) < 0)
				return -1;
		}
	}
	if (ret < 0)
		return -1;
	return put_batch(r, buf, bytes, err);
}
