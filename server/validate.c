#include "npo/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/util.h"

bool validate_school_year(const char *s)
{
	return strlen(s) == 9 && s[4] == '-' && strspn(s, "0123456789") == 4 &&
	       strspn(s + 5, "0123456789") == 4 && atoi(s + 5) == atoi(s) + 1 &&
	       atoi(s) >= 1900;
}

bool validate_cbs_code(const char *s)
{
	return strlen(s) == 6 && strncmp(s, "GM", 2) == 0 &&
	       strspn(s + 2, "0123456789") == 4;
}

int validate_fail(struct npo_err *err, const char *field, const char *code,
		  const char *fmt, ...)
{
	json_t *errors = json_array();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	validate_add_error(errors, field, code, msg);
	return err_set_new(err, json_pack("{s:o}", "errors", errors),
			   NPO_E_VALIDATION_FAILED, "%s %s", field, msg);
}

void validate_add_error(json_t *errors, const char *field, const char *code,
			const char *message)
{
	json_array_append_new(errors,
			      json_pack("{s:s, s:s, s:s}", "field", field,
					"code", code, "message", message));
}

bool validate_is_meta(const char *name)
{
	return strcmp(name, "id") == 0 || strcmp(name, "version") == 0 ||
	       strcmp(name, "created_at") == 0 ||
	       strcmp(name, "updated_at") == 0;
}

const struct field *validate_find(const struct field *fields, size_t nfields,
				  const char *name)
{
	for (size_t i = 0; i < nfields; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

const char *validate_changed(const json_t *row, const json_t *before,
			     const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!json_equal(json_object_get(row, names[i]),
				json_object_get(before, names[i])))
			return names[i];
	return NULL;
}

/* Why s is not a date YYYY-MM-DD (a static message, or one in buf), or
 * NULL when it is one. */
static const char *date_problem(const char *s, char *buf, size_t n)
{
	static const char *const months[] = {
		"January",   "February", "March",    "April",
		"May",	     "June",	 "July",     "August",
		"September", "October",	 "November", "December"
	};
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int y, m, d, max;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return "must be a date YYYY-MM-DD, such as 2025-03-14";
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return "must be a date YYYY-MM-DD, such as 2025-03-14";
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900)
		return "must be a date from the year 1900 on";
	if (m < 1 || m > 12)
		return "is not a date: the month must be 01 to 12";
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	if (d >= 1 && d <= max)
		return NULL;
	snprintf(buf, n, "is not a date: %s %d has days 01 to %02d",
		 months[m - 1], y, max);
	return buf;
}

bool validate_date(const char *s)
{
	char buf[80];

	return date_problem(s, buf, sizeof(buf)) == NULL;
}

/* The distance between a and b in edits of one character (insert, delete,
 * replace, or swap two neighbours), at most 3 (more is 3). */
static int distance(const char *a, const char *b)
{
	enum { MAX = 64 };
	size_t la = strlen(a), lb = strlen(b);
	int d[MAX + 1][MAX + 1];

	if (la > MAX || lb > MAX)
		return 3;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb] < 3 ? d[la][lb] : 3;
}

void validate_nearest(struct nearest *n, const char *candidate)
{
	size_t len = strlen(n->word);
	int most = len >= 8 ? 2 : len >= 3 ? 1 : 0;
	int d = distance(n->word, candidate);

	if (d <= most && (!n->best || d < n->dist)) {
		n->best = candidate;
		n->dist = d;
	}
}

/* "a, b or c" of the NULL-ended list, into buf. */
static void list_words(const char *const *words, char *buf, size_t n)
{
	size_t k = 0, len = 0;

	buf[0] = '\0';
	while (words[k])
		k++;
	for (size_t i = 0; i < k && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s",
					i == 0	     ? ""
					: i == k - 1 ? " or "
						     : ", ",
					words[i]);
}

/* Number of UTF-8 characters (jansson hands us valid UTF-8). */
static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* {"goal_id": N} or {"programme_id": N}, N >= 1, nothing else. */
static const char *validate_line(const json_t *v)
{
	const char *key;
	json_t *id;

	if (!json_is_object(v) || json_object_size(v) != 1)
		return "must be {\"goal_id\": N} or {\"programme_id\": N}";
	json_object_foreach((json_t *)v, key, id)
	{
		if (strcmp(key, "goal_id") && strcmp(key, "programme_id"))
			return "must be {\"goal_id\": N} or "
			       "{\"programme_id\": N}";
		if (!json_is_integer(id) || json_integer_value(id) < 1)
			return "must name an id (>= 1)";
	}
	return NULL;
}

const char *validate_value(const struct field *f, const json_t *v,
			   const char **code, char *buf, size_t n)
{
	const char *s = "";

	*code = "type";
	if (json_is_null(v)) {
		if (f->flags & F_NULLABLE)
			return NULL;
		return "must not be null";
	}
	switch (f->type) {
	case FIELD_INT:
	case FIELD_CENTS:
	case FIELD_REF:
		if (!json_is_integer(v))
			return f->type == FIELD_CENTS
				       ? "must be a whole number of cents"
				       : "must be an integer";
		if (json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max ||
		    ((f->flags & F_NONZERO) && json_integer_value(v) == 0)) {
			*code = "range";
			if (f->type == FIELD_REF)
				return "must be an id (>= 1)";
			snprintf(buf, n, "must be from %lld to %lld%s%s",
				 (long long)f->min, (long long)f->max,
				 f->type == FIELD_CENTS ? " cents" : "",
				 f->flags & F_NONZERO ? ", and not 0" : "");
			return buf;
		}
		return NULL;
	case FIELD_LINE:
		return validate_line(v);
	case FIELD_TEXT:
	case FIELD_DATE:
	case FIELD_ENUM:
	case FIELD_TIME:
		if (!json_is_string(v))
			return "must be a string";
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v)) {
			*code = "format";
			return "must not contain NUL characters";
		}
		break;
	}
	*code = "format";
	switch (f->type) {
	case FIELD_DATE:
		return date_problem(s, buf, n);
	case FIELD_ENUM: {
		struct nearest near = { .word = s };
		char all[160];

		for (const char *const *c = f->choices; *c; c++) {
			if (strcmp(*c, s) == 0)
				return NULL;
			validate_nearest(&near, *c);
		}
		*code = "enum";
		list_words(f->choices, all, sizeof(all));
		if (near.best)
			snprintf(buf, n, "must be %s: did you mean %s?", all,
				 near.best);
		else
			snprintf(buf, n, "must be %s", all);
		return buf;
	}
	case FIELD_TEXT:
		if ((int64_t)utf8_len(s) < f->min) {
			*code = f->min == 1 ? "required" : "length";
			if (f->min == 1)
				return "must not be empty";
			snprintf(buf, n,
				 "is too short: at least %lld characters",
				 (long long)f->min);
			return buf;
		}
		if ((int64_t)utf8_len(s) > f->max) {
			*code = "length";
			snprintf(buf, n, "is too long: at most %lld characters",
				 (long long)f->max);
			return buf;
		}
		if (f->format && !f->format(s))
			return f->hint ? f->hint : "has the wrong format";
		return NULL;
	default:
		return NULL;
	}
}

json_t *validate_body(const struct field *fields, size_t nfields,
		      const json_t *body, bool create)
{
	json_t *errors = json_array();
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v)
	{
		const struct field *f = validate_find(fields, nfields, key);
		const char *msg, *code;
		char buf[256];

		if (!f && validate_is_meta(key)) {
			validate_add_error(errors, key, "read_only",
					   "is set by the server");
			continue;
		}
		if (!f) {
			struct nearest near = { .word = key };

			for (size_t i = 0; i < nfields; i++)
				if (!(fields[i].flags & F_READONLY))
					validate_nearest(&near, fields[i].name);
			if (near.best)
				snprintf(buf, sizeof(buf),
					 "is not a field of this resource: "
					 "did you mean %s?",
					 near.best);
			validate_add_error(errors, key, "unknown_field",
					   near.best ? buf
						     : "is not a field of this "
						       "resource");
			continue;
		}
		if (f->flags & F_READONLY) {
			validate_add_error(errors, key, "read_only",
					   "is set by the server");
			continue;
		}
		if (!create && (f->flags & F_FIXED)) {
			validate_add_error(errors, key, "fixed",
					   "cannot be changed after creation");
			continue;
		}
		msg = validate_value(f, v, &code, buf, sizeof(buf));
		if (msg)
			validate_add_error(errors, key, code, msg);
	}
	for (size_t i = 0; create && i < nfields; i++)
		if ((fields[i].flags & F_REQUIRED) &&
		    !json_object_get(body, fields[i].name))
			validate_add_error(errors, fields[i].name, "required",
					   "is required");
	if (json_array_size(errors) == 0) {
		json_decref(errors);
		return NULL;
	}
	return errors;
}

bool validate_expiry(const char *s, char out[21])
{
	char date[11];
	int h, m, sec;
	size_t n = strlen(s);

	if (n < 10)
		return false;
	snprintf(date, sizeof(date), "%.10s", s);
	if (!validate_date(date))
		return false;
	if (n == 10) {
		snprintf(out, 21, "%sT00:00:00Z", date);
		return true;
	}
	if (n != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z' || strspn(s + 11, "0123456789:") != 8 ||
	    sscanf(s + 11, "%2d:%2d:%2d", &h, &m, &sec) != 3 || h > 23 ||
	    m > 59 || sec > 59)
		return false;
	memcpy(out, s, 21);
	return true;
}

bool validate_year(const char *s, int64_t *y)
{
	return strlen(s) == 4 && util_parse_int64(s, y) == 0 && *y >= 1900;
}

bool validate_date_any(const char *s, char out[11])
{
	if (strlen(s) != 10)
		return false;
	if (s[2] == '-' && s[5] == '-')
		snprintf(out, 11, "%.4s-%.2s-%.2s", s + 6, s + 3, s);
	else
		snprintf(out, 11, "%s", s);
	return validate_date(out);
}

#define TOO_LARGE                                                          \
	"is a number too large for any field (whole numbers here have at " \
	"most 19 digits)"

/* Stands in a body for a number too large to read (a string no JSON text
 * holds raw: it has a control character). */
#define TOO_LARGE_MARK "\"\\u0001\""

/* Whether v holds the mark. */
static bool holds_mark(const json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	if (json_is_string(v))
		return strcmp(json_string_value(v), "\x01") == 0;
	json_object_foreach((json_t *)v, key, m)
	{
		if (holds_mark(m))
			return true;
	}
	json_array_foreach(v, i, m)
	{
		if (holds_mark(m))
			return true;
	}
	return false;
}

/*
 * Names in errors the members of a body that hold a number too large to
 * read: each such number (it ends where e says) is replaced by the mark
 * until the body reads, then the members holding the mark are named. A
 * body that still does not read afterwards names the body ("").
 */
static void name_too_large(const char *body, size_t len, json_error_t *e,
			   json_t *errors)
{
	char *text = malloc(len + 1);
	json_t *v = NULL;
	const char *key;
	json_t *m;

	if (text)
		memcpy(text, body, len);
	for (int pass = 0; text && pass < 16; pass++) {
		size_t end = (size_t)e->position, start = end;
		char *next;

		if (json_error_code(e) != json_error_numeric_overflow ||
		    end > len)
			break;
		while (start > 0 && strchr("0123456789+-.eE", text[start - 1]))
			start--;
		next = malloc(len - (end - start) + sizeof(TOO_LARGE_MARK));
		if (!next)
			break;
		memcpy(next, text, start);
		memcpy(next + start, TOO_LARGE_MARK, strlen(TOO_LARGE_MARK));
		memcpy(next + start + strlen(TOO_LARGE_MARK), text + end,
		       len - end);
		len = len - (end - start) + strlen(TOO_LARGE_MARK);
		free(text);
		text = next;
		if ((v = json_loadb(text, len, JSON_DECODE_ANY, e)))
			break;
	}
	free(text);
	json_object_foreach(v, key, m)
	{
		if (holds_mark(m))
			validate_add_error(errors, key, "range", TOO_LARGE);
	}
	json_decref(v);
	if (json_array_size(errors) == 0)
		validate_add_error(errors, "", "range", TOO_LARGE);
}

int validate_read(const char *body, size_t len, json_t **json, json_t **errors,
		  json_error_t *e)
{
	*errors = NULL;
	*json = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			   e);
	if (*json || json_error_code(e) != json_error_numeric_overflow)
		return *json ? 0 : -1;
	*errors = json_array();
	name_too_large(body, len, e, *errors);
	return 1;
}
