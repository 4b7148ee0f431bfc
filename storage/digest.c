/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sha256 digests: hashing (OpenSSL EVP) and validation of "sha256:<hex>" strings. */
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

#include "storage/internal.h"

struct st_sha256 {
	EVP_MD_CTX *ctx;
};

struct st_sha256 *st_sha256_new(void)
{
	struct st_sha256 *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		st_sha256_free(h);
		return NULL;
	}
	return h;
}

void st_sha256_update(struct st_sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void st_sha256_free(struct st_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void st_sha256_final(struct st_sha256 *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[ST_DIGEST_LEN] = '\0';
	st_sha256_free(h);
}

void st_sha256_buf(const void *data, size_t len, char *out)
{
	struct st_sha256 *h = st_sha256_new();

	if (h == NULL)
		abort();
	st_sha256_update(h, data, len);
	st_sha256_final(h, out);
}

int st_digest_check(const char *digest, berth_error_t *err)
{
	if (digest == NULL)
		return berth_error(err, EINVAL, "missing digest");
	if (strncmp(digest, "sha256:", 7) != 0) {
		const char *colon = strchr(digest, ':');
		if (colon && colon != digest)
			return berth_error(err, ENOTSUP, "digest `%s`: algorithm `%.*s` not supported",
					   digest, (int)(colon - digest), digest);
		return berth_error(err, EINVAL, "digest `%s`: not of the form sha256:<hex>", digest);
	}
	if (strlen(digest) != ST_DIGEST_LEN ||
	    strspn(digest + 7, "0123456789abcdef") != ST_DIGEST_LEN - 7)
		return berth_error(err, EINVAL, "digest `%s`: not 64 lower-case hex digits", digest);
	return 0;
}
