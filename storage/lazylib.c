/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libcurl, libarchive and libcrypto, loaded on first use.
 *
 * Why: every berth binary links every library, and loading these two with
 * their dependencies (GnuTLS, Kerberos, LDAP, libxml2 with ICU, ...) costs
 * tens of milliseconds at every exec, although only pulls and unpacks use
 * them; `berthctl run` of a cached image must start in a few milliseconds.
 * libcrypto (sha256 of blobs, base64 of credentials) alone takes several
 * milliseconds of relocations at every start, and `run` never hashes.
 * So the binaries are not linked against them: the functions storage/ (and
 * its tests) call are defined here, and each resolves the real one with
 * dlopen/dlsym the first time it is called.  The cached pointers are the
 * moral equivalent of PLT slots.
 */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

enum { LIB_CURL, LIB_ARCHIVE, LIB_CRYPTO };

static void *lazy_sym(int lib, const char *name)
{
	static const char *const sonames[] = { "libcurl.so.4", "libarchive.so.13",
						"libcrypto.so.3" };
	static void *handles[3];
	void *sym;

	if (handles[lib] == NULL)
		handles[lib] = dlopen(sonames[lib], RTLD_NOW | RTLD_LOCAL);
	sym = handles[lib] ? dlsym(handles[lib], name) : NULL;
	if (sym == NULL) {
		/* as the dynamic linker would at startup: a missing library is fatal */
		fprintf(stderr, "berth: load `%s` from %s: %s\n", name, sonames[lib], dlerror());
		exit(125);
	}
	return sym;
}

#define LAZY(lib, ret, name, params, args)                                   \
	ret(name) params                                                     \
	{                                                                    \
		static ret(*fn) params;                                      \
		if (fn == NULL)                                              \
			fn = (ret(*) params)lazy_sym(lib, #name);            \
		return fn args;                                              \
	}

/* ---- libcurl ---- */
LAZY(LIB_CURL, CURL *, curl_easy_init, (void), ())
LAZY(LIB_CURL, void, curl_easy_cleanup, (CURL * h), (h))
LAZY(LIB_CURL, void, curl_easy_reset, (CURL * h), (h))
LAZY(LIB_CURL, CURLcode, curl_easy_perform, (CURL * h), (h))
LAZY(LIB_CURL, const char *, curl_easy_strerror, (CURLcode c), (c))
LAZY(LIB_CURL, char *, curl_easy_escape, (CURL * h, const char *s, int n), (h, s, n))
LAZY(LIB_CURL, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s),
     (l, s))
LAZY(LIB_CURL, void, curl_slist_free_all, (struct curl_slist * l), (l))

/* The option number says the argument's type (curl.h: CURLOPTTYPE_*). */
CURLcode(curl_easy_setopt)(CURL *h, CURLoption opt, ...)
{
	static CURLcode (*fn)(CURL *, CURLoption, ...);
	va_list ap;
	CURLcode c;

	if (fn == NULL)
		fn = (CURLcode(*)(CURL *, CURLoption, ...))lazy_sym(LIB_CURL, "curl_easy_setopt");
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		c = fn(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_OFF_T)
		c = fn(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_BLOB)
		c = fn(h, opt, va_arg(ap, curl_off_t));
	else
		c = fn(h, opt, va_arg(ap, void *));
	va_end(ap);
	return c;
}

CURLcode(curl_easy_getinfo)(CURL *h, CURLINFO info, ...)
{
	static CURLcode (*fn)(CURL *, CURLINFO, ...);
	va_list ap;
	CURLcode c;

	if (fn == NULL)
		fn = (CURLcode(*)(CURL *, CURLINFO, ...))lazy_sym(LIB_CURL, "curl_easy_getinfo");
	va_start(ap, info);
	c = fn(h, info, va_arg(ap, void *)); /* always a pointer to the result */
	va_end(ap);
	return c;
}

/* ---- libarchive: reading ---- */
LAZY(LIB_ARCHIVE, struct archive *, archive_read_new, (void), ())
LAZY(LIB_ARCHIVE, int, archive_read_free, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_read_support_filter_gzip, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_read_support_filter_zstd, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_read_support_filter_none, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_read_support_format_tar, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_read_support_format_gnutar, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_read_open_fd, (struct archive * a, int fd, size_t bs), (a, fd, bs))
LAZY(LIB_ARCHIVE, int, archive_read_next_header, (struct archive * a, struct archive_entry **e),
     (a, e))
LAZY(LIB_ARCHIVE, int, archive_read_data_block,
     (struct archive * a, const void **b, size_t *n, la_int64_t *off), (a, b, n, off))
LAZY(LIB_ARCHIVE, int, archive_errno, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, const char *, archive_error_string, (struct archive * a), (a))

/* ---- libarchive: writing ---- */
LAZY(LIB_ARCHIVE, struct archive *, archive_write_new, (void), ())
LAZY(LIB_ARCHIVE, int, archive_write_free, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_write_close, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
LAZY(LIB_ARCHIVE, int, archive_write_set_bytes_in_last_block, (struct archive * a, int n), (a, n))
LAZY(LIB_ARCHIVE, int, archive_write_open2,
     (struct archive * a, void *d, archive_open_callback *o, archive_write_callback *w,
      archive_close_callback *c, archive_free_callback *f),
     (a, d, o, w, c, f))
LAZY(LIB_ARCHIVE, int, archive_write_open_fd, (struct archive * a, int fd), (a, fd))
LAZY(LIB_ARCHIVE, int, archive_write_open_filename, (struct archive * a, const char *f), (a, f))
LAZY(LIB_ARCHIVE, int, archive_write_header, (struct archive * a, struct archive_entry *e), (a, e))
LAZY(LIB_ARCHIVE, la_ssize_t, archive_write_data, (struct archive * a, const void *b, size_t n),
     (a, b, n))

/* ---- libarchive: entries ---- */
LAZY(LIB_ARCHIVE, struct archive_entry *, archive_entry_new, (void), ())
LAZY(LIB_ARCHIVE, void, archive_entry_free, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, const char *, archive_entry_pathname, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, const char *, archive_entry_hardlink, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, const char *, archive_entry_symlink, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, mode_t, archive_entry_filetype, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, mode_t, archive_entry_mode, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, la_int64_t, archive_entry_size, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, dev_t, archive_entry_rdev, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, time_t, archive_entry_mtime, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, int, archive_entry_atime_is_set, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, time_t, archive_entry_atime, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, long, archive_entry_atime_nsec, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, int, archive_entry_xattr_reset, (struct archive_entry * e), (e))
LAZY(LIB_ARCHIVE, int, archive_entry_xattr_next,
     (struct archive_entry * e, const char **n, const void **v, size_t *s), (e, n, v, s))
LAZY(LIB_ARCHIVE, void, archive_entry_set_pathname, (struct archive_entry * e, const char *s), (e, s))
LAZY(LIB_ARCHIVE, void, archive_entry_set_hardlink, (struct archive_entry * e, const char *s), (e, s))
LAZY(LIB_ARCHIVE, void, archive_entry_set_symlink, (struct archive_entry * e, const char *s), (e, s))
LAZY(LIB_ARCHIVE, void, archive_entry_set_filetype, (struct archive_entry * e, unsigned int t), (e, t))
LAZY(LIB_ARCHIVE, void, archive_entry_set_perm, (struct archive_entry * e, mode_t m), (e, m))
LAZY(LIB_ARCHIVE, void, archive_entry_set_uid, (struct archive_entry * e, la_int64_t v), (e, v))
LAZY(LIB_ARCHIVE, void, archive_entry_set_gid, (struct archive_entry * e, la_int64_t v), (e, v))
LAZY(LIB_ARCHIVE, void, archive_entry_set_rdev, (struct archive_entry * e, dev_t v), (e, v))
LAZY(LIB_ARCHIVE, void, archive_entry_xattr_add_entry,
     (struct archive_entry * e, const char *n, const void *v, size_t s), (e, n, v, s))
LAZY(LIB_ARCHIVE, void, archive_entry_set_size, (struct archive_entry * e, la_int64_t s), (e, s))
LAZY(LIB_ARCHIVE, void, archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns),
     (e, t, ns))

/* ---- libcrypto ---- */
LAZY(LIB_CRYPTO, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
LAZY(LIB_CRYPTO, void, EVP_MD_CTX_free, (EVP_MD_CTX * c), (c))
LAZY(LIB_CRYPTO, const EVP_MD *, EVP_sha256, (void), ())
LAZY(LIB_CRYPTO, int, EVP_DigestInit_ex, (EVP_MD_CTX * c, const EVP_MD *t, ENGINE *e), (c, t, e))
LAZY(LIB_CRYPTO, int, EVP_DigestUpdate, (EVP_MD_CTX * c, const void *d, size_t n), (c, d, n))
LAZY(LIB_CRYPTO, int, EVP_DigestFinal_ex, (EVP_MD_CTX * c, unsigned char *md, unsigned int *n),
     (c, md, n))
LAZY(LIB_CRYPTO, int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
