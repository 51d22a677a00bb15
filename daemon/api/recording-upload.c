/*
 * Browser recordings (docs/api.md, "Browser recordings"): the agent's page
 * uploads a call's recording in pieces, resumably, tus-like. POST creates
 * the upload, PATCH appends a piece at Upload-Offset (409 with the real
 * offset otherwise), HEAD (GET) tells the offset after a broken
 * connection, and the request with Upload-Complete: ?1 makes it a
 * recording of the call, as Twilio's are. Each piece is its own storage
 * object (op_file_piece_put(): S3 cannot append), so no request holds more
 * than its piece; the pieces are read back once, streamed, for the file's
 * SHA-256. For the call's agent, its company's managers and admins; 404
 * for anyone else. PATCH runs on the slow pool (ROUTE_SLOW): storage I/O
 * blocks.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-call.h"
#include "db-recording.h"
#include "db-upload.h"
#include "audit.h"
#include "validate.h"
#include "sniff.h"
#include "storage.h"
#include "op.h"
#include "op-file.h"

/* The slack the declared duration has over the upload's own age. */
#define DURATION_SLACK	5.0

/* What a completing request declares. */
struct upload_end {
	int	 complete;
	int	 channels, duration;
};

/*
 * The call of the path for whoever may upload its recording: a manager
 * of its company, an admin, or the agent who had it. Its company into
 * company, its agent (or "") into agent; -1 with the response filled.
 */
static int
upload_call(struct hctx *h, char company[UUID_LEN + 1],
    char agent[UUID_LEN + 1])
{
	struct call_rows	*res;
	char			 me[UUID_LEN + 1];
	int			 mine = 1;

	if (!is_uuid(h->req->params[0]) ||
	    (h->req->nparams > 1 && !is_uuid(h->req->params[1])))
		return resp_problem(h->resp, 404, "not_found", "no such call");
	if ((res = db_call_find(h->db, h->req->scope, h->req->params[0])) ==
	    NULL)
		return db_fail(h->db, h->resp);
	if (res->n == 1 && h->req->who.role == ROLE_AGENT) {
		switch (op_agent_of(h->db, h->req->who.user_id, h->req->scope,
		    me)) {
		case -1:
			call_rows_free(res);
			return db_fail(h->db, h->resp);
		case 0:
			mine = 0;
			break;
		default:
			mine = res->v[0].agent != NULL &&
			    strcmp(me, res->v[0].agent) == 0;
		}
	}
	if (res->n == 0 || !mine) {
		call_rows_free(res);
		return resp_problem(h->resp, 404, "not_found", "no such call");
	}
	strlcpy_(company, res->v[0].company, UUID_LEN + 1);
	strlcpy_(agent, res->v[0].agent != NULL ? res->v[0].agent : "",
	    UUID_LEN + 1);
	call_rows_free(res);
	return 0;
}

static json_t *
upload_json(const struct upload_row *u)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:b,s:o,s:s+++}", "id", u->id,
	    "call_id", u->call, "content_type", u->content_type,
	    "offset", (json_int_t)u->size, "complete", u->complete,
	    "recording_id", u->recording[0] ? json_string(u->recording) :
	    json_null(), "url", "/api/calls/", u->call, "/recording/", u->id);
}

static void
upload_state(struct hctx *h, const struct upload_row *u)
{
	h->resp->has_offset = 1;
	h->resp->upload_offset = u->size;
	h->resp->upload_complete = u->complete ? "?1" : "?0";
}

/* 409: the upload is elsewhere than the client thought (or finished). */
static int
upload_conflict(struct hctx *h, const struct upload_row *u)
{
	upload_state(h, u);
	if (u->complete)
		return resp_problem_with(h->resp, 409, "upload_complete",
		    json_pack("{s:I}", "offset", (json_int_t)u->size),
		    "the upload is complete");
	return resp_problem_with(h->resp, 409, "offset_mismatch",
	    json_pack("{s:I}", "offset", (json_int_t)u->size),
	    "the upload is at offset %lld", u->size);
}

/* POST /api/calls/:id/recording: a new upload, its pieces to follow. */
int
recording_upload_create(struct hctx *h)
{
	struct upload_row	 u;
	char			 company[UUID_LEN + 1], agent[UUID_LEN + 1];
	char			 mode[16], *announcement = NULL;
	const char		*type;
	int			 n;

	if (upload_call(h, company, agent) != 0)
		return -1;
	type = sniff_type(h->req->content_type);
	if (type == NULL || (strcmp(type, "audio/webm") != 0 &&
	    strcmp(type, "audio/ogg") != 0))
		return resp_problem(h->resp, 415, "unsupported_media_type",
		    "a recording must be audio/webm or audio/ogg");
	if (h->req->rawlen > 0)
		return resp_problem(h->resp, 400, "bad_request", "the upload"
		    " is created empty; send its pieces with PATCH");
	if (agent[0] == '\0')
		return resp_problem(h->resp, 409, "no_agent",
		    "the call had no agent: there is nothing to record");
	n = db_recording_mode(h->db, company, h->req->params[0], mode,
	    sizeof mode, &announcement);
	free(announcement);
	if (n < 0)
		return db_fail(h->db, h->resp);
	if (n == 0)
		return resp_problem(h->resp, 404, "not_found", "no such call");
	if (strcmp(mode, "off") == 0)
		return resp_problem(h->resp, 409, "recording_off",
		    "recording is off for this call's queue");
	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((n = db_upload_create(h->db, company, h->req->params[0],
	    h->req->who.user_id[0] ? h->req->who.user_id : NULL, type,
	    &u)) == 1) {
		db_rollback(h->db);
		return resp_problem(h->resp, 409, "caller_purged", "this call's"
		    " caller was purged: nothing more of it is recorded");
	}
	if (n != 0 || audit(h->db, h->req, company, "create",
	    "recording_upload", u.id, json_pack("{s:s,s:s}", "call_id",
	    h->req->params[0], "content_type", type)) != 0 ||
	    db_commit(h->db) != 0) {
		db_rollback(h->db);
		return db_fail(h->db, h->resp);
	}
	upload_state(h, &u);
	free(h->resp->location);
	h->resp->location = xasprintf("/api/calls/%s/recording/%s", u.call,
	    u.id);
	resp_json(h->resp, 201, upload_json(&u));
	return 0;
}

/* GET (and HEAD) /api/calls/:id/recording/:uid: where the upload is. */
int
recording_upload_get(struct hctx *h)
{
	struct upload_row	 u;
	char			 company[UUID_LEN + 1], agent[UUID_LEN + 1];
	int			 n;

	if (upload_call(h, company, agent) != 0)
		return -1;
	if ((n = db_upload_get(h->db, company, h->req->params[0],
	    h->req->params[1], &u)) < 0)
		return db_fail(h->db, h->resp);
	if (n == 0)
		return resp_problem(h->resp, 404, "not_found", "no such upload");
	upload_state(h, &u);
	resp_json(h->resp, 200, upload_json(&u));
	return 0;
}

/*
 * The headers of a PATCH: Upload-Offset into *offset, Upload-Complete and
 * (when it is ?1) the recording's declared channels and duration, checked
 * against the upload's age. -1 with the response filled.
 */
static int
upload_headers(struct hctx *h, const struct upload_row *u,
    long long *offset, struct upload_end *end)
{
	struct request	*req = h->req;
	struct fields	 f;
	char		*ep;
	double		 d;

	errno = 0;
	if (req->upload_offset == NULL || req->upload_offset[0] < '0' ||
	    req->upload_offset[0] > '9' ||
	    (*offset = strtoll(req->upload_offset, &ep, 10)) < 0 ||
	    *ep != '\0' || errno != 0)
		return resp_problem(h->resp, 400, "bad_request",
		    "Upload-Offset must be the byte offset of the piece");
	end->complete = 0;
	if (req->upload_complete != NULL &&
	    strcmp(req->upload_complete, "?1") == 0)
		end->complete = 1;
	else if (req->upload_complete != NULL &&
	    strcmp(req->upload_complete, "?0") != 0)
		return resp_problem(h->resp, 400, "bad_request",
		    "Upload-Complete must be ?1 or ?0");
	if (!end->complete)
		return 0;
	fields_init(&f);
	end->channels = 1;
	if (req->rec_channels != NULL) {
		if (strcmp(req->rec_channels, "1") != 0 &&
		    strcmp(req->rec_channels, "2") != 0)
			fields_add(&f, "Recording-Channels", "must be 1 or 2");
		else
			end->channels = req->rec_channels[0] - '0';
	}
	errno = 0;
	d = req->rec_duration != NULL ? strtod(req->rec_duration, &ep) : -1;
	if (req->rec_duration == NULL || ep == req->rec_duration ||
	    *ep != '\0' || errno != 0 || !isfinite(d) || d < 0 ||
	    d > u->age + DURATION_SLACK)
		fields_add(&f, "Recording-Duration", "must be the recording's"
		    " length in seconds, at most the %.0f seconds since the"
		    " upload began", floor(u->age + DURATION_SLACK));
	else
		end->duration = (int)lround(d);
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	return 0;
}

/* The upload of size bytes becomes the call's recording: 201 with it. */
static int
upload_finish(struct hctx *h, const char *company, struct upload_row *u,
    const struct upload_end *end)
{
	char		 sha[65], rec[UUID_LEN + 1];
	long long	 size;
	json_t		*recs, *r, *one = NULL;
	size_t		 i;
	int		 n;

	if (op_file_digest(h->db, u->id, sha, &size) != 0) {
		h->resp->retry_after = 5;
		return resp_problem(h->resp, 503, "storage_unavailable",
		    "the file store is unavailable; try again shortly");
	}
	if (size != u->size) {
		log_error("recording: upload %s: its pieces hold %lld bytes,"
		    " not %lld", u->id, size, u->size);
		return resp_problem(h->resp, 500, "internal",
		    "the upload's pieces are damaged; the error has been"
		    " logged");
	}
	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((n = db_upload_complete(h->db, company, u->id, u->size, sha,
	    end->channels, end->duration, rec)) < 0)
		goto fail;
	if (n == 0) {
		/* Another request moved it meanwhile. */
		db_rollback(h->db);
		if ((n = db_upload_get(h->db, company, u->call, u->id, u)) < 0)
			return db_fail(h->db, h->resp);
		if (n == 0)
			return resp_problem(h->resp, 404, "not_found",
			    "no such upload");
		return upload_conflict(h, u);
	}
	if (audit(h->db, h->req, company, "upload", "recording", rec,
	    json_pack("{s:s,s:s,s:s,s:I,s:i,s:i}", "call_id", u->call,
	    "file_id", u->id, "source", "browser", "size",
	    (json_int_t)u->size, "channels", end->channels, "duration",
	    end->duration)) != 0 || db_commit(h->db) != 0)
		goto fail;
	log_info("recording: call %s: browser upload %s complete (%lld"
	    " bytes)", u->call, u->id, u->size);
	u->complete = 1;
	upload_state(h, u);
	if ((recs = db_recording_list(h->db, company, u->call)) == NULL)
		return db_fail(h->db, h->resp);
	json_array_foreach(recs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "id")), rec) ==
		    0)
			one = json_incref(r);
	}
	json_decref(recs);
	free(h->resp->location);
	h->resp->location = xasprintf("/api/calls/%s/recordings/%s", u->call,
	    rec);
	resp_json(h->resp, 201, one != NULL ? one : json_object());
	return 0;
fail:
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

/*
 * PATCH /api/calls/:id/recording/:uid: the body is the piece at
 * Upload-Offset (maybe empty); with Upload-Complete: ?1 the last.
 */
int
recording_upload_patch(struct hctx *h)
{
	struct upload_row	 u;
	struct upload_end	 end = { 0 };
	char			 company[UUID_LEN + 1], agent[UUID_LEN + 1];
	char			 object[UUID_LEN + 1];
	const char		*actual;
	long long		 offset = 0;
	int			 n;

	if (upload_call(h, company, agent) != 0)
		return -1;
	if ((n = db_upload_get(h->db, company, h->req->params[0],
	    h->req->params[1], &u)) < 0)
		return db_fail(h->db, h->resp);
	if (n == 0)
		return resp_problem(h->resp, 404, "not_found", "no such upload");
	if (upload_headers(h, &u, &offset, &end) != 0)
		return -1;
	if (u.complete || offset != u.size)
		return upload_conflict(h, &u);
	if ((unsigned long long)offset + h->req->rawlen > cfg.max_recording) {
		upload_state(h, &u);
		return resp_problem(h->resp, 413, "payload_too_large",
		    "a recording is at most %zu bytes", cfg.max_recording);
	}
	if (end.complete && offset + (long long)h->req->rawlen == 0)
		return resp_problem(h->resp, 422, "empty_recording",
		    "the recording has no bytes");
	if (offset == 0 && h->req->rawlen > 0 &&
	    ((actual = sniff_audio((const unsigned char *)h->req->raw,
	    h->req->rawlen)) == NULL || strcmp(actual, u.content_type) != 0))
		return resp_problem(h->resp, 415, "unsupported_media_type",
		    "the content is not %s", u.content_type);
	if (h->req->rawlen > 0) {
		if (op_file_piece_put(h->req->raw, h->req->rawlen, object) !=
		    STORAGE_OK) {
			h->resp->retry_after = 5;
			return resp_problem(h->resp, 503, "storage_unavailable",
			    "the file store is unavailable; try again shortly");
		}
		if ((n = db_upload_append(h->db, u.id, offset, object,
		    h->req->rawlen)) != 1) {
			storage_delete(object);
			if (n < 0)
				return db_fail(h->db, h->resp);
			/* Another request took this offset first. */
			if ((n = db_upload_get(h->db, company, u.call, u.id,
			    &u)) < 0)
				return db_fail(h->db, h->resp);
			if (n == 0)
				return resp_problem(h->resp, 404, "not_found",
				    "no such upload");
			return upload_conflict(h, &u);
		}
		u.size += (long long)h->req->rawlen;
	}
	if (end.complete)
		return upload_finish(h, company, &u, &end);
	upload_state(h, &u);
	resp_empty(h->resp);
	return 0;
}
