/*
 * The resources: what a declared resource is (its table, fields, rules,
 * workflow, levels and the operations it offers), and the one registry of
 * all of them, from which the route table, the export and GET /api/v1 are
 * derived. Each resource is declared in its own file under server/api/.
 */
#ifndef NPO_RESOURCE_H
#define NPO_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npo/auth.h"
#include "npo/db.h"
#include "npo/validate.h"

/* The operations a resource offers over HTTP. */
enum resource_op {
	OP_LIST = 1 << 0,   /* GET path */
	OP_CREATE = 1 << 1, /* POST path */
	OP_GET = 1 << 2,    /* GET path/{id} */
	OP_PATCH = 1 << 3,  /* PATCH path/{id} */
	OP_DELETE = 1 << 4, /* DELETE path/{id} */
	OP_MOVE = 1 << 5,   /* POST path/{id}/status: a workflow move */
};
#define OPS_CRUD (OP_LIST | OP_CREATE | OP_GET | OP_PATCH | OP_DELETE)

struct workflow;
struct level;

struct resource {
	const char *name;  /* singular, the audit entity: "budget" */
	const char *table; /* "budgets" */
	const char *path;  /* collection path: "/api/v1/budgets" */
	const struct field *fields;
	size_t nfields;
	/*
	 * The rules of the resource that need the database, run inside the
	 * write transaction on the row as it would be stored (before is NULL
	 * on create). May fill derived fields of row. Returns 0, or -1 with
	 * err filled to refuse the write. NULL when there are none.
	 */
	int (*check)(struct db_conn *c, json_t *row, const json_t *before,
		     struct npo_err *err);
	/* Turns a stored row into what the API shows, in place; or NULL. */
	void (*present)(json_t *row);
	/* The statuses the row moves through, or NULL (then no status). */
	const struct workflow *workflow;
	/* Fills out (at most max) with the levels a row counts in, which the
	 * overrun rules check; returns how many. NULL when none. */
	size_t (*levels)(const json_t *row, struct level *out, size_t max);
	/* Changes other rows in the same transaction after row id is stored
	 * as row (before: as it was, NULL for a create): a reallocation moves
	 * money, an approved correction changes its original. NULL when
	 * none. */
	int (*after_write)(struct db_conn *c, const char *actor, int64_t id,
			   const json_t *row, const json_t *before,
			   struct npo_err *err);
	/* Appends to warnings what a written row warns of by itself (an
	 * expenditure dated outside the period), as JSON warnings; only what
	 * this write caused. NULL when nothing. */
	int (*warnings)(struct db_conn *c, int64_t id, const json_t *row,
			const json_t *before, json_t *warnings,
			struct npo_err *err);
	/* Sets what a status move sets besides status (a plan's approval);
	 * body is the move's request. NULL when none. */
	int (*on_move)(json_t *row, const char *to, const json_t *body,
		       struct npo_err *err);
	/* What a move's body may hold besides status and note (a plan's
	 * approved_cents), for on_move; nmove_fields of them. */
	const struct field *move_fields;
	size_t nmove_fields;
	/* The table has only id and the fields: no version or time stamps. */
	bool plain;
	/* What the API offers of it (a set of enum resource_op), and the role
	 * its list and items need (ROLE_READ unless set). */
	unsigned ops;
	enum role read_role;
	/*
	 * The rows a scoped token sees, and so may change (scope.h): an SQL
	 * condition over the table in which :scope stands for the
	 * municipality's code (by_municipality) or the school's id (by_school;
	 * NULL: a school sees what its municipality sees). Without
	 * by_municipality a scoped token sees none of them.
	 */
	const char *by_municipality, *by_school;
	/* What a school may do with them (a set of enum resource_op; every
	 * other route of the resource is 403 out_of_scope), and the statuses it
	 * may move one to (NULL-ended; NULL: none). A school changes and
	 * deletes only rows in the workflow's first status (its drafts). */
	unsigned school_ops;
	const char *const *school_moves;
};

/* The conditions of the resources that hang under a budget, by the column
 * that names it, and of those that hang under a programme. */
#define IN_MUNICIPALITY_BUDGET(column) \
	column " IN (SELECT id FROM budgets WHERE municipality_code = :scope)"
#define IN_MUNICIPALITY_PROGRAMME                                       \
	"programme_id IN (SELECT p.id FROM programmes p JOIN budgets b" \
	" ON b.id = p.budget_id WHERE b.municipality_code = :scope)"

/*
 * Names next to ids (a computed field): the name of the programme of a row of
 * table. A row that shows another's name gets a new version when that name
 * changes (the after_write of programmes and schools).
 */
#define PROGRAMME_NAME(table) \
	"SELECT name FROM programmes WHERE id = " table ".programme_id"
/* The budget a row of table belongs to through its programme (which never
 * changes budget). */
#define PROGRAMME_BUDGET(table) \
	"SELECT budget_id FROM programmes WHERE id = " table ".programme_id"

#define RESOURCE(name) extern const struct resource name##_resource;
#include "npo/resources.def"
#undef RESOURCE

/* Every resource, in the order of the API's description and the export. */
extern const struct resource *const resources[];
extern const size_t nresources;

#endif
