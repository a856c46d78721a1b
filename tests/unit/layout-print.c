/*
 * layout-print - print "KEY VALUE" for every key of the layout table of
 * Python 3.MINOR, -1 for the fields that version lacks. Used by
 * tests/layout/check.sh to compare the table with each interpreter's
 * headers.
 */
#include <inttypes.h>
#include <stdio.h>

#include "pm.h"
#include "pylayout.h"
#include "util.h"

int
main(int argc, char **argv)
{
	const struct pm_layout *l;
	long long minor;

	if (argc != 2)
		pm_die(PM_EXIT_INPUT, "usage: layout-print minor");
	minor = pm_parse_num(argv[1], 0, 1000, "minor");
	if ((l = pm_layout_get((int)minor)) == NULL)
		pm_die(PM_EXIT_INPUT, "python 3.%lld is not supported", minor);
	for (int k = 0; k < PM_L_COUNT; k++)
		printf("%s %" PRId64 "\n", pm_layout_key_name((enum pm_layout_key)k),
		    l->off[k]);
	pm_close_stdout();
	return PM_EXIT_OK;
}
