/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registry client: distribution API v2 over HTTP(S) with libcurl.
 *
 * A pull resolves the reference to one manifest (an index or manifest list
 * is narrowed to the wanted platform), then fetches the config and layers
 * through the blob writer, which hashes every byte and renames the blob into
 * place only when its digest matches.  Interrupted downloads keep their
 * partial file (under the blob's lock) and continue with a Range request, in
 * the same pull after a transient error or in the next one after a crash.
 */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "storage/internal.h"

#define ACCEPT_MANIFESTS                                                                           \
	"Accept: application/vnd.oci.image.index.v1+json, "                                          \
	"application/vnd.oci.image.manifest.v1+json, "                                               \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                                \
	"application/vnd.docker.distribution.manifest.v2+json"
#define BLOB_TRIES 3

struct reg {
	struct storage_store *st;
	CURL *curl;
	struct storage_ref ref;
	const struct storage_pull_opts *opts;
	char *canon;  /* canonical reference, for messages and progress */
	char *host;   /* host[:port] to connect to */
	char *scheme; /* "https" or "http" once known */
	char *authz;  /* "Authorization: ..." or NULL */
};

struct resp {
	long status;
	char *www_auth;
	char *content_type;
	char *docker_digest;
	char *body;
	size_t len, cap, max;
	/* blob downloads */
	struct reg *reg;
	struct st_blob_writer *w;
	uint64_t range_from;
	uint64_t total, last_report;
	bool started;
	enum { FAIL_NONE, FAIL_LOCAL, FAIL_NET, FAIL_OTHER } failure;
	berth_error_t werr;
};

static void resp_clear(struct resp *r)
{
	free(r->www_auth);
	free(r->content_type);
	free(r->docker_digest);
	free(r->body);
	berth_error_release(&r->werr);
	memset(r, 0, sizeof(*r));
}

const char *st_default_platform(void)
{
	struct utsname u;

	if (uname(&u) == 0 && strcmp(u.machine, "aarch64") == 0)
		return "linux/arm64";
	return "linux/amd64";
}

int st_platform_match(json_t *p, const char *platform)
{
	char os[64] = "", arch[64] = "", variant[64] = "";
	const char *pv;

	if (sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant) < 2)
		return 0;
	if (strcmp(arch, "x86_64") == 0)
		snprintf(arch, sizeof(arch), "amd64");
	if (strcmp(arch, "aarch64") == 0)
		snprintf(arch, sizeof(arch), "arm64");
	if (!json_is_object(p) || !json_is_string(json_object_get(p, "os")) ||
	    strcmp(json_string_value(json_object_get(p, "os")), os) != 0 ||
	    !json_is_string(json_object_get(p, "architecture")) ||
	    strcmp(json_string_value(json_object_get(p, "architecture")), arch) != 0)
		return 0;
	pv = json_string_value(json_object_get(p, "variant"));
	if (variant[0] && (pv == NULL || strcmp(pv, variant) != 0))
		return 0;
	return 1;
}

static char *str_trim_dup(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	return strndup(s, n);
}

static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
	struct resp *r = data;
	size_t len = size * n;
	static const struct {
		const char *name;
		size_t off;
	} want[] = {
		{ "www-authenticate:", offsetof(struct resp, www_auth) },
		{ "content-type:", offsetof(struct resp, content_type) },
		{ "docker-content-digest:", offsetof(struct resp, docker_digest) },
	};

	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* a new response (after a redirect or 100-continue): forget the last one's headers */
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			char **slot = (char **)((char *)r + want[i].off);
			free(*slot);
			*slot = NULL;
		}
		return len;
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t hl = strlen(want[i].name);
		char **slot = (char **)((char *)r + want[i].off);
		if (len > hl && strncasecmp(buf, want[i].name, hl) == 0 && *slot == NULL)
			*slot = str_trim_dup(buf + hl, len - hl);
	}
	return len;
}

static void report(struct reg *g, enum storage_progress_kind kind, const char *digest, uint64_t done,
		   uint64_t total, bool cached)
{
	struct storage_progress p = { kind, g->canon, digest, done, total, cached };

	if (g->opts && g->opts->progress)
		g->opts->progress(g->opts->progress_data, &p);
}

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
	struct resp *r = data;
	size_t len = size * n;

	if (r->status == 0)
		curl_easy_getinfo(r->reg->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->w && (r->status == 200 || r->status == 206)) {
		if (!r->started) {
			r->started = true;
			/* the server ignored our Range: start over */
			if (r->status == 200 && r->range_from > 0 &&
			    st_blob_writer_truncate(r->w, &r->werr) < 0)
				return 0;
		}
		if (st_blob_writer_write(r->w, buf, len, &r->werr) < 0)
			return 0;
		if (r->w->size - r->last_report >= (256u << 10)) {
			r->last_report = r->w->size;
			report(r->reg, STORAGE_PROGRESS_BLOB, r->w->digest, r->w->size, r->total, false);
		}
		return len;
	}
	if (r->len + len > r->max) {
		berth_error(&r->werr, EFBIG, "response larger than %zu bytes", r->max);
		return 0;
	}
	if (r->len + len + 1 > r->cap) {
		size_t nc = (r->len + len + 1) * 2;
		char *nb = realloc(r->body, nc);
		if (nb == NULL)
			return 0;
		r->body = nb;
		r->cap = nc;
	}
	memcpy(r->body + r->len, buf, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static bool host_is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0 ||
	       strncmp(host, "[::1]", 5) == 0;
}

/* One GET; *cres is curl's result, r->status the HTTP status. */
static CURLcode do_get(struct reg *g, const char *url, const char *accept, struct resp *r,
		       const char *authz_override)
{
	struct curl_slist *h = NULL;
	char range[64];
	CURLcode c;

	curl_easy_reset(g->curl);
	curl_easy_setopt(g->curl, CURLOPT_URL, url);
	curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(g->curl, CURLOPT_MAXREDIRS, 8L);
	curl_easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(g->curl, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer (< 1 byte/s for 60 s) is an error, a slow one is not */
	curl_easy_setopt(g->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(g->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(g->curl, CURLOPT_USERAGENT, "berth/0.1");
	curl_easy_setopt(g->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(g->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(g->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(g->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (g->opts && g->opts->tls_no_verify) {
		curl_easy_setopt(g->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(g->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (g->opts && g->opts->ca_file)
		curl_easy_setopt(g->curl, CURLOPT_CAINFO, g->opts->ca_file);
	if (accept)
		h = curl_slist_append(h, accept);
	if (authz_override)
		h = curl_slist_append(h, authz_override);
	else if (g->authz)
		h = curl_slist_append(h, g->authz);
	if (r->range_from > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)r->range_from);
		h = curl_slist_append(h, range);
	}
	curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, h);
	r->reg = g;
	c = curl_easy_perform(g->curl);
	curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	return c;
}

static int curl_failed(struct reg *g, CURLcode c, const char *what, berth_error_t *err)
{
	int e = c == CURLE_COULDNT_CONNECT ? ECONNREFUSED :
		c == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT :
		c == CURLE_COULDNT_RESOLVE_HOST ? EHOSTUNREACH :
						   EIO;
	return berth_error(err, e, "registry %s: %s: %s", g->host, what, curl_easy_strerror(c));
}

/* ---- authentication ---- */

/* The value of key in a challenge like: Bearer realm="x",service="y",scope="z". */
static char *challenge_param(const char *ch, const char *key)
{
	size_t kl = strlen(key);
	const char *p = ch;

	while ((p = strcasestr(p, key))) {
		const char *v;
		bool at_start = p == ch || p[-1] == ' ' || p[-1] == ',';
		if (!at_start || p[kl] != '=') {
			p += kl;
			continue;
		}
		v = p + kl + 1;
		if (*v == '"') {
			const char *e = strchr(v + 1, '"');
			return e ? strndup(v + 1, (size_t)(e - v - 1)) : NULL;
		}
		return strndup(v, strcspn(v, ", "));
	}
	return NULL;
}

static char *basic_header(const char *user, const char *pass)
{
	cleanup_free char *plain = NULL;
	unsigned char *b64;
	char *out = NULL;
	size_t n;

	if (asprintf(&plain, "%s:%s", user, pass ? pass : "") < 0)
		return NULL;
	n = strlen(plain);
	b64 = malloc(4 * ((n + 2) / 3) + 1);
	if (b64 == NULL)
		return NULL;
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)n);
	if (asprintf(&out, "Authorization: Basic %s", b64) < 0)
		out = NULL;
	free(b64);
	return out;
}

/* Answer a 401 challenge: set g->authz (Basic, or a Bearer token from the realm). */
static int authenticate(struct reg *g, const char *challenge, berth_error_t *err)
{
	const char *user = g->opts ? g->opts->username : NULL;
	const char *pass = g->opts ? g->opts->password : NULL;

	if (challenge == NULL)
		return berth_error(err, EACCES, "registry %s: 401 Unauthorized without a challenge",
				   g->host);
	if (strncasecmp(challenge, "Basic", 5) == 0) {
		if (user == NULL)
			return berth_error(err, EACCES,
					   "registry %s: 401 Unauthorized: authentication required (Basic); give --creds",
					   g->host);
		free(g->authz);
		g->authz = basic_header(user, pass);
		return g->authz ? 0 : berth_error_errno(err, ENOMEM, "auth");
	}
	if (strncasecmp(challenge, "Bearer", 6) == 0) {
		cleanup_free char *realm = challenge_param(challenge, "realm");
		cleanup_free char *service = challenge_param(challenge, "service");
		cleanup_free char *scope = challenge_param(challenge, "scope");
		cleanup_free char *url = NULL, *basic = NULL, *esc_service = NULL, *esc_scope = NULL;
		cleanup_json json_t *tok = NULL;
		struct resp r = { .max = 1 << 20 };
		const char *t;
		CURLcode c;

		if (realm == NULL || (strncmp(realm, "https://", 8) != 0 &&
				      strncmp(realm, "http://", 7) != 0))
			return berth_error(err, EACCES, "registry %s: Bearer challenge without a usable realm",
					   g->host);
		if (scope == NULL && asprintf(&scope, "repository:%s:pull", g->ref.repository) < 0)
			return berth_error_errno(err, ENOMEM, "auth");
		esc_service = curl_easy_escape(g->curl, service ? service : "", 0);
		esc_scope = curl_easy_escape(g->curl, scope, 0);
		if (asprintf(&url, "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
			     esc_service, esc_scope) < 0)
			return berth_error_errno(err, ENOMEM, "auth");
		if (user)
			basic = basic_header(user, pass);
		c = do_get(g, url, NULL, &r, basic ? basic : "X-No-Auth: 1");
		if (c != CURLE_OK) {
			resp_clear(&r);
			return curl_failed(g, c, "token", err);
		}
		if (r.status != 200) {
			long st = r.status;
			resp_clear(&r);
			return berth_error(err, EACCES, "registry %s: token server `%s` answered %ld%s",
					   g->host, realm, st,
					   st == 401 || st == 403 ? " (credentials rejected)" : "");
		}
		tok = json_loads(r.body ? r.body : "", 0, NULL);
		resp_clear(&r);
		t = json_string_value(json_object_get(tok, "token"));
		if (t == NULL)
			t = json_string_value(json_object_get(tok, "access_token"));
		if (t == NULL)
			return berth_error(err, EACCES, "registry %s: token server `%s` gave no token",
					   g->host, realm);
		free(g->authz);
		if (asprintf(&g->authz, "Authorization: Bearer %s", t) < 0)
			g->authz = NULL;
		return g->authz ? 0 : berth_error_errno(err, ENOMEM, "auth");
	}
	return berth_error(err, ENOTSUP, "registry %s: authentication scheme `%.20s` not supported",
			   g->host, challenge);
}

static int status_error(struct reg *g, long status, const char *what, berth_error_t *err)
{
	switch (status) {
	case 401:
		return berth_error(err, EACCES, "registry %s: %s: 401 Unauthorized%s", g->host, what,
				   g->authz ? " (credentials rejected)" : "");
	case 403:
		return berth_error(err, EACCES, "registry %s: %s: 403 Forbidden", g->host, what);
	case 404:
		return berth_error(err, ENOENT, "registry %s: %s: 404 not found", g->host, what);
	case 429:
		return berth_error(err, EAGAIN, "registry %s: %s: 429 too many requests", g->host, what);
	default:
		return berth_error(err, status >= 500 ? EIO : EPROTO, "registry %s: %s: HTTP status %ld%s",
				   g->host, what, status, status >= 500 ? " (server error)" : "");
	}
}

/*
 * GET path (below /v2/) with authentication: on a 401 answer the challenge
 * once and retry.  The HTTP status is left in r->status.
 */
static int reg_get(struct reg *g, const char *path, const char *accept, struct resp *r,
		   const char *what, berth_error_t *err)
{
	cleanup_free char *url = NULL;
	CURLcode c;

	for (int attempt = 0;; attempt++) {
		struct resp keep = *r; /* the blob fields survive a retry */
		free(url);
		if (asprintf(&url, "%s://%s/v2/%s", g->scheme, g->host, path) < 0)
			return berth_error_errno(err, ENOMEM, "request");
		c = do_get(g, url, accept, r, NULL);
		if (r->werr) {
			r->failure = FAIL_LOCAL;
			berth_error(err, r->werr->errnum, "%s", r->werr->msg);
			return berth_error_wrap(err, "%s", what);
		}
		if (c != CURLE_OK) {
			r->failure = FAIL_NET;
			return curl_failed(g, c, what, err);
		}
		if (r->status == 401 && attempt == 0) {
			cleanup_free char *ch = r->www_auth ? strdup(r->www_auth) : NULL;
			if (authenticate(g, ch, err) < 0) {
				r->failure = FAIL_OTHER;
				return berth_error_wrap(err, "%s", what);
			}
			free(r->www_auth);
			free(r->content_type);
			free(r->docker_digest);
			free(r->body);
			*r = (struct resp){ .max = keep.max, .w = keep.w, .range_from = keep.range_from,
					    .total = keep.total };
			continue;
		}
		return 0;
	}
}

/* Find out whether the registry speaks HTTPS or (loopback, or told to allow it) HTTP. */
static int reg_ping(struct reg *g, berth_error_t *err)
{
	struct resp r = { .max = 1 << 16 };
	bool http_ok = host_is_loopback(g->host) || (g->opts && g->opts->tls_no_verify);
	CURLcode c;
	cleanup_free char *url = NULL;

	g->scheme = strdup("https");
	if (asprintf(&url, "https://%s/v2/", g->host) < 0)
		return berth_error_errno(err, ENOMEM, "request");
	c = do_get(g, url, NULL, &r, NULL);
	if (c != CURLE_OK && http_ok &&
	    (c == CURLE_SSL_CONNECT_ERROR || c == CURLE_COULDNT_CONNECT || c == CURLE_RECV_ERROR ||
	     c == CURLE_GOT_NOTHING || c == CURLE_SEND_ERROR)) {
		free(g->scheme);
		g->scheme = strdup("http");
		free(url);
		url = NULL;
		resp_clear(&r);
		r.max = 1 << 16;
		if (asprintf(&url, "http://%s/v2/", g->host) < 0)
			return berth_error_errno(err, ENOMEM, "request");
		c = do_get(g, url, NULL, &r, NULL);
	}
	if (c != CURLE_OK) {
		resp_clear(&r);
		return curl_failed(g, c, "connect", err);
	}
	if (r.status == 401) {
		cleanup_free char *ch = r.www_auth ? strdup(r.www_auth) : NULL;
		resp_clear(&r);
		return authenticate(g, ch, err);
	}
	resp_clear(&r);
	return 0;
}

/* ---- manifests and blobs ---- */

static int fetch_manifest(struct reg *g, const char *reference, char **body, size_t *len,
			  char *digest, char **media_type, berth_error_t *err)
{
	cleanup_free char *path = NULL, *what = NULL;
	struct resp r = { .max = ST_MAX_MANIFEST };

	if (asprintf(&path, "%s/manifests/%s", g->ref.repository, reference) < 0 ||
	    asprintf(&what, "manifest `%s:%s`", g->ref.repository, reference) < 0)
		return berth_error_errno(err, ENOMEM, "request");
	if (reg_get(g, path, ACCEPT_MANIFESTS, &r, what, err) < 0) {
		resp_clear(&r);
		return -1;
	}
	if (r.status != 200) {
		long st = r.status;
		resp_clear(&r);
		return status_error(g, st, what, err);
	}
	st_sha256_buf(r.body ? r.body : "", r.len, digest);
	/* by digest: the content must be what was asked for; by tag: what the server claims */
	if (strncmp(reference, "sha256:", 7) == 0 && strcmp(reference, digest) != 0) {
		resp_clear(&r);
		return berth_error(err, EBADMSG, "%s: digest mismatch: content has %s", what, digest);
	}
	if (r.docker_digest && strncmp(r.docker_digest, "sha256:", 7) == 0 &&
	    strcmp(r.docker_digest, digest) != 0) {
		berth_error(err, EBADMSG, "%s: digest mismatch: server says %s, content has %s", what,
			    r.docker_digest, digest);
		resp_clear(&r);
		return -EBADMSG;
	}
	*media_type = r.content_type ? strndup(r.content_type, strcspn(r.content_type, ";")) : NULL;
	*body = r.body ? r.body : strdup("");
	*len = r.len;
	r.body = NULL;
	resp_clear(&r);
	return 0;
}

static bool transient(long status)
{
	return status == 408 || status == 429 || status >= 500;
}

/* Download a blob into the store, resuming a partial file; retried on transient failures. */
static int fetch_blob(struct reg *g, const char *digest, uint64_t size, berth_error_t *err)
{
	cleanup_free char *path = NULL, *what = NULL;
	struct st_blob_writer w;
	bool exists;

	if (asprintf(&path, "%s/blobs/%s", g->ref.repository, digest) < 0 ||
	    asprintf(&what, "blob %s", digest) < 0)
		return berth_error_errno(err, ENOMEM, "request");
	if (st_blob_writer_open(g->st, digest, true, &exists, &w, err) < 0)
		return -1;
	if (exists) {
		report(g, STORAGE_PROGRESS_BLOB_DONE, digest, size, size, true);
		return 0;
	}
	if (size > 0 && w.size > size && st_blob_writer_truncate(&w, err) < 0) {
		st_blob_writer_close(&w, false);
		return -1;
	}
	for (int attempt = 1;; attempt++) {
		struct resp r = { .max = 1 << 16, .w = &w, .total = size };
		int ret, failure;
		long status;

		/* complete already (a killed pull got every byte): verified at commit */
		if (size > 0 && w.size == size)
			break;
		r.range_from = w.size;
		ret = reg_get(g, path, NULL, &r, what, err);
		status = r.status;
		failure = r.failure;
		resp_clear(&r);
		if (ret < 0) {
			uint64_t got = w.size;
			if (failure == FAIL_NET && attempt < BLOB_TRIES) {
				berth_error_release(err);
				usleep(200000u * (unsigned)attempt);
				continue;
			}
			/* keep what arrived for a later resume, unless our own write failed */
			st_blob_writer_close(&w, failure == FAIL_NET);
			return berth_error(err, (*err)->errnum, "%s (after %llu of %llu bytes)",
					   (*err)->msg, (unsigned long long)got,
					   (unsigned long long)size);
		}
		if (status == 200 || status == 206) {
			if (size == 0 || w.size >= size)
				break;
			if (attempt < BLOB_TRIES)
				continue;
			uint64_t got = w.size;
			st_blob_writer_close(&w, true);
			return berth_error(err, EIO,
					   "registry %s: %s: connection closed after %llu of %llu bytes",
					   g->host, what, (unsigned long long)got,
					   (unsigned long long)size);
		}
		if (status == 416 && w.size > 0 && attempt < BLOB_TRIES) {
			/* the server will not continue our partial data: start over */
			if (st_blob_writer_truncate(&w, err) < 0) {
				st_blob_writer_close(&w, false);
				return -1;
			}
			continue;
		}
		if (transient(status) && attempt < BLOB_TRIES) {
			usleep(200000u * (unsigned)attempt);
			continue;
		}
		st_blob_writer_close(&w, true);
		return status_error(g, status, what, err);
	}
	if (st_blob_writer_commit(&w, err) < 0)
		return berth_error_wrap(err, "registry %s", g->host);
	report(g, STORAGE_PROGRESS_BLOB_DONE, digest, size, size, false);
	return 0;
}

static void reg_clear(struct reg *g)
{
	if (g->curl)
		curl_easy_cleanup(g->curl);
	storage_ref_clear(&g->ref);
	free(g->canon);
	free(g->host);
	free(g->scheme);
	free(g->authz);
}

/* Narrow an index to the manifest for platform; *chosen gets its digest. */
static int pick_platform(struct reg *g, json_t *index, const char *platform, char *chosen,
			 berth_error_t *err)
{
	cleanup_free char *avail = NULL;
	json_t *ms = json_object_get(index, "manifests"), *m;
	size_t i;

	json_array_foreach(ms, i, m)
	{
		json_t *p = json_object_get(m, "platform");
		const char *d = json_string_value(json_object_get(m, "digest"));
		if (st_platform_match(p, platform) && st_digest_check(d, NULL) == 0 &&
		    st_mt_is_manifest(json_string_value(json_object_get(m, "mediaType")))) {
			snprintf(chosen, ST_DIGEST_LEN + 1, "%s", d);
			return 0;
		}
	}
	json_array_foreach(ms, i, m)
	{
		json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		char *n = NULL;
		if (os == NULL || arch == NULL || strcmp(os, "unknown") == 0)
			continue;
		if (asprintf(&n, "%s%s%s/%s", avail ? avail : "", avail ? ", " : "", os, arch) < 0)
			n = NULL;
		free(avail);
		avail = n;
	}
	return berth_error(err, ENOENT, "image `%s`: no manifest for %s (available: %s)", g->canon,
			   platform, avail ? avail : "none");
}

static int fetch_all(struct reg *g, char *mdigest, berth_error_t *err)
{
	const char *platform = g->opts && g->opts->platform ? g->opts->platform : st_default_platform();
	const char *reference = g->ref.digest ? g->ref.digest : g->ref.tag;
	cleanup_free char *body = NULL, *mt = NULL;
	cleanup_json json_t *m = NULL;
	json_t *layers, *l;
	const char *cdigest, *bmt;
	size_t len, i;

	if (fetch_manifest(g, reference, &body, &len, mdigest, &mt, err) < 0)
		return -1;
	m = json_loadb(body, len, 0, NULL);
	if (!json_is_object(m))
		return berth_error(err, EINVAL, "image `%s`: manifest is not a JSON object", g->canon);
	bmt = json_string_value(json_object_get(m, "mediaType"));
	if (st_mt_is_index(bmt) || (bmt == NULL && st_mt_is_index(mt)) ||
	    (bmt == NULL && json_is_array(json_object_get(m, "manifests")))) {
		char chosen[ST_DIGEST_LEN + 1];
		if (pick_platform(g, m, platform, chosen, err) < 0)
			return -1;
		json_decref(m);
		m = NULL;
		free(body);
		body = NULL;
		free(mt);
		mt = NULL;
		if (fetch_manifest(g, chosen, &body, &len, mdigest, &mt, err) < 0)
			return -1;
		m = json_loadb(body, len, 0, NULL);
	}
	if (st_manifest_parse(m, &cdigest, err) < 0)
		return berth_error_wrap(err, "image `%s`", g->canon);
	report(g, STORAGE_PROGRESS_RESOLVED, mdigest, 0, 0, false);
	if (fetch_blob(g, cdigest, (uint64_t)json_integer_value(json_object_get(json_object_get(m, "config"), "size")), err) < 0)
		return berth_error_wrap(err, "image `%s`: config", g->canon);
	/* a single-platform image: its config must be for the platform wanted */
	{
		cleanup_free char *cbuf = NULL;
		cleanup_json json_t *cfg = NULL;
		if (st_blob_read(g->st, cdigest, ST_MAX_MANIFEST, &cbuf, NULL, err) < 0)
			return -1;
		cfg = json_loads(cbuf, 0, NULL);
		if (!st_platform_match(cfg, platform)) {
			const char *os = json_string_value(json_object_get(cfg, "os"));
			const char *arch = json_string_value(json_object_get(cfg, "architecture"));
			return berth_error(err, ENOENT, "image `%s`: no manifest for %s (available: %s/%s)",
					   g->canon, platform, os ? os : "?", arch ? arch : "?");
		}
	}
	layers = json_object_get(m, "layers");
	json_array_foreach(layers, i, l)
	{
		const char *d = json_string_value(json_object_get(l, "digest"));
		if (fetch_blob(g, d, (uint64_t)json_integer_value(json_object_get(l, "size")), err) < 0)
			return berth_error_wrap(err, "image `%s`", g->canon);
	}
	return st_blob_put(g->st, body, len, mdigest, NULL, err);
}

int storage_image_pull(struct storage_store *st, const char *ref, const struct storage_pull_opts *opts,
		       struct storage_image **out, berth_error_t *err)
{
	struct reg g = { .st = st, .opts = opts };
	char mdigest[ST_DIGEST_LEN + 1];
	struct storage_image *img = NULL;
	cleanup_close int gc = -1;
	int ret;

	if (storage_ref_parse(ref, &g.ref, err) < 0)
		return berth_error_wrap(err, "pull");
	g.canon = storage_ref_string(&g.ref);
	g.host = strdup(strcmp(g.ref.registry, "docker.io") == 0 ? "registry-1.docker.io" :
								     g.ref.registry);
	g.curl = curl_easy_init();
	if (g.canon == NULL || g.host == NULL || g.curl == NULL) {
		reg_clear(&g);
		return berth_error_errno(err, ENOMEM, "pull `%s`", ref);
	}
	ret = st_lock(st, "gc", false, &gc, err);
	if (ret == 0)
		ret = reg_ping(&g, err);
	if (ret == 0)
		ret = fetch_all(&g, mdigest, err);
	if (ret == 0)
		ret = st_image_commit(st, mdigest, g.canon, opts ? opts->progress : NULL,
				      opts ? opts->progress_data : NULL, &img, err);
	if (ret < 0) {
		berth_error_wrap(err, "pull `%s`", g.canon);
		reg_clear(&g);
		return berth_error_ret(err);
	}
	reg_clear(&g);
	*out = img;
	return 0;
}
