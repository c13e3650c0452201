/*
 * Imports of costs and schools over HTTP: every format a Dutch
 * municipality's files come in, every kind of bad row (and that then
 * nothing is written), dry runs, re-imports, the rules of single writes
 * (stop, closed years, scope), the limits, and 100,000 rows at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check_main.h"
#include "fixture.h"
#include "harness.h"

static struct api a;

static void setup(void)
{
	api_up(&a);
}
static void teardown(void)
{
	api_down(&a);
}

static const char *const csv_type[] = { "Content-Type: text/csv", NULL };

/* POSTs csv to path (a query may follow) as token; asserts status. */
static struct resp *imp(const char *token, const char *path, const char *csv,
			long status)
{
	struct resp *r = api_req(&a, "POST", path, token, csv, csv_type);

	ck_assert_msg(r->status == status, "%s: %ld, wanted %ld: %.600s", path,
		      r->status, status, r->body);
	return r;
}

static long long count_of(const char *path)
{
	/* the audit trail needs the admin */
	struct resp *r = api_req(&a, "GET", path,
				 strstr(path, "/audit") ? a.admin : a.read,
				 NULL, NULL);
	long long n = jint(r, "total");

	resp_free(r);
	return n;
}

/* The i-th error of r. */
static const json_t *error_at(const struct resp *r, size_t i)
{
	return json_array_get(json_object_get(r->json, "errors"), i);
}

static void assert_error(const struct resp *r, size_t i, long long row,
			 const char *field, const char *code)
{
	const json_t *e = error_at(r, i);

	ck_assert_msg(e, "no error %zu in %s", i, r->body);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "row")), row);
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")), field);
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
}

/* The one expenditure with reference ref, as JSON (new reference). */
static json_t *by_reference(const char *ref)
{
	char path[128];
	struct resp *r;
	json_t *e;

	snprintf(path, sizeof(path), "/api/v1/expenditures?reference=%s", ref);
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")),
			  1);
	e = json_incref(json_array_get(json_object_get(r->json, "items"), 0));
	resp_free(r);
	return e;
}

/* Each way a file comes: Dutch Excel (BOM, ';', CRLF, decimal comma with
 * thousands, 14-03-2025), RFC 4180 (',', LF, decimal point), quoted cells
 * with separators, quotes and line breaks, header names in any case. */
START_TEST(every_format_a_file_comes_in)
{
	static const struct {
		const char *head, *row, *ref;
		long long cents;
		const char *on, *what;
	} files[] = {
		{ "\xef\xbb\xbfprogramme_id;amount_eur;spent_on;description;"
		  "reference\r\n",
		  "%lld;1.234,56;14-03-2025;Leesboeken;A1\r\n", "A1", 123456,
		  "2025-03-14", "Leesboeken" },
		{ "programme_id,amount_eur,spent_on,description,reference\n",
		  "%lld,1234.5,2025-03-15,Kopie,A2\n", "A2", 123450,
		  "2025-03-15", "Kopie" },
		{ "Programme_ID;Amount EUR;SPENT_ON;Description;Reference\n",
		  "%lld;\"1.000,00\";01-02-2025;\"Boeken; \"\"lezen\"\"\nen "
		  "schrijven\";A3\n",
		  "A3", 100000, "2025-02-01",
		  "Boeken; \"lezen\"\nen schrijven" },
		{ "programme_id,amount_cents,spent_on,description,reference\r\n",
		  "%lld,99,2025-04-01,Centen,A4", "A4", 99, "2025-04-01",
		  "Centen" },
	};
	struct fx_tree t;
	char csv[512], row[256];

	t = fx_tree(&a, 1);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		json_t *e;
		struct resp *r;

		snprintf(row, sizeof(row), files[i].row, t.programme[0]);
		snprintf(csv, sizeof(csv), "%s%s", files[i].head, row);
		r = imp(a.write, "/api/v1/imports/expenditures", csv, 201);
		ck_assert_int_eq(jint(r, "created"), 1);
		resp_free(r);
		e = by_reference(files[i].ref);
		ck_assert_int_eq(util_jint(e, "amount_cents"), files[i].cents);
		ck_assert_str_eq(util_jstr(e, "spent_on"), files[i].on);
		ck_assert_str_eq(util_jstr(e, "description"), files[i].what);
		ck_assert_str_eq(util_jstr(e, "status"), "submitted");
		json_decref(e);
	}
}
END_TEST

/* A bad row among good ones: 422 naming every bad row, field and what was
 * expected, and nothing written; header problems are row 0. */
START_TEST(a_bad_row_writes_nothing_and_is_named)
{
	struct fx_tree t = fx_tree(&a, 1);
	char csv[1024];
	struct resp *r;

	snprintf(csv, sizeof(csv),
		 "programme_id;amount_eur;spent_on;description\n"
		 "%lld;10,00;2025-01-01;goed\n"
		 "%lld;11,00;2025-01-02;goed\n"
		 "%lld;1.234;30-02-2025;\n"
		 "x;12,00;2025-01-04;goed\n"
		 "999;12,00;2025-01-05;geen programma\n",
		 t.programme[0], t.programme[0], t.programme[0]);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 422);
	ck_assert_str_eq(jstr(r, "code"), "validation_failed");
	assert_error(r, 0, 3, "amount_eur", "format");
	assert_error(r, 1, 3, "spent_on", "format");
	assert_error(r, 2, 3, "description", "required");
	assert_error(r, 3, 4, "programme_id", "format");
	assert_error(r, 4, 5, "programme_id", "not_found");
	ck_assert_msg(strstr(json_string_value(json_object_get(error_at(r, 0),
							       "message")),
			     "1.234,56"),
		      "%s", r->body);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/expenditures?count=true"), 0);

	/* the header: an unknown column, a missing one */
	r = imp(a.write, "/api/v1/imports/expenditures",
		"programme_id,amount_eur,spent_on,description,kleur\n", 422);
	assert_error(r, 0, 0, "kleur", "unknown_column");
	resp_free(r);
	r = imp(a.write, "/api/v1/imports/expenditures",
		"programme_id,spent_on,description\n1,2025-01-01,x\n", 422);
	assert_error(r, 0, 0, "amount_eur", "missing_column");
	resp_free(r);
	/* a quote never closed */
	snprintf(csv, sizeof(csv),
		 "programme_id,amount_eur,spent_on,description\n"
		 "%lld,1,2025-01-01,\"open\n",
		 t.programme[0]);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 422);
	assert_error(r, 0, 1, "file", "format");
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/expenditures?count=true"), 0);
}
END_TEST

/* A dry run writes nothing; a re-import changes nothing; a row whose
 * reference is known with other values is a conflict; a status moves
 * through the workflow; every row has its audit row (note import). */
START_TEST(dry_runs_reimports_and_statuses)
{
	struct fx_tree t = fx_tree(&a, 1);
	char csv[512];
	struct resp *r;
	json_t *e;

	snprintf(csv, sizeof(csv),
		 "programme_id;amount_eur;spent_on;description;reference;"
		 "status\n"
		 "%lld;100,00;2025-01-01;een;R1;paid\n"
		 "%lld;200,00;2025-01-02;twee;R2;\n",
		 t.programme[0], t.programme[0]);
	r = imp(a.write, "/api/v1/imports/expenditures?dry_run=true", csv, 200);
	ck_assert_int_eq(jint(r, "created"), 2);
	ck_assert(json_is_true(json_object_get(r->json, "dry_run")));
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/expenditures?count=true"), 0);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 201);
	ck_assert_int_eq(jint(r, "created"), 2);
	resp_free(r);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 201);
	ck_assert_int_eq(jint(r, "created"), 0);
	ck_assert_int_eq(jint(r, "unchanged"), 2);
	resp_free(r);
	e = by_reference("R1");
	ck_assert_str_eq(util_jstr(e, "status"), "paid");
	json_decref(e);
	ck_assert_int_eq(count_of(
				 "/api/v1/audit?count=true&actor=writer&entity="
				 "expenditure&action=status"),
			 2); /* submitted -> approved -> paid */
	r = api_req(&a, "GET", "/api/v1/audit?entity=expenditure&entity_id=1",
		    a.admin, NULL, NULL);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "items"), 0),
			"note")),
		"import");
	resp_free(r);
	/* the same reference with another amount */
	snprintf(csv, sizeof(csv),
		 "programme_id,amount_eur,spent_on,description,reference\n"
		 "%lld,201.00,2025-01-02,twee,R2\n",
		 t.programme[0]);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 422);
	assert_error(r, 0, 1, "reference", "reference_conflict");
	resp_free(r);
	/* a dry run of a bad file is the same 422 */
	r = imp(a.write, "/api/v1/imports/expenditures?dry_run=true", csv, 422);
	resp_free(r);
}
END_TEST

/* The rules of single writes: under stop the row that goes over is 409
 * overrun with its row, and nothing of the import stays; a closed year is
 * 409 period_closed. */
START_TEST(the_rules_of_single_writes_apply)
{
	long long b = fx_budget(&a, (struct fx_budget){ .grant = 100000,
							.policy = "stop" });
	long long g = fx_goal(&a, (struct fx_goal){ .budget = b,
						    .allocated = 100000 });
	long long p = fx_programme(
		&a, (struct fx_programme){ .goal = g, .budget = 50000 });
	char csv[512];
	struct resp *r;

	snprintf(csv, sizeof(csv),
		 "programme_id,amount_cents,spent_on,description,status\n"
		 "%lld,30000,2024-01-01,een,approved\n"
		 "%lld,30000,2024-01-02,twee,approved\n",
		 p, p);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 409);
	ck_assert_str_eq(jstr(r, "code"), "overrun");
	ck_assert_int_eq(jint(r, "row"), 2);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/expenditures?count=true"), 0);

	r = api_req(&a, "POST", "/api/v1/budgets/1/closings", a.admin,
		    "{\"year\":2021}", NULL);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	snprintf(csv, sizeof(csv),
		 "programme_id,amount_cents,spent_on,description\n"
		 "%lld,100,2024-01-01,goed\n"
		 "%lld,100,2021-12-01,in 2021\n",
		 p, p);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 409);
	ck_assert_str_eq(jstr(r, "code"), "period_closed");
	ck_assert_int_eq(jint(r, "row"), 2);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/expenditures?count=true"), 0);
}
END_TEST

/* Who may import and what: a write token, text/csv, within the limit. */
START_TEST(tokens_types_and_limits)
{
	static const char csv[] =
		"programme_id,amount_cents,spent_on,description\n";
	char big[3000];
	struct resp *r;

	r = imp(a.read, "/api/v1/imports/expenditures", csv, 403);
	ck_assert_str_eq(jstr(r, "code"), "forbidden");
	resp_free(r);
	r = api_req(&a, "POST", "/api/v1/imports/expenditures", a.write,
		    "{\"rows\":[]}", NULL);
	ck_assert_int_eq(r->status, 415);
	ck_assert_str_eq(jstr(r, "code"), "not_csv");
	resp_free(r);
	r = imp(a.write, "/api/v1/imports/expenditures?dry_run=maybe", csv,
		400);
	resp_free(r);
	r = imp(a.write, "/api/v1/imports/schools", csv, 400); /* no sector */
	resp_free(r);
	/* --max-import */
	api_halt(&a);
	a.cfg.max_import = 2048;
	api_start(&a);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = imp(a.write, "/api/v1/imports/expenditures", big, 413);
	ck_assert_str_eq(jstr(r, "code"), "too_large");
	resp_free(r);
	/* within it, a header without rows imports nothing */
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 201);
	ck_assert_int_eq(jint(r, "created"), 0);
	resp_free(r);
}
END_TEST

/* DUO's register as published: both forms of the location code, names in
 * any case, other columns ignored; ?municipality_code= skips the rest; a
 * re-import is unchanged, a renamed school updated. */
START_TEST(schools_from_the_duo_register)
{
	static const char *const sample = NPO_SOURCE_ROOT
		"/tests/data/duo-vestigingen-po.csv";
	FILE *f = fopen(sample, "rb");
	char text[4096];
	size_t n;
	struct resp *r;

	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	r = imp(a.write,
		"/api/v1/imports/schools?sector=po&"
		"municipality_code=GM0406",
		text, 201);
	ck_assert_int_eq(jint(r, "created"), 4);
	ck_assert_int_eq(jint(r, "skipped"), 1);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/schools?count=true&"
				  "municipality_code=GM0406&sector=po"),
			 4);
	r = api_req(&a, "GET", "/api/v1/schools?code=14HZ01", a.read, NULL,
		    NULL);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "items"), 0),
			"name")),
		"OBS De Vlindertuin, dependance Oost");
	resp_free(r);
	r = imp(a.write, "/api/v1/imports/schools?sector=po", text, 201);
	ck_assert_int_eq(jint(r, "created"), 1); /* Hilversum's */
	ck_assert_int_eq(jint(r, "unchanged"), 4);
	resp_free(r);
	/* the other form, and a name that changed */
	r = imp(a.write, "/api/v1/imports/schools?sector=po",
		"vestigings_nummer,Vestigingsnaam,gemeentenummer\n"
		"10HZ00,IKC De Regenboog,406\n",
		201);
	ck_assert_int_eq(jint(r, "updated"), 1);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/schools?code=10HZ00", a.read, NULL,
		    NULL);
	ck_assert_msg(strstr(r->body, "IKC De Regenboog"), "%s", r->body);
	resp_free(r);
	r = imp(a.write, "/api/v1/imports/schools?sector=po",
		"VESTIGINGSNAAM;GEMEENTENUMMER\nx;0406\n", 422);
	assert_error(r, 0, 0, "VESTIGINGSNUMMER", "missing_column");
	resp_free(r);
}
END_TEST

/* 100,000 rows of Dutch Excel in one call; again, all unchanged; with one
 * bad row among them, nothing written and that row named. (Under the
 * sanitizers, which look at every byte and take ten times as long, 60,000:
 * the row named is one of them all the same.) */
#ifdef __SANITIZE_ADDRESS__
#define HUNDRED_THOUSAND 60000
#else
#define HUNDRED_THOUSAND 100000
#endif
START_TEST(a_hundred_thousand_rows_at_once)
{
	enum { N = HUNDRED_THOUSAND };
	struct fx_tree t = fx_tree(&a, 1);
	size_t cap = (size_t)N * 64 + 128, len;
	char *csv = malloc(cap);
	struct resp *r;

	ck_assert_ptr_nonnull(csv);
	len = (size_t)snprintf(csv, cap,
			       "\xef\xbb\xbfprogramme_id;amount_eur;spent_on;"
			       "description;reference\r\n");
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(csv + len, cap - len,
					"%lld;%d,%02d;%02d-%02d-2024;Factuur "
					"%d;L-%d\r\n",
					t.programme[0], 1 + i % 900, i % 100,
					1 + i % 28, 1 + i % 12, i, i);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 201);
	ck_assert_int_eq(jint(r, "created"), N);
	resp_free(r);
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 201);
	ck_assert_int_eq(jint(r, "unchanged"), N);
	ck_assert_int_eq(jint(r, "created"), 0);
	resp_free(r);
	/* row 54,321 is wrong in a new file of new references */
	for (char *p = strstr(csv, ";L-"); p; p = strstr(p + 1, ";L-"))
		p[1] = 'M';
	{
		char *row = csv, *day;

		for (int i = 0; i < 54321; i++)
			row = strchr(row, '\n') + 1;
		day = strchr(strchr(strchr(row, ';') + 1, ';') + 1, ';') - 10;
		memcpy(day, "31-02-2024", 10);
	}
	r = imp(a.write, "/api/v1/imports/expenditures", csv, 422);
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")),
			  1);
	assert_error(r, 0, 54321, "spent_on", "format");
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/expenditures?count=true"), N);
	free(csv);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 280); /* the 100,000 rows, three times over */
	tcase_add_test(tc, every_format_a_file_comes_in);
	tcase_add_test(tc, a_bad_row_writes_nothing_and_is_named);
	tcase_add_test(tc, dry_runs_reimports_and_statuses);
	tcase_add_test(tc, the_rules_of_single_writes_apply);
	tcase_add_test(tc, tokens_types_and_limits);
	tcase_add_test(tc, schools_from_the_duo_register);
	tcase_add_test(tc, a_hundred_thousand_rows_at_once);
}

CHECK_MAIN("imports")
