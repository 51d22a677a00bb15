/*
 * Files (IVR prompts, call recordings): file.create and file.delete
 * (OPTX_ADMIN: the dispatcher holds the transaction and writes the audit
 * log). An upload's declared type must be an accepted audio type and agree
 * with the content's magic bytes. The content is stored before the row is
 * inserted, inside the transaction but before its first statement (so it
 * holds no lock and no snapshot while the store works), and removed again
 * by op_file_create_applied() when the row does not commit: no row ever
 * points at nothing. Deleting removes the row first, its content into the
 * storage trash, then, once that has committed, the content
 * (op_file_delete_applied(); what fails then, the sweeper retries). These entries run on
 * the slow pool (ROUTE_SLOW): storage I/O blocks.
 */
#include <sys/random.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "db-file.h"
#include "db-recording.h"
#include "db-upload.h"
#include "validate.h"
#include "sniff.h"
#include "storage.h"
#include "op.h"
#include "op-int.h"
#include "op-file.h"
#include "op-retention.h"

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

int
op_file_kind_check(const char *kind, struct fields *f)
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

/* POST /api/files/company/:companyId: the raw body, in->company's. */
void
op_file_create(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct file_new		 row;
	struct fields		 f;
	struct file_rows	*res;
	char			 id[UUID_LEN + 1], sha[65], size[24];
	const char		*declared, *actual;

	if (scope != NULL && strcmp(scope, in->company) != 0)
		return op_fail(out, 404, "not_found", "no such company");
	fields_init(&f);
	op_file_kind_check(in->kind, &f);
	check_name(in->file_name, &f);
	if (fields_any(&f)) {
		op_fail_fields(out, &f);
		fields_free(&f);
		return;
	}
	fields_free(&f);
	if ((declared = sniff_declared(in->content_type)) == NULL)
		return op_fail(out, 415, "unsupported_media_type", "files must"
		    " be audio/wav, audio/mpeg, audio/ogg or audio/flac");
	actual = sniff_audio((const unsigned char *)in->raw, in->rawlen);
	if (actual == NULL || strcmp(actual, declared) != 0)
		return op_fail(out, 415, "unsupported_media_type",
		    "the content is not %s", declared);
	if (uuid_v4(id) != 0 || sha256_hex(in->raw, in->rawlen, sha) != 0)
		return op_fail(out, 500, "internal", "cannot name the file");
	if (storage_put(id, in->raw, in->rawlen, sha, actual) != STORAGE_OK)
		return op_fail(out, 503, "storage_unavailable", "the file store"
		    " is unavailable; try again shortly");
	/* Stored: from here op_file_create_applied() removes it again
	 * unless the row commits. */
	strlcpy_(out->id, id, sizeof out->id);
	strlcpy_(out->company, in->company, sizeof out->company);
	snprintf(size, sizeof size, "%zu", in->rawlen);
	row = (struct file_new){ id, in->company, in->kind ? in->kind :
	    "prompt", in->file_name, actual, size, sha, a->user };
	if ((res = db_file_create(db, &row)) == NULL) {
		if (db->err == DB_FOREIGN)
			op_fail(out, 404, "not_found", "no such company");
		else
			op_fail_db(out, db);
		return;
	}
	out->status = 201;
	out->obj = file_json(&res->v[0]);
	out->audit = json_pack("{s:s,s:s,s:I}", "kind", row.kind,
	    "content_type", actual, "size", (json_int_t)in->rawlen);
	file_rows_free(res);
}

void
op_file_create_applied(struct db *db, const struct op_out *out)
{
	(void)db;
	if (out->status < 400)
		return;
	if (storage_delete(out->id) != STORAGE_OK)
		log_warn("files: content of %s left behind after a failed"
		    " insert", out->id);
}

void
op_file_delete(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct file_rows	*res;

	(void)a;
	if ((res = db_file_delete(db, scope, in->id)) == NULL)
		return op_fail_db(out, db);
	if (res->n == 0) {
		file_rows_free(res);
		return op_fail(out, 404, "not_found", "no such file");
	}
	strlcpy_(out->id, res->v[0].id, sizeof out->id);
	strlcpy_(out->company, res->v[0].company, sizeof out->company);
	file_rows_free(res);
	out->status = 204;
}

/* What cannot be deleted now stays in the storage trash for the sweeper. */
void
op_file_delete_applied(struct db *db, const struct op_out *out)
{
	if (out->status >= 400)
		return;
	op_trash_empty(db, out->company);
}

enum storage_result
op_file_read(struct db *db, const char *id, storage_fn fn, void *arg)
{
	struct db_ids		*pieces;
	enum storage_result	 sr = STORAGE_OK;

	if ((pieces = db_file_pieces(db, id)) == NULL) {
		log_warn("files: cannot list the pieces of %s", id);
		return STORAGE_ERROR;
	}
	if (pieces->n == 0)
		sr = storage_read(id, fn, arg);
	for (int i = 0; i < pieces->n && sr == STORAGE_OK; i++) {
		/* A piece gone after the first is damage, not absence. */
		if ((sr = storage_read(pieces->v[i], fn, arg)) ==
		    STORAGE_MISSING && i > 0)
			sr = STORAGE_ERROR;
	}
	db_ids_free(pieces);
	return sr;
}

int
op_file_content_delete(struct db *db, const char *id)
{
	struct db_ids	*pieces;
	int		 rc = 0;

	if ((pieces = db_file_pieces_drop(db, id)) == NULL)
		return -1;
	for (int i = 0; i < pieces->n; i++) {
		if (storage_delete(pieces->v[i]) != STORAGE_OK)
			rc = -1;
	}
	db_ids_free(pieces);
	if (storage_delete(id) != STORAGE_OK)
		rc = -1;
	return rc;
}

int
op_file_recording(struct db *db, const char *company, const char *call,
    const char *source, const char *source_id, int channels, int duration,
    const void *data, size_t len)
{
	struct recording_new	 r;
	char			 id[UUID_LEN + 1], sha[65], size[24], ch[8];
	char			 dur[16];
	const char		*type;
	int			 rc;

	if ((type = sniff_audio(data, len)) == NULL) {
		log_warn("recording: call %s: %s %s is not audio we know",
		    call, source, source_id);
		return -1;
	}
	if (uuid_v4(id) != 0 || sha256_hex(data, len, sha) != 0)
		return -1;
	if (storage_put(id, data, len, sha, type) != STORAGE_OK) {
		log_warn("recording: call %s: cannot store %s %s", call,
		    source, source_id);
		return -1;
	}
	snprintf(size, sizeof size, "%zu", len);
	snprintf(ch, sizeof ch, "%d", channels);
	snprintf(dur, sizeof dur, "%d", duration);
	r = (struct recording_new){ company, call, id, type, size, sha,
	    source, source_id, ch, dur };
	if ((rc = db_recording_add(db, &r)) != 1) {
		if (rc < 0)
			log_warn("recording: call %s: cannot record %s %s",
			    call, source, source_id);
		storage_delete(id);
	} else
		log_info("recording: call %s: %s %s stored as file %s (%zu"
		    " bytes)", call, source, source_id, id, len);
	return rc;
}

enum storage_result
op_file_piece_put(const void *data, size_t len, char object[UUID_LEN + 1])
{
	char	 sha[65];

	if (uuid_v4(object) != 0 || sha256_hex(data, len, sha) != 0)
		return STORAGE_ERROR;
	return storage_put(object, data, len, sha, "application/octet-stream");
}

struct digest {
	EVP_MD_CTX	*md;
	long long	 size;
};

static int
digest_piece(void *arg, const void *p, size_t n)
{
	struct digest	*d = arg;

	d->size += (long long)n;
	return EVP_DigestUpdate(d->md, p, n) == 1 ? 0 : -1;
}

int
op_file_digest(struct db *db, const char *id, char sha[65], long long *size)
{
	struct digest	 d = { EVP_MD_CTX_new(), 0 };
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	int		 rc = -1;

	if (d.md == NULL || EVP_DigestInit_ex(d.md, EVP_sha256(), NULL) != 1)
		goto out;
	if (op_file_read(db, id, digest_piece, &d) != STORAGE_OK ||
	    EVP_DigestFinal_ex(d.md, md, &n) != 1 || n != 32)
		goto out;
	for (unsigned int i = 0; i < n; i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	*size = d.size;
	rc = 0;
out:
	EVP_MD_CTX_free(d.md);
	return rc;
}
