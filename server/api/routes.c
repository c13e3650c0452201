/* The route table: every endpoint of the API, at a glance. */
#include "npo/api.h"

#define B &budget_resource

const struct route api_routes[] = {
	{ .method = "GET", .path = "/healthz", .handler = meta_healthz, .role = ROLE_NONE },
	{ .method = "GET", .path = "/readyz", .handler = meta_readyz, .role = ROLE_NONE },
	{ .method = "GET", .path = "/api/v1", .handler = meta_root, .role = ROLE_NONE },
	{ .method = "GET", .path = "/api/v1/openapi.yaml", .handler = meta_openapi, .role = ROLE_NONE },

	{ .method = "GET", .path = "/api/v1/budgets", .handler = crud_list, .role = ROLE_READ, .ctx = B },
	{ .method = "POST", .path = "/api/v1/budgets", .handler = crud_create, .role = ROLE_WRITE, .ctx = B },
	{ .method = "GET", .path = "/api/v1/budgets/{id}", .handler = crud_get, .role = ROLE_READ, .ctx = B },
	{ .method = "PATCH", .path = "/api/v1/budgets/{id}", .handler = crud_patch, .role = ROLE_WRITE, .ctx = B },
	{ .method = "DELETE", .path = "/api/v1/budgets/{id}", .handler = crud_delete, .role = ROLE_WRITE, .ctx = B },

	{ .method = "GET", .path = "/api/v1/audit", .handler = crud_list, .role = ROLE_ADMIN, .ctx = &audit_resource },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
