/*
 * File storage, the local backend: DIR/ID, written to DIR/.tmp-ID first,
 * fsync'd, renamed into place and the directory fsync'd, so a crash leaves
 * either the whole file or none (a stray .tmp-* at worst). Ids are UUIDs,
 * checked before any path is built: no path traversal is possible.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "log.h"
#include "http.h"
#include "daemon.h"
#include "storage.h"

static char	*dir;
static int	 use_s3;

int
storage_init(char **cause)
{
	if (strcmp(cfg.storage, "s3") == 0) {
		use_s3 = 1;
		return s3_init(cause);
	}
	free(dir);
	dir = cfg.storage_dir != NULL && cfg.storage_dir[0] != '\0' ?
	    xstrdup(cfg.storage_dir) : xasprintf("%s/files", cfg.data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create \"%s\": %s", dir,
		    strerror(errno));
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		*cause = xasprintf("cannot write to \"%s\": %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

const char *
storage_name(void)
{
	return use_s3 ? "s3" : "local";
}

static int
sync_dir(void)
{
	int	 fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

enum storage_result
storage_put(const char *id, const void *data, size_t len,
    const char *sha256hex, const char *ctype)
{
	char		 path[4096], tmp[4096];
	const char	*p = data;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if (!is_uuid(id))
		return STORAGE_ERROR;
	if (use_s3)
		return s3_put(id, data, len, sha256hex, ctype);
	snprintf(path, sizeof path, "%s/%s", dir, id);
	snprintf(tmp, sizeof tmp, "%s/.tmp-%s", dir, id);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		log_error("storage: cannot create \"%s\": %s", tmp,
		    strerror(errno));
		return STORAGE_ERROR;
	}
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	if (sync_dir() != 0)
		log_warn("storage: cannot sync \"%s\": %s", dir, strerror(errno));
	return STORAGE_OK;
fail:
	log_error("storage: cannot write \"%s\": %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return STORAGE_ERROR;
}

enum storage_result
storage_read(const char *id, storage_fn fn, void *arg)
{
	enum storage_result	 rc = STORAGE_OK;
	char			 path[4096], *buf;
	ssize_t			 n;
	int			 fd;

	if (!is_uuid(id))
		return STORAGE_MISSING;
	if (use_s3)
		return s3_read(id, fn, arg);
	snprintf(path, sizeof path, "%s/%s", dir, id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return STORAGE_MISSING;
		log_error("storage: cannot open \"%s\": %s", path,
		    strerror(errno));
		return STORAGE_ERROR;
	}
	buf = xmalloc(STORAGE_PIECE);
	for (;;) {
		if ((n = read(fd, buf, STORAGE_PIECE)) < 0) {
			if (errno == EINTR)
				continue;
			log_error("storage: cannot read \"%s\": %s", path,
			    strerror(errno));
			rc = STORAGE_ERROR;
			break;
		}
		if (n == 0)
			break;
		if (fn(arg, buf, (size_t)n) != 0) {
			rc = STORAGE_STOPPED;
			break;
		}
	}
	free(buf);
	close(fd);
	return rc;
}

enum storage_result
storage_delete(const char *id)
{
	char	 path[4096];

	if (!is_uuid(id))
		return STORAGE_OK;
	if (use_s3)
		return s3_delete(id);
	snprintf(path, sizeof path, "%s/%s", dir, id);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_error("storage: cannot remove \"%s\": %s", path,
		    strerror(errno));
		return STORAGE_ERROR;
	}
	sync_dir();
	return STORAGE_OK;
}
