/* The one registry of the declared resources (resource.h). */
#include "npo/resource.h"

#include "npo/util.h"

const struct resource *const resources[] = {
	&budget_resource,	&goal_resource,	  &programme_resource,
	&reallocation_resource, &school_resource, &plan_resource,
	&expenditure_resource,	&audit_resource,
};
const size_t nresources = ARRAY_SIZE(resources);
