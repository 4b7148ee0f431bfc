/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "maps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cleanup.h"
#include "records.h"

static uint32_t vma_kind(const char *path, uint64_t ino, uint32_t flags)
{
	if (path == NULL || strcmp(path, "[heap]") == 0 || strcmp(path, "[stack]") == 0)
		return (flags & MAP_SHARED) ? 0 : CR_VMA_ANON;
	if (strcmp(path, "[vdso]") == 0)
		return CR_VMA_VDSO;
	if (strcmp(path, "[vvar]") == 0)
		return CR_VMA_VVAR;
	if (strcmp(path, "[vvar_vclock]") == 0)
		return CR_VMA_VVAR_VCLOCK;
	if (path[0] == '[' || ino == 0)
		return 0;
	/* Memory of deleted files, memfds and SysV segments is not restorable from a path. */
	if (strstr(path, " (deleted)") || strncmp(path, "/memfd:", 7) == 0 ||
	    strncmp(path, "/SYSV", 5) == 0)
		return 0;
	return CR_VMA_FILE;
}

int cr_read_maps(pid_t pid, struct cr_vma **out, int *n, berth_error_t *err)
{
	char path[64];
	cleanup_fclose FILE *f = NULL;
	cleanup_free char *line = NULL;
	size_t cap = 0;
	struct cr_vma *v = NULL;
	int nv = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return berth_error_errno(err, errno, "process %d: open maps", pid);
	while (getline(&line, &cap, f) > 0) {
		struct cr_vma m;
		char perms[8];
		unsigned int dmaj, dmin;
		int pos = 0;
		struct cr_vma *nvp;

		memset(&m, 0, sizeof(m));
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &m.start, &m.end, perms, &m.pgoff, &dmaj, &dmin, &m.ino, &pos) < 7) {
			cr_free_maps(v, nv);
			return berth_error(err, EINVAL, "process %d: bad maps line `%s`", pid, line);
		}
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line + pos, "[vsyscall]") == 0)
			continue;
		if (line[pos])
			m.path = strdup(line + pos);
		m.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			 (perms[2] == 'x' ? PROT_EXEC : 0);
		m.flags = perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
		if (m.path && strcmp(m.path, "[stack]") == 0)
			m.flags |= MAP_GROWSDOWN;
		m.kind = vma_kind(m.path, m.ino, m.flags);
		nvp = realloc(v, (nv + 1) * sizeof(*v));
		if (nvp == NULL) {
			free(m.path);
			cr_free_maps(v, nv);
			return berth_error_errno(err, ENOMEM, "process %d: maps", pid);
		}
		v = nvp;
		v[nv++] = m;
	}
	*out = v;
	*n = nv;
	return 0;
}

void cr_free_maps(struct cr_vma *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}
