/*
 * /api/files: IVR prompts and call recordings. Uploads (the raw body,
 * ROUTE_RAW: one buffer, moved from the connection to the handler) and
 * deletes are entries of the operations table (op/op-file.c), which store
 * and remove the content around their rows; listing, metadata and
 * streamed downloads are here. These handlers run on the slow pool
 * (ROUTE_SLOW): storage I/O blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-file.h"
#include "audit.h"
#include "db-recording.h"
#include "validate.h"
#include "sniff.h"
#include "storage.h"
#include "stream.h"
#include "op.h"
#include "op-file.h"

static int
storage_unavailable(struct hctx *h)
{
	h->resp->retry_after = 5;
	return resp_problem(h->resp, 503, "storage_unavailable",
	    "the file store is unavailable; try again shortly");
}

/*
 * An upload is an entry (op/op-file.c, file.create): the raw body, its
 * declared type, ?kind= and ?name= for the path's company. The answer
 * names the file at /api/files/:id with its hash as the ETag.
 */
int
files_upload(struct hctx *h)
{
	struct op_in	 in = { 0 };
	struct op_out	 out;
	char		*kind = query_get(h->req->query, "kind");
	char		*name = query_get(h->req->query, "name");
	int		 rc;

	in.company = h->req->params[0];
	in.raw = h->req->raw;
	in.rawlen = h->req->rawlen;
	in.content_type = h->req->content_type;
	in.kind = kind;
	in.file_name = name;
	rest_admin_run(h, OP_FILE_CREATE, &in, &out);
	if (out.status == 201) {
		free(h->resp->location);
		h->resp->location = xasprintf("/api/files/%s", out.id);
		h->resp->etag = xasprintf("\"%s\"", json_string_value(
		    json_object_get(out.obj, "sha256")));
	}
	if (out.status == 503 && strcmp(out.code, "storage_unavailable") == 0)
		h->resp->retry_after = 5;
	rc = rest_answer(h, &out);
	free(kind);
	free(name);
	return rc;
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
	if (op_file_kind_check(kind, &f) != 0) {
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

/*
 * GET /api/files/:id/content: streamed, so memory stays a few pieces. A
 * file of kind recording: each download audited; one that is a call's
 * recording only for managers and admins here (an agent gets its own
 * calls' at /api/calls/:id/recordings/:rid).
 */
int
files_content(struct hctx *h)
{
	struct file_rows	*res;
	char			 company[UUID_LEN + 1];
	int			 recording, of_call = 0;

	if ((res = db_file_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	recording = res->n == 1 && strcmp(res->v[0].kind, "recording") == 0;
	if (recording)
		strlcpy_(company, res->v[0].company, sizeof company);
	file_rows_free(res);
	if (recording && h->req->who.role == ROLE_AGENT &&
	    (of_call = db_recording_is_file(h->db, h->req->params[0])) < 0)
		return db_fail(h->db, h->resp);
	if (of_call)
		return resp_problem(h->resp, 404, "not_found", "no such file");
	if (recording && audit(h->db, h->req, company, "download", "file",
	    h->req->params[0], json_pack("{s:s}", "kind", "recording")) != 0)
		return db_fail(h->db, h->resp);
	return files_send(h, h->req->params[0]);
}

int
files_send(struct hctx *h, const char *id)
{
	struct download		 d = { .h = h };
	struct file_rows	*res;
	enum storage_result	 sr;
	const char		*type;

	if ((res = db_file_get(h->db, h->req->scope, id)) == NULL)
		return db_fail(h->db, h->resp);
	if (res->n == 0) {
		file_rows_free(res);
		return resp_problem(h->resp, 404, "not_found", "no such file");
	}
	h->resp->etag = xasprintf("\"%s\"", res->v[0].sha256);
	type = sniff_type(res->v[0].content_type);
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
	sr = op_file_read(h->db, id, download_piece, &d);
	if (d.damaged || (sr == STORAGE_OK && d.sent != d.size)) {
		log_error("files: the content of %s is not the %zu bytes"
		    " recorded", id, d.size);
		sr = STORAGE_ERROR;
	}
	if (d.opened) {
		/* Past the headers: a failure can only cut the body short. */
		if (sr != STORAGE_OK)
			stream_fail(h->req->stream);
		return 0;
	}
	if (sr == STORAGE_MISSING) {
		log_error("files: the content of %s is missing", id);
		return resp_problem(h->resp, 500, "internal",
		    "the file's content is missing; the error has been logged");
	}
	if (sr != STORAGE_OK)
		return storage_unavailable(h);
	download_open(&d);	/* an empty file */
	return 0;
}

/* Deleting is an entry (op/op-file.c, file.delete). */
int
files_delete(struct hctx *h)
{
	return rest_admin(h, OP_FILE_DELETE);
}
