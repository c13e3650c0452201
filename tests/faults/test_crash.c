/*
 * Crash durability: writers create expenditures as fast as they can and keep
 * every id answered 201; the daemon is SIGKILLed at random moments (50-500
 * ms after it is ready and the writers are let loose, and now and then also
 * while it starts up), restarted on the same file, and after each restart
 * every id answered 201 before is there with what was written. While it is
 * down, PRAGMA integrity_check says "ok" and every expenditure has its audit
 * row (none without the other). The writers pause from the kill until the
 * restarted daemon has been checked.
 *
 *   fault_crash BIN [--kills N] [--seed S] [--tls]
 *
 * 50 kills by default (meson); `make soak` runs 1000. NPO_FAULT_SEED also
 * sets the seed; the seed is printed, to replay a failing run. With --tls
 * the daemon serves HTTPS (a CA and certificate made by openssl in the
 * test's directory) and every client trusts that CA: a kill then also cuts
 * TLS sessions mid-record, and each restart reads the files again.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

#define WRITERS 4

static int kills = 50;
static unsigned seed;
static bool tls;

/* xorshift, so that a seed replays the same delays */
static unsigned rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

static void check_file(const char *db, int k)
{
	char *bad = db_integrity(db);
	long long rows, audits;

	CHECK(!bad, "after kill %d: PRAGMA integrity_check on %s: %s", k, db,
	      bad);
	rows = db_int(db, "SELECT count(*) FROM expenditures");
	audits = db_int(db, "SELECT count(*) FROM audit"
			    " WHERE entity = 'expenditure'");
	CHECK(rows == audits,
	      "after kill %d: %lld expenditures but %lld audit rows for them",
	      k, rows, audits);
}

START_TEST(crash_durability)
{
	char dir[256], db[300], tok[128], when[64];
	struct daemon d;
	struct writers w;
	struct rec *recs;
	long long t0 = now_ms(), programme, slowest = 0;
	int hot = 0, early = 0, every = kills > 100 ? 50 : 1;
	size_t n = 0, rows = 0;

	fault_tmpdir(dir, sizeof(dir));
	snprintf(db, sizeof(db), "%s/npo.db", dir);
	fault_token(db, "writer", "write", tok, sizeof(tok));
	daemon_init(&d, db, dir);
	if (tls) {
		static char ca[300];

		fault_make_certs(dir);
		snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
		snprintf(d.tls_cert, sizeof(d.tls_cert), "%s/server.pem", dir);
		snprintf(d.tls_key, sizeof(d.tls_key), "%s/server.key", dir);
		fault_ca = ca;
	}
	daemon_start(&d);
	programme = fault_programme(d.port, tok);
	writers_start(&w, WRITERS, d.port, tok, programme);
	note("crash: %d kills, seed %u, %s%s", kills, seed, dir,
	     tls ? ", over TLS" : "");

	for (int k = 1; k <= kills; k++) {
		long long t;

		sleep_ms(50 + (long)(rnd() % 451));
		if (atomic_load(&w.inflight) > 0)
			hot++;
		daemon_kill(&d);
		CHECK(WIFSIGNALED(d.status) && WTERMSIG(d.status) == SIGKILL,
		      "kill %d: the daemon ended with %s before the kill", k,
		      wait_str(d.status));
		/* no writes while it restarts and is checked, so that the
		 * file grows by what a kill's delay holds, not by how long
		 * a check of everything takes */
		writers_pause(&w);
		check_file(db, k);
		/* one restart in eight is killed again while it starts up */
		if (rnd() % 8 == 0) {
			daemon_spawn(&d);
			sleep_ms((long)(rnd() % 40));
			daemon_kill(&d);
			early++;
			check_file(db, k);
		}
		t = now_ms();
		daemon_start(&d);
		t = now_ms() - t;
		atomic_store(&w.port, d.port);
		if (t > slowest)
			slowest = t;
		n = writers_snapshot(&w, &recs);
		snprintf(when, sizeof(when), "after kill %d", k);
		rows = verify_recs(d.port, tok, recs, n, when);
		free(recs);
		pthread_mutex_lock(&w.lock);
		if (w.unexpected)
			FAIL("by kill %d, %ld writes were answered neither 201 "
			     "nor cut off; the first: %s",
			     k, w.unexpected, w.first_unexpected);
		pthread_mutex_unlock(&w.lock);
		writers_resume(&w);
		if (k % every == 0 || k == kills)
			note("kill %d/%d: %zu writes answered 201 so far, all "
			     "%zu there (%zu rows); restart %lld ms",
			     k, kills, n, n, rows, t);
	}
	writers_stop(&w);
	CHECK(w.unexpected == 0,
	      "%ld writes were answered neither 201 nor cut off; the first: %s",
	      w.unexpected, w.first_unexpected);

	/* a last clean stop, and everything once more from a cold start */
	n = writers_snapshot(&w, &recs);
	{
		int st = daemon_signal_wait(&d, SIGTERM, 30000);

		CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "SIGTERM at the end: %s", wait_str(st));
	}
	check_file(db, kills);
	daemon_start(&d);
	rows = verify_recs(d.port, tok, recs, n, "at the end");
	free(recs);
	daemon_signal_wait(&d, SIGTERM, 30000);

	note("crash: %d kills (%d with requests in flight) plus %d during "
	     "start-up; %ld writes sent, %zu answered 201, %ld cut off; "
	     "%zu rows; slowest restart %lld ms; %.1f s",
	     kills, hot, early, atomic_load(&w.sent), n,
	     atomic_load(&w.conn_errors), rows, slowest,
	     (double)(now_ms() - t0) / 1000);
	CHECK(n >= (size_t)kills,
	      "only %zu writes answered 201 in %d rounds: the test did not "
	      "write",
	      n, kills);
	CHECK(hot * 2 >= kills,
	      "only %d of %d kills came while requests were in flight", hot,
	      kills);
	free(w.recs);
	fault_rmtree(dir);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, crash_durability);
}

int main(int argc, char **argv)
{
	const char *s = getenv("NPO_FAULT_SEED");

	seed = s && *s ? (unsigned)strtoul(s, NULL, 10)
		       : (unsigned)time(NULL) ^ (unsigned)getpid();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--tls") == 0)
			tls = true;
		else if (i + 1 < argc && strcmp(argv[i], "--kills") == 0 &&
			 atoi(argv[i + 1]) > 0)
			kills = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
			seed = (unsigned)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr,
				"usage: %s BIN [--kills N] [--seed S] [--tls]\n",
				argv[0]);
			return 2;
		}
	}
	if (!seed)
		seed = 1;
	/* a soak grows the file: allow ten seconds a kill */
	return fault_main(argc, argv, "crash", add_tests,
			  kills <= 50 ? 540 : 120 + 10.0 * kills);
}
