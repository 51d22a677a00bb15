-- Recordings that a browser agent's page uploads in pieces (docs/api.md,
-- "Browser recordings"): an upload in progress, and the pieces of a file
-- stored as several objects. Each piece is its own storage object (local
-- or S3 alike: S3 cannot append), named by a fresh UUID; a file whose id
-- has pieces is their concatenation in seq order. The upload's id becomes
-- its files row's id when it completes.
CREATE TABLE recording_uploads (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	call_id		uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
	user_id		uuid REFERENCES users (id) ON DELETE SET NULL,
	content_type	text NOT NULL CHECK (content_type IN ('audio/webm', 'audio/ogg')),
	size		bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
	pieces		int NOT NULL DEFAULT 0 CHECK (pieces >= 0),
	recording_id	uuid REFERENCES call_recordings (id) ON DELETE SET NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	completed_at	timestamptz
);
CREATE INDEX recording_uploads_call_idx ON recording_uploads (call_id);
CREATE INDEX recording_uploads_open_idx ON recording_uploads (updated_at)
	WHERE completed_at IS NULL;

-- No foreign key to files: the pieces come before the files row, and
-- outlive its deletion until their objects are removed.
CREATE TABLE file_pieces (
	file_id		uuid NOT NULL,
	seq		int NOT NULL CHECK (seq >= 0),
	object_id	uuid NOT NULL UNIQUE,
	size		bigint NOT NULL CHECK (size > 0),
	PRIMARY KEY (file_id, seq)
);
