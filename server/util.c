#include "npo/util.h"

#include <assert.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The time this thread's writes are dated at instead of now (the demo's
 * history); NULL: now. */
static _Thread_local const char *clock_at;

void util_clock_set(const char *at)
{
	clock_at = at;
}

/* Now as 2026-11-23T10:15:00Z, written once per second per thread (every
 * request's log line asks). */
static void clock_now(char out[21])
{
	static _Thread_local time_t last = (time_t)-1;
	static _Thread_local char text[21];
	time_t now = time(NULL);

	if (now != last) {
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
		last = now;
	}
	memcpy(out, text, 21);
}

void util_now_iso(char out[21])
{
	if (clock_at)
		snprintf(out, 21, "%s", clock_at);
	else
		clock_now(out);
}

const char *util_date_nl(const char *iso, char out[UTIL_DATE_NL])
{
	static const char *const months[] = {
		"januari",   "februari", "maart",    "april",
		"mei",	     "juni",	 "juli",     "augustus",
		"september", "oktober",	 "november", "december",
	};
	int y, m, d;

	if (iso && sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 &&
	    m <= 12 && d >= 1 && d <= 31)
		snprintf(out, UTIL_DATE_NL, "%d %s %d", d, months[m - 1], y);
	else
		snprintf(out, UTIL_DATE_NL, "%s", iso ? iso : "");
	return out;
}

void util_log(const char *fmt, ...)
{
	char ts[21];
	char line[1024];
	va_list ap;

	clock_now(ts);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fprintf per line, so lines of concurrent threads do not mix */
	fprintf(stderr, "%s %s\n", ts, line);
}

int util_parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int64_t util_jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

const char *util_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const struct npo_error_def defs[NPO_E_COUNT] = {
#define NPO_ERROR(name, status, code, title, meaning) \
	[NPO_E_##name] = { status, code, title, meaning },
#include "npo/errors.def"
#undef NPO_ERROR
};

const struct npo_error_def *npo_error_def(enum npo_error e)
{
	assert(e >= NPO_E_NONE && e < NPO_E_COUNT);
	return &defs[e];
}

static int err_vset(struct npo_err *err, json_t *extra_new, enum npo_error e,
		    const char *fmt, va_list ap)
{
	const struct npo_error_def *d = npo_error_def(e);

	json_decref(err->extra);
	err->extra = extra_new;
	err->e = e;
	err->status = d->status;
	err->code = d->code;
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	return -1;
}

int err_set(struct npo_err *err, enum npo_error e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, NULL, e, fmt, ap);
	va_end(ap);
	return -1;
}

int err_set_new(struct npo_err *err, json_t *extra_new, enum npo_error e,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, extra_new, e, fmt, ap);
	va_end(ap);
	return -1;
}

void err_clear(struct npo_err *err)
{
	json_decref(err->extra);
	err->extra = NULL;
	err->e = NPO_E_NONE;
	err->status = 0;
	err->code = NULL;
	err->detail[0] = '\0';
}

const char *util_article(const char *noun)
{
	return strchr("aeiou", noun[0]) && noun[0] ? "an" : "a";
}
