/*
 * The one fixture builder of the API tests: budget -> goal -> programme ->
 * school -> plan -> expenditure, made through the API as the writer of a
 * (each asserts 201 and returns the new id). A field left zero or NULL gets
 * a sensible default, so a test names only what it is about:
 *
 *   long long b = fx_budget(&a, (struct fx_budget){ .grant = 1000,
 *                                                   .policy = "stop" });
 *   long long g = fx_goal(&a, (struct fx_goal){ .budget = b, .allocated = 900
 * });
 */
#ifndef NPO_TEST_FIXTURE_H
#define NPO_TEST_FIXTURE_H

#include <jansson.h>

#include "harness.h"

/* POSTs body_new (taken over) to path as the writer; asserts 201. */
long long fx_create(struct api *a, const char *path, json_t *body_new);

/* POST /api/v1/{kind}/{id}/status with body as the writer; asserts 200. */
void fx_move(struct api *a, const char *kind, long long id, const char *body);
/* Moves plan id from draft through submitted to approved for cents. */
void fx_approve_plan(struct api *a, long long id, long long cents);

struct fx_budget {
	const char *gm;	    /* "GM0402" */
	const char *name;   /* "NPO" */
	long long grant;    /* 100000 */
	const char *from;   /* "2021-07-01" */
	const char *until;  /* "2025-07-31" */
	const char *policy; /* the budget's default, warn */
};
long long fx_budget(struct api *a, struct fx_budget b);

struct fx_goal {
	long long budget;
	const char *code;    /* "1", "2", … as made */
	const char *name;    /* "Bestedingsdoel" */
	long long allocated; /* 0 */
};
long long fx_goal(struct api *a, struct fx_goal g);

struct fx_programme {
	long long goal;
	const char *name; /* "Uitvoeringsprogramma" */
	long long budget; /* budget_cents, 0 */
};
long long fx_programme(struct api *a, struct fx_programme p);

struct fx_school {
	const char *code;   /* a new one each time */
	const char *name;   /* "Basisschool" */
	const char *sector; /* "po" */
	const char *gm;	    /* "GM0402" */
};
long long fx_school(struct api *a, struct fx_school s);

struct fx_plan {
	long long programme, school;
	const char *year;    /* a new school year each time */
	const char *title;   /* "Extra begeleiding" */
	long long requested; /* 0 */
};
long long fx_plan(struct api *a, struct fx_plan p);

struct fx_expenditure {
	long long programme;
	long long plan;		 /* 0: none */
	long long amount;	 /* 1000 */
	const char *on;		 /* spent_on, "2024-03-01" */
	const char *description; /* "Factuur" */
};
long long fx_expenditure(struct api *a, struct fx_expenditure e);

/* A budget (grant 10,000,000 cents) with goal "1" (1,000,000) and
 * nprogrammes programmes of 100,000 under it, at most 4. */
struct fx_tree {
	long long budget, goal, programme[4];
};
struct fx_tree fx_tree(struct api *a, int nprogrammes);

struct fx_reallocation {
	long long budget;
	/* one of each pair: goals, or programmes */
	long long from_goal, to_goal, from_programme, to_programme;
	long long amount;   /* amount_cents, 100 */
	const char *reason; /* "herschikking" */
	const char *on;	    /* decided_on, "2024-01-15" */
};
long long fx_reallocation(struct api *a, struct fx_reallocation r);

#endif
