/*
 * The analytics rollup refresher: a thread of its own that, every
 * analytics_rollup_interval seconds, computes the closed hours and the
 * hours marked dirty into analytics_hourly (sql/006_analytics_rollup.sql).
 * Answers never depend on it having run: what it has not computed is
 * summed from the calls.
 */
#ifndef ROLLUP_H
#define ROLLUP_H

/* interval 0: no thread. 0, or -1 with *cause set. */
int	rollup_start(const char *dburl, int interval, char **cause);
void	rollup_stop(void);

#endif
