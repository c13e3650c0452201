/*
 * Fuzzes the one validator of request bodies: the input is a request body,
 * read as the dispatcher does (validate_read: JSON, a number too large for
 * any field named as a range error; an object only), then validated against
 * every declared resource, for create and for PATCH. Besides the sanitizers it
 * checks what validate_body promises: NULL or a non-empty array of
 * {"field","code","message"}, at most one error per member plus one per missing
 * required field, naming only members or required fields, and a body valid for
 * create is valid for PATCH but for its fixed fields. Dates are checked against
 * the C library's calendar.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "npo/api.h"
#include "npo/validate.h"

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1); /* the same hashing every run */
	return 0;
}

/* A real calendar date by the C library: YYYY-MM-DD, year from 1900. */
static bool calendar_date(const char *s)
{
	struct tm tm = { 0 };
	time_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = 12;
	if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 1)
		return false;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	return tm.tm_year == atoi(s) - 1900 && tm.tm_mon == atoi(s + 5) - 1 &&
	       tm.tm_mday == atoi(s + 8);
}

static size_t count_required(const struct resource *res)
{
	size_t n = 0;

	for (size_t i = 0; i < res->nfields; i++)
		n += (res->fields[i].flags & F_REQUIRED) != 0;
	return n;
}

/* Checks the shape of what validate_body returned. */
static void check_errors(const struct resource *res, const json_t *body,
			 const json_t *errors, bool create)
{
	size_t i;
	json_t *e;

	if (!errors)
		return;
	CHECK(json_is_array(errors));
	CHECK(json_array_size(errors) > 0);
	CHECK(json_array_size(errors) <=
	      json_object_size(body) + (create ? count_required(res) : 0));
	json_array_foreach(errors, i, e)
	{
		const char *field =
			json_string_value(json_object_get(e, "field"));
		const char *code =
			json_string_value(json_object_get(e, "code"));
		const char *msg =
			json_string_value(json_object_get(e, "message"));
		const struct field *f;

		CHECK(json_is_object(e) && json_object_size(e) == 3);
		CHECK(field && code && *code && msg && *msg);
		f = validate_find(res->fields, res->nfields, field);
		if (!json_object_get(body, field)) {
			/* only a missing required field names a non-member */
			CHECK(create && f && (f->flags & F_REQUIRED));
			CHECK(strcmp(code, "required") == 0);
		} else if (!f) {
			CHECK(strcmp(code, "unknown_field") == 0 ||
			      strcmp(code, "read_only") == 0);
		}
	}
}

static void check_strings(const json_t *v)
{
	const char *key;
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		CHECK(validate_date(s) == calendar_date(s));
		char at[21];

		(void)validate_school_year(s);
		(void)validate_cbs_code(s);
		/* an expiry reads as a date and a time of day, in UTC */
		if (validate_expiry(s, at)) {
			char day[11];

			snprintf(day, sizeof(day), "%.10s", at);
			CHECK(strlen(at) == 20 && at[10] == 'T' &&
			      at[19] == 'Z' && validate_date(day) &&
			      strncmp(s, at, 10) == 0);
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) check_strings(e);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) check_strings(e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *body, *too_large;
	int rc = validate_read((const char *)data, size, &body, &too_large,
			       &err);

	if (rc > 0) {
		/* a number too large: each error names a member, "range" */
		size_t i;
		json_t *e;

		if (!json_is_array(too_large) || !json_array_size(too_large))
			abort();
		json_array_foreach(too_large, i, e)
		{
			if (strcmp(json_string_value(json_object_get(e, "code")),
				   "range") != 0)
				abort();
		}
		json_decref(too_large);
		return 0;
	}
	if (!body)
		return 0;
	check_strings(body);
	if (!json_is_object(body)) { /* the dispatcher answers 422 itself */
		json_decref(body);
		return 0;
	}
	for (size_t r = 0; r < nresources; r++) {
		const struct resource *res = resources[r];
		json_t *created =
			validate_body(res->fields, res->nfields, body, true);
		json_t *patched =
			validate_body(res->fields, res->nfields, body, false);
		char *text;

		check_errors(res, body, created, true);
		check_errors(res, body, patched, false);
		if (json_object_size(body) == 0)
			CHECK(patched == NULL);
		if (!created && patched) {
			size_t i;
			json_t *e;

			json_array_foreach(patched, i, e)
				CHECK(strcmp(json_string_value(json_object_get(
						     e, "code")),
					     "fixed") == 0);
		}
		/* the errors become the problem body */
		text = created ? json_dumps(created, JSON_COMPACT) : NULL;
		CHECK(!created || text);
		free(text);
		json_decref(created);
		json_decref(patched);
	}
	json_decref(body);
	return 0;
}
