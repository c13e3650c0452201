/* Small helpers shared by every module: time stamps and the error value. */
#ifndef NPO_UTIL_H
#define NPO_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "npo/errors.h"

/* The number of elements of array a (an array, not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Writes the current UTC time as 2026-11-23T10:15:00Z (21 bytes with NUL). */
void util_now_iso(char out[21]);
/* Dates what this thread writes from now on at (an ISO time that lives on
 * until the next call), as the demo does to write a history; NULL: now. */
void util_clock_set(const char *at);

/* Writes one line to stderr, prefixed with the UTC time. */
void util_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a whole decimal integer (optional leading '-', no spaces, no
 * overflow). Returns 0 on success, -1 otherwise. */
/* Writes a date YYYY-MM-DD as a Dutch reader writes it, "31 juli 2025"
 * (out holds UTIL_DATE_NL bytes; what is no such date is copied as it is);
 * returns out. DATE_NL(iso) does it into a buffer of the expression's own. */
#define UTIL_DATE_NL 24
const char *util_date_nl(const char *iso, char out[UTIL_DATE_NL]);
#define DATE_NL(iso) util_date_nl((iso), (char[UTIL_DATE_NL]){ 0 })

int util_parse_int64(const char *s, int64_t *out);

/* "an" before a noun that starts with a vowel ("an expenditure"), else
 * "a". */
const char *util_article(const char *noun);

/* The integer / string member key of object o (0 / NULL when absent). */
int64_t util_jint(const json_t *o, const char *key);
const char *util_jstr(const json_t *o, const char *key);

/*
 * An error as a value: which problem of the registry (errors.def) it is,
 * with that entry's HTTP status and code, and what went wrong. Functions
 * that can fail take a struct npo_err * and return -1 after filling it;
 * callers decide how to report it.
 */
struct npo_err {
	enum npo_error e; /* NPO_E_NONE while nothing went wrong */
	int status;	  /* npo_error_def(e)->status, e.g. 409 */
	const char *code; /* npo_error_def(e)->code, e.g. "version_mismatch" */
	char detail[512]; /* one sentence for a person */
	json_t *extra; /* owned: more members for the problem body, or NULL */
};

/* Fills err (freeing any earlier extra) and returns -1. */
int err_set(struct npo_err *err, enum npo_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As err_set, and takes over extra_new (an object merged into the problem). */
int err_set_new(struct npo_err *err, json_t *extra_new, enum npo_error e,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Frees what err owns; err may then be reused. */
void err_clear(struct npo_err *err);

#endif
