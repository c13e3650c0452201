/*
 * The restore drill of docs/operations.md: writers create expenditures with
 * amounts of their own and keep every id answered 201, in the order the
 * answers came; `npo-budgetd backup FILE` runs several times while they
 * write. Then the daemon is stopped and each backup is restored as an
 * operator would, by copying the file alone (no -wal, no -shm) to a fresh
 * directory:
 *
 *   - PRAGMA integrity_check says "ok";
 *   - every id answered 201 before that backup began is there with its
 *     amount and description, and has its audit row (action create, the
 *     same amount in its after);
 *   - the backup is one moment: the acknowledged ids up to its highest one
 *     are all there (ids are given in commit order), it holds no row nobody
 *     was answered for, and as many audit rows as expenditures.
 *
 * The last backup is also served: a daemon started on the restored file
 * answers /readyz (it ran its quick_check), lists those rows with their
 * amounts, and takes new writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

#define WRITERS 4
#define BACKUPS 4

/* one write answered 201, in the order the answers arrived */
struct ack {
	long long id;
	long long amount;
	int thread;
	long long seq;
};

struct load {
	unsigned short port;
	const char *token;
	long long programme;
	atomic_bool stop;
	pthread_t th[WRITERS];
	pthread_mutex_t lock;
	struct ack *acks; /* in the order of the answers */
	size_t n, cap;
	long unexpected, conn_errors;
	char first[512];
};

struct larg {
	struct load *l;
	int thread;
};

/* An amount of its own for every write: 1 to 4999 cents. */
static long long amount_of(int thread, long long seq)
{
	return 1 + (thread * 7919LL + seq * 104729LL) % 4999;
}

static void *writer(void *arg)
{
	struct larg *a = arg;
	struct load *l = a->l;
	CURL *h = curl_easy_init();
	char body[256];

	for (long long seq = 1; !atomic_load(&l->stop); seq++) {
		long long amount = amount_of(a->thread, seq);
		struct hresp r;
		json_t *id;

		snprintf(body, sizeof(body),
			 "{\"programme_id\":%lld,\"amount_cents\":%lld,"
			 "\"spent_on\":\"2024-03-01\",\"description\":"
			 "\"t%d-%lld\"}",
			 l->programme, amount, a->thread, seq);
		http(h, l->port, "POST", "/api/v1/expenditures", l->token, body,
		     &r);
		id = json_object_get(r.json, "id");
		pthread_mutex_lock(&l->lock);
		if (r.rc != CURLE_OK) {
			l->conn_errors++;
		} else if (r.status == 201 && json_is_integer(id)) {
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 4096;
				l->acks = realloc(l->acks,
						  l->cap * sizeof(*l->acks));
			}
			l->acks[l->n++] = (struct ack){ json_integer_value(id),
							amount, a->thread,
							seq };
		} else if (l->unexpected++ == 0) {
			snprintf(l->first, sizeof(l->first), "%ld %.400s",
				 r.status, r.body);
		}
		pthread_mutex_unlock(&l->lock);
		hresp_free(&r);
	}
	curl_easy_cleanup(h);
	free(a);
	return NULL;
}

static size_t acked(struct load *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t got;

	CHECK(in >= 0 && out >= 0, "copy %s to %s: %s", from, to,
	      strerror(errno));
	while ((got = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(out, buf, (size_t)got) == got, "write %s: %s", to,
		      strerror(errno));
	CHECK(got == 0 && fsync(out) == 0 && close(out) == 0, "copy to %s: %s",
	      to, strerror(errno));
	close(in);
}

/* The backup's file copied alone into dir/name, as a restore does. */
static void restore(const char *backup, const char *dir, char *db, size_t n)
{
	char side[PATH_MAX + 8];
	struct stat st;

	snprintf(db, n, "%s/npo.db", dir);
	CHECK(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
	copy_file(backup, db);
	snprintf(side, sizeof(side), "%s-wal", db);
	CHECK(stat(side, &st) != 0, "%s exists before anything opened %s", side,
	      db);
}

static int by_id(const void *a, const void *b)
{
	const struct ack *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* acks[0 .. n) sorted by id, in a new array */
static struct ack *sorted_copy(const struct ack *acks, size_t n)
{
	struct ack *s = malloc((n ? n : 1) * sizeof(*s));

	memcpy(s, acks, n * sizeof(*s));
	qsort(s, n, sizeof(*s), by_id);
	return s;
}

/*
 * The rows of the restored file db against the acknowledged writes: acks[0
 * .. before) were answered before the backup began, acks[0 .. n) is every
 * write answered (the writers have stopped). Checked with SQL on the file,
 * while no daemon has it open.
 */
static void check_rows(const char *db, const struct ack *acks, size_t before,
		       size_t n, const char *what)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	struct ack *sorted = sorted_copy(acks, n);
	struct ack *early = sorted_copy(acks, before);
	long long max_id, rows, audits, unknown = 0;
	size_t upto = 0;
	char *bad = db_integrity(db);

	CHECK(!bad, "%s: PRAGMA integrity_check: %s", what, bad);
	max_id = db_int(db, "SELECT coalesce(max(id), 0) FROM expenditures");
	rows = db_int(db, "SELECT count(*) FROM expenditures");
	audits = db_int(db, "SELECT count(*) FROM audit WHERE entity = "
			    "'expenditure' AND action = 'create'");
	CHECK(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) ==
			      SQLITE_OK &&
		      sqlite3_prepare_v2(
			      h,
			      "SELECT e.amount_cents, e.description,"
			      " (SELECT count(*) FROM audit a"
			      "  WHERE a.entity = 'expenditure'"
			      "  AND a.entity_id = e.id AND a.action = 'create'"
			      "  AND json_extract(a.after, '$.amount_cents')"
			      "      = e.amount_cents)"
			      " FROM expenditures e WHERE e.id = ?",
			      -1, &st, NULL) == SQLITE_OK,
	      "%s: %s", what, sqlite3_errmsg(h));
	for (size_t i = 0; i < n; i++) {
		const struct ack *a = &sorted[i];
		/* answered before the backup began: must be there */
		bool must = bsearch(a, early, before, sizeof(*early), by_id);
		char want[64];
		int rc;

		if (a->id > max_id) {
			CHECK(!must,
			      "%s: id %lld (t%d-%lld) was answered 201 before "
			      "the backup began, but the backup ends at id "
			      "%lld",
			      what, a->id, a->thread, a->seq, max_id);
			continue;
		}
		upto++;
		snprintf(want, sizeof(want), "t%d-%lld", a->thread, a->seq);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a->id);
		rc = sqlite3_step(st);
		CHECK(rc == SQLITE_ROW,
		      "%s: id %lld (%s, answered 201%s) is missing, though "
		      "the backup holds ids up to %lld",
		      what, a->id, want, must ? " before the backup began" : "",
		      max_id);
		CHECK(sqlite3_column_int64(st, 0) == a->amount &&
			      strcmp((const char *)sqlite3_column_text(st, 1),
				     want) == 0,
		      "%s: id %lld is %lld cents '%s', not %lld cents '%s'",
		      what, a->id, (long long)sqlite3_column_int64(st, 0),
		      (const char *)sqlite3_column_text(st, 1), a->amount,
		      want);
		CHECK(sqlite3_column_int64(st, 2) == 1,
		      "%s: id %lld has %lld audit rows 'create' with its "
		      "amount, not 1",
		      what, a->id, (long long)sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	/* the rows fault_programme made are no expenditures: every row is
	 * one of the acknowledged writes */
	unknown = rows - (long long)upto;
	CHECK(unknown == 0,
	      "%s: %lld expenditures, of which %lld nobody was answered "
	      "201 for",
	      what, rows, unknown);
	CHECK(audits == rows, "%s: %lld expenditures but %lld audit rows", what,
	      rows, audits);
	note("%s: %lld rows, up to id %lld; %zu answered before the backup "
	     "began, %zu answered after it began are in it too",
	     what, rows, max_id, before, upto - before);
	free(early);
	free(sorted);
}

/* Every row the restored daemon lists, id and amount, against acks. */
static void check_listed(unsigned short port, const char *token,
			 const struct ack *acks, size_t before)
{
	struct ack *want = sorted_copy(acks, before);
	long long after = 0;
	size_t j = 0, listed = 0;
	CURL *h = curl_easy_init();

	for (;;) {
		char path[160];
		struct hresp r;
		json_t *items, *it;
		size_t i, got;

		snprintf(path, sizeof(path),
			 "/api/v1/expenditures?fields=id,amount_cents"
			 "&limit=1000&after=%lld",
			 after);
		http(h, port, "GET", path, token, NULL, &r);
		items = json_object_get(r.json, "items");
		CHECK(r.rc == CURLE_OK && r.status == 200 &&
			      json_is_array(items),
		      "restored daemon: GET %s: %s %ld %.300s", path,
		      curl_easy_strerror(r.rc), r.status, r.body);
		json_array_foreach(items, i, it)
		{
			long long id =
				json_integer_value(json_object_get(it, "id"));
			long long cents = json_integer_value(
				json_object_get(it, "amount_cents"));

			after = id;
			listed++;
			if (j < before && want[j].id == id) {
				CHECK(cents == want[j].amount,
				      "restored daemon lists id %lld with %lld "
				      "cents, not %lld",
				      id, cents, want[j].amount);
				j++;
			}
			CHECK(j >= before || want[j].id > id,
			      "restored daemon: id %lld (answered 201 before "
			      "the backup began) is not listed",
			      want[j].id);
		}
		got = json_array_size(items);
		hresp_free(&r);
		if (got < 1000)
			break;
	}
	curl_easy_cleanup(h);
	CHECK(j == before,
	      "restored daemon lists %zu rows; %zu of the %zu answered "
	      "before the backup began are not among them (first id %lld)",
	      listed, before - j, before, want[j].id);
	free(want);
}

START_TEST(restore_drill)
{
	char dir[256], db[300], tok[128], file[BACKUPS][320], rdir[320];
	char rdb[340];
	size_t before[BACKUPS], during[BACKUPS], n;
	long long took[BACKUPS];
	struct load l = { 0 };
	struct daemon d, r;
	struct ack *acks;
	struct hresp res;
	char *bad;
	int status;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	fault_tmpdir(dir, sizeof(dir));
	snprintf(db, sizeof(db), "%s/npo.db", dir);
	fault_token(db, "writer", "write", tok, sizeof(tok));
	daemon_init(&d, db, dir);
	daemon_start(&d);
	l.port = d.port;
	l.token = tok;
	l.programme = fault_programme(d.port, tok);
	pthread_mutex_init(&l.lock, NULL);
	for (int i = 0; i < WRITERS; i++) {
		struct larg *a = malloc(sizeof(*a));

		a->l = &l;
		a->thread = i;
		CHECK(pthread_create(&l.th[i], NULL, writer, a) == 0,
		      "pthread_create");
	}
	for (int i = 0; i < 3000 && acked(&l) < 50; i++)
		sleep_ms(10);
	CHECK(acked(&l) >= 50, "fewer than 50 writes answered 201 in 30 s");

	for (int k = 0; k < BACKUPS; k++) {
		const char *argv[] = { "", "backup", file[k], "--db", db, NULL };
		char *err;
		long long t;

		sleep_ms(200 + rand() % 400);
		snprintf(file[k], sizeof(file[k]), "%s/backup-%d.db", dir, k);
		/* what was answered up to here was committed before the
		 * backup process even started */
		before[k] = acked(&l);
		t = now_ms();
		status = fault_run(fault_bin, argv, NULL, NULL, &err, 120000);
		took[k] = now_ms() - t;
		during[k] = acked(&l) - before[k];
		CHECK(status == 0, "backup %d while writing: %s: %s", k,
		      wait_str(status), flat(err));
		free(err);
		note("backup %d: %lld ms, %zu writes answered before it began, "
		     "%zu while it ran",
		     k, took[k], before[k], during[k]);
	}
	/* writes go on after the last backup: they must not matter */
	sleep_ms(300);
	atomic_store(&l.stop, true);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(l.th[i], NULL);
	CHECK(l.unexpected == 0 && l.conn_errors == 0,
	      "%ld writes answered neither 201 (first: %s), %ld cut off",
	      l.unexpected, l.first, l.conn_errors);
	status = daemon_signal_wait(&d, SIGTERM, 30000);
	CHECK(status == 0, "SIGTERM: %s", wait_str(status));
	acks = l.acks;
	n = l.n;
	{
		size_t sum = 0;

		for (int k = 0; k < BACKUPS; k++)
			sum += during[k];
		CHECK(sum > 0,
		      "no write was answered while any backup ran: the drill "
		      "did not back up while writing");
	}

	/* every backup, restored as a file alone */
	for (int k = 0; k < BACKUPS; k++) {
		char what[64];

		snprintf(rdir, sizeof(rdir), "%s/restore-%d", dir, k);
		restore(file[k], rdir, rdb, sizeof(rdb));
		snprintf(what, sizeof(what), "backup %d restored", k);
		check_rows(rdb, acks, before[k], n, what);
	}

	/* the last one served: a daemon started on the restored copy */
	snprintf(rdir, sizeof(rdir), "%s/served", dir);
	restore(file[BACKUPS - 1], rdir, rdb, sizeof(rdb));
	daemon_init(&r, rdb, rdir);
	daemon_start(&r);
	check_listed(r.port, tok, acks, before[BACKUPS - 1]);
	status = daemon_signal_wait(&r, SIGTERM, 30000);
	CHECK(status == 0, "SIGTERM to the restored daemon: %s",
	      wait_str(status));
	check_rows(rdb, acks, before[BACKUPS - 1], n,
		   "last backup, served and stopped");
	/* and it takes writes again */
	daemon_start(&r);
	{
		char body[256];

		snprintf(body, sizeof(body),
			 "{\"programme_id\":%lld,\"amount_cents\":4242,"
			 "\"spent_on\":\"2024-03-02\",\"description\":"
			 "\"after the restore\"}",
			 l.programme);
		http_must(r.port, "POST", "/api/v1/expenditures", tok, body,
			  &res);
		CHECK(res.status == 201,
		      "a write to the restored daemon: %ld %.300s", res.status,
		      res.body);
		hresp_free(&res);
	}
	status = daemon_signal_wait(&r, SIGTERM, 30000);
	CHECK(status == 0, "SIGTERM to the restored daemon: %s",
	      wait_str(status));
	bad = db_integrity(rdb);
	CHECK(!bad, "the restored file after a write: %s", bad);
	CHECK(db_int(rdb, "SELECT count(*) FROM expenditures WHERE "
			  "description = 'after the restore'") == 1,
	      "the write to the restored daemon is not in its file");
	note("restore: %zu writes answered 201 in all, %d backups while "
	     "writing",
	     n, BACKUPS);
	free(l.acks);
	fault_rmtree(dir);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, restore_drill);
}

FAULT_MAIN("restore", 280)
