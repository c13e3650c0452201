/*
 * Workflows: the statuses of plans, expenditures and programmes and the
 * moves between them (docs/domain.md, section 4.4). A resource is created
 * in the first status; it moves only by a listed move.
 */
#ifndef NPO_WORKFLOW_H
#define NPO_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

struct move {
	const char *from, *to;
};

struct workflow {
	const char *const *states; /* NULL-terminated; the first is initial */
	const struct move *moves;
	size_t nmoves;
};

/* The statuses, NULL-terminated, for declared enum fields. */
extern const char *const plan_states[];
extern const char *const expenditure_states[];
extern const char *const programme_states[];

extern const struct workflow plan_workflow;
extern const struct workflow expenditure_workflow;
extern const struct workflow programme_workflow;

/* True when from -> to is a move of wf. */
bool workflow_allows(const struct workflow *wf, const char *from,
		     const char *to);

/* Writes the statuses reachable from from into out (at most max); returns
 * how many. */
size_t workflow_next(const struct workflow *wf, const char *from,
		     const char **out, size_t max);

/* The Dutch word for a status of any workflow ("approved" -> "goedgekeurd"),
 * for the workbook; the status itself when it has none. */
const char *workflow_label(const char *status);

#endif
