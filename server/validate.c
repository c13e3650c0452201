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

bool validate_date(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int y, m, d, max;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
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
			   const char **code)
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
		    json_integer_value(v) > f->max) {
			*code = "range";
			return f->type == FIELD_REF ? "must be an id (>= 1)"
			       : f->min == 0
				       ? "must not be negative or too large"
				       : "is out of range";
		}
		if ((f->flags & F_NONZERO) && json_integer_value(v) == 0) {
			*code = "range";
			return "must not be 0";
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
		return validate_date(s) ? NULL : "must be a date YYYY-MM-DD";
	case FIELD_ENUM:
		for (const char *const *c = f->choices; *c; c++)
			if (strcmp(*c, s) == 0)
				return NULL;
		*code = "enum";
		return f->hint ? f->hint : "is not one of the allowed values";
	case FIELD_TEXT:
		if ((int64_t)utf8_len(s) < f->min) {
			*code = f->min == 1 ? "required" : "length";
			return f->min == 1 ? "must not be empty"
					   : "is too short";
		}
		if ((int64_t)utf8_len(s) > f->max) {
			*code = "length";
			return "is too long";
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

		if (!f && validate_is_meta(key)) {
			validate_add_error(errors, key, "read_only",
					   "is set by the server");
			continue;
		}
		if (!f) {
			validate_add_error(errors, key, "unknown_field",
					   "is not a field of this resource");
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
		msg = validate_value(f, v, &code);
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
