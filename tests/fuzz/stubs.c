/*
 * Stand-ins for what the fuzzed files refer to but the harnesses never call:
 * the route table names every handler, the resources name their database
 * rules, and http.c calls into the pool and the tokens. Linking db.c,
 * store.c and the handlers instead would pull in SQLite, the embedded
 * migrations and the whole server. Each stand-in aborts, so a harness that
 * reaches one shows up as a crash. They are weak, so linking a real
 * definition as well is no clash; the real headers keep the signatures true.
 */
#include <stdio.h>
#include <stdlib.h>

#include "npo/api.h"
#include "npo/auth.h"
#include "npo/db.h"
#include "npo/figures.h"
#include "npo/metrics.h"
#include "npo/store.h"
#include "npo/write.h"

#define WEAK __attribute__((weak))

static _Noreturn void stub(const char *name)
{
	fprintf(stderr, "fuzz stub %s called: not part of the fuzzed code\n",
		name);
	abort();
}

/* the closings (server/api/closings.c, not fuzzed: its handlers reach the
 * whole server); the registry names it */
WEAK const struct resource closing_resource = { .name = "closing",
						.table = "closings",
						.path = "/api/v1/closings" };

/* handlers of the route table (routes.c) */
#define HANDLER(name)                            \
	WEAK void name(struct http_request *req) \
	{                                        \
		(void)req;                       \
		stub(#name);                     \
	}
HANDLER(crud_list)
HANDLER(crud_get)
HANDLER(crud_create)
HANDLER(crud_patch)
HANDLER(crud_delete)
HANDLER(crud_status)
HANDLER(status_budget)
HANDLER(status_all)
HANDLER(overview_xlsx)
HANDLER(accountability_report)
HANDLER(accountability_xlsx)
HANDLER(imports_expenditures)
HANDLER(imports_schools)
HANDLER(tokens_create)
HANDLER(tokens_list)
HANDLER(tokens_delete)
HANDLER(closings_create)
HANDLER(closings_list)
HANDLER(meta_healthz)
HANDLER(meta_home)
HANDLER(meta_asset)
HANDLER(events_stream)
HANDLER(meta_readyz)
HANDLER(meta_root)
HANDLER(meta_openapi)
HANDLER(metrics_get)

/* the database rules of the resources (server/api) */
WEAK int store_get(struct db_conn *c, const struct resource *res, int64_t id,
		   json_t **row, struct npo_err *err)
{
	(void)c, (void)res, (void)id, (void)row, (void)err;
	stub(__func__);
}

WEAK int write_store(struct db_conn *c, const struct resource *res, int64_t *id,
		     const json_t *before, const json_t *row, const char *actor,
		     const char *action, const char *note, json_t **after,
		     struct npo_err *err)
{
	(void)c, (void)res, (void)id, (void)before, (void)row, (void)actor;
	(void)action, (void)note, (void)after, (void)err;
	stub(__func__);
}

WEAK int store_exists(struct db_conn *c, const char *table, int64_t id,
		      struct npo_err *err)
{
	(void)c, (void)table, (void)id, (void)err;
	stub(__func__);
}

WEAK int store_touch(struct db_conn *c, const char *table, const char *where,
		     int64_t id, struct npo_err *err)
{
	(void)c, (void)table, (void)where, (void)id, (void)err;
	stub(__func__);
}

WEAK int figures_plan_spent(struct db_conn *c, int64_t plan, int64_t *spent,
			    struct npo_err *err)
{
	(void)c, (void)plan, (void)spent, (void)err;
	stub(__func__);
}

WEAK int figures_outside_period(struct db_conn *c, int64_t id, bool *outside,
				struct warning *w, struct npo_err *err)
{
	(void)c, (void)id, (void)outside, (void)w, (void)err;
	stub(__func__);
}

WEAK json_t *write_warning_json(const struct warning *w)
{
	(void)w;
	stub(__func__);
}

WEAK int figures_corrections(struct db_conn *c, int64_t id, int64_t except,
			     int64_t *sum, struct npo_err *err)
{
	(void)c, (void)id, (void)except, (void)sum, (void)err;
	stub(__func__);
}

WEAK int figures_year_closed(struct db_conn *c, bool programme, int64_t id,
			     int year, bool *closed, char closed_at[21],
			     struct npo_err *err)
{
	(void)c, (void)programme, (void)id, (void)year, (void)closed;
	(void)closed_at, (void)err;
	stub(__func__);
}

WEAK int figures_line(struct db_conn *c, bool goal, int64_t id, int64_t *amount,
		      int64_t *committed, int64_t *spent, struct npo_err *err)
{
	(void)c, (void)goal, (void)id, (void)amount, (void)committed;
	(void)spent, (void)err;
	stub(__func__);
}

/* the pool, the tokens and the metrics (http.c) */
WEAK void metrics_http_done(const struct route *r, const char *method,
			    int status, double seconds)
{
	(void)r, (void)method, (void)status, (void)seconds;
	stub(__func__);
}

WEAK struct db_conn *db_acquire(struct db *db)
{
	(void)db;
	stub(__func__);
}

WEAK void db_release(struct db *db, struct db_conn *c)
{
	(void)db, (void)c;
	stub(__func__);
}

WEAK struct db_conn *db_try_acquire(struct db *db)
{
	(void)db;
	stub(__func__);
}

WEAK int db_revision(struct db_conn *c, int64_t *rev, struct npo_err *err)
{
	(void)c, (void)rev, (void)err;
	stub(__func__);
}

WEAK int db_revision_now(struct db_conn *c, int64_t *rev, struct npo_err *err)
{
	(void)c, (void)rev, (void)err;
	stub(__func__);
}

WEAK const char *auth_role_name(enum role role)
{
	(void)role;
	stub(__func__);
}

WEAK int auth_lookup(struct db_conn *c, const char *token, struct auth_who *who,
		     struct npo_err *err)
{
	(void)c, (void)token, (void)who, (void)err;
	stub(__func__);
}

WEAK void auth_uses_note(struct auth_uses *u, const char *name)
{
	(void)u, (void)name;
	stub(__func__);
}

WEAK const char *scope_describe(const struct scope *s, char out[32])
{
	(void)s, (void)out;
	stub(__func__);
}

WEAK void db_set_scope(struct db_conn *c, const struct scope *s)
{
	(void)c, (void)s;
	stub(__func__);
}

WEAK const struct scope *db_scope(const struct db_conn *c)
{
	(void)c;
	stub(__func__);
}
