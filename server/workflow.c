#include "npo/workflow.h"

#include <string.h>

#include "npo/util.h"

const char *const plan_states[] = { "draft",	"submitted", "approved",
				    "rejected", "withdrawn", "settled",
				    NULL };
static const struct move plan_moves[] = {
	{ "draft", "submitted" },     { "submitted", "approved" },
	{ "submitted", "rejected" },  { "draft", "withdrawn" },
	{ "submitted", "withdrawn" }, { "approved", "settled" },
};
const struct workflow plan_workflow = { plan_states, plan_moves,
					ARRAY_SIZE(plan_moves) };

const char *const expenditure_states[] = { "submitted", "approved", "rejected",
					   "paid", NULL };
static const struct move expenditure_moves[] = {
	{ "submitted", "approved" },
	{ "submitted", "rejected" },
	{ "approved", "paid" },
};
const struct workflow expenditure_workflow = { expenditure_states,
					       expenditure_moves,
					       ARRAY_SIZE(expenditure_moves) };

const char *const programme_states[] = { "planned", "active", "completed",
					 "stopped", NULL };
static const struct move programme_moves[] = {
	{ "planned", "active" },
	{ "active", "completed" },
	{ "planned", "stopped" },
	{ "active", "stopped" },
};
const struct workflow programme_workflow = { programme_states, programme_moves,
					     ARRAY_SIZE(programme_moves) };

bool workflow_allows(const struct workflow *wf, const char *from,
		     const char *to)
{
	for (size_t i = 0; i < wf->nmoves; i++)
		if (strcmp(wf->moves[i].from, from) == 0 &&
		    strcmp(wf->moves[i].to, to) == 0)
			return true;
	return false;
}

size_t workflow_next(const struct workflow *wf, const char *from,
		     const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < wf->nmoves && n < max; i++)
		if (strcmp(wf->moves[i].from, from) == 0)
			out[n++] = wf->moves[i].to;
	return n;
}

const char *workflow_label(const char *status)
{
	static const struct {
		const char *status, *label;
	} labels[] = {
		{ "draft", "concept" },		{ "submitted", "ingediend" },
		{ "approved", "goedgekeurd" },	{ "rejected", "afgewezen" },
		{ "withdrawn", "ingetrokken" }, { "settled", "vastgesteld" },
		{ "paid", "betaald" },		{ "planned", "gepland" },
		{ "active", "lopend" },		{ "completed", "afgerond" },
		{ "stopped", "gestopt" },
	};

	for (size_t i = 0; status && i < ARRAY_SIZE(labels); i++)
		if (strcmp(labels[i].status, status) == 0)
			return labels[i].label;
	return status ? status : "";
}
