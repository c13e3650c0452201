/*
 * The error registry (include/npo/errors.def): every code once, with a
 * status of its class and a title, and named with that status on the page
 * that documents them (docs/errors.md) and in the API description; the page
 * names no code the registry does not have.
 */
#include "../check_main.h"

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/errors.h"

static char *slurp(const char *name)
{
	char path[512];
	FILE *f;
	char *p;
	long n;

	snprintf(path, sizeof(path), "%s/%s", NPO_SOURCE_ROOT, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	return p;
}

START_TEST(every_code_once_with_a_status_and_title)
{
	for (int i = NPO_E_NONE + 1; i < NPO_E_COUNT; i++) {
		const struct npo_error_def *d = npo_error_def(i);

		ck_assert_msg(d->code && strlen(d->code) > 0 &&
				      strspn(d->code,
					     "abcdefghijklmnopqrstuvwxyz_") ==
					      strlen(d->code),
			      "entry %d has code %s", i, d->code);
		ck_assert_msg(d->status >= 400 && d->status <= 599,
			      "%s: status %d", d->code, d->status);
		ck_assert_msg(d->title && *d->title && d->meaning &&
				      *d->meaning,
			      "%s: no title or meaning", d->code);
		for (int j = NPO_E_NONE + 1; j < i; j++)
			ck_assert_msg(strcmp(npo_error_def(j)->code, d->code),
				      "%s twice", d->code);
	}
	ck_assert_ptr_null(npo_error_def(NPO_E_NONE)->code);
}
END_TEST

START_TEST(the_docs_name_every_code_with_its_status)
{
	char *page = slurp("docs/errors.md"), *api = slurp("docs/openapi.yaml");
	regex_t row;
	regmatch_t m[3];
	int rows = 0;

	for (int i = NPO_E_NONE + 1; i < NPO_E_COUNT; i++) {
		const struct npo_error_def *d = npo_error_def(i);
		char want[128];

		snprintf(want, sizeof(want), "| `%s` | %d |", d->code,
			 d->status);
		ck_assert_msg(strstr(page, want) != NULL,
			      "docs/errors.md has no row %s", want);
		snprintf(want, sizeof(want), "`%s`", d->code);
		ck_assert_msg(strstr(api, want) != NULL,
			      "docs/openapi.yaml does not name %s", want);
	}
	/* and every row of the page is a code of the registry */
	ck_assert_int_eq(regcomp(&row, "^\\| `([a-z_]+)` \\| ([0-9]{3}) \\|",
				 REG_EXTENDED | REG_NEWLINE),
			 0);
	for (const char *p = page; regexec(&row, p, 3, m, 0) == 0;
	     p += m[0].rm_eo) {
		char code[64];
		bool known = false;

		snprintf(code, sizeof(code), "%.*s",
			 (int)(m[1].rm_eo - m[1].rm_so), p + m[1].rm_so);
		for (int i = NPO_E_NONE + 1; i < NPO_E_COUNT; i++)
			known |= strcmp(npo_error_def(i)->code, code) == 0;
		ck_assert_msg(known,
			      "docs/errors.md names %s, which the "
			      "registry does not have",
			      code);
		rows++;
	}
	ck_assert_int_eq(rows, NPO_E_COUNT - 1);
	regfree(&row);
	free(page);
	free(api);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, every_code_once_with_a_status_and_title);
	tcase_add_test(tc, the_docs_name_every_code_with_its_status);
}

CHECK_MAIN("errors")
