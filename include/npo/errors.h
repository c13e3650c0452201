/*
 * The error registry: every problem code with its HTTP status and title,
 * from errors.def. struct npo_err (util.h) carries one of these.
 */
#ifndef NPO_ERRORS_H
#define NPO_ERRORS_H

#include <stddef.h>

enum npo_error {
	NPO_E_NONE = 0,
#define NPO_ERROR(name, status, code, title, meaning) NPO_E_##name,
#include "npo/errors.def"
#undef NPO_ERROR
	NPO_E_COUNT
};

struct npo_error_def {
	int status;
	const char *code, *title, *meaning;
};

/* The entry of e (NPO_E_NONE: status 0, code NULL). */
const struct npo_error_def *npo_error_def(enum npo_error e);

#endif
