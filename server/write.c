/*
 * The one write path (write.h): every create, change, delete and status move
 * of a declared resource goes through write_apply, whoever makes it.
 */
#include "npo/write.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/figures.h"
#include "npo/scope.h"
#include "npo/store.h"
#include "npo/workflow.h"

#define MAX_LEVELS 8

static int64_t version_of(const json_t *row)
{
	return json_integer_value(json_object_get(row, "version"));
}

/* 422 validation_failed with errors_new as its errors. */
static int invalid(json_t *errors_new, struct npo_err *err)
{
	const json_t *first = json_array_get(errors_new, 0);

	return err_set_new(err, json_pack("{s:o}", "errors", errors_new),
			   NPO_E_VALIDATION_FAILED, "%s %s%s",
			   json_string_value(json_object_get(first, "field")),
			   json_string_value(json_object_get(first, "message")),
			   json_array_size(errors_new) > 1
				   ? " (and more: see errors)"
				   : "");
}

/* 422 naming each reference field of row that points to no row. */
static int check_refs(struct db_conn *c, const struct resource *res,
		      const json_t *row, const json_t *before,
		      struct npo_err *err)
{
	json_t *errors = json_array();
	char msg[96];

	for (size_t i = 0; i < res->nfields; i++) {
		const struct field *f = &res->fields[i];
		const json_t *v = json_object_get(row, f->name);
		int rc;

		if (!f->ref || !json_is_integer(v) ||
		    (before && json_equal(v, json_object_get(before, f->name))))
			continue;
		rc = store_exists(c, f->ref, json_integer_value(v), err);
		if (rc < 0) {
			json_decref(errors);
			return -1;
		}
		if (rc == 0) {
			snprintf(msg, sizeof(msg), "there is no %s %lld",
				 f->name, (long long)json_integer_value(v));
			/* "budget_id" -> "there is no budget_id 9" reads well
			 * enough and names the field exactly */
			validate_add_error(errors, f->name, "not_found", msg);
		}
	}
	if (json_array_size(errors) == 0) {
		json_decref(errors);
		return 0;
	}
	return err_set_new(err, json_pack("{s:o}", "errors", errors),
			   NPO_E_VALIDATION_FAILED,
			   "a referenced row does not exist (see errors)");
}

/* The levels that rows before and after count in, each once. */
static size_t touched_levels(const struct resource *res, const json_t *before,
			     const json_t *row, struct level *out)
{
	struct level all[2 * MAX_LEVELS];
	size_t n = 0, k = 0;

	if (!res->levels)
		return 0;
	if (before)
		n += res->levels(before, all, MAX_LEVELS);
	if (row)
		n += res->levels(row, all + n, MAX_LEVELS);
	assert(n <= 2 * MAX_LEVELS);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < k; j++)
			seen |= out[j].kind == all[i].kind &&
				out[j].id == all[i].id;
		if (!seen && k < MAX_LEVELS)
			out[k++] = all[i];
	}
	return k;
}

json_t *write_warning_json(const struct warning *w)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:s}", "code", w->code, "entity",
			 w->entity, "id", (json_int_t)w->id, "amount_cents",
			 (json_int_t)w->amount, "message", w->message);
}

/*
 * The overrun rule: a write may not leave a level using more than its
 * parent holds, unless it leaves it less over than before. Under the
 * budget's policy stop that answers 409 with the parent's amount, what was
 * used before and what this write asked; under warn the write goes through
 * and its answer names the warning (appended to warnings).
 */
static int check_overrun(struct db_conn *c, const struct level *l,
			 const struct level_use *pre, json_t *warnings,
			 struct npo_err *err)
{
	struct level_use post;
	struct warning w;
	int64_t over, was;

	if (figures_level(c, l, &post, err) < 0)
		return -1;
	if (!post.exists || !post.applies)
		return 0;
	over = post.used - post.limit;
	was = pre->exists && pre->applies ? pre->used - pre->limit : 0;
	if (over <= 0 || over <= was)
		return 0;
	if (!post.stop) {
		if (figures_level_warning(c, l, &post, &w, err) < 0)
			return -1;
		json_array_append_new(warnings, write_warning_json(&w));
		return 0;
	}
	return err_set_new(
		err,
		json_pack(
			"{s:s, s:{s:s, s:I}, s:I, s:I, s:I, s:I}", "rule",
			figures_level_code(l->kind), "parent", "entity",
			figures_level_entity(l->kind), "id", (json_int_t)l->id,
			"parent_cents", (json_int_t)post.limit, "used_cents",
			(json_int_t)(pre->exists ? pre->used : 0),
			"asked_cents",
			(json_int_t)(post.used - (pre->exists ? pre->used : 0)),
			"over_cents", (json_int_t)over),
		NPO_E_OVERRUN,
		"refused under overrun_policy stop: %s %lld would use %lld "
		"cents of its %lld (%s)",
		figures_level_entity(l->kind), (long long)l->id,
		(long long)post.used, (long long)post.limit,
		figures_level_code(l->kind));
}

/* Create: the body with the defaults of absent fields. */
static int change_create(const struct resource *res, const json_t *before,
			 json_t **row, const void *arg, struct npo_err *err)
{
	(void)before;
	(void)err;
	*row = json_deep_copy(arg);
	for (size_t i = 0; i < res->nfields; i++) {
		const struct field *f = &res->fields[i];

		if (!json_object_get(*row, f->name))
			json_object_set_new(*row, f->name,
					    f->def ? json_string(f->def)
						   : json_null());
	}
	return 0;
}

/* PATCH: the stored row with the given fields replaced. */
static int change_patch(const struct resource *res, const json_t *before,
			json_t **row, const void *arg, struct npo_err *err)
{
	(void)res;
	(void)err;
	*row = json_deep_copy(before);
	json_object_update(*row, (json_t *)arg);
	return 0;
}

/* Delete; what has a workflow only while in its first status. */
static int change_delete(const struct resource *res, const json_t *before,
			 json_t **row, const void *arg, struct npo_err *err)
{
	const char *status =
		json_string_value(json_object_get(before, "status"));

	(void)arg;
	*row = NULL;
	if (res->workflow && strcmp(status, res->workflow->states[0]) != 0)
		return err_set(err, NPO_E_NOT_DELETABLE,
			       "%s %lld is %s; only a %s %s can be deleted",
			       res->name,
			       (long long)json_integer_value(
				       json_object_get(before, "id")),
			       status, res->workflow->states[0], res->name);
	return 0;
}

/* The body of a status move, before what the resource adds to it. */
/* the declaration: a field a line or two */
/* clang-format off */
static const struct field move_fields[] = {
	{ .name = "status", .type = FIELD_TEXT, .flags = F_REQUIRED, .min = 1,
	  .max = 32 },
	{ .name = "note", .type = FIELD_TEXT, .flags = F_NULLABLE, .max = 2000 },
};
/* clang-format on */
#define MAX_MOVE_FIELDS 8

static int change_status(const struct resource *res, const json_t *before,
			 json_t **row, const void *arg, struct npo_err *err)
{
	const json_t *body = arg;
	const char *from = json_string_value(json_object_get(before, "status"));
	const char *to = json_string_value(json_object_get(body, "status"));
	const char *next[8];
	size_t n;
	json_t *allowed;

	if (workflow_allows(res->workflow, from, to)) {
		*row = json_deep_copy(before);
		json_object_set_new(*row, "status", json_string(to));
		return res->on_move ? res->on_move(*row, to, body, err) : 0;
	}
	n = workflow_next(res->workflow, from, next, 8);
	allowed = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(allowed, json_string(next[i]));
	return err_set_new(err,
			   json_pack("{s:s, s:o}", "current_status", from,
				     "allowed", allowed),
			   NPO_E_TRANSITION_NOT_ALLOWED,
			   "%s %s cannot move from %s to %s%s",
			   util_article(res->name), res->name, from, to,
			   n ? " (see allowed)" : "; it is final");
}

/* A status in a create or PATCH says where statuses do change. */
static void point_to_moves(const struct resource *res, json_t *errors)
{
	size_t i;
	json_t *e;
	char msg[200];

	json_array_foreach(errors, i, e)
	{
		if (strcmp(util_jstr(e, "field"), "status") != 0 ||
		    strcmp(util_jstr(e, "code"), "read_only") != 0)
			continue;
		snprintf(msg, sizeof(msg),
			 "changes only by a move: POST %s/{id}/status with "
			 "{\"status\": \"%s\"}",
			 res->path, res->workflow->states[1]);
		json_object_set_new(e, "message", json_string(msg));
	}
}

/* The body of w is valid for its operation; else 422 naming each field. */
static int validate(const struct write *w, struct npo_err *err)
{
	const struct resource *res = w->res;
	struct field fields[MAX_MOVE_FIELDS];
	size_t n = ARRAY_SIZE(move_fields) + res->nmove_fields;
	const char *msg, *code;
	char buf[256];
	json_t *errors;

	if (w->op == WRITE_DELETE)
		return 0;
	if (w->op != WRITE_MOVE) {
		errors = validate_body(res->fields, res->nfields, w->body,
				       w->op == WRITE_CREATE);
		if (errors && res->workflow)
			point_to_moves(res, errors);
		return errors ? invalid(errors, err) : 0;
	}
	assert(res->workflow && n <= MAX_MOVE_FIELDS);
	memcpy(fields, move_fields, sizeof(move_fields));
	if (res->nmove_fields)
		memcpy(fields + ARRAY_SIZE(move_fields), res->move_fields,
		       res->nmove_fields * sizeof(*fields));
	if ((errors = validate_body(fields, n, w->body, true)))
		return invalid(errors, err);
	/* the status field lists the workflow's statuses */
	msg = validate_value(validate_find(res->fields, res->nfields, "status"),
			     json_object_get(w->body, "status"), &code, buf,
			     sizeof(buf));
	if (!msg)
		return 0;
	errors = json_array();
	validate_add_error(errors, "status", code, msg);
	return invalid(errors, err);
}

/* The row as w would leave it (NULL: deleted), from the stored one. */
static int change(const struct write *w, const json_t *before, json_t **row,
		  struct npo_err *err)
{
	switch (w->op) {
	case WRITE_CREATE:
		return change_create(w->res, before, row, w->body, err);
	case WRITE_UPDATE:
		return change_patch(w->res, before, row, w->body, err);
	case WRITE_DELETE:
		return change_delete(w->res, before, row, NULL, err);
	case WRITE_MOVE:
		return change_status(w->res, before, row, w->body, err);
	}
	return err_set(err, NPO_E_INTERNAL, "unknown write");
}

static const char *action_of(enum write_op op)
{
	static const char *const actions[] = {
		[WRITE_CREATE] = "create",
		[WRITE_UPDATE] = "update",
		[WRITE_DELETE] = "delete",
		[WRITE_MOVE] = "status",
	};

	return actions[op];
}

/*
 * What a school may not do (scope.h, resource.h): an operation or a move the
 * resource does not allow a school, or a change to a row that is no longer
 * in its first status (a school changes only its drafts): 403.
 */
static int school_check(struct db_conn *c, const struct write *w,
			const json_t *before, struct npo_err *err)
{
	static const unsigned ops[] = {
		[WRITE_CREATE] = OP_CREATE,
		[WRITE_UPDATE] = OP_PATCH,
		[WRITE_DELETE] = OP_DELETE,
		[WRITE_MOVE] = OP_MOVE,
	};
	static const char *const verbs[] = {
		[WRITE_CREATE] = "create",
		[WRITE_UPDATE] = "change",
		[WRITE_DELETE] = "delete",
		[WRITE_MOVE] = "move",
	};
	const struct scope *s = db_scope(c);
	const struct resource *res = w->res;
	const char *to = util_jstr(w->body, "status");
	bool allowed = false;

	if (!s || s->kind != SCOPE_SCHOOL)
		return 0;
	if (!(res->school_ops & ops[w->op]))
		return err_set(err, NPO_E_OUT_OF_SCOPE,
			       "a school does not %s %s %s; the municipality "
			       "does",
			       verbs[w->op], util_article(res->name),
			       res->name);
	if (w->op == WRITE_MOVE) {
		for (const char *const *m = res->school_moves; m && *m; m++)
			allowed |= strcmp(*m, to) == 0;
		if (!allowed)
			return err_set(err, NPO_E_OUT_OF_SCOPE,
				       "a school does not move %s %s to %s; "
				       "the municipality does",
				       util_article(res->name), res->name, to);
	}
	if ((w->op == WRITE_UPDATE || w->op == WRITE_DELETE) && res->workflow &&
	    before &&
	    strcmp(util_jstr(before, "status"), res->workflow->states[0]) != 0)
		return err_set(err, NPO_E_OUT_OF_SCOPE,
			       "%s %lld is %s; a school changes only its %ss "
			       "while they are %s",
			       res->name, (long long)util_jint(before, "id"),
			       util_jstr(before, "status"), res->name,
			       res->workflow->states[0]);
	return 0;
}

/* The row as stored after the write, which must lie in the scope of the
 * writer: a write may not take a row out of it (403). */
static int stored_in_scope(struct db_conn *c, const struct resource *res,
			   int64_t id, json_t **row, struct npo_err *err)
{
	char scope[32];
	const char *which;

	if (store_get(c, res, id, row, err) == 0)
		return 0;
	if (err->e != NPO_E_NOT_FOUND)
		return -1;
	which = scope_describe(db_scope(c), scope);
	return err_set(err, NPO_E_OUT_OF_SCOPE,
		       "the %s would lie outside the token's scope (%s)",
		       res->name, which ? which : "all");
}

int write_store(struct db_conn *c, const struct resource *res, int64_t *id,
		const json_t *before, const json_t *row, const char *actor,
		const char *action, const char *note, json_t **after,
		struct npo_err *err)
{
	json_t *now = NULL;
	int rc;

	if (!row   ? store_delete(c, res, *id, err)
	    : !*id ? store_insert(c, res, row, id, err)
		   : store_update(c, res, *id, row, err))
		return -1;
	if (row && store_get(c, res, *id, &now, err) < 0)
		return -1;
	rc = store_audit(c, actor, action, res->name, *id, before, now, note,
			 err);
	if (after && rc == 0)
		*after = now;
	else
		json_decref(now);
	return rc;
}

int write_apply(struct db_conn *c, const struct write *w,
		struct write_result *out, struct npo_err *err)
{
	const struct resource *res = w->res;
	const char *note =
		w->op == WRITE_MOVE
			? json_string_value(json_object_get(w->body, "note"))
			: NULL;
	json_t *before = NULL, *row = NULL;
	struct level levels[MAX_LEVELS];
	struct level_use pre[MAX_LEVELS];
	int64_t id = w->op == WRITE_CREATE ? 0 : w->id;
	size_t nlevels;

	*out = (struct write_result){ 0 };
	if (validate(w, err) < 0 || db_begin_write(c, err) < 0)
		return -1;
	if (id && store_get(c, res, id, &before, err) < 0)
		goto fail;
	if (school_check(c, w, before, err) < 0)
		goto fail;
	if (before && w->expects &&
	    !w->expects(version_of(before), w->expects_arg)) {
		err_set_new(err,
			    json_pack("{s:I}", "current_version",
				      (json_int_t)version_of(before)),
			    NPO_E_VERSION_MISMATCH,
			    "%s %lld is at version %lld, not the one in "
			    "If-Match (%s); nothing was changed",
			    res->name, (long long)id,
			    (long long)version_of(before),
			    w->expected ? w->expected : "");
		goto fail;
	}
	if (change(w, before, &row, err) < 0)
		goto fail;
	if (row && (check_refs(c, res, row, before, err) < 0 ||
		    (res->check && res->check(c, row, before, err) < 0)))
		goto fail;
	if (before && row && json_equal(before, row)) {
		/* nothing changes: no new version, no audit row */
		db_rollback(c);
		json_decref(row);
		*out = (struct write_result){ .row = before, .id = id };
		return 0;
	}
	nlevels = touched_levels(res, before, row, levels);
	for (size_t i = 0; i < nlevels; i++)
		if (figures_level(c, &levels[i], &pre[i], err) < 0)
			goto fail;
	if (!row  ? store_delete(c, res, id, err)
	    : !id ? store_insert(c, res, row, &id, err)
		  : store_update(c, res, id, row, err))
		goto fail;
	/* what the row moves with (a reallocation's lines) audits itself
	 * first; then the rules see the whole of it */
	if (row && res->after_write &&
	    res->after_write(c, w->actor, id, row, before, err) < 0)
		goto fail;
	out->warnings = json_array();
	for (size_t i = 0; i < nlevels; i++)
		if (check_overrun(c, &levels[i], &pre[i], out->warnings, err) <
		    0)
			goto fail;
	if (row && res->warnings &&
	    res->warnings(c, id, row, before, out->warnings, err) < 0)
		goto fail;
	if ((row && stored_in_scope(c, res, id, &out->row, err) < 0) ||
	    store_audit(c, w->actor, action_of(w->op), res->name, id, before,
			out->row, note ? note : w->note, err) < 0 ||
	    store_bump_revision(c, err) < 0 || db_commit(c, err) < 0)
		goto fail;
	out->id = id;
	out->created = !before;
	out->changed = true;
	json_decref(row);
	json_decref(before);
	return 0;
fail:
	db_rollback(c);
	write_result_free(out);
	json_decref(row);
	json_decref(before);
	return -1;
}

void write_result_free(struct write_result *r)
{
	json_decref(r->row);
	json_decref(r->warnings);
	*r = (struct write_result){ 0 };
}
