/*
 * GET /api/v1/events against the real daemon: the revision on connect and
 * after every write (from this daemon or another process), Last-Event-ID,
 * the heartbeat, --max-streams, streams that hold no worker thread, scoped
 * and query tokens, and SIGTERM-style stops that end open streams cleanly.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check_main.h"
#include "harness.h"

static struct api a;

static void setup(void)
{
	api_init(&a);
	a.cfg.threads = 2;
	a.cfg.max_streams = 8;
	api_start_demo(&a);
}
static void teardown(void)
{
	api_down(&a);
}

/* One event stream read by its own thread until stop is set. */
struct listener {
	pthread_t thread;
	char url[256];
	char header[128];
	char extra[128]; /* another header line, or "" */
	pthread_mutex_t lock;
	char buf[16384];
	size_t len;
	atomic_bool stop;
	long status;
	CURLcode rc;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct listener *l = arg;
	size_t len = size * n;

	pthread_mutex_lock(&l->lock);
	if (l->len + len < sizeof(l->buf)) {
		memcpy(l->buf + l->len, p, len);
		l->len += len;
		l->buf[l->len] = '\0';
	}
	pthread_mutex_unlock(&l->lock);
	return len;
}

static int on_progress(void *arg, curl_off_t a1, curl_off_t a2, curl_off_t a3,
		       curl_off_t a4)
{
	struct listener *l = arg;

	(void)a1, (void)a2, (void)a3, (void)a4;
	return atomic_load(&l->stop) ? 1 : 0;
}

static void *listen_thread(void *arg)
{
	struct listener *l = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hs = NULL;

	if (l->header[0])
		hs = curl_slist_append(hs, l->header);
	if (l->extra[0])
		hs = curl_slist_append(hs, l->extra);
	curl_easy_setopt(h, CURLOPT_URL, l->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, l);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, l);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	l->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &l->status);
	curl_slist_free_all(hs);
	curl_easy_cleanup(h);
	return NULL;
}

/* Starts listening with token in the header (or, query, in the URL). */
static struct listener *listen_to(const char *token, bool query,
				  const char *extra)
{
	struct listener *l = calloc(1, sizeof(*l));

	ck_assert_ptr_nonnull(l);
	pthread_mutex_init(&l->lock, NULL);
	snprintf(l->url, sizeof(l->url), "%s/api/v1/events%s%s", a.base,
		 query ? "?access_token=" : "", query ? token : "");
	if (!query && token)
		snprintf(l->header, sizeof(l->header),
			 "Authorization: Bearer %s", token);
	snprintf(l->extra, sizeof(l->extra), "%s", extra ? extra : "");
	ck_assert_int_eq(pthread_create(&l->thread, NULL, listen_thread, l), 0);
	return l;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Whether what l got holds text within ms milliseconds. */
static bool heard(struct listener *l, const char *text, long ms)
{
	for (long waited = 0;; waited += 20) {
		bool got;

		pthread_mutex_lock(&l->lock);
		got = strstr(l->buf, text) != NULL;
		pthread_mutex_unlock(&l->lock);
		if (got || waited >= ms)
			return got;
		sleep_ms(20);
	}
}

/* Stops l (unless it ended by itself) and frees it; the status it got. */
static long hang_up(struct listener *l)
{
	long status;

	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	status = l->status;
	pthread_mutex_destroy(&l->lock);
	free(l);
	return status;
}

static long long revision_now(void)
{
	return api_sql_int(&a, "SELECT value FROM meta WHERE key = 'revision'",
			   0);
}

static void event_text(char *out, size_t n, long long rev)
{
	snprintf(out, n,
		 "id: %lld\nevent: revision\ndata: {\"revision\":%lld}\n\n",
		 rev, rev);
}

static void patch_programme(const char *owner)
{
	char body[96];
	struct resp *r;

	snprintf(body, sizeof(body), "{\"owner\":\"%s\"}", owner);
	r = api_req(&a, "PATCH", "/api/v1/programmes/5", a.write, body, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
}

START_TEST(the_revision_comes_on_connect_and_after_every_write)
{
	struct listener *l = listen_to(a.read, false, NULL);
	char want[128];

	event_text(want, sizeof(want), revision_now());
	ck_assert_msg(heard(l, want, 5000), "got: %s", l->buf);
	ck_assert_msg(strncmp(l->buf, "retry: ", 7) == 0, "%s", l->buf);
	for (int i = 0; i < 3; i++) {
		char owner[16];

		snprintf(owner, sizeof(owner), "eigenaar %d", i);
		patch_programme(owner);
		event_text(want, sizeof(want), revision_now());
		/* the keeper looks four times a second: well within one */
		ck_assert_msg(heard(l, want, 1000), "no %s in: %s", want,
			      l->buf);
	}
	ck_assert_int_eq(hang_up(l), 200);
}
END_TEST

START_TEST(a_write_by_another_process_is_told_too)
{
	struct listener *l = listen_to(a.read, false, NULL);
	char want[128];
	long long rev = revision_now();

	event_text(want, sizeof(want), rev);
	ck_assert(heard(l, want, 5000));
	/* what npo-budgetd import does from the command line, in short */
	api_sql(&a, "UPDATE meta SET value = value + 1 WHERE key = 'revision'");
	event_text(want, sizeof(want), rev + 1);
	ck_assert_msg(heard(l, want, 1000), "got: %s", l->buf);
	hang_up(l);
}
END_TEST

/* The ETag of lists and status follows the revision without asking the
 * file each time: a write here changes it at once, one by another process
 * within a second. */
START_TEST(an_etag_follows_writes_here_at_once_and_elsewhere_within_a_second)
{
	struct resp *r = api_req(&a, "GET", "/api/v1/budgets/2/status", a.read,
				 NULL, NULL);
	char inm[96], etag[80];
	const char *h[] = { inm, NULL };
	long waited = 0;

	snprintf(etag, sizeof(etag), "%s", resp_header(r, "ETag"));
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/2/status", a.read, NULL, h);
	ck_assert_int_eq(r->status, 304);
	resp_free(r);
	patch_programme("hier");
	r = api_req(&a, "GET", "/api/v1/budgets/2/status", a.read, NULL, h);
	ck_assert_int_eq(r->status, 200);
	snprintf(etag, sizeof(etag), "%s", resp_header(r, "ETag"));
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	resp_free(r);
	api_sql(&a, "UPDATE meta SET value = value + 1 WHERE key = 'revision'");
	for (;; waited += 20) {
		r = api_req(&a, "GET", "/api/v1/budgets/2/status", a.read, NULL,
			    h);
		if (r->status == 200 || waited >= 3000)
			break;
		ck_assert_int_eq(r->status, 304);
		resp_free(r);
		sleep_ms(20);
	}
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	ck_assert_msg(waited < 1000, "the old ETag held for %ld ms", waited);
}
END_TEST

START_TEST(last_event_id_skips_what_the_client_has)
{
	char last[64], want[128];
	struct listener *l;
	long long rev = revision_now();

	snprintf(last, sizeof(last), "Last-Event-ID: %lld", rev);
	l = listen_to(a.read, false, last);
	ck_assert(heard(l, "retry: ", 5000));
	sleep_ms(600);
	ck_assert_msg(strstr(l->buf, "event: revision") == NULL, "%s", l->buf);
	patch_programme("na de herverbinding");
	event_text(want, sizeof(want), rev + 1);
	ck_assert_msg(heard(l, want, 1000), "got: %s", l->buf);
	hang_up(l);
}
END_TEST

START_TEST(a_heartbeat_every_fifteen_seconds)
{
	struct listener *l = listen_to(a.read, false, NULL);

	ck_assert(heard(l, "event: revision", 5000));
	ck_assert_msg(heard(l, "\n: heartbeat\n\n", 17000), "got: %s", l->buf);
	hang_up(l);
}
END_TEST

START_TEST(streams_hold_no_worker_thread_and_are_limited)
{
	struct listener *l[8];
	struct resp *r;

	/* eight streams on a daemon of two worker threads */
	for (int i = 0; i < 8; i++)
		l[i] = listen_to(a.read, false, NULL);
	for (int i = 0; i < 8; i++)
		ck_assert_msg(heard(l[i], "event: revision", 5000),
			      "stream %d: %s", i, l[i]->buf);
	for (int i = 0; i < 20; i++) {
		r = api_req(&a, "GET", "/api/v1/budgets/2/status", a.read, NULL,
			    NULL);
		ck_assert_int_eq(r->status, 200);
		resp_free(r);
	}
	/* one more than --max-streams */
	r = api_req(&a, "GET", "/api/v1/events", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 503);
	ck_assert_str_eq(jstr(r, "code"), "too_many_streams");
	ck_assert_ptr_nonnull(resp_header(r, "Retry-After"));
	resp_free(r);
	/* every stream still hears a write */
	patch_programme("gedeeld");
	for (int i = 0; i < 8; i++) {
		char want[128];

		event_text(want, sizeof(want), revision_now());
		ck_assert_msg(heard(l[i], want, 1000), "stream %d: %s", i,
			      l[i]->buf);
	}
	/* a closed stream makes room again: a refusal has the parked
	 * streams write, so the one whose client left is noticed */
	hang_up(l[0]);
	for (int tries = 0;; tries++) {
		l[0] = listen_to(a.read, false, NULL);
		if (heard(l[0], "event: revision", 1000))
			break;
		ck_assert_msg(tries < 5, "no room after %d tries: %s", tries,
			      l[0]->buf);
		hang_up(l[0]);
		sleep_ms(200);
	}
	for (int i = 0; i < 8; i++)
		hang_up(l[i]);
}
END_TEST

START_TEST(tokens_of_every_kind_and_none)
{
	struct listener *q = listen_to(a.read, true, NULL);
	struct resp *r;

	ck_assert_msg(heard(q, "event: revision", 5000), "%s", q->buf);
	hang_up(q);
	r = api_req(&a, "GET", "/api/v1/events", NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 401);
	resp_free(r);
	/* a write token stays out of URLs, here too */
	r = api_req(&a, "GET", "/api/v1/events?access_token=x", NULL, NULL,
		    NULL);
	ck_assert_int_eq(r->status, 401);
	resp_free(r);
	r = api_req(&a, "HEAD", "/api/v1/events", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(resp_header(r, "Content-Type"), "text/event-stream");
	resp_free(r);
}
END_TEST

START_TEST(stopping_ends_open_streams_cleanly)
{
	struct listener *l[3];
	struct timespec t0, t1;

	for (int i = 0; i < 3; i++)
		l[i] = listen_to(a.read, false, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert(heard(l[i], "event: revision", 5000));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	api_halt(&a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* within the drain time, not by it */
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 10);
	for (int i = 0; i < 3; i++) {
		pthread_join(l[i]->thread, NULL);
		/* the chunked stream ended as streams end, not cut off */
		ck_assert_msg(l[i]->rc == CURLE_OK, "stream %d: %s", i,
			      curl_easy_strerror(l[i]->rc));
		pthread_mutex_destroy(&l[i]->lock);
		free(l[i]);
	}
	api_start(&a); /* teardown stops it again */
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_revision_comes_on_connect_and_after_every_write);
	tcase_add_test(tc, a_write_by_another_process_is_told_too);
	tcase_add_test(tc, last_event_id_skips_what_the_client_has);
	tcase_add_test(
		tc,
		an_etag_follows_writes_here_at_once_and_elsewhere_within_a_second);
	tcase_add_test(tc, a_heartbeat_every_fifteen_seconds);
	tcase_add_test(tc, streams_hold_no_worker_thread_and_are_limited);
	tcase_add_test(tc, tokens_of_every_kind_and_none);
	tcase_add_test(tc, stopping_ends_open_streams_cleanly);
}

CHECK_MAIN("events")
