/* main.c: the receptor daemon. */
#include "config.h"

#include "rc-startup.h"

int
main(int argc, char **argv)
{
	return rc_startup_main(argc, argv);
}
