#include "npo/figures.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/money.h"
#include "npo/validate.h"

/*
 * The definitions, once. A plan commits its approved amount once approved
 * or settled; an expenditure is spent once approved or paid, and commits
 * itself when it belongs to no plan. What is spent is read from the sums
 * the database keeps per programme and month and per plan (migration 8,
 * programme_sums and plan_sums), never by summing the ledger.
 */
#define PROGRAMME_SUM(pr, column, months)                          \
	"(SELECT coalesce(sum(" column "), 0) FROM programme_sums" \
	" WHERE programme_id = " pr ".id" months ")"
/* the months of the status's period, ?2 to ?3 (whole months) */
#define IN_PERIOD " AND month BETWEEN substr(?2, 1, 7) AND substr(?3, 1, 7)"
#define PROGRAMME_COMMITTED(pr)                                         \
	"((SELECT coalesce(sum(" PLAN_AMOUNT(                           \
		"p") "), 0) FROM plans p"                               \
		     " WHERE p.programme_id = " pr                      \
		     ".id AND " PLAN_COMMITS("p") ") + " PROGRAMME_SUM( \
			     pr, "unplanned", "") ")"
#define PROGRAMME_SPENT(pr) PROGRAMME_SUM(pr, "spent", "")

#define B FIG_BUDGET
#define G FIG_GOAL
#define P FIG_PROGRAMME
#define S FIG_SUMMARY
#define FIGURE(name, label, levels, member)                           \
	{                                                             \
		name, label, levels, offsetof(struct figures, member) \
	}
const struct figure_def figure_defs[] = {
	/* a goal's amount is its allocation: allocated_cents */
	FIGURE("grant_cents", "Budget", B | S, amount),
	FIGURE("allocated_cents", "Toegewezen", B | G | S, allocated),
	FIGURE("unallocated_cents", "Niet toegewezen", B, unallocated),
	FIGURE("budget_cents", "Budget", P, amount),
	FIGURE("programmed_cents", "Geprogrammeerd", B | G, programmed),
	FIGURE("committed_cents", "Verplicht", B | G | P | S, committed),
	FIGURE("spent_cents", "Gerealiseerd", B | G | P | S, spent),
	FIGURE("paid_cents", "Betaald", B | G | P | S, paid),
	FIGURE("remaining_cents", "Resterend", B | G | P | S, remaining),
	FIGURE("open_commitments_cents", "Openstaande verplichtingen",
	       B | G | P | S, open_commitments),
	FIGURE("expected_return_cents", "Verwachte terugbetaling", B | S,
	       expected_return),
	/* last, so that the columns spreadsheets already read stay put */
	FIGURE("uncommitted_cents", "Nog niet verplicht", B | G | P | S,
	       uncommitted),
};
const size_t figure_ndefs = ARRAY_SIZE(figure_defs);
#undef FIGURE
#undef B
#undef G
#undef P
#undef S

int64_t figures_value(const struct figures *f, const struct figure_def *d)
{
	int64_t v;

	memcpy(&v, (const char *)f + d->offset, sizeof(v));
	return v;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

/* Days since 1970-01-01 of a YYYY-MM-DD date (Howard Hinnant's method). */
static long days_of(const char *d)
{
	long y = strtol(d, NULL, 10), m = strtol(d + 5, NULL, 10),
	     dd = strtol(d + 8, NULL, 10);
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + dd - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Appends a zeroed row to *rows (of *n); NULL when out of memory. */
static struct figures *grow(struct figures **rows, size_t *n,
			    struct npo_err *err)
{
	struct figures *r = realloc(*rows, (*n + 1) * sizeof(*r));

	if (!r) {
		err_set(err, NPO_E_INTERNAL, "out of memory");
		return NULL;
	}
	*rows = r;
	r += (*n)++;
	memset(r, 0, sizeof(*r));
	return r;
}

static int add(int64_t *sum, int64_t v, struct npo_err *err)
{
	if (money_add(sum, v))
		return 0;
	return err_set(err, NPO_E_FIGURES_OVERFLOW,
		       "a sum is too large to compute");
}

/* The figures that follow from the others (docs/domain.md, section 3). */
static void derive(struct figures *f)
{
	f->unallocated = f->amount - f->allocated;
	f->remaining = f->amount - f->spent_ever;
	f->uncommitted = f->amount - f->committed;
	f->expected_return = f->amount > f->committed ? f->amount - f->committed
						      : 0;
}

static int warn(struct budget_figures *out, const char *code,
		const char *entity, int64_t id, int64_t amount, const char *fmt,
		...) __attribute__((format(printf, 6, 7)));
static int warn(struct budget_figures *out, const char *code,
		const char *entity, int64_t id, int64_t amount, const char *fmt,
		...)
{
	struct warning *w =
		realloc(out->warnings, (out->nwarnings + 1) * sizeof(*w));
	va_list ap;

	if (!w) {
		out->nomem = true;
		return -1;
	}
	out->warnings = w;
	w += out->nwarnings++;
	*w = (struct warning){
		.code = code, .entity = entity, .id = id, .amount = amount
	};
	va_start(ap, fmt);
	vsnprintf(w->message, sizeof(w->message), fmt, ap);
	va_end(ap);
	return 0;
}

static int load_budget(struct db_conn *c, int64_t id,
		       struct budget_figures *out, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c,
		"SELECT name, grant_cents, spend_from, spend_until,"
		" (SELECT coalesce(sum(allocated_cents), 0) FROM goals"
		"  WHERE budget_id = b.id)"
		" FROM budgets b WHERE id = ?",
		err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, id);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		out->total.id = id;
		out->total.name = dup_col(st, 0);
		out->total.amount = sqlite3_column_int64(st, 1);
		snprintf(out->spend_from, sizeof(out->spend_from), "%s",
			 sqlite3_column_text(st, 2));
		snprintf(out->spend_until, sizeof(out->spend_until), "%s",
			 sqlite3_column_text(st, 3));
		out->total.allocated = sqlite3_column_int64(st, 4);
	} else if (rc == SQLITE_DONE) {
		err_set(err, NPO_E_NOT_FOUND, "there is no budget %lld",
			(long long)id);
	}
	db_done(c, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int load_goals(struct db_conn *c, struct budget_figures *out,
		      struct npo_err *err)
{
	sqlite3_stmt *st =
		db_prepare(c,
			   "SELECT id, code, name, allocated_cents FROM goals"
			   " WHERE budget_id = ? ORDER BY id",
			   err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, out->total.id);
	while ((rc = db_step(c, st, err)) == SQLITE_ROW) {
		struct figures *g = grow(&out->goals, &out->ngoals, err);

		if (!g) {
			rc = -1;
			break;
		}
		*g = (struct figures){
			.id = sqlite3_column_int64(st, 0),
			.parent_id = out->total.id,
			.code = dup_col(st, 1),
			.name = dup_col(st, 2),
			.amount = sqlite3_column_int64(st, 3),
			.allocated = sqlite3_column_int64(st, 3),
		};
	}
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int load_programmes(struct db_conn *c, const char *from,
			   const char *until, struct budget_figures *out,
			   struct npo_err *err)
{
	static const char sql[] =
		"SELECT pr.id, pr.goal_id, pr.name, pr.status, pr.budget_cents, " PROGRAMME_COMMITTED("pr") ", " PROGRAMME_SUM(
			"pr", "spent",
			IN_PERIOD) ", " PROGRAMME_SUM("pr", "paid",
						      IN_PERIOD) ", " PROGRAMME_SPENT("pr") ","
											    " (SELECT coalesce(sum(" PLAN_OPEN(
												    "p") "), 0)"
													 " FROM plans p WHERE p.programme_id = pr.id)"
													 " FROM programmes pr WHERE pr.budget_id = ?1 ORDER BY pr.id";
	sqlite3_stmt *st = db_prepare(c, sql, err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, out->total.id);
	db_bind_text(c, st, 2, from, -1);
	db_bind_text(c, st, 3, until, -1);
	while ((rc = db_step(c, st, err)) == SQLITE_ROW) {
		struct figures *p =
			grow(&out->programmes, &out->nprogrammes, err);

		if (!p) {
			rc = -1;
			break;
		}
		*p = (struct figures){
			.id = sqlite3_column_int64(st, 0),
			.parent_id = sqlite3_column_int64(st, 1),
			.name = dup_col(st, 2),
			.status = dup_col(st, 3),
			.amount = sqlite3_column_int64(st, 4),
			.committed = sqlite3_column_int64(st, 5),
			.spent = sqlite3_column_int64(st, 6),
			.paid = sqlite3_column_int64(st, 7),
			.spent_ever = sqlite3_column_int64(st, 8),
			.open_commitments = sqlite3_column_int64(st, 9),
		};
		p->programmed = strcmp(p->status, "stopped") ? p->amount : 0;
	}
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Adds the programmes' figures up into their goals and the budget. */
static int sum_up(struct budget_figures *out, struct npo_err *err)
{
	struct figures *t = &out->total;

	for (size_t i = 0; i < out->nprogrammes; i++) {
		const struct figures *p = &out->programmes[i];
		struct figures *g = NULL;

		for (size_t j = 0; j < out->ngoals && !g; j++)
			if (out->goals[j].id == p->parent_id)
				g = &out->goals[j];
		if (!g)
			return err_set(err, NPO_E_INTERNAL,
				       "programme %lld has no goal",
				       (long long)p->id);
		if (add(&g->programmed, p->programmed, err) ||
		    add(&g->committed, p->committed, err) ||
		    add(&g->spent, p->spent, err) ||
		    add(&g->paid, p->paid, err) ||
		    add(&g->spent_ever, p->spent_ever, err) ||
		    add(&t->spent_ever, p->spent_ever, err) ||
		    add(&g->open_commitments, p->open_commitments, err) ||
		    add(&t->programmed, p->programmed, err) ||
		    add(&t->committed, p->committed, err) ||
		    add(&t->spent, p->spent, err) ||
		    add(&t->paid, p->paid, err) ||
		    add(&t->open_commitments, p->open_commitments, err))
			return -1;
	}
	for (size_t i = 0; i < out->nprogrammes; i++)
		derive(&out->programmes[i]);
	for (size_t i = 0; i < out->ngoals; i++)
		derive(&out->goals[i]);
	derive(t);
	return 0;
}

/*
 * The sentence of a level that uses more than its parent holds, as the
 * status and the answer to a write word it: a and b name the level (a goal:
 * its code and name; a programme: its name; a plan: its title and school).
 */
static void level_sentence(char *buf, size_t n, enum level_kind kind,
			   int64_t id, const char *a, const char *b,
			   int64_t over, int64_t limit)
{
	switch (kind) {
	case LEVEL_BUDGET:
		snprintf(buf, n,
			 "de bestedingsdoelen verdelen %s meer dan de "
			 "toekenning (%s)",
			 MONEY_NL(over), MONEY_NL(limit));
		break;
	case LEVEL_GOAL:
		snprintf(buf, n,
			 "bestedingsdoel %s (%s) heeft %s meer aan programma's "
			 "dan het toegewezen bedrag (%s)",
			 a, b, MONEY_NL(over), MONEY_NL(limit));
		break;
	case LEVEL_PROGRAMME:
		snprintf(buf, n,
			 "programma %lld (%s) heeft %s meer verplicht dan het "
			 "budget (%s)",
			 (long long)id, a, MONEY_NL(over), MONEY_NL(limit));
		break;
	case LEVEL_PLAN:
		snprintf(buf, n,
			 "op bestedingsplan %lld (%s, %s) is %s meer "
			 "gedeclareerd dan toegekend",
			 (long long)id, a, b, MONEY_NL(over));
		break;
	}
}

/* The sentence of an expenditure dated outside the spending period, from a
 * row of id, amount_cents, spent_on, description. */
static void outside_sentence(char *buf, size_t n, sqlite3_stmt *st,
			     const char *from, const char *until)
{
	snprintf(buf, n,
		 "besteding %lld (%s, %s) is gedateerd op %s, buiten de "
		 "bestedingsperiode van %s tot en met %s: niet subsidiabel",
		 (long long)sqlite3_column_int64(st, 0),
		 (const char *)sqlite3_column_text(st, 3),
		 MONEY_NL(sqlite3_column_int64(st, 1)),
		 DATE_NL((const char *)sqlite3_column_text(st, 2)),
		 DATE_NL(from), DATE_NL(until));
}

/* Warnings about plans and expenditures, which have no figures rows. */
static int row_warnings(struct db_conn *c, struct budget_figures *out,
			struct npo_err *err)
{
	static const char plans_sql[] = "SELECT p.id, " PLAN_SPENT("p") " - " PLAN_AMOUNT(
		"p") ", p.title, s.name"
		     " FROM plans p JOIN programmes pr ON pr.id = p.programme_id"
		     " JOIN schools s ON s.id = p.school_id"
		     " WHERE pr.budget_id = ?1 AND " PLAN_COMMITS("p") " AND " PLAN_SPENT(
			     "p") " > " PLAN_AMOUNT("p") " ORDER BY p.id";
	static const char exp_sql[] =
		"SELECT e.id, e.amount_cents, e.spent_on, e.description"
		" FROM expenditures e"
		" JOIN programmes pr ON pr.id = e.programme_id"
		" WHERE pr.budget_id = ?1 AND e.status != 'rejected'"
		" AND (e.spent_on < ?2 OR e.spent_on > ?3) ORDER BY e.id";
	sqlite3_stmt *st = db_prepare(c, plans_sql, err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, out->total.id);
	while ((rc = db_step(c, st, err)) == SQLITE_ROW) {
		char sentence[400];
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t over = sqlite3_column_int64(st, 1);

		level_sentence(sentence, sizeof(sentence), LEVEL_PLAN, id,
			       (const char *)sqlite3_column_text(st, 2),
			       (const char *)sqlite3_column_text(st, 3), over,
			       0);
		warn(out, "plan_over_spent", "plan", id, over, "%s", sentence);
	}
	db_done(c, st);
	if (rc < 0 || !(st = db_prepare(c, exp_sql, err)))
		return -1;
	db_bind_int64(c, st, 1, out->total.id);
	db_bind_text(c, st, 2, out->spend_from, -1);
	db_bind_text(c, st, 3, out->spend_until, -1);
	while ((rc = db_step(c, st, err)) == SQLITE_ROW) {
		char sentence[400];

		outside_sentence(sentence, sizeof(sentence), st,
				 out->spend_from, out->spend_until);
		warn(out, "outside_period", "expenditure",
		     sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		     "%s", sentence);
	}
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void level_warnings(struct budget_figures *out, const char *today)
{
	const struct figures *t = &out->total;
	long left = days_of(out->spend_until) - days_of(today);

	char sentence[400];

	if (t->allocated > t->amount) {
		level_sentence(sentence, sizeof(sentence), LEVEL_BUDGET, t->id,
			       NULL, NULL, t->allocated - t->amount, t->amount);
		warn(out, "over_allocated", "budget", t->id,
		     t->allocated - t->amount, "%s", sentence);
	}
	for (size_t i = 0; i < out->ngoals; i++) {
		const struct figures *g = &out->goals[i];

		if (g->programmed <= g->allocated)
			continue;
		level_sentence(sentence, sizeof(sentence), LEVEL_GOAL, g->id,
			       g->code, g->name, g->programmed - g->allocated,
			       g->allocated);
		warn(out, "goal_over_programmed", "goal", g->id,
		     g->programmed - g->allocated, "%s", sentence);
	}
	for (size_t i = 0; i < out->nprogrammes; i++) {
		const struct figures *p = &out->programmes[i];

		if (p->committed <= p->amount)
			continue;
		level_sentence(sentence, sizeof(sentence), LEVEL_PROGRAMME,
			       p->id, p->name, NULL, p->committed - p->amount,
			       p->amount);
		warn(out, "programme_over_committed", "programme", p->id,
		     p->committed - p->amount, "%s", sentence);
	}
	if (left >= 0 && left <= 90 && t->amount > t->committed)
		warn(out, "deadline_near", "budget", t->id,
		     t->amount - t->committed,
		     "nog %ld %s tot en met %s en %s is niet verplicht", left,
		     left == 1 ? "dag" : "dagen", DATE_NL(out->spend_until),
		     MONEY_NL(t->amount - t->committed));
	if (left < 0 && t->expected_return > 0)
		warn(out, "deadline_passed", "budget", t->id,
		     t->expected_return,
		     "de bestedingsperiode is op %s geëindigd; %s gaat terug "
		     "naar het Rijk",
		     DATE_NL(out->spend_until), MONEY_NL(t->expected_return));
}

int figures_budget(struct db_conn *c, int64_t id, const char *from,
		   const char *until, const char *today,
		   struct budget_figures *out, struct npo_err *err)
{
	memset(out, 0, sizeof(*out));
	if (load_budget(c, id, out, err) < 0 || load_goals(c, out, err) < 0 ||
	    load_programmes(c, from, until, out, err) < 0 ||
	    sum_up(out, err) < 0 || row_warnings(c, out, err) < 0)
		return -1;
	level_warnings(out, today);
	if (out->nomem)
		return err_set(err, NPO_E_INTERNAL, "out of memory");
	return 0;
}

static void free_one(struct figures *f)
{
	free(f->code);
	free(f->name);
	free(f->status);
}

void figures_free(struct budget_figures *f)
{
	free_one(&f->total);
	for (size_t i = 0; i < f->ngoals; i++)
		free_one(&f->goals[i]);
	for (size_t i = 0; i < f->nprogrammes; i++)
		free_one(&f->programmes[i]);
	free(f->goals);
	free(f->programmes);
	free(f->warnings);
	memset(f, 0, sizeof(*f));
}

/* --- the levels the overrun rules check ------------------------------------ */

static const struct {
	const char *code, *entity, *sql;
	const char *names; /* what level_sentence names it by */
} levels[] = {
	[LEVEL_BUDGET] = { "over_allocated", "budget",
			   "SELECT b.grant_cents, (SELECT coalesce(sum(allocated_cents), 0)"
			   " FROM goals WHERE budget_id = b.id), b.overrun_policy, 1"
			   " FROM budgets b WHERE b.id = ?",
			   "SELECT NULL, NULL" },
	[LEVEL_GOAL] = { "goal_over_programmed", "goal",
			 "SELECT g.allocated_cents, (SELECT coalesce(sum(budget_cents), 0)"
			 " FROM programmes WHERE goal_id = g.id AND status != 'stopped'),"
			 " b.overrun_policy, 1"
			 " FROM goals g JOIN budgets b ON b.id = g.budget_id WHERE g.id = ?",
			 "SELECT code, name FROM goals WHERE id = ?" },
	[LEVEL_PROGRAMME] = { "programme_over_committed", "programme",
			      "SELECT pr.budget_cents, " PROGRAMME_COMMITTED(
				      "pr") ","
					    " b.overrun_policy, 1 FROM programmes pr"
					    " JOIN budgets b ON b.id = pr.budget_id WHERE pr.id = ?",
			      "SELECT name, NULL FROM programmes WHERE id = ?" },
	[LEVEL_PLAN] = { "plan_over_spent", "plan",
			 "SELECT coalesce(" PLAN_AMOUNT("p") ", 0), " PLAN_SPENT(
				 "p") ","
				      " b.overrun_policy, " PLAN_COMMITS(
					      "p") " FROM plans p"
						   " JOIN programmes pr ON pr.id = p.programme_id"
						   " JOIN budgets b ON b.id = pr.budget_id WHERE p.id = ?",
			 "SELECT p.title, s.name FROM plans p"
			 " JOIN schools s ON s.id = p.school_id WHERE p.id = ?" },
};

const char *figures_level_code(enum level_kind kind)
{
	return levels[kind].code;
}

const char *figures_level_entity(enum level_kind kind)
{
	return levels[kind].entity;
}

int figures_level(struct db_conn *c, const struct level *l,
		  struct level_use *out, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(c, levels[l->kind].sql, err);
	int rc;

	if (!st)
		return -1;
	memset(out, 0, sizeof(*out));
	db_bind_int64(c, st, 1, l->id);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		out->exists = true;
		out->limit = sqlite3_column_int64(st, 0);
		out->used = sqlite3_column_int64(st, 1);
		out->stop = strcmp((const char *)sqlite3_column_text(st, 2),
				   "stop") == 0;
		out->applies = sqlite3_column_int(st, 3) != 0;
	}
	db_done(c, st);
	return rc < 0 ? -1 : 0;
}

int figures_level_warning(struct db_conn *c, const struct level *l,
			  const struct level_use *use, struct warning *w,
			  struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(c, levels[l->kind].names, err);
	int rc;

	if (!st)
		return -1;
	if (sqlite3_bind_parameter_count(st))
		db_bind_int64(c, st, 1, l->id);
	rc = db_step(c, st, err);
	*w = (struct warning){ .code = levels[l->kind].code,
			       .entity = levels[l->kind].entity,
			       .id = l->id,
			       .amount = use->used - use->limit };
	if (rc == SQLITE_ROW)
		level_sentence(w->message, sizeof(w->message), l->kind, l->id,
			       (const char *)sqlite3_column_text(st, 0),
			       (const char *)sqlite3_column_text(st, 1),
			       w->amount, use->limit);
	db_done(c, st);
	return rc == SQLITE_ROW ? 0
	       : rc < 0		? -1
			: err_set(err, NPO_E_INTERNAL, "internal error");
}

int figures_outside_period(struct db_conn *c, int64_t id, bool *outside,
			   struct warning *w, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c,
		"SELECT e.id, e.amount_cents, e.spent_on, e.description,"
		" b.spend_from, b.spend_until FROM expenditures e"
		" JOIN programmes pr ON pr.id = e.programme_id"
		" JOIN budgets b ON b.id = pr.budget_id"
		" WHERE e.id = ?1 AND e.status != 'rejected'"
		" AND (e.spent_on < b.spend_from OR e.spent_on > b.spend_until)",
		err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, id);
	rc = db_step(c, st, err);
	*outside = rc == SQLITE_ROW;
	if (*outside) {
		*w = (struct warning){ .code = "outside_period",
				       .entity = "expenditure",
				       .id = id,
				       .amount = sqlite3_column_int64(st, 1) };
		outside_sentence(w->message, sizeof(w->message), st,
				 (const char *)sqlite3_column_text(st, 4),
				 (const char *)sqlite3_column_text(st, 5));
	}
	db_done(c, st);
	return rc < 0 ? -1 : 0;
}

/* The one integer sql (with ?1 = a and, if it has one, ?2 = b) answers in
 * *out; 1 when it answers a row, 0 when none, -1 on error. */
static int one_int64(struct db_conn *c, const char *sql, int64_t a, int64_t b,
		     int64_t *out, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(c, sql, err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, a);
	if (sqlite3_bind_parameter_count(st) > 1)
		db_bind_int64(c, st, 2, b);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	db_done(c, st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int figures_plan_spent(struct db_conn *c, int64_t plan, int64_t *spent,
		       struct npo_err *err)
{
	int rc = one_int64(c,
			   "SELECT " PLAN_SPENT("p") " FROM plans p"
						     " WHERE p.id = ?1",
			   plan, 0, spent, err);

	if (rc == 0)
		err_set(err, NPO_E_NOT_FOUND, "there is no plan %lld",
			(long long)plan);
	return rc == 1 ? 0 : -1;
}

int figures_corrections(struct db_conn *c, int64_t id, int64_t except,
			int64_t *sum, struct npo_err *err)
{
	return one_int64(c,
			 "SELECT coalesce(sum(e.amount_cents), 0) FROM"
			 " expenditures e WHERE e.corrects_id = ?1"
			 " AND e.id != ?2 AND " IS_SPENT,
			 id, except, sum, err) < 0
		       ? -1
		       : 0;
}

int figures_line(struct db_conn *c, bool goal, int64_t id, int64_t *amount,
		 int64_t *committed, int64_t *spent, struct npo_err *err)
{
	static const char programme_sql[] =
		"SELECT pr.budget_cents, " PROGRAMME_COMMITTED(
			"pr") ", " PROGRAMME_SPENT("pr") " FROM programmes pr"
							 " WHERE pr.id = ?";
	static const char goal_sql[] =
		"SELECT g.allocated_cents, (SELECT coalesce(sum(" PROGRAMME_COMMITTED(
			"pr") "), 0) FROM programmes pr"
			      " WHERE pr.goal_id = g.id), (SELECT coalesce(sum(" PROGRAMME_SPENT(
				      "pr") "), 0) FROM programmes pr"
					    " WHERE pr.goal_id = g.id) FROM goals g WHERE g.id = ?";
	sqlite3_stmt *st = db_prepare(c, goal ? goal_sql : programme_sql, err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, id);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		*amount = sqlite3_column_int64(st, 0);
		*committed = sqlite3_column_int64(st, 1);
		*spent = sqlite3_column_int64(st, 2);
	} else if (rc == SQLITE_DONE) {
		err_set(err, NPO_E_NOT_FOUND, "there is no %s %lld",
			goal ? "goal" : "programme", (long long)id);
	}
	db_done(c, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* --- the kept sums, checked against the rows -------------------------------- */

/* The sums as the rows make them: what migration 8 fills the tables with. */
#define ROWS_BY_MONTH                                                           \
	"SELECT programme_id, substr(spent_on, 1, 7) AS month,"                 \
	" sum(amount_cents) AS spent,"                                          \
	" sum(CASE WHEN status = 'paid' THEN amount_cents ELSE 0 END) AS paid," \
	" sum(CASE WHEN plan_id IS NULL THEN amount_cents ELSE 0 END)"          \
	" AS unplanned FROM expenditures WHERE status IN ('approved', 'paid')"  \
	" GROUP BY programme_id, substr(spent_on, 1, 7)"
#define ROWS_BY_PLAN                                                    \
	"SELECT plan_id, sum(amount_cents) AS spent FROM expenditures"  \
	" WHERE status IN ('approved', 'paid') AND plan_id IS NOT NULL" \
	" GROUP BY plan_id"

int figures_check(struct db_conn *c, bool repair,
		  void (*say)(void *arg, const char *line), void *arg,
		  long *differences, struct npo_err *err)
{
	/* every (programme, month) and plan either side has, where the two
	 * differ; a kept row of zeros is as good as none */
	static const char sql[] =
		"WITH r AS (" ROWS_BY_MONTH "), p AS (" ROWS_BY_PLAN ")"
		" SELECT 'programme', r.programme_id, r.month, r.spent, r.paid,"
		"  r.unplanned, coalesce(k.spent, 0), coalesce(k.paid, 0),"
		"  coalesce(k.unplanned, 0) FROM r LEFT JOIN programme_sums k"
		"  ON k.programme_id = r.programme_id AND k.month = r.month"
		"  WHERE k.spent IS NOT r.spent OR k.paid IS NOT r.paid"
		"  OR k.unplanned IS NOT r.unplanned"
		" UNION ALL SELECT 'programme', k.programme_id, k.month, 0, 0, 0,"
		"  k.spent, k.paid, k.unplanned FROM programme_sums k"
		"  WHERE (k.spent != 0 OR k.paid != 0 OR k.unplanned != 0)"
		"  AND NOT EXISTS (SELECT 1 FROM r WHERE r.programme_id ="
		"  k.programme_id AND r.month = k.month)"
		" UNION ALL SELECT 'plan', p.plan_id, NULL, p.spent, 0, 0,"
		"  coalesce(k.spent, 0), 0, 0 FROM p LEFT JOIN plan_sums k"
		"  ON k.plan_id = p.plan_id WHERE k.spent IS NOT p.spent"
		" UNION ALL SELECT 'plan', k.plan_id, NULL, 0, 0, 0, k.spent, 0, 0"
		"  FROM plan_sums k WHERE k.spent != 0 AND NOT EXISTS"
		"  (SELECT 1 FROM p WHERE p.plan_id = k.plan_id)"
		" ORDER BY 1 DESC, 2, 3";
	sqlite3_stmt *st;
	int rc;

	*differences = 0;
	if (repair &&
	    (db_exec(c, "DELETE FROM programme_sums", err) < 0 ||
	     db_exec(c, "DELETE FROM plan_sums", err) < 0 ||
	     db_exec(c,
		     "INSERT INTO programme_sums (programme_id, month, spent,"
		     " paid, unplanned) " ROWS_BY_MONTH,
		     err) < 0 ||
	     db_exec(c, "INSERT INTO plan_sums (plan_id, spent) " ROWS_BY_PLAN,
		     err) < 0))
		return -1;
	if (!(st = db_prepare(c, sql, err)))
		return -1;
	while ((rc = db_step(c, st, err)) == SQLITE_ROW) {
		char line[320];
		bool plan = strcmp((const char *)sqlite3_column_text(st, 0),
				   "plan") == 0;

		if (plan)
			snprintf(line, sizeof(line),
				 "plan %lld: spent %lld cents by its rows, "
				 "%lld kept",
				 (long long)sqlite3_column_int64(st, 1),
				 (long long)sqlite3_column_int64(st, 3),
				 (long long)sqlite3_column_int64(st, 6));
		else
			snprintf(line, sizeof(line),
				 "programme %lld, %s: spent %lld, paid %lld, "
				 "without a plan %lld cents by its rows; kept "
				 "%lld, %lld, %lld",
				 (long long)sqlite3_column_int64(st, 1),
				 (const char *)sqlite3_column_text(st, 2),
				 (long long)sqlite3_column_int64(st, 3),
				 (long long)sqlite3_column_int64(st, 4),
				 (long long)sqlite3_column_int64(st, 5),
				 (long long)sqlite3_column_int64(st, 6),
				 (long long)sqlite3_column_int64(st, 7),
				 (long long)sqlite3_column_int64(st, 8));
		(*differences)++;
		say(arg, line);
	}
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- the accountability report ---------------------------------------------- */

int figures_accountability(struct db_conn *c, int64_t id, int year,
			   struct accountability *out, struct npo_err *err)
{
	/* per goal: spent in the year within the period, and cumulative from
	 * spend_from to the end of the year (?2 = year's first day, ?3 = its
	 * last) */
	static const char goals_sql[] =
		"SELECT g.id, g.code, g.name,"
		" (SELECT coalesce(sum(e.amount_cents), 0) FROM expenditures e"
		"  JOIN programmes pr ON pr.id = e.programme_id"
		"  WHERE pr.goal_id = g.id AND " IS_SPENT
		"  AND e.spent_on BETWEEN max(?2, b.spend_from)"
		"  AND min(?3, b.spend_until)),"
		" (SELECT coalesce(sum(e.amount_cents), 0) FROM expenditures e"
		"  JOIN programmes pr ON pr.id = e.programme_id"
		"  WHERE pr.goal_id = g.id AND " IS_SPENT
		"  AND e.spent_on BETWEEN b.spend_from"
		"  AND min(?3, b.spend_until))"
		" FROM goals g JOIN budgets b ON b.id = g.budget_id"
		" WHERE g.budget_id = ?1 ORDER BY g.id";
	static const char ineligible_sql[] =
		"SELECT e.id, e.spent_on, e.amount_cents, e.description"
		" FROM expenditures e JOIN programmes pr ON pr.id = e.programme_id"
		" JOIN budgets b ON b.id = pr.budget_id"
		" WHERE pr.budget_id = ?1 AND " IS_SPENT
		" AND e.spent_on BETWEEN ?2 AND ?3"
		" AND (e.spent_on < b.spend_from OR e.spent_on > b.spend_until)"
		" ORDER BY e.spent_on, e.id";
	char first[11], last[11];
	int from_year = 0, until_year = 0;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(st = db_prepare(c,
			      "SELECT grant_cents, CAST(substr(spend_from, 1, 4)"
			      " AS INTEGER), CAST(substr(spend_until, 1, 4)"
			      " AS INTEGER) FROM budgets WHERE id = ?",
			      err)))
		return -1;
	db_bind_int64(c, st, 1, id);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		out->grant = sqlite3_column_int64(st, 0);
		from_year = sqlite3_column_int(st, 1);
		until_year = sqlite3_column_int(st, 2);
	}
	db_done(c, st);
	if (rc == SQLITE_DONE)
		return err_set(err, NPO_E_NOT_FOUND, "there is no budget %lld",
			       (long long)id);
	if (rc < 0)
		return -1;
	if (year < from_year || year > until_year)
		return validate_fail(err, "year", "range",
				     "must be a year of the budget, %d to %d",
				     from_year, until_year);
	out->budget_id = id;
	out->year = year;
	out->final = year >= until_year;
	snprintf(first, sizeof(first), "%04d-01-01", year);
	snprintf(last, sizeof(last), "%04d-12-31", year);
	if (!(st = db_prepare(c, goals_sql, err)))
		return -1;
	db_bind_int64(c, st, 1, id);
	db_bind_text(c, st, 2, first, -1);
	db_bind_text(c, st, 3, last, -1);
	while ((rc = db_step(c, st, err)) == SQLITE_ROW) {
		struct account_goal *g = realloc(
			out->goals, (out->ngoals + 1) * sizeof(*out->goals));

		if (!g) {
			rc = err_set(err, NPO_E_INTERNAL, "out of memory");
			break;
		}
		out->goals = g;
		g += out->ngoals++;
		*g = (struct account_goal){
			.id = sqlite3_column_int64(st, 0),
			.code = dup_col(st, 1),
			.name = dup_col(st, 2),
			.spent = sqlite3_column_int64(st, 3),
			.cumulative = sqlite3_column_int64(st, 4),
		};
		if (add(&out->spent, g->spent, err) ||
		    add(&out->cumulative, g->cumulative, err)) {
			rc = -1;
			break;
		}
	}
	db_done(c, st);
	if (rc != SQLITE_DONE)
		return -1;
	if (!(st = db_prepare(c, ineligible_sql, err)))
		return -1;
	db_bind_int64(c, st, 1, id);
	db_bind_text(c, st, 2, first, -1);
	db_bind_text(c, st, 3, last, -1);
	while ((rc = db_step(c, st, err)) == SQLITE_ROW) {
		struct ineligible *e = realloc(
			out->ineligible,
			(out->nineligible + 1) * sizeof(*out->ineligible));

		if (!e) {
			rc = err_set(err, NPO_E_INTERNAL, "out of memory");
			break;
		}
		out->ineligible = e;
		e += out->nineligible++;
		*e = (struct ineligible){
			.id = sqlite3_column_int64(st, 0),
			.amount = sqlite3_column_int64(st, 2),
			.description = dup_col(st, 3),
		};
		snprintf(e->spent_on, sizeof(e->spent_on), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		if (add(&out->ineligible_total, e->amount, err)) {
			rc = -1;
			break;
		}
	}
	db_done(c, st);
	if (rc != SQLITE_DONE)
		return -1;
	if (out->final)
		out->expected_return = out->grant > out->cumulative
					       ? out->grant - out->cumulative
					       : 0;
	return 0;
}

void figures_accountability_free(struct accountability *a)
{
	for (size_t i = 0; i < a->ngoals; i++) {
		free(a->goals[i].code);
		free(a->goals[i].name);
	}
	for (size_t i = 0; i < a->nineligible; i++)
		free(a->ineligible[i].description);
	free(a->goals);
	free(a->ineligible);
	memset(a, 0, sizeof(*a));
}

/* --- closed years ---------------------------------------------------------- */

int figures_year_closed(struct db_conn *c, bool programme, int64_t id, int year,
			bool *closed, char closed_at[21], struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c,
		programme ? "SELECT cl.closed_at FROM closings cl"
			    " JOIN programmes pr ON pr.budget_id = cl.budget_id"
			    " WHERE pr.id = ?1 AND cl.year = ?2"
			  : "SELECT closed_at FROM closings"
			    " WHERE budget_id = ?1 AND year = ?2",
		err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, id);
	db_bind_int64(c, st, 2, year);
	rc = db_step(c, st, err);
	*closed = rc == SQLITE_ROW;
	if (closed_at)
		snprintf(closed_at, 21, "%s",
			 rc == SQLITE_ROW
				 ? (const char *)sqlite3_column_text(st, 0)
				 : "");
	db_done(c, st);
	return rc < 0 ? -1 : 0;
}

int figures_closed_report(struct db_conn *c, int64_t budget, int year,
			  char **report, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c,
		"SELECT report FROM closings WHERE budget_id = ? AND year = ?",
		err);
	int rc;

	if (!st)
		return -1;
	*report = NULL;
	db_bind_int64(c, st, 1, budget);
	db_bind_int64(c, st, 2, year);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW)
		*report = dup_col(st, 0);
	db_done(c, st);
	return rc < 0 ? -1 : 0;
}
