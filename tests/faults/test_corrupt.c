/*
 * A corrupt database file at start: `serve` (and `migrate`) exit 1 with a
 * message on stderr that names the file, never serve it, and leave its bytes
 * as they were. Two kinds: a file of nothing but random bytes, and a real
 * database whose pages after the first were overwritten with random bytes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

static char dir[256], db[300];

static void setup(void)
{
	fault_tmpdir(dir, sizeof(dir));
	snprintf(db, sizeof(db), "%s/npo.db", dir);
}

static void teardown(void)
{
	fault_rmtree(dir);
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	CHECK(f, "%s: cannot read", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	CHECK(fread(p, 1, (size_t)n, f) == (size_t)n, "%s: short read", path);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Random bytes from /dev/urandom at offset off of path. */
static void scribble(const char *path, long off, size_t len)
{
	unsigned char *buf = malloc(len);
	FILE *r = fopen("/dev/urandom", "rb");
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	CHECK(r && fd >= 0 && fread(buf, 1, len, r) == len,
	      "cannot scribble on %s", path);
	/* never by chance the SQLite header */
	if (off == 0)
		buf[0] = 'X';
	CHECK(pwrite(fd, buf, len, off) == (ssize_t)len, "pwrite %s", path);
	close(fd);
	fclose(r);
	free(buf);
}

/* Runs the binary on the corrupt file and asserts it refuses it. */
static void refused(const char *const *argv, const char *what)
{
	unsigned char *before, *after;
	size_t blen, alen;
	char *out, *err, *raw;
	int st;

	before = read_all(db, &blen);
	st = fault_run(fault_bin, argv, NULL, &out, &raw, 30000);
	err = flat(raw);
	free(raw);
	CHECK(st != -1,
	      "%s: still running 30 s after it started on a corrupt file "
	      "(killed); stderr: %s",
	      what, err);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	      "%s on a corrupt file: %s, expected exit 1; stderr: %s", what,
	      wait_str(st), err);
	CHECK(strstr(err, db) != NULL,
	      "%s: stderr does not name the file %s: %s", what, db, err);
	after = read_all(db, &alen);
	CHECK(alen == blen && memcmp(before, after, blen) == 0,
	      "%s changed the corrupt file (%zu bytes before, %zu after)", what,
	      blen, alen);
	note("%s: exit 1: %s", what, err);
	free(before);
	free(after);
	free(out);
	free(err);
}

static void both_refuse(void)
{
	char listen[32];
	const char *serve[] = { "",	    "serve", "--db", db,
				"--listen", listen,  NULL };
	const char *migrate[] = { "", "migrate", "--db", db, NULL };

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", fault_free_port());
	refused(serve, "serve");
	refused(migrate, "migrate");
}

START_TEST(random_bytes_file)
{
	scribble(db, 0, 64 * 1024);
	both_refuse();
}
END_TEST

START_TEST(scribbled_pages)
{
	char tok[128];
	struct daemon d;
	struct stat st;
	long long programme;

	/* a real database with rows in several tables */
	fault_token(db, "writer", "write", tok, sizeof(tok));
	daemon_init(&d, db, dir);
	daemon_start(&d);
	programme = fault_programme(d.port, tok);
	for (int i = 0; i < 50; i++) {
		char body[200];

		snprintf(body, sizeof(body),
			 "{\"programme_id\":%lld,\"amount_cents\":100,"
			 "\"spent_on\":\"2024-01-15\",\"description\":\"x%d\"}",
			 programme, i);
		http_create(d.port, tok, "/api/v1/expenditures", body);
	}
	CHECK(daemon_signal_wait(&d, SIGTERM, 30000) == 0, "SIGTERM: %s",
	      wait_str(d.status));
	CHECK(db_integrity(db) == NULL, "the database is corrupt already");
	CHECK(stat(db, &st) == 0 && st.st_size > 8192, "%s is too small", db);
	/* keep page 1 (header and schema), scribble over all the others */
	scribble(db, 4096, (size_t)st.st_size - 4096);
	both_refuse();
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, random_bytes_file);
	tcase_add_test(tc, scribbled_pages);
}

FAULT_MAIN("corrupt", 120)
