/*
 * The route table. The service and figure routes are written out below; the
 * routes of the declared resources follow from the registry (resource.h):
 * each resource's path, the operations it offers and the role it needs, so
 * a path is written once, in its resource. The table is complete before
 * main() runs and never changes after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/metrics.h"

#define MAX_ROUTES API_MAX_ROUTES

/* Service routes first, figure routes after the resources'. A table to take
 * in at a glance, a route a line. */
/* clang-format off */
static const struct route service[] = {
	{ .method = "GET", .path = "/healthz", .handler = meta_healthz, .role = ROLE_NONE },
	{ .method = "GET", .path = "/readyz", .handler = meta_readyz, .role = ROLE_NONE },
	{ .method = "GET", .path = "/api/v1", .handler = meta_root, .role = ROLE_NONE },
	{ .method = "GET", .path = "/api/v1/openapi.yaml", .handler = meta_openapi, .role = ROLE_NONE },
	{ .method = "GET", .path = "/", .handler = meta_home, .role = ROLE_NONE },
	{ .method = "GET", .path = "/dashboard", .handler = meta_home, .role = ROLE_NONE },
	{ .method = "GET", .path = "/dashboard/", .handler = meta_asset, .role = ROLE_NONE },
	{ .method = "GET", .path = "/dashboard/{name}", .handler = meta_asset, .role = ROLE_NONE },
	{ .method = "GET", .path = "/metrics", .handler = metrics_get, .role = ROLE_ADMIN },
};
static const struct route figures[] = {
	{ .method = "GET", .path = "/api/v1/budgets/{id}/status", .handler = status_budget, .role = ROLE_READ, .by_revision = true },
	{ .method = "GET", .path = "/api/v1/budgets/{id}/overview.xlsx", .handler = overview_xlsx, .role = ROLE_READ },
	{ .method = "GET", .path = "/api/v1/budgets/{id}/accountability", .handler = accountability_report, .role = ROLE_READ, .by_revision = true },
	{ .method = "GET", .path = "/api/v1/budgets/{id}/accountability.xlsx", .handler = accountability_xlsx, .role = ROLE_READ },
	{ .method = "GET", .path = "/api/v1/budgets/{id}/closings", .handler = closings_list, .role = ROLE_READ, .by_revision = true },
	{ .method = "POST", .path = "/api/v1/budgets/{id}/closings", .handler = closings_create, .role = ROLE_ADMIN },
	{ .method = "GET", .path = "/api/v1/status", .handler = status_all, .role = ROLE_READ, .by_revision = true },
	{ .method = "GET", .path = "/api/v1/events", .handler = events_stream, .role = ROLE_READ, .school = true },
	{ .method = "POST", .path = "/api/v1/imports/expenditures", .handler = imports_expenditures, .role = ROLE_WRITE, .csv_body = true },
	{ .method = "POST", .path = "/api/v1/imports/schools", .handler = imports_schools, .role = ROLE_WRITE, .csv_body = true },
	{ .method = "POST", .path = "/api/v1/tokens", .handler = tokens_create, .role = ROLE_ADMIN },
	{ .method = "GET", .path = "/api/v1/tokens", .handler = tokens_list, .role = ROLE_ADMIN },
	{ .method = "DELETE", .path = "/api/v1/tokens/{name}", .handler = tokens_delete, .role = ROLE_ADMIN },
};
/* clang-format on */

/* What each operation of a resource is: method, path after the
 * resource's, handler, and whether it writes. */
static const struct {
	enum resource_op op;
	const char *method, *suffix;
	http_handler handler;
	bool writes, by_revision;
} operations[] = {
	{ OP_LIST, "GET", "", crud_list, false, true },
	{ OP_CREATE, "POST", "", crud_create, true, false },
	{ OP_GET, "GET", "/{id}", crud_get, false, false },
	{ OP_PATCH, "PATCH", "/{id}", crud_patch, true, false },
	{ OP_DELETE, "DELETE", "/{id}", crud_delete, true, false },
	{ OP_MOVE, "POST", "/{id}/status", crud_status, true, false },
};

struct route api_routes[MAX_ROUTES];
size_t api_nroutes;

static void add(const struct route *r)
{
	if (api_nroutes == MAX_ROUTES) {
		fprintf(stderr, "npo-budgetd: more than %d routes\n",
			MAX_ROUTES);
		abort();
	}
	api_routes[api_nroutes++] = *r;
}

static char *path_of(const char *base, const char *suffix)
{
	size_t n = strlen(base) + strlen(suffix) + 1;
	char *p = malloc(n);

	if (!p) {
		fprintf(stderr, "npo-budgetd: out of memory\n");
		abort();
	}
	snprintf(p, n, "%s%s", base, suffix);
	return p;
}

/* The paths made here live as long as the process. */
__attribute__((constructor)) static void routes_build(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(service); i++)
		add(&service[i]);
	for (size_t i = 0; i < nresources; i++) {
		const struct resource *res = resources[i];
		enum role read = res->read_role ? res->read_role : ROLE_READ;

		for (size_t k = 0; k < ARRAY_SIZE(operations); k++) {
			if (!(res->ops & operations[k].op))
				continue;
			add(&(struct route){
				.method = operations[k].method,
				.path = *operations[k].suffix
						? path_of(res->path,
							  operations[k].suffix)
						: res->path,
				.handler = operations[k].handler,
				.role = operations[k].writes ? ROLE_WRITE
							     : read,
				.ctx = res,
				.by_revision = operations[k].by_revision,
				.school = (res->school_ops &
					   operations[k].op) != 0,
			});
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(figures); i++)
		add(&figures[i]);
}
