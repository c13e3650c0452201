/* The one registry of the declared resources (resource.h, resources.def). */
#include "npo/resource.h"

#include "npo/util.h"

const struct resource *const resources[] = {
#define RESOURCE(name) &name##_resource,
#include "npo/resources.def"
#undef RESOURCE
};
const size_t nresources = ARRAY_SIZE(resources);
