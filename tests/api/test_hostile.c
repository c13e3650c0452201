/*
 * Hostile input: whatever a client sends, the daemon answers with the exact
 * status and problem code of the README, The API (never a 500, never a
 * crash, never another resource) and changes nothing.
 *
 * The corpora are tables. A table test runs every case, records each
 * deviation and fails at the end with the whole list, so one run names every
 * bug. HOSTILE_VERBOSE=1 prints each case with what it got on stderr.
 * Around each case a fingerprint of the data (the number of audit rows and
 * the ETag of the budget list, which follows the database revision) must
 * stay the same.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../check_main.h"
#include "harness.h"
#include "npo/api.h"
#include "../curlbuf.h"

static struct api a;

#define N(x) (sizeof(x) / sizeof((x)[0]))
#define MIB (1024 * 1024)

/* --- recording deviations ---------------------------------------------- */

static char failures[65536];
static size_t nfailed, ncases;
static bool verbose;

static void fail_case(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void fail_case(const char *fmt, ...)
{
	size_t n = strlen(failures);
	va_list ap;

	nfailed++;
	if (n + 2 >= sizeof(failures))
		return;
	va_start(ap, fmt);
	vsnprintf(failures + n, sizeof(failures) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(failures);
	if (n + 1 < sizeof(failures)) {
		failures[n] = '\n';
		failures[n + 1] = '\0';
	}
}

/* Fails the test with every deviation recorded, if any. */
static void report(const char *test)
{
	if (nfailed)
		fprintf(stderr, "# %s: %zu of %zu cases deviate:\n%s", test,
			nfailed, ncases, failures);
	/* Check refuses messages over 4 KiB: the whole list is on stderr */
	ck_assert_msg(nfailed == 0, "%s: %zu of %zu cases deviate:\n%.3000s%s",
		      test, nfailed, ncases, failures,
		      strlen(failures) > 3000 ? "\n(more on stderr)" : "");
}

static const char *short_body(const struct resp *r)
{
	static char b[200];

	snprintf(b, sizeof(b), "%.*s", (int)(r->len < 160 ? r->len : 160),
		 r->body ? r->body : "");
	for (char *p = b; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return b;
}

/* The code of the error naming field, or NULL. */
static const char *error_code_of(const struct resp *r, const char *field)
{
	const json_t *errors = json_object_get(r->json, "errors");
	size_t i;
	json_t *e;

	json_array_foreach(errors, i, e)
	{
		const char *f = json_string_value(json_object_get(e, "field"));

		if (f && strcmp(f, field) == 0)
			return json_string_value(json_object_get(e, "code"));
	}
	return NULL;
}

/*
 * Checks an RFC 9457 problem: status, Content-Type, the members and the code,
 * and for a validation problem the error of field (when field is given).
 * Records a deviation rather than stopping. Frees r.
 */
static bool expect_problem(const char *what, struct resp *r, long status,
			   const char *code, const char *field,
			   const char *field_code)
{
	const char *ct = resp_header(r, "Content-Type");
	const char *got_code = jstr(r, "code");
	bool ok = true;

	ncases++;
	if (verbose)
		fprintf(stderr, "# %-60s -> %ld %s\n", what, r->status,
			got_code);
	if (r->status != status || strcmp(got_code, code) != 0) {
		fail_case("%s: got %ld %s, wanted %ld %s (%s)", what, r->status,
			  got_code, status, code, short_body(r));
		ok = false;
	} else if (!ct || strcmp(ct, "application/problem+json") != 0 ||
		   jint(r, "status") != status ||
		   strlen(jstr(r, "title")) == 0 ||
		   strlen(jstr(r, "detail")) == 0 ||
		   strncmp(jstr(r, "type"), "urn:npo-budgetd:problem:", 24) !=
			   0) {
		fail_case(
			"%s: %ld %s is not a whole problem+json (type %s): %s",
			what, r->status, code, ct ? ct : "none", short_body(r));
		ok = false;
	} else if (field) {
		const char *fc = error_code_of(r, field);

		if (!fc || strcmp(fc, field_code) != 0) {
			fail_case("%s: errors name %s with %s, wanted %s: %s",
				  what, field, fc ? fc : "nothing", field_code,
				  short_body(r));
			ok = false;
		}
	}
	resp_free(r);
	return ok;
}

/* --- the fingerprint of the data --------------------------------------- */

struct fp {
	long long audit;
	char etag[96];
	long health;
};

static void fp_take(struct fp *f)
{
	struct resp *r = api_req(&a, "GET", "/api/v1/audit?count=true", a.admin,
				 NULL, NULL);
	const char *etag;

	ck_assert_msg(r->status == 200, "audit: %ld %s", r->status, r->body);
	f->audit = jint(r, "total");
	ck_assert_int_ge(f->audit, 0);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets", a.read, NULL, NULL);
	ck_assert_msg(r->status == 200, "budgets: %ld %s", r->status, r->body);
	etag = resp_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	snprintf(f->etag, sizeof(f->etag), "%s", etag);
	resp_free(r);
}

/* Records a deviation when the data changed since before was taken. */
static void fp_check(const struct fp *before, const char *what)
{
	struct fp now;

	fp_take(&now);
	if (now.audit != before->audit || strcmp(now.etag, before->etag) != 0)
		fail_case("%s: the data changed (audit %lld -> %lld, budgets "
			  "ETag %s -> %s)",
			  what, before->audit, now.audit, before->etag,
			  now.etag);
}

/* --- requests ---------------------------------------------------------- */

struct chunks {
	size_t left;
	char first;
};

static size_t send_chunk(char *out, size_t size, size_t n, void *arg)
{
	struct chunks *c = arg;
	size_t k = size * n < c->left ? size * n : c->left;

	memset(out, ' ', k);
	if (k && c->first) {
		out[0] = c->first;
		c->first = 0;
	}
	c->left -= k;
	return k;
}

/*
 * One request with libcurl, as api_req but: the body has a length (it may
 * hold NUL bytes), the path is sent as is (no dot-segment removal), a
 * failure of the transfer gives status 0 with the error as body instead of
 * stopping, and chunked (when not 0) sends that many bytes of a body
 * beginning with '{' in chunked encoding instead of body.
 */
static struct resp *hreq(const char *method, const char *path,
			 const char *token, const char *body, size_t len,
			 const char *const *extra, size_t chunked)
{
	struct resp *r = calloc(1, sizeof(*r));
	struct buf data = { 0 }, head = { 0 };
	struct curl_slist *hl = NULL;
	struct chunks c = { chunked, '{' };
	char *url, *line = NULL;
	bool has_type = false;
	CURL *h = curl_easy_init();
	CURLcode rc;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_ge(asprintf(&url, "%s%s", a.base, path), 0);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (token) {
		ck_assert_int_ge(
			asprintf(&line, "Authorization: Bearer %s", token), 0);
		hl = curl_slist_append(hl, line);
	}
	for (const char *const *e = extra; e && *e; e++) {
		if (strncasecmp(*e, "Content-Type:", 13) == 0)
			has_type = true;
		hl = curl_slist_append(hl, *e);
	}
	if ((body || chunked) && !has_type)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	if (chunked) {
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, send_chunk);
		curl_easy_setopt(h, CURLOPT_READDATA, &c);
	} else if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &data);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (rc != CURLE_OK && !r->status) {
		free(data.p);
		data.p = NULL;
		ck_assert_int_ge(asprintf(&data.p, "curl: %s",
					  curl_easy_strerror(rc)),
				 0);
		data.len = strlen(data.p);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	free(line);
	free(url);
	r->body = data.p ? data.p : strdup("");
	r->len = data.len;
	r->headers = head.p ? head.p : strdup("");
	r->json = json_loadb(r->body, r->len, 0, NULL);
	return r;
}

static struct resp *post(const char *path, const char *body)
{
	return hreq("POST", path, a.write, body, strlen(body), NULL, 0);
}

static int connect_daemon(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(server_port(a.srv)) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		      "connect: %s", strerror(errno));
	return fd;
}

/*
 * Sends the bytes of req exactly as given on a new connection (stopping
 * early when the daemon answers before it has read them all) and reads the
 * answer until the daemon closes (the request should say Connection: close)
 * or 10 s pass. Status 0 when nothing came back.
 */
static struct resp *raw(const char *req, size_t len)
{
	struct resp *r = calloc(1, sizeof(*r));
	struct buf in = { 0 };
	int fd = connect_daemon();
	size_t off = 0;
	char *end;

	ck_assert_ptr_nonnull(r);
	while (off < len) {
		struct pollfd p = { fd, POLLOUT | POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0 ||
		    (p.revents & (POLLIN | POLLHUP | POLLERR)))
			break;
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		char chunk[16384];
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			break;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		on_data(chunk, 1, (size_t)n, &in);
	}
	close(fd);
	if (in.p && strncmp(in.p, "HTTP/1.", 7) == 0)
		r->status = strtol(in.p + 9, NULL, 10);
	end = in.p ? strstr(in.p, "\r\n\r\n") : NULL;
	if (end) {
		r->headers = strndup(in.p, (size_t)(end - in.p) + 2);
		r->body = strdup(end + 4);
		r->len = in.len - (size_t)(end + 4 - in.p);
	} else {
		r->headers = strdup("");
		r->body = in.p ? strdup(in.p) : strdup("");
		r->len = strlen(r->body);
	}
	free(in.p);
	r->json = json_loadb(r->body, r->len, 0, NULL);
	return r;
}

/* raw() of "METHOD TARGET HTTP/1.1" with Host, the token (if any),
 * Connection: close and the further header lines in extra ("" for none,
 * each ending in CRLF). */
static struct resp *raw_line(const char *method, const char *target,
			     const char *token, const char *extra)
{
	char *req;
	struct resp *r;
	int n;

	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s%s"
		     "Connection: close\r\n\r\n",
		     method, target, token ? "Authorization: Bearer " : "",
		     token ? token : "", token ? "\r\n" : "", extra);
	ck_assert_int_ge(n, 0);
	r = raw(req, (size_t)n);
	free(req);
	return r;
}

/* raw() of a request with a JSON body. */
static struct resp *raw_body(const char *method, const char *target,
			     const char *token, const char *body)
{
	char *req;
	struct resp *r;
	int n;

	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Authorization: Bearer %s\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     method, target, token, strlen(body), body);
	ck_assert_int_ge(n, 0);
	r = raw(req, (size_t)n);
	free(req);
	return r;
}

static bool healthy(void)
{
	struct resp *r = api_req(&a, "GET", "/healthz", NULL, NULL, NULL);
	bool ok = r->status == 200;

	resp_free(r);
	return ok;
}

/* --- the data every test starts from ----------------------------------- */

#define HUIZEN_BUDGET                                                          \
	"{\"municipality_code\":\"GM0406\",\"municipality_name\":\"Huizen\","  \
	"\"name\":\"NPO\",\"grant_cents\":1000,\"spend_from\":\"2021-07-01\"," \
	"\"spend_until\":\"2025-07-31\"}"

static const char *const seed[][2] = {
	{ "/api/v1/budgets", HILVERSUM_BUDGET },
	/* an empty budget: a DELETE through a tricked path would succeed */
	{ "/api/v1/budgets", HUIZEN_BUDGET },
	{ "/api/v1/goals",
	  "{\"budget_id\":1,\"code\":\"1\",\"name\":\"bovenschoolse "
	  "maatregelen\",\"allocated_cents\":100000}" },
	{ "/api/v1/goals",
	  "{\"budget_id\":1,\"code\":\"2\",\"name\":\"zorg en welzijn\","
	  "\"allocated_cents\":50000}" },
	{ "/api/v1/programmes",
	  "{\"goal_id\":1,\"name\":\"Zomerschool\",\"budget_cents\":50000}" },
	{ "/api/v1/schools",
	  "{\"code\":\"25GH00\",\"name\":\"De Regenboog\",\"sector\":\"po\","
	  "\"municipality_code\":\"GM0402\"}" },
	{ "/api/v1/plans",
	  "{\"programme_id\":1,\"school_id\":1,\"school_year\":\"2024-2025\","
	  "\"title\":\"Bijles\",\"requested_cents\":1000}" },
	{ "/api/v1/expenditures",
	  "{\"programme_id\":1,\"amount_cents\":100,\"spent_on\":\"2024-03-01\","
	  "\"description\":\"Factuur 1\"}" },
	{ "/api/v1/reallocations",
	  "{\"budget_id\":1,\"from\":{\"goal_id\":1},\"to\":{\"goal_id\":2},"
	  "\"amount_cents\":100,\"reason\":\"herschikking\","
	  "\"decided_on\":\"2024-01-15\"}" },
};

static void setup(void)
{
	verbose = getenv("HOSTILE_VERBOSE") != NULL;
	failures[0] = '\0';
	nfailed = ncases = 0;
	api_up(&a);
	for (size_t i = 0; i < N(seed); i++) {
		struct resp *r = api_req(&a, "POST", seed[i][0], a.write,
					 seed[i][1], NULL);

		ck_assert_msg(r->status == 201, "seed %s: %ld %s", seed[i][0],
			      r->status, r->body);
		resp_free(r);
	}
}

static void teardown(void)
{
	api_down(&a);
}

/* --- bodies that are not JSON, or not an object ------------------------ */

struct body_case {
	const char *what;
	const char *body;
	size_t len; /* 0: strlen(body) */
	long status;
	const char *code;
};

#define BAD(what, body)                              \
	{                                            \
		what, body, 0, 400, "malformed_json" \
	}
#define BADN(what, body)                                            \
	{                                                           \
		what, body, sizeof(body) - 1, 400, "malformed_json" \
	}
/* well-formed JSON that is not an object, or that holds a number no field
 * can: 422 */
#define NOBJ(what, body)                                \
	{                                               \
		what, body, 0, 422, "validation_failed" \
	}

static const struct body_case bodies[] = {
	BAD("empty body", ""),
	BAD("only white space", "   \r\n\t"),
	BAD("{", "{"),
	BAD("{\"a\":", "{\"a\":"),
	BAD("[", "["),
	BAD("nul", "nul"),
	BAD("{\"name\":\"x\"", "{\"name\":\"x\""),
	BAD("unterminated string", "{\"name\":\"x"),
	BAD("{} {}", "{} {}"),
	BAD("two budgets", HILVERSUM_BUDGET HILVERSUM_BUDGET),
	BAD("trailing garbage", HILVERSUM_BUDGET "x"),
	BAD("trailing brace", HILVERSUM_BUDGET "}"),
	BAD("trailing comma in an object", "{\"name\":\"x\",}"),
	BAD("trailing comma in an array", "{\"from\":[1,]}"),
	BAD("single quotes", "{'name':'x'}"),
	BAD("bare key", "{name:\"x\"}"),
	BAD("comment", "{/* c */\"name\":\"x\"}"),
	BAD("NaN", "{\"grant_cents\":NaN}"),
	BAD("Infinity", "{\"grant_cents\":Infinity}"),
	BAD("hex number", "{\"grant_cents\":0x10}"),
	BAD("leading zero", "{\"grant_cents\":01}"),
	BAD("plus sign", "{\"grant_cents\":+1}"),
	BAD("bare minus", "{\"grant_cents\":-}"),
	/* valid JSON, numbers no field holds: values out of range */
	NOBJ("1e400", "{\"grant_cents\":1e400}"),
	NOBJ("2^63", "{\"grant_cents\":9223372036854775808}"),
	NOBJ("-2^63-1", "{\"grant_cents\":-9223372036854775809}"),
	NOBJ("20-digit number", "{\"grant_cents\":99999999999999999999}"),
	BAD("byte order mark", "\xEF\xBB\xBF{}"),
	BAD("invalid UTF-8 0xFF in a string", "{\"name\":\"a\xFF\"}"),
	BAD("invalid UTF-8 0xC3 0x28", "{\"name\":\"\xC3\x28\"}"),
	BAD("overlong UTF-8 '/'", "{\"name\":\"\xC0\xAF\"}"),
	BAD("UTF-8 encoded surrogate", "{\"name\":\"\xED\xA0\x80\"}"),
	BAD("truncated UTF-8", "{\"name\":\"\xE2\x82\"}"),
	BAD("UTF-8 beyond U+10FFFF", "{\"name\":\"\xF4\x90\x80\x80\"}"),
	BAD("invalid UTF-8 in a key", "{\"na\xFFme\":\"x\"}"),
	BAD("Latin-1 text", "{\"name\":\"caf\xE9\"}"),
	BAD("\\u0000 in a string", "{\"name\":\"a\\u0000b\"}"),
	BAD("\\u0000 in a key", "{\"na\\u0000me\":\"x\"}"),
	BADN("raw NUL in a string", "{\"name\":\"a\0b\"}"),
	BADN("raw NUL after the object", "{}\0"),
	BADN("raw NUL first", "\0{}"),
	BAD("raw control character in a string", "{\"name\":\"a\x01\"}"),
	BAD("raw newline in a string", "{\"name\":\"a\nb\"}"),
	BAD("lone high surrogate \\ud800", "{\"name\":\"\\ud800\"}"),
	BAD("lone low surrogate \\udc00", "{\"name\":\"\\udc00\"}"),
	BAD("high surrogate, then a letter", "{\"name\":\"\\ud800\\u0041\"}"),
	BAD("high surrogate at the end", "{\"name\":\"x\\uD83D\"}"),
	BAD("bad escape \\x", "{\"name\":\"\\x41\"}"),
	BAD("short \\u escape", "{\"name\":\"\\u12\"}"),
	BAD("duplicate key", "{\"name\":\"a\",\"name\":\"b\"}"),
	BAD("duplicate key, same value",
	    "{\"grant_cents\":1,\"grant_cents\":1}"),
	BAD("duplicate key in a nested object",
	    "{\"budget_id\":1,\"from\":{\"goal_id\":1,\"goal_id\":2},"
	    "\"to\":{\"goal_id\":2},\"amount_cents\":1,\"reason\":\"r\","
	    "\"decided_on\":\"2024-01-15\"}"),
	NOBJ("array [1,2]", "[1,2]"),
	NOBJ("empty array", "[]"),
	NOBJ("the budget in an array", "[" HILVERSUM_BUDGET "]"),
	NOBJ("scalar 42", "42"),
	NOBJ("scalar string", "\"budget\""),
	NOBJ("scalar null", "null"),
	NOBJ("scalar true", "true"),
};

/* Every write that takes a body: the body is parsed before anything else. */
static const char *const body_routes[][2] = {
	{ "POST", "/api/v1/budgets" },
	{ "PATCH", "/api/v1/budgets/1" },
	{ "POST", "/api/v1/plans/1/status" },
};

START_TEST(bodies_that_are_not_json_objects)
{
	struct fp before;
	char what[256];

	fp_take(&before);
	for (size_t i = 0; i < N(bodies); i++) {
		const struct body_case *c = &bodies[i];

		for (size_t k = 0; k < N(body_routes); k++) {
			snprintf(what, sizeof(what), "%s %s: %s",
				 body_routes[k][0], body_routes[k][1], c->what);
			expect_problem(what,
				       hreq(body_routes[k][0],
					    body_routes[k][1], a.write, c->body,
					    c->len ? c->len : strlen(c->body),
					    NULL, 0),
				       c->status, c->code, NULL, NULL);
		}
		fp_check(&before, c->what);
	}
	report("bodies");
}
END_TEST

/* The position of a parse error is reported, also for the worst bodies. */
START_TEST(malformed_json_names_where)
{
	struct resp *r = post("/api/v1/budgets", "{\"name\":\"\xFF\"}");

	ck_assert_int_eq(r->status, 400);
	ck_assert_int_eq(jint(r, "line"), 1);
	ck_assert_int_ge(jint(r, "column"), 1);
	ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "line 1"));
	resp_free(r);
}
END_TEST

static char *nested(size_t depth, const char *open, const char *middle,
		    const char *close, bool closed)
{
	size_t lo = strlen(open), lc = strlen(close), lm = strlen(middle);
	char *b = malloc(depth * (lo + lc) + lm + 1), *p = b;

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, middle, lm);
	p += lm;
	for (size_t i = 0; closed && i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return b;
}

/* jansson stops at a depth of 2048: deeper bodies are 400, not a crash;
 * bodies under the limit are parsed and refused by validation. */
START_TEST(deep_nesting_is_refused)
{
	static const struct {
		const char *what;
		size_t depth;
		const char *open, *middle, *close, *prefix, *suffix;
		bool closed;
		long status;
		const char *code, *field, *fcode;
	} cases[] = {
		{ "10,000 nested arrays", 10000, "[", "", "]", "", "", true,
		  400, "malformed_json", NULL, NULL },
		{ "10,000 nested objects", 10000, "{\"a\":", "1", "}", "", "",
		  true, 400, "malformed_json", NULL, NULL },
		{ "10,000 nested arrays as the name", 10000, "[", "", "]",
		  "{\"name\":", "}", true, 400, "malformed_json", NULL, NULL },
		{ "10,000 nested arrays, mixed", 5000, "[{\"a\":", "1", "}]",
		  "", "", true, 400, "malformed_json", NULL, NULL },
		{ "500,000 open arrays, never closed", 500000, "[", "", "", "",
		  "", false, 400, "malformed_json", NULL, NULL },
		{ "1,000 nested arrays as the name", 1000, "[", "", "]",
		  "{\"name\":", "}", true, 422, "validation_failed", "name",
		  "type" },
		{ "2,000 nested objects as an unknown field", 2000,
		  "{\"a\":", "1", "}", "{\"x\":", "}", true, 422,
		  "validation_failed", "x", "unknown_field" },
		{ "1,000 nested arrays as a reallocation line", 1000, "[", "",
		  "]", "{\"from\":", "}", true, 422, "validation_failed",
		  "from", "type" },
	};
	struct fp before;

	fp_take(&before);
	for (size_t i = 0; i < N(cases); i++) {
		char *n = nested(cases[i].depth, cases[i].open, cases[i].middle,
				 cases[i].close, cases[i].closed);
		char *body;
		const char *path = strstr(cases[i].what, "reallocation")
					   ? "/api/v1/reallocations"
					   : "/api/v1/budgets";

		ck_assert_int_ge(asprintf(&body, "%s%s%s", cases[i].prefix, n,
					  cases[i].suffix),
				 0);
		expect_problem(cases[i].what, post(path, body), cases[i].status,
			       cases[i].code, cases[i].field, cases[i].fcode);
		free(body);
		free(n);
		fp_check(&before, cases[i].what);
	}
	ck_assert(healthy());
	report("deep nesting");
}
END_TEST

/* --- wrong values for every field kind --------------------------------- */

struct target {
	const char *method, *path, *base;
};

enum {
	T_BUDGET,
	T_GOAL,
	T_PROGRAMME,
	T_REALLOCATION,
	T_SCHOOL,
	T_PLAN,
	T_EXPENDITURE,
	T_PLAN_MOVE,
	T_EXPENDITURE_MOVE,
	T_PROGRAMME_MOVE,
	T_BUDGET_PATCH,
	T_GOAL_PATCH,
	T_PROGRAMME_PATCH,
	T_PLAN_PATCH,
	T_SCHOOL_PATCH,
	T_EXPENDITURE_PATCH,
};

static const struct target targets[] = {
	[T_BUDGET] = { "POST", "/api/v1/budgets", HILVERSUM_BUDGET },
	[T_GOAL] = { "POST", "/api/v1/goals",
		     "{\"budget_id\":1,\"code\":\"9\",\"name\":\"G\","
		     "\"allocated_cents\":1}" },
	[T_PROGRAMME] = { "POST", "/api/v1/programmes",
			  "{\"goal_id\":1,\"name\":\"P\",\"budget_cents\":1}" },
	[T_REALLOCATION] = { "POST", "/api/v1/reallocations",
			     "{\"budget_id\":1,\"from\":{\"goal_id\":1},"
			     "\"to\":{\"goal_id\":2},\"amount_cents\":1,"
			     "\"reason\":\"r\",\"decided_on\":\"2024-01-15\"}" },
	[T_SCHOOL] = { "POST", "/api/v1/schools",
		       "{\"code\":\"25GH01\",\"name\":\"S\",\"sector\":\"po\","
		       "\"municipality_code\":\"GM0402\"}" },
	[T_PLAN] = { "POST", "/api/v1/plans",
		     "{\"programme_id\":1,\"school_id\":1,"
		     "\"school_year\":\"2025-2026\",\"title\":\"T\","
		     "\"requested_cents\":1}" },
	[T_EXPENDITURE] = { "POST", "/api/v1/expenditures",
			    "{\"programme_id\":1,\"amount_cents\":1,"
			    "\"spent_on\":\"2024-03-01\",\"description\":\"F\"}" },
	/* draft -> approved is no move: only a bad value can answer 422 */
	[T_PLAN_MOVE] = { "POST", "/api/v1/plans/1/status",
			  "{\"status\":\"approved\"}" },
	[T_EXPENDITURE_MOVE] = { "POST", "/api/v1/expenditures/1/status",
				 "{\"status\":\"paid\"}" },
	[T_PROGRAMME_MOVE] = { "POST", "/api/v1/programmes/1/status",
			       "{\"status\":\"completed\"}" },
	[T_BUDGET_PATCH] = { "PATCH", "/api/v1/budgets/1", "{}" },
	[T_GOAL_PATCH] = { "PATCH", "/api/v1/goals/1", "{}" },
	[T_PROGRAMME_PATCH] = { "PATCH", "/api/v1/programmes/1", "{}" },
	[T_PLAN_PATCH] = { "PATCH", "/api/v1/plans/1", "{}" },
	[T_SCHOOL_PATCH] = { "PATCH", "/api/v1/schools/1", "{}" },
	[T_EXPENDITURE_PATCH] = { "PATCH", "/api/v1/expenditures/1", "{}" },
};

struct value {
	const char *raw; /* JSON text, spliced in as is */
	long status;	 /* 422, or 400 for what does not parse */
	const char *fcode;
};

#define V(raw, fcode)           \
	{                       \
		raw, 422, fcode \
	}
#define P(raw)                 \
	{                      \
		raw, 400, NULL \
	}

static const struct value cents_bad[] = {
	V("\"100\"", "type"),
	V("\"\"", "type"),
	V("\"1,00\"", "type"),
	V("1.0", "type"),
	V("1.5", "type"),
	V("1e2", "type"),
	V("-0.0", "type"),
	V("1e400", "range"),
	V("9223372036854775808", "range"),
	V("-9223372036854775809", "range"),
	V("18446744073709551616", "range"),
	V("-1", "range"),
	V("-9223372036854775808", "range"),
	V("9223372036854775807", "range"),
	V("1000000000000001", "range"),
	V("true", "type"),
	V("false", "type"),
	V("null", "type"),
	V("{}", "type"),
	V("[]", "type"),
	V("[1]", "type"),
	V("{\"cents\":1}", "type"),
};

static const struct value text_bad[] = {
	V("42", "type"),   V("1.5", "type"),	 V("true", "type"),
	V("{}", "type"),   V("[\"x\"]", "type"), V("[]", "type"),
	V("null", "type"), P("\"\\u0000\""),	 P("\"x\\ud800\""),
};

static const struct value date_bad[] = {
	V("20210701", "type"),
	V("true", "type"),
	V("[\"2021-07-01\"]", "type"),
	V("{}", "type"),
	V("null", "type"),
	V("\"2021-02-30\"", "format"),
	V("\"2021-13-01\"", "format"),
	V("\"2021-00-10\"", "format"),
	V("\"21-07-01\"", "format"),
	V("\"2021-7-1\"", "format"),
	V("\"2021-07-01T00:00:00Z\"", "format"),
	V("\"\"", "format"),
	V("\"01-07-2021\"", "format"),
	V("\"0000-01-01\"", "format"),
	V("\"2021-07-01 \"", "format"),
	V("\"２０２１-07-01\"", "format"),
	P("\"2021-07-01\\u0000\""),
};

static const struct value ref_bad[] = {
	V("\"1\"", "type"),
	V("1.0", "type"),
	V("true", "type"),
	V("{\"id\":1}", "type"),
	V("[1]", "type"),
	V("null", "type"),
	V("0", "range"),
	V("-1", "range"),
	V("-9223372036854775808", "range"),
	V("9223372036854775807", "not_found"),
	V("424242", "not_found"),
	V("9223372036854775808", "range"),
	V("1e400", "range"),
};

static const struct value line_bad[] = {
	V("1", "type"),
	V("\"goal 1\"", "type"),
	V("[]", "type"),
	V("[{\"goal_id\":1}]", "type"),
	V("{}", "type"),
	V("null", "type"),
	V("{\"goal_id\":1,\"programme_id\":1}", "type"),
	V("{\"budget_id\":1}", "type"),
	V("{\"goal_id\":\"1\"}", "type"),
	V("{\"goal_id\":0}", "type"),
	V("{\"goal_id\":-1}", "type"),
	V("{\"goal_id\":1.0}", "type"),
	V("{\"goal_id\":null}", "type"),
	V("{\"goal_id\":{}}", "type"),
	P("{\"goal_id\":1,\"goal_id\":1}"),
	V("{\"goal_id\":9223372036854775808}", "range"),
};

static const struct value enum_bad[] = {
	V("\"WARN\"", "enum"),	V("\"PO\"", "enum"), V("\"\"", "enum"),
	V("\"warn \"", "enum"), V("1", "type"),	     V("[\"warn\"]", "type"),
	V("{}", "type"),	V("null", "type"),
};

static const struct {
	int target;
	const char *field;
	const struct value *values;
	size_t n;
	bool nullable;
} fields[] = {
#define F(t, name, kind, nullable)               \
	{                                        \
		t, name, kind, N(kind), nullable \
	}
	F(T_BUDGET, "municipality_code", text_bad, false),
	F(T_BUDGET, "municipality_name", text_bad, false),
	F(T_BUDGET, "name", text_bad, false),
	F(T_BUDGET, "grant_cents", cents_bad, false),
	F(T_BUDGET, "spend_from", date_bad, false),
	F(T_BUDGET, "spend_until", date_bad, false),
	F(T_BUDGET, "decision_ref", text_bad, true),
	F(T_BUDGET, "overrun_policy", enum_bad, false),
	F(T_GOAL, "budget_id", ref_bad, false),
	F(T_GOAL, "code", text_bad, false),
	F(T_GOAL, "name", text_bad, false),
	F(T_GOAL, "allocated_cents", cents_bad, false),
	F(T_PROGRAMME, "goal_id", ref_bad, false),
	F(T_PROGRAMME, "name", text_bad, false),
	F(T_PROGRAMME, "partner", text_bad, true),
	F(T_PROGRAMME, "owner", text_bad, true),
	F(T_PROGRAMME, "budget_cents", cents_bad, false),
	F(T_PROGRAMME, "starts_on", date_bad, true),
	F(T_PROGRAMME, "ends_on", date_bad, true),
	F(T_PROGRAMME, "decision_ref", text_bad, true),
	F(T_REALLOCATION, "budget_id", ref_bad, false),
	F(T_REALLOCATION, "from", line_bad, false),
	F(T_REALLOCATION, "to", line_bad, false),
	F(T_REALLOCATION, "amount_cents", cents_bad, false),
	F(T_REALLOCATION, "reason", text_bad, false),
	F(T_REALLOCATION, "decision_ref", text_bad, true),
	F(T_REALLOCATION, "decided_on", date_bad, false),
	F(T_SCHOOL, "code", text_bad, false),
	F(T_SCHOOL, "name", text_bad, false),
	F(T_SCHOOL, "sector", enum_bad, false),
	F(T_SCHOOL, "municipality_code", text_bad, false),
	F(T_PLAN, "programme_id", ref_bad, false),
	F(T_PLAN, "school_id", ref_bad, false),
	F(T_PLAN, "school_year", text_bad, false),
	F(T_PLAN, "title", text_bad, false),
	F(T_PLAN, "requested_cents", cents_bad, false),
	F(T_PLAN, "note", text_bad, true),
	F(T_EXPENDITURE, "programme_id", ref_bad, false),
	F(T_EXPENDITURE, "plan_id", ref_bad, true),
	F(T_EXPENDITURE, "amount_cents", cents_bad, false),
	F(T_EXPENDITURE, "spent_on", date_bad, false),
	F(T_EXPENDITURE, "description", text_bad, false),
	F(T_EXPENDITURE, "reference", text_bad, true),
	F(T_PLAN_MOVE, "status", text_bad, false),
	F(T_PLAN_MOVE, "note", text_bad, true),
	F(T_PLAN_MOVE, "approved_cents", cents_bad, false),
	F(T_EXPENDITURE_MOVE, "status", text_bad, false),
	F(T_PROGRAMME_MOVE, "note", text_bad, true),
	F(T_BUDGET_PATCH, "name", text_bad, false),
	F(T_BUDGET_PATCH, "grant_cents", cents_bad, false),
	F(T_BUDGET_PATCH, "spend_until", date_bad, false),
	F(T_BUDGET_PATCH, "overrun_policy", enum_bad, false),
	F(T_GOAL_PATCH, "allocated_cents", cents_bad, false),
	F(T_PROGRAMME_PATCH, "goal_id", ref_bad, false),
	F(T_PROGRAMME_PATCH, "budget_cents", cents_bad, false),
	F(T_PROGRAMME_PATCH, "starts_on", date_bad, true),
	F(T_PLAN_PATCH, "requested_cents", cents_bad, false),
	F(T_PLAN_PATCH, "title", text_bad, false),
	F(T_SCHOOL_PATCH, "sector", enum_bad, false),
	F(T_EXPENDITURE_PATCH, "amount_cents", cents_bad, false),
	F(T_EXPENDITURE_PATCH, "plan_id", ref_bad, true),
#undef F
};

/* The base body of target with field set to raw (JSON text, put in as is). */
static char *body_with(const char *base, const char *field, const char *raw)
{
	json_t *b = json_loads(base, 0, NULL);
	char *rest, *out;

	ck_assert_ptr_nonnull(b);
	json_object_del(b, field);
	rest = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(b);
	ck_assert_ptr_nonnull(rest);
	ck_assert_int_ge(asprintf(&out, "{\"%s\":%s%s%s", field, raw,
				  strcmp(rest, "{}") ? "," : "",
				  strcmp(rest, "{}") ? rest + 1 : "}"),
			 0);
	free(rest);
	return out;
}

static void field_case(int t, const char *field, const char *raw, long status,
		       const char *fcode, const struct fp *before)
{
	const struct target *tg = &targets[t];
	char *body = body_with(tg->base, field, raw);
	char what[512];

	snprintf(what, sizeof(what), "%s %s %s=%.80s", tg->method, tg->path,
		 field, raw);
	expect_problem(what,
		       hreq(tg->method, tg->path, a.write, body, strlen(body),
			    NULL, 0),
		       status,
		       status == 400 ? "malformed_json" : "validation_failed",
		       status == 400 ? NULL : field, fcode);
	free(body);
	fp_check(before, what);
}

START_TEST(wrong_values_for_every_field_kind)
{
	struct fp before;

	fp_take(&before);
	/* each base is valid: the bad value alone is refused */
	for (size_t i = 0; i < N(fields); i++)
		for (size_t k = 0; k < fields[i].n; k++) {
			const struct value *v = &fields[i].values[k];

			if (fields[i].nullable && strcmp(v->raw, "null") == 0)
				continue;
			field_case(fields[i].target, fields[i].field, v->raw,
				   v->status, v->fcode, &before);
		}
	report("field values");
}
END_TEST

static char *json_str_of(size_t n, const char *unit)
{
	size_t lu = strlen(unit);
	char *s = malloc(n * lu + 3), *p = s;

	ck_assert_ptr_nonnull(s);
	*p++ = '"';
	for (size_t i = 0; i < n; i++, p += lu)
		memcpy(p, unit, lu);
	*p++ = '"';
	*p = '\0';
	return s;
}

/* Fields that are not fields, read-only and fixed fields, bounds. */
START_TEST(fields_that_may_not_be_given_and_bounds)
{
	static const struct {
		int target;
		const char *field, *raw;
		size_t repeat; /* > 0: raw is text; the value is a
				* string of repeat copies of it */
		const char *fcode;
	} cases[] = {
		{ T_BUDGET, "id", "7", 0, "read_only" },
		{ T_BUDGET, "version", "1", 0, "read_only" },
		{ T_BUDGET, "created_at", "\"2024-01-01T00:00:00Z\"", 0,
		  "read_only" },
		{ T_BUDGET, "updated_at", "null", 0, "read_only" },
		{ T_BUDGET, "status", "\"approved\"", 0, "unknown_field" },
		{ T_BUDGET, "grant", "1", 0, "unknown_field" },
		{ T_BUDGET, "Name", "\"x\"", 0, "unknown_field" },
		{ T_BUDGET, "name ", "\"x\"", 0, "unknown_field" },
		{ T_BUDGET, "", "1", 0, "unknown_field" },
		{ T_BUDGET, "grant_cents\xC2\xA0", "1", 0, "unknown_field" },
		{ T_BUDGET, "__proto__", "{}", 0, "unknown_field" },
		{ T_BUDGET, "name", "", 1, "required" },
		{ T_BUDGET, "name", "x", 201, "length" },
		{ T_BUDGET, "name", "\xE2\x82\xAC", 201, "length" },
		{ T_BUDGET, "name", "\\u20ac", 201, "length" },
		{ T_BUDGET, "municipality_name", "", 1, "required" },
		{ T_BUDGET, "municipality_code", "GM402", 1, "length" },
		{ T_BUDGET, "municipality_code", "gm0402", 1, "format" },
		{ T_BUDGET, "municipality_code", "GM040\xC3\xA9", 1, "format" },
		{ T_BUDGET, "municipality_code", "GM04'2", 1, "format" },
		{ T_BUDGET, "decision_ref", "x", 501, "length" },
		{ T_BUDGET, "spend_until", "\"2021-06-30\"", 0, "range" },
		{ T_GOAL, "code", "", 1, "required" },
		{ T_GOAL, "code", "1", 17, "length" },
		{ T_PROGRAMME, "status", "\"active\"", 0, "read_only" },
		{ T_PROGRAMME, "budget_id", "1", 0, "read_only" },
		{ T_REALLOCATION, "amount_cents", "0", 0, "range" },
		{ T_REALLOCATION, "reason", "r", 1001, "length" },
		{ T_SCHOOL, "code", "25GH0", 1, "length" },
		{ T_SCHOOL, "code", "25gh00", 1, "format" },
		{ T_SCHOOL, "code", "25GH0A", 1, "format" },
		{ T_PLAN, "school_year", "2024-2026", 1, "format" },
		{ T_PLAN, "school_year", "2024/2025", 1, "format" },
		{ T_PLAN, "approved_cents", "5", 0, "read_only" },
		{ T_PLAN, "status", "\"approved\"", 0, "read_only" },
		{ T_PLAN, "submitted_at", "\"2024-01-01T00:00:00Z\"", 0,
		  "read_only" },
		{ T_PLAN, "note", "n", 2001, "length" },
		{ T_EXPENDITURE, "amount_cents", "0", 0, "range" },
		{ T_EXPENDITURE, "status", "\"paid\"", 0, "read_only" },
		{ T_PLAN_MOVE, "status", "\"APPROVED\"", 0, "enum" },
		{ T_PLAN_MOVE, "status", "\"approved \"", 0, "enum" },
		{ T_PLAN_MOVE, "status", "", 1, "required" },
		{ T_PLAN_MOVE, "status", "s", 33, "length" },
		{ T_PLAN_MOVE, "note", "n", 2001, "length" },
		{ T_PLAN_MOVE, "id", "2", 0, "read_only" },
		{ T_EXPENDITURE_MOVE, "approved_cents", "1", 0,
		  "unknown_field" },
		{ T_PROGRAMME_MOVE, "status", "\"done\"", 0, "enum" },
		{ T_BUDGET_PATCH, "id", "2", 0, "read_only" },
		{ T_BUDGET_PATCH, "version", "99", 0, "read_only" },
		{ T_BUDGET_PATCH, "name", "", 1, "required" },
		{ T_BUDGET_PATCH, "nmae", "\"typo\"", 0, "unknown_field" },
		{ T_GOAL_PATCH, "budget_id", "2", 0, "fixed" },
		{ T_PLAN_PATCH, "status", "\"approved\"", 0, "read_only" },
		{ T_PLAN_PATCH, "approved_cents", "1000", 0, "read_only" },
		{ T_PROGRAMME_PATCH, "budget_id", "2", 0, "read_only" },
	};
	struct fp before;

	fp_take(&before);
	for (size_t i = 0; i < N(cases); i++) {
		char *raw = cases[i].repeat
				    ? json_str_of(cases[i].repeat, cases[i].raw)
				    : strdup(cases[i].raw);

		field_case(cases[i].target, cases[i].field, raw, 422,
			   cases[i].fcode, &before);
		free(raw);
	}
	report("field rules");
}
END_TEST

/* --- sizes ------------------------------------------------------------- */

static char *spaces_body(size_t n)
{
	char *b = malloc(n + 1);

	ck_assert_ptr_nonnull(b);
	memset(b, ' ', n);
	b[0] = '{';
	b[n - 1] = '}';
	b[n] = '\0';
	return b;
}

/* HILVERSUM_BUDGET with the name a string of n copies of unit. */
static char *budget_named(size_t n, const char *unit)
{
	char *name = json_str_of(n, unit),
	     *body = body_with(HILVERSUM_BUDGET, "name", name);

	free(name);
	return body;
}

/*
 * The body limit is 1 MiB (1,048,576 bytes): more is 413 whether it is
 * announced with Content-Length or comes chunked; up to it, the body is
 * parsed. A 1 MB name fits in the limit, so it is refused as too long (422).
 */
START_TEST(sizes_of_bodies_and_strings)
{
	static const char *const lying[] = {
		"POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		"Content-Type: application/json\r\nContent-Length: 10485760\r\n"
		"\r\n{}",
	};
	struct fp before;
	char *b, *name;
	size_t len;
	struct resp *r;

	fp_take(&before);
	b = spaces_body(10 * MIB);
	expect_problem("POST 10 MiB with Content-Length",
		       hreq("POST", "/api/v1/budgets", a.write, b, 10 * MIB,
			    NULL, 0),
		       413, "too_large", NULL, NULL);
	expect_problem("PATCH 10 MiB with Content-Length",
		       hreq("PATCH", "/api/v1/budgets/1", a.write, b, 10 * MIB,
			    NULL, 0),
		       413, "too_large", NULL, NULL);
	expect_problem("POST 1 MiB + 1 with Content-Length",
		       hreq("POST", "/api/v1/budgets", a.write, b, MIB + 1,
			    NULL, 0),
		       413, "too_large", NULL, NULL);
	free(b);
	b = spaces_body(MIB);
	r = hreq("POST", "/api/v1/budgets", a.write, b, MIB, NULL, 0);
	expect_problem("POST exactly 1 MiB (an empty object)", r, 422,
		       "validation_failed", "name", "required");
	free(b);
	expect_problem("POST 10 MiB chunked",
		       hreq("POST", "/api/v1/budgets", a.write, NULL, 0, NULL,
			    10 * MIB),
		       413, "too_large", NULL, NULL);
	expect_problem("POST 1 MiB + 1 chunked",
		       hreq("POST", "/api/v1/budgets", a.write, NULL, 0, NULL,
			    MIB + 1),
		       413, "too_large", NULL, NULL);
	/* "{" and spaces, without the closing brace: parsed, not too large */
	expect_problem("POST exactly 1 MiB chunked",
		       hreq("POST", "/api/v1/budgets", a.write, NULL, 0, NULL,
			    MIB),
		       400, "malformed_json", NULL, NULL);
	expect_problem("10 MiB announced, 2 bytes sent",
		       raw(lying[0], strlen(lying[0])), 413, "too_large", NULL,
		       NULL);
	fp_check(&before, "bodies over the limit");

	b = budget_named(1000 * 1000, "x");
	len = strlen(b);
	ck_assert_uint_lt(len, MIB);
	expect_problem("a 1 MB name in a body under 1 MiB",
		       hreq("POST", "/api/v1/budgets", a.write, b, len, NULL,
			    0),
		       422, "validation_failed", "name", "length");
	free(b);
	name = json_str_of(1000 * 1000, "x");
	ck_assert_int_ge(asprintf(&b, "{\"name\":%s}", name), 0);
	expect_problem("PATCH a 1 MB name",
		       hreq("PATCH", "/api/v1/budgets/1", a.write, b, strlen(b),
			    NULL, 0),
		       422, "validation_failed", "name", "length");
	free(b);
	ck_assert_int_ge(asprintf(&b, "{%s:1}", name), 0);
	expect_problem("a 1 MB unknown key",
		       hreq("POST", "/api/v1/budgets", a.write, b, strlen(b),
			    NULL, 0),
		       422, "validation_failed", NULL, NULL);
	free(b);
	free(name);
	b = budget_named(333 * 1000, "\xE2\x82\xAC");
	expect_problem("a 1 MB name of euro signs",
		       hreq("POST", "/api/v1/budgets", a.write, b, strlen(b),
			    NULL, 0),
		       422, "validation_failed", "name", "length");
	free(b);
	b = budget_named(150 * 1000, "\\u20ac");
	expect_problem("a 900 kB name of \\u20ac escapes",
		       hreq("POST", "/api/v1/budgets", a.write, b, strlen(b),
			    NULL, 0),
		       422, "validation_failed", "name", "length");
	free(b);
	{
		/* 60,000 unknown fields: each named, no time-out, no crash */
		size_t cap = 60000 * 16 + 16, n = 0;
		char *many = malloc(cap);

		ck_assert_ptr_nonnull(many);
		many[n++] = '{';
		for (int i = 0; i < 60000; i++)
			n += (size_t)snprintf(many + n, cap - n, "%s\"k%d\":%d",
					      i ? "," : "", i, i);
		many[n++] = '}';
		many[n] = '\0';
		r = hreq("POST", "/api/v1/budgets", a.write, many, n, NULL, 0);
		if (r->status == 422)
			ck_assert_uint_ge(json_array_size(json_object_get(
						  r->json, "errors")),
					  60000);
		expect_problem("60,000 unknown fields", r, 422,
			       "validation_failed", "k59999", "unknown_field");
		free(many);
	}
	fp_check(&before, "long strings");
	ck_assert(healthy());
	report("sizes");
}
END_TEST

/* --- what libmicrohttpd answers itself --------------------------------- */

/* For answers libmicrohttpd gives before the daemon sees the request: the
 * status only (it allows no problem+json body there). Frees r. */
static void expect_status(const char *what, struct resp *r, long status)
{
	const char *ct = resp_header(r, "Content-Type");

	ncases++;
	if (verbose)
		fprintf(stderr, "# %-60s -> %ld (%s)\n", what, r->status,
			ct ? ct : "no Content-Type");
	if (r->status != status)
		fail_case("%s: got %ld, wanted %ld (%s)", what, r->status,
			  status, short_body(r));
	resp_free(r);
}

static char *repeat(size_t n, char c)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*
 * Headers over the connection's memory (64 KiB) and broken request lines
 * are answered by libmicrohttpd itself (431, 414, 413, 400, 505) with its
 * own HTML and no Content-Type: libmicrohttpd allows no body here (no hook
 * for the application to write problem+json). What matters is the status,
 * that nothing changes and that the daemon goes on serving.
 */
START_TEST(huge_headers_and_broken_requests)
{
	struct fp before;
	char *big = repeat(100 * 1024, 'a'), *req, *extra;
	struct resp *r;
	size_t n = 0, cap = 200 * 1024;

	fp_take(&before);
	ck_assert_int_ge(asprintf(&extra, "X-Big: %s\r\n", big), 0);
	expect_status("a 100 KiB header",
		      raw_line("GET", "/api/v1/budgets", a.read, extra), 431);
	free(extra);
	ck_assert(healthy());
	expect_status("a 100 KiB bearer token",
		      raw_line("GET", "/api/v1/budgets", big, ""), 431);
	ck_assert(healthy());
	ck_assert_int_ge(asprintf(&req, "/api/v1/budgets?x=%s", big), 0);
	expect_status("a 100 KiB URL", raw_line("GET", req, a.read, ""), 414);
	free(req);
	ck_assert(healthy());
	extra = malloc(cap);
	ck_assert_ptr_nonnull(extra);
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(extra + n, cap - n, "X-H%d: v\r\n", i);
	expect_status("10,000 small headers",
		      raw_line("GET", "/api/v1/budgets", a.read, extra), 431);
	free(extra);
	ck_assert(healthy());
	/* a POST with a huge header: nothing is created */
	ck_assert_int_ge(asprintf(&extra,
				  "Content-Type: application/json\r\n"
				  "Content-Length: %zu\r\nX-Big: %s\r\n",
				  strlen(HILVERSUM_BUDGET), big),
			 0);
	ck_assert_int_ge(asprintf(&req,
				  "POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\n"
				  "Authorization: Bearer %s\r\n%s"
				  "Connection: close\r\n\r\n%s",
				  a.write, extra, HILVERSUM_BUDGET),
			 0);
	expect_status("POST with a 100 KiB header", raw(req, strlen(req)), 431);
	free(req);
	free(extra);
	free(big);
	fp_check(&before, "huge headers");

	static const struct {
		const char *what, *req;
		long status;
	} broken[] = {
		{ "a header line without a colon",
		  "GET /api/v1/budgets HTTP/1.1\r\nHost: x\r\nNoColon\r\n"
		  "Connection: close\r\n\r\n",
		  400 },
		/* libmicrohttpd closes without an answer (status 0 here) */
		{ "garbage request line", "GARBAGE\r\n\r\n", 0 },
		{ "HTTP/9.9",
		  "GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
		  505 },
		/* RFC 9112 section 3.2: a server MUST answer 400 */
		{ "HTTP/1.1 without Host",
		  "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", 400 },
		{ "negative Content-Length",
		  "POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: -1\r\nConnection: close\r\n\r\n{}",
		  400 },
		{ "Content-Length over 2^64",
		  "POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 99999999999999999999999\r\n"
		  "Connection: close\r\n\r\n{}",
		  413 },
		{ "bad chunk size",
		  "POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\n"
		  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
		  "zz\r\n{}\r\n0\r\n\r\n",
		  400 },
	};
	for (size_t i = 0; i < N(broken); i++) {
		expect_status(broken[i].what,
			      raw(broken[i].req, strlen(broken[i].req)),
			      broken[i].status);
		fp_check(&before, broken[i].what);
		if (!healthy())
			fail_case("%s: the daemon stopped answering",
				  broken[i].what);
	}
	r = api_req(&a, "GET", "/api/v1/budgets", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	report("headers");
}
END_TEST

/* --- SQL metacharacters are data --------------------------------------- */

static long long count_of(const char *path)
{
	struct resp *r = api_req(&a, "GET", path, a.admin, NULL, NULL);
	long long n;

	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	n = jint(r, "total");
	resp_free(r);
	return n;
}

START_TEST(sql_metacharacters_round_trip)
{
	static const char *const names[] = {
		"'; DROP TABLE budgets; --",
		"Robert'); DELETE FROM audit;--",
		"\" OR 1=1 --",
		"x' OR '1'='1",
		"%_\\' ESCAPE '\\",
		"1; UPDATE budgets SET grant_cents = 0",
		"/* */ UNION SELECT hash FROM tokens --",
		"<script>alert(1)</script>",
		"=HYPERLINK(\"http://evil\")",
		"line\nbreak\ttab\r",
		"\xF0\x9F\x98\x80 \xE2\x80\xA8 \xE2\x80\xA9 \xEF\xBF\xBF",
	};
	long long budgets = count_of("/api/v1/budgets?count=true");
	long long audit = count_of("/api/v1/audit?count=true");
	char path[64];
	struct resp *r;

	for (size_t i = 0; i < N(names); i++) {
		json_t *body = json_loads(HILVERSUM_BUDGET, 0, NULL);
		char *text;
		long long id;

		json_object_set_new(body, "name", json_string(names[i]));
		json_object_set_new(body, "municipality_name",
				    json_string(names[(i + 1) % N(names)]));
		json_object_set_new(body, "decision_ref",
				    json_string(names[(i + 2) % N(names)]));
		text = json_dumps(body, JSON_COMPACT);
		r = post("/api/v1/budgets", text);
		ck_assert_msg(r->status == 201, "%s: %ld %s", names[i],
			      r->status, r->body);
		id = jint(r, "id");
		resp_free(r);
		snprintf(path, sizeof(path), "/api/v1/budgets/%lld", id);
		r = api_req(&a, "GET", path, a.read, NULL, NULL);
		ck_assert_msg(r->status == 200, "GET %s: %ld %s", path,
			      r->status, r->body);
		ck_assert_str_eq(jstr(r, "name"), names[i]);
		ck_assert_str_eq(jstr(r, "municipality_name"),
				 names[(i + 1) % N(names)]);
		ck_assert_str_eq(jstr(r, "decision_ref"),
				 names[(i + 2) % N(names)]);
		resp_free(r);
		/* and through PATCH */
		r = hreq("PATCH", path, a.write, text, strlen(text), NULL, 0);
		ck_assert_msg(r->status == 200, "PATCH %s: %ld %s", path,
			      r->status, r->body);
		resp_free(r);
		free(text);
		json_decref(body);
		/* a goal code and a school name with the same text */
		body = json_pack("{s:I, s:s, s:s, s:i}", "budget_id",
				 (json_int_t)id, "code", "1'--", "name",
				 names[i], "allocated_cents", 1);
		text = json_dumps(body, JSON_COMPACT);
		r = post("/api/v1/goals", text);
		ck_assert_msg(r->status == 201, "goal %s: %ld %s", names[i],
			      r->status, r->body);
		ck_assert_str_eq(jstr(r, "code"), "1'--");
		ck_assert_str_eq(jstr(r, "name"), names[i]);
		resp_free(r);
		free(text);
		json_decref(body);
	}
	/* every row is there, the audit trail is whole, the tables answer */
	ck_assert_int_eq(count_of("/api/v1/budgets?count=true"),
			 budgets + (long long)N(names));
	ck_assert_int_eq(count_of("/api/v1/audit?count=true"),
			 audit + 2 * (long long)N(names));
	ck_assert_int_eq(count_of("/api/v1/goals?count=true"),
			 2 + (long long)N(names));
	/* a PATCH to the same values changes nothing and is not audited */
	ck_assert_int_eq(count_of("/api/v1/audit?count=true&entity=budget"),
			 2 + (long long)N(names));
	ck_assert_int_ge(count_of("/api/v1/schools?count=true"), 1);
	ck_assert_int_ge(count_of("/api/v1/plans?count=true"), 1);
	ck_assert_int_ge(count_of("/api/v1/expenditures?count=true"), 1);
	ck_assert_int_ge(count_of("/api/v1/reallocations?count=true"), 1);
	ck_assert_int_ge(count_of("/api/v1/programmes?count=true"), 1);

	/* filters are exact values, not SQL */
	expect_problem(
		"a filter value with SQL, too long for the field",
		api_req(&a, "GET",
			"/api/v1/budgets?municipality_code=GM0402%27%20OR%20%271%27%3D%271",
			a.read, NULL, NULL),
		400, "bad_query", NULL, NULL);
	r = api_req(&a, "GET", "/api/v1/audit?entity=budget%27%20OR%201%3D1--",
		    a.admin, NULL, NULL);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")),
			  0);
	resp_free(r);
	expect_problem("a query key with SQL",
		       api_req(&a, "GET", "/api/v1/budgets?name%27--=1", a.read,
			       NULL, NULL),
		       400, "bad_query", NULL, NULL);
	expect_problem(
		"fields with SQL",
		api_req(&a, "GET",
			"/api/v1/budgets?fields=name,(SELECT%20hash%20FROM%20tokens)",
			a.read, NULL, NULL),
		400, "bad_query", NULL, NULL);
	expect_problem("limit with SQL",
		       api_req(&a, "GET", "/api/v1/budgets?limit=1%3BDROP",
			       a.read, NULL, NULL),
		       400, "bad_query", NULL, NULL);
	expect_problem("after with SQL",
		       api_req(&a, "GET", "/api/v1/budgets?after=0%20OR%201=1",
			       a.read, NULL, NULL),
		       400, "bad_query", NULL, NULL);
	report("sql");
}
END_TEST

/* Escapes and multi-byte text are stored as the characters they stand for;
 * limits count characters, not bytes. */
START_TEST(unicode_round_trips)
{
	char *b = budget_named(200, "\xE2\x82\xAC"), *want = malloc(601);
	struct resp *r;

	r = post("/api/v1/budgets", b);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	for (int i = 0; i < 200; i++)
		memcpy(want + 3 * i, "\xE2\x82\xAC", 3);
	want[600] = '\0';
	ck_assert_str_eq(jstr(r, "name"), want);
	resp_free(r);
	free(b);
	free(want);
	r = post("/api/v1/budgets",
		 "{\"municipality_code\":\"GM0402\","
		 "\"municipality_name\":\"\\u0048ilversum\","
		 "\"name\":\"\\ud83d\\ude00 \\u00e9\\/\","
		 "\"grant_cents\":0,\"spend_from\":"
		 "\"2021-07-01\",\"spend_until\":\"2021-07-01\"}");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_str_eq(jstr(r, "name"), "\xF0\x9F\x98\x80 \xC3\xA9/");
	ck_assert_str_eq(jstr(r, "municipality_name"), "Hilversum");
	resp_free(r);
}
END_TEST

/* tmpl with every {id} replaced by id. */
static void subst_id(const char *tmpl, long long id, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = tmpl; *p && n + 24 < len;) {
		if (strncmp(p, "{id}", 4) == 0) {
			n += (size_t)snprintf(out + n, len - n, "%lld", id);
			p += 4;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}

/* --- paths ------------------------------------------------------------- */

/*
 * Dot segments, encoded dots and slashes, NUL, doubled slashes: the daemon
 * serves no files, and a path that is not one of the table's answers 404; it
 * never resolves to another resource. Sent byte for byte on a socket (curl
 * would remove dot segments).
 */
START_TEST(tricky_paths_are_404)
{
	static const char *const paths[] = {
		"/api/v1/budgets/1/../2",
		"/api/v1/budgets/2/../1",
		"/api/v1/budgets/..",
		"/api/v1/budgets/../budgets",
		"/api/v1/budgets/.",
		"/api/v1/./budgets",
		"/api/v1/budgets/1/.",
		"/../../../../etc/passwd",
		"/api/v1/../../etc/passwd",
		"/api/v1/openapi.yaml/../../npo.db",
		"/healthz/../api/v1/audit",
		"/api/v1/budgets/%2e%2e",
		"/api/v1/budgets/%2E%2E/1",
		"/api/v1/budgets/1/%2e%2e/2",
		"/api/v1/%2e%2e/%2e%2e/etc/passwd",
		"/%2e%2e/%2e%2e/etc/passwd",
		"/api/v1/budgets%2F1",
		"/api/v1/budgets%2f1",
		"/api/v1/budgets%2F1%2Fstatus",
		"/api/v1/budgets/1%2Fstatus",
		"/api%2Fv1%2Fbudgets",
		"/api/v1/budgets%00",
		"/api/v1/budgets/1%00",
		"/api/v1/budgets/1%00/status",
		"/api/v1/openapi.yaml%00.html",
		"/api/v1/status%00.csv",
		"%00",
		"/%00",
		"//api/v1/budgets",
		"/api/v1//budgets",
		"/api/v1/budgets//1",
		"/api//v1/budgets/1",
		"//",
		"/api/v1/budgets/",
		"/api/v1/budgets/1/",
		"/api/v1/budgets/01",
		"/api/v1/budgets/+1",
		"/api/v1/budgets/-1",
		"/api/v1/budgets/1.0",
		"/api/v1/budgets/0x1",
		"/api/v1/budgets/1e0",
		"/api/v1/budgets/%201",
		"/api/v1/budgets/1%20",
		"/api/v1/budgets/9223372036854775808",
		"/api/v1/budgets/18446744073709551617",
		"/api/v1/budgets/1;x",
		"/api/v1/budgets/1,2",
		"/api/v1/BUDGETS",
		"/API/V1/budgets",
		"/api/v1/budgets\\1",
		"/api/v1\\budgets",
		"/docs/openapi.yaml",
		"/npo.db",
		"/server/main.c",
		"/migrations/0001_init.sql",
		"/.git/config",
		"http://evil.example/api/v1/budgetsx",
		"*",
	};
	struct fp before;
	char what[128];

	fp_take(&before);
	for (size_t i = 0; i < N(paths); i++) {
		snprintf(what, sizeof(what), "GET %s", paths[i]);
		expect_problem(what, raw_line("GET", paths[i], a.read, ""), 404,
			       "not_found", NULL, NULL);
	}
	/* the same tricks on writes, each on a new empty budget {id}: nothing
	 * is deleted, changed or made */
	static const char *const writes[][2] = {
		{ "DELETE", "/api/v1/budgets%2F{id}" },
		{ "DELETE", "/api/v1/budgets%2f{id}" },
		{ "DELETE", "/api/v1/budgets/{id}%00" },
		{ "DELETE", "/api/v1/budgets/{id}%00/status" },
		{ "DELETE", "/api/v1/budgets/1/../{id}" },
		{ "DELETE", "/api/v1/budgets/{id}/../{id}" },
		{ "DELETE", "/api/v1/budgets/%2e%2e/budgets/{id}" },
		{ "DELETE", "//api/v1/budgets/{id}" },
		{ "DELETE", "/api/v1/budgets/{id}/" },
		{ "PATCH", "/api/v1/budgets%2F{id}" },
		{ "PATCH", "/api/v1/budgets/{id}%00" },
		{ "PATCH", "/api/v1/budgets/{id}/." },
		{ "POST", "/api/v1/budgets%00" },
		{ "POST", "/api/v1/budgets%00/{id}" },
		{ "POST", "/api/v1/budgets/" },
		{ "POST", "/api/v1/budgets/." },
		{ "POST", "/api%2Fv1%2Fbudgets" },
	};
	for (size_t i = 0; i < N(writes); i++) {
		struct resp *r = post("/api/v1/budgets", HUIZEN_BUDGET);
		char path[96];

		ck_assert_int_eq(r->status, 201);
		/* every {id} is the new budget */
		subst_id(writes[i][1], jint(r, "id"), path, sizeof(path));
		resp_free(r);
		fp_take(&before);
		snprintf(what, sizeof(what), "%s %s", writes[i][0], path);
		expect_problem(what,
			       raw_body(writes[i][0], path, a.write,
					strcmp(writes[i][0], "POST")
						? "{\"name\":\"moved\"}"
						: HUIZEN_BUDGET),
			       404, "not_found", NULL, NULL);
		fp_check(&before, what);
	}
	report("paths");
}
END_TEST

/* --- methods ----------------------------------------------------------- */

/* Methods the daemon does not know: 405 with Allow on a known path, 404 on
 * another; libmicrohttpd hands every method through. */
START_TEST(unknown_methods)
{
	static const struct {
		const char *method, *path;
		long status;
		const char *allow;
	} cases[] = {
		{ "BREW", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "PROPFIND", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "TRACE", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "CONNECT", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "MKCOL", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "get", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "Post", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "PUT", "/api/v1/budgets", 405, "GET, HEAD, POST" },
		{ "BREW", "/api/v1/budgets/1", 405,
		  "GET, HEAD, PATCH, DELETE" },
		{ "TRACE", "/api/v1/budgets/1", 405,
		  "GET, HEAD, PATCH, DELETE" },
		{ "PUT", "/api/v1/budgets/1", 405, "GET, HEAD, PATCH, DELETE" },
		{ "PROPFIND", "/api/v1/plans/1/status", 405, "POST" },
		{ "GET", "/api/v1/plans/1/status", 405, "POST" },
		{ "DELETE", "/api/v1/reallocations/1", 405, "GET, HEAD" },
		{ "PATCH", "/api/v1/reallocations/1", 405, "GET, HEAD" },
		{ "DELETE", "/api/v1/audit", 405, "GET, HEAD" },
		{ "POST", "/api/v1/audit", 405, "GET, HEAD" },
		{ "TRACE", "/healthz", 405, "GET, HEAD" },
		{ "CONNECT", "/healthz", 405, "GET, HEAD" },
		{ "BREW", "/nope", 404, NULL },
		{ "PROPFIND", "/", 405, "GET, HEAD" },
		{ "TRACE", "/api/v1/budgets/1/../1", 404, NULL },
	};
	struct fp before;
	char what[128];
	char *long_method = repeat(1000, 'X');

	fp_take(&before);
	for (size_t i = 0; i < N(cases); i++) {
		struct resp *r = raw_line(cases[i].method, cases[i].path,
					  a.write, "Content-Length: 0\r\n");
		const char *allow = resp_header(r, "Allow");

		snprintf(what, sizeof(what), "%s %s", cases[i].method,
			 cases[i].path);
		if (cases[i].allow &&
		    (!allow || strcmp(allow, cases[i].allow) != 0) &&
		    r->status == cases[i].status)
			fail_case("%s: Allow is %s, wanted %s", what,
				  allow ? allow : "missing", cases[i].allow);
		expect_problem(what, r, cases[i].status,
			       cases[i].status == 405 ? "method_not_allowed"
						      : "not_found",
			       NULL, NULL);
		fp_check(&before, what);
	}
	expect_problem("a 1000-letter method",
		       raw_line(long_method, "/api/v1/budgets", a.write, ""),
		       405, "method_not_allowed", NULL, NULL);
	free(long_method);
	/* OPTIONS without a configured origin: the methods, no body */
	{
		struct resp *r =
			raw_line("OPTIONS", "/api/v1/budgets/1", NULL, "");

		ck_assert_int_eq(r->status, 204);
		ck_assert_str_eq(resp_header(r, "Allow"),
				 "GET, HEAD, PATCH, DELETE, OPTIONS");
		resp_free(r);
	}
	fp_check(&before, "methods");
	report("methods");
}
END_TEST

/* --- roles and tokens -------------------------------------------------- */

/* The route's path for row 1, or the token called writer. */
static void route_path(const struct route *rt, char *out, size_t len)
{
	const char *id = strstr(rt->path, "{id}");
	const char *name = strstr(rt->path, "{name}");

	if (id)
		snprintf(out, len, "%.*s1%s", (int)(id - rt->path), rt->path,
			 id + 4);
	else if (name)
		snprintf(out, len, "%.*swriter%s", (int)(name - rt->path),
			 rt->path, name + 6);
	else
		snprintf(out, len, "%s", rt->path);
}

static bool is_write(const struct route *rt)
{
	return strcmp(rt->method, "GET") != 0;
}

/*
 * Every write route of the route table, tried with a token too low for it:
 * 403 forbidden (a valid token with too low a role), and nothing changes.
 * A read token may come in ?access_token= (it is still too low: 403); a
 * write or admin token may not (401 token_in_query), nor can no token write.
 */
START_TEST(every_write_route_refuses_lower_roles)
{
	struct fp before;
	char path[256], qpath[512], what[512];
	size_t nwrites = 0, nadmin = 0;

	fp_take(&before);
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *rt = &api_routes[i];
		const char *body = strcmp(rt->method, "DELETE") ? "{}" : NULL;
		size_t blen = body ? strlen(body) : 0;

		route_path(rt, path, sizeof(path));
		if (is_write(rt)) {
			nwrites++;
			if (rt->role < ROLE_WRITE)
				fail_case("%s %s: a write route with role %d",
					  rt->method, rt->path, rt->role);
			snprintf(what, sizeof(what), "read token: %s %s",
				 rt->method, path);
			expect_problem(what,
				       hreq(rt->method, path, a.read, body,
					    blen, NULL, 0),
				       403, "forbidden", NULL, NULL);
			snprintf(what, sizeof(what), "no token: %s %s",
				 rt->method, path);
			expect_problem(what,
				       hreq(rt->method, path, NULL, body, blen,
					    NULL, 0),
				       401, "no_token", NULL, NULL);
			snprintf(qpath, sizeof(qpath), "%s?access_token=%s",
				 path, a.read);
			snprintf(what, sizeof(what),
				 "read token in the query: %s %s", rt->method,
				 path);
			expect_problem(what,
				       hreq(rt->method, qpath, NULL, body, blen,
					    NULL, 0),
				       403, "forbidden", NULL, NULL);
			snprintf(qpath, sizeof(qpath), "%s?access_token=%s",
				 path, a.write);
			snprintf(what, sizeof(what),
				 "write token in the query: %s %s", rt->method,
				 path);
			expect_problem(what,
				       hreq(rt->method, qpath, NULL, body, blen,
					    NULL, 0),
				       401, "token_in_query", NULL, NULL);
			snprintf(what, sizeof(what),
				 "read token, invalid body: %s %s", rt->method,
				 path);
			expect_problem(what,
				       hreq(rt->method, path, a.read, "{", 1,
					    NULL, 0),
				       403, "forbidden", NULL, NULL);
			fp_check(&before, what);
		}
		if (rt->role == ROLE_ADMIN) {
			nadmin++;
			snprintf(what, sizeof(what), "write token: %s %s",
				 rt->method, path);
			expect_problem(what,
				       hreq(rt->method, path, a.write, NULL, 0,
					    NULL, 0),
				       403, "forbidden", NULL, NULL);
			snprintf(what, sizeof(what), "read token: %s %s",
				 rt->method, path);
			expect_problem(what,
				       hreq(rt->method, path, a.read, NULL, 0,
					    NULL, 0),
				       403, "forbidden", NULL, NULL);
			snprintf(qpath, sizeof(qpath), "%s?access_token=%s",
				 path, a.admin);
			snprintf(what, sizeof(what),
				 "admin token in the query: %s %s", rt->method,
				 path);
			expect_problem(what,
				       hreq(rt->method, qpath, NULL, NULL, 0,
					    NULL, 0),
				       401, "token_in_query", NULL, NULL);
		}
	}
	/* 3 per CRUD resource, 1 for reallocations, 3 status moves */
	ck_assert_uint_ge(nwrites, 6 * 3 + 1 + 3);
	ck_assert_uint_ge(nadmin, 1);
	fp_check(&before, "roles");
	report("roles");
}
END_TEST

/* Tokens with spaces, newlines, NULs or of absurd length are unknown
 * tokens (401), never a crash and never someone else's. */
START_TEST(hostile_tokens_are_401)
{
	char *long_token = repeat(10 * 1024, 'a'), *h;
	struct fp before;
	char tok[256];

	fp_take(&before);
	snprintf(tok, sizeof(tok), "%.*s %s", 10, a.read, a.read + 10);
	expect_problem("a space inside the token",
		       hreq("GET", "/api/v1/budgets", tok, NULL, 0, NULL, 0),
		       401, "bad_token", NULL, NULL);
	snprintf(tok, sizeof(tok), "%s x", a.read);
	expect_problem("a token and a word",
		       hreq("GET", "/api/v1/budgets", tok, NULL, 0, NULL, 0),
		       401, "bad_token", NULL, NULL);
	snprintf(tok, sizeof(tok), "%s%s", a.read, a.read);
	expect_problem("the token twice",
		       hreq("GET", "/api/v1/budgets", tok, NULL, 0, NULL, 0),
		       401, "bad_token", NULL, NULL);
	snprintf(tok, sizeof(tok), "%.*s", AUTH_TOKEN_LEN - 1, a.read);
	expect_problem("the token less its last letter",
		       hreq("GET", "/api/v1/budgets", tok, NULL, 0, NULL, 0),
		       401, "bad_token", NULL, NULL);
	expect_problem("a 10 KiB token",
		       hreq("GET", "/api/v1/budgets", long_token, NULL, 0, NULL,
			    0),
		       401, "bad_token", NULL, NULL);
	ck_assert_int_ge(
		asprintf(&h, "/api/v1/budgets?access_token=%s", long_token), 0);
	expect_problem("a 10 KiB token in the query",
		       hreq("GET", h, NULL, NULL, 0, NULL, 0), 401, "bad_token",
		       NULL, NULL);
	free(h);
	expect_problem("a 10 KiB token, POST",
		       hreq("POST", "/api/v1/budgets", long_token,
			    HILVERSUM_BUDGET, strlen(HILVERSUM_BUDGET), NULL,
			    0),
		       401, "bad_token", NULL, NULL);
	static const char *const headers[] = {
		"Authorization: Bearer",
		"Authorization: Bearer      ",
		"Authorization: Bearer\t%s",
		"Authorization: Basic %s",
		"Authorization: %s",
		"Authorization: Bearer \"%s\"",
		"Authorization: Bearer %s\xC3\xA9",
		"Authorization: Bearer \xFF\xFE",
	};
	for (size_t i = 0; i < N(headers); i++) {
		const char *extra[2] = { tok, NULL };

		snprintf(tok, sizeof(tok), headers[i], a.write);
		expect_problem(headers[i],
			       hreq("POST", "/api/v1/budgets", NULL,
				    HILVERSUM_BUDGET, strlen(HILVERSUM_BUDGET),
				    extra, 0),
			       401, "bad_token", NULL, NULL);
	}
	/* on the wire: a folded header, a bare LF, a NUL */
	snprintf(tok, sizeof(tok), "Authorization: Bearer %s\r\n x\r\n",
		 a.admin);
	/* libmicrohttpd drops a folded header: the daemon sees none */
	expect_problem("token, folded onto a second line",
		       raw_line("GET", "/api/v1/audit", NULL, tok), 401,
		       "no_token", NULL, NULL);
	snprintf(tok, sizeof(tok), "Authorization: Bearer \r\n %s\r\n",
		 a.admin);
	expect_problem("folded: the token alone on the second line",
		       raw_line("GET", "/api/v1/audit", NULL, tok), 401,
		       "no_token", NULL, NULL);
	snprintf(tok, sizeof(tok), "/api/v1/budgets?access_token=%.*s%%0A%s",
		 10, a.read, a.read + 10);
	expect_problem("a newline inside a query token",
		       raw_line("GET", tok, NULL, ""), 401, "bad_token", NULL,
		       NULL);
	snprintf(tok, sizeof(tok), "/api/v1/budgets?access_token=%%20%s",
		 a.read);
	expect_problem("a space before a query token",
		       raw_line("GET", tok, NULL, ""), 401, "bad_token", NULL,
		       NULL);
	expect_problem("an empty query token",
		       raw_line("GET", "/api/v1/budgets?access_token=", NULL,
				""),
		       401, "bad_token", NULL, NULL);
	{
		/* a NUL inside the header value: cut off or refused, never
		 * the token before it */
		char req[512];
		int n = snprintf(req, sizeof(req),
				 "GET /api/v1/audit HTTP/1.1\r\nHost: x\r\n"
				 "Authorization: Bearer %s",
				 a.read);
		struct resp *r;

		req[n++] = '\0';
		n += snprintf(req + n, sizeof(req) - (size_t)n,
			      "%s\r\nConnection: close\r\n\r\n", a.admin);
		r = raw(req, (size_t)n);
		ncases++;
		/* libmicrohttpd 0.9.75 cuts the value at the NUL: the read
		 * token before it is used (403 on the admin route). Harmless,
		 * as that token must be valid itself; 200 must not happen. */
		if (r->status == 200)
			fail_case("NUL in Authorization: answered 200 to %s",
				  "the admin route");
		if (verbose)
			fprintf(stderr, "# %-60s -> %ld %s\n",
				"a NUL inside the Authorization header",
				r->status, jstr(r, "code"));
		resp_free(r);
	}
	fp_check(&before, "tokens");
	ck_assert(healthy());
	free(long_token);
	report("tokens");
}
END_TEST

/* --- slow clients ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True when the daemon has closed fd (EOF or reset); reads and drops what
 * it may have answered first. Waits up to ms. */
static bool closed_by_peer(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[4096];
	ssize_t n;

	while (poll(&p, 1, ms) > 0) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
		if (n < 0)
			return false;
	}
	return false;
}

/*
 * A client that announces 100 bytes and sends one a second must not hold
 * its connection: with a 2 s timeout it is cut within about the timeout +
 * 2 s. While it trickles, other clients are served at once.
 */
START_TEST(slow_client_is_cut_and_others_are_served)
{
	static const char head[] =
		"POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\n"
		"Content-Length: 100\r\n\r\n{";
	double start, cut = -1, worst = 0;
	int fd, served = 0, sent = 1;
	struct fp before;

	api_halt(&a);
	a.cfg.timeout_s = 2;
	api_start(&a);
	fp_take(&before);
	fd = connect_daemon();
	ck_assert_int_eq(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL),
			 (ssize_t)sizeof(head) - 1);
	start = now_s();
	/* one byte a second, for at most timeout + 6 s */
	while (now_s() - start < a.cfg.timeout_s + 6.0) {
		double tick = now_s();
		int here = 0;

		/* 10 in each of the first two seconds, inside the timeout */
		while (served < 20 && here++ < 10 && now_s() - tick < 0.5) {
			double t0 = now_s();
			struct resp *r = api_req(&a, "GET", "/api/v1/budgets",
						 a.read, NULL, NULL);
			double took = now_s() - t0;

			ck_assert_int_eq(r->status, 200);
			resp_free(r);
			if (took > worst)
				worst = took;
			served++;
		}
		if (closed_by_peer(fd, (int)((1.0 - (now_s() - tick)) * 1000) +
					       1)) {
			cut = now_s() - start;
			break;
		}
		if (send(fd, " ", 1, MSG_NOSIGNAL) != 1) {
			cut = now_s() - start;
			break;
		}
		sent++;
	}
	close(fd);
	if (verbose)
		fprintf(stderr,
			"# slow client: %d bytes sent, cut after %.1f s; "
			"%d requests, slowest %.3f s\n",
			sent, cut, served, worst);
	ck_assert_int_eq(served, 20);
	ck_assert_msg(worst < 1.0,
		      "a request took %.3f s while a client "
		      "trickled",
		      worst);
	ck_assert_msg(cut >= 0,
		      "the daemon did not cut a client that sent one byte a "
		      "second (%d bytes in %.0f s, timeout %u s)",
		      sent, now_s() - start, a.cfg.timeout_s);
	ck_assert_msg(cut <= a.cfg.timeout_s + 2.5,
		      "the trickling client was cut only after %.1f s", cut);
	fp_check(&before, "slow client");
	report("slow client");
}
END_TEST

/* A client that sends nothing after its headers is cut after the timeout. */
START_TEST(idle_client_is_cut)
{
	static const char head[] =
		"POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\n"
		"Content-Length: 100\r\n\r\n{";
	double start;
	int fd;

	api_halt(&a);
	a.cfg.timeout_s = 2;
	api_start(&a);
	fd = connect_daemon();
	ck_assert_int_eq(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL),
			 (ssize_t)sizeof(head) - 1);
	start = now_s();
	ck_assert(closed_by_peer(fd, 8000));
	ck_assert_double_le(now_s() - start, a.cfg.timeout_s + 2.0);
	close(fd);
	ck_assert(healthy());
}
END_TEST

/* --- HTTP at its edges ---------------------------------------------------- */

/* The bytes of a HEAD to target followed by a GET /healthz on one
 * keep-alive connection: the second answer must begin right after the
 * first one's header block. */
START_TEST(head_never_has_a_body)
{
	static const char *const heads[] = {
		"/api/v1/budgets?format=csv",
		"/api/v1/expenditures?format=csv&dialect=excel-nl",
		"/api/v1/status?format=csv",
		"/api/v1/budgets/1/status?format=csv",
		"/api/v1/budgets",
		"/api/v1/budgets/1",
		"/api/v1/budgets/1/status",
		"/api/v1/budgets/1/overview.xlsx",
		"/api/v1/openapi.yaml",
		"/healthz",
		"/api/v1/nothing",
	};

	for (size_t i = 0; i < N(heads); i++) {
		char *req;
		struct resp *r, *g;
		const char *cl;
		int n;

		n = asprintf(&req,
			     "HEAD %s HTTP/1.1\r\nHost: x\r\n"
			     "Authorization: Bearer %s\r\n\r\n"
			     "GET /healthz HTTP/1.1\r\nHost: x\r\n"
			     "Connection: close\r\n\r\n",
			     heads[i], a.read);
		ck_assert_int_ge(n, 0);
		r = raw(req, (size_t)n);
		free(req);
		ncases++;
		if (strncmp(r->body, "HTTP/1.1 200", 12) != 0) {
			fail_case(
				"HEAD %s: the next answer does not follow its "
				"header block: %.40s",
				heads[i], r->body);
			resp_free(r);
			continue;
		}
		/* the length GET would send, or none (RFC 9110 9.3.2) */
		cl = resp_header(r, "Content-Length");
		g = hreq("GET", heads[i], a.read, NULL, 0, NULL, 0);
		if (cl && strtoull(cl, NULL, 10) != g->len)
			fail_case("HEAD %s: Content-Length %s, GET sends %zu",
				  heads[i], cl, g->len);
		resp_free(g);
		resp_free(r);
	}
	report("HEAD");
}
END_TEST

START_TEST(repeated_query_parameters_are_400)
{
	static const char *const paths[] = {
		"/api/v1/budgets?format=csv&format=json",
		"/api/v1/budgets?format=csv&format=csv",
		"/api/v1/budgets?dialect=excel-nl&dialect=rfc4180",
		"/api/v1/budgets/1/status?as_of=2024-01-01&as_of=2025-01-01",
		"/api/v1/budgets/1/status?format=json&format=csv",
		"/api/v1/status?dialect=excel-nl&dialect=excel-nl",
		"/api/v1/status?as_of=2024-01-01&as_of=2024-01-01",
		"/api/v1/budgets/1/status?year=2024&year=2023",
		"/api/v1/budgets?limit=1&limit=2",
		"/api/v1/goals?budget_id=1&budget_id=2",
		"/api/v1/goals?fields=id&fields=code",
		"/api/v1/budgets?access_token=x&format=csv&access_token=y",
	};

	for (size_t i = 0; i < N(paths); i++)
		expect_problem(paths[i],
			       hreq("GET", paths[i], a.read, NULL, 0, NULL, 0),
			       400, "bad_query", NULL, NULL);
	report("repeated parameters");
}
END_TEST

START_TEST(authorization_header_edges)
{
	char extra[256];
	struct fp before;
	struct resp *r;

	fp_take(&before);
	/* two: 400, whichever they are */
	snprintf(extra, sizeof(extra), "Authorization: Bearer %s\r\n", a.read);
	expect_problem("two Authorization headers, the same",
		       raw_line("GET", "/api/v1/budgets", a.read, extra), 400,
		       "bad_header", NULL, NULL);
	snprintf(extra, sizeof(extra), "Authorization: Bearer %s\r\n", a.write);
	expect_problem("two Authorization headers, read then write",
		       raw_line("DELETE", "/api/v1/budgets/2", a.read, extra),
		       400, "bad_header", NULL, NULL);
	snprintf(extra, sizeof(extra), "authorization: Bearer nonsense\r\n");
	expect_problem("two Authorization headers, in other cases",
		       raw_line("GET", "/api/v1/budgets", a.read, extra), 400,
		       "bad_header", NULL, NULL);
	fp_check(&before, "two Authorization headers");
	/* blanks around the value are not part of it */
	static const char *const around[][2] = {
		{ "", " " },	 { "", "\t" }, { "", "  \t " },
		{ "\t", " \t" }, { " ", " " },
	};
	for (size_t i = 0; i < N(around); i++) {
		char tok[AUTH_TOKEN_LEN + 16];

		snprintf(tok, sizeof(tok), "%s%s%s", around[i][0], a.read,
			 around[i][1]);
		r = raw_line("GET", "/api/v1/budgets", tok, "");
		ncases++;
		if (r->status != 200)
			fail_case("a token with blanks around (%zu): %ld %s", i,
				  r->status, short_body(r));
		resp_free(r);
	}
	report("Authorization");
}
END_TEST

START_TEST(if_match_compares_strongly)
{
	static const char body[] = "{\"name\":\"NPO 2\"}";
	const char *weak[] = { "If-Match: W/\"1\"", NULL };
	const char *weak_list[] = { "If-Match: \"7\", W/\"1\"", NULL };
	const char *strong[] = { "If-Match: \"1\"", NULL };
	const char *inm_weak[] = { "If-None-Match: W/\"2\"", NULL };
	struct resp *r;

	expect_problem("If-Match: W/\"1\"",
		       hreq("PATCH", "/api/v1/budgets/1", a.write, body,
			    strlen(body), weak, 0),
		       412, "version_mismatch", NULL, NULL);
	expect_problem("If-Match: \"7\", W/\"1\"",
		       hreq("PATCH", "/api/v1/budgets/1", a.write, body,
			    strlen(body), weak_list, 0),
		       412, "version_mismatch", NULL, NULL);
	r = hreq("PATCH", "/api/v1/budgets/1", a.write, body, strlen(body),
		 strong, 0);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	resp_free(r);
	/* If-None-Match compares weakly: W/"2" names version 2 */
	r = hreq("GET", "/api/v1/budgets/1", a.read, NULL, 0, inm_weak, 0);
	ck_assert_int_eq(r->status, 304);
	resp_free(r);
	report("If-Match");
}
END_TEST

START_TEST(content_length_past_int64_is_413_at_once)
{
	static const char *const lengths[] = {
		"18446744073709551615",
		"9223372036854775808",
		"9223372036854775807",
	};

	for (size_t i = 0; i < N(lengths); i++) {
		char *req;
		double start = now_s();
		int n = asprintf(&req,
				 "POST /api/v1/budgets HTTP/1.1\r\nHost: x\r\n"
				 "Authorization: Bearer %s\r\n"
				 "Content-Type: application/json\r\n"
				 "Content-Length: %s\r\n"
				 "Connection: close\r\n\r\n{}",
				 a.write, lengths[i]);

		ck_assert_int_ge(n, 0);
		expect_problem(lengths[i], raw(req, (size_t)n), 413,
			       "too_large", NULL, NULL);
		free(req);
		if (now_s() - start > 2.0)
			fail_case("Content-Length %s: answered after %.1f s",
				  lengths[i], now_s() - start);
	}
	report("Content-Length");
}
END_TEST

START_TEST(long_urls_and_headers_are_problems)
{
	char *big = repeat(20 * 1024, 'a'), *target, *extra;

	ck_assert_int_ge(asprintf(&target, "/api/v1/budgets?x=%s", big), 0);
	expect_problem("a 20 KiB URL", raw_line("GET", target, a.read, ""), 414,
		       "uri_too_long", NULL, NULL);
	ck_assert_int_ge(asprintf(&extra, "X-Big: %s%s\r\n", big, big), 0);
	expect_problem("40 KiB of headers",
		       raw_line("GET", "/api/v1/budgets", a.read, extra), 431,
		       "headers_too_large", NULL, NULL);
	free(extra);
	free(target);
	free(big);
	/* what still fits is answered as ever */
	big = repeat(6 * 1024, 'a');
	ck_assert_int_ge(asprintf(&target, "/api/v1/budgets?x=%s", big), 0);
	expect_problem("a 6 KiB URL", raw_line("GET", target, a.read, ""), 400,
		       "bad_query", NULL, NULL);
	free(target);
	free(big);
	report("long requests");
}
END_TEST

START_TEST(a_deleted_database_refuses_writes)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct resp *r;
	char path[160];

	r = api_req(&a, "GET", "/readyz", NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	for (size_t i = 0; i < N(suffixes); i++) {
		snprintf(path, sizeof(path), "%s%s", a.db_path, suffixes[i]);
		ck_assert_msg(unlink(path) == 0, "%s: %s", path,
			      strerror(errno));
	}
	expect_problem("a write after the file was deleted",
		       post("/api/v1/budgets", HILVERSUM_BUDGET), 503,
		       "database_gone", NULL, NULL);
	expect_problem("/readyz after the file was deleted",
		       api_req(&a, "GET", "/readyz", NULL, NULL, NULL), 503,
		       "not_ready", NULL, NULL);
	/* a new file at the path is not the one open either */
	snprintf(path, sizeof(path), "%s", a.db_path);
	fclose(fopen(path, "w"));
	expect_problem("a write after the file was replaced",
		       post("/api/v1/budgets", HILVERSUM_BUDGET), 503,
		       "database_gone", NULL, NULL);
	report("deleted database");
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bodies_that_are_not_json_objects);
	tcase_add_test(tc, malformed_json_names_where);
	tcase_add_test(tc, deep_nesting_is_refused);
	tcase_add_test(tc, wrong_values_for_every_field_kind);
	tcase_add_test(tc, fields_that_may_not_be_given_and_bounds);
	tcase_add_test(tc, sizes_of_bodies_and_strings);
	tcase_add_test(tc, huge_headers_and_broken_requests);
	tcase_add_test(tc, sql_metacharacters_round_trip);
	tcase_add_test(tc, unicode_round_trips);
	tcase_add_test(tc, tricky_paths_are_404);
	tcase_add_test(tc, unknown_methods);
	tcase_add_test(tc, every_write_route_refuses_lower_roles);
	tcase_add_test(tc, hostile_tokens_are_401);
	tcase_add_test(tc, slow_client_is_cut_and_others_are_served);
	tcase_add_test(tc, idle_client_is_cut);
	tcase_add_test(tc, head_never_has_a_body);
	tcase_add_test(tc, repeated_query_parameters_are_400);
	tcase_add_test(tc, authorization_header_edges);
	tcase_add_test(tc, if_match_compares_strongly);
	tcase_add_test(tc, content_length_past_int64_is_413_at_once);
	tcase_add_test(tc, long_urls_and_headers_are_problems);
	tcase_add_test(tc, a_deleted_database_refuses_writes);
}

CHECK_MAIN("hostile")
