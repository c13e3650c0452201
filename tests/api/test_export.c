/*
 * The export job, the backup and the spreadsheet overview, end to end: the
 * real npo-budgetd executable (its path is argv[1]) runs `export` and
 * `backup` against the database of a daemon that is serving (and being
 * written to) in this process; the overview.xlsx is unzipped with unzip.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../check_main.h"
#include "harness.h"
#include "npo/util.h"

#define NPO_STR_(x) #x
#define NPO_STR(x) NPO_STR_(x)

static const char *daemon_exe; /* argv[1] */
static struct api a;

/* The demo data: Hilversum's grant and the costs of Huizen. */
#define HILVERSUM_GRANT_CENTS 213850964
#define DEMO_EXPENDITURES 20
#define DEMO_SPENT_CENTS 58838000

static void setup(void)
{
	api_init(&a);
}
static void teardown(void)
{
	api_down(&a);
}

/* --- files ---------------------------------------------------------------- */

/* The whole file at path (NUL-terminated), or NULL; its length in *len. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			p = realloc(p, cap + 1);
			ck_assert_ptr_nonnull(p);
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The names in dir, sorted, comma-separated ("" when empty). */
static char *names_in(const char *dir)
{
	static char out[4096];
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	ck_assert_msg(n >= 0, "%s: %s", dir, strerror(errno));
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") != 0 &&
		    strcmp(list[i]->d_name, "..") != 0)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
				 "%s%s", out[0] ? "," : "", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return out;
}

/* How many names in dir begin with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d) {
		unlink(dir);
		return;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		rm_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

/* --- running the executable ------------------------------------------------ */

struct run {
	int code;    /* exit status; 128+N for signal N; -2 timed out */
	char *out;   /* what it wrote on stdout */
	char *err;   /* and on stderr */
	double secs; /* how long it took */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Runs argv (argv[0] a path, no shell) with stdout and stderr captured in
 * files under a.dir; with fsize > 0 the child may write no file larger than
 * that (RLIMIT_FSIZE, with SIGXFSZ ignored so writes fail with EFBIG). Kills
 * it after timeout_s seconds.
 */
static struct run run_limited(char *const argv[], long fsize, int timeout_s)
{
	static int seq;
	char out_path[256], err_path[256];
	struct run r = { 0 };
	double t0 = now_s();
	int status = 0;
	pid_t pid;

	snprintf(out_path, sizeof(out_path), "%s/run-%d.out", a.dir, ++seq);
	snprintf(err_path, sizeof(err_path), "%s/run-%d.err", a.dir, seq);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* only async-signal-safe calls from here to exec */
		sigset_t none;
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDONLY);

		if (o < 0 || e < 0 || nul < 0 || dup2(nul, 0) < 0 ||
		    dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (fsize > 0) {
			struct rlimit rl = { (rlim_t)fsize, (rlim_t)fsize };

			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
				_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		ck_assert_msg(w == 0, "waitpid: %s", strerror(errno));
		if (now_s() - t0 > timeout_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r.code = -2;
			break;
		}
		usleep(5000);
	}
	r.secs = now_s() - t0;
	if (r.code != -2)
		r.code = WIFEXITED(status) ? WEXITSTATUS(status)
					   : 128 + WTERMSIG(status);
	r.out = slurp(out_path, NULL);
	r.err = slurp(err_path, NULL);
	ck_assert_ptr_nonnull(r.out);
	ck_assert_ptr_nonnull(r.err);
	/* stderr on one line, so a failure message shows all of it */
	for (char *c = r.err; *c; c++)
		if (*c == '\n')
			*c = c[1] ? ' ' : '\0';
	unlink(out_path);
	unlink(err_path);
	return r;
}

static struct run run(char *const argv[])
{
	return run_limited(argv, 0, 120);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* `npo-budgetd export --out dir [--dialect d] --db <a's database>` */
static struct run export_to(const char *dir, const char *dialect)
{
	char *argv[] = {
		(char *)daemon_exe, "export", "--out", (char *)dir, "--db",
		a.db_path,	    NULL,     NULL,    NULL
	};

	if (dialect) {
		argv[6] = "--dialect";
		argv[7] = (char *)dialect;
	}
	return run(argv);
}

/* --- CSV ------------------------------------------------------------------ */

struct csv {
	size_t nrows;
	struct csv_row {
		size_t n;
		char **f;
	} * rows;
};

static void csv_push_field(struct csv_row *row, const char *s, size_t len)
{
	row->f = realloc(row->f, (row->n + 1) * sizeof(*row->f));
	ck_assert_ptr_nonnull(row->f);
	/* s need not end after len bytes: no strndup, which may read on */
	row->f[row->n] = malloc(len + 1);
	ck_assert_ptr_nonnull(row->f[row->n]);
	memcpy(row->f[row->n], s, len);
	row->f[row->n++][len] = '\0';
}

/* Parses text (RFC 4180 with separator sep; LF or CRLF). */
static struct csv csv_parse(const char *text, char sep)
{
	struct csv c = { 0 };
	char *field = malloc(strlen(text) + 1);
	size_t flen = 0;
	const char *p = text;
	struct csv_row *row = NULL;

	ck_assert_ptr_nonnull(field);
	while (*p) {
		if (!row) {
			c.rows = realloc(c.rows,
					 (c.nrows + 1) * sizeof(*c.rows));
			ck_assert_ptr_nonnull(c.rows);
			row = &c.rows[c.nrows++];
			memset(row, 0, sizeof(*row));
		}
		flen = 0;
		if (*p == '"') {
			for (p++; *p; p++) {
				if (*p == '"' && p[1] == '"')
					field[flen++] = *p++;
				else if (*p == '"')
					break;
				else
					field[flen++] = *p;
			}
			ck_assert_msg(*p == '"', "unterminated quote in CSV");
			p++;
		} else {
			while (*p && *p != sep && *p != '\n' && *p != '\r')
				field[flen++] = *p++;
		}
		csv_push_field(row, field, flen);
		if (*p == sep) {
			p++;
			if (!*p) /* "a," at the very end: one more empty field */
				csv_push_field(row, "", 0);
		} else if (*p == '\r' && p[1] == '\n') {
			p += 2;
			row = NULL;
		} else if (*p == '\n') {
			p++;
			row = NULL;
		} else {
			ck_assert_msg(*p == '\0', "stray character %c in CSV",
				      *p);
		}
	}
	free(field);
	return c;
}

static void csv_free(struct csv *c)
{
	for (size_t i = 0; i < c->nrows; i++) {
		for (size_t k = 0; k < c->rows[i].n; k++)
			free(c->rows[i].f[k]);
		free(c->rows[i].f);
	}
	free(c->rows);
}

/* The index of column name in the header row, asserting it is there. */
static size_t csv_col(const struct csv *c, const char *name)
{
	ck_assert_uint_gt(c->nrows, 0);
	for (size_t i = 0; i < c->rows[0].n; i++)
		if (strcmp(c->rows[0].f[i], name) == 0)
			return i;
	ck_abort_msg("no column %s in the CSV header", name);
	return 0;
}

static struct csv csv_load(const char *dir, const char *name, char sep)
{
	char path[512];
	char *text;
	struct csv c;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = slurp(path, NULL);
	ck_assert_msg(text != NULL, "%s: %s", path, strerror(errno));
	c = csv_parse(text, sep);
	free(text);
	return c;
}

/* --- the daemon ------------------------------------------------------------ */

/* The revision the daemon is at, from the ETag of a by-revision list. */
static long long daemon_revision(struct api *x)
{
	struct resp *r =
		api_req(x, "GET", "/api/v1/budgets", x->read, NULL, NULL);
	const char *etag = resp_header(r, "ETag");
	long long rev = -1;

	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(etag);
	ck_assert_msg(sscanf(etag, "\"r%lld-", &rev) == 1, "ETag %s", etag);
	resp_free(r);
	return rev;
}

/*
 * A writer: one thread that POSTs expenditures through the API as fast as
 * it can on one keep-alive connection, recording the id of every 201.
 */
struct writer {
	struct api *api;
	pthread_t th;
	atomic_bool stop;
	pthread_mutex_t mu;
	long long *ids; /* acknowledged (201) ids, in order */
	size_t nids, cap;
	long other;	     /* answers that were not 201 */
	char last_bad[2048]; /* status and body of the last of those */
	char answer[4096];   /* the body of the answer being read */
};

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	struct writer *w = arg;
	size_t len = size * n;
	size_t have = strlen(w->answer);

	if (have + len < sizeof(w->answer)) {
		memcpy(w->answer + have, p, len);
		w->answer[have + len] = '\0';
	}
	return len;
}

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	char url[128], auth[128], body[256];
	long n = 0;

	snprintf(url, sizeof(url), "%s/api/v1/expenditures", w->api->base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->api->write);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	while (!atomic_load(&w->stop)) {
		long status = 0;
		json_t *j;

		snprintf(body, sizeof(body),
			 "{\"programme_id\":2,\"amount_cents\":%ld,"
			 "\"spent_on\":\"2024-12-01\",\"description\":"
			 "\"Lesmateriaal %ld\"}",
			 100 + n % 50, n);
		n++;
		w->answer[0] = '\0';
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (curl_easy_perform(h) != CURLE_OK) {
			pthread_mutex_lock(&w->mu);
			w->other++;
			snprintf(w->last_bad, sizeof(w->last_bad),
				 "curl failed");
			pthread_mutex_unlock(&w->mu);
			continue;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		j = json_loads(w->answer, 0, NULL);
		pthread_mutex_lock(&w->mu);
		if (status == 201 &&
		    json_is_integer(json_object_get(j, "id"))) {
			if (w->nids == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 256;
				w->ids = realloc(w->ids,
						 w->cap * sizeof(*w->ids));
			}
			if (w->ids)
				w->ids[w->nids++] = json_integer_value(
					json_object_get(j, "id"));
		} else {
			w->other++;
			snprintf(w->last_bad, sizeof(w->last_bad),
				 "%ld %.1900s", status, w->answer);
		}
		pthread_mutex_unlock(&w->mu);
		json_decref(j);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return NULL;
}

static void writer_start(struct writer *w, struct api *x)
{
	memset(w, 0, sizeof(*w));
	w->api = x;
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->mu, NULL);
	ck_assert_int_eq(pthread_create(&w->th, NULL, write_loop, w), 0);
}

/* How many writes were acknowledged so far. */
static size_t writer_acked(struct writer *w)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->nids;
	pthread_mutex_unlock(&w->mu);
	return n;
}

/* Waits until at least n writes are acknowledged (60 s at most). */
static void writer_wait(struct writer *w, size_t n)
{
	double t0 = now_s();

	while (writer_acked(w) < n) {
		ck_assert_msg(now_s() - t0 < 60,
			      "the writer made only %zu "
			      "writes in 60 s",
			      writer_acked(w));
		usleep(2000);
	}
}

static void writer_stop(struct writer *w)
{
	atomic_store(&w->stop, true);
	pthread_join(w->th, NULL);
	ck_assert_msg(w->other == 0,
		      "%ld writes were not answered 201; the last: %s",
		      w->other, w->last_bad);
}

static void writer_free(struct writer *w)
{
	free(w->ids);
	pthread_mutex_destroy(&w->mu);
}

/* --- 1. export of the demo data while the daemon serves -------------------- */

static json_t *load_snapshot(const char *dir)
{
	char path[512];
	json_error_t e;
	json_t *j;

	snprintf(path, sizeof(path), "%s/snapshot.json", dir);
	j = json_load_file(path, 0, &e);
	ck_assert_msg(j != NULL, "%s: line %d: %s", path, e.line, e.text);
	return j;
}

static json_t *snapshot_table(json_t *snap, const char *name)
{
	json_t *t = json_object_get(json_object_get(snap, "tables"), name);

	ck_assert_msg(json_is_array(t), "snapshot has no table %s", name);
	return t;
}

START_TEST(export_of_the_demo_while_serving)
{
	static const char *const tables[] = {
		"budgets",	 "goals",    "programmes",
		"reallocations", "schools",  "plans",
		"expenditures",	 "closings", "audit",
	};
	char out[256];
	struct run r;
	json_t *snap, *exps, *e, *t;
	long long rev, sum = 0;
	const char *key;
	struct csv c;
	size_t i;

	api_start_demo(&a);
	rev = daemon_revision(&a);
	snprintf(out, sizeof(out), "%s/export", a.dir);
	r = export_to(out, NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "expenditures") && strstr(r.err, "20 rows"),
		      "%s", r.err);
	run_free(&r);

	/* the directory, complete, and nothing half-made beside it */
	ck_assert_str_eq(
		names_in(out),
		"audit.csv,budgets.csv,closings.csv,expenditures.csv,goals.csv,"
		"plans.csv,programmes.csv,reallocations.csv,"
		"schools.csv,snapshot.json");
	ck_assert_int_eq(count_prefixed(a.dir, "export.tmp-"), 0);

	/* the JSON bundle: every table, no others (no tokens), from the
	 * revision the daemon was at */
	snap = load_snapshot(out);
	ck_assert_int_eq(json_integer_value(json_object_get(snap, "revision")),
			 rev);
	ck_assert_int_eq(json_object_size(json_object_get(snap, "tables")),
			 ARRAY_SIZE(tables));
	for (i = 0; i < ARRAY_SIZE(tables); i++)
		snapshot_table(snap, tables[i]);
	json_object_foreach(json_object_get(snap, "tables"), key, t)
		ck_assert_msg(
			strstr("budgets goals programmes reallocations "
			       "schools plans expenditures closings audit",
			       key) != NULL,
			"unexpected table %s", key);
	ck_assert_int_eq(
		json_integer_value(json_object_get(
			json_array_get(snapshot_table(snap, "budgets"), 0),
			"grant_cents")),
		HILVERSUM_GRANT_CENTS);
	exps = snapshot_table(snap, "expenditures");
	ck_assert_uint_eq(json_array_size(exps), DEMO_EXPENDITURES);
	json_array_foreach(exps, i, e)
	{
		ck_assert(json_is_integer(json_object_get(e, "amount_cents")));
		sum += json_integer_value(json_object_get(e, "amount_cents"));
	}
	ck_assert_int_eq(sum, DEMO_SPENT_CENTS);

	/* budgets.csv: euros with two decimals under *_eur */
	c = csv_load(out, "budgets.csv", ',');
	ck_assert_uint_eq(c.nrows, 3);
	ck_assert_str_eq(c.rows[1].f[csv_col(&c, "municipality_name")],
			 "Hilversum");
	ck_assert_str_eq(c.rows[1].f[csv_col(&c, "grant_eur")], "2138509.64");
	ck_assert_str_eq(c.rows[2].f[csv_col(&c, "grant_eur")], "683901.00");
	csv_free(&c);
	/* one CSV row per snapshot row, table by table */
	for (i = 0; i < 8; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s.csv", tables[i]);
		c = csv_load(out, name, ',');
		ck_assert_msg(c.nrows == 1 + json_array_size(snapshot_table(
						     snap, tables[i])),
			      "%s: %zu lines", name, c.nrows);
		csv_free(&c);
	}
	json_decref(snap);
	/* the export did not change the daemon */
	ck_assert_int_eq(daemon_revision(&a), rev);
}
END_TEST

START_TEST(export_in_the_dutch_excel_dialect)
{
	char out[256], path[512];
	struct run r;
	struct csv c;
	char *text;
	size_t len;

	api_start_demo(&a);
	snprintf(out, sizeof(out), "%s/export-nl", a.dir);
	r = export_to(out, "excel-nl");
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	run_free(&r);
	snprintf(path, sizeof(path), "%s/budgets.csv", out);
	text = slurp(path, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(len > 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0,
		      "no UTF-8 BOM");
	ck_assert_msg(strncmp(text + 3, "id;municipality_code;", 21) == 0,
		      "header: %.60s", text + 3);
	ck_assert_msg(strstr(text, "\r\n") != NULL, "no CRLF");
	for (char *nl = strchr(text, '\n'); nl; nl = strchr(nl + 1, '\n'))
		ck_assert_msg(nl > text && nl[-1] == '\r', "a bare LF");
	c = csv_parse(text + 3, ';');
	ck_assert_uint_eq(c.nrows, 3);
	ck_assert_str_eq(c.rows[1].f[csv_col(&c, "grant_eur")], "2138509,64");
	ck_assert_str_eq(c.rows[1].f[csv_col(&c, "decision_ref")],
			 "Actieagenda NPO, B&W 21 december 2021");
	csv_free(&c);
	free(text);
	/* the bundle is JSON whatever the dialect */
	json_decref(load_snapshot(out));
}
END_TEST

/* --- 2. one consistent moment while a writer runs ------------------------- */

static int cmp_ll(const void *x, const void *y)
{
	long long p = *(const long long *)x, q = *(const long long *)y;

	return (p > q) - (p < q);
}

/* Checks one export made while the writer ran; returns its number of
 * expenditures. */
static size_t check_consistent(const char *out, long long rev0)
{
	json_t *snap = load_snapshot(out);
	json_t *exps = snapshot_table(snap, "expenditures"), *e;
	size_t nexp = json_array_size(exps), i, ncreate = 0;
	long long *created;
	struct csv c;
	size_t id_col, act, ent, eid;

	/* expenditures.csv holds the same rows as the bundle */
	c = csv_load(out, "expenditures.csv", ',');
	ck_assert_msg(c.nrows == nexp + 1,
		      "snapshot.json has %zu expenditures, expenditures.csv "
		      "%zu",
		      nexp, c.nrows - 1);
	id_col = csv_col(&c, "id");
	json_array_foreach(exps, i, e)
		ck_assert_int_eq(atoll(c.rows[i + 1].f[id_col]),
				 json_integer_value(json_object_get(e, "id")));
	csv_free(&c);

	/* audit.csv of the same export has the create of each of them, and
	 * of no other expenditure */
	c = csv_load(out, "audit.csv", ',');
	ck_assert_uint_eq(c.nrows - 1,
			  json_array_size(snapshot_table(snap, "audit")));
	act = csv_col(&c, "action");
	ent = csv_col(&c, "entity");
	eid = csv_col(&c, "entity_id");
	created = calloc(c.nrows, sizeof(*created));
	ck_assert_ptr_nonnull(created);
	for (i = 1; i < c.nrows; i++)
		if (strcmp(c.rows[i].f[act], "create") == 0 &&
		    strcmp(c.rows[i].f[ent], "expenditure") == 0)
			created[ncreate++] = atoll(c.rows[i].f[eid]);
	csv_free(&c);
	qsort(created, ncreate, sizeof(*created), cmp_ll);
	json_array_foreach(exps, i, e)
	{
		long long id = json_integer_value(json_object_get(e, "id"));

		ck_assert_msg(bsearch(&id, created, ncreate, sizeof(*created),
				      cmp_ll) != NULL,
			      "expenditure %lld is in the export without its "
			      "audit row",
			      id);
	}
	ck_assert_msg(ncreate == nexp,
		      "audit.csv has %zu creates of expenditures, the export "
		      "%zu expenditures",
		      ncreate, nexp);
	free(created);

	/* every write bumps the revision once: the bundle's revision is the
	 * moment its rows are from */
	ck_assert_int_eq(json_integer_value(json_object_get(snap, "revision")),
			 rev0 + (long long)(nexp - DEMO_EXPENDITURES));
	json_decref(snap);
	return nexp;
}

START_TEST(export_is_one_moment_while_writes_go_on)
{
	struct writer w;
	long long rev0;
	int overlapped = 0;

	api_start_demo(&a);
	rev0 = daemon_revision(&a);
	writer_start(&w, &a);
	for (int k = 0; k < 4; k++) {
		char out[256];
		size_t before, after, nexp;
		struct run r;

		writer_wait(&w, writer_acked(&w) + 5);
		before = writer_acked(&w);
		snprintf(out, sizeof(out), "%s/export-%d", a.dir, k);
		r = export_to(out, NULL);
		after = writer_acked(&w);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		run_free(&r);
		nexp = check_consistent(out, rev0);
		ck_assert_uint_ge(nexp, DEMO_EXPENDITURES + before);
		ck_assert_uint_le(nexp, DEMO_EXPENDITURES + after + 1);
		overlapped += after > before;
		ck_assert_int_eq(
			count_prefixed(a.dir, "export-0.tmp-") +
				count_prefixed(a.dir, "export-1.tmp-") +
				count_prefixed(a.dir, "export-2.tmp-") +
				count_prefixed(a.dir, "export-3.tmp-"),
			0);
	}
	writer_stop(&w);
	ck_assert_msg(overlapped > 0, "no export ran while a write was "
				      "acknowledged; the test proved nothing");
	writer_free(&w);
}
END_TEST

/* --- 3. refusals ---------------------------------------------------------- */

START_TEST(export_into_an_existing_directory_is_refused)
{
	char out[256], keep[512];
	struct run r;
	char *text;

	api_start_demo(&a);
	snprintf(out, sizeof(out), "%s/already", a.dir);
	ck_assert_int_eq(mkdir(out, 0700), 0);
	snprintf(keep, sizeof(keep), "%s/keep.txt", out);
	spit(keep, "mine\n", 5);
	r = export_to(out, NULL);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, out) != NULL,
		      "the message does not name "
		      "%s: %s",
		      out, r.err);
	run_free(&r);
	ck_assert_str_eq(names_in(out), "keep.txt");
	text = slurp(keep, NULL);
	ck_assert_str_eq(text, "mine\n");
	free(text);
	ck_assert_int_eq(count_prefixed(a.dir, "already.tmp-"), 0);
	/* a file by that name is just as much in the way */
	r = export_to(keep, NULL);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	run_free(&r);
	text = slurp(keep, NULL);
	ck_assert_str_eq(text, "mine\n");
	free(text);
}
END_TEST

START_TEST(export_usage_errors_are_exit_2)
{
	char *no_out[] = { (char *)daemon_exe, "export", "--db", a.db_path,
			   NULL };
	char *no_value[] = { (char *)daemon_exe, "export", "--db",
			     a.db_path,		 "--out",  NULL };
	char out[256];
	char *bad_dialect[] = { (char *)daemon_exe,
				"export",
				"--out",
				out,
				"--dialect",
				"excel",
				"--db",
				a.db_path,
				NULL };
	struct run r;
	const char *before;
	char *copy;

	snprintf(out, sizeof(out), "%s/never", a.dir);
	before = names_in(a.dir);
	copy = strdup(before);
	r = run(no_out);
	ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "--out") != NULL, "%s", r.err);
	run_free(&r);
	r = run(no_value);
	ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.err);
	run_free(&r);
	r = run(bad_dialect);
	ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.err);
	run_free(&r);
	ck_assert_str_eq(names_in(a.dir), copy);
	free(copy);
}
END_TEST

START_TEST(export_under_an_unusable_parent_fails_cleanly)
{
	char file[256], under_file[512];
	struct run r;
	char *before;

	api_start_demo(&a);
	r = export_to("/proc/nonexistent/x", NULL);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "/proc/nonexistent/x") != NULL, "%s",
		      r.err);
	run_free(&r);
	ck_assert(!exists("/proc/nonexistent"));
	/* a parent that is a file */
	snprintf(file, sizeof(file), "%s/plain", a.dir);
	spit(file, "x", 1);
	snprintf(under_file, sizeof(under_file), "%s/x", file);
	before = strdup(names_in(a.dir));
	r = export_to(under_file, NULL);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, under_file) != NULL, "%s", r.err);
	run_free(&r);
	ck_assert_str_eq(names_in(a.dir), before);
	free(before);
}
END_TEST

/* A write that fails half-way (here: a file size limit, as a full disk
 * would) fails the export and leaves neither DIR nor DIR.tmp-*. */
START_TEST(export_that_cannot_write_leaves_nothing)
{
	char out[256];
	char *argv[] = { (char *)daemon_exe, "export", "--out", out, "--db",
			 a.db_path,	     NULL };
	struct run r;

	api_start_demo(&a);
	snprintf(out, sizeof(out), "%s/full", a.dir);
	r = run_limited(argv, 16384, 120);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "npo-budgetd: ") != NULL, "%s", r.err);
	run_free(&r);
	ck_assert(!exists(out));
	ck_assert_int_eq(count_prefixed(a.dir, "full"), 0);
	/* and the daemon goes on */
	ck_assert_int_eq(daemon_revision(&a) > 0, 1);
}
END_TEST

/* --- 4. backup ------------------------------------------------------------- */

static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
		      "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Opens file, checks its integrity and that it holds the n acknowledged
 * expenditures ids[]. */
static void check_backup_file(const char *file, const long long *ids, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	ck_assert_msg(!exists(tmp), "%s left behind", tmp);
	ck_assert_int_eq(sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE,
					 NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
					    &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	ck_assert_int_ge(query_int(db, "SELECT count(*) FROM expenditures"),
			 (long long)(DEMO_EXPENDITURES + n));
	ck_assert_int_eq(query_int(db, "SELECT grant_cents FROM budgets "
				       "WHERE id = 1"),
			 HILVERSUM_GRANT_CENTS);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM "
					    "expenditures WHERE id = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_msg(sqlite3_column_int64(st, 0) == 1,
			      "acknowledged expenditure %lld is not in the "
			      "backup",
			      ids[i]);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

/* Makes a directory for a backup beside (not inside) a.dir. */
static void backup_dir(char dir[64])
{
	snprintf(dir, 64, "/tmp/npo-backup-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

START_TEST(backup_while_serving_and_writing)
{
	char dir[64], file[128];
	char *argv[] = { (char *)daemon_exe, "backup", file, "--db",
			 a.db_path,	     NULL };
	struct writer w;
	long long *acked, last;
	size_t n0;
	struct run r;
	struct api b;
	struct resp *q;
	char path[64];

	api_start_demo(&a);
	backup_dir(dir);
	snprintf(file, sizeof(file), "%s/npo-backup.db", dir);
	writer_start(&w, &a);
	writer_wait(&w, 10);
	/* what was acknowledged before the backup starts must be in it */
	pthread_mutex_lock(&w.mu);
	n0 = w.nids;
	acked = malloc(n0 * sizeof(*acked));
	ck_assert_ptr_nonnull(acked);
	memcpy(acked, w.ids, n0 * sizeof(*acked));
	pthread_mutex_unlock(&w.mu);
	r = run(argv);
	writer_wait(&w, writer_acked(&w) + 5);
	writer_stop(&w);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	run_free(&r);
	check_backup_file(file, acked, n0);
	last = acked[n0 - 1];

	/* the daemon starts on the backup and serves those rows; the
	 * tokens are in it too */
	memset(&b, 0, sizeof(b));
	snprintf(b.dir, sizeof(b.dir), "%s", dir);
	snprintf(b.db_path, sizeof(b.db_path), "%s", file);
	memcpy(b.read, a.read, sizeof(b.read));
	memcpy(b.write, a.write, sizeof(b.write));
	memcpy(b.admin, a.admin, sizeof(b.admin));
	server_config_defaults(&b.cfg);
	b.cfg.db_path = b.db_path;
	b.cfg.listen = "127.0.0.1:0";
	b.cfg.threads = 2;
	api_start(&b);
	q = api_req(&b, "GET", "/api/v1/expenditures?count=true&limit=1",
		    b.read, NULL, NULL);
	ck_assert_int_eq(q->status, 200);
	ck_assert_int_ge(jint(q, "total"), (long long)(DEMO_EXPENDITURES + n0));
	resp_free(q);
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", last);
	q = api_req(&b, "GET", path, b.read, NULL, NULL);
	ck_assert_int_eq(q->status, 200);
	ck_assert_int_eq(jint(q, "id"), last);
	resp_free(q);
	q = api_req(&b, "GET", "/api/v1/budgets/1", b.read, NULL, NULL);
	ck_assert_int_eq(jint(q, "grant_cents"), HILVERSUM_GRANT_CENTS);
	resp_free(q);
	/* and it can be written to */
	q = api_json(&b, "POST", "/api/v1/expenditures", b.write,
		     "{s:I, s:I, s:s, s:s}", "programme_id", (json_int_t)2,
		     "amount_cents", (json_int_t)100, "spent_on", "2024-12-02",
		     "description", "na herstel");
	ck_assert_msg(q->status == 201, "%s", q->body);
	resp_free(q);
	api_down(&b);
	free(acked);
	writer_free(&w);
}
END_TEST

START_TEST(backup_usage_errors_are_exit_2)
{
	char file[256];
	char *none[] = { (char *)daemon_exe, "backup", "--db", a.db_path,
			 NULL };
	char *two[] = { (char *)daemon_exe, "backup", file, file, "--db",
			a.db_path,	    NULL };
	struct run r;

	snprintf(file, sizeof(file), "%s/b.db", a.dir);
	r = run(none);
	ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "FILE") != NULL, "%s", r.err);
	run_free(&r);
	r = run(two);
	ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.err);
	run_free(&r);
	ck_assert(!exists(file));
}
END_TEST

/* A misspelt --db (or a cron job in the wrong directory, with the default
 * ./npo.db) is a failure: no empty database made up and backed up. */
START_TEST(backup_of_a_missing_database_fails)
{
	char nope[256], file[256];
	char *argv[] = {
		(char *)daemon_exe, "backup", file, "--db", nope, NULL
	};
	struct run r;

	snprintf(nope, sizeof(nope), "%s/nope.db", a.dir);
	snprintf(file, sizeof(file), "%s/backup.db", a.dir);
	r = run(argv);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	run_free(&r);
	ck_assert_msg(!exists(nope), "backup made the database %s", nope);
	ck_assert_msg(!exists(file),
		      "backup wrote %s of a database that "
		      "did not exist",
		      file);
}
END_TEST

START_TEST(export_of_a_missing_database_fails)
{
	char nope[256], out[256];
	char *argv[] = {
		(char *)daemon_exe, "export", "--out", out, "--db", nope, NULL
	};
	struct run r;

	snprintf(nope, sizeof(nope), "%s/nope.db", a.dir);
	snprintf(out, sizeof(out), "%s/export", a.dir);
	r = run(argv);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	run_free(&r);
	ck_assert_msg(!exists(nope), "export made the database %s", nope);
	ck_assert_msg(!exists(out),
		      "export wrote %s from a database that "
		      "did not exist",
		      out);
}
END_TEST

START_TEST(backup_into_a_missing_directory_fails)
{
	char file[256];
	char *argv[] = { (char *)daemon_exe, "backup", file, "--db",
			 a.db_path,	     NULL };
	struct run r;

	snprintf(file, sizeof(file), "%s/no/such/backup.db", a.dir);
	r = run(argv);
	ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "/no/such/backup.db") != NULL, "%s", r.err);
	run_free(&r);
}
END_TEST

/*
 * A database that has grown (a long audit trail: here GROWN_ROWS rows of
 * about 1 kB, put in directly) is backed up while a clerk keeps saving. The
 * backup must still finish, in some small multiple of the time it takes on
 * a quiet database, not start over after every write for ever.
 */
#ifndef GROWN_ROWS
#define GROWN_ROWS 40000
#endif

START_TEST(backup_of_a_grown_database_finishes_under_writes)
{
	char dir[64], file[128];
	char *argv[] = { (char *)daemon_exe, "backup", file, "--db",
			 a.db_path,	     NULL };
	struct writer w;
	sqlite3 *db;
	struct run r;
	size_t n0, during;
	long long *acked, pages;
	double quiet, limit;

	ck_assert_int_eq(sqlite3_open(a.db_path, &db), SQLITE_OK);
	ck_assert_int_eq(
		sqlite3_exec(
			db,
			"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
			"SELECT i + 1 FROM n WHERE i < " NPO_STR(
				GROWN_ROWS) ") "
					    "INSERT INTO audit (at, actor, action, entity, "
					    "entity_id, note) SELECT '2023-01-01T00:00:00Z', "
					    "'import', 'note', 'budget', 1, "
					    "hex(randomblob(500)) FROM n",
			NULL, NULL, NULL),
		SQLITE_OK);
	pages = query_int(db, "PRAGMA page_count");
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	api_start_demo(&a);
	backup_dir(dir);

	/* the time it takes with nobody writing */
	snprintf(file, sizeof(file), "%s/quiet.db", dir);
	r = run(argv);
	quiet = r.secs;
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	run_free(&r);
	unlink(file);
	limit = 10 * quiet < 20 ? 20 : 10 * quiet > 90 ? 90 : 10 * quiet;

	snprintf(file, sizeof(file), "%s/grown.db", dir);
	writer_start(&w, &a);
	writer_wait(&w, 10);
	pthread_mutex_lock(&w.mu);
	n0 = w.nids;
	acked = malloc(n0 * sizeof(*acked));
	ck_assert_ptr_nonnull(acked);
	memcpy(acked, w.ids, n0 * sizeof(*acked));
	pthread_mutex_unlock(&w.mu);
	r = run_limited(argv, 0, (int)limit);
	during = writer_acked(&w) - n0;
	writer_stop(&w);
	if (r.code == -2) {
		/* a failed test keeps its files: not these tens of MB */
		rm_tree(dir);
		api_down(&a);
	}
	ck_assert_msg(r.code != -2,
		      "backup of a %lld-page database took %.1f s with nobody "
		      "writing, but did not finish in %.0f s while one writer "
		      "saved (%zu writes acknowledged meanwhile)",
		      pages, quiet, limit, during);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	run_free(&r);
	check_backup_file(file, acked, n0);
	rm_tree(dir);
	free(acked);
	writer_free(&w);
}
END_TEST

/* --- 5. the spreadsheet overview ------------------------------------------ */

/* `unzip -p xlsx member`: the member's bytes. */
static char *unzip_member(const char *xlsx, const char *member)
{
	char *argv[] = { "/usr/bin/unzip", "-p", (char *)xlsx, (char *)member,
			 NULL };
	struct run r;
	char *out;

	if (!exists(argv[0]))
		argv[0] = "/bin/unzip";
	r = run(argv);
	ck_assert_msg(r.code == 0, "unzip %s %s: exit %d: %s", xlsx, member,
		      r.code, r.err);
	out = r.out;
	free(r.err);
	return out;
}

/* Whether the sheet XML has a numeric cell (no t="...") with <v>v</v>. */
static bool has_number_cell(const char *xml, const char *v)
{
	char want[64];

	snprintf(want, sizeof(want), "<v>%s</v>", v);
	for (const char *c = strstr(xml, "<c "); c; c = strstr(c + 1, "<c ")) {
		const char *open_end = strchr(c, '>');
		const char *close = strstr(c, "</c>");
		const char *val = strstr(c, want);
		const char *t = strstr(c, " t=\"");

		if (!open_end || !close || !val || val > close)
			continue;
		if (t && t < open_end) /* a string, boolean, ... cell */
			continue;
		return true;
	}
	return false;
}

/* The sum of the numeric cells in column col of rows 2 and on. */
static double column_sum(const char *xml, char col, int *cells)
{
	double sum = 0;

	*cells = 0;
	for (const char *c = strstr(xml, "<c r=\""); c;
	     c = strstr(c + 1, "<c r=\"")) {
		const char *ref = c + 6, *open_end = strchr(c, '>');
		const char *t = strstr(c, " t=\"");
		const char *v = strstr(c, "<v>"), *close = strstr(c, "</c>");

		if (ref[0] != col || atoi(ref + 1) < 2 || !open_end)
			continue;
		if ((t && t < open_end) || !v || !close || v > close)
			continue;
		sum += atof(v + 3);
		(*cells)++;
	}
	return sum;
}

static void fetch_xlsx(const char *path, const char *file)
{
	struct resp *r = api_req(&a, "GET", path, a.read, NULL, NULL);
	const char *cd;

	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	ck_assert_str_eq(resp_header(r, "Content-Type"),
			 "application/vnd.openxmlformats-officedocument."
			 "spreadsheetml.sheet");
	cd = resp_header(r, "Content-Disposition");
	ck_assert_ptr_nonnull(cd);
	ck_assert_msg(strncmp(cd, "attachment", 10) == 0, "%s", cd);
	ck_assert_msg(strstr(cd, ".xlsx\"") != NULL ||
			      (strlen(cd) > 5 &&
			       strcmp(cd + strlen(cd) - 5, ".xlsx") == 0),
		      "%s", cd);
	ck_assert_msg(r->len > 4 && memcmp(r->body, "PK\x03\x04", 4) == 0,
		      "not a zip");
	spit(file, r->body, r->len);
	resp_free(r);
}

START_TEST(overview_xlsx_of_hilversum)
{
	char file[256];
	char *wb, *sheet, *styles;
	const char *p;

	api_start_demo(&a);
	snprintf(file, sizeof(file), "%s/hilversum.xlsx", a.dir);
	fetch_xlsx("/api/v1/budgets/1/overview.xlsx", file);

	/* four sheets, in this order */
	wb = unzip_member(file, "xl/workbook.xml");
	p = strstr(wb, "<sheet name=\"Overzicht\"");
	ck_assert_msg(p != NULL, "%s", wb);
	p = strstr(p, "<sheet name=\"Programma");
	ck_assert_msg(p && (strncmp(p + 22, "'s\"", 3) == 0 ||
			    strncmp(p + 22, "&apos;s\"", 8) == 0 ||
			    strncmp(p + 22, "&#39;s\"", 7) == 0),
		      "%s", wb);
	p = strstr(p, "<sheet name=\"Bestedingsplannen\"");
	ck_assert_msg(p != NULL, "%s", wb);
	ck_assert_msg(strstr(p, "<sheet name=\"Bestedingen\"") != NULL, "%s",
		      wb);
	free(wb);

	/* the grant is a number in euros, not text */
	sheet = unzip_member(file, "xl/worksheets/sheet1.xml");
	ck_assert_msg(has_number_cell(sheet, "2138509.64"),
		      "no numeric cell 2138509.64 in the first sheet");
	ck_assert_ptr_null(strstr(sheet, "213850964"));
	free(sheet);

	/* with a euro number format */
	styles = unzip_member(file, "xl/styles.xml");
	p = strstr(styles, "<numFmt ");
	ck_assert_msg(p != NULL, "no numFmt: %s", styles);
	ck_assert_msg(strstr(p, "\xE2\x82\xAC") != NULL &&
			      strstr(p, "</numFmts>") != NULL &&
			      strstr(p, "\xE2\x82\xAC") <
				      strstr(p, "</numFmts>"),
		      "no euro sign in a numFmt: %s", styles);
	free(styles);
}
END_TEST

/* The number in cell ref ("J23") of the sheet XML; asserts there is one. */
static double cell_number(const char *xml, const char *ref)
{
	char want[32];
	const char *c, *v, *close;

	snprintf(want, sizeof(want), "<c r=\"%s\"", ref);
	c = strstr(xml, want);
	ck_assert_msg(c != NULL, "no cell %s", ref);
	v = strstr(c, "<v>");
	close = strstr(c, "</c>");
	ck_assert_msg(v && close && v < close, "cell %s has no value", ref);
	return atof(v + 3);
}

/* Huizen's Bestedingen sheet holds the 20 costs under its title and header,
 * adding up to 588,380 in the totals row below them. */
START_TEST(overview_xlsx_of_huizen_adds_up)
{
	char file[256], ref[16];
	char *sheet;
	int cells;
	double sum;

	api_start_demo(&a);
	snprintf(file, sizeof(file), "%s/huizen.xlsx", a.dir);
	fetch_xlsx("/api/v1/budgets/2/overview.xlsx", file);
	sheet = unzip_member(file, "xl/worksheets/sheet4.xml");
	/* the amounts and their total */
	sum = column_sum(sheet, 'J', &cells);
	ck_assert_int_eq(cells, DEMO_EXPENDITURES + 1);
	ck_assert_msg(sum > 2 * 588380 - 0.005 && sum < 2 * 588380 + 0.005,
		      "sum %f", sum);
	snprintf(ref, sizeof(ref), "J%d", DEMO_EXPENDITURES + 3);
	ck_assert_double_eq_tol(cell_number(sheet, ref), 588380, 0.005);
	free(sheet);
	/* a spreadsheet client that cannot set headers */
	{
		char path[256];
		struct resp *r;

		snprintf(path, sizeof(path),
			 "/api/v1/budgets/2/overview.xlsx?access_token=%s",
			 a.read);
		r = api_req(&a, "GET", path, NULL, NULL, NULL);
		ck_assert_int_eq(r->status, 200);
		ck_assert(r->len > 4 && memcmp(r->body, "PK", 2) == 0);
		resp_free(r);
	}
}
END_TEST

START_TEST(overview_xlsx_refusals)
{
	struct resp *r;

	api_start_demo(&a);
	r = api_req(&a, "GET", "/api/v1/budgets/999/overview.xlsx", a.read,
		    NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	ck_assert_str_eq(resp_header(r, "Content-Type"),
			 "application/problem+json");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/1/overview.xlsx", NULL, NULL,
		    NULL);
	ck_assert_int_eq(r->status, 401);
	ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate"));
	resp_free(r);
}
END_TEST

/* A workbook fit to file: ?year= and ?as_of= as in the status, a title
 * that says whose and when, Dutch statuses and warnings, names next to ids,
 * the reallocations, and a print setup (landscape, one page wide, the
 * header on every page). */
START_TEST(overview_xlsx_is_fit_to_file)
{
	char file[256];
	char *wb, *strings, *sheet;
	int cells;
	double sum;

	api_start_demo(&a);
	snprintf(file, sizeof(file), "%s/huizen-2024.xlsx", a.dir);
	fetch_xlsx("/api/v1/budgets/2/overview.xlsx?year=2024&as_of=2025-06-30",
		   file);
	wb = unzip_member(file, "xl/workbook.xml");
	ck_assert_msg(strstr(wb, "<sheet name=\"Herschikkingen\""), "%s", wb);
	/* the table headers repeat on every printed page */
	ck_assert_msg(strstr(wb, "_xlnm.Print_Titles"), "%s", wb);
	free(wb);
	strings = unzip_member(file, "xl/sharedStrings.xml");
	ck_assert_msg(strstr(strings, "Bestedingsoverzicht Nationaal Programma "
				      "Onderwijs"),
		      "%s", strings);
	ck_assert_msg(strstr(strings, "Huizen (GM0406)"), "%s", strings);
	ck_assert_msg(strstr(strings, "Z.197762 – 1243357"), "%s", strings);
	ck_assert_msg(strstr(strings, "Bestedingen – Huizen (GM0406) – 2024"),
		      "%s", strings);
	ck_assert_msg(strstr(strings, "<t>goedgekeurd</t>") &&
			      strstr(strings, "<t>betaald</t>") &&
			      strstr(strings, "<t>afgerond</t>"),
		      "%s", strings);
	ck_assert_ptr_null(strstr(strings, "<t>approved</t>"));
	/* names next to ids */
	ck_assert_msg(strstr(strings, "OBS De Regenboog") &&
			      strstr(strings, "<t>10HZ00</t>"),
		      "%s", strings);
	/* 31 days before the deadline: the warning in Dutch, in euros */
	ck_assert_msg(strstr(strings, "nog 31 dagen tot en met 31 juli 2025 en "
				      "€ 83.107,00 is niet verplicht"),
		      "%s", strings);
	free(strings);

	sheet = unzip_member(file, "xl/worksheets/sheet1.xml");
	ck_assert_msg(strstr(sheet, "orientation=\"landscape\"") &&
			      strstr(sheet, "fitToHeight=\"0\""),
		      "%s", sheet);
	/* the peildatum as a date: 30 June 2025 is day 45838 */
	ck_assert_msg(has_number_cell(sheet, "45838"), "%s", sheet);
	/* spent in 2024 among the totals */
	ck_assert_msg(has_number_cell(sheet, "183380"), "%s", sheet);
	free(sheet);

	/* only the costs dated in 2024, and their total */
	sheet = unzip_member(file, "xl/worksheets/sheet4.xml");
	sum = column_sum(sheet, 'J', &cells);
	ck_assert_int_eq(cells, 11 + 1);
	ck_assert_double_eq_tol(sum, 2 * 183380, 0.005);
	ck_assert_double_eq_tol(cell_number(sheet, "J14"), 183380, 0.005);
	/* their dates are dates: 15 November 2024 is day 45611 */
	ck_assert_msg(has_number_cell(sheet, "45611"), "%s", sheet);
	free(sheet);

	/* the two reallocations of 20,000 and 10,000, and their total */
	sheet = unzip_member(file, "xl/worksheets/sheet5.xml");
	ck_assert_double_eq_tol(cell_number(sheet, "E3"), 20000, 0.005);
	ck_assert_double_eq_tol(cell_number(sheet, "E4"), 10000, 0.005);
	ck_assert_double_eq_tol(cell_number(sheet, "E5"), 30000, 0.005);
	free(sheet);
}
END_TEST

/* accountability.xlsx: the SiSa row of the beschikking, a row per goal,
 * and the ineligible costs on their own sheet; a closed year's is the
 * report kept at its closing. */
START_TEST(accountability_xlsx_is_shaped_like_sisa)
{
	char file[256];
	char *wb, *strings, *sheet;
	struct resp *r;

	api_start_demo(&a);
	snprintf(file, sizeof(file), "%s/verantwoording-2025.xlsx", a.dir);
	fetch_xlsx("/api/v1/budgets/2/accountability.xlsx?year=2025", file);
	wb = unzip_member(file, "xl/workbook.xml");
	ck_assert_msg(strstr(wb, "<sheet name=\"SiSa\"") &&
			      strstr(wb, "<sheet name=\"Niet subsidiabel\""),
		      "%s", wb);
	free(wb);
	sheet = unzip_member(file, "xl/worksheets/sheet1.xml");
	/* row 5: besteding 2025, cumulatief, Ja, terug te betalen */
	ck_assert_double_eq_tol(cell_number(sheet, "B5"), 0, 0.005);
	ck_assert_double_eq_tol(cell_number(sheet, "C5"), 588380, 0.005);
	ck_assert_double_eq_tol(cell_number(sheet, "E5"), 95521, 0.005);
	/* the goals, then their total under the same columns */
	ck_assert_double_eq_tol(cell_number(sheet, "C9"), 225000, 0.005);
	ck_assert_double_eq_tol(cell_number(sheet, "C14"), 588380, 0.005);
	free(sheet);
	strings = unzip_member(file, "xl/sharedStrings.xml");
	ck_assert_msg(strstr(strings, "<t>Ja</t>"), "%s", strings);
	ck_assert_msg(strstr(strings, "€ 95.521,00 gaat terug naar het Rijk"),
		      "%s", strings);
	free(strings);

	snprintf(file, sizeof(file), "%s/verantwoording-2023.xlsx", a.dir);
	fetch_xlsx("/api/v1/budgets/2/accountability.xlsx?year=2023", file);
	sheet = unzip_member(file, "xl/worksheets/sheet1.xml");
	ck_assert_double_eq_tol(cell_number(sheet, "B5"), 205000, 0.005);
	ck_assert_double_eq_tol(cell_number(sheet, "C5"), 405000, 0.005);
	free(sheet);
	strings = unzip_member(file, "xl/sharedStrings.xml");
	ck_assert_msg(strstr(strings, "Jaar afgesloten op 15 juni 2024."), "%s",
		      strings);
	ck_assert_msg(strstr(strings, "<t>Nee</t>"), "%s", strings);
	free(strings);

	r = api_req(&a, "GET", "/api/v1/budgets/2/accountability.xlsx", a.read,
		    NULL, NULL);
	ck_assert_int_eq(r->status, 400);
	resp_free(r);
	r = api_req(&a, "GET",
		    "/api/v1/budgets/2/accountability.xlsx?year=2030", a.read,
		    NULL, NULL);
	ck_assert_int_eq(r->status, 422);
	resp_free(r);
}
END_TEST

/* `token add` with a scope and an expiry, `token list` with its header,
 * and the refusals: one line and exit 2. */
START_TEST(token_commands_scope_and_refuse)
{
	static const struct {
		const char *args[4];
		const char *says;
	} refused[] = {
		{ { "--role", "read", "--school", "99XX00" },
		  "no school 99XX00" },
		{ { "--role", "admin", "--municipality", "GM0406" },
		  "admin token is never limited" },
		{ { "--role", "read", "--municipality", "Huizen" },
		  "CBS municipality code" },
		{ { "--role", "read", "--expires", "2020-01-01" }, "future" },
	};
	struct run r;

	api_start_demo(&a);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char *argv[] = { (char *)daemon_exe,
				 "token",
				 "add",
				 "x",
				 (char *)refused[i].args[0],
				 (char *)refused[i].args[1],
				 (char *)refused[i].args[2],
				 (char *)refused[i].args[3],
				 "--db",
				 a.db_path,
				 NULL };

		r = run(argv);
		ck_assert_msg(r.code == 2, "%s %s: exit %d: %s",
			      refused[i].args[2], refused[i].args[3], r.code,
			      r.err);
		ck_assert_msg(strstr(r.err, refused[i].says) &&
				      !strchr(r.err, '\n'),
			      "%s", r.err);
		ck_assert_str_eq(r.out, "");
		run_free(&r);
	}
	{
		char *argv[] = { (char *)daemon_exe,
				 "token",
				 "add",
				 "regenboog",
				 "--role",
				 "write",
				 "--school",
				 "10HZ00",
				 "--expires",
				 "2999-06-30",
				 "--db",
				 a.db_path,
				 NULL };

		r = run(argv);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		ck_assert_uint_eq(strlen(r.out), AUTH_TOKEN_LEN + 1);
		ck_assert_msg(strstr(r.err, "school 10HZ00"), "%s", r.err);
		run_free(&r);
	}
	{
		char *argv[] = { (char *)daemon_exe, "token", "list", "--db",
				 a.db_path,	     NULL };

		r = run(argv);
		ck_assert_int_eq(r.code, 0);
		ck_assert_msg(strncmp(r.out, "NAME ", 5) == 0 &&
				      strstr(r.out, "SCOPE") &&
				      strstr(r.out, "EXPIRES") &&
				      strstr(r.out, "LAST USED"),
			      "%s", r.out);
		ck_assert_msg(strstr(r.out, "school 10HZ00") &&
				      strstr(r.out, "2999-06-30T00:00:00Z"),
			      "%s", r.out);
		ck_assert_ptr_null(strstr(r.out, "npo_"));
		run_free(&r);
	}
}
END_TEST

/* `npo-budgetd import` on the database the daemon serves, and on one no
 * daemon has open: the same import, the counts on stdout, each row error
 * on a line of stderr and exit 2. */
START_TEST(import_from_the_command_line)
{
	char file[256], other[256];
	FILE *f;
	struct run r;

	api_start_demo(&a);
	snprintf(file, sizeof(file), "%s/kosten.csv", a.dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("\xef\xbb\xbfprogramme_id;amount_eur;spent_on;description;"
	      "reference\r\n5;1.234,56;14-03-2025;Leesboeken;CLI-1\r\n",
	      f);
	fclose(f);
	{
		char *argv[] = { (char *)daemon_exe,
				 "import",
				 "expenditures",
				 file,
				 "--db",
				 a.db_path,
				 NULL };

		r = run(argv);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		ck_assert_msg(strstr(r.out, "\"created\": 1"), "%s", r.out);
		run_free(&r);
		r = run(argv); /* again: unchanged */
		ck_assert_msg(strstr(r.out, "\"unchanged\": 1"), "%s", r.out);
		run_free(&r);
	}
	/* the daemon sees it at once */
	{
		struct resp *x = api_req(&a, "GET",
					 "/api/v1/expenditures?reference=CLI-1",
					 a.read, NULL, NULL);

		ck_assert_msg(strstr(x->body, "\"amount_cents\": 123456"), "%s",
			      x->body);
		resp_free(x);
	}
	/* a database no daemon has open, and a bad row */
	snprintf(other, sizeof(other), "%s/ander.db", a.dir);
	{
		char *mig[] = { (char *)daemon_exe, "migrate", "--db", other,
				NULL };
		char *argv[] = { (char *)daemon_exe,
				 "import",
				 "expenditures",
				 file,
				 "--db",
				 other,
				 NULL };

		r = run(mig);
		ck_assert_int_eq(r.code, 0);
		run_free(&r);
		r = run(argv);
		ck_assert_int_eq(r.code, 2);
		ck_assert_msg(strstr(r.err, "row 1, programme_id:"), "%s",
			      r.err);
		ck_assert_str_eq(r.out, "");
		run_free(&r);
	}
}
END_TEST

/* Text that would be a formula, or that holds _xHHHH_ (which Excel and
 * LibreOffice read as an escaped character), in the export and the workbook
 * alike. */
START_TEST(formulas_and_escapes_in_export_and_workbook)
{
	static const char *const wanted[] = {
		/* the workbook's shared strings */
		"_x005F_x0041_ plan",
		"'  =1+1",
		"' =cmd|' /C calc'!A0",
		"'\xef\xbc\x9d"
		"SUM(A1)",
	};
	char dir[128], file[256], *text;
	struct resp *r;
	struct run x;

	api_start(&a);
	r = api_json(&a, "POST", "/api/v1/budgets", a.write,
		     "{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "municipality_code",
		     "GM0402", "municipality_name", "Hilversum", "name",
		     "_x0041_ plan", "grant_cents", (json_int_t)100000,
		     "spend_from", "2021-07-01", "spend_until", "2025-07-31",
		     "decision_ref", "  =1+1");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	resp_free(r);
	r = api_json(&a, "POST", "/api/v1/goals", a.write,
		     "{s:i, s:s, s:s, s:i}", "budget_id", 1, "code", "1",
		     "name", " =cmd|' /C calc'!A0", "allocated_cents", 1000);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	resp_free(r);
	r = api_json(&a, "POST", "/api/v1/programmes", a.write,
		     "{s:i, s:s, s:i}", "goal_id", 1, "name",
		     "\xef\xbc\x9d"
		     "SUM(A1)",
		     "budget_cents", 100);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	resp_free(r);

	snprintf(dir, sizeof(dir), "%s/export", a.dir);
	x = export_to(dir, NULL);
	ck_assert_msg(x.code == 0, "export: exit %d: %s", x.code, x.err);
	run_free(&x);
	snprintf(file, sizeof(file), "%s/budgets.csv", dir);
	text = slurp(file, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, ",\"'  =1+1\"") != NULL, "%s", text);
	free(text);
	snprintf(file, sizeof(file), "%s/goals.csv", dir);
	text = slurp(file, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, ",\"' =cmd|' /C calc'!A0\"") != NULL, "%s",
		      text);
	free(text);
	snprintf(file, sizeof(file), "%s/programmes.csv", dir);
	text = slurp(file, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, ",\"'\xef\xbc\x9d"
				   "SUM(A1)\"") != NULL,
		      "%s", text);
	free(text);

	snprintf(file, sizeof(file), "%s/b.xlsx", a.dir);
	fetch_xlsx("/api/v1/budgets/1/overview.xlsx", file);
	text = unzip_member(file, "xl/sharedStrings.xml");
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		ck_assert_msg(strstr(text, wanted[i]) != NULL,
			      "no %s in the shared strings: %s", wanted[i],
			      text);
	/* and never the escape unescaped, which reads as "A" */
	ck_assert_ptr_null(strstr(text, ">_x0041_"));
	free(text);
}
END_TEST

START_TEST(serve_with_a_bad_listen_address_is_exit_2)
{
	static const char *const bad[] = {
		"127.0.0.1:99999", "127.0.0.1:-1",   "127.0.0.1",
		"127.0.0.1:80x",   "nonsense:8080:",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *flag[] = {
			(char *)daemon_exe, "serve",	    "--db", a.db_path,
			"--listen",	    (char *)bad[i], NULL
		};
		char env[128];
		char *from_env[] = { "/usr/bin/env",
				     env,
				     (char *)daemon_exe,
				     "serve",
				     "--db",
				     a.db_path,
				     NULL };
		struct run r = run(flag);

		ck_assert_msg(r.code == 2, "--listen %s: exit %d: %s", bad[i],
			      r.code, r.err);
		/* a message that names the value, not a log of a start */
		ck_assert_msg(strstr(r.err, bad[i]) != NULL &&
				      strstr(r.err, "listen address") != NULL,
			      "--listen %s: %s", bad[i], r.err);
		run_free(&r);
		snprintf(env, sizeof(env), "NPO_LISTEN=%s", bad[i]);
		r = run(from_env);
		ck_assert_msg(r.code == 2, "%s: exit %d: %s", env, r.code,
			      r.err);
		run_free(&r);
	}
}
END_TEST

/* --- the command line's help and refusals -------------------------------- */

/*
 * argv (argv[0] a path) through /bin/sh: in dir (NULL: here), under umask
 * mask (NULL: this process's), with NPO_DB set to npo_db or, for NULL,
 * unset, so that the default ./npo.db is the one meant.
 */
static struct run run_sh(const char *dir, const char *mask, const char *npo_db,
			 char *const argv[])
{
	char *sh[32] = { "/bin/sh",
			 "-c",
			 "cd \"$1\" && { [ -z \"$2\" ] || umask \"$2\"; } && "
			 "if [ -n \"$3\" ]; then export NPO_DB=\"$3\"; "
			 "else unset NPO_DB; fi && shift 3 && exec \"$@\"",
			 "sh",
			 (char *)(dir ? dir : "."),
			 (char *)(mask ? mask : ""),
			 (char *)(npo_db ? npo_db : "") };
	size_t n = 7;

	for (size_t i = 0; argv[i]; i++) {
		ck_assert_uint_lt(n, sizeof(sh) / sizeof(sh[0]) - 1);
		sh[n++] = argv[i];
	}
	sh[n] = NULL;
	return run(sh);
}

/* The commands and the options (and variables) each one's help names. */
static const struct {
	const char *words[2];
	const char *names[24]; /* NULL after the last */
} helps[] = {
	{ { "serve" }, { "--listen",	    "--threads",   "--cors-origin",
			 "--public-read",   "--demo",	   "--max-body",
			 "--max-import",    "--timeout",   "--db",
			 "NPO_LISTEN",	    "NPO_THREADS", "NPO_CORS_ORIGIN",
			 "NPO_PUBLIC_READ", "NPO_DEMO",	   "NPO_MAX_BODY",
			 "NPO_MAX_IMPORT",  "NPO_TIMEOUT", "NPO_DB",
			 "127.0.0.1:8080",  "./npo.db" } },
	{ { "migrate" }, { "--db", "NPO_DB", "./npo.db" } },
	{ { "export" }, { "--out DIR", "--dialect", "excel-nl", "--db" } },
	{ { "backup" }, { "FILE", "--db", "NPO_DB" } },
	{ { "token", "add" },
	  { "NAME", "--role", "admin", "--municipality", "--school",
	    "--expires", "--db" } },
	{ { "token", "list" }, { "--db", "NPO_DB" } },
	{ { "token", "revoke" }, { "NAME", "--db" } },
	{ { "token" }, { "token add", "token list", "token revoke" } },
	{ { "import" },
	  { "expenditures|schools FILE", "--dry-run", "--sector",
	    "--municipality", "--db" } },
	{ { "routes" }, { "" } },
};

/* `npo-budgetd CMD --help` and `-h`, whatever else is on the line: the
 * command's own usage, what it does and its options on stdout, exit 0, and
 * no database touched. */
START_TEST(every_command_has_its_help)
{
	char nope[256];

	snprintf(nope, sizeof(nope), "%s/nope.db", a.dir);
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		const char *const *w = helps[i].words;
		char usage[64];

		snprintf(usage, sizeof(usage), "usage: npo-budgetd %s%s%s ",
			 w[0], w[1] ? " " : "", w[1] ? w[1] : "");
		for (int form = 0; form < 3; form++) {
			char *argv[10] = { (char *)daemon_exe, (char *)w[0] };
			int n = 2;
			struct run r;

			if (w[1])
				argv[n++] = (char *)w[1];
			if (form == 2) { /* after a bad value, with a db */
				argv[n++] = "--threads";
				argv[n++] = "many";
				argv[n++] = "--db";
				argv[n++] = nope;
			}
			argv[n] = form == 1 ? "-h" : "--help";
			r = run(argv);
			ck_assert_msg(r.code == 0, "%s %s (%d): exit %d: %s",
				      w[0], w[1] ? w[1] : "", form, r.code,
				      r.err);
			ck_assert_str_eq(r.err, "");
			/* "usage: npo-budgetd routes\n": the space is a newline
			 */
			ck_assert_msg(
				strncmp(r.out, usage, strlen(usage) - 1) == 0 &&
					strchr(" \n", r.out[strlen(usage) - 1]),
				"%s: %s", usage, r.out);
			ck_assert_msg(strstr(r.out, "-h, --help"), "%s", r.out);
			for (size_t k = 0; helps[i].names[k]; k++)
				ck_assert_msg(strstr(r.out, helps[i].names[k]),
					      "%s lacks %s: %s", usage,
					      helps[i].names[k], r.out);
			for (const char *l = r.out; *l;) {
				size_t len = strcspn(l, "\n");

				ck_assert_msg(len <= 80,
					      "%s: a line of %zu: %.*s", usage,
					      len, (int)len, l);
				l += len + (l[len] == '\n');
			}
			run_free(&r);
		}
	}
	ck_assert_msg(!exists(nope), "a --help made %s", nope);
}
END_TEST

/* The overview names every command and points to their help. */
START_TEST(the_overview_points_to_each_commands_help)
{
	char *argv[] = { (char *)daemon_exe, "--help", NULL };
	struct run r = run(argv);

	ck_assert_int_eq(r.code, 0);
	ck_assert_msg(strstr(r.out, "npo-budgetd COMMAND --help"), "%s", r.out);
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "npo-budgetd %s%s%s",
			 helps[i].words[0], helps[i].words[1] ? " " : "",
			 helps[i].words[1] ? helps[i].words[1] : "");
		ck_assert_msg(strstr(r.out, line), "no %s: %s", line, r.out);
	}
	run_free(&r);
}
END_TEST

/*
 * The commands that need a database refuse a missing one, named by --db, by
 * NPO_DB or by default (./npo.db in a directory that has none), with exit 1
 * and a line naming the path and what to do; no file is made. Only migrate
 * and serve make one.
 */
START_TEST(a_missing_database_is_refused_not_made)
{
	char here[256], nope[256], csv[256], out[256], copy[256];
	char *const cmds[][8] = {
		{ "token", "add", "beheer", "--role", "admin" },
		{ "token", "list" },
		{ "token", "revoke", "reader" },
		{ "export", "--out", out },
		{ "backup", copy },
		{ "import", "expenditures", csv },
		{ "import", "schools", csv, "--sector", "po" },
	};

	snprintf(here, sizeof(here), "%s/elders", a.dir);
	ck_assert_int_eq(mkdir(here, 0700), 0);
	snprintf(nope, sizeof(nope), "%s/nope.db", a.dir);
	snprintf(csv, sizeof(csv), "%s/kosten.csv", a.dir);
	snprintf(out, sizeof(out), "%s/export", a.dir);
	snprintf(copy, sizeof(copy), "%s/copy.db", a.dir);
	spit(csv, "programme_id,amount_cents,spent_on,description\n", 46);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		/* 0: --db nope; 1: NPO_DB=nope; 2: ./npo.db in here */
		for (int how = 0; how < 3; how++) {
			char *argv[12] = { (char *)daemon_exe };
			const char *path = how == 2 ? "./npo.db" : nope;
			char in_here[300];
			size_t n = 1;
			struct run r;

			for (size_t k = 0; cmds[i][k]; k++)
				argv[n++] = cmds[i][k];
			if (how == 0) {
				argv[n++] = "--db";
				argv[n++] = nope;
			}
			r = run_sh(how == 2 ? here : NULL, NULL,
				   how == 1 ? nope : NULL, argv);
			ck_assert_msg(r.code == 1, "%s %s (%d): exit %d: %s",
				      cmds[i][0], cmds[i][1], how, r.code,
				      r.err);
			ck_assert_msg(strstr(r.err, "no database at ") &&
					      strstr(r.err, path) &&
					      strstr(r.err, "migrate") &&
					      !strchr(r.err, '\n'),
				      "%s %s (%d): %s", cmds[i][0], cmds[i][1],
				      how, r.err);
			ck_assert_str_eq(r.out, "");
			run_free(&r);
			ck_assert_msg(!exists(nope), "%s %s made %s",
				      cmds[i][0], cmds[i][1], nope);
			ck_assert_str_eq(names_in(here), "");
			snprintf(in_here, sizeof(in_here), "%s/npo.db", here);
			ck_assert(!exists(in_here));
			ck_assert_msg(!exists(out) && !exists(copy),
				      "%s wrote from no database", cmds[i][0]);
		}
	}
	/* migrate makes it, and then the same commands work */
	{
		char *mig[] = { (char *)daemon_exe, "migrate", NULL };
		char *add[] = { (char *)daemon_exe, "token", "add", "beheer",
				"--role",	    "admin", NULL };
		struct run r = run_sh(here, NULL, NULL, mig);

		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		run_free(&r);
		r = run_sh(here, NULL, NULL, add);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		ck_assert_uint_eq(strlen(r.out), AUTH_TOKEN_LEN + 1);
		run_free(&r);
		ck_assert_str_eq(names_in(here), "npo.db");
	}
}
END_TEST

/* export's directory and files get 0777 and 0666 less the umask, as mkdir
 * and open make them, under either umask: a shared folder can read it. */
START_TEST(export_follows_the_umask)
{
	static const struct {
		const char *mask;
		mode_t dir, file;
	} masks[] = { { "022", 0755, 0644 }, { "027", 0750, 0640 } };

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		char out[256], list[4096];
		char *argv[] = {
			(char *)daemon_exe, "export", "--out", out, "--db",
			a.db_path,	    NULL
		};
		struct stat st;
		struct run r;

		snprintf(out, sizeof(out), "%s/export-%s", a.dir,
			 masks[i].mask);
		r = run_sh(NULL, masks[i].mask, NULL, argv);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		run_free(&r);
		ck_assert_int_eq(stat(out, &st), 0);
		ck_assert_msg((st.st_mode & 07777) == masks[i].dir,
			      "umask %s: %s is %04o, not %04o", masks[i].mask,
			      out, (unsigned)(st.st_mode & 07777),
			      (unsigned)masks[i].dir);
		snprintf(list, sizeof(list), "%s", names_in(out));
		ck_assert_msg(strstr(list, "snapshot.json") &&
				      strstr(list, "budgets.csv"),
			      "%s", list);
		for (char *save = NULL, *f = strtok_r(list, ",", &save); f;
		     f = strtok_r(NULL, ",", &save)) {
			char path[512];

			snprintf(path, sizeof(path), "%s/%s", out, f);
			ck_assert_int_eq(stat(path, &st), 0);
			ck_assert_msg((st.st_mode & 07777) == masks[i].file,
				      "umask %s: %s is %04o, not %04o",
				      masks[i].mask, path,
				      (unsigned)(st.st_mode & 07777),
				      (unsigned)masks[i].file);
		}
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_set_timeout(tc, 150);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, export_of_the_demo_while_serving);
	tcase_add_test(tc, token_commands_scope_and_refuse);
	tcase_add_test(tc, import_from_the_command_line);
	tcase_add_test(tc, export_in_the_dutch_excel_dialect);
	tcase_add_test(tc, export_is_one_moment_while_writes_go_on);
	tcase_add_test(tc, export_into_an_existing_directory_is_refused);
	tcase_add_test(tc, export_usage_errors_are_exit_2);
	tcase_add_test(tc, export_under_an_unusable_parent_fails_cleanly);
	tcase_add_test(tc, export_that_cannot_write_leaves_nothing);
	tcase_add_test(tc, backup_while_serving_and_writing);
	tcase_add_test(tc, backup_usage_errors_are_exit_2);
	tcase_add_test(tc, backup_of_a_missing_database_fails);
	tcase_add_test(tc, export_of_a_missing_database_fails);
	tcase_add_test(tc, backup_into_a_missing_directory_fails);
	tcase_add_test(tc, backup_of_a_grown_database_finishes_under_writes);
	tcase_add_test(tc, overview_xlsx_of_hilversum);
	tcase_add_test(tc, overview_xlsx_of_huizen_adds_up);
	tcase_add_test(tc, overview_xlsx_refusals);
	tcase_add_test(tc, overview_xlsx_is_fit_to_file);
	tcase_add_test(tc, accountability_xlsx_is_shaped_like_sisa);
	tcase_add_test(tc, formulas_and_escapes_in_export_and_workbook);
	tcase_add_test(tc, serve_with_a_bad_listen_address_is_exit_2);
	tcase_add_test(tc, every_command_has_its_help);
	tcase_add_test(tc, the_overview_points_to_each_commands_help);
	tcase_add_test(tc, a_missing_database_is_refused_not_made);
	tcase_add_test(tc, export_follows_the_umask);
}

int main(int argc, char **argv)
{
	if (argc < 2 || access(argv[1], X_OK) != 0) {
		fprintf(stderr, "usage: %s PATH-TO-npo-budgetd\n", argv[0]);
		return 2;
	}
	/* absolute, whatever directory a test runs in */
	daemon_exe = realpath(argv[1], NULL);
	if (!daemon_exe) {
		perror(argv[1]);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	return check_main("export");
}
