/*
 * Demo data: the two seed documents as they are (README.md, "Where the demo
 * figures come from"), written as the history they tell: every row through
 * the one write path and its workflow, on dates in the past, with audit rows
 * by actor "demo", in one transaction.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "npo/jobs.h"
#include "npo/resource.h"
#include "npo/store.h"
#include "npo/write.h"

#define EUR(e) ((json_int_t)(e)*100)
#define ACTOR "demo"

static const char *const goal_names[] = {
	"Bovenschoolse maatregelen",
	"Tegengaan van achterstanden in de voorschoolse periode",
	"Zorg en welzijn",
	"Samenwerking in de gemeente",
	"Voorkomen van thuiszitters",
};

/* at: the time days after date, at hh:mm UTC. */
static void when(char at[21], const char *date, int days, const char *hhmm)
{
	struct tm tm = { 0 };
	time_t t;

	if (sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) !=
	    3)
		tm = (struct tm){ .tm_year = 1970, .tm_mon = 1, .tm_mday = 1 };
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_mday += days;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	if (strftime(at, 12, "%Y-%m-%dT", &tm) != 11)
		snprintf(at, 12, "1970-01-01T");
	snprintf(at + 11, 10, "%.5s:00Z", hhmm);
}

/*
 * One step of the demo's history through the one write path, every rule
 * applying, dated at the time at (the rows' and the audit's time); *id
 * (may be NULL) gets the row. Takes over body_new.
 */
static int step(struct db_conn *c, const char *at, const struct resource *res,
		enum write_op op, int64_t id, json_t *body_new, int64_t *out_id,
		struct npo_err *err)
{
	struct write_result r;
	int rc;

	if (!body_new)
		return err_set(err, NPO_E_INTERNAL, "demo row not packed");
	util_clock_set(at);
	rc = write_apply(c,
			 &(struct write){ .res = res,
					  .op = op,
					  .id = id,
					  .body = body_new,
					  .actor = ACTOR },
			 &r, err);
	util_clock_set(NULL);
	json_decref(body_new);
	if (rc == 0 && out_id)
		*out_id = r.id;
	write_result_free(&r);
	return rc;
}

static int add(struct db_conn *c, const char *at, const struct resource *res,
	       json_t *row_new, int64_t *id, struct npo_err *err)
{
	return step(c, at, res, WRITE_CREATE, 0, row_new, id, err);
}

/* Moves row id of res to status on date at hh:mm. */
static int move(struct db_conn *c, const char *date, const char *hhmm,
		const struct resource *res, int64_t id, const char *status,
		struct npo_err *err)
{
	char at[21];

	when(at, date, 0, hhmm);
	return step(c, at, res, WRITE_MOVE, id,
		    json_pack("{s:s}", "status", status), NULL, err);
}

static int add_goals(struct db_conn *c, const char *at, int64_t budget,
		     const int euros[5], int64_t ids[5], struct npo_err *err)
{
	char code[2] = "1";

	for (int i = 0; i < 5; i++, code[0]++)
		if (add(c, at, &goal_resource,
			json_pack("{s:I, s:s, s:s, s:I}", "budget_id",
				  (json_int_t)budget, "code", code, "name",
				  goal_names[i], "allocated_cents",
				  EUR(euros[i])),
			&ids[i], err) < 0)
			return -1;
	return 0;
}

static json_t *budget(const char *code, const char *municipality,
		      json_int_t grant_cents, const char *decision_ref)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
			 "municipality_code", code, "municipality_name",
			 municipality, "name", "Nationaal Programma Onderwijs",
			 "grant_cents", grant_cents, "spend_from", "2021-07-01",
			 "spend_until", "2025-07-31", "decision_ref",
			 decision_ref, "overrun_policy", "warn");
}

/*
 * Hilversum, raadsinformatiebrief December 2021: EUR 2,138,509.64 spread
 * over the five goals as 995,000 + 500,000 + 525,000 + 80,000 + 50,000 =
 * 2,150,000, which over-allocates by EUR 11,490.36.
 */
static int hilversum(struct db_conn *c, struct npo_err *err)
{
	static const int euros[5] = { 995000, 500000, 525000, 80000, 50000 };
	static const char at[] = "2021-12-21T10:00:00Z";
	int64_t id, goals[5];

	if (add(c, at, &budget_resource,
		budget("GM0402", "Hilversum", 213850964,
		       "Actieagenda NPO, B&W 21 december 2021"),
		&id, err) < 0)
		return -1;
	return add_goals(c, at, id, euros, goals, err);
}

/* The execution programmes of Huizen, by goal (1..5). */
static const struct demo_programme {
	int goal;
	const char *name, *partner, *owner;
	int euros;
	const char *status, *starts, *ends;
} huizen_programmes[] = {
	{ 1, "Zomerschool en huiswerkbegeleiding", "schoolbesturen PO en VO",
	  "beleidsadviseur onderwijs", 180000, "completed", "2022-01-01",
	  "2023-12-31" },
	{ 1, "Kunst- en cultuureducatie",
	  "gespecialiseerd voortgezet onderwijs", "cultuurcoördinator", 60000,
	  "active", "2022-01-01", "2025-07-31" },
	{ 2, "Extra uren voorschoolse educatie", "kinderopvang",
	  "beleidsadviseur onderwijs", 100000, "completed", "2022-01-01",
	  "2024-12-31" },
	{ 2, "Preventieve logopedie", "logopedisten",
	  "beleidsadviseur onderwijs", 20000, "planned", "2024-08-01",
	  "2025-07-31" },
	{ 3, "Welbevinden en sociaal-emotionele ontwikkeling basisonderwijs",
	  "basisscholen", "beleidsadviseur onderwijs", 17294, "active",
	  "2024-08-01", "2025-07-31" },
	{ 3, "Welbevinden voortgezet onderwijs", "VO-scholen",
	  "beleidsadviseur onderwijs", 30000, "active", "2024-08-01",
	  "2025-07-31" },
	{ 3, "Voorlichting en trainingen voor leerlingen", "scholen",
	  "beleidsadviseur onderwijs", 10000, "planned", "2024-08-01",
	  "2025-07-31" },
	{ 3, "Schoolmaatschappelijk werk", "welzijnsorganisatie",
	  "beleidsadviseur onderwijs", 150000, "completed", "2022-01-01",
	  "2024-12-31" },
	{ 4, "Netwerkbijeenkomst 'Het jonge Kind'", "Sardes",
	  "beleidsadviseur onderwijs", 8000, "active", "2024-09-01",
	  "2025-07-31" },
	{ 4, "Versterking begeleidingsteam basisscholen",
	  "basisscholen en gemeente", "beleidsadviseur onderwijs", 30000,
	  "active", "2024-08-01", "2025-07-31" },
	{ 5, "Aanpak thuiszitters", "leerplicht en scholen",
	  "beleidsadviseur onderwijs", 40000, "completed", "2022-01-01",
	  "2024-12-31" },
};
enum { P_SPEECH = 3, P_PRIMARY = 4, P_TRAININGS = 6, NPROG = 11 };

/* Primary schools that submitted a plan, and their plans for 2024-2025. */
static const struct {
	const char *code, *name;
	int euros;
} huizen_schools[] = {
	{ "10HZ00", "OBS De Regenboog", 12000 },
	{ "11HZ00", "CBS De Wegwijzer", 11500 },
	{ "12HZ00", "RKBS Sint Jozef", 12294 },
	{ "13HZ00", "OBS Het Baken", 11500 },
};

/* Costs 2022-2024: they add up to the EUR 588,380 of the decision.
 * plan is 1-based into huizen_schools, 0 for none. */
static const struct demo_cost {
	int programme, plan, euros;
	const char *date, *what, *status;
} huizen_costs[] = {
	{ 0, 0, 95000, "2022-09-30", "Zomerschool 2022", "paid" },
	{ 0, 0, 85000, "2023-09-29", "Zomerschool 2023", "paid" },
	{ 1, 0, 15000, "2022-11-30", "Cultuureducatie 2022", "paid" },
	{ 1, 0, 15000, "2023-11-30", "Cultuureducatie 2023", "paid" },
	{ 1, 0, 15000, "2024-11-29", "Cultuureducatie VSO 2024", "paid" },
	{ 2, 0, 40000, "2022-12-20", "Extra VE-uren 2022", "paid" },
	{ 2, 0, 35000, "2023-12-19", "Extra VE-uren 2023", "paid" },
	{ 2, 0, 25000, "2024-12-17", "Extra VE-uren 2024", "paid" },
	{ 7, 0, 50000, "2022-12-15", "Schoolmaatschappelijk werk 2022",
	  "paid" },
	{ 7, 0, 50000, "2023-12-14", "Schoolmaatschappelijk werk 2023",
	  "paid" },
	{ 7, 0, 50000, "2024-11-29", "Schoolmaatschappelijk werk 2024",
	  "paid" },
	{ 10, 0, 20000, "2023-06-30", "Thuiszittersaanpak 2023", "paid" },
	{ 10, 0, 20000, "2024-06-28", "Thuiszittersaanpak 2024", "paid" },
	{ 9, 0, 12000, "2024-12-13", "Pilot begeleidingsteam", "approved" },
	{ 8, 0, 6500, "2024-11-21", "Netwerkbijeenkomst (Sardes)", "paid" },
	{ 5, 0, 20000, "2024-12-10", "Welbevinden VO 2024", "paid" },
	{ 4, 1, 9000, "2024-11-15", "Declaratie bestedingsplan", "paid" },
	{ 4, 2, 8500, "2024-11-22", "Declaratie bestedingsplan", "paid" },
	{ 4, 3, 10000, "2024-12-06", "Declaratie bestedingsplan", "approved" },
	{ 4, 4, 7380, "2024-12-12", "Declaratie bestedingsplan", "approved" },
};

/* A reallocation between two programmes of Huizen, decided on
 * 1 October 2024. */
static int reallocate(struct db_conn *c, int64_t budget, int64_t from,
		      int64_t to, int euros, const char *reason,
		      struct npo_err *err)
{
	return add(c, "2024-10-01T11:00:00Z", &reallocation_resource,
		   json_pack("{s:I, s:{s:I}, s:{s:I}, s:I, s:s, s:s, s:s}",
			     "budget_id", (json_int_t)budget, "from",
			     "programme_id", (json_int_t)from, "to",
			     "programme_id", (json_int_t)to, "amount_cents",
			     EUR(euros), "reason", reason, "decision_ref",
			     "Z.325009 – 1646810", "decided_on", "2024-10-01"),
		   NULL, err);
}

/* A programme from its start: planned when made, active from starts_on,
 * completed on ends_on; the planned ones stay so. */
static int programme(struct db_conn *c, int64_t goal,
		     const struct demo_programme *p, int64_t *id,
		     struct npo_err *err)
{
	char at[21];

	when(at, p->starts, -14, "10:00");
	if (add(c, at, &programme_resource,
		json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "goal_id",
			  (json_int_t)goal, "name", p->name, "partner",
			  p->partner, "owner", p->owner, "budget_cents",
			  EUR(p->euros), "starts_on", p->starts, "ends_on",
			  p->ends, "decision_ref", "Z.325009 – 1646810"),
		id, err) < 0)
		return -1;
	if (strcmp(p->status, "planned") == 0)
		return 0;
	return move(c, p->starts, "09:00", &programme_resource, *id, "active",
		    err);
}

/* A school's plan for 2024-2025: drafted, submitted on 20 September 2024,
 * approved in full on 15 October. */
static int plan(struct db_conn *c, int64_t programme, int64_t school, int euros,
		int64_t *id, struct npo_err *err)
{
	if (add(c, "2024-09-16T10:00:00Z", &plan_resource,
		json_pack("{s:I, s:I, s:s, s:s, s:I}", "programme_id",
			  (json_int_t)programme, "school_id",
			  (json_int_t)school, "school_year", "2024-2025",
			  "title",
			  "Welbevinden en sociaal-emotionele ontwikkeling",
			  "requested_cents", EUR(euros)),
		id, err) < 0 ||
	    move(c, "2024-09-20", "09:00", &plan_resource, *id, "submitted",
		 err) < 0)
		return -1;
	return step(c, "2024-10-15T14:00:00Z", &plan_resource, WRITE_MOVE, *id,
		    json_pack("{s:s, s:I}", "status", "approved",
			      "approved_cents", EUR(euros)),
		    NULL, err);
}

/* A cost: declared on its date, approved that afternoon, paid two weeks
 * later (unless it is still only approved). */
static int cost(struct db_conn *c, const struct demo_cost *e, int64_t programme,
		int64_t plan, struct npo_err *err)
{
	json_t *row = json_pack("{s:I, s:I, s:s, s:s}", "programme_id",
				(json_int_t)programme, "amount_cents",
				EUR(e->euros), "spent_on", e->date,
				"description", e->what);
	char at[21];
	int64_t id;

	if (row && plan)
		json_object_set_new(row, "plan_id", json_integer(plan));
	when(at, e->date, 0, "09:00");
	if (add(c, at, &expenditure_resource, row, &id, err) < 0 ||
	    move(c, e->date, "15:00", &expenditure_resource, id, "approved",
		 err) < 0)
		return -1;
	if (strcmp(e->status, "paid") != 0)
		return 0;
	when(at, e->date, 14, "10:00");
	return step(c, at, &expenditure_resource, WRITE_MOVE, id,
		    json_pack("{s:s}", "status", "paid"), NULL, err);
}

/* Huizen closes 2021, 2022 and 2023 once each year's accounts are final. */
static int close_years(struct db_conn *c, int64_t budget, struct npo_err *err)
{
	for (int year = 2021; year <= 2023; year++) {
		char at[21], note[32];

		snprintf(at, sizeof(at), "%04d-06-15T10:00:00Z", year + 1);
		snprintf(note, sizeof(note), "jaarrekening %d", year);
		if (add(c, at, &closing_resource,
			json_pack("{s:I, s:i, s:s, s:s}", "budget_id",
				  (json_int_t)budget, "year", year, "note",
				  note, "closed_by", ACTOR),
			NULL, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * Huizen, collegebesluit uitvoeringsplan 2024-2025: EUR 683,901 of which
 * 588,380 was spent 2022-2024; speech therapy (20,000) and pupil trainings
 * (10,000) move to primary-school wellbeing, which then totals 47,294; all
 * primary schools submitted a plan and declare against it. Written as the
 * history it was: each row through its workflow on its own dates.
 */
static int huizen(struct db_conn *c, struct npo_err *err)
{
	static const int euros[5] = { 250000, 120000, 230901, 43000, 40000 };
	static const char at[] = "2021-12-14T10:00:00Z";
	int64_t id, goals[5], prog[NPROG], plans[ARRAY_SIZE(huizen_schools)],
		school;

	if (add(c, at, &budget_resource,
		budget("GM0406", "Huizen", EUR(683901), "Z.197762 – 1243357"),
		&id, err) < 0 ||
	    add_goals(c, at, id, euros, goals, err) < 0)
		return -1;
	for (size_t i = 0; i < NPROG; i++)
		if (programme(c, goals[huizen_programmes[i].goal - 1],
			      &huizen_programmes[i], &prog[i], err) < 0)
			return -1;
	if (reallocate(c, id, prog[P_SPEECH], prog[P_PRIMARY], 20000,
		       "preventieve logopedie naar welbevinden basisonderwijs",
		       err) < 0 ||
	    reallocate(c, id, prog[P_TRAININGS], prog[P_PRIMARY], 10000,
		       "trainingen leerlingen via onderwijsachterstandenbudget; "
		       "ruimte naar welbevinden basisonderwijs",
		       err) < 0 ||
	    move(c, "2024-10-01", "11:05", &programme_resource, prog[P_SPEECH],
		 "stopped", err) < 0 ||
	    move(c, "2024-10-01", "11:05", &programme_resource,
		 prog[P_TRAININGS], "stopped", err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(huizen_schools); i++)
		if (add(c, "2024-09-02T10:00:00Z", &school_resource,
			json_pack("{s:s, s:s, s:s, s:s}", "code",
				  huizen_schools[i].code, "name",
				  huizen_schools[i].name, "sector", "po",
				  "municipality_code", "GM0406"),
			&school, err) < 0 ||
		    plan(c, prog[P_PRIMARY], school, huizen_schools[i].euros,
			 &plans[i], err) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(huizen_costs); i++) {
		const struct demo_cost *e = &huizen_costs[i];

		if (cost(c, e, prog[e->programme],
			 e->plan ? plans[e->plan - 1] : 0, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < NPROG; i++)
		if (strcmp(huizen_programmes[i].status, "completed") == 0 &&
		    move(c, huizen_programmes[i].ends, "17:00",
			 &programme_resource, prog[i], "completed", err) < 0)
			return -1;
	return close_years(c, id, err);
}

int demo_load(struct db_conn *c, struct npo_err *err)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	/* one transaction: the demo is there whole or not at all */
	if (db_begin_write(c, err) < 0)
		return -1;
	if (!(st = db_prepare(c, "SELECT count(*) FROM budgets", err)))
		goto fail;
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_done(c, st);
	if (rc < 0)
		goto fail;
	if (n > 0) {
		db_rollback(c);
		return 0;
	}
	if (hilversum(c, err) < 0 || huizen(c, err) < 0 ||
	    db_commit(c, err) < 0)
		goto fail;
	return 0;
fail:
	db_rollback(c);
	return -1;
}
