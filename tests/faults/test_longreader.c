/*
 * A long reader on the database file, as Litestream holds one: another
 * process (python3's sqlite3 module, argv[2]) opens the file, runs BEGIN and
 * a SELECT and keeps that read transaction open while
 *
 *   - writers send a burst of POSTs and a probe POSTs and GETs (a status and
 *     a list) every 100 ms: every POST is answered 201 and every GET 200,
 *     each within LIVENESS_MS (a bound on liveness, not a speed target);
 *   - `npo-budgetd backup` runs, and finishes;
 *   - the daemon is stopped with SIGTERM (exit 0: its last connection cannot
 *     checkpoint and remove the -wal with the reader there, and need not)
 *     and started again on the same file;
 *   - a passive checkpoint from outside cannot go past the reader: frames
 *     stay in the -wal, which grows (its size per write is noted).
 *
 * Then the reader reads again (it still sees only its snapshot: the count it
 * saw first) and lets go; a checkpoint now moves every frame and a TRUNCATE
 * leaves an empty -wal; every write answered 201 is there, the file passes
 * PRAGMA integrity_check and every expenditure has its audit row.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

#define WRITERS 4
#define BURST 1000	  /* POSTs of the writers while the reader holds on */
#define HOLD_MS 12000	  /* the probe's part of the hold */
#define LIVENESS_MS 10000 /* no answer may take longer than this */
#define READER_WAIT_MS 30000 /* for a line from the reader */

/* The reader: a line with the count when its read transaction has begun;
 * then, when stdin ends, a line with the count it sees then, and exit 0. */
static const char reader_py[] =
	"import sqlite3, sys\n"
	"c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\n"
	"c.execute('BEGIN')\n"
	"print(c.execute('SELECT count(*) FROM expenditures').fetchone()[0],"
	" flush=True)\n"
	"sys.stdin.read()\n"
	"print(c.execute('SELECT count(*) FROM expenditures').fetchone()[0],"
	" flush=True)\n"
	"c.execute('COMMIT')\n"
	"c.close()\n";

struct reader {
	pid_t pid;
	int in;	 /* its stdin: closing it lets go */
	int out; /* its stdout */
};

static void reader_start(struct reader *rd, const char *python, const char *db)
{
	char *const argv[] = { (char *)python, "-c", (char *)reader_py,
			       (char *)db, NULL };
	int pin[2], pout[2];
	pid_t parent = getpid();

	CHECK(pipe2(pin, O_CLOEXEC) == 0 && pipe2(pout, O_CLOEXEC) == 0,
	      "pipe: %s", strerror(errno));
	rd->pid = fork();
	CHECK(rd->pid >= 0, "fork: %s", strerror(errno));
	if (rd->pid == 0) {
		/* async-signal-safe calls only: the test has threads */
		if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0)
			_exit(126);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		execv(python, argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	rd->in = pin[1];
	rd->out = pout[0];
}

static void reader_kill(struct reader *rd)
{
	if (rd->pid > 0) {
		kill(rd->pid, SIGKILL);
		waitpid(rd->pid, NULL, 0);
		rd->pid = 0;
	}
}

/* The next line of the reader's stdout as a number; -1 on timeout or end. */
static long long reader_line(struct reader *rd, int timeout_ms)
{
	char line[64];
	size_t n = 0;
	long long end = now_ms() + timeout_ms;

	while (n < sizeof(line) - 1) {
		struct pollfd p = { rd->out, POLLIN, 0 };
		long long left = end - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		if (read(rd->out, line + n, 1) != 1)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return n ? strtoll(line, NULL, 10) : -1;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* PRAGMA wal_checkpoint(mode) from a connection of the test's own: the
 * frames in the -wal (log) and those moved into the database (moved). */
static int checkpoint(const char *db, const char *mode, long long *log,
		      long long *moved)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char sql[64];
	int busy = -1;

	snprintf(sql, sizeof(sql), "PRAGMA wal_checkpoint(%s)", mode);
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(h, 10000) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		busy = sqlite3_column_int(st, 0);
		*log = sqlite3_column_int64(st, 1);
		*moved = sqlite3_column_int64(st, 2);
	} else {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(h));
		sqlite3_finalize(st);
		sqlite3_close(h);
		FAIL("%s on %s: %s", sql, db, msg);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return busy;
}

/* One request of the probe, asserting its status and the liveness bound;
 * the answer's "id", or 0. */
static long long probe(CURL *h, unsigned short port, const char *method,
		       const char *path, const char *token, const char *body,
		       long want, long long *slowest)
{
	struct hresp r;
	long long t = now_ms(), id;

	http(h, port, method, path, token, body, &r);
	t = now_ms() - t;
	if (t > *slowest)
		*slowest = t;
	CHECK(r.rc == CURLE_OK && r.status == want,
	      "%s %s with the reader holding on: %s %ld %.300s", method, path,
	      curl_easy_strerror(r.rc), r.status, r.body);
	CHECK(t <= LIVENESS_MS,
	      "%s %s with the reader holding on took %lld ms (bound %d)",
	      method, path, t, LIVENESS_MS);
	id = json_integer_value(json_object_get(r.json, "id"));
	hresp_free(&r);
	return id;
}

START_TEST(long_reader)
{
	const char *python = fault_argc > 0 ? fault_argv[0]
					    : "/usr/bin/python3";
	char dir[256], db[300], wal[310], tok[128], path[128], body[256];
	char bk[320];
	struct daemon d;
	struct writers w;
	struct reader rd = { 0 };
	struct rec *recs;
	long long programme, budget, seen, again, slowest = 0;
	long long wal0, wal1, log0 = 0, log = 0, moved = 0, t, stop_ms;
	long probes = 0, extra = 0;
	int busy, status;
	size_t n;
	CURL *h;

	fault_tmpdir(dir, sizeof(dir));
	snprintf(db, sizeof(db), "%s/npo.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	snprintf(bk, sizeof(bk), "%s/backup.db", dir);
	fault_token(db, "writer", "write", tok, sizeof(tok));
	daemon_init(&d, db, dir);
	daemon_start(&d);
	programme = fault_programme(d.port, tok);
	budget = db_int(db, "SELECT max(id) FROM budgets");
	/* some rows before the reader begins */
	writers_start_limit(&w, WRITERS, d.port, tok, programme, 200);
	writers_join(&w);
	CHECK(w.unexpected == 0 && atomic_load(&w.acked) == 200,
	      "before the reader: %ld of 200 answered 201; first other: %s",
	      atomic_load(&w.acked), w.first_unexpected);
	free(w.recs);

	reader_start(&rd, python, db);
	seen = reader_line(&rd, READER_WAIT_MS);
	if (seen < 0) {
		reader_kill(&rd);
		FAIL("the reader (%s) printed no count within %d ms", python,
		     READER_WAIT_MS);
	}
	wal0 = file_size(wal);
	busy = checkpoint(db, "PASSIVE", &log0, &moved);
	note("reader %d holds a read transaction; it sees %lld expenditures; "
	     "-wal %lld bytes, %lld frames, %lld of them in the database",
	     (int)rd.pid, seen, wal0, log0, moved);

	/* a burst of writers and the probe, with the reader holding on */
	writers_start_limit(&w, WRITERS, d.port, tok, programme, BURST);
	h = curl_easy_init();
	snprintf(path, sizeof(path), "/api/v1/budgets/%lld/status", budget);
	for (t = now_ms(); now_ms() - t < HOLD_MS; probes++) {
		snprintf(body, sizeof(body),
			 "{\"programme_id\":%lld,\"amount_cents\":7,"
			 "\"spent_on\":\"2024-02-01\",\"description\":"
			 "\"probe-%ld\"}",
			 programme, probes);
		if (probe(h, d.port, "POST", "/api/v1/expenditures", tok, body,
			  201, &slowest) > 0)
			extra++;
		probe(h, d.port, "GET", path, tok, NULL, 200, &slowest);
		probe(h, d.port, "GET",
		      "/api/v1/expenditures?count=true&limit=1", tok, NULL, 200,
		      &slowest);
		sleep_ms(100);
	}
	curl_easy_cleanup(h);
	/* what is not sent by now will not be: a daemon stalled by the
	 * reader fails here, not at the test's timeout */
	writers_stop(&w);
	CHECK(atomic_load(&w.sent) == BURST,
	      "only %ld of the %d writes of the burst were sent while the "
	      "reader held on for %d ms",
	      atomic_load(&w.sent), BURST, HOLD_MS);
	CHECK(w.unexpected == 0,
	      "%ld writes of the burst were answered other than 201; the "
	      "first: %s",
	      w.unexpected, w.first_unexpected);
	n = writers_snapshot(&w, &recs);
	wal1 = file_size(wal);

	/* a checkpoint cannot go past the reader */
	busy = checkpoint(db, "PASSIVE", &log, &moved);
	note("with the reader: %zu burst writes and %ld probes (POST, status, "
	     "list) answered, slowest probe %lld ms; -wal %lld -> %lld "
	     "bytes, %lld -> %lld frames (%.1f per write), %lld of them "
	     "moved into the database by a PASSIVE checkpoint (busy %d)",
	     n, probes, slowest, wal0, wal1, log0, log,
	     (double)(log - log0) / (double)(n + (size_t)extra), moved, busy);
	CHECK(log > moved && moved <= log0,
	      "a checkpoint moved %lld of %lld frames, past the reader's "
	      "snapshot (at most frame %lld)",
	      moved, log, log0);

	/* a backup while the reader holds on */
	{
		const char *argv[] = { "", "backup", bk, "--db", db, NULL };
		char *err;

		t = now_ms();
		status = fault_run(fault_bin, argv, NULL, NULL, &err, 120000);
		CHECK(status == 0, "backup with the reader holding on: %s: %s",
		      wait_str(status), flat(err));
		free(err);
		note("backup with the reader: %lld ms", now_ms() - t);
	}

	/* a restart with the reader holding on */
	t = now_ms();
	status = daemon_signal_wait(&d, SIGTERM, 30000);
	stop_ms = now_ms() - t;
	CHECK(status == 0, "SIGTERM with the reader holding on: %s; log: %s",
	      wait_str(status), daemon_log_tail(&d, 1500));
	note("stopped in %lld ms; -wal after the stop: %lld bytes", stop_ms,
	     file_size(wal));
	daemon_start(&d);
	h = curl_easy_init();
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"amount_cents\":7,"
		 "\"spent_on\":\"2024-02-01\",\"description\":"
		 "\"after the restart\"}",
		 programme);
	if (probe(h, d.port, "POST", "/api/v1/expenditures", tok, body, 201,
		  &slowest) > 0)
		extra++;
	probe(h, d.port, "GET", path, tok, NULL, 200, &slowest);
	curl_easy_cleanup(h);

	/* the reader still sees its snapshot, then lets go */
	CHECK(close(rd.in) == 0, "close: %s", strerror(errno));
	again = reader_line(&rd, READER_WAIT_MS);
	CHECK(waitpid(rd.pid, &status, 0) == rd.pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "the reader ended with %s", wait_str(status));
	rd.pid = 0;
	close(rd.out);
	CHECK(again == seen,
	      "the reader's read transaction saw %lld rows, then %lld: it "
	      "did not hold its snapshot",
	      seen, again);

	/* now a checkpoint goes through, and truncates the -wal */
	busy = checkpoint(db, "PASSIVE", &log, &moved);
	note("PASSIVE checkpoint after the reader: busy %d, %lld frames, %lld "
	     "moved",
	     busy, log, moved);
	CHECK(busy == 0 && log == moved,
	      "after the reader let go: checkpoint busy %d, %lld frames, "
	      "%lld moved",
	      busy, log, moved);
	busy = checkpoint(db, "TRUNCATE", &log, &moved);
	CHECK(busy == 0 && file_size(wal) == 0,
	      "TRUNCATE checkpoint after the reader: busy %d, -wal %lld bytes",
	      busy, file_size(wal));

	/* everything is there */
	verify_recs(d.port, tok, recs, n, "after the long reader");
	CHECK(http_total(d.port, tok, "/api/v1/expenditures?count=true") ==
		      200 + (long long)n + extra,
	      "not %lld expenditures", 200 + (long long)n + extra);
	free(recs);
	free(w.recs);
	status = daemon_signal_wait(&d, SIGTERM, 30000);
	CHECK(status == 0, "the last SIGTERM: %s", wait_str(status));
	{
		char *bad = db_integrity(db);

		CHECK(!bad, "PRAGMA integrity_check: %s", bad);
		bad = db_integrity(bk);
		CHECK(!bad, "the backup taken with the reader: %s", bad);
	}
	CHECK(db_int(db, "SELECT count(*) FROM expenditures") ==
		      db_int(db, "SELECT count(*) FROM audit"
				 " WHERE entity = 'expenditure'"),
	      "expenditures and their audit rows differ in number");
	note("long reader: %zu + %ld writes with the reader, slowest probe "
	     "%lld ms",
	     n, extra, slowest);
	fault_rmtree(dir);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, long_reader);
}

FAULT_MAIN("longreader", 280)
