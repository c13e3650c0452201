/*
 * Declared fields and the one validator of request bodies. A resource lists
 * its fields once (name, type, required, bounds); create, PATCH, filters,
 * storage and output all follow that declaration.
 */
#ifndef NPO_VALIDATE_H
#define NPO_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum field_type {
	FIELD_TEXT,  /* string, length min..max in characters */
	FIELD_INT,   /* integer min..max */
	FIELD_CENTS, /* integer number of cents min..max */
	FIELD_DATE,  /* "YYYY-MM-DD", a real calendar date */
	FIELD_ENUM,  /* one of choices */
	FIELD_REF,   /* id of another resource (integer >= 1) */
	FIELD_TIME,  /* server-set UTC timestamp */
	FIELD_LINE,  /* {"goal_id": N} or {"programme_id": N}; stored as the
		      * columns <name>_goal_id and <name>_programme_id */
};

enum field_flag {
	F_REQUIRED = 1 << 0, /* must be given on create */
	F_NULLABLE = 1 << 1, /* null is a value */
	F_READONLY = 1 << 2, /* set by the server only; refused in bodies */
	F_FIXED = 1 << 3,    /* given on create, refused in PATCH */
	F_FILTER = 1 << 4,   /* usable as an exact-match list filter */
	F_NONZERO = 1 << 5,  /* an integer that is never 0 */
	F_SEARCH = 1 << 6,   /* text that the list parameter q= searches */
};

struct field {
	const char *name; /* JSON member and column name */
	enum field_type type;
	unsigned flags;		      /* enum field_flag */
	int64_t min, max;	      /* bounds: value, or length for text */
	const char *const *choices;   /* FIELD_ENUM: NULL-terminated */
	bool (*format)(const char *); /* FIELD_TEXT: extra check, or NULL */
	const char *hint; /* FIELD_TEXT: what format expects, for messages */
	const char *def;  /* default of an absent TEXT/ENUM */
	const char *ref;  /* FIELD_REF: the table it points to */
	/* Not stored: an SQL expression over the row's table, computed
	 * when it is read (with F_READONLY); NULL for a stored field. */
	const char *computed;
	/* DATE/TIME: the list parameters of a range over it (on or after,
	 * on or before), e.g. spent_from and spent_until; or NULL. */
	const char *from, *until;
};

/*
 * Reads a request body as JSON (any value; a key twice is an error): 0 with
 * *json, -1 when it is not JSON (e says where), or 1 when it is JSON with a
 * number too large for any field: *errors then names each member holding
 * one ("range"), as a validation would.
 */
int validate_read(const char *body, size_t len, json_t **json, json_t **errors,
		  json_error_t *e);

/*
 * Validates body against fields for a create (create=true: required fields
 * must be present) or a PATCH (only the given fields). Unknown, read-only
 * and (for PATCH) fixed members are errors too. Returns NULL when the body is
 * valid, otherwise a new array of {"field","code","message"}, one per bad
 * field, in body order.
 */
json_t *validate_body(const struct field *fields, size_t nfields,
		      const json_t *body, bool create);

/* True for id, version, created_at and updated_at: the members every
 * stored row has besides its declared fields. */
bool validate_is_meta(const char *name);

/* The field called name, or NULL. */
const struct field *validate_find(const struct field *fields, size_t nfields,
				  const char *name);

/* Checks one value against its field; returns NULL, or a message that says
 * what the value must be (static, or written into buf of n bytes). */
const char *validate_value(const struct field *f, const json_t *v,
			   const char **code, char *buf, size_t n);

/* "Did you mean": offer each candidate to validate_nearest; best is then the
 * one a typo of word would be (one edit, two for eight letters or more), or
 * NULL when none is that close. */
struct nearest {
	const char *word;
	const char *best;
	int dist;
};
void validate_nearest(struct nearest *n, const char *candidate);

/* The first of names whose value differs between row and before, or NULL. */
const char *validate_changed(const json_t *row, const json_t *before,
			     const char *const *names, size_t n);

/* True for a real calendar date written YYYY-MM-DD. */
bool validate_date(const char *s);

/* A date as a file may hold it, 2025-03-14 or 14-03-2025; true with it
 * written YYYY-MM-DD in out. */
bool validate_date_any(const char *s, char out[11]);

/* A calendar year written as four digits, 1900 or later; *y gets it. */
bool validate_year(const char *s, int64_t *y);

/* A school year such as "2024-2025" (two consecutive years from 1900). */
bool validate_school_year(const char *s);

/* A moment as a token's expiry: "2027-06-30" (the start of that day, UTC)
 * or "2027-06-30T12:00:00Z"; true with it written as the latter in out. */
bool validate_expiry(const char *s, char out[21]);

/* A CBS municipality code: GM and four digits, e.g. GM0402 (Hilversum). */
bool validate_cbs_code(const char *s);

/* Fills err with 422 validation_failed for one field; returns -1. */
struct npo_err;
int validate_fail(struct npo_err *err, const char *field, const char *code,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends {"field","code","message"} to errors. */
void validate_add_error(json_t *errors, const char *field, const char *code,
			const char *message);

#endif
