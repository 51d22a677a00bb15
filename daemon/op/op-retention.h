/*
 * The recording retention sweeper (op-retention.c): a thread that, every
 * recording_sweep_interval seconds while this node holds the retention
 * lease, deletes the recordings older than their company's
 * recording_retention_days setting, and their files, and retries the
 * contents left in the storage trash.
 */
#ifndef OP_RETENTION_H
#define OP_RETENTION_H

/*
 * Delete the contents in the storage trash (db-file.h): company's all
 * (after the transaction that trashed them committed), or with NULL
 * those of any company due for a retry. A content whose deletion fails
 * is logged and stays for a later pass. The number deleted, or -1.
 */
struct db;
int	 op_trash_empty(struct db *, const char *company);

/* No thread when interval is 0. */
int	 retention_start(const char *dburl, int interval, char **cause);
void	 retention_stop(void);

#endif
