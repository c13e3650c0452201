/* Service endpoints: liveness, readiness, the API root and its description. */
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
