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

/* The meaning of a pattern, written independently of http.c. */
static bool reference_match(const char *pattern, const char *path, int64_t *id)
{
	const char *hole = strstr(pattern, "{id}");
	size_t pre, suf, len = strlen(path), digits;
	uint64_t v = 0;

	*id = 0;
	if (!hole && (hole = strstr(pattern, "{name}"))) {
		/* a token's name: 1 to 64 of letters, digits and ._-@ */
		size_t n;

		pre = (size_t)(hole - pattern);
		suf = strlen(hole + 6);
		if (len < pre + suf + 1 || strncmp(path, pattern, pre) != 0 ||
		    strcmp(path + len - suf, hole + 6) != 0)
			return false;
		n = len - pre - suf;
		for (size_t i = pre; i < pre + n; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@",
				    path[i]) ||
			    !path[i])
				return false;
		return n <= 64;
	}
	if (!hole)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(hole - pattern);
	suf = strlen(hole + 4);
	if (len < pre + suf + 1 || strncmp(path, pattern, pre) != 0 ||
	    strcmp(path + len - suf, hole + 4) != 0)
		return false;
	digits = len - pre - suf;
	if (digits > 19 || path[pre] == '0')
		return false;
	for (size_t i = pre; i < pre + digits; i++) {
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
