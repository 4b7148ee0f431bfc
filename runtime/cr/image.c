/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and writing checkpoint image files (Documentation/checkpoint-image.md). */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "cr.h"
#include "records.h"
#include "util.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t hround(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl64(acc, 31);
	return acc * P1;
}

static inline uint64_t hmerge(uint64_t acc, uint64_t val)
{
	acc ^= hround(0, val);
	return acc * P1 + P4;
}

void cr_hash_init(struct cr_hash_state *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->v[0] = seed + P1 + P2;
	s->v[1] = seed + P2;
	s->v[2] = seed;
	s->v[3] = seed - P1;
}

static void stripes(uint64_t v[4], const unsigned char *p, size_t n)
{
	uint64_t a = v[0], b = v[1], c = v[2], d = v[3];

	for (size_t i = 0; i < n; i++, p += 32) {
		a = hround(a, rd64(p));
		b = hround(b, rd64(p + 8));
		c = hround(c, rd64(p + 16));
		d = hround(d, rd64(p + 24));
	}
	v[0] = a;
	v[1] = b;
	v[2] = c;
	v[3] = d;
}

void cr_hash_update(struct cr_hash_state *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len == 0)
		return; /* data may be NULL then */
	s->total += len;
	if (s->buflen) {
		size_t take = 32 - s->buflen;

		if (take > len)
			take = len;
		memcpy(s->buf + s->buflen, p, take);
		s->buflen += take;
		p += take;
		len -= take;
		if (s->buflen < 32)
			return;
		stripes(s->v, s->buf, 1);
		s->buflen = 0;
	}
	stripes(s->v, p, len / 32);
	p += len / 32 * 32;
	len %= 32;
	memcpy(s->buf, p, len);
	s->buflen = len;
}

uint64_t cr_hash_final(const struct cr_hash_state *s)
{
	const unsigned char *p = s->buf, *end = s->buf + s->buflen;
	uint64_t h;

	if (s->total >= 32) {
		h = rotl64(s->v[0], 1) + rotl64(s->v[1], 7) + rotl64(s->v[2], 12) +
		    rotl64(s->v[3], 18);
		for (int i = 0; i < 4; i++)
			h = hmerge(h, s->v[i]);
	} else {
		h = s->seed + P5;
	}
	h += s->total;
	for (; p + 8 <= end; p += 8) {
		h ^= hround(0, rd64(p));
		h = rotl64(h, 27) * P1 + P4;
	}
	if (p + 4 <= end) {
		h ^= (uint64_t)rd32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++) {
		h ^= (uint64_t)(*p) * P5;
		h = rotl64(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

uint64_t cr_hash64(const void *data, size_t len, uint64_t seed)
{
	struct cr_hash_state s;

	cr_hash_init(&s, seed);
	cr_hash_update(&s, data, len);
	return cr_hash_final(&s);
}

static int img_init(struct cr_img *img, int dirfd, const char *name, berth_error_t *err)
{
	memset(img, 0, sizeof(*img));
	img->fd = -1;
	img->path = strdup(name);
	if (img->path == NULL)
		return berth_error_errno(err, ENOMEM, "image file `%s`", name);
	return 0;
}

int cr_img_create(struct cr_img *img, int dirfd, const char *name, uint32_t kind,
		  berth_error_t *err)
{
	struct cr_img_header h;

	if (img_init(img, dirfd, name, err) < 0)
		return -1;
	img->kind = kind;
	img->fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (img->fd < 0)
		return berth_error_errno(err, errno, "create image file `%s`", name);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CR_IMG_MAGIC, 8);
	h.version = CR_IMG_VERSION;
	h.kind = kind;
	h.checksum = cr_hash64(&h, offsetof(struct cr_img_header, checksum), 0);
	if (berth_write_all(img->fd, &h, sizeof(h)) < 0)
		return berth_error_errno(err, errno, "write image file `%s`", name);
	return 0;
}

int cr_img_open(struct cr_img *img, int dirfd, const char *name, uint32_t kind,
		berth_error_t *err)
{
	struct cr_img_header h;
	ssize_t n;

	if (img_init(img, dirfd, name, err) < 0)
		return -1;
	img->kind = kind;
	img->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0)
		return berth_error_errno(err, errno, "open image file `%s`", name);
	n = berth_read_all(img->fd, &h, sizeof(h));
	if (n < 0)
		return berth_error_errno(err, errno, "read image file `%s`", name);
	if ((size_t)n < sizeof(h) || memcmp(h.magic, CR_IMG_MAGIC, 8) != 0)
		return berth_error(err, EINVAL, "image file `%s`: not a berth checkpoint image", name);
	if (h.checksum != cr_hash64(&h, offsetof(struct cr_img_header, checksum), 0))
		return berth_error(err, EBADMSG, "image file `%s`: header checksum mismatch", name);
	if (h.version > CR_IMG_VERSION)
		return berth_error(err, EPROTONOSUPPORT,
				   "image file `%s`: format version %u is newer than this berth "
				   "supports (%u)",
				   name, h.version, CR_IMG_VERSION);
	if (h.kind != kind)
		return berth_error(err, EINVAL, "image file `%s`: kind %u, expected %u", name,
				   h.kind, kind);
	return 0;
}

/* writev() all of iov[0..n), which it may change, resuming after short writes. */
static int writev_all(struct cr_img *img, struct iovec *iov, int n, berth_error_t *err)
{
	int idx = 0;

	while (idx < n) {
		ssize_t w = writev(img->fd, iov + idx, n - idx);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return berth_error_errno(err, w < 0 ? errno : EIO, "write image file `%s`",
						 img->path);
		while (idx < n && (size_t)w >= iov[idx].iov_len) {
			w -= iov[idx].iov_len;
			idx++;
		}
		if (idx < n) {
			iov[idx].iov_base = (char *)iov[idx].iov_base + w;
			iov[idx].iov_len -= w;
		}
	}
	return 0;
}

/* Records per writev(): three iovecs each, within the kernel's IOV_MAX of 1024. */
#define WRITEV_RECS 256

int cr_img_writev(struct cr_img *img, uint32_t type, const struct cr_rec_out *recs, int n,
		  berth_error_t *err)
{
	struct cr_rec_header h[WRITEV_RECS];
	struct iovec iov[3 * WRITEV_RECS];

	while (n > 0) {
		int m = n < WRITEV_RECS ? n : WRITEV_RECS, ni = 0;

		for (int i = 0; i < m; i++) {
			struct cr_hash_state s;

			cr_hash_init(&s, 0);
			cr_hash_update(&s, recs[i].head, recs[i].hlen);
			cr_hash_update(&s, recs[i].data, recs[i].dlen);
			memset(&h[i], 0, sizeof(h[i]));
			h[i].type = type;
			h[i].len = recs[i].hlen + recs[i].dlen;
			h[i].checksum = cr_hash_final(&s);
			h[i].hcheck = cr_hash64(&h[i], offsetof(struct cr_rec_header, hcheck), 0);
			iov[ni++] = (struct iovec){ &h[i], sizeof(h[i]) };
			if (recs[i].hlen)
				iov[ni++] = (struct iovec){ (void *)recs[i].head, recs[i].hlen };
			if (recs[i].dlen)
				iov[ni++] = (struct iovec){ (void *)recs[i].data, recs[i].dlen };
		}
		if (writev_all(img, iov, ni, err) < 0)
			return -1;
		img->nrec += m;
		recs += m;
		n -= m;
	}
	return 0;
}

int cr_img_write(struct cr_img *img, uint32_t type, const void *a, size_t alen, const void *b,
		 size_t blen, berth_error_t *err)
{
	struct cr_rec_out r = { a, alen, b, blen };

	return cr_img_writev(img, type, &r, 1, err);
}

int cr_img_finish(struct cr_img *img, berth_error_t *err)
{
	uint64_t n = img->nrec;
	int ret = cr_img_write(img, CR_REC_END, &n, sizeof(n), NULL, 0, err);

	if (ret == 0 && close(img->fd) < 0)
		ret = berth_error_errno(err, errno, "close image file `%s`", img->path);
	img->fd = -1;
	return ret;
}

/* Read-ahead size: record headers and small payloads are served from it. */
#define RBUF_SIZE (64 << 10)

/*
 * Read up to len bytes (fewer only at the end of the file): small reads come
 * from the read-ahead buffer, big ones go straight into buf once the
 * buffered bytes are used up.
 */
static ssize_t img_read(struct cr_img *img, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		size_t want = len - done;
		ssize_t n;

		if (img->rpos < img->rlen) {
			size_t take = img->rlen - img->rpos < want ? img->rlen - img->rpos : want;

			memcpy(p + done, img->rbuf + img->rpos, take);
			img->rpos += take;
			done += take;
			continue;
		}
		if (want >= RBUF_SIZE / 2) {
			n = read(img->fd, p + done, want);
		} else {
			if (img->rbuf == NULL && (img->rbuf = malloc(RBUF_SIZE)) == NULL)
				return -1;
			n = read(img->fd, img->rbuf, RBUF_SIZE);
			if (n > 0) {
				img->rpos = 0;
				img->rlen = (size_t)n;
				continue;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int cr_img_next(struct cr_img *img, struct cr_rec_header *hdr, berth_error_t *err)
{
	ssize_t n;

	if (img->remain)
		return berth_error(err, EINVAL, "image file `%s`: record %llu not fully read",
				   img->path, (unsigned long long)img->nrec);
	n = img_read(img, &img->cur, sizeof(img->cur));
	if (n < 0)
		return berth_error_errno(err, errno, "read image file `%s`", img->path);
	if ((size_t)n < sizeof(img->cur))
		return berth_error(err, EBADMSG, "image file `%s`: truncated after record %llu",
				   img->path, (unsigned long long)img->nrec);
	if (img->cur.hcheck != cr_hash64(&img->cur, offsetof(struct cr_rec_header, hcheck), 0))
		return berth_error(err, EBADMSG,
				   "image file `%s`: record %llu: header checksum mismatch",
				   img->path, (unsigned long long)img->nrec);
	img->remain = img->cur.len;
	cr_hash_init(&img->hs, 0);
	if (img->cur.len == 0 && img->cur.checksum != cr_hash_final(&img->hs))
		return berth_error(err, EBADMSG, "image file `%s`: record %llu: checksum mismatch",
				   img->path, (unsigned long long)img->nrec);
	if (img->cur.type == CR_REC_END) {
		uint64_t count = 0;

		if (img->cur.len != sizeof(count) || cr_img_read(img, &count, 8, err) < 0)
			return berth_error(err, EBADMSG, "image file `%s`: bad end record",
					   img->path);
		if (count != img->nrec)
			return berth_error(err, EBADMSG,
					   "image file `%s`: %llu records, end record says %llu",
					   img->path, (unsigned long long)img->nrec,
					   (unsigned long long)count);
		return 0;
	}
	img->nrec++;
	*hdr = img->cur;
	return 1;
}

int cr_img_read(struct cr_img *img, void *buf, size_t len, berth_error_t *err)
{
	ssize_t n;

	if (len > img->remain)
		return berth_error(err, EBADMSG, "image file `%s`: record %llu is too short",
				   img->path, (unsigned long long)img->nrec);
	n = img_read(img, buf, len);
	if (n < 0)
		return berth_error_errno(err, errno, "read image file `%s`", img->path);
	if ((size_t)n < len)
		return berth_error(err, EBADMSG, "image file `%s`: truncated in record %llu",
				   img->path, (unsigned long long)img->nrec);
	cr_hash_update(&img->hs, buf, len);
	img->remain -= len;
	if (img->remain == 0 && cr_hash_final(&img->hs) != img->cur.checksum)
		return berth_error(err, EBADMSG, "image file `%s`: record %llu: checksum mismatch",
				   img->path, (unsigned long long)img->nrec);
	return 0;
}

int cr_img_read_all(struct cr_img *img, size_t min, void **out, berth_error_t *err)
{
	cleanup_free char *buf = NULL;

	if (img->remain < min || img->remain > (64ULL << 20))
		return berth_error(err, EBADMSG, "image file `%s`: record %llu has a bad size",
				   img->path, (unsigned long long)img->nrec);
	buf = calloc(1, img->remain + 1);
	if (buf == NULL)
		return berth_error_errno(err, ENOMEM, "image file `%s`", img->path);
	if (img->remain && cr_img_read(img, buf, img->remain, err) < 0)
		return -1;
	*out = steal_pointer(&buf);
	return 0;
}

void cr_img_close(struct cr_img *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	free(img->path);
	img->path = NULL;
	free(img->rbuf);
	img->rbuf = NULL;
	img->rpos = img->rlen = 0;
}

/* The kind of an image file by its name; 0 for files that are not images. */
static uint32_t kind_of(const char *name)
{
	size_t n = strlen(name);

	if (n < 5 || strcmp(name + n - 4, ".img") != 0)
		return 0;
	if (strcmp(name, "inventory.img") == 0)
		return CR_KIND_INVENTORY;
	if (strcmp(name, "pstree.img") == 0)
		return CR_KIND_PSTREE;
	if (strcmp(name, "files.img") == 0)
		return CR_KIND_FILES;
	if (strncmp(name, "core-", 5) == 0)
		return CR_KIND_CORE;
	if (strncmp(name, "pages-", 6) == 0)
		return CR_KIND_PAGES;
	return 0;
}

/* Read one image file to its END record; inventory's root pid into *root. */
static int verify_file(int dirfd, const char *name, uint32_t kind, char *buf, size_t buflen,
		       uint32_t *root, berth_error_t *err)
{
	struct cr_img img;
	struct cr_rec_header h;
	int r;

	if (cr_img_open(&img, dirfd, name, kind, err) < 0)
		return -1;
	while ((r = cr_img_next(&img, &h, err)) > 0) {
		uint64_t left = h.len;

		while (left > 0) {
			size_t n = left < buflen ? (size_t)left : buflen;

			if (cr_img_read(&img, buf, n, err) < 0) {
				r = -1;
				break;
			}
			if (kind == CR_KIND_INVENTORY && h.type == CR_REC_INVENTORY &&
			    left == h.len && n >= sizeof(struct cr_r_inventory))
				memcpy(root, buf + offsetof(struct cr_r_inventory, root_pid),
				       sizeof(*root));
			left -= n;
		}
		if (r < 0)
			break;
	}
	cr_img_close(&img);
	return r < 0 ? -1 : 0;
}

int cr_image_verify(const char *imgdir, uint32_t *root_pid, berth_error_t *err)
{
	cleanup_close int dirfd = open(imgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	DIR *d;
	struct dirent *e;
	int ret = 0;

	*root_pid = 0;
	if (dirfd < 0)
		return berth_error_errno(err, errno, "image `%s`", imgdir);
	/* The inventory is written last: without it the image is not complete. */
	buf = malloc(1 << 20);
	if (buf == NULL)
		return berth_error_errno(err, ENOMEM, "image `%s`", imgdir);
	if (verify_file(dirfd, "inventory.img", CR_KIND_INVENTORY, buf, 1 << 20, root_pid, err) < 0)
		return berth_error_wrap(err, "image `%s`", imgdir);
	d = fdopendir(dup(dirfd));
	if (d == NULL)
		return berth_error_errno(err, errno, "image `%s`", imgdir);
	while (ret == 0 && (e = readdir(d)) != NULL) {
		uint32_t kind = kind_of(e->d_name), unused;

		if (kind && kind != CR_KIND_INVENTORY)
			ret = verify_file(dirfd, e->d_name, kind, buf, 1 << 20, &unused, err);
	}
	closedir(d);
	if (ret == 0 && *root_pid == 0)
		ret = berth_error(err, EBADMSG, "inventory.img: no inventory record");
	return ret < 0 ? berth_error_wrap(err, "image `%s`", imgdir) : 0;
}
