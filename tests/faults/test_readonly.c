/*
 * A database the daemon cannot write: made and filled by the test user, then
 * chmod'ed, and served by a user that may not write it (nobody, 65534, when
 * the test runs as root, since root writes anything; otherwise the test user
 * itself, for whom the modes are enough). Reads answer 200 as before; every
 * write answers 503 problem+json code read_only and changes nothing.
 *
 * Two cases: the file and its directory read-only (the daemon cannot make
 * the -wal and -shm files either), and only the file read-only in a directory
 * anyone may write (sticky, like /tmp).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

static char dir[256], bindir[256], dbdir[300], db[320], tok[128];

static void setup(void)
{
	fault_tmpdir(dir, sizeof(dir));
	fault_tmpdir(bindir, sizeof(bindir));
	snprintf(dbdir, sizeof(dbdir), "%s/data", dir);
	snprintf(db, sizeof(db), "%s/npo.db", dbdir);
	CHECK(mkdir(dbdir, 0755) == 0, "mkdir %s: %s", dbdir, strerror(errno));
}

static void teardown(void)
{
	fault_rmtree(dir);
	fault_rmtree(bindir);
}

/* A copy of the binary that nobody may run, wherever the build is. */
static void copy_bin(char *out, size_t n)
{
	char buf[65536];
	ssize_t got;
	int in = open(fault_bin, O_RDONLY), fd;

	snprintf(out, n, "%s/npo-budgetd", bindir);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	CHECK(in >= 0 && fd >= 0, "copy %s to %s: %s", fault_bin, out,
	      strerror(errno));
	while ((got = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(fd, buf, (size_t)got) == got, "write %s", out);
	close(in);
	close(fd);
	chmod(bindir, 0755);
}

static void read_only_case(mode_t dir_mode)
{
	struct daemon d;
	struct hresp r;
	char path[128], body[256], wal[340];
	long long programme, id, rows;
	const char *desc;
	bool root = geteuid() == 0;

	/* made, migrated and filled by the test user, stopped cleanly */
	fault_token(db, "writer", "write", tok, sizeof(tok));
	daemon_init(&d, db, dir);
	daemon_start(&d);
	programme = fault_programme(d.port, tok);
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"amount_cents\":12345,"
		 "\"spent_on\":\"2024-01-15\",\"description\":\"Factuur\"}",
		 programme);
	id = http_create(d.port, tok, "/api/v1/expenditures", body);
	rows = http_total(d.port, tok, "/api/v1/expenditures?count=true");
	CHECK(daemon_signal_wait(&d, SIGTERM, 30000) == 0, "SIGTERM: %s",
	      wait_str(d.status));
	/* as after any clean stop: no -wal or -shm file (and the test must
	 * not open the file itself now, which would make them) */
	snprintf(wal, sizeof(wal), "%s-wal", db);
	CHECK(access(wal, F_OK) != 0, "%s is left after a clean stop", wal);
	snprintf(wal, sizeof(wal), "%s-shm", db);
	CHECK(access(wal, F_OK) != 0, "%s is left after a clean stop", wal);

	CHECK(chmod(db, 0444) == 0 && chmod(dbdir, dir_mode) == 0 &&
		      chmod(dir, 0755) == 0,
	      "chmod: %s", strerror(errno));
	if (root) {
		copy_bin(d.bin, sizeof(d.bin));
		d.drop = true;
		d.uid = 65534;
		d.gid = 65534;
	}
	d.port = 0;
	daemon_spawn(&d);
	if (daemon_wait_ready(&d, 30000) != 0) {
		char *log = daemon_log_tail(&d, 1500);

		FAIL("serve as %s on the read-only %s (directory mode %o) did "
		     "not start: %s; it said: %s",
		     root ? "nobody" : "the test user", db, (unsigned)dir_mode,
		     d.pid ? "no answer in 30 s" : wait_str(d.status), log);
	}

	/* reads */
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", id);
	http_must(d.port, "GET", path, tok, NULL, &r);
	CHECK(r.status == 200 && json_integer_value(json_object_get(
					 r.json, "amount_cents")) == 12345,
	      "GET %s on a read-only database: %ld %s", path, r.status, r.body);
	hresp_free(&r);
	CHECK(http_total(d.port, tok, "/api/v1/expenditures?count=true") ==
		      rows,
	      "the list does not count %lld rows", rows);
	http_must(d.port, "GET", "/api/v1/status", tok, NULL, &r);
	CHECK(r.status == 200, "GET /api/v1/status: %ld %s", r.status, r.body);
	hresp_free(&r);

	/* writes */
	http_must(d.port, "POST", "/api/v1/expenditures", tok, body, &r);
	assert_problem(&r, 503, "read_only", "POST /api/v1/expenditures");
	hresp_free(&r);
	http_hdr(NULL, d.port, "PATCH", path, tok,
		 "{\"description\":\"Gewijzigd\"}", "If-Match: \"1\"", &r);
	CHECK(r.rc == CURLE_OK, "PATCH %s: %s", path, curl_easy_strerror(r.rc));
	assert_problem(&r, 503, "read_only", "PATCH /api/v1/expenditures/ID");
	hresp_free(&r);
	http_must(
		d.port, "POST", "/api/v1/budgets", tok,
		"{\"municipality_code\":\"GM0406\",\"municipality_name\":"
		"\"Huizen\",\"name\":\"NPO\",\"grant_cents\":1,"
		"\"spend_from\":\"2021-07-01\",\"spend_until\":\"2025-07-31\"}",
		&r);
	assert_problem(&r, 503, "read_only", "POST /api/v1/budgets");
	hresp_free(&r);

	/* nothing changed, and reads still work */
	CHECK(http_total(d.port, tok, "/api/v1/expenditures?count=true") ==
		      rows,
	      "a refused write changed the count");
	http_must(d.port, "GET", path, tok, NULL, &r);
	desc = json_string_value(json_object_get(r.json, "description"));
	CHECK(r.status == 200 && desc && strcmp(desc, "Factuur") == 0,
	      "GET %s after the refused writes: %ld %s", path, r.status,
	      r.body);
	hresp_free(&r);
	CHECK(daemon_signal_wait(&d, SIGTERM, 30000) == 0,
	      "SIGTERM on the read-only daemon: %s", wait_str(d.status));
	CHECK(db_int(db, "SELECT count(*) FROM expenditures") == rows,
	      "the file changed");
}

START_TEST(read_only_file_and_directory)
{
	read_only_case(0555);
}
END_TEST

START_TEST(read_only_file_in_open_directory)
{
	read_only_case(01777);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, read_only_file_and_directory);
	tcase_add_test(tc, read_only_file_in_open_directory);
}

FAULT_MAIN("readonly", 120)
