/*
 * The recording retention sweeper (op-retention.c): a thread that, every
 * recording_sweep_interval seconds while this node holds the retention
 * lease, deletes the recordings older than their company's
 * recording_retention_days setting, and their files.
 */
#ifndef OP_RETENTION_H
#define OP_RETENTION_H

/* No thread when interval is 0. */
int	 retention_start(const char *dburl, int interval, char **cause);
void	 retention_stop(void);

#endif
