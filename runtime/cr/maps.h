/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A process's memory map as read from /proc/PID/maps. */
#ifndef BERTH_CR_MAPS_H
#define BERTH_CR_MAPS_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define CR_PAGE 4096UL

struct cr_vma {
	uint64_t start, end, pgoff;
	uint32_t prot, flags; /* PROT_*; MAP_SHARED or MAP_PRIVATE, MAP_GROWSDOWN */
	uint32_t kind;        /* enum cr_vma_kind; 0 when berth cannot restore it */
	uint64_t ino;
	char *path; /* NULL for anonymous memory */
};

/* Read pid's maps; [vsyscall] is left out (it is the kernel's, the same everywhere). */
int cr_read_maps(pid_t pid, struct cr_vma **out, int *n, berth_error_t *err);
void cr_free_maps(struct cr_vma *v, int n);

#endif
