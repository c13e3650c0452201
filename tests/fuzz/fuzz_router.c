/*
 * Fuzzes the router: the input is a request path (up to its first NUL, as
 * libmicrohttpd hands it over), matched with http_path_match against every
 * pattern of the real route table. A reference matcher says what a pattern
 * means (its text with "{id}" standing for a positive decimal int64 without
 * leading zeros, "{name}" for a token name) and the two must agree on the
 * match and the id; no two routes of one method may match the same path.
 * The path is also tried as an If-None-Match list.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/http.h"

#include "fuzz.h"

/* Whether path is pattern with its hole (of hole_len characters) filled by
 * at least one character; *start and *n get the filling. */
static bool around(const char *pattern, const char *hole, size_t hole_len,
		   const char *path, size_t *start, size_t *n)
{
	size_t pre = (size_t)(hole - pattern), suf = strlen(hole + hole_len);
	size_t len = strlen(path);

	if (len < pre + suf + 1 || strncmp(path, pattern, pre) != 0 ||
	    strcmp(path + len - suf, hole + hole_len) != 0)
		return false;
	*start = pre;
	*n = len - pre - suf;
	return true;
}

/* The meaning of a pattern, written independently of http.c. */
static bool reference_match(const char *pattern, const char *path, int64_t *id)
{
	const char *hole = strstr(pattern, "{id}");
	const char *name = strstr(pattern, "{name}");
	size_t pre, n;
	uint64_t v = 0;

	*id = 0;
	if (name) {
		/* a token's name: 1 to 64 of letters, digits and ._-@ */
		if (!around(pattern, name, 6, path, &pre, &n))
			return false;
		return n <= 64 &&
		       strspn(path + pre, "abcdefghijklmnopqrstuvwxyz"
					  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789._-@") >= n;
	}
	if (!hole)
		return strcmp(pattern, path) == 0;
	if (!around(pattern, hole, 4, path, &pre, &n) || n > 19 ||
	    path[pre] == '0')
		return false;
	for (size_t i = pre; i < pre + n; i++) {
		if (path[i] < '0' || path[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(path[i] - '0');
	}
	if (v > INT64_MAX)
		return false;
	*id = (int64_t)v;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1);
	bool matched[64] = { false };

	CHECK(api_nroutes <= sizeof(matched) / sizeof(matched[0]));
	memcpy(path, data, size);
	path[size] = '\0';
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *r = &api_routes[i];
		int64_t id = -1, want;
		bool got = http_path_match(r->path, path, &id);

		if (got != reference_match(r->path, path, &want)) {
			fprintf(stderr,
				"check failed: %s on %s: "
				"http_path_match says %d\n",
				path, r->path, got);
			abort();
		}
		if (got)
			CHECK(id == want);
		else
			CHECK(id == 0 || strstr(r->path, "{id}"));
		matched[i] = got;
		for (size_t j = 0; got && j < i; j++)
			CHECK(!matched[j] ||
			      strcmp(api_routes[j].method, r->method) != 0);
	}
	(void)http_etag_matches(path, "\"r12-00000000deadbeef\"", true);
	(void)http_etag_matches(path, "\"r12-00000000deadbeef\"", false);
	(void)http_etag_matches(path, "", true);
	free(path);
	return 0;
}
