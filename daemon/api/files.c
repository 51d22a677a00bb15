/*
 * /api/files: IVR prompts and call recordings. The upload is the raw body
 * (ROUTE_RAW: one buffer, moved from the connection to the handler); its
 * declared type must be an accepted audio type and agree with the content's
 * magic bytes. The content is stored first, the metadata row inserted
 * after, and the content removed again if that fails: no row ever points
 * at nothing. Deleting removes the row first, then the content. These
 * handlers run on the slow pool (ROUTE_SLOW): storage I/O blocks.
 */
#include <sys/random.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xmalloc.h"
#include "log.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-file.h"
#include "validate.h"
#include "audit.h"
#include "sniff.h"
#include "storage.h"
#include "stream.h"

static int
uuid_v4(char out[UUID_LEN + 1])
{
	unsigned char	 b[16];

	if (getrandom(b, sizeof b, 0) != sizeof b)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
	return 0;
}

static int
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* ?kind= as given: prompt or recording; "" or NULL when absent. */
static int
check_kind(const char *kind, struct fields *f)
{
	if (kind == NULL || strcmp(kind, "prompt") == 0 ||
	    strcmp(kind, "recording") == 0)
		return 0;
	fields_add(f, "kind", "must be prompt or recording");
	return -1;
}

static int
check_name(const char *name, struct fields *f)
{
	size_t	 n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > 200)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (iscntrl((unsigned char)name[i]))
			goto bad;
	}
	return 0;
bad:
	fields_add(f, "name", "must be 1 to 200 bytes without control"
	    " characters");
	return -1;
}

static int
storage_unavailable(struct hctx *h)
{
	h->resp->retry_after = 5;
	return resp_problem(h->resp, 503, "storage_unavailable",
	    "the file store is unavailable; try again shortly");
}

int
files_upload(struct hctx *h)
{
	struct request		*req = h->req;
	struct file_new		 row;
	struct fields		 f;
	char			*kind = query_get(req->query, "kind");
	char			*name = query_get(req->query, "name");
	char			 id[UUID_LEN + 1], sha[65], size[24];
	const char		*declared, *actual;
	struct file_rows	*res = NULL;
	int			 stored = 0;

	fields_init(&f);
	check_kind(kind, &f);
	check_name(name, &f);
	if (fields_any(&f)) {
		resp_invalid(h->resp, &f);
		goto out;
	}
	fields_free(&f);
	if ((declared = sniff_declared(req->content_type)) == NULL) {
		resp_problem(h->resp, 415, "unsupported_media_type",
		    "files must be audio/wav, audio/mpeg, audio/ogg or"
		    " audio/flac");
		goto out;
	}
	actual = sniff_audio((const unsigned char *)req->raw, req->rawlen);
	if (actual == NULL || strcmp(actual, declared) != 0) {
		resp_problem(h->resp, 415, "unsupported_media_type",
		    "the content is not %s", declared);
		goto out;
	}
	if (uuid_v4(id) != 0 || sha256_hex(req->raw, req->rawlen, sha) != 0) {
		resp_problem(h->resp, 500, "internal", "cannot name the file");
		goto out;
	}
	if (storage_put(id, req->raw, req->rawlen, sha, actual) != STORAGE_OK) {
		storage_unavailable(h);
		goto out;
	}
	stored = 1;
	snprintf(size, sizeof size, "%zu", req->rawlen);
	row = (struct file_new){ id, req->params[0], kind ? kind : "prompt",
	    name, actual, size, sha, req->who.user_id[0] ? req->who.user_id :
	    NULL };
	if (db_begin(h->db) != 0 || (res = db_file_create(h->db, &row)) == NULL ||
	    audit(h->db, req, req->params[0], "create", "file", id,
	    json_pack("{s:s,s:s,s:I}", "kind", row.kind, "content_type", actual,
	    "size", (json_int_t)req->rawlen)) != 0 || db_commit(h->db) != 0) {
		db_rollback(h->db);
		if (h->db->err == DB_FOREIGN)
			resp_problem(h->resp, 404, "not_found", "no such company");
		else
			db_fail(h->db, h->resp);
		goto out;
	}
	stored = 0;
	resp_json(h->resp, 201, file_json(&res->v[0]));
	h->resp->location = xasprintf("/api/files/%s", id);
	h->resp->etag = xasprintf("\"%s\"", sha);
out:
	if (stored && storage_delete(id) != STORAGE_OK)
		log_warn("files: content of %s left behind after a failed"
		    " insert", id);
	file_rows_free(res);
	free(kind);
	free(name);
	return 0;
}

int
files_list(struct hctx *h)
{
	struct page	 pg;
	struct fields	 f;
	struct file_rows *res;
	const struct file_row *last;
	json_t		*items;
	char		*kind = query_get(h->req->query, "kind");

	fields_init(&f);
	if (check_kind(kind, &f) != 0) {
		free(kind);
		return resp_invalid(h->resp, &f);
	}
	fields_free(&f);
	if (page_parse(h->req, h->resp, &pg) != 0) {
		free(kind);
		return -1;
	}
	res = db_file_list(h->db, h->req->params[0], kind, &pg);
	free(kind);
	if (res == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int r = 0; r < res->n && r < pg.limit; r++)
		json_array_append_new(items, file_json(&res->v[r]));
	last = res->n > pg.limit ? &res->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	file_rows_free(res);
	return 0;
}

int
files_get(struct hctx *h)
{
	struct file_rows *res;

	if ((res = db_file_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (res->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such file");
	else
		resp_json(h->resp, 200, file_json(&res->v[0]));
	file_rows_free(res);
	return 0;
}

/*
 * Where a download's bytes go: the stream (ROUTE_STREAM), opened at the
 * first byte with the size recorded at upload as its Content-Length.
 * Content that is not that size is cut short: the connection closes, so
 * the client sees a truncated transfer, never a wrong file.
 */
struct download {
	struct hctx	*h;
	int		 opened, damaged;
	size_t		 size, sent;
};

static void
download_open(struct download *d)
{
	d->opened = 1;
	d->h->resp->sized = 1;
	d->h->resp->len = d->size;
	stream_open(d->h->req->stream);
}

static int
download_piece(void *arg, const void *p, size_t n)
{
	struct download	*d = arg;

	if (!d->opened)
		download_open(d);
	if (d->sent + n > d->size) {
		d->damaged = 1;
		return -1;
	}
	d->sent += n;
	return stream_write(d->h->req->stream, p, n);
}

/* GET /api/files/:id/content: streamed, so memory stays a few pieces. */
int
files_content(struct hctx *h)
{
	struct download		 d = { .h = h };
	struct file_rows	*res;
	enum storage_result	 sr;
	const char		*type;

	if ((res = db_file_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (res->n == 0) {
		file_rows_free(res);
		return resp_problem(h->resp, 404, "not_found", "no such file");
	}
	h->resp->etag = xasprintf("\"%s\"", res->v[0].sha256);
	type = sniff_declared(res->v[0].content_type);
	d.size = (size_t)res->v[0].size;
	file_rows_free(res);
	if (etag_match(h->req->if_none_match, h->resp->etag)) {
		resp_empty(h->resp);
		h->resp->status = 304;
		return 0;
	}
	/* Set before the first byte opens the stream with them. */
	h->resp->status = 200;
	h->resp->content_type = type != NULL ? type : "application/octet-stream";
	sr = storage_read(h->req->params[0], download_piece, &d);
	if (d.damaged || (sr == STORAGE_OK && d.sent != d.size)) {
		log_error("files: the content of %s is not the %zu bytes"
		    " recorded", h->req->params[0], d.size);
		sr = STORAGE_ERROR;
	}
	if (d.opened) {
		/* Past the headers: a failure can only cut the body short. */
		if (sr != STORAGE_OK)
			stream_fail(h->req->stream);
		return 0;
	}
	if (sr == STORAGE_MISSING) {
		log_error("files: the content of %s is missing",
		    h->req->params[0]);
		return resp_problem(h->resp, 500, "internal",
		    "the file's content is missing; the error has been logged");
	}
	if (sr != STORAGE_OK)
		return storage_unavailable(h);
	download_open(&d);	/* an empty file */
	return 0;
}

int
files_delete(struct hctx *h)
{
	struct file_rows *res = NULL;
	const char	*id = h->req->params[0];

	if (db_begin(h->db) != 0 ||
	    (res = db_file_delete(h->db, h->req->scope, id)) == NULL)
		goto fail;
	if (res->n == 0) {
		db_rollback(h->db);
		file_rows_free(res);
		return resp_problem(h->resp, 404, "not_found", "no such file");
	}
	if (audit(h->db, h->req, res->v[0].company, "delete",
	    "file", id, NULL) != 0 || db_commit(h->db) != 0)
		goto fail;
	file_rows_free(res);
	if (storage_delete(id) != STORAGE_OK)
		log_warn("files: the content of %s was left behind", id);
	resp_empty(h->resp);
	return 0;
fail:
	file_rows_free(res);
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}
