/*
 * GET /metrics against the real daemon: who may read it (admin; read and
 * write tokens 403, none 401), the scrape listener that needs no token,
 * exact counts by the route table's path (never the URL asked), unmatched
 * for a path of no route, histograms whose buckets add up to the counter,
 * the write transactions, and the gauges.
 *
 * A request is counted once its answer has been sent, on the daemon's
 * thread, which may be just after the client has read it: so a test waits
 * (up to 5 s) until a count has reached what it expects, then requires it
 * to be exactly that.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../check_main.h"
#include "harness.h"
#include "npo/api.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define BUDGET "/api/v1/budgets/{id}"

static struct api a;
static struct api scrape; /* the same daemon, on its metrics listener */

static void setup(void)
{
	api_init(&a);
	a.cfg.metrics_listen = "127.0.0.1:0";
	api_start(&a);
	scrape = a;
	snprintf(scrape.base, sizeof(scrape.base), "http://127.0.0.1:%u",
		 server_metrics_port(a.srv));
	ck_assert_uint_ne(server_metrics_port(a.srv), 0);
}
static void teardown(void)
{
	api_down(&a);
}

/* The metrics as an admin reads them: a malloc'd copy of the text. */
static char *metrics(void)
{
	struct resp *r = api_req(&a, "GET", "/metrics", a.admin, NULL, NULL);
	char *text;

	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(resp_header(r, "Content-Type"), CONTENT_TYPE);
	text = strdup(r->body);
	resp_free(r);
	return text;
}

/* The value of the sample named series (name and labels, exactly as the
 * daemon writes them); 0 when there is none, as for a counter never
 * counted. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	return 0;
}

static bool has_sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return true;
	}
	return false;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Scrapes until series has reached want (up to 5 s) and returns what it
 * is then; the text of that scrape in *text (the caller frees it). */
static double reach(const char *series, double want, char **text)
{
	double v = 0;

	for (int i = 0; i < 250; i++) {
		*text = metrics();
		v = sample(*text, series);
		if (v >= want)
			break;
		free(*text);
		*text = NULL;
		sleep_ms(20);
	}
	if (!*text)
		*text = metrics();
	return v;
}

static void requests_series(char *out, size_t n, const char *route,
			    const char *method, int status)
{
	snprintf(out, n,
		 "npo_http_requests_total{route=\"%s\",method=\"%s\","
		 "status=\"%d\"}",
		 route, method, status);
}

static void expect_status(const char *method, const char *path,
			  const char *token, long status)
{
	struct resp *r = api_req(&a, method, path, token, NULL, NULL);

	ck_assert_msg(r->status == status, "%s %s: %ld, not %ld", method, path,
		      r->status, status);
	resp_free(r);
}

static void make_budget(void)
{
	struct resp *r = api_req(&a, "POST", "/api/v1/budgets", a.write,
				 HILVERSUM_BUDGET, NULL);

	ck_assert_int_eq(r->status, 201);
	resp_free(r);
}

static void patch_budget(void)
{
	static const char *const if_match[] = { "If-Match: \"1\"", NULL };
	struct resp *r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
				 "{\"overrun_policy\":\"stop\"}", if_match);

	ck_assert_int_eq(r->status, 200);
	resp_free(r);
}

START_TEST(only_an_admin_reads_them_on_the_api_listener)
{
	struct resp *r;
	char *text;

	r = api_req(&a, "GET", "/metrics", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 403);
	ck_assert_str_eq(jstr(r, "code"), "forbidden");
	resp_free(r);
	r = api_req(&a, "GET", "/metrics", a.write, NULL, NULL);
	ck_assert_int_eq(r->status, 403);
	ck_assert_str_eq(jstr(r, "code"), "forbidden");
	resp_free(r);
	r = api_req(&a, "GET", "/metrics", NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 401);
	ck_assert_str_eq(jstr(r, "code"), "no_token");
	ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate"));
	resp_free(r);
	text = metrics();
	ck_assert_ptr_nonnull(strstr(text, "# TYPE npo_http_requests_total "
					   "counter\n"));
	free(text);
	/* and the refusals were counted as such */
	text = NULL;
	ck_assert_double_eq(reach("npo_http_requests_total{route=\"/metrics\","
				  "method=\"GET\",status=\"403\"}",
				  2, &text),
			    2);
	free(text);
	/* a request is counted as it completes, after its answer: wait */
	text = NULL;
	ck_assert_double_eq(reach("npo_http_requests_total{route=\"/metrics\","
				  "method=\"GET\",status=\"401\"}",
				  1, &text),
			    1);
	free(text);
}
END_TEST

START_TEST(the_metrics_listener_needs_no_token_and_serves_nothing_else)
{
	struct resp *r = api_req(&scrape, "GET", "/metrics", NULL, NULL, NULL);

	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(resp_header(r, "Content-Type"), CONTENT_TYPE);
	ck_assert_ptr_nonnull(strstr(
		r->body, "npo_build_info{version=\"" NPO_VERSION "\"} 1\n"));
	resp_free(r);
	/* a token there changes nothing; the API is not there */
	r = api_req(&scrape, "GET", "/metrics", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = api_req(&scrape, "GET", "/api/v1/budgets", a.admin, NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
	r = api_req(&scrape, "POST", "/metrics", NULL, "{}", NULL);
	ck_assert_int_eq(r->status, 405);
	resp_free(r);
	r = api_req(&scrape, "HEAD", "/metrics", NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(r->len, 0);
	resp_free(r);
}
END_TEST

START_TEST(requests_count_exactly_by_the_route_tables_path)
{
	char ok[160], missing[160], head[160], *text = NULL;
	double ok0, missing0, head0;

	make_budget();
	requests_series(ok, sizeof(ok), BUDGET, "GET", 200);
	requests_series(missing, sizeof(missing), BUDGET, "GET", 404);
	requests_series(head, sizeof(head), BUDGET, "HEAD", 200);
	text = metrics();
	ok0 = sample(text, ok);
	missing0 = sample(text, missing);
	head0 = sample(text, head);
	free(text);
	for (int i = 0; i < 3; i++)
		expect_status("GET", "/api/v1/budgets/1", a.read, 200);
	expect_status("GET", "/api/v1/budgets/999", a.read, 404);
	expect_status("GET", "/api/v1/budgets/998", a.read, 404);
	expect_status("HEAD", "/api/v1/budgets/1", a.read, 200);
	ck_assert_double_eq(reach(ok, ok0 + 3, &text), ok0 + 3);
	free(text);
	ck_assert_double_eq(reach(missing, missing0 + 2, &text), missing0 + 2);
	free(text);
	ck_assert_double_eq(reach(head, head0 + 1, &text), head0 + 1);
	free(text);
	/* the POST, under its own route */
	ck_assert_double_eq(reach("npo_http_requests_total{route=\"/api/v1/"
				  "budgets\",method=\"POST\",status=\"201\"}",
				  1, &text),
			    1);
	free(text);
}
END_TEST

START_TEST(a_path_of_no_route_is_unmatched_and_no_url_shows)
{
	char unmatched[160], *text = NULL;
	double before;

	make_budget();
	requests_series(unmatched, sizeof(unmatched), "unmatched", "GET", 404);
	text = metrics();
	before = sample(text, unmatched);
	free(text);
	expect_status("GET", "/nope/12345", a.read, 404);
	expect_status("GET", "/api/v1/budgets/0", a.read, 404); /* no {id} */
	expect_status("GET", "/api/v1/budgets/1", a.read, 200);
	expect_status("GET", "/api/v1/budgets/77777", a.read, 404);
	ck_assert_double_eq(reach(unmatched, before + 2, &text), before + 2);
	/* a method the path does not have: no route either */
	free(text);
	expect_status("PUT", "/api/v1/budgets/1", a.write, 405);
	requests_series(unmatched, sizeof(unmatched), "unmatched", "PUT", 405);
	ck_assert_double_eq(reach(unmatched, 1, &text), 1);
	ck_assert_ptr_null(strstr(text, "nope"));
	ck_assert_ptr_null(strstr(text, "12345"));
	ck_assert_ptr_null(strstr(text, "77777"));
	ck_assert_ptr_null(strstr(text, "/api/v1/budgets/1\""));
	ck_assert_ptr_null(strstr(text, "/api/v1/budgets/0\""));
	/* every route label is a path of the route table, or unmatched */
	for (const char *p = strstr(text, "route=\""); p;
	     p = strstr(p, "route=\"")) {
		size_t n;
		bool known;

		p += 7;
		n = strcspn(p, "\"");
		known = n == 9 && strncmp(p, "unmatched", 9) == 0;
		for (size_t i = 0; !known && i < api_nroutes; i++)
			known = strlen(api_routes[i].path) == n &&
				strncmp(api_routes[i].path, p, n) == 0;
		ck_assert_msg(known, "route=\"%.*s\" is no route", (int)n, p);
	}
	free(text);
}
END_TEST

START_TEST(a_request_refused_before_routing_counts_under_its_route)
{
	char too_large[160], *text = NULL;
	struct resp *r;

	/* a Content-Length above --max-body is answered on the first call,
	 * before the route is looked up */
	api_halt(&a);
	a.cfg.max_body = 64;
	api_start(&a);
	r = api_req(&a, "POST", "/api/v1/budgets", a.write, HILVERSUM_BUDGET,
		    NULL);
	ck_assert_int_eq(r->status, 413);
	ck_assert_str_eq(jstr(r, "code"), "too_large");
	resp_free(r);
	requests_series(too_large, sizeof(too_large), "/api/v1/budgets", "POST",
			413);
	ck_assert_double_eq(reach(too_large, 1, &text), 1);
	ck_assert_ptr_null(strstr(text, "route=\"unmatched\""));
	free(text);
}
END_TEST

/* Walks the buckets of the histogram series name{labels,le=...} in the
 * order the text has them: each at least the one before, the last +Inf,
 * equal to _count. Returns _count. */
static double check_histogram(const char *text, const char *name,
			      const char *labels)
{
	char prefix[256], series[256];
	double last = -1, count;
	int buckets = 0;
	bool inf = false;

	snprintf(prefix, sizeof(prefix), "%s_bucket{%s%sle=\"", name, labels,
		 *labels ? "," : "");
	for (const char *p = strstr(text, prefix); p;
	     p = strstr(p + 1, prefix)) {
		const char *le = p + strlen(prefix);
		const char *v = strstr(le, "} ");
		double n;

		ck_assert_ptr_nonnull(v);
		n = strtod(v + 2, NULL);
		ck_assert_msg(n >= last,
			      "%s: bucket %.*s holds %g, less than %g", name,
			      (int)(v - le), le, n, last);
		last = n;
		inf = strncmp(le, "+Inf\"", 5) == 0;
		buckets++;
	}
	ck_assert_msg(buckets >= 10 && inf, "%s{%s}: %d buckets, +Inf last: %d",
		      name, labels, buckets, inf);
	snprintf(series, sizeof(series), "%s_count%s%s%s", name,
		 *labels ? "{" : "", labels, *labels ? "}" : "");
	count = sample(text, series);
	ck_assert_double_eq(count, last);
	snprintf(series, sizeof(series), "%s_sum%s%s%s", name,
		 *labels ? "{" : "", labels, *labels ? "}" : "");
	ck_assert(has_sample(text, series));
	ck_assert(sample(text, series) >= 0);
	return count;
}

/* The requests to BUDGET in text, by any method with any status. */
static double budget_requests(const char *text)
{
	static const char series[] = "npo_http_requests_total{route=\"" BUDGET
				     "\",";
	double total = 0;

	for (const char *p = strstr(text, series); p; p = strstr(p + 1, series))
		total += strtod(strstr(p, "} ") + 2, NULL);
	return total;
}

START_TEST(histograms_are_cumulative_and_count_what_the_counter_does)
{
	char *text = NULL;
	double total = 0, writes0, count;

	make_budget();
	text = metrics();
	writes0 = sample(text, "npo_db_write_duration_seconds_count");
	free(text);
	text = NULL;
	for (int i = 0; i < 5; i++)
		expect_status("GET", "/api/v1/budgets/1", a.read, 200);
	expect_status("GET", "/api/v1/budgets/5", a.read, 404);
	/* refused before its handler, without a body: no transaction */
	expect_status("PATCH", "/api/v1/budgets/1", a.write, 415);
	patch_budget();
	/* all of this path's requests, whatever method and status */
	for (int i = 0; i < 250 && total < 8; i++) {
		free(text);
		text = metrics();
		total = budget_requests(text);
		if (total < 8)
			sleep_ms(20);
	}
	count = check_histogram(text, "npo_http_request_duration_seconds",
				"route=\"" BUDGET "\"");
	ck_assert_double_eq(count, total);
	ck_assert_double_eq(total, 8);
	/* the PATCH wrote in one transaction; the refused one wrote nothing */
	count = check_histogram(text, "npo_db_write_duration_seconds", "");
	ck_assert_double_eq(count, writes0 + 1);
	free(text);
}
END_TEST

START_TEST(the_gauges_and_the_process)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	char req[256], buf[512], *text = NULL;
	double rev;
	int fd;
	ssize_t n;

	text = metrics();
	rev = sample(text, "npo_db_revision");
	ck_assert(has_sample(text, "npo_db_revision"));
	ck_assert_double_eq(sample(text, "npo_event_streams"), 0);
	ck_assert_ptr_nonnull(strstr(
		text, "\nnpo_build_info{version=\"" NPO_VERSION "\"} 1\n"));
	ck_assert(sample(text, "process_resident_memory_bytes") > 0);
	ck_assert(sample(text, "process_virtual_memory_bytes") >=
		  sample(text, "process_resident_memory_bytes"));
	ck_assert(sample(text, "process_open_fds") > 2);
	ck_assert(sample(text, "process_max_fds") >=
		  sample(text, "process_open_fds"));
	ck_assert(sample(text, "process_start_time_seconds") > 1.7e9);
	ck_assert(sample(text, "process_start_time_seconds") <=
		  (double)time(NULL) + 1);
	ck_assert(has_sample(text, "process_cpu_seconds_total"));
	free(text);
	make_budget();
	text = metrics();
	ck_assert_double_eq(sample(text, "npo_db_revision"), rev + 1);
	free(text);
	/* an event stream open, by hand: counted while it is */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	sa.sin_port = htons(server_port(a.srv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req),
		 "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n"
		 "Authorization: Bearer %s\r\n\r\n",
		 a.read);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	n = read(fd, buf, sizeof(buf) - 1); /* its first event has come */
	ck_assert_int_gt(n, 0);
	text = metrics();
	ck_assert_double_eq(sample(text, "npo_event_streams"), 1);
	free(text);
	/* the scrape listener counts the API's streams too */
	{
		struct resp *r =
			api_req(&scrape, "GET", "/metrics", NULL, NULL, NULL);

		ck_assert_double_eq(sample(r->body, "npo_event_streams"), 1);
		resp_free(r);
	}
	/* a parked stream notices its client has gone at its next event (a
	 * write makes one), at once when the client reset the connection */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset,
				    sizeof(reset)),
			 0);
	close(fd);
	make_budget();
	for (int i = 0; i < 250; i++) {
		text = metrics();
		rev = sample(text, "npo_event_streams");
		free(text);
		if (rev == 0)
			break;
		sleep_ms(20);
	}
	ck_assert_double_eq(rev, 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, only_an_admin_reads_them_on_the_api_listener);
	tcase_add_test(
		tc,
		the_metrics_listener_needs_no_token_and_serves_nothing_else);
	tcase_add_test(tc, requests_count_exactly_by_the_route_tables_path);
	tcase_add_test(tc, a_path_of_no_route_is_unmatched_and_no_url_shows);
	tcase_add_test(tc,
		       a_request_refused_before_routing_counts_under_its_route);
	tcase_add_test(
		tc, histograms_are_cumulative_and_count_what_the_counter_does);
	tcase_add_test(tc, the_gauges_and_the_process);
}

CHECK_MAIN("metrics")
