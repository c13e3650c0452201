/* Service endpoints: liveness, readiness, the API root and its description,
 * and the dashboard's files. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "npo/api.h"
#include "npo/embedded.h"

void meta_healthz(struct http_request *req)
{
	http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void meta_readyz(struct http_request *req)
{
	if (!db_ready(http_db(req))) {
		http_reply_problem(req, NPO_E_NOT_READY,
				   "the database is not open or not migrated");
		return;
	}
	http_reply_json(req, 200,
			json_pack("{s:s, s:i}", "status", "ready",
				  "schema_version", db_schema_latest()));
}

/* The version, and a link to every collection of the route table. */
void meta_root(struct http_request *req)
{
	json_t *links = json_object();

	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *r = &api_routes[i];
		const char *name = r->path + strlen("/api/v1/");

		if (strcmp(r->method, "GET") ||
		    strncmp(r->path, "/api/v1/", 8) || strchr(name, '/') ||
		    strchr(name, '{'))
			continue;
		json_object_set_new(links, strchr(name, '.') ? "openapi" : name,
				    json_string(r->path));
	}
	http_reply_json(req, 200,
			json_pack("{s:s, s:s, s:i, s:o}", "name", "npo-budgetd",
				  "version", NPO_VERSION, "schema_version",
				  db_schema_latest(), "links", links));
}

void meta_openapi(struct http_request *req)
{
	http_reply_text(req, 200, "application/yaml; charset=utf-8",
			embedded_openapi);
}

/* / and /dashboard: the dashboard is at /dashboard/. */
void meta_home(struct http_request *req)
{
	http_set_header(req, "Location", "/dashboard/");
	http_reply_empty(req, 302);
}

/* --- the dashboard's files -------------------------------------------------- */

/* The ETag of each asset: a hash of its bytes, made once. */
static char asset_tags[64][24];
static pthread_once_t tags_once = PTHREAD_ONCE_INIT;

static void make_tags(void)
{
	for (int i = 0; i < embedded_assets_count && i < 64; i++) {
		uint64_t h = 14695981039346656037u; /* FNV-1a */

		for (size_t k = 0; k < embedded_assets[i].len; k++)
			h = (h ^ (unsigned char)embedded_assets[i].data[k]) *
			    1099511628211u;
		snprintf(asset_tags[i], sizeof(asset_tags[i]), "\"%016llx\"",
			 (unsigned long long)h);
	}
}

static const char *type_of(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/*
 * GET /dashboard/ (index.html) and /dashboard/NAME: a file of web/, built
 * into the binary, with its ETag (304 for If-None-Match), and a policy that
 * lets the page load only its own files and talk only to this daemon: no
 * inline script or style, no other origin, no frames, no referrer.
 */
void meta_asset(struct http_request *req)
{
	const char *name = http_path(req) + strlen("/dashboard/");
	const char *inm = http_header(req, "If-None-Match");

	if (!*name)
		name = "index.html";
	pthread_once(&tags_once, make_tags);
	for (int i = 0; i < embedded_assets_count && i < 64; i++) {
		if (strcmp(embedded_assets[i].name, name) != 0)
			continue;
		http_set_header(req, "ETag", asset_tags[i]);
		http_set_header(req, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; "
				"style-src 'self'; img-src 'self' data:; "
				"connect-src 'self'; base-uri 'none'; "
				"form-action 'self'; frame-ancestors 'none'");
		http_set_header(req, "Referrer-Policy", "no-referrer");
		if (inm && http_etag_matches(inm, asset_tags[i], true)) {
			http_reply_empty(req, 304);
			return;
		}
		http_reply_text(req, 200, type_of(name),
				embedded_assets[i].data);
		return;
	}
	http_reply_problem(req, NPO_E_NOT_FOUND, "the dashboard has no file %s",
			   name);
}
