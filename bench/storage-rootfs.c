/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/storage-rootfs: time what an engine does per container once the
 * image is cached: storage_rootfs_create (overlay mounted, image marked used)
 * plus storage_image_runtime_config and writing config.json.  Built and run
 * by bench/storage.sh.   usage: storage-rootfs ROOT IMAGE N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/storage.h"
#include "util.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	cleanup_storage_store struct storage_store *st = NULL;
	cleanup_storage_image struct storage_image *img = NULL;
	berth_error_t err = NULL;
	uint64_t *t;
	int n;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: storage-rootfs ROOT IMAGE N\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (t == NULL || storage_store_open(argv[1], &st, &err) < 0 ||
	    storage_image_resolve(st, argv[2], NULL, &img, &err) < 0) {
		berth_error_print(stderr, "storage-rootfs", &err);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char id[64], cfgpath[4200];
		cleanup_free char *path = NULL, *text = NULL;
		cleanup_json json_t *cfg = NULL;
		struct storage_runtime_overrides ov = { 0 };
		uint64_t t0;

		snprintf(id, sizeof(id), "bt-bench-rootfs-%d", i);
		t0 = now_ns();
		if (storage_rootfs_create(st, img, id, NULL, 0, &path, &err) < 0)
			goto fail;
		ov.rootfs = path;
		if (storage_image_runtime_config(img, &ov, &cfg, &err) < 0)
			goto fail;
		text = json_dumps(cfg, JSON_COMPACT);
		snprintf(cfgpath, sizeof(cfgpath), "%s/../config.json", path);
		if (text == NULL ||
		    berth_write_file_atomic(cfgpath, text, strlen(text), 0644, false, &err) < 0)
			goto fail;
		t[i] = now_ns() - t0;
		if (storage_rootfs_remove(st, id, &err) < 0)
			goto fail;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	printf("%.3f %.3f %.3f\n", (double)t[n / 2] / 1e6, (double)t[(n * 9) / 10] / 1e6,
	       (double)t[0] / 1e6);
	free(t);
	return 0;
fail:
	berth_error_print(stderr, "storage-rootfs", &err);
	free(t);
	return 1;
}
