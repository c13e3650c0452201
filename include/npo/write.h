/*
 * The one write path: a create, change, delete or status move of a declared
 * resource, with its validation, references, rules, overrun levels, audit
 * row and the revision, in one BEGIN IMMEDIATE transaction. Knows nothing of
 * HTTP: the request adapters (crud.c), the demo loader, and every later
 * writer call it, and map what it returns to their own answer.
 */
#ifndef NPO_WRITE_H
#define NPO_WRITE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "npo/db.h"
#include "npo/resource.h"

enum write_op { WRITE_CREATE, WRITE_UPDATE, WRITE_DELETE, WRITE_MOVE };

struct write {
	const struct resource *res;
	enum write_op op;
	int64_t id; /* the row; 0 for a create */
	/* create: the fields; update: the fields to change; move: the move's
	 * body ({"status": …, "note": …} and what the resource adds);
	 * delete: NULL. Borrowed. */
	const json_t *body;
	const char *actor; /* who, for the audit row: a token's name, "demo" */
	const char *note;  /* for the audit row (a move's own note wins) */
	/*
	 * The version the writer holds (If-Match): true when version is one
	 * it names; NULL when it names none. expected says what it named, for
	 * the message of the 412.
	 */
	bool (*expects)(int64_t version, const void *arg);
	const void *expects_arg;
	const char *expected;
};

struct write_result {
	json_t *row; /* as stored after the write; NULL after a delete */
	int64_t id;
	bool created; /* a new row */
	bool changed; /* false: the row was already so, nothing was written */
	/* the warnings this write caused, as the status shows them (an array,
	 * empty when none; NULL when nothing was written) */
	json_t *warnings;
};

/* A warning as the status and the answer to a write show it. */
struct warning;
json_t *write_warning_json(const struct warning *w);

/*
 * Applies w in one write transaction: 0 with out filled (free it with
 * write_result_free), or -1 with err filled and nothing changed: 404, 412
 * version_mismatch, 422 validation_failed (errors naming each field), 409
 * for a workflow, rule or overrun, or what the database says.
 */
int write_apply(struct db_conn *c, const struct write *w,
		struct write_result *out, struct npo_err *err);
void write_result_free(struct write_result *r);

/*
 * The step every write ends in, in the caller's transaction and without
 * rules: stores row as row id of res (id 0: inserts it and sets *id; row
 * NULL: deletes it), reads it back into *after (may be NULL) and writes the
 * audit row from before to after with action and note.
 */
int write_store(struct db_conn *c, const struct resource *res, int64_t *id,
		const json_t *before, const json_t *row, const char *actor,
		const char *action, const char *note, json_t **after,
		struct npo_err *err);

#endif
