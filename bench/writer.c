/*
 * bench/writer.c: the reference for the daemon's durable POST. Plain C and
 * SQLite with the daemon's pragmas (WAL, synchronous=FULL, foreign keys, a
 * busy timeout): for SECONDS seconds, one BEGIN IMMEDIATE transaction per
 * expenditure, each with its audit row, as many as it can. Prints
 *
 *   writer: N rows in S s: R rows/s
 *
 *   writer DB SECONDS [PROGRAMME_ID]
 *
 * and the reference for an import of N rows: all of them, each with its
 * audit row, in one transaction:
 *
 *   writer DB --import N [PROGRAMME_ID]
 *
 * DB must have the daemon's schema (a copy of the bench database).
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(sqlite3 *h, const char *what)
{
	fprintf(stderr, "writer: %s: %s\n", what, sqlite3_errmsg(h));
	exit(1);
}

static void exec(sqlite3 *h, const char *sql)
{
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(h, sql);
}

int main(int argc, char **argv)
{
	static const char ins_sql[] =
		"INSERT INTO expenditures (version, created_at, updated_at,"
		" programme_id, plan_id, amount_cents, spent_on, description,"
		" reference) VALUES (1, ?1, ?1, ?2, NULL, ?3, ?4, ?5, NULL)";
	static const char audit_sql[] =
		"INSERT INTO audit (at, actor, action, entity, entity_id,"
		" before, after, note) VALUES (?1, 'writer', 'create',"
		" 'expenditure', ?2, NULL, ?3, NULL)";
	sqlite3 *h;
	sqlite3_stmt *ins, *audit;
	double seconds, start, end;
	long programme, n = 0, rows = 0;
	bool import = argc > 2 && strcmp(argv[2], "--import") == 0;

	if (argc < 3 || argc > 4 + import) {
		fprintf(stderr, "usage: writer DB SECONDS [PROGRAMME_ID]\n"
				"       writer DB --import N [PROGRAMME_ID]\n");
		return 2;
	}
	if (import) {
		rows = atol(argv[3]);
		seconds = 0;
		programme = argc == 5 ? atol(argv[4]) : 2;
	} else {
		seconds = atof(argv[2]);
		programme = argc == 4 ? atol(argv[3]) : 2;
	}
	if (sqlite3_open_v2(argv[1], &h,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		die(h, "open");
	sqlite3_busy_timeout(h, 5000);
	exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		" PRAGMA foreign_keys=ON;");
	if (sqlite3_prepare_v2(h, ins_sql, -1, &ins, NULL) != SQLITE_OK)
		die(h, "prepare insert");
	if (sqlite3_prepare_v2(h, audit_sql, -1, &audit, NULL) != SQLITE_OK)
		die(h, "prepare audit");
	start = now_s();
	end = start + seconds;
	if (import)
		exec(h, "BEGIN IMMEDIATE");
	do {
		char at[21], after[512];
		time_t t = time(NULL);
		struct tm tm;
		sqlite3_int64 id;
		long amount = 1000 + n % 9000;

		gmtime_r(&t, &tm);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (!import)
			exec(h, "BEGIN IMMEDIATE");
		sqlite3_bind_text(ins, 1, at, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 2, programme);
		sqlite3_bind_int64(ins, 3, amount);
		sqlite3_bind_text(ins, 4, "2025-03-14", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, "bench writer", -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die(h, "insert");
		sqlite3_reset(ins);
		id = sqlite3_last_insert_rowid(h);
		/* the row as the audit trail keeps it: compact JSON */
		snprintf(after, sizeof(after),
			 "{\"id\":%lld,\"programme_id\":%ld,\"plan_id\":null,"
			 "\"amount_cents\":%ld,\"spent_on\":\"2025-03-14\","
			 "\"description\":\"bench writer\",\"reference\":null,"
			 "\"status\":\"submitted\",\"version\":1,"
			 "\"created_at\":\"%s\",\"updated_at\":\"%s\"}",
			 (long long)id, programme, amount, at, at);
		sqlite3_bind_text(audit, 1, at, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(audit, 2, id);
		sqlite3_bind_text(audit, 3, after, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(audit) != SQLITE_DONE)
			die(h, "audit");
		sqlite3_reset(audit);
		if (!import)
			exec(h, "COMMIT");
		n++;
	} while (import ? n < rows : now_s() < end);
	if (import)
		exec(h, "COMMIT");
	end = now_s();
	printf("writer: %ld rows in %.2f s: %.1f rows/s\n", n, end - start,
	       (double)n / (end - start));
	sqlite3_finalize(ins);
	sqlite3_finalize(audit);
	sqlite3_close(h);
	return 0;
}
