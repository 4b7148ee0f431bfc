/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Image references, parsed the way docker and podman users expect: a first
 * component is a registry only when it has a '.' or ':' or is "localhost";
 * names on Docker Hub without a '/' live in "library/".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "storage/internal.h"

void storage_ref_clear(struct storage_ref *ref)
{
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

static bool repo_component_ok(const char *s, size_t n)
{
	/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
	if (n == 0 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	if (!(islower((unsigned char)s[n - 1]) || isdigit((unsigned char)s[n - 1])))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (islower(c) || isdigit(c))
			continue;
		if (c != '.' && c != '_' && c != '-')
			return false;
		if (c == '.' && (s[i + 1] == '.' || s[i + 1] == '_' || s[i + 1] == '-'))
			return false;
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

static bool registry_ok(const char *r, size_t n)
{
	const char *colon = memchr(r, ':', n);

	if (n == 0)
		return false;
	/* host[:port]: the port is digits (an IPv6 host is in brackets) */
	if (colon && r[0] != '[') {
		size_t pn = n - (size_t)(colon - r) - 1;
		if (pn == 0 || strspn(colon + 1, "0123456789") < pn)
			return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r[i];
		if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

int storage_ref_parse(const char *s, struct storage_ref *ref, berth_error_t *err)
{
	cleanup_free char *copy = NULL;
	char *name, *at, *slash, *colon;
	size_t n;

	memset(ref, 0, sizeof(*ref));
	if (s == NULL || *s == '\0')
		return berth_error(err, EINVAL, "empty image reference");
	if (strlen(s) > 1024)
		return berth_error(err, EINVAL, "image reference `%.32s...`: too long", s);
	copy = strdup(s);
	if (copy == NULL)
		return berth_error_errno(err, ENOMEM, "image reference `%s`", s);
	name = copy;

	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (st_digest_check(at + 1, err) < 0)
			return berth_error_wrap(err, "image reference `%s`", s);
		ref->digest = strdup(at + 1);
	}
	/* A tag is after the last ':' that follows the last '/'. */
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_ok(colon + 1)) {
			storage_ref_clear(ref);
			return berth_error(err, EINVAL, "image reference `%s`: invalid tag `%s`", s,
					   colon + 1);
		}
		ref->tag = strdup(colon + 1);
	}
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) ||
		      memchr(name, ':', (size_t)(slash - name)) ||
		      (slash - name == 9 && strncmp(name, "localhost", 9) == 0))) {
		if (!registry_ok(name, (size_t)(slash - name))) {
			storage_ref_clear(ref);
			return berth_error(err, EINVAL, "image reference `%s`: invalid registry", s);
		}
		ref->registry = strndup(name, (size_t)(slash - name));
		name = slash + 1;
	} else {
		ref->registry = strdup("docker.io");
	}
	if (strcmp(ref->registry, "index.docker.io") == 0 ||
	    strcmp(ref->registry, "registry-1.docker.io") == 0) {
		free(ref->registry);
		ref->registry = strdup("docker.io");
	}
	/* Validate each path component. */
	for (char *p = name;;) {
		char *e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (!repo_component_ok(p, n)) {
			storage_ref_clear(ref);
			return berth_error(err, EINVAL,
					   "image reference `%s`: invalid repository name `%s`%s", s,
					   name,
					   strpbrk(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ?
						   " (must be lower case)" :
						   "");
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (strcmp(ref->registry, "docker.io") == 0 && strchr(name, '/') == NULL) {
		if (asprintf(&ref->repository, "library/%s", name) < 0)
			ref->repository = NULL;
	} else {
		ref->repository = strdup(name);
	}
	if (ref->tag == NULL && ref->digest == NULL)
		ref->tag = strdup("latest");
	if (ref->registry == NULL || ref->repository == NULL ||
	    (ref->tag == NULL && ref->digest == NULL)) {
		storage_ref_clear(ref);
		return berth_error_errno(err, ENOMEM, "image reference `%s`", s);
	}
	return 0;
}

char *storage_ref_string(const struct storage_ref *ref)
{
	char *out = NULL;

	if (asprintf(&out, "%s/%s%s%s%s%s", ref->registry, ref->repository, ref->tag ? ":" : "",
		     ref->tag ? ref->tag : "", ref->digest ? "@" : "",
		     ref->digest ? ref->digest : "") < 0)
		return NULL;
	return out;
}
