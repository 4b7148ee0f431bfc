/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page data of a checkpoint: which pages of a process are saved, moving
 * them between the process and the `PAGES` record stream of its
 * pages-PID.img (Documentation/checkpoint-image.md, "Page data").
 */
#ifndef BERTH_CR_PAGES_H
#define BERTH_CR_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "image.h"
#include "maps.h"

/*
 * Size of the buffer both directions move page data through: big enough
 * that one batch is a handful of system calls, small enough to stay in the
 * CPU caches between being read, checksummed and written.
 */
#define CR_PAGES_BUF (2UL << 20)

/* A buffer of CR_PAGES_BUF bytes, its pages faulted in; NULL with errno on failure. */
char *cr_pages_buf(void);
void cr_pages_buf_free(char *buf);

/*
 * Write the saved pages of pid's mappings v[0..nv) (private anonymous memory
 * and the modified pages of private file mappings) to img as PAGES records.
 * *bytes is increased by the page data written.
 */
int cr_dump_pages(pid_t pid, const struct cr_vma *v, int nv, struct cr_img *img, char *buf,
		  uint64_t *bytes, berth_error_t *err);

/*
 * Read the PAGES records of img (open, positioned after its header) and write
 * them into pid's memory, which must be mapped and writable.  *bytes is
 * increased by the page data written.
 */
int cr_restore_pages(pid_t pid, struct cr_img *img, char *buf, uint64_t *bytes,
		     berth_error_t *err);

#endif
