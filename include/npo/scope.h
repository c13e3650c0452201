/*
 * Scopes: a token may be limited to one municipality or one school. The
 * scope travels with the request's database connection (db_set_scope), and
 * the store applies it to every read and write there: a row outside it is
 * not found, as if it did not exist. Each resource says which of its rows a
 * scope holds (resource.h).
 */
#ifndef NPO_SCOPE_H
#define NPO_SCOPE_H

#include <stdint.h>

enum scope_kind { SCOPE_ALL = 0, SCOPE_MUNICIPALITY, SCOPE_SCHOOL };

struct scope {
	enum scope_kind kind;
	char municipality[8]; /* its municipality's code (a school's too) */
	char school[8];	      /* the school's code */
	int64_t school_id;    /* 0: no such school (it then sees nothing) */
};

/* "municipality GM0406" or "school 10HZ00" into out; NULL for SCOPE_ALL
 * (or s NULL). */
const char *scope_describe(const struct scope *s, char out[32]);

#endif
