/*
 * The API: the route table, the declared resources and their handlers.
 */
#ifndef NPO_API_H
#define NPO_API_H

#include <stddef.h>
#include <stdio.h>

#include "npo/csv.h"
#include "npo/http.h"
#include "npo/store.h"

/* The route table (routes.c): the service routes, the routes the
 * registry's resources offer, and the figures. Complete before main().
 * At most API_MAX_ROUTES rows (metrics.c counts by row). */
#define API_MAX_ROUTES 96
extern struct route api_routes[];
extern size_t api_nroutes;

/* Generic handlers; the route's ctx is the struct resource. */
void crud_list(struct http_request *req);
void crud_get(struct http_request *req);
void crud_create(struct http_request *req);
void crud_patch(struct http_request *req);
void crud_delete(struct http_request *req);
/* POST …/{id}/status: a move of the resource's workflow. These four are
 * adapters of the write path (write.h). */
void crud_status(struct http_request *req);

/* How the answer is written: JSON, or CSV in a dialect. */
struct output {
	bool csv;
	bool format_given; /* ?format= decided, whatever Accept says */
	enum csv_dialect dialect;
};

/* Takes ?format= and ?dialect= into out: 1 when key was one of them, 0
 * when not, -1 (err filled) for a bad value. */
int output_arg(struct output *out, const char *key, const char *value,
	       struct npo_err *err);
/* After the query: Accept: text/csv asks for CSV too. */
void output_accept(struct output *out, const struct http_request *req);
/* Answers the rows of items (flat objects with the members of template)
 * as CSV named file.csv. */
void output_csv(struct http_request *req, const struct output *out,
		const char *file, const json_t *template, const json_t *items);

/* What ?year=, ?school_year= and ?as_of= ask of the figures: the period
 * spent and paid count in (all time when neither is given) and the day
 * the deadlines count from (today unless as_of). */
struct period {
	char from[11], until[11];
	char today[11];
	json_t *about; /* owned: what an answer says of the period, or NULL */
};
void period_init(struct period *p);
/* Takes one of those keys into p: 1 when key was one, 0 when not, -1 (err
 * filled) for a bad value. */
int period_arg(struct period *p, const char *key, const char *value,
	       struct npo_err *err);

/* Figures (status.c). */
void status_budget(struct http_request *req);
void status_all(struct http_request *req);
/* The accountability report of a budget for ?year= (accountability.c), and
 * the report as JSON (new reference; closings.c keeps it at closing). */
void accountability_report(struct http_request *req);
/* The same report as a SiSa-shaped workbook (accountability.xlsx). */
void accountability_xlsx(struct http_request *req);
struct accountability;
json_t *accountability_json(const struct accountability *r,
			    const json_t *budget);
/* POST and GET /api/v1/budgets/{id}/closings (closings.c). */
void closings_create(struct http_request *req);
void closings_list(struct http_request *req);
/* The bestedingsoverzicht as an XLSX workbook (overview.c). */
void overview_xlsx(struct http_request *req);

/* Tokens over HTTP for an admin (tokens.c): POST and GET /api/v1/tokens,
 * DELETE /api/v1/tokens/{name}. */
void tokens_create(struct http_request *req);
void tokens_list(struct http_request *req);
void tokens_delete(struct http_request *req);

/* Imports of CSV (imports.c, through jobs/import.c). */
void imports_expenditures(struct http_request *req);
void imports_schools(struct http_request *req);

/* Service endpoints (meta.c). */
void meta_healthz(struct http_request *req);
void meta_readyz(struct http_request *req);
void meta_root(struct http_request *req);
void meta_openapi(struct http_request *req);
void meta_home(struct http_request *req);
void events_stream(struct http_request *req);
void meta_asset(struct http_request *req);

#endif
