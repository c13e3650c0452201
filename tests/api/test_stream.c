/*
 * Streamed CSV: a large list arrives whole with flat memory, and a stream
 * whose database fails half-way is cut off, never ended as if complete.
 */
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check_main.h"
#include "harness.h"

static struct api a;

static void setup(void)
{
	api_init(&a);
}
static void teardown(void)
{
	api_down(&a);
}

/* Fills the stopped daemon's database with n expenditures in one go. */
static void fill(int n)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *e = NULL;

	ck_assert_int_eq(sqlite3_open(a.db_path, &db), SQLITE_OK);
	ck_assert_msg(
		sqlite3_exec(
			db,
			"BEGIN;"
			"INSERT INTO budgets (created_at, updated_at,"
			" municipality_code, municipality_name, name,"
			" grant_cents, spend_from, spend_until)"
			" VALUES ('t', 't', 'GM0406', 'Huizen', 'NPO',"
			" 68390100, '2021-07-01', '2025-07-31');"
			"INSERT INTO goals (created_at, updated_at, budget_id,"
			" code, name, allocated_cents)"
			" VALUES ('t', 't', 1, '1', 'Doel', 68390100);"
			"INSERT INTO programmes (created_at, updated_at,"
			" goal_id, budget_id, name, budget_cents)"
			" VALUES ('t', 't', 1, 1, 'Programma', 68390100);",
			NULL, NULL, &e) == SQLITE_OK,
		"%s", e);
	ck_assert_int_eq(
		sqlite3_prepare_v2(
			db,
			"INSERT INTO expenditures (created_at,"
			" updated_at, programme_id, amount_cents,"
			" spent_on, description, status)"
			" VALUES ('2024-01-01T00:00:00Z',"
			" '2024-01-01T00:00:00Z', 1, ?, '2024-01-15',"
			" 'Declaratie met een wat langere omschrijving',"
			" 'paid')",
			-1, &st, NULL),
		SQLITE_OK);
	for (int i = 1; i <= n; i++) {
		sqlite3_bind_int(st, 1, i);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	/* the last close checkpoints: every row is in the main file */
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

struct sink {
	size_t bytes, lines;
	char tail[512]; /* the last bytes seen, NUL-terminated */
	bool sabotage;	/* truncate the database after the first chunk */
	bool done_it;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	for (size_t i = 0; i < len; i++)
		s->lines += p[i] == '\n';
	s->bytes += len;
	if (len >= sizeof(s->tail) - 1) {
		memcpy(s->tail, p + len - (sizeof(s->tail) - 1),
		       sizeof(s->tail) - 1);
	} else {
		size_t keep = sizeof(s->tail) - 1 - len;

		memmove(s->tail, s->tail + len, keep);
		memcpy(s->tail + keep, p, len);
	}
	if (s->sabotage && !s->done_it) {
		/* the disk under the database goes away mid-stream */
		ck_assert_int_eq(truncate(a.db_path, 4096), 0);
		s->done_it = true;
	}
	return len;
}

static long max_rss_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* GETs the CSV of all expenditures into s; returns curl's result. */
static CURLcode get_csv(struct sink *s, long *status)
{
	char url[256];
	CURLcode rc;
	CURL *h = curl_easy_init();

	snprintf(url, sizeof(url),
		 "%s/api/v1/expenditures?format=csv&access_token=%s", a.base,
		 a.read);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 16384L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	return rc;
}

START_TEST(a_large_csv_streams_whole_with_flat_memory)
{
	struct sink s = { 0 };
	long status = 0, before, after;

	fill(200000);
	api_start(&a);
	before = max_rss_kb();
	ck_assert_int_eq(get_csv(&s, &status), CURLE_OK);
	after = max_rss_kb();
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(s.lines, 200001); /* header and every row */
	ck_assert_msg(strstr(s.tail,
			     "\n200000,1,Programma,,,,2000.00,2024-01-15,") !=
			      NULL,
		      "the last row is missing: …%s", s.tail);
	/* tens of megabytes went through; the daemon kept a row at a time */
	ck_assert_msg(s.bytes > 20 * 1000 * 1000, "%zu bytes", s.bytes);
#ifndef __SANITIZE_ADDRESS__
	/* (AddressSanitizer keeps freed memory in quarantine, so only the
	 * plain build can see whether the daemon's memory stays flat) */
	ck_assert_msg(after - before < 16 * 1024,
		      "memory grew by %ld kB for %zu bytes of CSV",
		      after - before, s.bytes);
#else
	(void)before;
	(void)after;
#endif
}
END_TEST

START_TEST(a_stream_that_fails_half_way_is_cut_off)
{
	struct sink s = { .sabotage = true };
	long status = 0;
	CURLcode rc;

	fill(200000);
	api_start(&a);
	rc = get_csv(&s, &status);
	ck_assert(s.done_it);
	ck_assert_int_eq(status, 200); /* the head had gone out already */
	/* the client learns the answer is incomplete: no clean last chunk */
	ck_assert_msg(rc != CURLE_OK, "the cut stream ended as if complete");
	ck_assert_int_lt(s.lines, 200001);
	/* and the daemon keeps serving */
	{
		struct resp *r =
			api_req(&a, "GET", "/healthz", NULL, NULL, NULL);

		ck_assert_int_eq(r->status, 200);
		resp_free(r);
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_large_csv_streams_whole_with_flat_memory);
	tcase_add_test(tc, a_stream_that_fails_half_way_is_cut_off);
}

CHECK_MAIN("stream")
