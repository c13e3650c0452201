/*
 * Metrics for Prometheus (README, Running it): what the daemon counts as
 * it serves, and GET /metrics, which shows it in the text exposition format
 * 0.0.4. Counting is a few relaxed atomic additions into fixed tables (by
 * route, method and status), so it is thread-safe, takes no lock and costs
 * about nothing beside a request. The counts are the process's: every
 * server of the process (the API's and the scrape listener) adds to the
 * same ones.
 */
#ifndef NPO_METRICS_H
#define NPO_METRICS_H

struct http_request;
struct route;

/*
 * A request has completed (from http.c, where the access line is logged):
 * r is the route that answered it (a row of api_routes, or a copy of one,
 * which counts by its method and path), or NULL when none matched it;
 * method as the client sent it (an unusual one counts as "other"), status
 * the one answered, seconds from its first byte to its end. A status of 0
 * (the daemon never answered: libmicrohttpd did, or the client left before
 * its request was whole) is not counted.
 */
void metrics_http_done(const struct route *r, const char *method, int status,
		       double seconds);

/*
 * The time of each write transaction, BEGIN IMMEDIATE to COMMIT or
 * ROLLBACK (from db.c). Both on the thread that holds the write: begin
 * notes the time, end adds what passed since to the histogram.
 */
void metrics_db_write_begin(void);
void metrics_db_write_end(void);

/*
 * GET /metrics: every metric as text/plain; version=0.0.4. The route's ctx
 * may name the struct http_server whose event streams to count (the scrape
 * listener's route names the API's server); NULL: the request's own.
 */
void metrics_get(struct http_request *req);

#endif
