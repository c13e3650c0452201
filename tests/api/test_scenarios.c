#include "../check_main.h"
#include "harness.h"

static void add_tests(TCase *tc)
{
	(void)tc;
}

CHECK_MAIN("scenarios")
