#include "npo/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/money.h"
#include "npo/util.h"

int csv_dialect_parse(const char *s, enum csv_dialect *out)
{
	if (strcmp(s, "rfc4180") == 0)
		*out = CSV_RFC4180;
	else if (strcmp(s, "excel-nl") == 0)
		*out = CSV_EXCEL_NL;
	else
		return -1;
	return 0;
}

static char sep_of(enum csv_dialect d)
{
	return d == CSV_EXCEL_NL ? ';' : ',';
}

static void put(struct csv_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			abort(); /* out of memory: nothing sensible is left */
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void csv_buf_free(struct csv_buf *b)
{
	free(b->p);
	*b = (struct csv_buf){ 0 };
}

bool csv_is_formula(const char *s)
{
	/* UTF-8 of the blanks skipped and of the full-width signs */
	static const char *const blanks[] = { " ", "\xc2\xa0", "\xe3\x80\x80" };
	static const char *const wide[] = {
		"\xef\xbc\x9d",
		"\xef\xbc\x8b",
		"\xef\xbc\x8d",
		"\xef\xbc\xa0",
	};
	bool skipped = true;

	if (*s == '\t' || *s == '\r')
		return true;
	while (skipped) {
		skipped = false;
		for (size_t i = 0; i < ARRAY_SIZE(blanks); i++) {
			size_t n = strlen(blanks[i]);

			if (strncmp(s, blanks[i], n) == 0) {
				s += n;
				skipped = true;
			}
		}
	}
	if (*s && strchr("=+-@", *s))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(wide); i++)
		if (strncmp(s, wide[i], 3) == 0)
			return true;
	return false;
}

void csv_text(enum csv_dialect d, struct csv_buf *b, const char *s)
{
	bool formula = csv_is_formula(s);
	bool quote = formula || strpbrk(s, "\"\r\n") || strchr(s, sep_of(d));

	if (quote)
		put(b, "\"", 1);
	if (formula)
		put(b, "'", 1);
	for (const char *p = s; *p; p++) {
		size_t run = strcspn(p, "\"");

		put(b, p, run);
		p += run;
		if (!*p)
			break;
		put(b, "\"\"", 2);
	}
	if (quote)
		put(b, "\"", 1);
}

void csv_int(enum csv_dialect d, struct csv_buf *b, bool money, long long v)
{
	char num[MONEY_BUF];

	if (money)
		put(b, num,
		    money_format(v, d == CSV_EXCEL_NL ? ',' : '.', num));
	else
		put(b, num, (size_t)snprintf(num, sizeof(num), "%lld", v));
}

void csv_sep(enum csv_dialect d, struct csv_buf *b)
{
	put(b, &(char){ sep_of(d) }, 1);
}

static void cell(enum csv_dialect d, struct csv_buf *b, const char *key,
		 const json_t *v)
{
	char *text;
	size_t i;
	json_t *e;

	if (!v)
		return; /* a member this row does not have: an empty cell */
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		csv_int(d, b, money_is_cents_name(key),
			(long long)json_integer_value(v));
		break;
	case JSON_STRING:
		csv_text(d, b, json_string_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		put(b, json_is_true(v) ? "true" : "false",
		    json_is_true(v) ? 4 : 5);
		break;
	case JSON_ARRAY: {
		struct csv_buf joined = { 0 };

		json_array_foreach(v, i, e)
		{
			if (i)
				put(&joined, " ", 1);
			if (json_is_string(e))
				put(&joined, json_string_value(e),
				    strlen(json_string_value(e)));
		}
		csv_text(d, b, joined.p ? joined.p : "");
		csv_buf_free(&joined);
		break;
	}
	case JSON_OBJECT:
		text = json_dumps(v, JSON_COMPACT);
		csv_text(d, b, text ? text : "");
		free(text);
		break;
	default: /* null: an empty cell */
		break;
	}
}

void csv_end_row(struct csv_buf *b)
{
	put(b, "\r\n", 2);
}

void csv_header(enum csv_dialect d, struct csv_buf *b, const json_t *template)
{
	const char *key;
	json_t *v;
	bool first = true;

	if (d == CSV_EXCEL_NL)
		put(b, "\xEF\xBB\xBF", 3);
	json_object_foreach((json_t *)template, key, v)
	{
		char name[96];

		if (!first)
			csv_sep(d, b);
		first = false;
		if (money_is_cents_name(key))
			snprintf(name, sizeof(name), "%.*s_eur",
				 (int)(strlen(key) - 6), key);
		else
			snprintf(name, sizeof(name), "%s", key);
		csv_text(d, b, name);
	}
	csv_end_row(b);
}

void csv_row(enum csv_dialect d, struct csv_buf *b, const json_t *template,
	     const json_t *obj)
{
	const char *key;
	json_t *v;
	bool first = true;

	json_object_foreach((json_t *)template, key, v)
	{
		if (!first)
			csv_sep(d, b);
		first = false;
		cell(d, b, key, json_object_get(obj, key));
	}
	csv_end_row(b);
}

/* --- the reader ------------------------------------------------------------ */

/* The separator of the first line: ';' when it has more of those than of
 * ',' outside quotes (as Dutch Excel writes), else ','. */
static char detect_sep(const char *p, const char *end)
{
	size_t commas = 0, semis = 0;
	bool quoted = false;

	for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted)
			commas += *p == ',', semis += *p == ';';
	}
	return semis > commas ? ';' : ',';
}

void csv_reader_init(struct csv_reader *r, const char *text, size_t len)
{
	*r = (struct csv_reader){ .p = text, .end = text + len };
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
	r->sep = detect_sep(r->p, r->end);
}

void csv_reader_free(struct csv_reader *r)
{
	csv_buf_free(&r->cells);
	free(r->starts);
	free(r->fields);
	*r = (struct csv_reader){ 0 };
}

/* Room for one more cell start (and field) than there are cells. */
static void grow(struct csv_reader *r)
{
	size_t cap = r->cap ? 2 * r->cap : 16;

	if (r->ncells + 1 < r->cap)
		return;
	if (!(r->starts = realloc(r->starts, cap * sizeof(*r->starts))) ||
	    !(r->fields = realloc(r->fields, cap * sizeof(*r->fields))))
		abort(); /* out of memory: nothing sensible is left */
	r->cap = cap;
}

/* Ends the cell being read: its NUL in cells, and where the next begins. */
static void cell_end(struct csv_reader *r)
{
	put(&r->cells, "", 1);
	grow(r);
	r->starts[++r->ncells] = r->cells.len;
}

int csv_read(struct csv_reader *r, const char *const **fields, size_t *n)
{
	bool quoted = false;

	if (r->p >= r->end)
		return 0;
	r->cells.len = 0;
	r->ncells = 0;
	grow(r);
	r->starts[0] = 0;
	while (r->p < r->end) {
		char ch = *r->p++;

		if (quoted) {
			if (ch != '"')
				put(&r->cells, &ch, 1);
			else if (r->p < r->end && *r->p == '"')
				put(&r->cells, r->p++, 1);
			else
				quoted = false;
		} else if (ch == '"') {
			quoted = true;
		} else if (ch == r->sep) {
			cell_end(r);
		} else if (ch == '\n' || ch == '\r') {
			if (ch == '\r' && r->p < r->end && *r->p == '\n')
				r->p++;
			break;
		} else {
			put(&r->cells, &ch, 1);
		}
	}
	if (quoted)
		return -1;
	cell_end(r);
	for (size_t i = 0; i < r->ncells; i++)
		r->fields[i] = r->cells.p + r->starts[i];
	r->record++;
	*fields = r->fields;
	*n = r->ncells;
	return 1;
}
