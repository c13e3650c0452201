/*
 * SIGTERM during a burst of writes: the daemon drains and exits 0, and every
 * id answered 201 before or during the drain is there after a restart, with
 * what was written; the file passes PRAGMA integrity_check. Three rounds on
 * the same file, the signal at a random moment of each.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

#define ROUNDS 3
#define WRITERS 4

START_TEST(sigterm_drains)
{
	char dir[256], db[300], wal[310], tok[128], when[64];
	struct daemon d;
	struct writers w;
	struct rec *recs;
	long long programme, slowest = 0;
	long during = 0;
	size_t n = 0;
	struct stat st;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	fault_tmpdir(dir, sizeof(dir));
	snprintf(db, sizeof(db), "%s/npo.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	fault_token(db, "writer", "write", tok, sizeof(tok));
	daemon_init(&d, db, dir);
	daemon_start(&d);
	programme = fault_programme(d.port, tok);
	writers_start(&w, WRITERS, d.port, tok, programme);

	for (int round = 1; round <= ROUNDS; round++) {
		long before, t;
		int status;
		char *bad;

		/* some writes first (the first round: 20 at least) */
		for (int i = 0; i < 3000 && atomic_load(&w.acked) < 20; i++)
			sleep_ms(10);
		CHECK(atomic_load(&w.acked) >= 20,
		      "no writes answered 201 in 30 s");
		sleep_ms(200 + rand() % 600);
		before = atomic_load(&w.acked);
		t = now_ms();
		status = daemon_signal_wait(&d, SIGTERM, 30000);
		t = now_ms() - t;
		during += atomic_load(&w.acked) - before;
		if (t > slowest)
			slowest = t;
		if (status == -1) {
			char *log = daemon_log_tail(&d, 1500);

			FAIL("round %d: the daemon was still running 30 s after "
			     "SIGTERM (killed); its log ends: %s",
			     round, log);
		}
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "round %d: after SIGTERM the daemon ended with %s; its "
		      "log ends: %s",
		      round, wait_str(status), daemon_log_tail(&d, 1500));
		/* a clean stop checkpoints and removes the write-ahead log
		 * (looked at before integrity_check opens the file) */
		if (stat(wal, &st) == 0)
			note("round %d: %s is still there (%lld bytes) after a "
			     "clean stop",
			     round, wal, (long long)st.st_size);
		bad = db_integrity(db);
		CHECK(!bad, "round %d: integrity_check: %s", round, bad);
		note("round %d: stopped %ld ms after SIGTERM, %ld writes "
		     "answered 201 meanwhile",
		     round, t, atomic_load(&w.acked) - before);
		daemon_start(&d);
		atomic_store(&w.port, d.port);
		n = writers_snapshot(&w, &recs);
		snprintf(when, sizeof(when), "after SIGTERM %d", round);
		verify_recs(d.port, tok, recs, n, when);
		free(recs);
	}
	writers_stop(&w);
	CHECK(w.unexpected == 0,
	      "%ld writes were answered neither 201 nor cut off; the first: %s",
	      w.unexpected, w.first_unexpected);
	n = writers_snapshot(&w, &recs);
	CHECK(daemon_signal_wait(&d, SIGTERM, 30000) == 0,
	      "the last SIGTERM: %s", wait_str(d.status));
	daemon_start(&d);
	verify_recs(d.port, tok, recs, n, "at the end");
	free(recs);
	CHECK(daemon_signal_wait(&d, SIGTERM, 30000) == 0,
	      "the last SIGTERM: %s", wait_str(d.status));
	CHECK(db_int(db, "SELECT count(*) FROM expenditures") ==
		      db_int(db, "SELECT count(*) FROM audit"
				 " WHERE entity = 'expenditure'"),
	      "expenditures and their audit rows differ in number");
	note("sigterm: %d rounds, %zu writes answered 201 (%ld of them after "
	     "the signal), %ld cut off; slowest stop %lld ms",
	     ROUNDS, n, during, atomic_load(&w.conn_errors), slowest);
	free(w.recs);
	fault_rmtree(dir);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, sigterm_drains);
}

FAULT_MAIN("sigterm", 540)
