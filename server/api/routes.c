/* The route table: every endpoint of the API, at a glance. */
#include "npo/api.h"

/* The five routes of a declared resource with list, get, create, PATCH
 * and DELETE. */
#define CRUD(p, r)                                                            \
	{ .method = "GET", .path = p, .handler = crud_list,                   \
	  .role = ROLE_READ, .ctx = r, .by_revision = true },                 \
	{ .method = "POST", .path = p, .handler = crud_create,                \
	  .role = ROLE_WRITE, .ctx = r },                                     \
	{ .method = "GET", .path = p "/{id}", .handler = crud_get,            \
	  .role = ROLE_READ, .ctx = r },                                      \
	{ .method = "PATCH", .path = p "/{id}", .handler = crud_patch,        \
	  .role = ROLE_WRITE, .ctx = r },                                     \
	{ .method = "DELETE", .path = p "/{id}", .handler = crud_delete,      \
	  .role = ROLE_WRITE, .ctx = r }

const struct route api_routes[] = {
	{ .method = "GET", .path = "/healthz", .handler = meta_healthz, .role = ROLE_NONE },
	{ .method = "GET", .path = "/readyz", .handler = meta_readyz, .role = ROLE_NONE },
	{ .method = "GET", .path = "/api/v1", .handler = meta_root, .role = ROLE_NONE },
	{ .method = "GET", .path = "/api/v1/openapi.yaml", .handler = meta_openapi, .role = ROLE_NONE },

	CRUD("/api/v1/budgets", &budget_resource),
	{ .method = "GET", .path = "/api/v1/budgets/{id}/status", .handler = status_budget, .role = ROLE_READ, .by_revision = true },
	{ .method = "GET", .path = "/api/v1/budgets/{id}/overview.xlsx", .handler = overview_xlsx, .role = ROLE_READ },
	{ .method = "GET", .path = "/api/v1/status", .handler = status_all, .role = ROLE_READ, .by_revision = true },
	CRUD("/api/v1/goals", &goal_resource),
	CRUD("/api/v1/programmes", &programme_resource),
	{ .method = "POST", .path = "/api/v1/programmes/{id}/status", .handler = crud_status, .role = ROLE_WRITE, .ctx = &programme_resource },

	/* append-only: no PATCH, no DELETE */
	{ .method = "GET", .path = "/api/v1/reallocations", .handler = crud_list, .role = ROLE_READ, .ctx = &reallocation_resource, .by_revision = true },
	{ .method = "POST", .path = "/api/v1/reallocations", .handler = crud_create, .role = ROLE_WRITE, .ctx = &reallocation_resource },
	{ .method = "GET", .path = "/api/v1/reallocations/{id}", .handler = crud_get, .role = ROLE_READ, .ctx = &reallocation_resource },

	CRUD("/api/v1/schools", &school_resource),
	CRUD("/api/v1/plans", &plan_resource),
	{ .method = "POST", .path = "/api/v1/plans/{id}/status", .handler = crud_status, .role = ROLE_WRITE, .ctx = &plan_resource },
	CRUD("/api/v1/expenditures", &expenditure_resource),
	{ .method = "POST", .path = "/api/v1/expenditures/{id}/status", .handler = crud_status, .role = ROLE_WRITE, .ctx = &expenditure_resource },

	{ .method = "GET", .path = "/api/v1/audit", .handler = crud_list, .role = ROLE_ADMIN, .ctx = &audit_resource, .by_revision = true },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
