/*
 * The process globals every layer reads: the configuration, the token
 * signing key (both set once by main.c before any thread starts) and the
 * monotonic clock.
 */
#include <time.h>

#include "daemon.h"

struct config		 cfg;
struct token_key	 tkey;

double
now_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
