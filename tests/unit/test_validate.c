/* Unit tests of validate.c: dates and the validator of request bodies. */
#include "../check_main.h"

#include <stdint.h>
#include <string.h>

#include "npo/api.h"
#include "npo/money.h"
#include "npo/validate.h"

static bool is_upper_code(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(s);
}

static const char *const kinds[] = { "small", "large", NULL };

/* Every type and every flag, with bounds that are easy to cross. */
/* the declaration: a field a line or two */
/* clang-format off */
static const struct field fields[] = {
	{ .name = "title", .type = FIELD_TEXT, .flags = F_REQUIRED,
	  .min = 1, .max = 10 },
	{ .name = "code", .type = FIELD_TEXT, .flags = F_FILTER, .min = 0,
	  .max = 8, .format = is_upper_code,
	  .hint = "must be upper-case letters" },
	{ .name = "note", .type = FIELD_TEXT, .flags = F_NULLABLE, .min = 0,
	  .max = 5 },
	{ .name = "count", .type = FIELD_INT, .min = -10, .max = 100 },
	{ .name = "amount", .type = FIELD_CENTS,
	  .flags = F_REQUIRED | F_FIXED, .min = 0, .max = MONEY_MAX_CENTS },
	{ .name = "day", .type = FIELD_DATE, .flags = F_NULLABLE },
	{ .name = "kind", .type = FIELD_ENUM, .flags = F_FILTER,
	  .choices = kinds, .def = "small" },
	{ .name = "parent", .type = FIELD_REF, .flags = F_NULLABLE, .min = 1,
	  .max = INT64_MAX },
	{ .name = "stamp", .type = FIELD_TIME, .flags = F_READONLY },
};
/* clang-format on */
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Parses a literal JSON body; fails the test on a typo in it. */
static json_t *body(const char *text)
{
	json_error_t e;
	json_t *b = json_loads(text, 0, &e);

	ck_assert_msg(b != NULL, "bad test JSON %s: %s", text, e.text);
	return b;
}

/* The body is valid (validate_body returns NULL). */
static void assert_valid(const char *text, bool create)
{
	json_t *b = body(text);
	json_t *errors = validate_body(fields, NFIELDS, b, create);
	char *dump = errors ? json_dumps(errors, 0) : NULL;

	ck_assert_msg(errors == NULL, "%s refused: %s", text, dump);
	json_decref(b);
}

static void assert_error_at(const json_t *errors, size_t i, const char *field,
			    const char *code)
{
	const json_t *e = json_array_get(errors, i);

	ck_assert_msg(json_is_object(e), "no error %zu", i);
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")), field);
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
	ck_assert_msg(json_is_string(json_object_get(e, "message")) &&
			      *json_string_value(json_object_get(e, "message")),
		      "error %zu has no message", i);
}

/* The body draws exactly one error, on field with code. */
static void assert_one_error(const char *text, bool create, const char *field,
			     const char *code)
{
	json_t *b = body(text);
	json_t *errors = validate_body(fields, NFIELDS, b, create);

	ck_assert_msg(errors != NULL, "%s accepted", text);
	ck_assert_msg(json_array_size(errors) == 1, "%s: %zu errors", text,
		      json_array_size(errors));
	assert_error_at(errors, 0, field, code);
	json_decref(errors);
	json_decref(b);
}

START_TEST(dates_of_the_calendar)
{
	ck_assert(validate_date("2025-07-31"));
	ck_assert(validate_date("2025-01-01"));
	ck_assert(validate_date("2025-12-31"));
	ck_assert(validate_date("2024-02-29"));
	ck_assert(validate_date("2000-02-29"));
	ck_assert(!validate_date("2023-02-29"));
	ck_assert(!validate_date("2100-02-29"));
	ck_assert(!validate_date("2024-02-30"));
	ck_assert(!validate_date("2025-04-31"));
	ck_assert(!validate_date("2025-13-01"));
	ck_assert(!validate_date("2025-00-10"));
	ck_assert(!validate_date("2025-01-00"));
	ck_assert(!validate_date("2025-01-32"));
}
END_TEST

START_TEST(dates_written_wrongly)
{
	ck_assert(!validate_date(""));
	ck_assert(!validate_date("2025-7-31"));
	ck_assert(!validate_date("2025-07-1"));
	ck_assert(!validate_date("2025-07-31x"));
	ck_assert(!validate_date("2025-07-31 "));
	ck_assert(!validate_date("2025/07/31"));
	ck_assert(!validate_date("20250731"));
	ck_assert(!validate_date("2025-0a-31"));
	ck_assert(!validate_date("+025-07-31"));
	ck_assert(!validate_date("31-07-2025"));
}
END_TEST

START_TEST(valid_bodies)
{
	assert_valid("{\"title\": \"Plan\", \"amount\": 0}", true);
	assert_valid("{\"title\": \"0123456789\", \"code\": \"AB\","
		     " \"note\": null, \"count\": -10, \"amount\": 213850964,"
		     " \"day\": \"2024-02-29\", \"kind\": \"large\","
		     " \"parent\": 7}",
		     true);
	/* PATCH: required fields may be absent */
	assert_valid("{}", false);
	assert_valid("{\"count\": 100}", false);
	/* length is in characters, not bytes */
	assert_valid("{\"note\": \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\"}",
		     false);
}
END_TEST

START_TEST(unknown_field)
{
	assert_one_error("{\"colour\": \"red\"}", false, "colour",
			 "unknown_field");
	/* the members every row has are the server's, not unknown */
	assert_one_error("{\"title\": \"T\", \"amount\": 1, \"id\": 3}", true,
			 "id", "read_only");
}
END_TEST

START_TEST(required_on_create_only)
{
	assert_one_error("{\"title\": \"T\"}", true, "amount", "required");
	assert_one_error("{\"amount\": 5}", true, "title", "required");
	assert_valid("{\"title\": \"T\"}", false);
	assert_valid("{\"count\": 5}", false);
}
END_TEST

START_TEST(required_all_missing)
{
	json_t *b = body("{}");
	json_t *errors = validate_body(fields, NFIELDS, b, true);

	ck_assert_ptr_nonnull(errors);
	ck_assert_uint_eq(json_array_size(errors), 2);
	/* in declaration order */
	assert_error_at(errors, 0, "title", "required");
	assert_error_at(errors, 1, "amount", "required");
	json_decref(errors);
	json_decref(b);
}
END_TEST

START_TEST(read_only)
{
	assert_one_error("{\"stamp\": \"2025-01-01T00:00:00Z\"}", false,
			 "stamp", "read_only");
	assert_one_error("{\"title\": \"T\", \"amount\": 1,"
			 " \"stamp\": \"2025-01-01T00:00:00Z\"}",
			 true, "stamp", "read_only");
}
END_TEST

START_TEST(fixed_in_patch)
{
	assert_one_error("{\"amount\": 5}", false, "amount", "fixed");
	/* given on create it is fine */
	assert_valid("{\"title\": \"T\", \"amount\": 5}", true);
}
END_TEST

START_TEST(wrong_types)
{
	assert_one_error("{\"title\": 5}", false, "title", "type");
	assert_one_error("{\"count\": \"5\"}", false, "count", "type");
	assert_one_error("{\"count\": true}", false, "count", "type");
	assert_one_error("{\"day\": 20250101}", false, "day", "type");
	assert_one_error("{\"kind\": [\"small\"]}", false, "kind", "type");
	assert_one_error("{\"parent\": {}}", false, "parent", "type");
	/* 1.0 is a json_real, not a whole number of cents */
	assert_one_error("{\"title\": \"T\", \"amount\": 1.0}", true, "amount",
			 "type");
	assert_one_error("{\"title\": \"T\", \"amount\": 0.5}", true, "amount",
			 "type");
	assert_one_error("{\"title\": \"T\", \"amount\": \"1.00\"}", true,
			 "amount", "type");
}
END_TEST

START_TEST(out_of_range)
{
	assert_one_error("{\"count\": 101}", false, "count", "range");
	assert_one_error("{\"count\": -11}", false, "count", "range");
	assert_valid("{\"count\": -10}", false);
	assert_one_error("{\"title\": \"T\", \"amount\": -1}", true, "amount",
			 "range");
	assert_one_error("{\"title\": \"T\", \"amount\": 1000000000000001}",
			 true, "amount", "range");
	assert_valid("{\"title\": \"T\", \"amount\": 1000000000000000}", true);
	assert_one_error("{\"parent\": 0}", false, "parent", "range");
	assert_one_error("{\"parent\": -3}", false, "parent", "range");
}
END_TEST

START_TEST(nulls)
{
	assert_valid("{\"note\": null, \"day\": null, \"parent\": null}",
		     false);
	assert_one_error("{\"title\": null}", false, "title", "type");
	assert_one_error("{\"count\": null}", false, "count", "type");
	assert_one_error("{\"kind\": null}", false, "kind", "type");
	/* null is present, so not "required", but not a value either */
	assert_one_error("{\"title\": \"T\", \"amount\": null}", true, "amount",
			 "type");
}
END_TEST

START_TEST(enum_choices)
{
	assert_valid("{\"kind\": \"small\"}", false);
	assert_one_error("{\"kind\": \"medium\"}", false, "kind", "enum");
	assert_one_error("{\"kind\": \"\"}", false, "kind", "enum");
	assert_one_error("{\"kind\": \"Small\"}", false, "kind", "enum");
}
END_TEST

START_TEST(text_length_and_format)
{
	assert_one_error("{\"title\": \"01234567890\"}", false, "title",
			 "length");
	assert_one_error("{\"note\": \"abcdef\"}", false, "note", "length");
	/* six characters of two bytes each */
	assert_one_error("{\"note\": \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			 "\xc3\xa9\xc3\xa9\"}",
			 false, "note", "length");
	/* empty required text */
	assert_one_error("{\"title\": \"\"}", false, "title", "required");
	assert_one_error("{\"title\": \"\", \"amount\": 1}", true, "title",
			 "required");
	/* the format callback */
	assert_valid("{\"code\": \"GM\"}", false);
	assert_one_error("{\"code\": \"gm\"}", false, "code", "format");
	assert_one_error("{\"day\": \"2023-02-29\"}", false, "day", "format");
}
END_TEST

START_TEST(expiries_are_dates_or_utc_times)
{
	char at[21];

	ck_assert(validate_expiry("2027-06-30", at));
	ck_assert_str_eq(at, "2027-06-30T00:00:00Z");
	ck_assert(validate_expiry("2027-06-30T23:59:59Z", at));
	ck_assert_str_eq(at, "2027-06-30T23:59:59Z");
	ck_assert(!validate_expiry("2027-02-30", at));
	ck_assert(!validate_expiry("2027-06-30T24:00:00Z", at));
	ck_assert(!validate_expiry("2027-06-30T12:00:00+01:00", at));
	ck_assert(!validate_expiry("2027-06-30 12:00:00Z", at));
	ck_assert(!validate_expiry("next week", at));
}
END_TEST

START_TEST(format_hint_is_the_message)
{
	json_t *b = body("{\"code\": \"x1\"}");
	json_t *errors = validate_body(fields, NFIELDS, b, false);
	json_t *e = json_array_get(errors, 0);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
			 "must be upper-case letters");
	json_decref(errors);
	json_decref(b);
}
END_TEST

START_TEST(nul_in_text)
{
	json_t *b = json_object();
	json_t *errors;

	json_object_set_new(b, "code", json_stringn("A\0B", 3));
	errors = validate_body(fields, NFIELDS, b, false);
	ck_assert_ptr_nonnull(errors);
	ck_assert_uint_eq(json_array_size(errors), 1);
	assert_error_at(errors, 0, "code", "format");
	json_decref(errors);
	json_decref(b);
}
END_TEST

START_TEST(several_errors_together)
{
	json_t *b = body("{\"colour\": 1, \"count\": 1000, \"title\": 3,"
			 " \"stamp\": \"x\", \"kind\": \"huge\","
			 " \"note\": \"ok\", \"day\": \"2025-02-30\"}");
	json_t *errors = validate_body(fields, NFIELDS, b, true);

	ck_assert_ptr_nonnull(errors);
	ck_assert_uint_eq(json_array_size(errors), 7);
	/* the body's members in body order, then the missing ones */
	assert_error_at(errors, 0, "colour", "unknown_field");
	assert_error_at(errors, 1, "count", "range");
	assert_error_at(errors, 2, "title", "type");
	assert_error_at(errors, 3, "stamp", "read_only");
	assert_error_at(errors, 4, "kind", "enum");
	assert_error_at(errors, 5, "day", "format");
	assert_error_at(errors, 6, "amount", "required");
	json_decref(errors);
	json_decref(b);
}
END_TEST

START_TEST(finds_fields)
{
	const struct field *f = validate_find(fields, NFIELDS, "kind");

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(f, &fields[6]);
	ck_assert_ptr_null(validate_find(fields, NFIELDS, "Kind"));
	ck_assert_ptr_null(validate_find(fields, NFIELDS, ""));
	ck_assert_ptr_null(validate_find(fields, 0, "title"));
}
END_TEST

static json_t *hilversum(void)
{
	return body("{\"municipality_code\": \"GM0402\","
		    " \"municipality_name\": \"Hilversum\", \"name\": \"NPO\","
		    " \"grant_cents\": 213850964,"
		    " \"spend_from\": \"2021-07-01\","
		    " \"spend_until\": \"2025-07-31\"}");
}

/* budget_resource refuses b with exactly one error on field with code. */
static void assert_budget_refused(json_t *b, const char *field,
				  const char *code)
{
	json_t *errors = validate_body(budget_resource.fields,
				       budget_resource.nfields, b, true);

	ck_assert_ptr_nonnull(errors);
	ck_assert_uint_eq(json_array_size(errors), 1);
	assert_error_at(errors, 0, field, code);
	json_decref(errors);
}

START_TEST(budget_hilversum)
{
	json_t *b = hilversum();
	json_t *errors = validate_body(budget_resource.fields,
				       budget_resource.nfields, b, true);

	ck_assert_ptr_null(errors);
	json_decref(b);
}
END_TEST

START_TEST(budget_refuses_codes)
{
	static const char *const bad[] = {
		"GM402", "XX0402", "GM04020", "gm0402", "GM04A2", "GM 402",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *b = hilversum();
		json_t *errors;

		json_object_set_new(b, "municipality_code",
				    json_string(bad[i]));
		errors = validate_body(budget_resource.fields,
				       budget_resource.nfields, b, true);
		ck_assert_msg(errors != NULL, "%s accepted", bad[i]);
		ck_assert_uint_eq(json_array_size(errors), 1);
		ck_assert_str_eq(json_string_value(json_object_get(
					 json_array_get(errors, 0), "field")),
				 "municipality_code");
		json_decref(errors);
		json_decref(b);
	}
}
END_TEST

START_TEST(budget_refuses_negative_grant)
{
	json_t *b = hilversum();

	json_object_set_new(b, "grant_cents", json_integer(-1));
	assert_budget_refused(b, "grant_cents", "range");
	json_object_set_new(b, "grant_cents", json_real(213850964.0));
	assert_budget_refused(b, "grant_cents", "type");
	json_decref(b);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, dates_of_the_calendar);
	tcase_add_test(tc, dates_written_wrongly);
	tcase_add_test(tc, valid_bodies);
	tcase_add_test(tc, unknown_field);
	tcase_add_test(tc, required_on_create_only);
	tcase_add_test(tc, required_all_missing);
	tcase_add_test(tc, read_only);
	tcase_add_test(tc, fixed_in_patch);
	tcase_add_test(tc, wrong_types);
	tcase_add_test(tc, out_of_range);
	tcase_add_test(tc, nulls);
	tcase_add_test(tc, enum_choices);
	tcase_add_test(tc, text_length_and_format);
	tcase_add_test(tc, format_hint_is_the_message);
	tcase_add_test(tc, expiries_are_dates_or_utc_times);
	tcase_add_test(tc, nul_in_text);
	tcase_add_test(tc, several_errors_together);
	tcase_add_test(tc, finds_fields);
	tcase_add_test(tc, budget_hilversum);
	tcase_add_test(tc, budget_refuses_codes);
	tcase_add_test(tc, budget_refuses_negative_grant);
}

CHECK_MAIN("validate")
