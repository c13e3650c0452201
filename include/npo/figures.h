/*
 * The figures of docs/domain.md (section 3), computed from the records by SQL
 * aggregates, never stored; the warnings; and the levels that the overrun
 * rules check. Knows SQL (through db.h) but neither HTTP nor JSON.
 */
#ifndef NPO_FIGURES_H
#define NPO_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npo/db.h"

/*
 * The figures of one plan, as SQL over the plans row t (for the status and
 * for the plan's own members): whether it commits money (approved, or
 * settled), what it commits (a settled plan its settled_cents: the rest of
 * its approval is free again), what is spent on it (its approved or paid
 * expenditures, corrections included, as the database keeps their sum in
 * plan_sums), and what it still holds open (what it commits and has not
 * spent, never below 0).
 */
#define IS_SPENT "e.status IN ('approved', 'paid')"
#define PLAN_COMMITS(t) t ".status IN ('approved', 'settled')"
#define PLAN_AMOUNT(t) "coalesce(" t ".settled_cents, " t ".approved_cents)"
#define PLAN_SPENT(t)                                                       \
	"(SELECT coalesce(sum(spent), 0) FROM plan_sums WHERE plan_id = " t \
	".id)"
#define PLAN_OPEN(t)                                            \
	"(CASE WHEN " PLAN_COMMITS(t) " THEN max(" PLAN_AMOUNT( \
		t) " - " PLAN_SPENT(t) ", 0) ELSE 0 END)"

/* The figures of one budget, goal or programme, in cents. */
struct figures {
	int64_t id;
	int64_t parent_id; /* a goal's budget, a programme's goal */
	char *code;	   /* goal code (owned, or NULL) */
	char *name;	   /* owned */
	char *status;	   /* programme status (owned, or NULL) */
	int64_t amount;	   /* grant, allocation or programme budget */
	int64_t allocated, programmed, committed, spent, paid;
	int64_t open_commitments;
	int64_t spent_ever; /* spent over all time, whatever the period */
	/* derived by figures_derive */
	int64_t unallocated, remaining, uncommitted, expected_return;
};

/*
 * The table of figures, once: the member's name in JSON and CSV, the label in
 * the workbook, the levels that show it, and where it sits in struct
 * figures. The status (JSON and CSV), the front page and the workbook all
 * walk it in its order.
 */
enum figure_level {
	FIG_BUDGET = 1 << 0,	/* the totals of a budget's status */
	FIG_GOAL = 1 << 1,	/* a goal's row */
	FIG_PROGRAMME = 1 << 2, /* a programme's row */
	FIG_SUMMARY = 1 << 3,	/* a budget's row on the front page */
};

struct figure_def {
	const char *name;  /* "committed_cents" */
	const char *label; /* "Verplicht" */
	unsigned levels;   /* a set of enum figure_level */
	size_t offset;	   /* of its int64_t in struct figures */
};

extern const struct figure_def figure_defs[];
extern const size_t figure_ndefs;

/* The value of figure d in f. */
int64_t figures_value(const struct figures *f, const struct figure_def *d);

struct warning {
	const char *code;   /* over_allocated, goal_over_programmed, … */
	const char *entity; /* budget, goal, programme, plan, expenditure */
	int64_t id;
	int64_t amount;	   /* the excess, or the money at stake, in cents */
	char message[512]; /* in Dutch, with euros as € 1.234,56 */
};

struct budget_figures {
	struct figures total; /* the budget itself */
	char spend_from[11], spend_until[11];
	struct figures *goals;
	size_t ngoals;
	struct figures *programmes;
	size_t nprogrammes;
	struct warning *warnings;
	size_t nwarnings;
	bool nomem; /* a warning could not be kept: figures_budget fails */
};

/*
 * Computes the figures of budget id in the caller's read transaction.
 * Spent and paid count only expenditures with spent_on in from..until
 * (inclusive, "YYYY-MM-DD", whole months: from a first day to a last, as
 * the sums are kept per month); every other figure, remaining too, counts all
 * of them. today decides the deadline warnings. 404 when
 * there is no such budget. Free with figures_free.
 */
int figures_budget(struct db_conn *c, int64_t id, const char *from,
		   const char *until, const char *today,
		   struct budget_figures *out, struct npo_err *err);
void figures_free(struct budget_figures *f);

/* The levels each of which must fit inside its parent. */
enum level_kind { LEVEL_BUDGET, LEVEL_GOAL, LEVEL_PROGRAMME, LEVEL_PLAN };

struct level {
	enum level_kind kind;
	int64_t id;
};

struct level_use {
	bool exists;   /* false when the row is gone or not yet there */
	bool applies;  /* a plan's limit holds only once it is approved */
	bool stop;     /* the budget's overrun_policy is stop */
	int64_t limit; /* grant, allocation, programme budget, approved */
	int64_t used;  /* allocated, programmed, committed, spent */
};

/* Reads how much of level l is used, in the caller's transaction. */
int figures_level(struct db_conn *c, const struct level *l,
		  struct level_use *out, struct npo_err *err);

/* The warning of level l, which uses more than its parent holds (use, as
 * figures_level read it), worded as the status words it. */
int figures_level_warning(struct db_conn *c, const struct level *l,
			  const struct level_use *use, struct warning *w,
			  struct npo_err *err);

/* Whether expenditure id counts (is not rejected) and is dated outside its
 * budget's spending period; then w gets its outside_period warning. */
int figures_outside_period(struct db_conn *c, int64_t id, bool *outside,
			   struct warning *w, struct npo_err *err);

/* The warning code of a level overrun, and the entity name of a level. */
const char *figures_level_code(enum level_kind kind);
const char *figures_level_entity(enum level_kind kind);

/*
 * The accountability report (verantwoording, SiSa) of a budget for calendar
 * year T: what was spent in T within the spending period, what was spent
 * from spend_from to the end of T, what was spent in T outside the period
 * (not eligible), per goal too, and for the final year what goes back.
 */
struct ineligible {
	int64_t id, amount;
	char spent_on[11];
	char *description; /* owned */
};

struct accountability {
	int64_t budget_id, grant;
	int year;
	bool final; /* T is the year of spend_until or later */
	int64_t spent, cumulative, ineligible_total;
	int64_t expected_return; /* when final: grant - cumulative, >= 0 */
	struct account_goal {
		int64_t id;
		char *code, *name; /* owned */
		int64_t spent, cumulative;
	} * goals;
	size_t ngoals;
	struct ineligible *ineligible;
	size_t nineligible;
};

/* Computes the report of budget id for year in the caller's read
 * transaction: 404 without such a budget, 422 (validation_failed naming
 * year) for a year outside the budget's years. Free with
 * figures_accountability_free. */
int figures_accountability(struct db_conn *c, int64_t id, int year,
			   struct accountability *out, struct npo_err *err);
void figures_accountability_free(struct accountability *a);

/* Whether year is closed for the budget of programme (programme true) or
 * for budget id; closed_at (may be NULL) gets when. */
int figures_year_closed(struct db_conn *c, bool programme, int64_t id, int year,
			bool *closed, char closed_at[21], struct npo_err *err);

/* The report stored at the closing of year of budget (new string in
 * *report, NULL when the year is not closed). */
int figures_closed_report(struct db_conn *c, int64_t budget, int year,
			  char **report, struct npo_err *err);

/*
 * Sums the expenditures again, with plain SQL over the rows, and compares
 * them with the sums the database keeps (programme_sums, plan_sums): each
 * difference is handed to say as a line for a person; *differences gets
 * how many. With repair, in the caller's write transaction, the kept sums
 * are made again from the rows first (then none differ). 0, or -1 with err.
 */
int figures_check(struct db_conn *c, bool repair,
		  void (*say)(void *arg, const char *line), void *arg,
		  long *differences, struct npo_err *err);

/* What is spent on plan (its approved or paid expenditures, corrections
 * included), for its settlement. */
int figures_plan_spent(struct db_conn *c, int64_t plan, int64_t *spent,
		       struct npo_err *err);

/* What the approved or paid corrections of expenditure id add up to,
 * leaving out expenditure except (0: none), for the over-correction rule. */
int figures_corrections(struct db_conn *c, int64_t id, int64_t except,
			int64_t *sum, struct npo_err *err);

/* Committed and spent under a goal or programme (for reallocations). */
int figures_line(struct db_conn *c, bool goal, int64_t id, int64_t *amount,
		 int64_t *committed, int64_t *spent, struct npo_err *err);

#endif
