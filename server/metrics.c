/*
 * Metrics: fixed tables of relaxed atomic counters, indexed by the route's
 * row in the route table, the method and the status, and GET /metrics,
 * which reads them into the Prometheus text format 0.0.4 with the gauges
 * and the process's figures from /proc/self.
 *
 * A histogram keeps each bucket's own count (an observation adds 1 to one
 * bucket and its nanoseconds to the sum); the cumulative counts and _count
 * are added up while rendering, from one load of each bucket, so within a
 * scrape the buckets never decrease and _count is the +Inf bucket. The
 * durations are kept per row of the route table and shown per path: the
 * rows of one path (GET, PATCH and DELETE of /api/v1/plans/{id}) add up to
 * one histogram, while the counter tells their methods apart.
 */
#include "npo/metrics.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "npo/api.h"
#include "npo/http.h"

/* The rows of the route table, and one more for what matched none. */
#define UNMATCHED API_MAX_ROUTES
#define ROUTES (API_MAX_ROUTES + 1)
/* Slots of the statuses; the last is for any status not known below. */
#define STATUSES 48
#define OTHER_STATUS (STATUSES - 1)
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef atomic_uint_fast64_t counter;

static const char *const methods[] = { "GET",	"HEAD",	  "POST",    "PUT",
				       "PATCH", "DELETE", "OPTIONS", "other" };
#define METHODS ARRAY_SIZE(methods)

/* The upper bounds of the buckets, inclusive, as le shows them and in
 * nanoseconds; a last bucket, +Inf, holds the rest. From half a
 * millisecond (a cached status) to 5 s (a large import). */
static const struct {
	const char *le;
	uint64_t ns;
} bounds[] = {
	{ "0.0005", 500000 }, { "0.001", 1000000 }, { "0.0025", 2500000 },
	{ "0.005", 5000000 }, { "0.01", 10000000 }, { "0.025", 25000000 },
	{ "0.05", 50000000 }, { "0.1", 100000000 }, { "0.25", 250000000 },
	{ "0.5", 500000000 }, { "1", 1000000000 },  { "2.5", 2500000000 },
	{ "5", 5000000000 },
};
#define BUCKETS (ARRAY_SIZE(bounds) + 1)

struct histogram {
	counter bucket[BUCKETS]; /* each its own range, not cumulative */
	counter sum_ns;
};

/* What a histogram (or several, of one path) held when read. */
struct snapshot {
	uint64_t bucket[BUCKETS];
	uint64_t sum_ns;
};

static counter requests[ROUTES][METHODS][STATUSES];
static struct histogram durations[ROUTES];
static struct histogram writes;
static _Thread_local struct timespec write_began;

/* status -> its slot + 1 (0: OTHER_STATUS), and back. */
static unsigned char slot_of[600];
static int status_at[STATUSES];

static void add_status(int status, unsigned *n)
{
	if (status < 100 || status >= (int)sizeof(slot_of) || slot_of[status])
		return;
	if (*n == OTHER_STATUS) {
		fprintf(stderr, "npo-budgetd: more than %d statuses to count\n",
			OTHER_STATUS);
		abort();
	}
	status_at[*n] = status;
	slot_of[status] = (unsigned char)++*n;
}

/* The statuses the daemon answers: those its handlers send themselves and
 * every problem's of the registry. Complete before main(). */
__attribute__((constructor)) static void statuses_build(void)
{
	static const int sent[] = { 200, 201, 202, 204, 206, 301,
				    302, 303, 304, 307, 308 };
	unsigned n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sent); i++)
		add_status(sent[i], &n);
	for (int e = NPO_E_NONE + 1; e < NPO_E_COUNT; e++)
		add_status(npo_error_def((enum npo_error)e)->status, &n);
}

static size_t status_slot(int status)
{
	if (status < 100 || status >= (int)sizeof(slot_of) || !slot_of[status])
		return OTHER_STATUS;
	return slot_of[status] - 1u;
}

static size_t method_index(const char *method)
{
	for (size_t i = 0; i + 1 < METHODS; i++)
		if (strcmp(methods[i], method) == 0)
			return i;
	return METHODS - 1;
}

/* The row of r in the route table: r itself is one, or a copy of one (the
 * scrape listener's), found by method and path. */
static size_t route_index(const struct route *r)
{
	uintptr_t at = (uintptr_t)r, base = (uintptr_t)api_routes;
	size_t i;

	if (!r)
		return UNMATCHED;
	if (at >= base) {
		i = (at - base) / sizeof(*r);
		if (i < api_nroutes && &api_routes[i] == r)
			return i;
	}
	for (i = 0; i < api_nroutes; i++)
		if (strcmp(api_routes[i].path, r->path) == 0 &&
		    strcmp(api_routes[i].method, r->method) == 0)
			return i;
	return UNMATCHED;
}

static void observe(struct histogram *h, uint64_t ns)
{
	size_t b = 0;

	while (b < ARRAY_SIZE(bounds) && ns > bounds[b].ns)
		b++;
	atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void metrics_http_done(const struct route *r, const char *method, int status,
		       double seconds)
{
	size_t route;

	if (status <= 0)
		return;
	route = route_index(r);
	atomic_fetch_add_explicit(
		&requests[route][method_index(method)][status_slot(status)], 1,
		memory_order_relaxed);
	/* also NaN and below 0 (a clock that went back) count as 0 */
	observe(&durations[route], seconds > 0 ? (uint64_t)(seconds * 1e9) : 0);
}

void metrics_db_write_begin(void)
{
	clock_gettime(CLOCK_MONOTONIC, &write_began);
}

void metrics_db_write_end(void)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - write_began.tv_sec) * 1000000000 +
	     (now.tv_nsec - write_began.tv_nsec);
	observe(&writes, ns > 0 ? (uint64_t)ns : 0);
}

/* --- the text format ----------------------------------------------------- */

/* s as a label value: backslash, quote and newline escaped. */
static void escaped(char *out, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			out[n++] = '\\';
		out[n++] = *s == '\n' ? 'n' : *s;
	}
	out[n] = '\0';
}

static const char *route_name(size_t route)
{
	return route == UNMATCHED ? "unmatched" : api_routes[route].path;
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void snapshot_add(struct snapshot *s, const struct histogram *h)
{
	for (size_t b = 0; b < BUCKETS; b++)
		s->bucket[b] += atomic_load_explicit(&h->bucket[b],
						     memory_order_relaxed);
	s->sum_ns += atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
}

/* The samples of s: labels ("route=\"...\"", or "" for none) go in front
 * of le. */
static void histogram_render(FILE *f, const char *name, const char *labels,
			     const struct snapshot *s)
{
	uint64_t total = 0;

	for (size_t b = 0; b < BUCKETS; b++) {
		total += s->bucket[b];
		fprintf(f, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels,
			*labels ? "," : "",
			b < ARRAY_SIZE(bounds) ? bounds[b].le : "+Inf",
			(unsigned long long)total);
	}
	fprintf(f, "%s_sum%s%s%s %.9f\n", name, *labels ? "{" : "", labels,
		*labels ? "}" : "", (double)s->sum_ns / 1e9);
	fprintf(f, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
		*labels ? "}" : "", (unsigned long long)total);
}

/* Whether route is the first row of the table with its path: the rows of
 * one path (GET, PATCH and DELETE of an item) make one histogram. */
static bool first_of_path(size_t route)
{
	for (size_t i = 0; route != UNMATCHED && i < route; i++)
		if (strcmp(api_routes[i].path, api_routes[route].path) == 0)
			return false;
	return true;
}

/* The durations of the requests to route's path, of all its rows; false
 * when there were none. */
static bool durations_of(size_t route, struct snapshot *s)
{
	uint64_t n = 0;

	*s = (struct snapshot){ 0 };
	if (route == UNMATCHED)
		snapshot_add(s, &durations[route]);
	for (size_t i = route; route != UNMATCHED && i < api_nroutes; i++)
		if (strcmp(api_routes[i].path, api_routes[route].path) == 0)
			snapshot_add(s, &durations[i]);
	for (size_t b = 0; b < BUCKETS; b++)
		n += s->bucket[b];
	return n > 0;
}

static void http_render(FILE *f)
{
	struct snapshot s;
	char label[256], labels[300];

	family(f, "npo_http_requests_total", "counter",
	       "Requests answered, by route (the route table's path; "
	       "unmatched when none matched), method and status.");
	for (size_t route = 0; route < ROUTES; route++) {
		if (route >= api_nroutes && route != UNMATCHED)
			continue;
		escaped(label, sizeof(label), route_name(route));
		for (size_t m = 0; m < METHODS; m++)
			for (size_t st = 0; st < STATUSES; st++) {
				uint64_t n = atomic_load_explicit(
					&requests[route][m][st],
					memory_order_relaxed);
				char status[8];

				if (!n)
					continue;
				if (st == OTHER_STATUS)
					snprintf(status, sizeof(status),
						 "other");
				else
					snprintf(status, sizeof(status), "%d",
						 status_at[st]);
				fprintf(f,
					"npo_http_requests_total{route=\"%s\","
					"method=\"%s\",status=\"%s\"} %llu\n",
					label, methods[m], status,
					(unsigned long long)n);
			}
	}
	family(f, "npo_http_request_duration_seconds", "histogram",
	       "Time from a request's first byte to the end of its answer, "
	       "by route.");
	for (size_t route = 0; route < ROUTES; route++) {
		if ((route >= api_nroutes && route != UNMATCHED) ||
		    !first_of_path(route) || !durations_of(route, &s))
			continue;
		escaped(label, sizeof(label), route_name(route));
		snprintf(labels, sizeof(labels), "route=\"%s\"", label);
		histogram_render(f, "npo_http_request_duration_seconds", labels,
				 &s);
	}
	family(f, "npo_db_write_duration_seconds", "histogram",
	       "Time of each write transaction, BEGIN IMMEDIATE to COMMIT "
	       "or ROLLBACK.");
	s = (struct snapshot){ 0 };
	snapshot_add(&s, &writes);
	histogram_render(f, "npo_db_write_duration_seconds", "", &s);
}

/* Reads the whole of a small file under /proc into buf; -1 when it cannot. */
static int read_proc(const char *path, char *buf, size_t len)
{
	FILE *p = fopen(path, "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	fclose(p);
	return n ? 0 : -1;
}

/* What Prometheus' client libraries call the standard process metrics. */
static void process_render(FILE *f)
{
	char stat[1024], all[8192];
	const char *p, *bt;
	unsigned long utime, stime, vsize;
	unsigned long long start;
	long rss, tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit lim;
	struct dirent *e;
	DIR *d;

	/* the fields after the command (in parentheses, which may hold
	 * blanks and parentheses itself), from field 3, the state, on */
	if (read_proc("/proc/self/stat", stat, sizeof(stat)) == 0 &&
	    (p = strrchr(stat, ')')) && tck > 0 && page > 0 &&
	    sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu"
		   " %*d %*d %*d %*d %*d %*d %llu %lu %ld",
		   &utime, &stime, &start, &vsize, &rss) == 5) {
		family(f, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		fprintf(f, "process_cpu_seconds_total %.2f\n",
			(double)(utime + stime) / (double)tck);
		family(f, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		fprintf(f, "process_resident_memory_bytes %lld\n",
			(long long)rss * page);
		family(f, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
		fprintf(f, "process_virtual_memory_bytes %lu\n", vsize);
		/* starttime counts clock ticks since boot (btime) */
		if (read_proc("/proc/stat", all, sizeof(all)) == 0 &&
		    (bt = strstr(all, "\nbtime "))) {
			family(f, "process_start_time_seconds", "gauge",
			       "Start time of the process since unix epoch in "
			       "seconds.");
			fprintf(f, "process_start_time_seconds %.2f\n",
				strtod(bt + 7, NULL) +
					(double)start / (double)tck);
		}
	}
	if ((d = opendir("/proc/self/fd"))) {
		long n = -1; /* not the one opendir holds */

		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
		family(f, "process_open_fds", "gauge",
		       "Number of open file descriptors.");
		fprintf(f, "process_open_fds %ld\n", n);
	}
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
		family(f, "process_max_fds", "gauge",
		       "Maximum number of open file descriptors.");
		fprintf(f, "process_max_fds %llu\n",
			(unsigned long long)lim.rlim_cur);
	}
}

void metrics_get(struct http_request *req)
{
	const struct http_server *srv = http_ctx(req);
	struct npo_err err = { 0 };
	char version[64];
	char *text = NULL;
	size_t len = 0;
	int64_t rev;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		http_reply_problem(req, NPO_E_INTERNAL, "out of memory");
		return;
	}
	http_render(f);
	family(f, "npo_db_revision", "gauge",
	       "The database's revision: it rises with every committed "
	       "write.");
	if (db_revision_now(http_db(req), &rev, &err) == 0)
		fprintf(f, "npo_db_revision %lld\n", (long long)rev);
	else
		util_log("metrics: no revision: %s", err.detail);
	err_clear(&err);
	family(f, "npo_event_streams", "gauge",
	       "Event streams (GET /api/v1/events) open now.");
	fprintf(f, "npo_event_streams %u\n",
		http_live_streams(srv ? srv : http_server_of(req)));
	family(f, "npo_build_info", "gauge",
	       "The daemon's version, in its label; always 1.");
	escaped(version, sizeof(version), NPO_VERSION);
	fprintf(f, "npo_build_info{version=\"%s\"} 1\n", version);
	process_render(f);
	if (fclose(f) != 0) {
		free(text);
		http_reply_problem(req, NPO_E_INTERNAL, "out of memory");
		return;
	}
	http_reply_bytes(req, 200, CONTENT_TYPE, text, len);
}
